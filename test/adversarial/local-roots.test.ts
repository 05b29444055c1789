/**
 * Local paths from outside (the built server over stdio): never `/` or a home folder implicitly, no
 * fall-back to the working directory when the client's roots fail, the same answer for missing and
 * outside files, relative paths against the sample root, and the opened file checked (a folder
 * swapped for a symlink while the server reads).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ListRootsRequestSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolatedEnv } from '../helpers/env.js';
import { text } from '../helpers/mcp.js';
import { DIST_ENTRY } from '../helpers/paths.js';

const CSV = (e: string) => `id,time,lat,lon\n${e},1700000000000,48.85,2.35\n${e},1700000001000,48.86,2.36\n`;
let base: string;

beforeAll(() => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'dfi-local-'));
  for (const d of ['home/project', 'allowed/d', 'outside']) fs.mkdirSync(path.join(base, d), { recursive: true });
  fs.writeFileSync(path.join(base, 'home', 'creds.csv'), CSV('home-secret'));
  fs.writeFileSync(path.join(base, 'home', 'project', 'ok.csv'), CSV('project-row'));
  fs.writeFileSync(path.join(base, 'allowed', 'd', 'ok.csv'), CSV('allowed-row'));
  fs.writeFileSync(path.join(base, 'outside', 'ok.csv'), CSV('outside-secret'));
});
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

async function connect(cwd: string, opts: { args?: string[]; env?: Record<string, string>; roots?: () => Promise<{ roots: { uri: string }[] }> } = {}) {
  const env = isolatedEnv(opts.env);
  const client = new Client({ name: 'local-roots', version: '1' }, opts.roots ? { capabilities: { roots: {} } } : {});
  if (opts.roots) client.setRequestHandler(ListRootsRequestSchema, opts.roots);
  await client.connect(new StdioClientTransport({ command: process.execPath, args: [DIST_ENTRY, '--sandbox', ...(opts.args ?? [])], cwd, env, stderr: 'ignore' }));
  const infer = async (p: string) => text((await client.callTool({ name: 'infer_csv_format', arguments: { path: p } })) as CallToolResult);
  return { client, infer };
}

describe('the implicit sample root', () => {
  it('is not / : a server started in / reads no file', async () => {
    const { client, infer } = await connect('/');
    try {
      for (const p of ['/etc/passwd', 'etc/passwd', '/proc/self/environ', path.join(base, 'outside', 'ok.csv')]) {
        const t = await infer(p);
        expect(t, p).toMatch(/does not exist or is outside the folders this server may read \(none\)/);
        expect(t, p).not.toMatch(/root:|outside-secret/);
      }
    } finally {
      await client.close();
    }
  });

  it('is not a home folder (nor one above it)', async () => {
    const home = path.join(base, 'home');
    for (const cwd of [home, base]) {
      const { client, infer } = await connect(cwd, { env: { HOME: home, USERPROFILE: home } });
      try {
        const t = await infer(path.join(home, 'creds.csv'));
        expect(t).toMatch(/outside the folders this server may read \(none\)/);
        expect(t).not.toContain('home-secret');
      } finally {
        await client.close();
      }
    }
    // A project folder below the home folder is still the implicit root.
    const { client, infer } = await connect(path.join(home, 'project'), { env: { HOME: home, USERPROFILE: home } });
    try {
      expect(await infer('ok.csv')).toContain('project-row');
    } finally {
      await client.close();
    }
  });
});

describe('client roots', () => {
  it('a failed or empty roots answer means no local access, not the working directory', async () => {
    const cwd = path.join(base, 'allowed');
    for (const roots of [async () => Promise.reject(new Error('roots are broken')), async () => ({ roots: [] }), async () => ({ roots: [{ uri: 'https://example.com/' }] })]) {
      const { client, infer } = await connect(cwd, { roots: roots as never });
      try {
        const t = await infer(path.join(cwd, 'd', 'ok.csv'));
        expect(t).toMatch(/outside the folders this server may read \(none\)/);
        expect(t).not.toContain('allowed-row');
      } finally {
        await client.close();
      }
    }
  });
});

describe('with --sample-root', () => {
  it('answers "missing" and "outside" alike, and resolves a relative path against the root', async () => {
    const { client, infer } = await connect('/', { args: ['--sample-root', path.join(base, 'allowed')] });
    try {
      const missing = await infer(path.join(base, 'outside', 'nope.csv'));
      const outside = await infer(path.join(base, 'outside', 'ok.csv'));
      expect(missing.replace('nope.csv', 'X')).toBe(outside.replace('ok.csv', 'X'));
      expect(await infer('d/ok.csv')).toContain('allowed-row');
    } finally {
      await client.close();
    }
  });

  it('a folder swapped for a symlink to outside while reading never yields the outside file', async () => {
    const root = path.join(base, 'allowed');
    // Another process swaps allowed/d for a symlink to outside/ and back, as fast as it can.
    const swapper = spawn(process.execPath, ['-e', `
      const fs = require('fs'); const d = ${JSON.stringify(path.join(root, 'd'))}; const real = d + '.real'; const out = ${JSON.stringify(path.join(base, 'outside'))};
      process.stdin.on('end', () => process.exit(0)); process.stdin.resume();
      (function loop() { try { fs.renameSync(d, real); fs.symlinkSync(out, d); fs.unlinkSync(d); fs.renameSync(real, d); } catch {} setImmediate(loop); })();
    `], { stdio: ['pipe', 'ignore', 'ignore'] });
    const { client, infer } = await connect('/', { args: ['--sample-root', root] });
    try {
      for (let i = 0; i < 60; i++) expect(await infer(path.join(root, 'd', 'ok.csv'))).not.toContain('outside-secret');
    } finally {
      swapper.stdin!.end();
      await new Promise((r) => swapper.once('exit', r));
      await client.close();
      if (!fs.existsSync(path.join(root, 'd')) && fs.existsSync(path.join(root, 'd.real'))) fs.renameSync(path.join(root, 'd.real'), path.join(root, 'd'));
    }
  });
});
