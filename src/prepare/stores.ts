/**
 * Where prepare_files reads and writes: S3 (the person's own credentials), a folder standing in for
 * a bucket (the sandbox's bucket folder), or a local folder / URLs as sources.
 *
 * Writes are all-or-nothing: S3 objects go up with lib-storage (a multipart upload becomes visible
 * only when completed, and is aborted on any error); folder files are written under a hidden
 * temporary name and renamed. Each output carries the source's key, ETag and the recipe's hash.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { S3Client } from '@aws-sdk/client-s3';
import { UserFacingError, describeError } from '../errors.js';
import { globMatcher } from '../aws/glob.js';
import { walk } from '../sandbox/sources.js';

export interface SourceObject {
  /** The key (S3), the path relative to the folder, or the URL without its query. */
  key: string;
  size: number;
  /** S3 ETag; for files mtime and size; for URLs the ETag or Last-Modified header. */
  etag: string;
}

export interface SourceStore {
  /** `s3://bucket/prefix`, a folder, or "N URLs". */
  where: string;
  list(limit: number): Promise<{ objects: SourceObject[]; truncated: boolean }>;
  /** Opens an object; rejects with code `source_changed` when its ETag is no longer `etag`. */
  open(obj: SourceObject): Promise<Readable>;
  /** The object's current ETag (after a change was detected). */
  current(obj: SourceObject): Promise<SourceObject | null>;
}

/** What an output records about where it came from. */
export interface OutputMeta {
  sourceKey: string;
  sourceEtag: string;
  recipeHash: string;
}

export interface TargetStore {
  /** `s3://bucket/prefix/`. */
  uri: string;
  bucket: string;
  prefix: string;
  /** What a finished output records, or null when there is none (or it is not complete). */
  head(key: string): Promise<OutputMeta | null>;
  /** Writes the stream under `key`, all or nothing. Resolves with the bytes written. */
  write(key: string, body: Readable, meta: OutputMeta, signal?: AbortSignal): Promise<void>;
  putText(key: string, text: string): Promise<void>;
  getText(key: string): Promise<string | null>;
  close(): void;
}

export class SourceChanged extends Error {
  readonly code = 'source_changed';
}

// ---- S3 ------------------------------------------------------------------------------------

const META = { key: 'dfi-source-key', etag: 'dfi-source-etag', recipe: 'dfi-recipe-hash' } as const;

export async function s3Source(client: S3Client, bucket: string, prefix: string, glob: string): Promise<SourceStore> {
  const { listMatchingKeys, loadSdk, s3Error } = await import('../aws/s3.js');
  const sdk = await loadSdk();
  return {
    where: `s3://${bucket}/${prefix}`,
    async list(limit) {
      const objects: SourceObject[] = [];
      // The same listing and glob reading as check_s3_source (relative key, leading "/" removed).
      const listing = await listMatchingKeys(client, bucket, prefix || undefined, glob, {
        onKey: (key, size, etag) => void (objects.length < limit && objects.push({ key, size, etag })),
      });
      return { objects, truncated: listing.matched > limit || listing.truncated };
    },
    async open(obj) {
      try {
        const res = await client.send(new sdk.GetObjectCommand({ Bucket: bucket, Key: obj.key, ...(obj.etag ? { IfMatch: obj.etag } : {}) }));
        return res.Body as Readable;
      } catch (err) {
        const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
        if (e.name === 'PreconditionFailed' || e.$metadata?.httpStatusCode === 412) throw new SourceChanged(`s3://${bucket}/${obj.key} changed since it was listed`);
        throw s3Error(err, `reading s3://${bucket}/${obj.key}`, bucket);
      }
    },
    async current(obj) {
      try {
        const res = await client.send(new sdk.HeadObjectCommand({ Bucket: bucket, Key: obj.key }));
        return { key: obj.key, size: res.ContentLength ?? 0, etag: res.ETag ?? '' };
      } catch {
        return null;
      }
    },
  };
}

export async function s3Target(client: S3Client, bucket: string, prefix: string): Promise<TargetStore> {
  const { loadSdk, s3Error } = await import('../aws/s3.js');
  const sdk = await loadSdk();
  return {
    uri: `s3://${bucket}/${prefix}`,
    bucket,
    prefix,
    async head(key) {
      try {
        const res = await client.send(new sdk.HeadObjectCommand({ Bucket: bucket, Key: key }));
        const m = res.Metadata ?? {};
        if (!m[META.etag] || !m[META.recipe]) return null;
        return { sourceKey: decodeURIComponent(m[META.key] ?? ''), sourceEtag: m[META.etag]!, recipeHash: m[META.recipe]! };
      } catch (err) {
        const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
        if (e.name === 'NotFound' || e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404) return null;
        throw s3Error(err, `reading s3://${bucket}/${key}`, bucket);
      }
    },
    async write(key, body, meta, signal) {
      const { Upload } = await import('@aws-sdk/lib-storage');
      const upload = new Upload({
        client,
        // 5 MiB parts (S3's minimum), two in flight: at most ~10 MiB buffered per object.
        partSize: 5 * 1024 * 1024,
        queueSize: 2,
        leavePartsOnError: false,
        params: {
          Bucket: bucket,
          Key: key,
          Body: body,
          ContentType: 'text/csv',
          Metadata: { [META.key]: encodeURIComponent(meta.sourceKey), [META.etag]: meta.sourceEtag, [META.recipe]: meta.recipeHash },
        },
      });
      const abort = () => void upload.abort().catch(() => undefined);
      signal?.addEventListener('abort', abort, { once: true });
      try {
        await upload.done();
      } catch (err) {
        if (err instanceof UserFacingError) throw err;
        throw s3Error(err, `writing s3://${bucket}/${key}`, bucket);
      } finally {
        signal?.removeEventListener('abort', abort);
      }
    },
    async putText(key, text) {
      try {
        await client.send(new sdk.PutObjectCommand({ Bucket: bucket, Key: key, Body: text, ContentType: 'application/json' }));
      } catch (err) {
        throw s3Error(err, `writing s3://${bucket}/${key}`, bucket);
      }
    },
    async getText(key) {
      try {
        const res = await client.send(new sdk.GetObjectCommand({ Bucket: bucket, Key: key }));
        return await (res.Body as { transformToString(): Promise<string> }).transformToString();
      } catch {
        return null;
      }
    },
    close: () => client.destroy(),
  };
}

// ---- folders -------------------------------------------------------------------------------

/** A folder read as a bucket: keys are paths relative to `root` (with `prefix` and `glob` applied). */
export function folderSource(root: string, prefix: string, glob: string, where: string): SourceStore {
  const etagOf = (st: fs.Stats) => `"${Math.floor(st.mtimeMs)}-${st.size}"`;
  return {
    where,
    async list(limit) {
      const dirPart = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
      const keys: string[] = [];
      await walk(path.join(root, dirPart), root, keys, limit);
      const match = globMatcher(glob);
      const objects: SourceObject[] = [];
      let truncated = false;
      for (const key of keys) {
        if (!key.startsWith(prefix) || !match(key.slice(prefix.length))) continue;
        if (objects.length >= limit) {
          truncated = true;
          break;
        }
        const st = await fs.promises.stat(path.join(root, key));
        objects.push({ key, size: st.size, etag: etagOf(st) });
      }
      return { objects, truncated };
    },
    async open(obj) {
      const file = path.join(root, ...obj.key.split('/'));
      const st = await fs.promises.stat(file).catch(() => null);
      if (!st) throw new UserFacingError('source_error', `${where}${obj.key} is gone.`);
      if (etagOf(st) !== obj.etag) throw new SourceChanged(`${obj.key} changed since it was listed`);
      return fs.createReadStream(file, { highWaterMark: 256 * 1024 });
    },
    async current(obj) {
      const st = await fs.promises.stat(path.join(root, ...obj.key.split('/'))).catch(() => null);
      return st ? { key: obj.key, size: st.size, etag: etagOf(st) } : null;
    },
  };
}

/** The sidecar of a folder output: `.<name>.dfi.json`, beside it (hidden from globs). */
function sidecar(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.dfi.json`);
}

/** The sandbox's bucket folder as a target: `<root>/<bucket>/<prefix>`. */
export function folderTarget(root: string, bucket: string, prefix: string): TargetStore {
  const bucketDir = path.join(root, bucket);
  const fileOf = (key: string) => path.join(bucketDir, ...key.split('/'));
  return {
    uri: `s3://${bucket}/${prefix}`,
    bucket,
    prefix,
    async head(key) {
      try {
        const meta = JSON.parse(await fs.promises.readFile(sidecar(fileOf(key)), 'utf8')) as OutputMeta & { bytes: number };
        const st = await fs.promises.stat(fileOf(key));
        // The sidecar is renamed before the data: both must agree, or the output is not complete.
        return st.size === meta.bytes ? { sourceKey: meta.sourceKey, sourceEtag: meta.sourceEtag, recipeHash: meta.recipeHash } : null;
      } catch {
        return null;
      }
    },
    async write(key, body, meta, signal) {
      const file = fileOf(key);
      await fs.promises.mkdir(path.dirname(file), { recursive: true });
      const tmp = path.join(path.dirname(file), `.${path.basename(file)}.dfi-partial-${randomBytes(4).toString('hex')}`);
      try {
        await pipeline(body, fs.createWriteStream(tmp), ...(signal ? [{ signal }] : []));
        const bytes = (await fs.promises.stat(tmp)).size;
        const side = `${tmp}.json`;
        await fs.promises.writeFile(side, JSON.stringify({ ...meta, bytes }));
        await fs.promises.rename(side, sidecar(file));
        await fs.promises.rename(tmp, file);
      } catch (err) {
        await fs.promises.rm(tmp, { force: true });
        await fs.promises.rm(`${tmp}.json`, { force: true });
        if (err instanceof UserFacingError) throw err;
        throw new UserFacingError('write_error', `writing ${bucket}/${key} failed: ${describeError(err)}`);
      }
    },
    async putText(key, text) {
      const file = fileOf(key);
      await fs.promises.mkdir(path.dirname(file), { recursive: true });
      const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
      await fs.promises.writeFile(tmp, text);
      await fs.promises.rename(tmp, file);
    },
    async getText(key) {
      return fs.promises.readFile(fileOf(key), 'utf8').catch(() => null);
    },
    close: () => undefined,
  };
}

// ---- URLs ----------------------------------------------------------------------------------

/** URL sources: each read once with a plain GET. ETag: the server's ETag, or Last-Modified and length. */
export function urlSource(urls: string[], open: (url: string) => Promise<{ body: Readable; etag: string; size: number }>): SourceStore {
  const display = (u: string) => {
    try {
      const x = new URL(u);
      return `${x.origin}${x.pathname}`;
    } catch {
      return '(invalid URL)';
    }
  };
  const byKey = new Map(urls.map((u) => [display(u), u]));
  return {
    where: `${urls.length} URL(s)`,
    async list(limit) {
      return { objects: [...byKey.keys()].slice(0, limit).map((key) => ({ key, size: 0, etag: '' })), truncated: byKey.size > limit };
    },
    async open(obj) {
      const { body } = await open(byKey.get(obj.key)!);
      return body;
    },
    async current(obj) {
      return obj;
    },
  };
}

/** A Readable whose writes wait for the reader (backpressure), for streaming into a target. */
export function outputPipe(): { stream: PassThrough; write(chunk: Buffer | string): Promise<void> | void } {
  const stream = new PassThrough({ highWaterMark: 1 << 20 });
  return {
    stream,
    write(chunk) {
      if (stream.destroyed) throw new Error('the output was closed');
      if (stream.write(chunk)) return;
      return new Promise<void>((resolve, reject) => {
        const done = () => (stream.off('drain', done), stream.off('close', closed), resolve());
        const closed = () => (stream.off('drain', done), reject(new Error('the output was closed')));
        stream.once('drain', done);
        stream.once('close', closed);
      });
    },
  };
}

export { Readable };
