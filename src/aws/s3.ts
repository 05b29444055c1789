/**
 * S3 access with the person's own credentials (the standard AWS chain, or a named profile).
 *
 * The AWS SDK is loaded only when first used, so that starting the server stays fast. With an
 * S3-compatible endpoint (AWS_ENDPOINT_URL_S3 / --s3-endpoint), path-style addressing is used.
 * Every call is bounded: listings paginate with constant memory, reads are Range requests.
 */
import { CompressionCount } from '../rules/compression.js';
import type { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { UserFacingError, describeError } from '../errors.js';
import { globMatcher } from './glob.js';
import { awsProxyAgents } from '../net/proxy.js';

export interface S3Options {
  region?: string | undefined;
  profile?: string | undefined;
  endpoint?: string | undefined;
  /** Every request of the client carries it: the MCP call's signal (a cancelled call stops its S3 work). */
  signal?: AbortSignal | undefined;
}

/**
 * Makes every request the client sends carry `signal` (the SDK's `abortSignal` send option), unless
 * a call gives its own. For the clients made here and in iam-read.ts, each for one call.
 */
export function sendWithSignal<C extends { send: (command: never, options?: never) => Promise<unknown> }>(client: C, signal: AbortSignal | undefined): C {
  if (!signal) return client;
  const send = client.send.bind(client) as (command: unknown, options?: { abortSignal?: AbortSignal }) => Promise<unknown>;
  (client as { send: unknown }).send = (command: unknown, options?: { abortSignal?: AbortSignal }) => {
    signal.throwIfAborted();
    return send(command, { ...options, abortSignal: options?.abortSignal ?? signal });
  };
  return client;
}

type Sdk = typeof import('@aws-sdk/client-s3');
let sdkPromise: Promise<Sdk> | undefined;
/** The SDK, imported on first use. */
export function loadSdk(): Promise<Sdk> {
  sdkPromise ??= import('@aws-sdk/client-s3');
  return sdkPromise;
}

/** THE place S3 clients are made (presigning, preflights, checks, samples, the sandbox's S3 sources, file preparation). */
export async function makeS3Client(opts: S3Options): Promise<S3Client> {
  const sdk = await loadSdk();
  const client = new sdk.S3Client({
    ...(opts.region ? { region: opts.region } : {}),
    ...(opts.profile ? { profile: opts.profile } : {}),
    ...(opts.endpoint ? { endpoint: opts.endpoint, forcePathStyle: true } : {}),
    // Without a configured region, start from us-east-1: the SDK follows the bucket's region on redirects.
    ...(!opts.region && !process.env.AWS_REGION && !process.env.AWS_DEFAULT_REGION ? { region: 'us-east-1' } : {}),
    followRegionRedirects: true,
    maxAttempts: 3,
    requestHandler: { connectionTimeout: 5_000, requestTimeout: 30_000, ...(await awsProxyAgents(opts.endpoint)) },
  });
  return sendWithSignal(client, opts.signal);
}

/** Maps an AWS error to what the person should fix. */
export function s3Error(err: unknown, action: string, bucket: string, profile?: string): UserFacingError {
  const e = err as { name?: string; Code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const code = e.name ?? e.Code ?? '';
  const msg = describeError(err);
  const status = e.$metadata?.httpStatusCode;
  const opts = (hint: string) => ({ hint, ...(status !== undefined ? { status } : {}) });
  if (/SSO|sso/.test(msg) && /expired|refresh/i.test(msg)) {
    return new UserFacingError('aws_credentials', `${action}: the AWS SSO session has expired.`, opts(`Run: aws sso login${profile ? ` --profile ${profile}` : ''}, then try again.`));
  }
  if (code === 'CredentialsProviderError' || /Could not load credentials/i.test(msg)) {
    return new UserFacingError('aws_credentials', `${action}: no AWS credentials were found${profile ? ` for profile "${profile}"` : ''}.`, {
      hint: 'Configure them (aws configure, aws sso login, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY / AWS_PROFILE in the server\'s environment), or pass profile.',
    });
  }
  if (code === 'ExpiredToken' || code === 'ExpiredTokenException' || code === 'TokenRefreshRequired') {
    return new UserFacingError('aws_credentials', `${action}: the AWS session token has expired.`, opts('Refresh the credentials (aws sso login, or new temporary keys) and try again.'));
  }
  if (code === 'InvalidAccessKeyId' || code === 'SignatureDoesNotMatch') {
    return new UserFacingError('aws_credentials', `${action}: AWS rejected the credentials (${code}).`, opts('Check the access key and secret (or the profile) the server runs with.'));
  }
  if (code === 'NoSuchBucket' || status === 404) {
    return new UserFacingError('aws_not_found', `${action}: the bucket "${bucket}" does not exist (or the key is not there).`, opts('Check the bucket name; give the name only, e.g. my-bucket.'));
  }
  if (code === 'AccessDenied' || code === 'AllAccessDisabled' || status === 403) {
    return new UserFacingError('aws_access_denied', `${action}: access denied on bucket "${bucket}" for your AWS credentials.`, opts(`Your own identity needs s3:ListBucket and s3:GetObject on the bucket (and s3:GetBucketLocation) for this check; this is separate from the role the platform assumes.`));
  }
  if (code === 'PermanentRedirect' || code === 'AuthorizationHeaderMalformed' || code === 'IllegalLocationConstraintException') {
    return new UserFacingError('aws_region', `${action}: the bucket "${bucket}" is in another region than the one configured.`, opts('Pass region (e.g. "eu-west-2") or set AWS_REGION to the bucket\'s region.'));
  }
  return new UserFacingError('aws_error', `${action}: ${code ? `${code}: ` : ''}${msg}`, opts('Check the bucket, the credentials and the network, then try again.'));
}

export interface KeyListing {
  /** Keys that the glob matches, read against the key relative to the prefix. */
  matched: number;
  /** Keys under the prefix. */
  total: number;
  /** Bytes of the matched keys. */
  bytes: number;
  /** The first matched keys (at most `examples`). */
  examples: { key: string; size: number }[];
  /** Matches when the glob is read against the file name only. */
  matchedByName: number;
  /** A few keys that the other reading matches but this one does not. */
  onlyByName: string[];
  /** The first keys under the prefix, matched or not (at most 5), relative to the bucket. */
  firstKeys: string[];
  /** Matched keys whose name says they are compressed (.gz, .bz2, .zst, ...). */
  compressed: CompressionCount;
  /** Whether more keys exist than were listed (stopped at maxKeys). */
  truncated: boolean;
}

/**
 * Lists every key under the prefix (paginating), matching the glob in constant memory. The glob is
 * read against the key relative to the prefix (as the sandbox does) and, for comparison, against the
 * file name only.
 */
export async function listMatchingKeys(
  client: S3Client,
  bucket: string,
  prefix: string | undefined,
  glob: string,
  opts: { examples?: number; maxKeys?: number; onKey?: (key: string, size: number, etag: string) => void } = {},
): Promise<KeyListing> {
  const sdk = await loadSdk();
  const byRelative = globMatcher(glob);
  const byName = globMatcher(glob.includes('/') ? glob.slice(glob.lastIndexOf('/') + 1) : glob);
  const p = prefix ?? '';
  const out: KeyListing = { matched: 0, total: 0, bytes: 0, examples: [], matchedByName: 0, onlyByName: [], firstKeys: [], compressed: new CompressionCount(), truncated: false };
  const max = opts.maxKeys ?? 1_000_000;
  let token: string | undefined;
  do {
    let page;
    try {
      page = await client.send(new sdk.ListObjectsV2Command({ Bucket: bucket, ...(p ? { Prefix: p } : {}), ...(token ? { ContinuationToken: token } : {}) }));
    } catch (err) {
      throw s3Error(err, `listing s3://${bucket}/${p}`, bucket);
    }
    for (const obj of page.Contents ?? []) {
      const key = obj.Key ?? '';
      if (key.endsWith('/')) continue; // a "folder" marker, not a file
      out.total++;
      if (out.firstKeys.length < 5) out.firstKeys.push(key);
      const rel = key.slice(p.length);
      const name = key.slice(key.lastIndexOf('/') + 1);
      const hit = byRelative(rel);
      if (byName(name)) {
        out.matchedByName++;
        if (!hit && out.onlyByName.length < 5) out.onlyByName.push(key);
      }
      if (hit) {
        out.matched++;
        out.compressed.add(key);
        out.bytes += obj.Size ?? 0;
        if (out.examples.length < (opts.examples ?? 5)) out.examples.push({ key, size: obj.Size ?? 0 });
        opts.onKey?.(key, obj.Size ?? 0, obj.ETag ?? '');
      }
      if (out.total >= max) {
        out.truncated = true;
        return out;
      }
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return out;
}

/** A Range read of the first bytes of an object: never the whole object. */
export async function readObjectHead(
  client: S3Client,
  bucket: string,
  key: string,
  maxBytes: number,
): Promise<{ stream: Readable; contentLength: number; objectSize: number | null }> {
  const sdk = await loadSdk();
  try {
    const res = await client.send(new sdk.GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=0-${maxBytes - 1}` }));
    // "bytes 0-65535/94000000": the object's whole size is after the slash.
    const total = /\/(\d+)$/.exec(res.ContentRange ?? '')?.[1];
    return { stream: res.Body as Readable, contentLength: res.ContentLength ?? 0, objectSize: total ? Number(total) : null };
  } catch (err) {
    // A Range read of an empty object fails (416 InvalidRange, or a reset on some S3-compatible servers):
    // say what it is instead.
    const size = await client
      .send(new sdk.HeadObjectCommand({ Bucket: bucket, Key: key }))
      .then((h) => h.ContentLength)
      .catch(() => undefined);
    if (size === 0) throw emptyObject(bucket, key);
    throw s3Error(err, `reading s3://${bucket}/${key}`, bucket);
  }
}

/** An object of 0 bytes (a `_SUCCESS` marker, a folder placeholder): nothing to sample. */
export function emptyObject(bucket: string, key: string): UserFacingError {
  return new UserFacingError('empty_file', `s3://${bucket}/${key} is an empty file: nothing to sample.`, {
    hint: 'Empty objects such as _SUCCESS markers hold no data: sample one of the data files instead (check_s3_source lists them).',
  });
}

/** The bucket's region, or null when it cannot be told (e.g. an S3-compatible server without it). */
export async function bucketRegion(client: S3Client, bucket: string): Promise<string | null> {
  const sdk = await loadSdk();
  try {
    const res = await client.send(new sdk.GetBucketLocationCommand({ Bucket: bucket }));
    return res.LocationConstraint ? String(res.LocationConstraint) : 'us-east-1';
  } catch (err) {
    const code = (err as { name?: string }).name;
    if (code === 'NoSuchBucket' || code === 'AccessDenied' || code === 'CredentialsProviderError') throw s3Error(err, `reading the region of ${bucket}`, bucket);
    return null;
  }
}

export type EncryptionInfo = {
  status: 'sse-s3' | 'sse-kms' | 'none' | 'unknown';
  kmsKeyId: string | null;
  detail: string;
  /** With status unknown: the permission your identity lacked to read it, when that was the cause. */
  missingPermission?: string;
};

const isDenied = (err: unknown): boolean => {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'AccessDenied' || e.$metadata?.httpStatusCode === 403;
};

export async function bucketEncryption(client: S3Client, bucket: string): Promise<EncryptionInfo> {
  const sdk = await loadSdk();
  try {
    const res = await client.send(new sdk.GetBucketEncryptionCommand({ Bucket: bucket }));
    const rule = res.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault;
    if (!rule) return { status: 'none', kmsKeyId: null, detail: 'No default encryption.' };
    if (String(rule.SSEAlgorithm).startsWith('aws:kms')) {
      return {
        status: 'sse-kms',
        kmsKeyId: rule.KMSMasterKeyID ?? null,
        detail: 'Objects are encrypted with KMS: the role needs kms:Decrypt on the key, and the key policy must allow the role.',
      };
    }
    return { status: 'sse-s3', kmsKeyId: null, detail: 'S3-managed encryption (SSE-S3): nothing more to grant.' };
  } catch (err) {
    const code = (err as { name?: string }).name;
    if (code === 'ServerSideEncryptionConfigurationNotFoundError') return { status: 'none', kmsKeyId: null, detail: 'No default encryption.' };
    return {
      status: 'unknown',
      kmsKeyId: null,
      detail: `Could not read the default encryption (${code ?? describeError(err)}); if objects use SSE-KMS, the role needs kms:Decrypt.`,
      ...(isDenied(err) ? { missingPermission: 's3:GetEncryptionConfiguration' } : {}),
    };
  }
}

export type PublicAccessInfo = {
  status: 'blocked' | 'not_blocked' | 'public' | 'unknown';
  detail: string;
  /** With status unknown: the permission your identity lacked to read it, when that was the cause. */
  missingPermission?: string;
};

export async function bucketPublicAccess(client: S3Client, bucket: string): Promise<PublicAccessInfo> {
  const sdk = await loadSdk();
  try {
    const policy = await client.send(new sdk.GetBucketPolicyStatusCommand({ Bucket: bucket }));
    if (policy.PolicyStatus?.IsPublic) return { status: 'public', detail: 'The bucket policy makes the bucket public: the platform refuses public buckets. Remove public access first.' };
  } catch {
    // No bucket policy, or not allowed to read it: fall through to the public access block.
  }
  try {
    const res = await client.send(new sdk.GetPublicAccessBlockCommand({ Bucket: bucket }));
    const c = res.PublicAccessBlockConfiguration;
    const all = c?.BlockPublicAcls && c.IgnorePublicAcls && c.BlockPublicPolicy && c.RestrictPublicBuckets;
    return all
      ? { status: 'blocked', detail: 'All public access is blocked.' }
      : { status: 'not_blocked', detail: 'Public access is not fully blocked on the bucket; the platform refuses public buckets and files. Turn on Block Public Access.' };
  } catch (err) {
    const code = (err as { name?: string }).name;
    if (code === 'NoSuchPublicAccessBlockConfiguration') {
      return { status: 'not_blocked', detail: 'No public access block on the bucket; the platform refuses public buckets and files. Turn on Block Public Access.' };
    }
    return {
      status: 'unknown',
      detail: `Could not read the public access settings (${code ?? describeError(err)}).`,
      ...(isDenied(err) ? { missingPermission: 's3:GetBucketPublicAccessBlock' } : {}),
    };
  }
}

/**
 * The bucket policy: the document, null when the bucket has none, or why it could not be read
 * (`denied`: your identity lacks s3:GetBucketPolicy; `unsupported`: an S3-compatible server without policies).
 */
export async function bucketPolicy(
  client: S3Client,
  bucket: string,
): Promise<{ ok: true; policy: Record<string, unknown> | null } | { ok: false; denied: boolean; detail: string }> {
  const sdk = await loadSdk();
  try {
    const res = await client.send(new sdk.GetBucketPolicyCommand({ Bucket: bucket }));
    const doc = JSON.parse(res.Policy ?? 'null') as unknown;
    if (!doc || typeof doc !== 'object') return { ok: false, denied: false, detail: 'the bucket policy is not a JSON document' };
    return { ok: true, policy: doc as Record<string, unknown> };
  } catch (err) {
    const code = (err as { name?: string }).name;
    if (code === 'NoSuchBucketPolicy') return { ok: true, policy: null };
    return { ok: false, denied: isDenied(err), detail: `${code ?? 'error'}: ${describeError(err)}` };
  }
}
