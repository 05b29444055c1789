// Scores the inference engine on the corpus in test/fixtures/infer/ (see make-corpus.mjs there).
// A file is "fully right" when its dialect is right and each core field (entity_id, timestamp,
// longitude, latitude) is one of the acceptable answers (null: it must be reported missing), and any
// warning the expectation asks for (`warn`, a regular expression) is given.
// "Confidently wrong" is a core field or altitude mapped to an unacceptable column with confidence >= 0.7.
// Calibration: every mapped core field is a (confidence, right?) pair, counted per confidence band.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CORPUS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'test', 'fixtures', 'infer');
export const CORE = ['entity_id', 'timestamp', 'longitude', 'latitude'];
export const CONFIDENT = 0.7;
export const BANDS = [
  [0, 0.3],
  [0.3, 0.5],
  [0.5, 0.7],
  [0.7, 0.9],
  [0.9, 1.01],
];

/** split: 'dev', 'holdout', 'first30' (the corpus before issue 16), or undefined for all. */
export function loadCorpus(split) {
  const expected = JSON.parse(fs.readFileSync(path.join(CORPUS_DIR, 'expected.json'), 'utf8'));
  return Object.entries(expected)
    .filter(([, exp]) => split === undefined || (split === 'first30' ? exp.classes === undefined : (exp.split ?? 'dev') === split))
    .map(([file, exp]) => ({ file, exp, bytes: fs.readFileSync(path.join(CORPUS_DIR, file)) }));
}

/** infer(bytes) -> the result of inferCsvFormat. */
export function scoreCorpus(infer, split) {
  const rows = [];
  const bands = BANDS.map(([lo, hi]) => ({ lo, hi, n: 0, right: 0 }));
  for (const { file, exp, bytes } of loadCorpus(split)) {
    let r;
    try {
      r = infer(bytes);
    } catch (err) {
      rows.push({ file, source: exp.source, split: exp.split ?? 'dev', dialectRight: false, fullyRight: false, confidentWrong: 0, problems: [`refused: ${err.message}`] });
      continue;
    }
    const problems = [];
    if (r.dialect.delimiter !== exp.delimiter) problems.push(`delimiter ${JSON.stringify(r.dialect.delimiter)} != ${JSON.stringify(exp.delimiter)}`);
    if (r.dialect.hasHeader !== exp.hasHeader) problems.push(`hasHeader ${r.dialect.hasHeader} != ${exp.hasHeader}`);
    const dialectRight = problems.length === 0;
    const confidenceOf = (field) => r.columns.find((c) => c.role === field)?.confidence ?? 0;
    let confidentWrong = 0;
    for (const field of [...CORE, 'altitude']) {
      const ok = exp[field];
      if (!ok) continue;
      const got = r.file_format[field] ?? null;
      const right = ok.includes(got);
      if (got !== null && CORE.includes(field)) {
        const c = confidenceOf(field);
        const band = bands.find((b) => c >= b.lo && c < b.hi);
        band.n++;
        if (right) band.right++;
      }
      if (!right) {
        problems.push(`${field} ${got} not in ${JSON.stringify(ok)}${got !== null ? ` (confidence ${confidenceOf(field)})` : ''}`);
        if (got !== null && confidenceOf(field) >= CONFIDENT) confidentWrong++;
      }
    }
    const coreRight = CORE.every((f) => (exp[f] ?? [null]).includes(r.file_format[f] ?? null));
    if (exp.ambiguousCoordinates && !r.warnings.some((w) => /ambiguous/i.test(w))) problems.push('the coordinate ambiguity is not stated');
    if (exp.warn && !r.warnings.some((w) => new RegExp(exp.warn, 'i').test(w))) problems.push(`no warning matches /${exp.warn}/`);
    rows.push({ file, source: exp.source, split: exp.split ?? 'dev', dialectRight, fullyRight: dialectRight && coreRight && problems.length === 0, confidentWrong, problems });
  }
  const n = rows.length;
  return {
    files: n,
    dialectRight: rows.filter((r) => r.dialectRight).length,
    fullyRight: rows.filter((r) => r.fullyRight).length,
    confidentWrong: rows.reduce((a, r) => a + r.confidentWrong, 0),
    /** Per confidence band: how many mapped core fields, how many right. Over-confident: right share below the band's floor. */
    bands: bands.map((b) => ({ ...b, hi: Math.min(1, b.hi), share: b.n ? b.right / b.n : null, overConfident: b.n > 0 && b.right / b.n < b.lo })),
    rows,
  };
}
