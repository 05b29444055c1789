#!/usr/bin/env node
// npm run bench: what users feel (latency of each call, start-up) and how much of their data the
// server touches, each next to a baseline measured in the same run. Figures go to stdout and to
// bench/results.json. Sizes: BENCH_ROWS (1,000,000), BENCH_OBJECT_MB (100), BENCH_KEYS (10,000),
// BENCH_RUNS (15); `npm run bench -- --quick` uses small sizes (under a minute);
// `node bench/run.mjs --cold-start` measures the cold start only (nothing written).

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { inferCsvFormat } from '../dist/csv/infer.js';
import { sampleFromText } from '../dist/csv/sample.js';
import { validateFile, validateStream } from '../dist/csv/bulk.js';
import { compileRowValidator } from '../dist/csv/validate.js';
import { s3Env, startS3 } from '../test/helpers/s3-server.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const quick = process.argv.includes('--quick');
const num = (name, full, small) => Number(process.env[name] ?? (quick ? small : full));
const ROWS = num('BENCH_ROWS', 1_000_000, 200_000);
const OBJECT_MB = num('BENCH_OBJECT_MB', 100, 20);
const KEYS = num('BENCH_KEYS', 10_000, 1_000);
const RUNS = num('BENCH_RUNS', 15, 5);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dfi-bench-'));
const out = (s = '') => process.stdout.write(`${s}\n`);
const results = { date: new Date().toISOString(), quick, sizes: { ROWS, OBJECT_MB, KEYS, RUNS }, machine: machine() };
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('DFI_')));

function machine() {
  const cpus = os.cpus();
  return { cpu: cpus[0]?.model ?? 'unknown', cores: cpus.length, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, os: `${os.type()} ${os.release()}` };
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const p95 = (xs) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.95))];
const ms = (x) => `${x.toFixed(1)} ms`;
const schema = JSON.parse(fs.readFileSync(path.join(root, 'examples', 'datasets.json'), 'utf8')).datasets[0].dataDescription.metadataSchema;
const FORMAT = { entityId: 0, timestamp: 1, longitude: 2, latitude: 3, ipv4: 4, age: 5, home_ipv4: 6, route_id: 7, credit_card_provider: 8, transportation_mode: 9 };
const TOOL_FORMAT = { entity_id: 0, timestamp: 1, longitude: 2, latitude: 3, ipv4: 4, age: 5, home_ipv4: 6, route_id: 7, credit_card_provider: 8, transportation_mode: 9 };
const ROLE_ARN = 'arn:aws:iam::123456789123:role/my_role';

function row(i) {
  const e = i % 1000;
  return `aca5597c-8666-43bf-9c85-${String(e).padStart(12, '0')},${1640995676000 + i * 1000},${(-0.11 - e * 1e-4).toFixed(12)},${(51.54 + e * 1e-4).toFixed(12)},${i % 3 ? `10.0.0.${i % 250}` : ''},${i % 5 ? 30 + (i % 50) : ''},,${i % 40},${i % 4 ? 'visa' : ''},${['dwelling', 'driving', 'cycling', 'walking'][i % 4]}`;
}
function generate(file, rows) {
  const fd = fs.openSync(file, 'w');
  for (let i = 0; i < rows; i += 10_000) fs.writeSync(fd, `${Array.from({ length: Math.min(10_000, rows - i) }, (_, k) => row(i + k)).join('\n')}\n`);
  fs.closeSync(fd);
}

async function connect(args, extraEnv = {}, cwd = root) {
  const transport = new StdioClientTransport({ command: process.execPath, args, cwd, env: { ...env, ...extraEnv }, stderr: 'ignore' });
  const client = new Client({ name: 'bench', version: '1' });
  await client.connect(transport);
  return { client, pid: transport.pid };
}

// ---- 1. cold start ----------------------------------------------------------------------------
/** spawn -> initialize -> tools/list with a bare JSON-RPC client: the server's own start-up, nothing of a client's. */
function rawStart(args) {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const child = spawn(process.execPath, args, { cwd: root, env, stdio: ['pipe', 'pipe', 'ignore'] });
    let buf = '';
    let listed = false;
    child.on('error', reject);
    child.stdout.on('data', (d) => {
      buf += d;
      if (!listed && buf.includes('"id":1')) {
        listed = true;
        child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}\n${JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' })}\n`);
      }
      if (buf.includes('"id":2')) {
        resolve(performance.now() - t);
        child.kill();
      }
    });
    child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench', version: '0' } } })}\n`);
  });
}

async function coldStart() {
  const serverArgs = [path.join(root, 'dist', 'index.js'), '--sandbox'];
  const minimalArgs = [path.join(root, 'bench', 'minimal-server.mjs')];
  const ours = [];
  const minimal = [];
  const oursSdk = [];
  const minimalSdk = [];
  for (let i = 0; i < RUNS * 2; i++) {
    ours.push(await rawStart(serverArgs));
    minimal.push(await rawStart(minimalArgs));
  }
  // The same through the SDK's Client, which also compiles validators for every output schema.
  for (let i = 0; i < RUNS; i++) {
    for (const [list, args] of [[oursSdk, serverArgs], [minimalSdk, minimalArgs]]) {
      const t = performance.now();
      const { client } = await connect(args);
      await client.listTools();
      list.push(performance.now() - t);
      await client.close();
    }
  }
  const r = { oursMs: median(ours), minimalMs: median(minimal), ratio: median(ours) / median(minimal), withSdkClient: { oursMs: median(oursSdk), minimalMs: median(minimalSdk), ratio: median(oursSdk) / median(minimalSdk) } };
  out(`1. cold start, spawn -> initialize -> tools/list (median of ${RUNS * 2}, interleaved): ${ms(r.oursMs)} vs a minimal server on the same SDK (one tool) ${ms(r.minimalMs)}: ratio ${r.ratio.toFixed(2)} (target <= 1.2)`);
  out(`   through the SDK's Client (it compiles a validator per output schema): ${ms(r.withSdkClient.oursMs)} vs ${ms(r.withSdkClient.minimalMs)}: ratio ${r.withSdkClient.ratio.toFixed(2)}`);
  return r;
}

// ---- 2. tool latency --------------------------------------------------------------------------
async function toolLatency() {
  let text = '';
  for (let i = 0; Buffer.byteLength(text) < 64 * 1024; i++) text += `${row(i)}\n`;
  text = text.slice(0, 64 * 1024);
  const inproc = [];
  for (let i = 0; i < RUNS * 4; i++) {
    const t = performance.now();
    inferCsvFormat(sampleFromText(text));
    inproc.push(performance.now() - t);
  }
  const { client } = await connect([path.join(root, 'dist', 'index.js'), '--sandbox']);
  const time = async (name, args) => {
    const xs = [];
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now();
      const r = await client.callTool({ name, arguments: args });
      if (r.isError) throw new Error(`${name}: ${JSON.stringify(r.content)}`);
      xs.push(performance.now() - t);
    }
    return { medianMs: median(xs), p95Ms: p95(xs) };
  };
  const overStdio = await time('infer_csv_format', { sample: text });
  const dryRun = await time('put_batch', { dataset_id: 'gs.dataset-1', source: { s3: { bucket: 'my_bucket', prefix: 'my_path/', glob: '*.csv', role_arn: ROLE_ARN } }, file_format: TOOL_FORMAT });
  const job = await client.callTool({ name: 'put_batch', arguments: { dataset_id: 'gs.dataset-1', source: { s3: { bucket: 'my_bucket', prefix: 'my_path/', glob: '*.csv', role_arn: ROLE_ARN } }, file_format: TOOL_FORMAT, dry_run: 10 } });
  const getBatch = await time('get_batch', { batch_id: job.structuredContent.job.id });
  await client.close();
  const r = { inferInProcess: { medianMs: median(inproc), p95Ms: p95(inproc) }, inferOverStdio: overStdio, putBatchDryRun: dryRun, getBatch };
  out('2. tool latency (64 KiB sample for inference; the sandbox for the job calls)');
  out(`   infer_csv_format in-process: median ${ms(r.inferInProcess.medianMs)}, p95 ${ms(r.inferInProcess.p95Ms)} (target median <= 20 ms)`);
  out(`   infer_csv_format over stdio: median ${ms(overStdio.medianMs)}, p95 ${ms(overStdio.p95Ms)}`);
  out(`   put_batch dry run (3 files, 100 rows each): median ${ms(dryRun.medianMs)}, p95 ${ms(dryRun.p95Ms)}`);
  out(`   get_batch: median ${ms(getBatch.medianMs)}, p95 ${ms(getBatch.p95Ms)}`);
  return r;
}

// ---- 3. bulk validation throughput ------------------------------------------------------------
async function throughput(file) {
  const mb = fs.statSync(file).size / 1048576;
  const timeIt = async (fn) => {
    const t = performance.now();
    const rows = await fn();
    const s = (performance.now() - t) / 1000;
    return { seconds: s, rowsPerSec: rows / s, mbPerSec: mb / s };
  };
  const read = await timeIt(async () => {
    for await (const _ of fs.createReadStream(file, { highWaterMark: 1 << 20 }));
    return ROWS;
  });
  const csvParse = await timeIt(async () => {
    let n = 0;
    for await (const _ of fs.createReadStream(file, { highWaterMark: 1 << 20 }).pipe(parse({ relax_column_count: true }))) n++;
    return n;
  });
  const validator = compileRowValidator(FORMAT, schema);
  let check = { valid: 0, invalid: 0 };
  const single = await timeIt(async () => {
    const o = await validateStream(fs.createReadStream(file, { highWaterMark: 1 << 20 }), 'bench', (f) => validator.validate(f));
    check = o;
    return o.rows;
  });
  const parallel = await timeIt(async () => (await validateFile(file, 'bench', FORMAT, schema)).rows);
  let duckdb = null;
  try {
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const conn = await (await DuckDBInstance.create(':memory:')).connect();
    duckdb = await timeIt(async () => Number((await (await conn.runAndReadAll(`SELECT count(*) FROM read_csv('${file}', header=false, all_varchar=true)`)).getRows())[0][0]));
  } catch {
    /* not installed */
  }
  const fmt = (name, r) => `   ${name.padEnd(46)} ${(r.rowsPerSec / 1e6).toFixed(2)} M rows/s, ${r.mbPerSec.toFixed(0)} MB/s (${r.seconds.toFixed(2)} s)${r === csvParse ? '' : `, ${(r.rowsPerSec / csvParse.rowsPerSec).toFixed(1)}x csv-parse`}`;
  out(`3. bulk validation throughput: ${ROWS.toLocaleString('en')} rows, ${mb.toFixed(0)} MB, guide's ten columns (${check.valid} valid, ${check.invalid} invalid)`);
  out(fmt('plain read (the I/O floor)', read));
  out(fmt("csv-parse's raw parse (the baseline)", csvParse));
  out(fmt('scan + validate every row, one core', single));
  out(fmt(`scan + validate every row, ${Math.min(4, os.cpus().length)} cores (the sandbox)`, parallel));
  if (duckdb) out(fmt("DuckDB read_csv count (reference)", duckdb));
  else out('   DuckDB reference: not installed (npm install --no-save @duckdb/node-api, then run again)');
  out(`   target >= 4x csv-parse: ${(parallel.rowsPerSec / csvParse.rowsPerSec).toFixed(1)}x`);
  return { file: { rows: ROWS, mb }, read, csvParse, validateOneCore: single, validateAllCores: parallel, duckdb, ratioToCsvParse: parallel.rowsPerSec / csvParse.rowsPerSec };
}

// ---- 4. memory while importing ----------------------------------------------------------------
async function memory(file) {
  const s3root = path.join(tmp, 's3');
  fs.mkdirSync(path.join(s3root, 'bench', 'in'), { recursive: true });
  fs.renameSync(file, path.join(s3root, 'bench', 'in', 'rows.csv'));
  const { client, pid } = await connect([path.join(root, 'dist', 'index.js'), '--sandbox', '--sandbox-s3-root', s3root, '--allow-unconfirmed-imports']);
  const t = performance.now();
  const started = await client.callTool({ name: 'put_batch', arguments: { dataset_id: 'gs.dataset-1', source: { s3: { bucket: 'bench', prefix: 'in/', glob: '*.csv', role_arn: ROLE_ARN } }, file_format: TOOL_FORMAT, dry_run: false } });
  let job;
  for (;;) {
    job = (await client.callTool({ name: 'get_batch', arguments: { batch_id: started.structuredContent.job.id, wait_seconds: 50 } })).structuredContent;
    if (job.terminal) break;
  }
  const seconds = (performance.now() - t) / 1000;
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const peakMb = Number(/VmHWM:\s+(\d+)/.exec(status)[1]) / 1024;
  await client.close();
  const r = { peakRssMb: peakMb, seconds, status: job.job.status, insertCount: job.job.insertCount };
  out(`4. memory: the server importing the ${ROWS.toLocaleString('en')}-row file through the sandbox: peak RSS ${peakMb.toFixed(0)} MB (target <= 200 MB), ${seconds.toFixed(1)} s, ${job.job.status}, ${job.job.insertCount} rows`);
  return r;
}

// ---- 5. bytes touched -------------------------------------------------------------------------
async function bytesTouched() {
  const s3 = await startS3();
  const objectFile = path.join(tmp, 'object.csv');
  generate(objectFile, Math.ceil((OBJECT_MB * 1048576) / 110));
  const objectBytes = fs.statSync(objectFile).size;
  let urlBytes = 0;
  const server = http.createServer((req, res) => {
    const m = /bytes=(\d+)-(\d+)/.exec(req.headers.range ?? '');
    const [a, b] = m ? [Number(m[1]), Math.min(Number(m[2]), objectBytes - 1)] : [0, objectBytes - 1];
    res.writeHead(m ? 206 : 200, { 'content-length': String(b - a + 1), ...(m ? { 'content-range': `bytes ${a}-${b}/${objectBytes}` } : {}) });
    fs.createReadStream(objectFile, { start: a, end: b }).on('data', (d) => (urlBytes += d.length)).pipe(res);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  try {
    await s3.bucket('bench');
    await s3.put('bench', 'big/object.csv', fs.readFileSync(objectFile));
    const { client } = await connect([path.join(root, 'dist', 'index.js'), '--sandbox', '--allow-private-urls'], s3Env(s3.endpoint));
    s3.resetBytes();
    await client.callTool({ name: 'infer_csv_format', arguments: { s3_uri: 's3://bench/big/object.csv' } });
    const s3Bytes = s3.bytesDown();
    await client.callTool({ name: 'infer_csv_format', arguments: { url: `http://127.0.0.1:${server.address().port}/object.csv` } });
    // Listing and matching many keys.
    const body = 'x';
    for (let i = 0; i < KEYS; i += 100) await Promise.all(Array.from({ length: Math.min(100, KEYS - i) }, (_, k) => s3.put('bench', `keys/part-${i + k}.csv`, body)));
    const t = performance.now();
    const listed = await client.callTool({ name: 'check_s3_source', arguments: { bucket: 'bench', prefix: 'keys/', glob: '*.csv', sample_files: 0 } });
    const listMs = performance.now() - t;
    await client.close();
    const r = { objectMb: objectBytes / 1048576, maxBytes: 65536, s3BytesPerObject: s3Bytes, urlBytesPerObject: urlBytes, listKeys: KEYS, listMatched: listed.structuredContent.keys.matched, listMs };
    out(`5. bytes touched per sampled ${r.objectMb.toFixed(0)} MB object (max_bytes 64 KiB): S3 ${(s3Bytes / 1024).toFixed(1)} KiB on the wire (with HTTP headers), URL ${(urlBytes / 1024).toFixed(1)} KiB of body (target <= max_bytes + a few KiB)`);
    out(`   listing and matching ${KEYS.toLocaleString('en')} keys on s3rver: ${ms(listMs)} (${r.listMatched} matched)`);
    return r;
  } finally {
    server.close();
    await s3.close();
  }
}

try {
  out(`dfi-ingest-mcp benchmark${quick ? ' (quick)' : ''}: ${results.machine.cpu}, ${results.machine.cores} cores, ${results.machine.memoryGiB} GiB, Node ${results.machine.node}`);
  results.coldStart = await coldStart();
  if (process.argv.includes('--cold-start')) throw Object.assign(new Error('cold start only'), { done: true });
  results.toolLatency = await toolLatency();
  const file = path.join(tmp, 'rows.csv');
  generate(file, ROWS);
  results.throughput = await throughput(file);
  results.memory = await memory(file);
  results.bytesTouched = await bytesTouched();
  results.previewImage = await (await import('./preview.mjs')).previewImage(RUNS, out);
  fs.writeFileSync(path.join(root, 'bench', quick ? 'results.quick.json' : 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  out(`figures written to bench/${quick ? 'results.quick.json' : 'results.json'}`);
} catch (e) {
  if (!e.done) throw e;
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
