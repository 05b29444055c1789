/**
 * The S3 preflight of a dry run: with the person's own AWS credentials, when they are at hand, count
 * the keys the glob matches, so that "nothing matches" or "the glob reads differently" is said before
 * the platform is asked. It never blocks the batch: the platform reads with the role, not with these
 * credentials, so a refusal here is only a warning.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeError } from '../errors.js';
import type { ListedObject } from '../aws/presign-limits.js';
import { compressionOfBytes, compressionWarning, nothingMatches } from '../rules/compression.js';
import type { PreflightWarning } from './preflight.js';
import { meanRowBytes, type SourceSize } from './verdict.js';

/** Credentials the SDK finds without a network round trip (never the instance metadata service). */
export function awsCredentialsAtHand(env: NodeJS.ProcessEnv = process.env, endpoint?: string): boolean {
  if (endpoint) return true;
  if (env.AWS_ACCESS_KEY_ID || env.AWS_PROFILE || env.AWS_WEB_IDENTITY_TOKEN_FILE || env.AWS_CONTAINER_CREDENTIALS_FULL_URI || env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI) return true;
  const home = os.homedir();
  const files = [env.AWS_SHARED_CREDENTIALS_FILE ?? path.join(home, '.aws', 'credentials'), env.AWS_CONFIG_FILE ?? path.join(home, '.aws', 'config')];
  return files.some((f) => fs.existsSync(f));
}

export interface S3PreflightResult {
  check: { name: string; ok: boolean; message: string } | null;
  warnings: PreflightWarning[];
  /** The first matching keys (at most 3), for the role check. */
  keys: string[];
  /** The matching objects, when they were listed with the person's credentials (at most MAX_LISTED_OBJECTS). */
  objects?: ListedObject[];
  /** Files and bytes of the whole source, with a mean row size from the first bytes of the first file. */
  size?: SourceSize;
}

/** Objects kept from a listing for the import ledger; a larger source is recorded by its location only. */
export const MAX_LISTED_OBJECTS = 10_000;
const HEAD_BYTES = 64 * 1024;

export async function s3Preflight(
  s3: { bucket: string; prefix?: string | undefined; glob: string },
  opts: { endpoint?: string | undefined; timeoutMs?: number; signal?: AbortSignal | undefined } = {},
): Promise<S3PreflightResult> {
  if (!awsCredentialsAtHand(process.env, opts.endpoint)) return { check: null, warnings: [], keys: [] };
  const { listMatchingKeys, makeS3Client, readObjectHead } = await import('../aws/s3.js');
  // The call's signal, and the time bound: a preflight that gives up stops its requests too.
  const signal = AbortSignal.any([...(opts.signal ? [opts.signal] : []), AbortSignal.timeout(opts.timeoutMs ?? 10_000)]);
  const client = await makeS3Client({ endpoint: opts.endpoint, signal });
  const where = `s3://${s3.bucket}/${s3.prefix ?? ''}`;
  const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${(opts.timeoutMs ?? 10_000) / 1000} s`)), opts.timeoutMs ?? 10_000).unref());
  try {
    let objects: ListedObject[] | undefined = [];
    const listing = await Promise.race([
      listMatchingKeys(client, s3.bucket, s3.prefix, s3.glob, {
        examples: 3,
        maxKeys: 100_000,
        onKey: (key, size, etag) => {
          if (!objects) return;
          if (objects.length >= MAX_LISTED_OBJECTS) objects = undefined;
          else objects.push({ key, size, ...(etag ? { etag } : {}) });
        },
      }),
      timeout,
    ]);
    const warnings: PreflightWarning[] = [];
    if (listing.matched === 0) {
      warnings.push({ code: 'nothing_matches', text: `With your own AWS credentials: ${nothingMatches(where, s3.glob, listing, s3.prefix)}` });
    } else if (listing.matchedByName !== listing.matched) {
      warnings.push({ code: 'glob_readings_differ', text: `The glob "${s3.glob}" matches ${listing.matched} key(s) read against the key relative to the prefix, ${listing.matchedByName} against the file name only; the platform's reading is not documented: check_s3_source shows both.` });
    }
    const compressed = listing.compressed.warning();
    if (compressed) warnings.push({ code: 'compressed_files', text: compressed });
    // The mean row size of the first non-empty file, for an estimate of the whole import.
    let size: SourceSize | undefined;
    const firstData = objects?.find((o) => o.size > 0);
    if (listing.matched > 0 && !listing.truncated) {
      size = { files: listing.matched, bytes: listing.bytes };
      if (firstData && !compressed) {
        const head = await Promise.race([readObjectHead(client, s3.bucket, firstData.key, HEAD_BYTES), timeout]).catch(() => undefined);
        if (head) {
          const chunks: Buffer[] = [];
          for await (const c of head.stream) chunks.push(c as Buffer);
          const buf = Buffer.concat(chunks);
          const kind = compressionOfBytes(buf);
          if (kind) warnings.push({ code: 'compressed_files', text: compressionWarning(1, 1, [firstData.key], kind, 'first') });
          else {
            size.meanRowBytes = meanRowBytes(buf);
            size.sampledKey = firstData.key;
          }
        }
      }
    }
    return {
      check: { name: 's3_source', ok: listing.matched > 0, message: `${listing.matched} file(s), ${listing.bytes} bytes under ${where} match "${s3.glob}" (listed with your own AWS credentials)${listing.truncated ? '; more keys than were listed' : ''}` },
      warnings,
      keys: listing.examples.map((e) => e.key),
      ...(objects && !listing.truncated ? { objects } : {}),
      ...(size ? { size } : {}),
    };
  } catch (err) {
    return {
      check: null,
      keys: [],
      warnings: [{ code: 's3_not_checked', text: `The S3 source could not be checked with your own AWS credentials (${describeError(err).split('\n')[0]}); the platform reads with the role, so this may be fine. check_s3_source says more.` }],
    };
  } finally {
    client.destroy();
  }
}
