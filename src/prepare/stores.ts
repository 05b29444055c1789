/**
 * Where prepare_files reads and writes: S3 (the person's own credentials), a folder standing in for
 * a bucket (the sandbox's bucket folder), or a local folder / URLs as sources.
 *
 * Writes are all-or-nothing: S3 objects go up as multipart uploads from a few reused 5 MiB part buffers
 * (uploadInParts: visible only when completed, aborted on any error); folder files are written under a hidden
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
import { displayUrl } from '../net/display-url.js';
import { walk } from '../fs/walk.js';

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
  /** Opens an object; rejects with code `source_changed` when its ETag is no longer `etag`. `signal` closes a URL's connection. */
  open(obj: SourceObject, signal?: AbortSignal): Promise<Readable>;
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
  /**
   * Writes the stream under `key`, all or nothing. `buffers`: 5 MiB part buffers this object may
   * hold (1: upload a part, then fill the same buffer again; 2 or more: parts go up while the next fills).
   */
  write(key: string, body: Readable, meta: OutputMeta, signal?: AbortSignal, buffers?: number): Promise<void>;
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
    async write(key, body, meta, signal, buffers = 2) {
      try {
        await uploadInParts(client, sdk, { Bucket: bucket, Key: key, ContentType: 'text/csv', Metadata: { [META.key]: encodeURIComponent(meta.sourceKey), [META.etag]: meta.sourceEtag, [META.recipe]: meta.recipeHash } }, body, buffers, signal);
      } catch (err) {
        if (err instanceof UserFacingError) throw err;
        throw s3Error(err, `writing s3://${bucket}/${key}`, bucket);
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

/** S3's smallest part (all but the last). */
export const PART_BYTES = 5 * 1024 * 1024;

type Sdk = Awaited<ReturnType<(typeof import('../aws/s3.js'))['loadSdk']>>;

/**
 * A multipart upload from a stream with a fixed memory: `buffers` part buffers of 5 MiB, reused
 * (the bytes are copied once into a part, never concatenated), at most `buffers - 1` parts in
 * flight while one fills (with 1: the stream waits while its part goes up). An object under 5 MiB
 * is one PutObject. The upload becomes visible only when completed; on any error or abort it is
 * aborted, so nothing half-written is ever listed.
 */
async function uploadInParts(
  client: S3Client,
  sdk: Sdk,
  params: { Bucket: string; Key: string; ContentType: string; Metadata: Record<string, string> },
  body: Readable,
  buffers: number,
  signal?: AbortSignal,
): Promise<void> {
  const where = { Bucket: params.Bucket, Key: params.Key };
  const free: Buffer[] = [];
  let part: Buffer | null = null;
  let fill = 0;
  let uploadId: string | undefined;
  let next = 1;
  let allocated = 0;
  const done: { PartNumber: number; ETag?: string; ChecksumCRC32?: string; ChecksumCRC32C?: string; ChecksumCRC64NVME?: string; ChecksumSHA1?: string; ChecksumSHA256?: string }[] = [];
  const inFlight = new Set<Promise<void>>();
  let failed: unknown;
  const opts = signal ? { abortSignal: signal } : undefined;
  const takeBuffer = async (): Promise<Buffer> => {
    for (;;) {
      if (failed) throw failed;
      const b = free.pop();
      if (b) return b;
      if (allocated < Math.max(1, buffers)) {
        allocated++;
        return Buffer.allocUnsafe(PART_BYTES);
      }
      await Promise.race(inFlight);
    }
  };
  const send = async (buf: Buffer, length: number) => {
    uploadId ??= (await client.send(new sdk.CreateMultipartUploadCommand({ ...params }), opts)).UploadId;
    const n = next++;
    const p = (async () => {
      try {
        const r = await client.send(new sdk.UploadPartCommand({ ...where, UploadId: uploadId, PartNumber: n, Body: buf.subarray(0, length), ContentLength: length }), opts);
        done.push({
          PartNumber: n,
          ...(r.ETag ? { ETag: r.ETag } : {}),
          ...(r.ChecksumCRC32 ? { ChecksumCRC32: r.ChecksumCRC32 } : {}),
          ...(r.ChecksumCRC32C ? { ChecksumCRC32C: r.ChecksumCRC32C } : {}),
          ...(r.ChecksumCRC64NVME ? { ChecksumCRC64NVME: r.ChecksumCRC64NVME } : {}),
          ...(r.ChecksumSHA1 ? { ChecksumSHA1: r.ChecksumSHA1 } : {}),
          ...(r.ChecksumSHA256 ? { ChecksumSHA256: r.ChecksumSHA256 } : {}),
        });
        free.push(buf);
      } catch (err) {
        failed ??= err;
      }
    })();
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  };
  try {
    for await (const chunk of body) {
      const c = chunk as Buffer;
      let at = 0;
      while (at < c.length) {
        part ??= await takeBuffer();
        const n = Math.min(c.length - at, PART_BYTES - fill);
        c.copy(part, fill, at, at + n);
        fill += n;
        at += n;
        if (fill === PART_BYTES) {
          await send(part, fill);
          part = null;
          fill = 0;
        }
      }
      if (failed) throw failed;
    }
    if (uploadId === undefined) {
      // Under one part: a plain PutObject.
      await client.send(new sdk.PutObjectCommand({ ...params, Body: part ? part.subarray(0, fill) : Buffer.alloc(0), ContentLength: fill }), opts);
      return;
    }
    if (fill > 0 && part) await send(part, fill);
    await Promise.all(inFlight);
    if (failed) throw failed;
    done.sort((a, b) => a.PartNumber - b.PartNumber);
    await client.send(new sdk.CompleteMultipartUploadCommand({ ...where, UploadId: uploadId, MultipartUpload: { Parts: done } }), opts);
  } catch (err) {
    await Promise.allSettled(inFlight);
    if (uploadId) await client.send(new sdk.AbortMultipartUploadCommand({ ...where, UploadId: uploadId })).catch(() => undefined);
    body.destroy();
    throw err;
  }
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

/**
 * URL sources: each read once with the one guarded GET (src/net/guarded-get.ts: address policy,
 * proxies, redirects), with the caller's signal (the dry run's call, or the job's cancel). Their
 * sizes and ETags are not known before reading, so a re-run converts them again.
 */
export function urlSource(urls: string[], opts: { allowPrivate: boolean }): SourceStore {
  const byKey = new Map(urls.map((u) => [displayUrl(u), u]));
  return {
    where: `${byKey.size} URL(s)`,
    async list(limit) {
      return { objects: [...byKey.keys()].slice(0, limit).map((key) => ({ key, size: 0, etag: '' })), truncated: byKey.size > limit };
    },
    async open(obj, signal) {
      const { guardedGet } = await import('../net/guarded-get.js');
      const res = await guardedGet(byKey.get(obj.key)!, { allowPrivate: opts.allowPrivate, headers: { 'accept-encoding': 'identity' }, timeoutMs: 30_000, ...(signal ? { signal } : {}) });
      if (res.statusCode !== 200) {
        await res.body.dump().catch(() => undefined);
        throw new UserFacingError('fetch_error', `${obj.key} answered HTTP ${res.statusCode}.`, {
          status: res.statusCode,
          hint: res.statusCode === 403 ? 'A presigned URL may have expired: make a new one.' : 'Check the URL.',
        });
      }
      return res.body;
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
