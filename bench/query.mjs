#!/usr/bin/env node
// The sandbox's Query API over BENCH_POINTS (5,000,000) stored points: a count with a time and
// bounding-box filter, and the records of one entity over a day, each BENCH_RUNS (15) times over HTTP
// (the whole SSE stream read), with the sandbox server's RSS sampled while it answers.
// The points are written straight into a state folder with the store's own segment writer (fast:
// no CSV round trip), then `dfi-ingest-mcp sandbox --state-dir` is started on that folder.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { PointStore } from '../dist/sandbox/store/points.js';
import { SegmentWriter } from '../dist/sandbox/store/segment.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const quick = process.argv.includes('--quick');
const POINTS = Number(process.env.BENCH_POINTS ?? (quick ? 500_000 : 5_000_000));
const RUNS = Number(process.env.BENCH_RUNS ?? (quick ? 5 : 15));
const ENTITIES = 10_000;
const DAYS = 30;
const T0 = Date.UTC(2024, 0, 1);
const out = (s = '') => process.stdout.write(`${s}\n`);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dfi-bench-query-'));
const stateDir = path.join(tmp, 'state');

// Deterministic: the same points on every run.
let seed = 7;
const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);

async function generate() {
  const t0 = performance.now();
  // The bundled dataset gs.dataset-1 is its own DFI instance: "dataset:gs.dataset-1".
  const store = await PointStore.open(path.join(stateDir, 'sandbox', 'points'));
  const pending = await store.begin('dataset:gs.dataset-1', { datasetId: 'gs.dataset-1', batchId: 'bench', entity: 0, time: 1, lon: 2, lat: 3, props: [] });
  const w = new SegmentWriter(pending.target);
  // Each vehicle has a home in Europe and moves around it; points arrive in time order.
  const home = Array.from({ length: ENTITIES }, () => [-10 + rnd() * 40, 36 + rnd() * 24]);
  const ids = Array.from({ length: ENTITIES }, (_, k) => `veh-${String(k).padStart(5, '0')}`);
  const step = (DAYS * 86_400_000) / POINTS;
  for (let i = 0; i < POINTS; i++) {
    const e = (rnd() * ENTITIES) | 0;
    const h = home[e];
    w.addPoint(ids[e], Math.floor(T0 + i * step), h[0] + (rnd() - 0.5) * 0.5, h[1] + (rnd() - 0.5) * 0.5);
  }
  w.close();
  await pending.commit();
  const bytes = fs.readdirSync(path.join(stateDir, 'sandbox', 'points'), { recursive: true }).reduce((a, f) => {
    const p = path.join(stateDir, 'sandbox', 'points', String(f));
    return a + (fs.statSync(p).isFile() ? fs.statSync(p).size : 0);
  }, 0);
  return { ms: performance.now() - t0, bytes };
}

// The real command, `dfi-ingest-mcp sandbox`, on the generated state folder.
function startServer() {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('DFI_')));
  const child = spawn(process.execPath, [path.join(root, 'dist', 'index.js'), 'sandbox', '--port', '0', '--state-dir', stateDir], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr.on('data', (d) => {
      err += String(d);
      const m = /listening at (http:\/\/\S+)/.exec(err);
      if (m) resolve({ child, url: m[1] });
    });
    child.once('exit', (code) => reject(new Error(`the sandbox exited with ${code}: ${err}`)));
  });
}

function rssMb(pid) {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
    return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
  } catch {
    return null;
  }
}

async function query(url, doc) {
  const t0 = performance.now();
  const res = await fetch(`${url}/v1/query`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'text/event-stream' }, body: JSON.stringify(doc) });
  const text = await res.text();
  const ms = performance.now() - t0;
  const messages = [...text.matchAll(/event: message\ndata: (.*)\n\n/g)].map((m) => JSON.parse(m[1]));
  if (!/event: finish\ndata: \{"messageCount":\d+\}\n\n$/.test(text)) throw new Error(`bad stream: ${text.slice(0, 300)}`);
  return { ms, messages };
}

out(`sandbox Query API bench: ${POINTS.toLocaleString('en')} points, ${ENTITIES.toLocaleString('en')} entities, ${DAYS} days; ${RUNS} runs each`);
const gen = await generate();
out(`generated and stored in ${(gen.ms / 1000).toFixed(1)} s: ${(gen.bytes / 2 ** 20).toFixed(0)} MB on disk (${(gen.bytes / POINTS).toFixed(1)} bytes/point)`);
const { child, url } = await startServer();
const samples = [];
const sampler = setInterval(() => {
  const r = rssMb(child.pid);
  if (r) samples.push(r.rss);
}, 20);
const week = { minTime: new Date(T0 + 7 * 86_400_000).toISOString(), maxTime: new Date(T0 + 14 * 86_400_000).toISOString() };
const day = { minTime: new Date(T0 + 10 * 86_400_000).toISOString(), maxTime: new Date(T0 + 11 * 86_400_000).toISOString() };
const cases = [
  ['count, one week and a box (N France / S England)', { datasetId: 'gs.dataset-1', filters: { time: week, geo: { type: 'BoundingBox', bounds: [-2, 48, 3, 52] } }, return: { type: 'count' } }, (m) => m.reduce((a, b) => a + b, 0)],
  ['records of one entity over a day', { datasetId: 'gs.dataset-1', filters: { id: ['veh-04242'], time: day }, return: { type: 'records' } }, (m) => m.flat().length],
  ['count, everything', { datasetId: 'gs.dataset-1', filters: {}, return: { type: 'count' } }, (m) => m.reduce((a, b) => a + b, 0)],
];
const results = {};
for (const [name, doc, size] of cases) {
  const times = [];
  let n = 0;
  for (let i = 0; i < RUNS; i++) {
    const r = await query(url, doc);
    times.push(r.ms);
    n = size(r.messages);
  }
  results[name] = { medianMs: median(times), minMs: Math.min(...times), result: n };
  out(`  ${name}: median ${median(times).toFixed(1)} ms (min ${Math.min(...times).toFixed(1)} ms), result ${n.toLocaleString('en')}`);
}
clearInterval(sampler);
const peak = rssMb(child.pid);
out(`  sandbox server RSS while answering: max sampled ${Math.max(...samples).toFixed(0)} MB, peak (VmHWM) ${peak?.hwm.toFixed(0)} MB`);
child.kill();
fs.rmSync(tmp, { recursive: true, force: true });
const summary = { date: new Date().toISOString(), points: POINTS, runs: RUNS, generateSeconds: gen.ms / 1000, bytesOnDisk: gen.bytes, queries: results, rssMaxMb: Math.max(...samples), rssPeakMb: peak?.hwm };
fs.writeFileSync(path.join(root, 'bench', 'query-results.json'), `${JSON.stringify(summary, null, 2)}\n`);
const ok = results[cases[0][0]].medianMs <= 300 && results[cases[1][0]].medianMs <= 300 && (peak?.hwm ?? 0) <= 300;
out(ok ? 'targets met: each ≤ 300 ms median, RSS ≤ 300 MB' : 'TARGETS MISSED: each ≤ 300 ms median, RSS ≤ 300 MB');
