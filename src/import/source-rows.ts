/**
 * A bounded sample of an import's source rows, read the way the importer reads them (the CSV
 * scanner of the sandbox's job runner: comma-separated, columns by index), for check_import to
 * compare with what landed.
 *
 * Where the rows come from:
 * - `urls`: a guarded GET of the first bytes of the first files (the same as infer_csv_format's url);
 * - `s3` in the sandbox: the sandbox's bucket folder (or its S3-compatible endpoint);
 * - `s3` on the platform: a Range read with the person's own AWS credentials (the platform reads with
 *   the role, which this server cannot assume).
 * Nothing here throws for an unreadable source: it says why, and the checks go on without it.
 */
import type { Readable } from 'node:stream';
import type { Config } from '../config.js';
import { describeError } from '../errors.js';
import { CsvRecordReader, PLATFORM_DIALECT } from '../csv/records.js';
import { sampleFromStream } from '../csv/sample.js';
import { displayUrl } from '../net/display-url.js';
import { normaliseBucket } from '../rules/s3.js';

export const MAX_SOURCE_FILES_READ = 3;
export const MAX_BYTES_PER_FILE = 1024 * 1024;
export const MAX_SOURCE_ROWS = 20_000;

export interface SourceRow {
  file: string;
  /** 1-based line in the file. */
  line: number;
  fields: string[];
}

export interface SourceRows {
  /** Where the rows were read, for messages. */
  files: string[];
  rows: SourceRow[];
  /** True when every file of the source was read to its end: counts can then be compared exactly. */
  whole: boolean;
  /** Why the source could not be read, when it could not. */
  unreadable?: string;
}

interface SourceLike {
  s3?: { bucket?: unknown; prefix?: unknown; glob?: unknown };
  urls?: unknown;
}

async function readRows(files: { name: string; open: () => Promise<Readable> }[], total: number): Promise<SourceRows> {
  const out: SourceRows = { files: [], rows: [], whole: files.length <= MAX_SOURCE_FILES_READ };
  for (const f of files.slice(0, MAX_SOURCE_FILES_READ)) {
    if (out.rows.length >= MAX_SOURCE_ROWS) {
      out.whole = false;
      break;
    }
    const sample = await sampleFromStream(await f.open(), f.name, MAX_BYTES_PER_FILE);
    if (sample.truncated) out.whole = false;
    out.files.push(f.name);
    const scanner = new CsvRecordReader(PLATFORM_DIALECT, (fields, line) => {
      if (out.rows.length >= MAX_SOURCE_ROWS) {
        out.whole = false;
        return false;
      }
      out.rows.push({ file: f.name, line, fields });
      return true;
    });
    scanner.feed(sample.text);
    scanner.end();
  }
  if (total > files.length) out.whole = false;
  return out;
}

/** Reads a sample of the source of a batch (its `source` as the API returns it). */
export async function readSourceRows(source: unknown, config: Config, signal?: AbortSignal): Promise<SourceRows> {
  const s = (source ?? {}) as SourceLike;
  try {
    if (Array.isArray(s.urls) && s.urls.length > 0) {
      const urls = s.urls.filter((u): u is string => typeof u === 'string');
      const { sampleFromUrl } = await import('../net/fetch-sample.js');
      const out: SourceRows = { files: [], rows: [], whole: urls.length <= MAX_SOURCE_FILES_READ };
      for (const u of urls.slice(0, MAX_SOURCE_FILES_READ)) {
        const sample = await sampleFromUrl(u, { maxBytes: MAX_BYTES_PER_FILE, allowPrivate: config.allowPrivateUrls || config.backend === 'sandbox', ...(signal ? { signal } : {}) });
        if (sample.truncated) out.whole = false;
        out.files.push(displayUrl(u));
        const scanner = new CsvRecordReader(PLATFORM_DIALECT, (fields, line) => (out.rows.push({ file: displayUrl(u), line, fields }), out.rows.length < MAX_SOURCE_ROWS));
        scanner.feed(sample.text);
        scanner.end();
      }
      return out;
    }
    if (s.s3 && typeof s.s3.bucket === 'string') {
      const bucket = normaliseBucket(s.s3.bucket);
      const prefix = typeof s.s3.prefix === 'string' ? s.s3.prefix : undefined;
      const glob = typeof s.s3.glob === 'string' ? s.s3.glob : '**/*';
      if (config.backend === 'sandbox') {
        const { listS3Files, listRemoteS3Files } = await import('../sources/files.js');
        const files = config.sandbox.s3Endpoint
          ? await listRemoteS3Files(config.sandbox.s3Endpoint, bucket, prefix, glob, signal)
          : await listS3Files(config.sandbox.s3Root, bucket, prefix, glob);
        if (files.length === 0) return { files: [], rows: [], whole: false, unreadable: `nothing under s3://${bucket}/${prefix ?? ''} matches ${glob} any more` };
        return await readRows(files, files.length);
      }
      const { listMatchingKeys, makeS3Client, readObjectHead } = await import('../aws/s3.js');
      const client = await makeS3Client({ endpoint: config.s3Endpoint, signal });
      try {
        const listing = await listMatchingKeys(client, bucket, prefix?.replace(/^\/+/, '') || undefined, glob, { examples: MAX_SOURCE_FILES_READ, maxKeys: 100_000 });
        const files = listing.examples.map((e) => ({
          name: `s3://${bucket}/${e.key}`,
          open: async () => (await readObjectHead(client, bucket, e.key, MAX_BYTES_PER_FILE)).stream,
        }));
        if (files.length === 0) return { files: [], rows: [], whole: false, unreadable: `nothing under s3://${bucket}/${prefix ?? ''} matches ${glob} with your AWS credentials` };
        return await readRows(files, listing.matched);
      } finally {
        client.destroy();
      }
    }
    return { files: [], rows: [], whole: false, unreadable: 'the batch does not say where its files are (no source in the job)' };
  } catch (err) {
    return { files: [], rows: [], whole: false, unreadable: describeError(err) };
  }
}
