/**
 * The streaming converter: source bytes -> (gunzip) -> text -> records (the project's one CSV
 * reader, csv/records.ts, viewing records without a string per field) -> recipe -> importer CSV bytes
 * in a reusable buffer, in chunks, with backpressure. Nothing holds a whole file: memory is one input
 * chunk and about 256 KiB of output at a time.
 */
import { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';
import { CsvRecordReader } from '../csv/records.js';
import type { CompiledRecipe, RejectCause } from './recipe.js';
import { OutBuf } from './fast.js';

export interface ConvertStats {
  /** Source bytes read (compressed, as stored). */
  bytesIn: number;
  /** Decompressed bytes. */
  bytesDecoded: number;
  bytesOut: number;
  /** Records seen after the preamble, header and units rows. */
  rows: number;
  written: number;
  /** Preamble lines, header and units rows skipped. */
  skipped: number;
  rejected: Partial<Record<RejectCause, number>>;
  dropped: Record<string, number>;
  compression: 'none' | 'gzip';
}

export interface RowEvent {
  line: number;
  fields: readonly string[];
  output: string | null;
  cause?: RejectCause | undefined;
  detail?: string | undefined;
  dropped?: string | undefined;
}

export interface ConvertOptions {
  /** Receives output bytes (the buffer is the receiver's); may return a promise (backpressure). */
  write: (chunk: Buffer) => void | Promise<void>;
  /** Stop after this many rows (a dry run). */
  maxRows?: number;
  signal?: AbortSignal;
  /** Every row, for dry runs (side by side). Costly: only with maxRows. */
  onRow?: (e: RowEvent) => void;
  /** The first rejected rows, with line and cause. */
  onReject?: (line: number, cause: RejectCause, detail: string) => void;
  /** Called every ~64 KiB of source with running totals. */
  onProgress?: (stats: ConvertStats) => void;
}

const FLUSH_BYTES = 192 * 1024;

function isGzip(b: Buffer): boolean {
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}

export class Cancelled extends Error {
  constructor() {
    super('cancelled');
  }
}

/** Converts one source stream. Resolves with the counts; rejects on read errors and when cancelled. */
export async function convertStream(source: Readable, compiled: CompiledRecipe, opts: ConvertOptions): Promise<ConvertStats> {
  const input = compiled.recipe.input;
  const stats: ConvertStats = { bytesIn: 0, bytesDecoded: 0, bytesOut: 0, rows: 0, written: 0, skipped: 0, rejected: {}, dropped: {}, compression: 'none' };
  const out = new OutBuf(256 * 1024);
  let headerLeft = (input.header ? 1 : 0) + input.skip_rows;
  let stop = false;
  const onRow = opts.onRow;
  const scanner = CsvRecordReader.viewing({ delimiter: input.delimiter }, (view, line) => {
    if (line <= input.skip_lines) {
      stats.skipped++;
      return true;
    }
    if (headerLeft > 0) {
      headerLeft--;
      stats.skipped++;
      return true;
    }
    stats.rows++;
    const rowStart = out.pos;
    const ok = compiled.convertView(view, out);
    if (ok) stats.written++;
    else if (compiled.dropped !== null) {
      stats.dropped[compiled.dropped] = (stats.dropped[compiled.dropped] ?? 0) + 1;
    } else if (compiled.rejection) {
      const c = compiled.rejection.cause;
      stats.rejected[c] = (stats.rejected[c] ?? 0) + 1;
      opts.onReject?.(line, c, compiled.rejection.detail);
    }
    if (onRow) {
      const output = ok ? out.buf.toString('utf8', rowStart, out.pos - 1) : null;
      onRow({ line, fields: view.fields(), output, cause: ok ? undefined : compiled.rejection?.cause, detail: ok ? undefined : compiled.rejection?.detail, dropped: compiled.dropped ?? undefined });
    }
    if (opts.maxRows !== undefined && stats.rows >= opts.maxRows) {
      stop = true;
      return false;
    }
    return true;
  });

  const flush = async () => {
    if (out.pos === 0) return;
    const chunk = out.take();
    stats.bytesOut += chunk.length;
    await opts.write(chunk);
  };

  // Count the stored bytes as they arrive; decide on gzip from the first bytes.
  const iterator = source[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done) {
    source.destroy();
    return stats;
  }
  const head = Buffer.from(first.value as Buffer);
  const gzip = input.compression === 'gzip' || (input.compression === 'auto' && isGzip(head));
  stats.compression = gzip ? 'gzip' : 'none';
  async function* raw(): AsyncGenerator<Buffer> {
    stats.bytesIn += head.length;
    yield head;
    for (;;) {
      const n = await iterator.next();
      if (n.done) return;
      const b = n.value as Buffer;
      stats.bytesIn += b.length;
      yield b;
    }
  }
  const rawStream = Readable.from(raw(), { objectMode: false });
  const bytes: Readable = gzip ? rawStream.pipe(createGunzip({ chunkSize: 64 * 1024 })) : rawStream;
  if (gzip) rawStream.on('error', (err) => bytes.destroy(err));
  const decoder = input.encoding === 'utf-16le' ? new StringDecoder('utf16le') : input.encoding === 'latin-1' ? new StringDecoder('latin1') : new StringDecoder('utf8');
  let sinceProgress = 0;
  try {
    for await (const chunk of bytes) {
      const b = chunk as Buffer;
      stats.bytesDecoded += b.length;
      const more = scanner.feed(decoder.write(b));
      if (out.pos >= FLUSH_BYTES) await flush();
      if (!more || stop) break;
      if (opts.signal?.aborted) throw new Cancelled();
      sinceProgress += b.length;
      if (sinceProgress >= 1 << 20) {
        sinceProgress = 0;
        opts.onProgress?.(stats);
      }
    }
    if (opts.signal?.aborted) throw new Cancelled();
    if (!stop) {
      scanner.feed(decoder.end());
      scanner.end();
    }
    await flush();
  } finally {
    bytes.destroy();
    rawStream.destroy();
    source.destroy();
  }
  opts.onProgress?.(stats);
  return stats;
}
