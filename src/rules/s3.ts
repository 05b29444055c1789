/**
 * S3 locations as people write them (`my-bucket`, `s3://my-bucket/path/`, bucket URLs, a prefix
 * with a leading "/") read the one way the rest of the code expects, and the rules of bucket names
 * and prefixes.
 */
import { invalidInput } from '../errors.js';

/** Current S3 naming rules: 3-63 characters, lowercase letters, digits, dots and hyphens. */
export const BUCKET_RE = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
/** Legacy (pre-2018, us-east-1) names may also hold uppercase letters and underscores. */
export const LEGACY_BUCKET_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{1,253}[A-Za-z0-9]$/;

/** `my_bucket`, `s3://my_bucket/...`, `https://my_bucket.s3.amazonaws.com/...` -> `my_bucket`. */
export function normaliseBucket(input: string): string {
  let b = input.trim();
  const s3 = /^s3:\/\/([^/]+)/i.exec(b);
  if (s3) return s3[1]!;
  if (/^https?:\/\//i.test(b)) {
    let u: URL;
    try {
      u = new URL(b);
    } catch {
      return b;
    }
    const vhost = /^(.+)\.s3[.-]([a-z0-9-]+\.)?amazonaws\.com$/i.exec(u.hostname);
    if (vhost) return vhost[1]!;
    b = u.pathname.split('/').filter(Boolean)[0] ?? '';
  }
  return b.replace(/\/+$/, '');
}

/** S3 keys do not start with "/": a prefix is read without its leading ones; empty means none. */
export function normalisePrefix(prefix: string | undefined): string | undefined {
  if (prefix === undefined) return undefined;
  const trimmed = prefix.replace(/^\/+/, '');
  return trimmed === '' ? undefined : trimmed;
}

/** What is wrong with a bucket name: an error (it cannot be a bucket), a warning (only a legacy one), or nothing. */
export function bucketNameProblem(bucket: string): { error: string } | { warning: string } | null {
  if (BUCKET_RE.test(bucket)) return null;
  if (LEGACY_BUCKET_RE.test(bucket)) return { warning: `"${bucket}" is not a valid name for a new S3 bucket (uppercase or "_"); it can only be an old us-east-1 bucket. Check the name.` };
  return { error: `"${bucket}" is not a valid S3 bucket name (3-63 characters: lowercase letters, digits, "." and "-"). Give the bucket name only, e.g. my-bucket, or an s3://my-bucket/prefix/ URI.` };
}

/** A prefix without a trailing "/" also matches sibling "folders": say so. */
export function prefixWarning(prefix: string | undefined): string | null {
  if (!prefix || prefix.endsWith('/') || /[*?]/.test(prefix)) return null;
  return `The prefix "${prefix}" has no trailing "/": it also matches "${prefix}-old/", "${prefix}2/" and any other key that starts with it. Use "${prefix}/" to mean the folder only.`;
}

export interface S3Location {
  bucket: string;
  prefix: string | undefined;
  warnings: string[];
}

/**
 * Reads `my-bucket`, `s3://my-bucket/path/`, or a bucket URL, with an optional separate prefix.
 * Throws an invalid-input error when the bucket name cannot be one.
 */
export function parseS3Location(bucketInput: string, prefixInput?: string): S3Location {
  const warnings: string[] = [];
  const bucket = normaliseBucket(bucketInput);
  let prefix = prefixInput;
  const fromUri = /^s3:\/\/[^/]+\/(.+)$/i.exec(bucketInput.trim());
  if (prefix === undefined && fromUri) prefix = fromUri[1];
  if (/^https?:\/\//i.test(bucketInput) && prefix === undefined) {
    try {
      const u = new URL(bucketInput);
      const path = decodeURIComponent(u.pathname).replace(/^\/+/, '');
      const rest = u.hostname.startsWith(`${bucket}.`) ? path : path.slice(bucket.length + 1);
      if (rest) prefix = rest;
    } catch {
      /* not a URL after all */
    }
  }
  if (bucket !== bucketInput.trim()) warnings.push(`Read "${bucketInput}" as bucket "${bucket}"${prefix ? ` and prefix "${prefix}"` : ''}.`);
  prefix = normalisePrefix(prefix);
  const sibling = prefixWarning(prefix);
  if (sibling) warnings.push(sibling);
  const name = bucketNameProblem(bucket);
  if (name && 'error' in name) throw invalidInput(name.error);
  if (name) warnings.push(name.warning);
  return { bucket, prefix, warnings };
}

/** Why a bucket or prefix cannot name a place under a folder (the sandbox's buckets), or null. */
export function unsafeS3Location(bucketInput: string, prefix: string | undefined): string | null {
  const bucket = normaliseBucket(bucketInput);
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/.test(bucket) || bucket.includes('..')) return `"${bucketInput}" is not a valid bucket name.`;
  const p = normalisePrefix(prefix) ?? '';
  if (p.split(/[\\/]/).some((seg) => seg === '..') || p.includes('\0')) return `the prefix "${prefix}" must not contain "..".`;
  return null;
}
