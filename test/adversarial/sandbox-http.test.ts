import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandboxServer, type RunningSandbox } from '../../src/sandbox/server.js';
import { EXAMPLES_DATASETS, GUIDE_WIRE_FORMAT, ROLE_ARN } from '../helpers/paths.js';
import { waitFor } from '../helpers/wait.js';
import { Figures } from './figures.js';

const figures = new Figures('sandbox HTTP server (hostile requests)');
let root: string;
let sandbox: RunningSandbox;
const SECRET_FILE = 'outside-the-root.csv';

beforeAll(async () => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'dfi-hostile-'));
  root = path.join(base, 's3');
  fs.mkdirSync(path.join(root, 'bucket', 'in'), { recursive: true });
  fs.writeFileSync(path.join(root, 'bucket', 'in', 'a.csv'), 'e,1640995676000,-0.1,51.5,,,,1,,walking\n'.repeat(10));
  // A file next to the root, and a symlink inside the bucket pointing at it.
  fs.writeFileSync(path.join(base, SECRET_FILE), 'e,1640995676000,-0.1,51.5,,,,1,,walking\n');
  fs.symlinkSync(path.join(base, SECRET_FILE), path.join(root, 'bucket', 'in', 'link.csv'));
  sandbox = await startSandboxServer({ s3Root: root, datasetsFile: EXAMPLES_DATASETS });
});
afterAll(async () => {
  await sandbox.close();
  process.stdout.write(`\n${figures.line()}\n`);
});

const req = async (method: string, p: string, body?: string | Buffer, headers: Record<string, string> = {}) => {
  let status = 0;
  await figures.probe(async () => {
    const res = await fetch(sandbox.url + p, { method, body, headers: { 'content-type': 'application/json', ...headers } });
    status = res.status;
    await res.text();
  });
  return status;
};
const batch = (s3: Record<string, unknown>) => JSON.stringify({ datasetId: 'gs.dataset-1', source: { s3: { bucket: 'bucket', glob: '**/*.csv', credentials: { RoleArn: ROLE_ARN }, ...s3 } }, format: { csv: GUIDE_WIRE_FORMAT } });

describe('the sandbox API under hostile requests', () => {
  it('answers 4xx, never crashes, and keeps every job', async () => {
    // A job to keep an eye on.
    const created = await fetch(`${sandbox.url}/v1/import/batch?dryRun=false`, { method: 'PUT', body: batch({ prefix: 'in/' }), headers: { 'content-type': 'application/json' } });
    const job = (await created.json()) as { id: string };

    expect(await req('PUT', '/v1/import/batch?dryRun=true', '{"datasetId":')).toBe(400); // malformed JSON
    expect(await req('PUT', '/v1/import/batch?dryRun=true', 'x'.repeat(2 * 1024 * 1024))).toBe(413); // oversized
    expect(await req('PUT', '/v1/import/batch?dryRun=true', '')).toBe(400);
    expect(await req('PUT', '/v1/import/batch?dryRun=maybe', batch({}))).toBe(400);
    expect(await req('PUT', '/v1/import/batch', batch({}))).toBe(400);
    expect(await req('GET', '/v1/nothing/here')).toBe(404);
    expect(await req('DELETE', '/v1/import/batch/x')).toBe(404);
    expect(await req('GET', '/v1/import/batch/%E0%A4%A')).toBe(400); // bad percent-encoding
    for (const bucket of ['..', '../..', '../../etc', '/etc', 'bucket/../../..', '.', '%2e%2e', 'bucket\u0000']) {
      expect(await req('PUT', '/v1/import/batch?dryRun=true', batch({ bucket })), bucket).toBe(400);
    }
    for (const prefix of ['../', '../../etc/', 'in/../../', '..\\..\\']) {
      expect(await req('PUT', '/v1/import/batch?dryRun=true', batch({ prefix })), prefix).toBe(400);
    }
    expect(await req('PATCH', `/v1/import/batch/${job.id}`, '{"status":"running"}')).toBe(400);
    expect(await req('POST', '/v1/datasets/gs.dataset-1/schema/values', '{"constructor":["x"]}')).toBe(400);

    // A raw socket that sends garbage: the server answers it (400) or hangs up; then we hang up.
    await new Promise<void>((resolve) => {
      const u = new URL(sandbox.url);
      const s = net.connect(Number(u.port), u.hostname, () => void s.write('GARBAGE / HTTP/9.9\r\n\r\n\0\0\0'));
      const done = () => (s.destroy(), resolve());
      s.on('data', done).on('end', done).on('close', done).on('error', done);
    });

    const after = await fetch(`${sandbox.url}/v1/import/batch/${job.id}`);
    expect(after.status).toBe(200);
    const state = (await after.json()) as { status: string; insertCount: number };
    expect(['created', 'running', 'finished']).toContain(state.status);
    expect(figures.crashes).toBe(0);
  });

  it('does not follow a symlink out of its root', async () => {
    const r = await fetch(`${sandbox.url}/v1/import/batch?dryRun=false`, { method: 'PUT', body: batch({ prefix: 'in/' }), headers: { 'content-type': 'application/json' } });
    const job = (await r.json()) as { id: string };
    let done = { status: 'created', insertCount: 0, log: null as string | null };
    await waitFor(async () => {
      done = (await (await fetch(`${sandbox.url}/v1/import/batch/${job.id}`)).json()) as typeof done;
      return ['finished', 'error'].includes(done.status);
    }, 'the job to end');
    expect(done.status).toBe('finished');
    expect(done.insertCount).toBe(10); // a.csv only; link.csv is not read
    expect(String(done.log)).not.toContain(SECRET_FILE);
  });
});
