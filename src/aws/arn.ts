/** Shapes of AWS identifiers, checked locally before anything is sent. */

/** `arn:aws:iam::<12 digits>:role/<optional/path/>name` (also aws-cn and aws-us-gov partitions). */
export const ROLE_ARN_RE = /^arn:aws(?:-cn|-us-gov)?:iam::\d{12}:role\/(?:[\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/;

/** Current S3 naming rules: 3-63 characters, lowercase letters, digits, dots and hyphens. */
export const BUCKET_RE = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
/** Legacy (pre-2018, us-east-1) names may also hold uppercase letters and underscores. */
export const LEGACY_BUCKET_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{1,253}[A-Za-z0-9]$/;
