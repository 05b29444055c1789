import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolatedEnv } from '../helpers/env.js';
import { ROLE_ARN, ROOT } from '../helpers/paths.js';

const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const env = isolatedEnv();
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

  it('runs from the unpacked tarball with nothing but its declared dependencies, from a temporary folder', async () => {
    // What `npm install <tarball>` lays out, without the network or the npm cache (a machine that
    // only ran `npm ci` has no registry metadata): the tarball unpacked into node_modules, each
    // declared dependency beside it (linked from this project's node_modules, so an import of
    // anything undeclared fails), and the bin linked and executable.
    const app = path.join(dir, 'app');
    const modules = path.join(app, 'node_modules');
    const installed = path.join(modules, pkg.name);
    fs.mkdirSync(installed, { recursive: true });
    fs.writeFileSync(path.join(app, 'package.json'), '{"name":"tryout","private":true}');
    execFileSync('tar', ['-xzf', tarball, '-C', installed, '--strip-components=1']);
    for (const dep of Object.keys(pkg.dependencies)) {
      fs.mkdirSync(path.dirname(path.join(modules, dep)), { recursive: true });
      fs.symlinkSync(path.join(ROOT, 'node_modules', dep), path.join(modules, dep), 'dir');
    }
    const bin = path.join(modules, '.bin', 'dfi-ingest-mcp');
    fs.mkdirSync(path.dirname(bin));
    fs.symlinkSync(path.join('..', pkg.name, pkg.bin['dfi-ingest-mcp']), bin);
    fs.chmodSync(path.join(installed, pkg.bin['dfi-ingest-mcp']), 0o755);
    const version = spawnSync(bin, ['--version'], { cwd: app, env, encoding: 'utf8' });
    expect(version.stdout.trim(), version.stderr).toBe(pkg.version);

    const client = new Client({ name: 'packed', version: '1' });
    await client.connect(new StdioClientTransport({ command: bin, args: ['--sandbox'], cwd: app, env, stderr: 'ignore' }));
    try {
      const { tools } = await client.listTools();
      const manifest = JSON.parse(fs.readFileSync(path.join(installed, 'manifest.json'), 'utf8')) as { tools: { name: string }[] };
      expect(tools.map((t) => t.name).sort()).toEqual(manifest.tools.map((t) => t.name).sort());
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

// On the same tarball, in this file: npm pack writes and removes npm-shrinkwrap.json in the project
// folder (prepack/postpack), so two packs at once from two test files would race.
describe('the published package pins every dependency (npm-shrinkwrap.json)', () => {
  it('npm pack ships the lock file as npm-shrinkwrap.json, and leaves no copy behind', () => {
    expect(files).toContain('npm-shrinkwrap.json');
    execFileSync('tar', ['-xzf', tarball, '-C', dir, 'package/npm-shrinkwrap.json']);
    const shipped = JSON.parse(fs.readFileSync(path.join(dir, 'package', 'npm-shrinkwrap.json'), 'utf8'));
    const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8'));
    expect(shipped.packages).toEqual(lock.packages);
    // Every production dependency is pinned with its integrity, so npx installs exactly these.
    const prod = Object.entries(lock.packages as Record<string, { dev?: boolean; version?: string; integrity?: string; link?: boolean }>).filter(([k, p]) => k && !p.dev && !p.link);
    expect(prod.length).toBeGreaterThan(50);
    expect(prod.filter(([, p]) => !p.version || !p.integrity).map(([k]) => k)).toEqual([]);
    expect(fs.existsSync(path.join(ROOT, 'npm-shrinkwrap.json'))).toBe(false);
  });
});
