import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import { describe, expect, it } from 'vitest';
import { isolatedEnv } from '../helpers/env.js';
import { ROOT } from '../helpers/paths.js';

const read = (f: string) => JSON.parse(fs.readFileSync(path.join(ROOT, f), 'utf8'));
const pkg = read('package.json');
const manifest = read('manifest.json');
const server = read('server.json');

describe('registry metadata (server.json)', () => {
  const schemaFile = path.join(ROOT, 'schemas', 'server.schema.json');

  it('is checked against the registry\'s official schema, kept byte for byte with its checksum', () => {
    const sum = createHash('sha256').update(fs.readFileSync(schemaFile)).digest('hex');
    // The checksum the schemas/README.md records for the published file.
    expect(fs.readFileSync(path.join(ROOT, 'schemas', 'README.md'), 'utf8')).toContain(sum);
    const schema = JSON.parse(fs.readFileSync(schemaFile, 'utf8'));
    expect(schema.$id).toBe(server.$schema);
  });

  it('validates against it, and the schema refuses what the registry refuses', () => {
    const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });
    const validate = ajv.compile(JSON.parse(fs.readFileSync(schemaFile, 'utf8')));
    expect(validate(server), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ ...server, description: 'x'.repeat(101) })).toBe(false);
    expect(validate({ ...server, name: 'no-namespace' })).toBe(false);
    expect(validate({ ...server, repository: { url: server.repository.url } })).toBe(false);
  });

  it('agrees with package.json and the bundle manifest', () => {
    expect(server.name).toBe(pkg.mcpName);
    expect([server.version, server.packages[0].version, manifest.version]).toEqual([pkg.version, pkg.version, pkg.version]);
    expect(server.packages[0].identifier).toBe(pkg.name);
    expect(server.repository.url).toBe(manifest.repository.url);
    expect(pkg.repository.url).toContain(server.repository.url.replace(/^https:\/\//, ''));
    expect(pkg.bugs.url).toBe(manifest.support);
  });
});

describe('the npm package metadata', () => {
  it('has a license file, and importing the package starts nothing (no main, no exports)', () => {
    expect(fs.readFileSync(path.join(ROOT, 'LICENSE'), 'utf8')).toMatch(/^MIT License/);
    expect(pkg.main).toBeUndefined();
    expect(pkg.exports).toBeUndefined();
    expect(pkg.bin['dfi-ingest-mcp']).toBe('dist/index.js');
  });

  it('every production dependency in the lock file runs on the oldest Node the package promises', () => {
    const oldest = /^>=(\d+)\.(\d+)\.(\d+)$/.exec(pkg.engines.node)!.slice(1).map(Number) as [number, number, number];
    const lock = read('package-lock.json') as { packages: Record<string, { dev?: boolean; version?: string; engines?: { node?: string } | string[] }> };
    const refused: string[] = [];
    let checked = 0;
    for (const [where, p] of Object.entries(lock.packages)) {
      if (!where || p.dev) continue;
      checked++;
      const range = !Array.isArray(p.engines) ? p.engines?.node : undefined;
      if (range && !admits(range, oldest)) refused.push(`${where}@${p.version}: node ${range}`);
    }
    expect(checked).toBeGreaterThan(50);
    // The range reader itself: a Node 22 floor is refused, alternatives are read.
    expect([admits('>=22.0.0', oldest), admits('^18 || >=20', oldest), admits('>= 14', oldest), admits('^20.19.0', oldest)]).toEqual([false, true, true, false]);
    expect(refused).toEqual([]);
  });
});

describe('licences of what the package installs', () => {
  it('every production dependency is under a permissive licence (no GPL or AGPL code reaches a user unasked)', () => {
    const permissive = new Set(['MIT', 'ISC', 'Apache-2.0', 'BSD-2-Clause', 'BSD-3-Clause', '0BSD', 'BlueOak-1.0.0', 'CC0-1.0', 'Unlicense', 'Python-2.0']);
    const lock = read('package-lock.json') as { packages: Record<string, { dev?: boolean; license?: string }> };
    const prod = Object.entries(lock.packages).filter(([k, p]) => k && !p.dev);
    const other = prod.filter(([, p]) => !p.license || !String(p.license).split(/ OR |[()]/).some((l) => permissive.has(l.trim())));
    expect(prod.length).toBeGreaterThan(50);
    expect(other.map(([k, p]) => `${k}: ${p.license ?? 'none stated'}`)).toEqual([]);
  });
});

describe('the bundle manifest (MCPB)', () => {
  it('passes @anthropic-ai/mcpb validate', () => {
    const r = spawnSync(path.join(ROOT, 'node_modules', '.bin', 'mcpb'), ['validate', path.join(ROOT, 'manifest.json')], { encoding: 'utf8' });
    expect(r.stdout + r.stderr).toMatch(/validation passes/i);
    expect(manifest.manifest_version).toBe('0.3');
  });

  it('gives every optional field a default, keeps the token sensitive, and passes each field to the server', () => {
    for (const [name, field] of Object.entries(manifest.user_config as Record<string, { required?: boolean; default?: unknown }>)) {
      expect(field.required, name).toBe(false);
      expect(field.default, name).toBeDefined();
    }
    expect(manifest.user_config.api_token.sensitive).toBe(true);
    const env = manifest.server.mcp_config.env as Record<string, string>;
    const passed = Object.values(env).map((v) => /^\$\{user_config\.(\w+)\}$/.exec(v)?.[1]);
    expect(passed.sort()).toEqual(Object.keys(manifest.user_config).sort());
    expect(fs.existsSync(path.join(ROOT, manifest.icon))).toBe(true);
    expect(manifest.privacy_policies.length).toBeGreaterThan(0);
  });

  it('lists exactly the tools the server offers', () => {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'dist', 'index.js'), '--sandbox', '--print-config'], { encoding: 'utf8', env: isolatedEnv() });
    expect(r.status, r.stderr).toBe(0);
    const offered = (JSON.parse(r.stdout) as { tools: string[] }).tools;
    expect(manifest.tools.map((t: { name: string }) => t.name).sort()).toEqual([...offered].sort());
  });
});

describe('client set-ups in the README', () => {
  it('every JSON configuration parses, and mcp.json.example is one of them', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const blocks = [...readme.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1]!);
    const configs = blocks.filter((b) => /"(mcpServers|servers|context_servers)"/.test(b));
    expect(configs.length).toBeGreaterThanOrEqual(8);
    for (const b of configs) expect(() => JSON.parse(b), b).not.toThrow();
    expect(configs.map((b) => JSON.parse(b))).toContainEqual(read('mcp.json.example'));
  });

  it('the Codex TOML block names the server and a startup timeout long enough for a first npx', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const toml = /```toml\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    expect(toml).toMatch(/^\[mcp_servers\.dfi-ingest\]$/m);
    expect(Number(/^startup_timeout_sec = (\d+)$/m.exec(toml)?.[1])).toBeGreaterThanOrEqual(60);
    expect(toml).toMatch(/^env_vars = \[.*"DFI_API_TOKEN".*"HTTPS_PROXY".*\]$/m);
  });
});

/** Whether a simple engines range (`>=a.b.c`, `^a.b.c`, `a.x`, joined by `||`) admits the version. */
function admits(range: string, v: [number, number, number]): boolean {
  const cmp = (a: number[], b: number[]) => a[0]! - b[0]! || a[1]! - b[1]! || a[2]! - b[2]!;
  const parse = (s: string) => s.replace(/^v/, '').split('.').map((x) => (/^\d+$/.test(x) ? Number(x) : 0)).concat([0, 0, 0]).slice(0, 3);
  return range.split('||').some((alt) =>
    alt.trim().replace(/(>=|<=|>|<|=|\^|~)\s+/g, '$1').split(/\s+/).filter(Boolean).every((term) => {
      const m = /^(>=|>|<=|<|\^|~|=)?\s*(.+)$/.exec(term)!;
      const op = m[1] ?? '=';
      const t = parse(m[2]!);
      const c = cmp(v, t);
      if (op === '>=') return c >= 0;
      if (op === '>') return c > 0;
      if (op === '<=') return c <= 0;
      if (op === '<') return c < 0;
      if (op === '^') return v[0] === t[0] && c >= 0;
      if (op === '~') return v[0] === t[0] && v[1] === t[1] && c >= 0;
      if (m[2] === '*' || m[2] === 'x') return true;
      return /x|\*/.test(m[2]!) ? v[0] === t[0] : c === 0;
    }),
  );
}
