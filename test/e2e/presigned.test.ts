import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMcp, structured, text, type McpSession } from '../helpers/mcp.js';
import { s3Env, startS3 } from '../helpers/s3.js';

const FORMAT = { entity_id: 0, timestamp: 1, longitude: 2, latitude: 3, route_id: 4, transportation_mode: 5 };
const file = (n: number, rows: number) =>
  Array.from({ length: rows }, (_, i) => `v${n},${1700000000000 + i * 1000},${(2.35 + i * 1e-5).toFixed(6)},${(48.85 + i * 1e-5).toFixed(6)},${i === 3 && n === 2 ? -1 : 7},walking`).join('\n') + '\n';

let s3: Awaited<ReturnType<typeof startS3>>;
let mcp: McpSession;
const outputs: string[] = [];
const call = async (name: string, args: Record<string, unknown>) => {
  const r = await mcp.call(name, args);
  outputs.push(JSON.stringify(r));
  return r;
};

beforeAll(async () => {
  s3 = await startS3();
  await s3.bucket('no-role-bucket');
  // 12 files, 10 rows each; file-2 has one invalid row. Listed as file-1, file-10, file-11, file-12, file-2 ...
  for (let n = 1; n <= 12; n++) await s3.put('no-role-bucket', `exports/file-${n}.csv`, file(n, 10));
  await s3.bucket('too-many');
  for (let i = 0; i < 1010; i += 101) await Promise.all(Array.from({ length: 101 }, (_, j) => s3.put('too-many', `x/f${i + j}.csv`, 'a')));
  // The presigned URLs point at s3rver on loopback: the sandbox fetches them only with --allow-private-urls.
  mcp = await startMcp(['--sandbox', '--allow-private-urls'], s3Env(s3.endpoint));
}, 120_000);
afterAll(async () => {
  await mcp?.close();
  await s3?.close();
});

describe('the presigned-URL route (no IAM role)', () => {
  it('presigns the matching keys in natural order, dry-runs, imports to finished', async () => {
    const source = { s3_presigned: { bucket: 'no-role-bucket', prefix: 'exports/', glob: '*.csv' } };
    const started = Date.now();
    const dry = structured(await call('put_batch', { dataset_id: 'gs.dataset-1', source, file_format: FORMAT }));
    expect(dry.job.status).toBe('success');
    expect(dry.presigned.files).toBe(12);
    expect(dry.presigned.firstKeys).toEqual(['exports/file-1.csv', 'exports/file-2.csv', 'exports/file-3.csv', 'exports/file-4.csv', 'exports/file-5.csv']);
    // Twelve hours from the moment of signing, which lies between the call's start and its end.
    const expiresAt = Date.parse(dry.presigned.expiresAt);
    expect(expiresAt).toBeGreaterThanOrEqual(started + 12 * 3600_000 - 1000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 12 * 3600_000 + 1000);
    // The job echoes the URLs: their query strings are masked.
    expect(dry.job.source.urls[0]).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/no-role-bucket\/exports\/file-1\.csv\?\[query masked\]$/);

    // Fresh URLs for the import, but the same source for the gate.
    const run = structured(await call('put_batch', { dataset_id: 'gs.dataset-1', source, file_format: FORMAT, dry_run: false, confirmation: dry.confirmation.token }));
    const done = structured(await call('get_batch', { batch_id: run.job.id, wait_seconds: 30 }));
    expect(done.job).toMatchObject({ status: 'finished', insertCount: 119, invalidCount: 1 });
    expect(String(done.job.log)).toMatch(/file-2\.csv\?…? line 4: route_id \(column 4\) "-1"/);
  });

  it('a confirmation of another source does not confirm this one', async () => {
    const dry = structured(await call('put_batch', { dataset_id: 'gs.dataset-1', source: { s3_presigned: { bucket: 'no-role-bucket', prefix: 'exports/', glob: 'file-1*.csv' } }, file_format: FORMAT }));
    const r = await call('put_batch', {
      dataset_id: 'gs.dataset-1',
      source: { s3_presigned: { bucket: 'no-role-bucket', prefix: 'exports/', glob: '*.csv' } },
      file_format: FORMAT,
      dry_run: false,
      confirmation: dry.confirmation.token,
    });
    expect(text(r)).toMatch(/different dataset, source or format/);
  });

  it('refuses a batch of more files than it sends at once, saying how to split it', async () => {
    const r = await call('put_batch', { dataset_id: 'gs.dataset-1', source: { s3_presigned: { bucket: 'too-many', prefix: 'x/', glob: '*.csv' } }, file_format: FORMAT });
    expect(text(r)).toMatch(/1010 files .* at most 1000/);
    expect(text(r)).toMatch(/one batch per sub-prefix/);
  });

  it('says when temporary credentials expire before the URLs would', async () => {
    const soon = new Date(Date.now() + 20 * 60_000).toISOString();
    const temp = await startMcp(['--sandbox', '--allow-private-urls'], { ...s3Env(s3.endpoint), AWS_SESSION_TOKEN: 'session-token-for-test', AWS_CREDENTIAL_EXPIRATION: soon });
    try {
      const r = await temp.call('put_batch', { dataset_id: 'gs.dataset-1', source: { s3_presigned: { bucket: 'no-role-bucket', prefix: 'exports/', glob: 'file-1.csv' } }, file_format: FORMAT });
      outputs.push(JSON.stringify(r), temp.stderr());
      const s = structured(r);
      expect(s.preflight.warnings.join('\n')).toMatch(/credentials are temporary and expire at .* \(in (1\d|20) min\)/);
      expect(Date.parse(s.presigned.expiresAt)).toBeLessThanOrEqual(Date.parse(soon) + 1000);
    } finally {
      await temp.close();
    }
  });

  it('never shows a full signature in any result or log', () => {
    outputs.push(mcp.stderr());
    expect(outputs.length).toBeGreaterThan(5);
    for (const o of outputs) {
      expect(o).not.toMatch(/X-Amz-Signature=[0-9a-f]{16}/i);
      expect(o).not.toMatch(/X-Amz-Credential=/i);
    }
  });
});
