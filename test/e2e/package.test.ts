import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLE_ARN, ROOT } from '../helpers/paths.js';
import { serverEnv } from '../helpers/env.js';

const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const env = serverEnv({}, (k) => k.startsWith('npm_'));
let dir: string;
let files: string[];
let tarball: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dfi-pack-'));
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', dir], { cwd: ROOT, encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'ignore'] });
  const info = JSON.parse(out)[0] as { filename: string; files: { path: string }[] };
  tarball = path.join(dir, info.filename);
  files = info.files.map((f) => f.path);
}, 120_000);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('the npm package', () => {
  it('holds what runs, and no tests, sources, fixtures or source maps', () => {
    expect(files).toEqual(expect.arrayContaining(['dist/index.js', 'examples/datasets.json', 'examples/s3/my_bucket/my_path/trips-1.csv', 'docs/importing-data-from-aws-s3.md', 'README.md', 'package.json', 'manifest.json', 'server.json']));
    const unwanted = files.filter((f) => /^(src|test|scripts|bench|schemas)\//.test(f) || f.endsWith('.map') || f.endsWith('.ts') || /fixtures/.test(f));
    expect(unwanted).toEqual([]);
    expect(fs.readFileSync(path.join(ROOT, 'dist', 'index.js'), 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(pkg.bin['dfi-ingest-mcp']).toBe('dist/index.js');
    expect(pkg.engines.node).toBe('>=20.18.1');
  });

  it('installs from the tarball and starts with npx from a temporary folder', async () => {
    const app = path.join(dir, 'app');
    fs.mkdirSync(app);
    fs.writeFileSync(path.join(app, 'package.json'), '{"name":"tryout","private":true}');
    // Offline: the dependencies come from the npm cache that installing this project filled.
    const install = spawnSync('npm', ['install', '--offline', '--no-audit', '--no-fund', '--loglevel=error', tarball], { cwd: app, env, encoding: 'utf8' });
    expect(install.status, install.stderr).toBe(0);
    const version = spawnSync('npx', ['--offline', '--no-install', 'dfi-ingest-mcp', '--version'], { cwd: app, env, encoding: 'utf8' });
    expect(version.stdout.trim()).toBe(pkg.version);

    const client = new Client({ name: 'packed', version: '1' });
    await client.connect(new StdioClientTransport({ command: 'npx', args: ['--offline', '--no-install', 'dfi-ingest-mcp'], cwd: app, env, stderr: 'ignore' }));
    try {
      const { tools } = await client.listTools();
      expect(tools.length).toBe(12);
      const dry = await client.callTool({
        name: 'put_batch',
        arguments: { dataset_id: 'gs.dataset-1', source: { s3: { bucket: 'my_bucket', prefix: 'my_path/', glob: '*.csv', role_arn: ROLE_ARN } }, file_format: { entity_id: 0, timestamp: 1, longitude: 2, latitude: 3, route_id: 7, transportation_mode: 9 } },
      });
      expect((dry.structuredContent as { job: { status: string } }).job.status).toBe('success');
    } finally {
      await client.close();
    }
  }, 180_000);
});
