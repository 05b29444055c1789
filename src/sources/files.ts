/**
 * The files of an import source, as the sandbox reads them (its import runner, and check_import's
 * sample of a sandbox job's source).
 *
 * S3 sources map to a local folder, `<root>/<bucket>/<key>`; nothing outside `root` may be read
 * (no `..`; no symlink is followed: not for the bucket, not for any folder of the prefix, not for a
 * file, and each file's real path is checked against the root again when it is opened). URL sources are fetched over HTTP(S), like the platform does.
 *
 * Glob semantics (undocumented on the platform; these are the sandbox's): the glob is matched with
 * the one glob matcher (aws/glob.ts) against the key relative to the prefix, leading "/" removed. `*.csv` matches the files
 * directly under the prefix, `**\/*.csv` matches at any depth.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { UserFacingError, describeError } from '../errors.js';
import { guardedGet } from '../net/guarded-get.js';
import { globMatcher } from '../aws/glob.js';
import { displayUrl } from '../net/display-url.js';
import { normaliseBucket, normalisePrefix, unsafeS3Location } from '../rules/s3.js';
import { walk } from '../fs/walk.js';

export interface SourceFile {
  /** For logs: `s3://bucket/key` or the URL without its query string. */
  name: string;
  /** A local file (the S3 folder): can be read in parallel ranges. */
  path?: string;
  open(): Promise<Readable>;
}

export const MAX_SOURCE_FILES = 100_000;

/**
 * S3 sources read from an S3-compatible endpoint (when one is configured) with the process's own AWS
 * credentials: the sandbox does not assume roles. Same glob semantics as the folder.
 */
export async function listRemoteS3Files(endpoint: string, bucketInput: string, prefix: string | undefined, glob: string, signal?: AbortSignal): Promise<SourceFile[]> {
  const bucket = normaliseBucket(bucketInput);
  const { listMatchingKeys, loadSdk, makeS3Client, s3Error } = await import('../aws/s3.js');
  const client = await makeS3Client({ endpoint, signal });
  const keys: string[] = [];
  await listMatchingKeys(client, bucket, normalisePrefix(prefix), glob, { onKey: (k) => void (keys.length < MAX_SOURCE_FILES && keys.push(k)) });
  const sdk = await loadSdk();
  return keys.map((key) => ({
    name: `s3://${bucket}/${key}`,
    open: async () => {
      try {
        return (await client.send(new sdk.GetObjectCommand({ Bucket: bucket, Key: key }))).Body as Readable;
      } catch (err) {
        throw s3Error(err, `reading s3://${bucket}/${key}`, bucket);
      }
    },
  }));
}

export async function listS3Files(root: string, bucketInput: string, prefix: string | undefined, glob: string): Promise<SourceFile[]> {
  const bucket = normaliseBucket(bucketInput);
  const why = unsafeS3Location(bucketInput, prefix);
  if (why) throw new UserFacingError('bad_request', why, { status: 400 });
  const p = normalisePrefix(prefix) ?? '';
  const match = globMatcher(glob);
  // The root itself may sit behind a symlink (e.g. /tmp on macOS): everything below it may not.
  const realRoot = await fs.promises.realpath(root).catch(() => root);
  const bucketDir = path.join(realRoot, bucket);
  const stat = await fs.promises.lstat(bucketDir).catch(() => null);
  if (!stat?.isDirectory()) {
    throw new UserFacingError('source_error', `the bucket "${bucket}" does not exist in the sandbox (no folder ${bucket} in ${root}).`, { status: 400 });
  }
  // Walk only the part of the tree the prefix can reach; every folder on the way there must be a
  // real folder, not a symlink (walk() itself never follows one).
  const dirPart = p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '';
  let dir = bucketDir;
  for (const seg of dirPart.split('/').filter(Boolean)) {
    dir = path.join(dir, seg);
    if (!(await fs.promises.lstat(dir).catch(() => null))?.isDirectory()) return [];
  }
  const keys: string[] = [];
  await walk(dir, bucketDir, keys, MAX_SOURCE_FILES);
  const files: SourceFile[] = [];
  for (const key of keys) {
    if (!key.startsWith(p) || !match(key.slice(p.length))) continue;
    const file = path.join(bucketDir, ...key.split('/'));
    // The real path must still lie inside the root (a folder swapped for a symlink since the walk).
    const real = await fs.promises.realpath(file).catch(() => null);
    if (real !== file) continue;
    files.push({
      name: `s3://${bucket}/${key}`,
      path: file,
      open: async () => {
        // Opened without following a final symlink, then checked to be the file that was listed.
        const handle = await fs.promises.open(file, fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0));
        const [opened, listed] = await Promise.all([handle.stat(), fs.promises.realpath(file).then((r) => (r === file ? fs.promises.stat(r) : null)).catch(() => null)]);
        if (!listed || opened.ino !== listed.ino || opened.dev !== listed.dev || !opened.isFile()) {
          await handle.close();
          throw new UserFacingError('source_error', `s3://${bucket}/${key} changed while it was being read (it now leads outside the sandbox's folder).`);
        }
        return handle.createReadStream({ highWaterMark: 1 << 20 });
      },
    });
  }
  return files;
}

/**
 * URL sources, fetched through the one guarded GET with the same address policy as URL samples: the
 * sandbox runs on the person's machine, so loopback and private addresses need --allow-private-urls,
 * and link-local (metadata) addresses are never fetched.
 */
export function urlFiles(urls: string[], opts: { allowPrivate: boolean; signal?: AbortSignal; timeoutMs?: number }): SourceFile[] {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  return urls.map((u) => ({
    name: displayUrl(u),
    open: async () => {
      try {
        const res = await guardedGet(u, { allowPrivate: opts.allowPrivate, timeoutMs, ...(opts.signal ? { signal: opts.signal } : {}) });
        if (res.statusCode !== 200) {
          await res.body.dump().catch(() => undefined);
          throw new UserFacingError('source_error', `${displayUrl(u)} answered HTTP ${res.statusCode}.`);
        }
        return res.body;
      } catch (err) {
        if (err instanceof UserFacingError) throw new UserFacingError(err.kind === 'fetch_error' ? 'source_error' : err.kind, err.message, { ...(err.hint ? { hint: err.hint } : {}) });
        throw new UserFacingError('source_error', `${displayUrl(u)} could not be fetched: ${describeError(err)}`);
      }
    },
  }));
}
