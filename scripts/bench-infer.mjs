#!/usr/bin/env node
// npm run bench:infer: the inference engine's score on the corpus (development and held-out splits),
// its calibration (share right per confidence band), and its latency on 64 KiB samples.
// The held-out files are listed only with --show-holdout: tune on the development split only.
import { performance } from 'node:perf_hooks';
import { inferCsvFormat } from '../dist/csv/infer.js';
import { decode } from '../dist/csv/sample.js';
import { loadCorpus, scoreCorpus } from './infer-score.mjs';

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

// Latency: each corpus file repeated up to 64 KiB, inferred 10 times.
const times = [];
for (const { bytes } of loadCorpus()) {
  const text = bytes.toString('utf8');
  const body = text.split('\n').slice(2).join('\n');
  let s = text;
  while (Buffer.byteLength(s) < 64 * 1024 && body.length > 0) s += body;
  const big = Buffer.from(s).subarray(0, 64 * 1024);
  for (let i = 0; i < 10; i++) {
    const t = performance.now();
    try {
      infer(big);
    } catch {
      /* a refused file is timed too */
    }
    times.push(performance.now() - t);
  }
}
times.sort((a, b) => a - b);
const q = (p) => times[Math.min(times.length - 1, Math.floor(p * times.length))].toFixed(2);
out(`\nlatency on 64 KiB samples (${times.length} runs): median ${q(0.5)} ms, p95 ${q(0.95)} ms, max ${q(1)} ms   target median <= 20 ms`);
