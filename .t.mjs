import { inferCsvFormat } from './dist/csv/infer.js';
import { sampleFromText } from './dist/csv/sample.js';
import fs from 'node:fs';
for (const f of process.argv.slice(2)) {
  const r = inferCsvFormat(sampleFromText(fs.readFileSync(f, 'utf8'), 65536));
  console.log(f, JSON.stringify(r.file_format), 'missing', JSON.stringify(r.missing));
}
