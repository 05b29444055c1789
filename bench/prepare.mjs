#!/usr/bin/env node
// prepare_files' throughput, memory and bytes read, next to baselines measured in the same run:
// - a 1,000,000-row gzip AIS-like file (ISO times, decimal speeds) from s3rver to s3rver, through
//   the server's converter and multipart upload, vs csv-parse + csv-stringify doing the same
//   conversion over the same S3 streams (target: >= 4x);
// - peak RSS of a process preparing 8 such files in parallel (target: <= 300 MB);
// - bytes read from S3 per source byte (byte-counting proxy; target: 1).
// Sizes: BENCH_PREP_ROWS (1,000,000; --quick 200,000). BENCH_PREP_PROFILE=<dir>: CPU profiles of the
// preparing processes (node --cpu-prof). BENCH_PREP_BIG_MB=1024: also one object of that many MB of CSV
// (opt-in: minutes), to show that per-object memory does not grow with the object's size. Results are merged into bench/results.json.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pipeline } from 'node:stream/promises';
import { Readable, Transform } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { createGzip, createGunzip } from 'node:zlib';
import { parse } from 'csv-parse';
import { stringify } from 'csv-stringify';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { s3Env, startS3 } from '../test/helpers/s3-server.mjs';
import { AIS_RECIPE_WITH_COURSE } from '../test/fixtures/prepare/recipes.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const quick = process.argv.includes('--quick');
const ROWS = Number(process.env.BENCH_PREP_ROWS ?? (quick ? 200_000 : 1_000_000));
const PARALLEL = 8;
const out = (s = '') => process.stdout.write(`${s}\n`);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dfi-bench-prep-'));

const RECIPE = AIS_RECIPE_WITH_COURSE;

async function makeFile(file, rows) {
  async function* gen() {
    yield 'MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,Status\r\n';
    for (let i = 0; i < rows; i += 10_000) {
      let s = '';
      for (let k = i; k < Math.min(rows, i + 10_000); k++) {
        const v = k % 500;
        const t = new Date(Date.UTC(2024, 0, 1) + k * 1000).toISOString().slice(0, 19);
        s += `${367000000 + v},${t},${(29 + v * 0.01 + k * 1e-7).toFixed(5)},${(-94 + v * 0.01 - k * 1e-7).toFixed(5)},${((k % 230) / 10).toFixed(1)},${(k % 3600) / 10},511,VESSEL ${v},under way using engine\r\n`;
      }
      yield s;
    }
  }
  await pipeline(Readable.from(gen()), createGzip({ level: 6 }), fs.createWriteStream(file));
}

function baselineTransform() {
  return new Transform({
    objectMode: true,
    transform(r, _e, cb) {
      const t = Date.parse(`${r[1]}Z`);
      const sp = Math.round(Number(r[4]) * 10);
      const co = Math.round(Number(r[5]) * 10);
      if (Number.isNaN(t) || Number.isNaN(sp) || Number.isNaN(co)) return cb();
      cb(null, [r[0], t, r[3], r[2], sp, co]);
    },
  });
}

/** The baseline: csv-parse + csv-stringify doing the same conversion, S3 to S3. */
async function baseline(client, bucket, key, outKey) {
  const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const body = res.Body.pipe(createGunzip()).pipe(parse({ from_line: 2, relax_column_count: true })).pipe(baselineTransform()).pipe(stringify());
  await new Upload({ client, params: { Bucket: bucket, Key: outKey, Body: body }, partSize: 5 * 1024 * 1024, queueSize: 2 }).done();
}

const CHILD = `
import { makeS3Client } from '${root}/dist/aws/s3.js';
import { s3Source, s3Target } from '${root}/dist/prepare/stores.js';
import { compileRecipe, parseRecipe, recipeHash } from '${root}/dist/prepare/recipe.js';
import { PrepareJob } from '${root}/dist/prepare/job.js';
const [bucket, prefix, glob, targetPrefix, parallel] = process.argv.slice(1);
let peak = 0;
let at = null;
const sample = () => { const m = process.memoryUsage(); if (m.rss > peak) { peak = m.rss; at = m; } };
const timer = setInterval(sample, 20);
const recipe = parseRecipe(JSON.parse(process.env.RECIPE)).recipe;
const client = await makeS3Client({ endpoint: process.env.AWS_ENDPOINT_URL_S3 });
const source = await s3Source(client, bucket, prefix, glob);
const target = await s3Target(await makeS3Client({ endpoint: process.env.AWS_ENDPOINT_URL_S3 }), bucket, targetPrefix);
const { objects } = await source.list(1000);
const t0 = performance.now();
const job = new PrepareJob({ source, sourcePrefix: prefix, target, recipe, compiled: await compileRecipe(recipe), recipeHash: recipeHash(recipe), objects }, Number(parallel), {}, null);
await job.done;
const ms = performance.now() - t0;
sample();
clearInterval(timer);
process.stdout.write(JSON.stringify({ ms, peak, at, status: job.status, counts: job.counts, errors: job.errors }) + '\\n');
`;

function runChild(env, args) {
  return new Promise((resolve, reject) => {
    const prof = process.env.BENCH_PREP_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PREP_PROFILE}`] : [];
    const child = spawn(process.execPath, [...prof, '--input-type=module', '-e', CHILD, ...args], { env: { ...process.env, ...env, RECIPE: JSON.stringify(RECIPE) }, stdio: ['ignore', 'pipe', 'inherit'] });
    let buf = '';
    child.stdout.on('data', (d) => (buf += d));
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(buf.trim().split('\n').pop())) : reject(new Error(`child exited ${code}`))));
  });
}

const results = {};
const s3 = await startS3();
try {
  const file = path.join(tmp, 'ais.csv.gz');
  out(`prepare_files bench: ${ROWS.toLocaleString('en')} rows, gzip AIS-like (ISO times, decimal speed and course), s3rver on 127.0.0.1`);
  await makeFile(file, ROWS);
  const gz = fs.readFileSync(file);
  const csvBytes = await new Promise((resolve) => {
    let n = 0;
    fs.createReadStream(file).pipe(createGunzip()).on('data', (d) => (n += d.length)).on('end', () => resolve(n));
  });
  out(`  file: ${(gz.length / 1e6).toFixed(1)} MB gzip, ${(csvBytes / 1e6).toFixed(1)} MB of CSV`);
  await s3.bucket('bench');
  await s3.put('bench', 'one/ais.csv.gz', gz);
  for (let i = 0; i < PARALLEL; i++) await s3.put('bench', `many/ais-${i}.csv.gz`, gz);
  // 0. the conversion alone, from the local gzip file to nowhere: where the CPU goes, without s3rver.
  const { compileRecipe, parseRecipe } = await import('../dist/prepare/recipe.js');
  const { convertStream } = await import('../dist/prepare/convert.js');
  const compiled = await compileRecipe(parseRecipe(RECIPE).recipe);
  let t = performance.now();
  await convertStream(fs.createReadStream(file, { highWaterMark: 256 * 1024 }), compiled, { write: () => undefined });
  const oursLocal = performance.now() - t;
  t = performance.now();
  await pipeline(fs.createReadStream(file), createGunzip(), parse({ from_line: 2, relax_column_count: true }), baselineTransform(), stringify(), async function* (src) {
    for await (const _ of src) void _;
  });
  const baseLocal = performance.now() - t;
  results.prepareConversion = { oursMs: Math.round(oursLocal), baselineMs: Math.round(baseLocal), ratio: +(baseLocal / oursLocal).toFixed(2), oursRowsPerS: Math.round(ROWS / (oursLocal / 1000)) };
  out(`  conversion alone (local gzip file -> discarded): ours ${(oursLocal / 1000).toFixed(2)} s (${results.prepareConversion.oursRowsPerS.toLocaleString('en')} rows/s), csv-parse + csv-stringify ${(baseLocal / 1000).toFixed(2)} s -> ratio ${results.prepareConversion.ratio}x (target >= 4x)`);
  const env = s3Env(s3.endpoint);
  const client = new S3Client({ endpoint: s3.endpoint, forcePathStyle: true, region: 'us-east-1', credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });

  // 1. ours, one file
  s3.resetBytes();
  const ours = await runChild(env, ['bench', 'one/', '*.csv.gz', 'out-ours/', '1']);
  const bytesRead = s3.bytesDown();
  if (ours.status !== "finished") throw new Error(`prepare failed: ${JSON.stringify(ours.errors)}`);
  // 2. baseline, same conversion
  t = performance.now();
  await baseline(client, 'bench', 'one/ais.csv.gz', 'out-base/ais.csv');
  const baseMs = performance.now() - t;
  const rate = (ms) => ROWS / (ms / 1000);
  results.prepare = {
    rows: ROWS,
    gzipBytes: gz.length,
    csvBytes,
    ours: { ms: Math.round(ours.ms), rowsPerS: Math.round(rate(ours.ms)), csvMBps: +(csvBytes / 1e6 / (ours.ms / 1000)).toFixed(1), written: ours.counts.written },
    baseline: { what: 'csv-parse + Transform + csv-stringify + lib-storage Upload', ms: Math.round(baseMs), rowsPerS: Math.round(rate(baseMs)) },
    ratio: +(baseMs / ours.ms).toFixed(2),
    bytesReadPerSourceByte: +(bytesRead / gz.length).toFixed(3),
  };
  out(`  ours: ${(ours.ms / 1000).toFixed(1)} s, ${Math.round(rate(ours.ms)).toLocaleString('en')} rows/s, ${results.prepare.ours.csvMBps} MB/s of CSV`);
  out(`  csv-parse + csv-stringify, same conversion, same S3: ${(baseMs / 1000).toFixed(1)} s, ${Math.round(rate(baseMs)).toLocaleString('en')} rows/s -> ratio ${results.prepare.ratio}x (target >= 4x)`);
  out(`  bytes read from S3 per source byte: ${results.prepare.bytesReadPerSourceByte} (responses incl. headers, listing and HEADs; target 1)`);

  // 3. eight in parallel: peak RSS of the preparing process
  t = performance.now();
  const many = await runChild(env, ['bench', 'many/', '*.csv.gz', 'out-many/', String(PARALLEL)]);
  results.prepare.parallel8 = { ms: Math.round(many.ms), peakRssMB: Math.round(many.peak / 2 ** 20), rowsPerS: Math.round((ROWS * PARALLEL) / (many.ms / 1000)), status: many.status };
  const mb = (n) => Math.round(n / 2 ** 20);
  results.prepare.parallel8.atPeakMB = { heapUsed: mb(many.at.heapUsed), heapTotal: mb(many.at.heapTotal), external: mb(many.at.external), arrayBuffers: mb(many.at.arrayBuffers) };
  out(`  8 files in parallel: ${(many.ms / 1000).toFixed(1)} s, peak RSS ${results.prepare.parallel8.peakRssMB} MB (target <= 300 MB; main thread at the peak: heap ${mb(many.at.heapUsed)}/${mb(many.at.heapTotal)} MB, buffers ${mb(many.at.arrayBuffers)} MB), ${results.prepare.parallel8.rowsPerS.toLocaleString('en')} rows/s`);
  // 4. opt-in: one object of BENCH_PREP_BIG_MB MB of CSV (e.g. 1024): per-object memory must not grow with the size.
  const bigMB = Number(process.env.BENCH_PREP_BIG_MB ?? 0);
  if (bigMB > 0) {
    const bigRows = Math.ceil((bigMB * 1e6) / (csvBytes / ROWS));
    const bigFile = path.join(tmp, 'big.csv.gz');
    await makeFile(bigFile, bigRows);
    await s3.bucket('bigbench');
    await s3.put('bigbench', 'big/ais.csv.gz', fs.readFileSync(bigFile));
    fs.rmSync(bigFile);
    const big = await runChild(env, ['bigbench', 'big/', '*.csv.gz', 'out-big/', '1']);
    results.prepare.bigObject = { csvMB: bigMB, rows: bigRows, ms: Math.round(big.ms), peakRssMB: Math.round(big.peak / 2 ** 20), oneMillionRowPeakRssMB: Math.round(ours.peak / 2 ** 20), status: big.status };
    out(`  one object of ${bigMB} MB of CSV (${bigRows.toLocaleString('en')} rows): ${(big.ms / 1000).toFixed(1)} s, peak RSS ${results.prepare.bigObject.peakRssMB} MB (the ${ROWS.toLocaleString('en')}-row object: ${results.prepare.bigObject.oneMillionRowPeakRssMB} MB)`);
  }
  client.destroy();
} finally {
  await s3.close();
  fs.rmSync(tmp, { recursive: true, force: true });
}
const file = path.join(root, 'bench', 'results.json');
const all = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : {};
fs.writeFileSync(file, `${JSON.stringify({ ...all, ...results }, null, 2)}\n`);
