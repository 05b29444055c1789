/** Shapes of AWS identifiers, checked locally before anything is sent. */

/** `arn:aws:iam::<12 digits>:role/<optional/path/>name` (also aws-cn and aws-us-gov partitions). */
export const ROLE_ARN_RE = /^arn:aws(?:-cn|-us-gov)?:iam::\d{12}:role\/(?:[\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/;

/** Current S3 naming rules: 3-63 characters, lowercase letters, digits, dots and hyphens. */
export const BUCKET_RE = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
/** Legacy (pre-2018, us-east-1) names may also hold uppercase letters and underscores. */
export const LEGACY_BUCKET_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{1,253}[A-Za-z0-9]$/;

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
