import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/paths.js';
import { startMcp, structured } from '../helpers/mcp.js';

const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'manifest.json'), 'utf8'));

describe('installed as a bundle (MCPB)', () => {
  it('starts on the sandbox when the host passes the optional fields unexpanded', async () => {
    // What a host that does not expand empty optional fields puts in the environment: the manifest's own text.
    const env = manifest.server.mcp_config.env as Record<string, string>;
    expect(Object.values(env).every((v) => v.startsWith('${user_config.'))).toBe(true);
    const mcp = await startMcp([], env);
    try {
      const { tools } = await mcp.client.listTools();
      expect(tools.map((t) => t.name)).toContain('put_batch');
      expect(mcp.client.getInstructions()).toMatch(/embedded sandbox/);
      const ds = structured(await mcp.call('get_dataset', { dataset_id: 'gs.dataset-1' }));
      expect(ds.dataset.id).toBe('gs.dataset-1');
    } finally {
      await mcp.close();
    }
  });
});

describe('the published package pins every dependency (npm-shrinkwrap.json)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dfi-shrinkwrap-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('npm pack ships the lock file as npm-shrinkwrap.json, and leaves no copy behind', () => {
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('npm_'))) as Record<string, string>;
    const out = execFileSync('npm', ['pack', '--json', '--pack-destination', dir], { cwd: ROOT, encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'ignore'] });
    const info = JSON.parse(out)[0] as { filename: string; files: { path: string }[] };
    expect(info.files.map((f) => f.path)).toContain('npm-shrinkwrap.json');
    execFileSync('tar', ['-xzf', path.join(dir, info.filename), '-C', dir, 'package/npm-shrinkwrap.json']);
    const shipped = JSON.parse(fs.readFileSync(path.join(dir, 'package', 'npm-shrinkwrap.json'), 'utf8'));
    const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8'));
    expect(shipped.packages).toEqual(lock.packages);
    // Every production dependency is pinned with its integrity, so npx installs exactly these.
    const prod = Object.entries(lock.packages as Record<string, { dev?: boolean; version?: string; integrity?: string; link?: boolean }>).filter(([k, p]) => k && !p.dev && !p.link);
    expect(prod.length).toBeGreaterThan(50);
    expect(prod.filter(([, p]) => !p.version || !p.integrity).map(([k]) => k)).toEqual([]);
    expect(fs.existsSync(path.join(ROOT, 'npm-shrinkwrap.json'))).toBe(false);
  }, 120_000);
});
