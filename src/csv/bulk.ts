/**
 * Full-file validation, as the sandbox's job runner does it: every record read (CsvRecordReader, in
 * the platform's dialect) and checked (compileRowValidator), in constant memory. A large local file
 * is split at line breaks into one byte range per core and validated by worker threads; if any range
 * holds a quoted field (a quoted line break could sit on the split), the file is validated again on
 * one thread.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { MetadataSchema, WireCsvFormat } from '../dfi/schemas.js';
import { describeError } from '../errors.js';
import { CsvRecordReader, PLATFORM_DIALECT, type RecordDelimiter } from './records.js';
import { compileRowValidator, type RowProblem } from './validate.js';

/**
 * Where the valid rows go, as plain data (it crosses to worker threads): a module, named by its path
 * under the compiled root (e.g. `sandbox/store/segment.js`), that exports `openRowSink(config)`; each
 * thread that validates opens its own. So csv/ stores rows without knowing who keeps them.
 */
export interface RowSinkSpec {
  module: string;
  config: unknown;
}
export interface RowSink {
  add(fields: readonly string[]): void;
  /** Ends the sink; the files it wrote. */
  close(): string[];
}

async function openSink(spec: RowSinkSpec): Promise<RowSink> {
  const mod = (await import(new URL(`../${spec.module}`, import.meta.url).href)) as { openRowSink(config: unknown): RowSink };
  return mod.openRowSink(spec.config);
}

export interface FileOutcome {
  name: string;
  rows: number;
  valid: number;
  invalid: number;
  /** Rows too narrow for the format (a sign that the format does not fit the file). */
  tooNarrow: number;
  error?: string;
}

export interface ValidateOptions {
  maxRows?: number;
  signal?: AbortSignal;
  onInvalid?: (line: number, problem: RowProblem) => void;
  onProgress?: (valid: number, invalid: number) => void;
  /** Where the valid rows go (the sandbox's real imports: its point segments). */
  sink?: RowSinkSpec;
  /** At most this many worker threads (default: the cores, up to 4). */
  maxThreads?: number;
  /** The line break, when known (a byte range of a file does not start where it can be found). */
  recordDelimiter?: RecordDelimiter;
}

/** Files at least this large are split across cores. */
export const PARALLEL_MIN_BYTES = 16 * 1024 * 1024;
const PROGRESS_EVERY = 50_000;
const MAX_SAMPLES = 50;

/** Validates one CSV stream, record by record; stops after maxRows records when given. */
export async function validateStream(
  stream: Readable,
  name: string,
  validate: (fields: string[]) => RowProblem | null,
  opts: ValidateOptions = {},
): Promise<FileOutcome & { lines: number; sawQuote: boolean; segments: string[] }> {
  const out = { name, rows: 0, valid: 0, invalid: 0, tooNarrow: 0, lines: 0, sawQuote: false, segments: [] } as FileOutcome & { lines: number; sawQuote: boolean; segments: string[] };
  const writer = opts.sink ? await openSink(opts.sink) : undefined;
  const reader = new CsvRecordReader({ ...PLATFORM_DIALECT, ...(opts.recordDelimiter ? { recordDelimiter: opts.recordDelimiter } : {}) }, (fields, line) => {
    out.rows++;
    const why = validate(fields);
    if (why === null) {
      out.valid++;
      writer?.add(fields);
    } else {
      out.invalid++;
      if (why.code === 'too_few_columns') out.tooNarrow++;
      opts.onInvalid?.(line, why);
    }
    if (out.rows % PROGRESS_EVERY === 0) {
      opts.onProgress?.(out.valid, out.invalid);
      if (opts.signal?.aborted) return false;
    }
    return opts.maxRows === undefined || out.rows < opts.maxRows;
  });
  const decoder = new StringDecoder('utf8');
  try {
    for await (const chunk of stream) {
      if (!reader.feed(typeof chunk === 'string' ? chunk : decoder.write(chunk as Buffer))) break;
      if (opts.signal?.aborted) break;
    }
    reader.feed(decoder.end());
    reader.end();
    if (writer) out.segments = writer.close();
  } catch (err) {
    out.error = describeError(err);
  } finally {
    stream.destroy();
  }
  out.lines = reader.line;
  out.sawQuote = reader.sawQuote;
  return out;
}

/**
 * A compiled worker script by its path under dist/ (`csv/bulk-worker.js`): in dist/ beside this
 * module, or in dist/ when running from sources (tests); null when not built.
 */
export function compiledScript(relative: string): string | null {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const candidate of [path.join(here, '..', relative), path.join(here, '..', '..', 'dist', relative)]) {
    if (fs.existsSync(candidate)) return candidate;
  }
  return null;
}

function workerScript(): string | null {
  return compiledScript('csv/bulk-worker.js');
}

/** The file's line break: the first one in its first 64 KiB (quotes aside: a quoted field sends the file to one thread anyway). */
async function firstLineBreak(file: string): Promise<RecordDelimiter | undefined> {
  const fh = await fs.promises.open(file, 'r');
  try {
    const buf = Buffer.alloc(64 * 1024);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    for (let i = 0; i < bytesRead; i++) {
      if (buf[i] === 10) return '\n';
      if (buf[i] === 13) return i + 1 < bytesRead && buf[i + 1] === 10 ? '\r\n' : i + 1 < bytesRead ? '\r' : undefined;
    }
    return undefined;
  } finally {
    await fh.close();
  }
}

/** Byte offsets that split the file into `parts` ranges, each starting right after a line break. */
async function splitPoints(file: string, size: number, parts: number, rd: RecordDelimiter): Promise<number[]> {
  const fh = await fs.promises.open(file, 'r');
  const needle = Buffer.from(rd);
  try {
    const points = [0];
    const buf = Buffer.alloc(64 * 1024);
    for (let i = 1; i < parts; i++) {
      let at = Math.floor((size * i) / parts);
      for (;;) {
        const { bytesRead } = await fh.read(buf, 0, buf.length, at);
        if (bytesRead < needle.length) return points;
        const nl = buf.subarray(0, bytesRead).indexOf(needle);
        if (nl !== -1) {
          if (at + nl + needle.length > points[points.length - 1]!) points.push(at + nl + needle.length);
          break;
        }
        at += bytesRead - (needle.length - 1);
      }
    }
    return points;
  } finally {
    await fh.close();
  }
}

interface RangeResult {
  rows: number;
  valid: number;
  invalid: number;
  tooNarrow: number;
  lines: number;
  sawQuote: boolean;
  samples: { line: number; problem: RowProblem }[];
  segments?: string[];
  error?: string;
}

function runRange(script: string, data: object, onProgress: (valid: number, invalid: number) => void, signal?: AbortSignal): Promise<RangeResult | null> {
  return new Promise((resolve) => {
    // Small heaps: a worker holds one chunk and one record at a time; the garbage is short-lived.
    const worker = new Worker(script, { workerData: data, resourceLimits: { maxYoungGenerationSizeMb: 8, maxOldGenerationSizeMb: 96 } });
    const stop = () => void worker.terminate().then(() => resolve(null));
    signal?.addEventListener('abort', stop, { once: true });
    worker.on('message', (m: { progress?: [number, number]; done?: RangeResult }) => {
      if (m.progress) onProgress(...m.progress);
      if (m.done) {
        signal?.removeEventListener('abort', stop);
        void worker.terminate();
        resolve(m.done);
      }
    });
    worker.on('error', (err) => resolve({ rows: 0, valid: 0, invalid: 0, tooNarrow: 0, lines: 0, sawQuote: false, samples: [], error: describeError(err) }));
  });
}

/** Validates a local file, on every core when it is large and read in full. `threads` says how many validated it in the end. */
export async function validateFile(
  file: string,
  name: string,
  format: WireCsvFormat,
  schema: MetadataSchema,
  opts: ValidateOptions = {},
): Promise<FileOutcome & { threads: number }> {
  const validator = compileRowValidator(format, schema);
  const single = async () => ({ ...(await validateStream(fs.createReadStream(file, { highWaterMark: 1 << 20 }), name, (f) => validator.validate(f), opts)), threads: 1 });
  const size = (await fs.promises.stat(file)).size;
  const cores = opts.maxThreads ?? Math.min(4, typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length);
  const script = workerScript();
  if (opts.maxRows !== undefined || size < PARALLEL_MIN_BYTES || cores < 2 || !script) return single();
  // Every range must read the file's line break, which only the first one can find.
  const rd = await firstLineBreak(file);
  if (rd === undefined || rd === '\r') return single();

  const points = await splitPoints(file, size, cores, rd);
  if (points.length < 2) return single();
  const progress = points.map(() => [0, 0] as [number, number]);
  const results = await Promise.all(
    points.map((start, i) =>
      runRange(
        script,
        { file, start, end: (points[i + 1] ?? size) - 1, format, schema, recordDelimiter: rd, maxSamples: MAX_SAMPLES, progressEvery: PROGRESS_EVERY, sink: opts.sink },
        (valid, invalid) => {
          progress[i] = [valid, invalid];
          opts.onProgress?.(progress.reduce((a, p) => a + p[0], 0), progress.reduce((a, p) => a + p[1], 0));
        },
        opts.signal,
      ),
    ),
  );
  if (results.some((r) => r === null)) return { name, rows: 0, valid: 0, invalid: 0, tooNarrow: 0, threads: points.length }; // aborted
  const done = results as RangeResult[];
  // A quote anywhere: a quoted newline could sit on a split point. Do it again, in order, on one thread.
  if (done.some((r) => r.sawQuote)) {
    for (const f of done.flatMap((r) => r.segments ?? [])) fs.rmSync(f, { force: true });
    return single();
  }
  const out = { name, rows: 0, valid: 0, invalid: 0, tooNarrow: 0, threads: points.length } as FileOutcome & { threads: number };
  let lineOffset = 0;
  for (const r of done) {
    out.rows += r.rows;
    out.valid += r.valid;
    out.invalid += r.invalid;
    out.tooNarrow += r.tooNarrow;
    for (const s of r.samples) opts.onInvalid?.(s.line + lineOffset, s.problem);
    if (r.error && !out.error) out.error = r.error;
    lineOffset += r.lines;
  }
  return out;
}
