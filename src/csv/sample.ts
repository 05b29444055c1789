/**
 * Reading a bounded sample: never more than `maxBytes` of decoded text, cut at the last complete row.
 */
import { createGunzip } from 'node:zlib';
import { Readable } from 'node:stream';
import { invalidInput, UserFacingError, describeError } from '../errors.js';
import { openAllowedFile } from '../fs/allowed-file.js';

export const DEFAULT_SAMPLE_BYTES = 64 * 1024;
export const MAX_SAMPLE_BYTES = 4 * 1024 * 1024;

export interface Sample {
  text: string;
  /** Where it came from, for messages: "sample", a file path, a URL. */
  origin: string;
  encoding: string;
  compression: 'none' | 'gzip';
  /** True when the input went on beyond what was read (the last partial row was dropped). */
  truncated: boolean;
  bytesRead: number;
}

/** Decodes raw bytes: BOMs (UTF-8, UTF-16 LE/BE) and Latin-1 when the bytes are not valid UTF-8. */
export function decode(buf: Buffer): { text: string; encoding: string } {
  if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) return { text: buf.subarray(3).toString('utf8'), encoding: 'utf-8-bom' };
  if (buf[0] === 0xff && buf[1] === 0xfe) return { text: buf.subarray(2).toString('utf16le'), encoding: 'utf-16le' };
  if (buf[0] === 0xfe && buf[1] === 0xff) {
    const swapped = Buffer.from(buf.subarray(2, 2 + ((buf.length - 2) & ~1)));
    swapped.swap16();
    return { text: swapped.toString('utf16le'), encoding: 'utf-16be' };
  }
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(buf), encoding: 'utf-8' };
  } catch {
    // A multi-byte character cut at the end of the window is not a reason to fall back.
    for (let cut = 1; cut <= 3 && cut < buf.length; cut++) {
      try {
        return { text: new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(0, buf.length - cut)), encoding: 'utf-8' };
      } catch {
        /* keep trying */
      }
    }
    return { text: buf.toString('latin1'), encoding: 'latin-1' };
  }
}

/** Drops the last, partial row when the input was cut. */
function cutAtLastRow(text: string): string {
  const nl = text.lastIndexOf('\n');
  return nl >= 0 ? text.slice(0, nl + 1) : text;
}

export function sampleFromText(text: string, maxBytes = DEFAULT_SAMPLE_BYTES): Sample {
  const buf = Buffer.from(text, 'utf8');
  const truncated = buf.length > maxBytes;
  const { text: decoded } = decode(truncated ? buf.subarray(0, maxBytes) : buf);
  return {
    text: truncated ? cutAtLastRow(decoded) : decoded.replace(/^\uFEFF/, ''),
    origin: 'sample',
    encoding: 'utf-8',
    compression: 'none',
    truncated,
    bytesRead: Math.min(buf.length, maxBytes),
  };
}

/** Reads up to maxBytes of decoded content from a byte stream, inflating gzip when the magic bytes say so. */
export async function sampleFromStream(
  stream: Readable,
  origin: string,
  maxBytes = DEFAULT_SAMPLE_BYTES,
  /** The stream is itself a cut of a longer source (a Range read): its last row may be partial. */
  sourceCut = false,
): Promise<Sample> {
  const iterator = stream[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done) return { text: '', origin, encoding: 'utf-8', compression: 'none', truncated: false, bytesRead: 0 };
  const head = Buffer.from(first.value as Buffer);
  const gzip = head[0] === 0x1f && head[1] === 0x8b;
  async function* rest() {
    yield head;
    for (;;) {
      const n = await iterator.next();
      if (n.done) return;
      yield n.value as Buffer;
    }
  }
  let source: AsyncIterable<Buffer> = rest();
  let gunzip: ReturnType<typeof createGunzip> | undefined;
  if (gzip) {
    gunzip = createGunzip();
    source = Readable.from(rest()).pipe(gunzip);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  try {
    for await (const chunk of source) {
      chunks.push(chunk);
      size += chunk.length;
      if (size > maxBytes) {
        truncated = true;
        break;
      }
    }
  } catch (err) {
    if (!gzip || size === 0) throw new UserFacingError('read_error', `could not read ${origin}: ${describeError(err)}`);
    truncated = true; // a gzip stream cut by a byte limit ends in an error after the data we need
  } finally {
    gunzip?.destroy();
    stream.destroy();
  }
  if (sourceCut && !gzip) truncated = true;
  const buf = Buffer.concat(chunks).subarray(0, maxBytes);
  const { text, encoding } = decode(buf);
  return { text: truncated ? cutAtLastRow(text) : text, origin, encoding, compression: gzip ? 'gzip' : 'none', truncated, bytesRead: buf.length };
}

export async function sampleFromPath(p: string, roots: string[], maxBytes = DEFAULT_SAMPLE_BYTES): Promise<Sample> {
  const { handle } = await openAllowedFile(p, roots);
  // Read at most maxBytes of raw bytes unless compressed (then inflate until maxBytes of text).
  const stream = handle.createReadStream({ highWaterMark: 64 * 1024 });
  try {
    return await sampleFromStream(stream, p, maxBytes);
  } finally {
    stream.destroy();
  }
}
