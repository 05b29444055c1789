#!/usr/bin/env node
// npm run bench:infer: the inference engine's score on the corpus (development and held-out splits),
// its calibration (share right per confidence band), and its latency on 64 KiB samples.
// The held-out files are listed only with --show-holdout: tune on the development split only.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { inferCsvFormat } from '../dist/csv/infer.js';
import { decode } from '../dist/csv/sample.js';
import { loadCorpus, scoreCorpus } from './infer-score.mjs';

/** The engine before issue 16 (the corpus of 30 files, 30/30): the latency reference of the issue. */
const BASELINE_REF = '90f5d44';
const out = (s = '') => process.stdout.write(`${s}\n`);
const showHoldout = process.argv.includes('--show-holdout');
const infer = (bytes) => {
  const { text, encoding } = decode(bytes);
  return inferCsvFormat({ text, origin: 'bench', encoding, compression: 'none', truncated: false, bytesRead: bytes.length });
};

const pct = (a, n) => `${((100 * a) / Math.max(1, n)).toFixed(1)}%`;
function report(name, score, list) {
  out(`\n${name}: ${score.files} real-world schemas (test/fixtures/infer/)`);
  if (list) for (const r of score.rows) out(`  ${r.fullyRight ? 'ok  ' : 'MISS'} ${r.file.padEnd(36)} ${r.source}${r.problems.length ? `\n         ${r.problems.join('; ')}` : ''}`);
  out(`  dialect right:     ${score.dialectRight}/${score.files} (${pct(score.dialectRight, score.files)})`);
  out(`  fully right:       ${score.fullyRight}/${score.files} (${pct(score.fullyRight, score.files)})`);
  out(`  confidently wrong: ${score.confidentWrong}`);
}
function calibration(score) {
  out('\nCalibration over all files (mapped core fields: entity_id, timestamp, longitude, latitude)');
  out('  | confidence | fields | right | share right |');
  out('  | --- | --- | --- | --- |');
  for (const b of score.bands) out(`  | ${b.lo.toFixed(1)}–${b.hi < 1 ? `<${b.hi.toFixed(1)}` : '1.0'} | ${b.n} | ${b.right} | ${b.share === null ? '—' : pct(b.right, b.n)}${b.overConfident ? ' OVER-CONFIDENT' : ''} |`);
}

const dev = scoreCorpus(infer, 'dev');
const holdout = scoreCorpus(infer, 'holdout');
const all = scoreCorpus(infer);
report('Development split', dev, true);
report('Held-out split', holdout, showHoldout);
report('All', all, false);
calibration(all);
out('  targets: >= 97% fully right, 0 confidently wrong, 100% right at >= 0.7, no band over-confident');

// Latency: each corpus file repeated up to 64 KiB, inferred 10 times, by this engine and, in the same
// run and interleaved (so that load on the machine hits both alike), by a baseline engine built from
// git (default: the engine before issue 16; --baseline=<ref> for another, --no-baseline to skip).
const samples = loadCorpus().map(({ bytes }) => {
  const text = bytes.toString('utf8');
  const body = text.split('\n').slice(2).join('\n');
  let s = text;
  while (Buffer.byteLength(s) < 64 * 1024 && body.length > 0) s += body;
  return Buffer.from(s).subarray(0, 64 * 1024);
});
const baselineRef = process.argv.find((a) => a.startsWith('--baseline='))?.slice(11) ?? BASELINE_REF;
const baseline = process.argv.includes('--no-baseline') ? null : await loadBaseline(baselineRef);
if (baseline) {
  out(`\nThe baseline engine (${baselineRef.slice(0, 7)}) on the same splits:`);
  for (const [name, split] of [['development', 'dev'], ['held-out', 'holdout'], ['all', undefined]]) {
    const b = scoreCorpus(baseline, split);
    out(`  ${name.padEnd(12)} dialect right ${b.dialectRight}/${b.files}, fully right ${b.fullyRight}/${b.files} (${pct(b.fullyRight, b.files)}), confidently wrong ${b.confidentWrong}`);
  }
}
const timeOne = (fn, big) => {
  const t = performance.now();
  try {
    fn(big);
  } catch {
    /* a refused file is timed too */
  }
  return performance.now() - t;
};
const times = [];
const baseTimes = [];
for (const big of samples) {
  for (let i = 0; i < 10; i++) {
    times.push(timeOne(infer, big));
    if (baseline) baseTimes.push(timeOne(baseline, big));
  }
}
const q = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))].toFixed(2);
const load = os.loadavg().map((x) => x.toFixed(2)).join(' ');
out(`\nlatency on 64 KiB samples (${times.length} runs, ${os.cpus().length} cores, load average ${load}):`);
out(`  this engine:            median ${q(times, 0.5)} ms, p95 ${q(times, 0.95)} ms, max ${q(times, 1)} ms   target median <= 20 ms`);
if (baseline) out(`  baseline (${baselineRef.slice(0, 7)}):      median ${q(baseTimes, 0.5)} ms, p95 ${q(baseTimes, 0.95)} ms, max ${q(baseTimes, 1)} ms   (same files, interleaved)`);
else out('  baseline: not measured (--no-baseline, or git/the ref is not available)');

/** The inference engine at a git ref, transpiled to a temporary folder; null when git or the ref is missing. */
async function loadBaseline(ref) {
  const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const dir = path.join(repo, 'bench', 'tmp', `infer-${ref.replace(/[^\w.-]/g, '_')}`);
  try {
    if (!fs.existsSync(path.join(dir, 'dist', 'csv', 'infer.js'))) {
      // The ref's sources, compiled by the project's tsc (type errors against today's dependencies do not stop the emit).
      fs.rmSync(dir, { recursive: true, force: true });
      const files = execFileSync('git', ['ls-tree', '-r', '--name-only', ref, 'src'], { cwd: repo, encoding: 'utf8' }).split('\n').filter((f) => f.endsWith('.ts'));
      for (const f of files) {
        const to = path.join(dir, f);
        fs.mkdirSync(path.dirname(to), { recursive: true });
        fs.writeFileSync(to, execFileSync('git', ['show', `${ref}:${f}`], { cwd: repo, maxBuffer: 64 << 20 }));
      }
      const tsc = path.join(repo, 'node_modules', '.bin', 'tsc');
      const args = ['--outDir', path.join(dir, 'dist'), '--rootDir', path.join(dir, 'src'), '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--skipLibCheck', '--noCheck', '--ignoreConfig', path.join(dir, 'src', 'csv', 'infer.ts'), path.join(dir, 'src', 'csv', 'sample.ts')];
      try {
        execFileSync(tsc, args, { cwd: repo, stdio: 'pipe' });
      } catch {
        /* emitted anyway; checked below */
      }
    }
    const { inferCsvFormat } = await import(pathToFileURL(path.join(dir, 'dist', 'csv', 'infer.js')).href);
    const { decode: decodeOld } = await import(pathToFileURL(path.join(dir, 'dist', 'csv', 'sample.js')).href);
    return (bytes) => {
      const { text, encoding } = decodeOld(bytes);
      return inferCsvFormat({ text, origin: 'bench', encoding, compression: 'none', truncated: false, bytesRead: bytes.length });
    };
  } catch (err) {
    process.stderr.write(`baseline ${ref} not built: ${err.message.split('\n')[0]}\n`);
    return null;
  }
}
