/**
 * What the sandbox keeps, from outside: the built sandbox run alone over HTTP (as curl or dfipy use
 * it). Ended jobs beyond 1,000 are forgotten, oldest first, in memory and in its state folder (a
 * restart does not bring them back), while a running import is kept whatever its age; a large session
 * policy is kept as its size and SHA-256, not whole (300 dry runs with an 879 KB policy grew the
 * process from 97 to 383 MB). Memory is printed as a figure, not asserted.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStandaloneSandbox, type StandaloneSandbox } from '../helpers/standalone-sandbox.js';
import { GUIDE_WIRE_FORMAT, ROLE_ARN } from '../helpers/paths.js';
import { waitFor } from '../helpers/wait.js';

const KEPT = 1_000;
let base: string;
let stateDir: string;
let sandbox: StandaloneSandbox;
let trickle: http.Server;
let trickleUrl: string;
const figures: string[] = [];

const args = () => ['--sandbox-s3-root', path.join(base, 's3'), '--allow-private-urls'];
const env = () => ({ DFI_STATE_DIR: stateDir });
const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;

async function put(dryRun: string, body: unknown): Promise<{ status: number; job: Record<string, any> }> {
  const res = await fetch(`${sandbox.url}/v1/import/batch?dryRun=${dryRun}`, { method: 'PUT', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  return { status: res.status, job: (await res.json()) as Record<string, any> };
}
const getJob = async (id: string) => (await fetch(`${sandbox.url}/v1/import/batch/${id}`)).status;
const s3Batch = (credentials: Record<string, unknown>, glob = 'nothing-matches-*.csv') => ({
  datasetId: 'gs.dataset-1',
  source: { s3: { bucket: 'bucket', prefix: 'in/', glob, credentials: { RoleArn: ROLE_ARN, ...credentials } } },
  format: { csv: GUIDE_WIRE_FORMAT },
});

beforeAll(async () => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'dfi-retention-'));
  stateDir = path.join(base, 'state');
  fs.mkdirSync(path.join(base, 's3', 'bucket', 'in'), { recursive: true });
  fs.writeFileSync(path.join(base, 's3', 'bucket', 'in', 'a.csv'), 'e,1640995676000,-0.1,51.5,,,,1,,walking\n'.repeat(10));
  // A URL source that sends one row and then nothing: an import of it stays running.
  trickle = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/csv' });
    res.write('e,1640995676000,-0.1,51.5,,,,1,,walking\n');
  });
  await new Promise<void>((r) => trickle.listen(0, '127.0.0.1', r));
  trickleUrl = `http://127.0.0.1:${(trickle.address() as AddressInfo).port}/slow.csv`;
  sandbox = await startStandaloneSandbox(args(), env());
});
afterAll(async () => {
  await sandbox?.close();
  trickle?.closeAllConnections();
  trickle?.close();
  fs.rmSync(base, { recursive: true, force: true });
  process.stdout.write(`\nsandbox retention: ${figures.join('; ')}\n`);
});

describe('the sandbox keeps a bounded number of jobs', () => {
  it('forgets ended jobs beyond 1,000, oldest first, keeps a running import, and a restart does not bring them back', async () => {
    const running = await put('false', { datasetId: 'gs.dataset-1', source: { urls: [trickleUrl] }, format: { csv: GUIDE_WIRE_FORMAT } });
    expect(running.status).toBe(200);
    await waitFor(async () => (await (await fetch(`${sandbox.url}/v1/import/batch/${running.job.id}`)).json()).status === 'running', 'the import to run');

    const ids: string[] = [];
    for (let i = 0; i < KEPT + 5; i++) {
      const r = await put('true', s3Batch({}));
      expect(r.job.status).toBe('error'); // nothing matches: ended at once
      ids.push(r.job.id as string);
    }
    // 1,006 jobs: the six oldest ended ones are gone; the running import, older than all, is kept.
    expect(await getJob(running.job.id)).toBe(200);
    for (const id of ids.slice(0, 6)) expect(await getJob(id)).toBe(404);
    for (const id of [ids[6]!, ids[ids.length - 1]!]) expect(await getJob(id)).toBe(200);
    const saved = fs.readdirSync(path.join(stateDir, 'sandbox', 'jobs')).filter((n) => n.endsWith('.json'));
    expect(saved.length).toBe(KEPT);
    expect(saved).not.toContain(`${ids[0]}.json`);

    // Restarted on the same state folder: the forgotten jobs stay forgotten.
    await sandbox.close();
    sandbox = await startStandaloneSandbox(args(), env());
    expect(await getJob(ids[0]!)).toBe(404);
    expect(await getJob(ids[ids.length - 1]!)).toBe(200);
  });
});

describe('large session policies are not kept whole', () => {
  it('keeps an 879 KB policy as its size and SHA-256; small policies as they are', async () => {
    const statement = { Effect: 'Allow', Action: ['s3:GetObject'], Resource: 'arn:aws:s3:::bucket/in/*' };
    const policy = { Version: '2012-10-17', Statement: Array.from({ length: 9_000 }, (_, i) => ({ ...statement, Sid: `S${i}` })) };
    const json = JSON.stringify(policy);
    expect(json.length).toBeGreaterThan(800_000);

    const small = await put('true', s3Batch({ Policy: { Version: '2012-10-17', Statement: [statement] } }, '*.csv'));
    expect(small.job.source.s3.credentials.Policy.Statement).toHaveLength(1);

    const before = rssMb(sandbox.child.pid!);
    let last: Record<string, any> = {};
    const RUNS = 100;
    for (let i = 0; i < RUNS; i++) last = (await put('true', s3Batch({ Policy: policy }, '*.csv'))).job;
    const after = rssMb(sandbox.child.pid!);
    figures.push(`${RUNS} dry runs with a ${(json.length / 1000).toFixed(0)} KB policy: RSS ${before.toFixed(0)} -> ${after.toFixed(0)} MB`);

    expect(last.status).toBe('success'); // the dry run itself is not affected
    const kept = ((await (await fetch(`${sandbox.url}/v1/import/batch/${last.id}`)).json()) as Record<string, any>).source.s3.credentials.Policy;
    expect(kept).toMatchObject({ characters: json.length, sha256: createHash('sha256').update(json).digest('hex') });
    expect(fs.statSync(path.join(stateDir, 'sandbox', 'jobs', `${last.id}.json`)).size).toBeLessThan(20_000);
  });
});
