/**
 * Globs from outside (the built server over stdio, the sandbox's S3 folder): shell classes, and
 * globs that make a backtracking matcher take minutes.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMcp, structured, text, type McpSession } from '../helpers/mcp.js';
import { ROLE_ARN } from '../helpers/paths.js';

const rows = (n: number, e: string) => Array.from({ length: n }, (_, i) => `${e},${1700000000000 + i * 1000},2.35,48.85`).join('\n') + '\n';
let root: string;
let mcp: McpSession;
const format = { entity_id: 0, timestamp: 1, longitude: 2, latitude: 3 };
const dryRun = (glob: string) => mcp.call('put_batch', { dataset_id: 'gs.dataset-1', source: { s3: { bucket: 'globs', prefix: 'data/', glob, role_arn: ROLE_ARN } }, file_format: format });

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'dfi-glob-'));
  fs.mkdirSync(path.join(root, 'globs', 'data', 'sub'), { recursive: true });
  fs.writeFileSync(path.join(root, 'globs', 'data', 'p1.csv'), rows(7, 'p'));
  fs.writeFileSync(path.join(root, 'globs', 'data', 'sub', 'p2.csv'), rows(11, 'p'));
  fs.writeFileSync(path.join(root, 'globs', 'data', 'q1.csv'), rows(3, 'q'));
  fs.writeFileSync(path.join(root, 'globs', 'data', `${'a'.repeat(40)}.csv`), rows(5, 'a'));
  mcp = await startMcp(['--sandbox', '--sandbox-s3-root', root]);
});
afterAll(async () => {
  await mcp?.close();
  fs.rmSync(root, { recursive: true, force: true });
});

describe('globs', () => {
  it('[!p] and [^p] mean "not p", as in shells, at any depth', async () => {
    for (const glob of ['**/[!p]*.csv', '**/[^p]*.csv', '[!p]*.csv']) {
      const r = structured(await dryRun(glob));
      expect(r.job.status, glob).toBe('success');
      expect(r.job.insertCount, glob).toBe(8); // q1 (3) + the a…a file (5); neither p file
    }
    expect(structured(await dryRun('**/p*.csv')).job.insertCount).toBe(18);
  });

  it('a backtracking glob over a 40-character key answers, and ping answers meanwhile', async () => {
    // A backtracking matcher takes about 100 s here (and blocks ping meanwhile): the call's timeout fails it.
    const call = dryRun(`${'*a'.repeat(10)}*b`);
    await mcp.client.ping();
    const r = structured(await call);
    expect(r.job.status).toBe('error');
    expect(String(r.job.log)).toMatch(/no file matched/);
  });

  it('refuses a glob over the bounds with a clear error', async () => {
    const long = await dryRun(`${'x/'.repeat(300)}*.csv`);
    expect(long.isError).toBe(true);
    expect(text(long)).toMatch(/the glob is too complex: 605 characters, at most 512/);
    const stars = await dryRun('*a'.repeat(40));
    expect(text(stars)).toMatch(/the glob is too complex: 40 wildcards, at most 32/);
  });
});
