// Scores the inference engine on the corpus in test/fixtures/infer/ (see make-corpus.mjs there).
// A file is "fully right" when its dialect is right and each core field (entity_id, timestamp,
// longitude, latitude) is one of the acceptable answers (null: it must be reported missing).
// "Confidently wrong" is a core field or altitude mapped to an unacceptable column with confidence >= 0.7.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CORPUS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'test', 'fixtures', 'infer');
export const CORE = ['entity_id', 'timestamp', 'longitude', 'latitude'];
export const CONFIDENT = 0.7;

export function loadCorpus() {
  const expected = JSON.parse(fs.readFileSync(path.join(CORPUS_DIR, 'expected.json'), 'utf8'));
  return Object.entries(expected).map(([file, exp]) => ({ file, exp, bytes: fs.readFileSync(path.join(CORPUS_DIR, file)) }));
}

/** infer(bytes) -> the result of inferCsvFormat. */
export function scoreCorpus(infer) {
  const rows = [];
  for (const { file, exp, bytes } of loadCorpus()) {
    const r = infer(bytes);
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
      if (!ok.includes(got)) {
        problems.push(`${field} ${got} not in ${JSON.stringify(ok)}${got !== null ? ` (confidence ${confidenceOf(field)})` : ''}`);
        if (got !== null && confidenceOf(field) >= CONFIDENT) confidentWrong++;
      }
    }
    const coreRight = CORE.every((f) => (exp[f] ?? [null]).includes(r.file_format[f] ?? null));
    if (exp.ambiguousCoordinates && !r.warnings.some((w) => /ambiguous/i.test(w))) problems.push('the coordinate ambiguity is not stated');
    rows.push({ file, source: exp.source, dialectRight, fullyRight: dialectRight && coreRight && problems.length === 0, confidentWrong, problems });
  }
  const n = rows.length;
  return {
    files: n,
    dialectRight: rows.filter((r) => r.dialectRight).length,
    fullyRight: rows.filter((r) => r.fullyRight).length,
    confidentWrong: rows.reduce((a, r) => a + r.confidentWrong, 0),
    rows,
  };
}
