import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandboxServer, type RunningSandbox } from '../../src/sandbox/server.js';
import { startMcp, type McpSession } from '../helpers/mcp.js';
import { EXAMPLES_DATASETS, ROLE_ARN } from '../helpers/paths.js';
import { s3Env, startS3 } from '../helpers/s3.js';

const MARKER = 'tok-SWEEP-MARKER-6b1f0e9d8c7a5b43';
const FORMAT = { entity_id: 0, timestamp: 1, longitude: 2, latitude: 3, route_id: 7, transportation_mode: 9 };
const ROW = 'aca5597c-8666-43bf-9c85-0b575ece58ed,1640995676000,-0.11,51.54,,,,0,,dwelling\n';
let dir: string;
let platform: RunningSandbox;
let s3: Awaited<ReturnType<typeof startS3>>;
let mcp: McpSession;
const seen: string[] = [];
const covered = new Map<string, Set<'ok' | 'error'>>();

async function call(name: string, args: Record<string, unknown>) {
  const r = await mcp.call(name, args);
  seen.push(JSON.stringify(r));
  covered.set(name, (covered.get(name) ?? new Set()).add(r.isError ? 'error' : 'ok'));
  return r;
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dfi-sweep-'));
  fs.mkdirSync(path.join(dir, 'my_bucket', 'in'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'my_bucket', 'in', 'small.csv'), ROW.repeat(10));
  fs.writeFileSync(path.join(dir, 'my_bucket', 'in', 'big.csv'), ROW.repeat(400_000));
  platform = await startSandboxServer({ token: MARKER, s3Root: dir, datasetsFile: EXAMPLES_DATASETS });
  s3 = await startS3();
  await s3.bucket('sweep-bucket');
  await s3.put('sweep-bucket', 'in/a.csv', ROW.repeat(20));
  mcp = await startMcp(['--log-level', 'debug'], { ...s3Env(s3.endpoint), DFI_API_URL: platform.url, DFI_API_TOKEN: MARKER });
}, 60_000);
afterAll(async () => {
  await mcp?.close();
  await platform?.close();
  await s3?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('the API token appears nowhere', () => {
  it("runs every tool's success and failure paths", async () => {
    const s3src = (glob: string) => ({ s3: { bucket: 'my_bucket', prefix: 'in/', glob, role_arn: ROLE_ARN } });
    await call('get_aws_trust_policy', { bucket: 's3://acme-trips/2024/' });
    await call('get_aws_trust_policy', { bucket: 'acme-trips', role_name: 'not a name' });
    await call('get_dataset', { dataset_id: 'gs.dataset-1' });
    await call('get_dataset', { dataset_id: 'gs.missing' });
    await call('infer_csv_format', { sample: ROW.repeat(5) });
    await call('infer_csv_format', { path: '/etc/hosts' });
    await call('infer_csv_format', { s3_uri: 's3://sweep-bucket/in/a.csv' });
    await call('check_s3_source', { bucket: 'sweep-bucket', prefix: 'in/', glob: '*.csv' });
    await call('check_s3_source', { bucket: 'no-such-bucket', glob: '*.csv' });
    const dry = await call('put_batch', { dataset_id: 'gs.dataset-1', source: s3src('small.csv'), file_format: FORMAT });
    await call('put_batch', { dataset_id: 'gs.dataset-1', source: { s3: { ...s3src('*.csv').s3, role_arn: 'arn:aws:s3:::x' } }, file_format: FORMAT });
    await call('put_batch', { dataset_id: 'gs.dataset-1', source: s3src('small.csv'), file_format: FORMAT, dry_run: false, confirmation: 'dryrun-forged' });
    const token = (dry.structuredContent as { confirmation: { token: string } }).confirmation.token;
    await call('put_batch', { dataset_id: 'gs.dataset-1', source: s3src('small.csv'), file_format: FORMAT, dry_run: false, confirmation: token });
    const bigDry = await call('put_batch', { dataset_id: 'gs.dataset-1', source: s3src('big.csv'), file_format: FORMAT, dry_run: 5 });
    const big = await call('put_batch', {
      dataset_id: 'gs.dataset-1',
      source: s3src('big.csv'),
      file_format: FORMAT,
      dry_run: false,
      confirmation: (bigDry.structuredContent as { confirmation: { token: string } }).confirmation.token,
    });
    const bigId = (big.structuredContent as { job: { id: string } }).job.id;
    await call('abort_batch', { batch_id: bigId });
    await call('abort_batch', { batch_id: bigId }); // already aborted: an error
    await call('get_batch', { batch_id: bigId, wait_seconds: 2 });
    await call('get_batch', { batch_id: 'no-such-batch' });
    await call('check_import', { batch_id: bigId });
    await call('check_import', { batch_id: 'no-such-batch' });
    await call('add_enum_values', { dataset_id: 'gs.dataset-1', property: 'transportation_mode', values: ['scooter'] });
    await call('add_enum_values', { dataset_id: 'gs.dataset-1', property: 'no_such_property', values: ['x'] });
    await call('put_batch', { dataset_id: 'gs.dataset-1', source: { s3_presigned: { bucket: 'sweep-bucket', prefix: 'in/', glob: '*.csv' } }, file_format: FORMAT });
    await call('put_batch', { dataset_id: 'gs.dataset-1', source: { s3_presigned: { bucket: 'sweep-bucket', prefix: 'in/', glob: '*.parquet' } }, file_format: FORMAT });

    for (const tool of ['get_aws_trust_policy', 'get_dataset', 'infer_csv_format', 'check_s3_source', 'put_batch', 'abort_batch', 'get_batch', 'check_import', 'add_enum_values']) {
      expect([...(covered.get(tool) ?? [])].sort(), tool).toEqual(['error', 'ok']);
    }
  });

  it('in no result, no text content, and nothing on stderr', () => {
    seen.push(mcp.stderr());
    expect(mcp.stderr()).toMatch(/done in \d+ ms/); // debug logging was on
    for (const s of seen) expect(s).not.toContain(MARKER);
  });
});
