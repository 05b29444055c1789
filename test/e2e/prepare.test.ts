import fs from 'node:fs';
import http from 'node:http';
import zlib from 'node:zlib';
import os from 'node:os';
import path from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, ListMultipartUploadsCommand, S3Client } from '@aws-sdk/client-s3';
import type { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMcp, structured, text, type McpSession } from '../helpers/mcp.js';
import { s3Env, startS3, type S3Server } from '../helpers/s3.js';
import { AIS_RECIPE, BIKE_RECIPE } from '../fixtures/prepare/recipes.mjs';

// AIS as MarineCadastre writes it: CRLF, a header, ISO times without offset (UTC), decimal knots.
const AIS_HEADER = 'MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,Status\r\n';
function ais(rows: number, seed = 0): string {
  let s = AIS_HEADER;
  for (let i = 0; i < rows; i++) {
    const v = (i + seed) % 50;
    const t = new Date(Date.UTC(2024, 0, 1) + i * 1000).toISOString().slice(0, 19);
    // Every 500th row has a broken time: it must be rejected, counted, and never written.
    s += `${367000000 + v},${i % 500 === 499 ? 'n/a' : t},${(40 + v * 0.01 + i * 1e-6).toFixed(5)},${(-74 + v * 0.01 - i * 1e-6).toFixed(5)},${((i % 230) / 10).toFixed(1)},${(i % 360).toFixed(1)},511,VESSEL ${v},under way using engine\r\n`;
  }
  return s;
}

// Citi Bike 2016: every field quoted, US local times in New York.
function bikes(rows: number): string {
  let s = '"tripduration","starttime","stoptime","start station id","start station name","start station latitude","start station longitude","end station id","end station name","end station latitude","end station longitude","bikeid","usertype","birth year","gender"\n';
  for (let i = 0; i < rows; i++) {
    const m = i % 60;
    s += `"${300 + i}","1/${1 + (i % 28)}/2016 ${String(i % 24).padStart(2, '0')}:${String(m).padStart(2, '0')}:41","1/1/2016 00:10:00","72","W 52 St & 11 Ave","40.76727216","-73.99392888","379","W 31 St & 7 Ave","40.749156","-73.9916","${22000 + (i % 40)}","${i % 3 ? 'Subscriber' : 'Customer'}","1980","1"\n`;
  }
  return s;
}

let s3: S3Server;
let mcp: McpSession;
let admin: S3Client;
let home: string;
let env: Record<string, string>;

async function keysUnder(bucket: string, prefix: string): Promise<string[]> {
  const r = await admin.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return (r.Contents ?? []).map((o) => o.Key!).sort();
}
async function body(bucket: string, key: string): Promise<string> {
  const r = await admin.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return r.Body!.transformToString();
}

async function prepare(session: McpSession, args: Record<string, unknown>) {
  const dry = structured(await session.call('prepare_files', args));
  expect(dry.verdict, JSON.stringify(dry.rejects)).toBe('fits');
  return structured(await session.call('prepare_files', { ...args, dry_run: false, confirmation: dry.confirmation.token }));
}
async function waitJob(session: McpSession, id: string) {
  for (;;) {
    const r = structured(await session.call('get_prepare_job', { job_id: id, wait_seconds: 20 }));
    if (r.terminal) return r;
  }
}

beforeAll(async () => {
  s3 = await startS3();
  await s3.bucket('acme-ais');
  await s3.put('acme-ais', 'raw/2024/ais-01.csv.gz', ais(3000, 1), true);
  await s3.put('acme-ais', 'raw/2024/ais-02.csv.gz', ais(3000, 2), true);
  await s3.bucket('bikes');
  await s3.put('bikes', 'citibike/201601-citibike-tripdata.csv', bikes(2000));
  admin = new S3Client({ endpoint: s3.endpoint, forcePathStyle: true, region: 'us-east-1', credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'dfi-prepare-'));
  const datasets = path.join(home, 'datasets.json');
  fs.writeFileSync(
    datasets,
    JSON.stringify({
      datasets: [
        { id: 'gs.ais', name: 'AIS', dataDescription: { metadataSchema: { speed: { type: 'number', signed: false, nullable: true } } } },
        { id: 'gs.bikes', name: 'Bikes', dataDescription: { metadataSchema: { usertype: { type: 'enum', values: ['member', 'casual'], nullable: false } } } },
      ],
    }),
  );
  env = { ...s3Env(s3.endpoint), HOME: home, DFI_SANDBOX_DATASETS: datasets };
  mcp = await startMcp(['--sandbox'], env);
}, 120_000);
afterAll(async () => {
  await mcp?.close();
  admin?.destroy();
  await s3?.close();
  if (home) fs.rmSync(home, { recursive: true, force: true });
});

describe('prepare_files, then put_batch, in the sandbox over stdio', () => {
  it('dry-runs AIS gzip files: before and after side by side, rejects by cause, an estimate, nothing written', async () => {
    const r = structured(await mcp.call('prepare_files', { source: { s3: { bucket: 'acme-ais', prefix: 'raw/2024/', glob: '*.csv.gz' } }, recipe: AIS_RECIPE, rows: 1000 }));
    expect(r.target).toBe('s3://acme-ais/dfi-prepared/raw/2024/');
    expect(r.verdict).toBe('fits');
    expect(r.files.total).toBe(2);
    expect(r.rows).toMatchObject({ checked: 2000, written: 1996, rejected: { bad_time: 4 } });
    expect(r.sideBySide[0].before.slice(0, 5)).toEqual(['367000001', '2024-01-01T00:00:00', '40.01000', '-73.99000', '0.0']);
    expect(r.sideBySide[0].after).toBe('367000001,1704067200000,-73.99000,40.01000,0');
    expect(r.rejects[0]).toMatchObject({ file: 'raw/2024/ais-01.csv.gz', line: 501, cause: 'bad_time' });
    expect(r.estimate.outputBytes).toBeGreaterThan(0);
    expect(r.put_batch.file_format).toEqual({ entity_id: 0, timestamp: 1, longitude: 2, latitude: 3, speed: 4 });
    expect(r.confirmation.token).toMatch(/^dryrun-/);
    expect(await keysUnder('acme-ais', 'dfi-prepared/')).toEqual([]);
  });

  it('prepares the AIS files and imports the prepared copy with nearly all rows inserted; a re-run skips everything', async () => {
    const args = { source: { s3: { bucket: 'acme-ais', prefix: 'raw/2024/', glob: '*.csv.gz' } }, recipe: AIS_RECIPE };
    const started = await prepare(mcp, args);
    expect(started.job.status).toBe('running');
    const done = await waitJob(mcp, started.job.id);
    expect(done.job).toMatchObject({ status: 'finished', files: { total: 2, done: 2, skipped: 0, failed: 0 }, rows: 6000, written: 5988, rejected: { bad_time: 12 } });
    expect(await keysUnder('acme-ais', 'dfi-prepared/raw/2024/')).toEqual(['dfi-prepared/raw/2024/_dfi-manifest.json', 'dfi-prepared/raw/2024/ais-01.csv', 'dfi-prepared/raw/2024/ais-02.csv']);
    const manifest = JSON.parse(await body('acme-ais', 'dfi-prepared/raw/2024/_dfi-manifest.json'));
    expect(manifest.outputs['dfi-prepared/raw/2024/ais-01.csv']).toMatchObject({ sourceKey: 'raw/2024/ais-01.csv.gz', written: 2994 });

    const pb = done.put_batch;
    const dry = structured(await mcp.call('put_batch', { dataset_id: 'gs.ais', source: pb.source, file_format: pb.file_format }));
    expect(dry.job.status).toBe('success');
    expect(dry.job.invalidCount).toBe(0);
    const real = structured(await mcp.call('put_batch', { dataset_id: 'gs.ais', source: pb.source, file_format: pb.file_format, dry_run: false, confirmation: dry.confirmation.token }));
    let job = real.job;
    while (!['finished', 'error', 'aborted'].includes(job.status)) job = structured(await mcp.call('get_batch', { batch_id: job.id, wait_seconds: 20 })).job;
    expect(job).toMatchObject({ status: 'finished', insertCount: 5988, invalidCount: 0 });
    // The ledger knows the import was the prepared copy of raw/2024/ (from the manifest).
    const listed = structured(await mcp.call('list_imports', { dataset_id: 'gs.ais' }));
    expect(listed.imports[0].preparedFrom).toMatchObject({ source: 's3://acme-ais/raw/2024/', files: 2 });

    const again = await prepare(mcp, args);
    const second = await waitJob(mcp, again.job.id);
    expect(second.job).toMatchObject({ status: 'finished', files: { done: 0, skipped: 2 } });
  });

  it('prepares a quoted bike-share file with US local times in New York and imports it', async () => {
    const args = { source: { s3: { bucket: 'bikes', prefix: 'citibike/', glob: '*.csv' } }, recipe: BIKE_RECIPE };
    const dry = structured(await mcp.call('prepare_files', args));
    // 1/1/2016 00:00:41 in New York is 05:00:41 UTC.
    expect(dry.sideBySide[0].after).toBe(`22000,${Date.UTC(2016, 0, 1, 5, 0, 41)},-73.99392888,40.76727216,casual`);
    const started = await prepare(mcp, args);
    const done = await waitJob(mcp, started.job.id);
    expect(done.job).toMatchObject({ status: 'finished', written: 2000 });
    const pb = done.put_batch;
    const d = structured(await mcp.call('put_batch', { dataset_id: 'gs.bikes', source: pb.source, file_format: pb.file_format }));
    const real = structured(await mcp.call('put_batch', { dataset_id: 'gs.bikes', source: pb.source, file_format: pb.file_format, dry_run: false, confirmation: d.confirmation.token }));
    let job = real.job;
    while (!['finished', 'error', 'aborted'].includes(job.status)) job = structured(await mcp.call('get_batch', { batch_id: job.id, wait_seconds: 20 })).job;
    expect(job).toMatchObject({ status: 'finished', insertCount: 2000, invalidCount: 0 });
  });

  it('refuses a recipe that does not fit, a local time without a zone, a target inside the source, and a real run without a dry run', async () => {
    const source = { s3: { bucket: 'bikes', prefix: 'citibike/', glob: '*.csv' } };
    const wrong = structured(await mcp.call('prepare_files', { source, recipe: { ...BIKE_RECIPE, columns: BIKE_RECIPE.columns.map((c) => (c.field === 'timestamp' ? { ...c, format: 'iso8601' } : c)) } }));
    expect(wrong.verdict).toBe('does_not_fit');
    expect(wrong.confirmation).toBeUndefined();
    expect(wrong.rejects[0]).toMatchObject({ line: 2, cause: 'bad_time' });
    const noZone = await mcp.call('prepare_files', { source, recipe: { ...BIKE_RECIPE, columns: BIKE_RECIPE.columns.map((c) => (c.field === 'timestamp' ? { field: 'timestamp', kind: 'time', column: 1, format: 'us' } : c)) } });
    expect(noZone.isError).toBe(true);
    expect(text(noZone)).toMatch(/time_zone/);
    const inside = await mcp.call('prepare_files', { source, recipe: BIKE_RECIPE, target: 's3://bikes/citibike/prepared/' });
    expect(inside.isError).toBe(true);
    expect(text(inside)).toMatch(/inside the source/);
    const unconfirmed = await mcp.call('prepare_files', { source, recipe: BIKE_RECIPE, dry_run: false });
    expect(unconfirmed.isError).toBe(true);
    expect(text(unconfirmed)).toMatch(/nothing was written/);
  });

  it('a file with a known bad row: does_not_fit by default, a confirmation with max_reject_share, the bad row counted and never written', async () => {
    await s3.bucket('tiny');
    // Six rows, one with a time that is not a time: 1 of 6 (16.7%) is more than the default 10%.
    await s3.put('tiny', 'in/six.csv', ais(6).replace('2024-01-01T00:00:03', '2024-13-01T00:00:03'));
    const args = { source: { s3: { bucket: 'tiny', prefix: 'in/', glob: '*.csv' } }, recipe: AIS_RECIPE };
    const strict = structured(await mcp.call('prepare_files', args));
    expect(strict).toMatchObject({ verdict: 'does_not_fit', rows: { checked: 6, written: 5, rejected: { bad_time: 1 } }, rejectShare: { seen: 0.1667, allowed: 0.1 } });
    expect(strict.confirmation).toBeUndefined();
    expect(strict.nextSteps.join(' ')).toMatch(/max_reject_share: 0\.17/);
    const lenient = structured(await mcp.call('prepare_files', { ...args, max_reject_share: 0.17 }));
    expect(lenient).toMatchObject({ verdict: 'fits', rejectShare: { allowed: 0.17 } });
    expect(lenient.nextSteps[0]).toMatch(/1 rejected \(1 bad_time/);
    const started = structured(await mcp.call('prepare_files', { ...args, dry_run: false, confirmation: lenient.confirmation.token }));
    const done = await waitJob(mcp, started.job.id);
    expect(done.job).toMatchObject({ status: 'finished', rows: 6, written: 5, rejected: { bad_time: 1 } });
    expect((await body('tiny', 'dfi-prepared/in/six.csv')).trim().split('\n')).toHaveLength(5);
  });

  it('prepares URL sources through the guarded GET (a local server, allowed with --allow-private-urls)', async () => {
    const gz = zlib.gzipSync(ais(1500, 3));
    const server = http.createServer((req, res) => {
      if (req.url === '/feeds/ais-3.csv.gz') res.writeHead(200, { 'content-type': 'application/gzip', etag: '"v1"' }).end(gz);
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const session = await startMcp(['--sandbox', '--allow-private-urls'], env);
    try {
      const args = { source: { urls: [`${base}/feeds/ais-3.csv.gz`] }, recipe: AIS_RECIPE, target: 's3://acme-ais/from-urls/' };
      const started = await prepare(session, args);
      const done = await waitJob(session, started.job.id);
      expect(done.job).toMatchObject({ status: 'finished', rows: 1500, written: 1497, rejected: { bad_time: 3 } });
      expect(await keysUnder('acme-ais', 'from-urls/')).toEqual(['from-urls/_dfi-manifest.json', 'from-urls/feeds/ais-3.csv']);
      const missing = await session.call('prepare_files', { ...args, source: { urls: [`${base}/nope.csv`] } });
      expect(missing.isError).toBe(true);
      expect(text(missing)).toMatch(/HTTP 404/);
    } finally {
      await session.close();
      server.close();
    }
  });

  it('cancelled during a preparation: the conversion thread stops, finished outputs stay, nothing half-written is listed', async () => {
    await s3.bucket('cancel-ais');
    for (let i = 0; i < 4; i++) await s3.put('cancel-ais', `raw/part-${i}.csv.gz`, ais(60_000, i), true);
    const args = { source: { s3: { bucket: 'cancel-ais', prefix: 'raw/', glob: '*.csv.gz' } }, recipe: AIS_RECIPE, parallel: 1 };
    const started = await prepare(mcp, args);
    for (;;) {
      const state = structured(await mcp.call('get_prepare_job', { job_id: started.job.id })).job;
      if (state.files.done >= 1 || state.status !== 'running') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const cancelled = await mcp.call('cancel_prepare_job', { job_id: started.job.id });
    expect(cancelled.isError).toBeFalsy();
    const done = await waitJob(mcp, started.job.id);
    expect(done.job.status).toBe('cancelled');
    const keys = await keysUnder('cancel-ais', 'dfi-prepared/raw/');
    // The manifest and the outputs finished before the cancel; each complete (60,000 rows less the 120 bad times).
    expect(keys.filter((k) => k.endsWith('.csv'))).toHaveLength(done.job.files.done);
    for (const k of keys.filter((k) => k.endsWith('.csv'))) expect((await body('cancel-ais', k)).split('\n').length - 1).toBe(60_000 - 120);
    expect(done.job.files.done).toBeLessThan(4);
  }, 300_000);

  it('killed during a preparation, run again: finishes without duplicates or partial objects', async () => {
    await s3.bucket('big-ais');
    const files = 5;
    const rows = 60_000;
    for (let i = 0; i < files; i++) await s3.put('big-ais', `raw/part-${i}.csv.gz`, ais(rows, i), true);
    const args = { source: { s3: { bucket: 'big-ais', prefix: 'raw/', glob: '*.csv.gz' } }, recipe: AIS_RECIPE, parallel: 1 };
    const first = await startMcp(['--sandbox'], env);
    const started = await prepare(first, args);
    let state;
    for (;;) {
      state = structured(await first.call('get_prepare_job', { job_id: started.job.id })).job;
      if (state.files.done >= 1 || state.status !== 'running') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(state.status).toBe('running');
    process.kill((first.client.transport as StdioClientTransport).pid!, 'SIGKILL');
    await first.close().catch(() => undefined);

    const second = await startMcp(['--sandbox'], env);
    try {
      const again = await prepare(second, args);
      const done = await waitJob(second, again.job.id);
      expect(done.job.status).toBe('finished');
      expect(done.job.files.skipped).toBeGreaterThanOrEqual(1);
      expect(done.job.files.done + done.job.files.skipped).toBe(files);
    } finally {
      await second.close();
    }
    const keys = await keysUnder('big-ais', 'dfi-prepared/raw/');
    expect(keys).toEqual(['dfi-prepared/raw/_dfi-manifest.json', ...Array.from({ length: files }, (_, i) => `dfi-prepared/raw/part-${i}.csv`)]);
    let lines = 0;
    for (const k of keys.filter((k) => k.endsWith('.csv'))) lines += (await body('big-ais', k)).split('\n').length - 1;
    expect(lines).toBe(files * (rows - rows / 500));
    // The upload killed half-way is an incomplete multipart upload: never an object.
    const uploads = await admin.send(new ListMultipartUploadsCommand({ Bucket: 'big-ais' })).catch(() => ({ Uploads: [] }));
    for (const u of uploads.Uploads ?? []) expect(keys).not.toContain(u.Key);
  }, 300_000);
});
