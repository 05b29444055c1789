/** A worker thread of validateFile: validates one byte range of a file and reports counts and the first rejected rows. */
import fs from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import type { MetadataSchema, WireCsvFormat } from '../dfi/schemas.js';
import { validateStream, type RowSinkSpec } from './bulk.js';
import type { RecordDelimiter } from './records.js';
import { compileRowValidator, type RowProblem } from './validate.js';

const data = workerData as { file: string; start: number; end: number; format: WireCsvFormat; schema: MetadataSchema; recordDelimiter: RecordDelimiter; maxSamples: number; sink?: RowSinkSpec };
const validator = compileRowValidator(data.format, data.schema);
const samples: { line: number; problem: RowProblem }[] = [];
const out = await validateStream(fs.createReadStream(data.file, { start: data.start, end: data.end, highWaterMark: 256 * 1024 }), data.file, (f) => validator.validate(f), {
  onInvalid: (line, problem) => void (samples.length < data.maxSamples && samples.push({ line, problem })),
  onProgress: (valid, invalid) => parentPort!.postMessage({ progress: [valid, invalid] }),
  ...(data.sink ? { sink: data.sink } : {}),
  recordDelimiter: data.recordDelimiter,
});
parentPort!.postMessage({ done: { ...out, samples } });
