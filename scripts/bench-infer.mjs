#!/usr/bin/env node
// npm run bench:infer: the inference engine's score on the corpus, and its latency on 64 KiB samples.
import { performance } from 'node:perf_hooks';
import { inferCsvFormat } from '../dist/csv/infer.js';
import { decode } from '../dist/csv/sample.js';
import { loadCorpus, scoreCorpus } from './infer-score.mjs';

const out = (s = '') => process.stdout.write(`${s}\n`);
const infer = (bytes) => {
  const { text, encoding } = decode(bytes);
  return inferCsvFormat({ text, origin: 'bench', encoding, compression: 'none', truncated: false, bytesRead: bytes.length });
};

const score = scoreCorpus(infer);
out(`Inference corpus: ${score.files} real-world schemas (test/fixtures/infer/)`);
for (const r of score.rows) out(`  ${r.fullyRight ? 'ok  ' : 'MISS'} ${r.file.padEnd(30)} ${r.source}${r.problems.length ? `\n         ${r.problems.join('; ')}` : ''}`);
const pct = (a) => `${((100 * a) / score.files).toFixed(1)}%`;
out(`dialect right:     ${score.dialectRight}/${score.files} (${pct(score.dialectRight)})   target 100%`);
out(`fully right:       ${score.fullyRight}/${score.files} (${pct(score.fullyRight)})   target >= 95%`);
out(`confidently wrong: ${score.confidentWrong}   target 0`);

// Latency: each corpus file repeated up to 64 KiB, inferred 20 times.
const times = [];
for (const { bytes } of loadCorpus()) {
  let big = Buffer.alloc(0);
  const text = bytes.toString('utf8');
  const [head, ...body] = text.split('\n');
  let s = text;
  while (Buffer.byteLength(s) < 64 * 1024) s += body.join('\n');
  big = Buffer.from(s).subarray(0, 64 * 1024);
  void head;
  for (let i = 0; i < 20; i++) {
    const t = performance.now();
    infer(big);
    times.push(performance.now() - t);
  }
}
times.sort((a, b) => a - b);
const q = (p) => times[Math.min(times.length - 1, Math.floor(p * times.length))].toFixed(2);
out(`latency on 64 KiB samples (${times.length} runs): median ${q(0.5)} ms, p95 ${q(0.95)} ms, max ${q(1)} ms   target median <= 20 ms`);
