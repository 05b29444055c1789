/** Shapes of AWS ARNs and IAM names, checked locally before anything is sent. */

/** `arn:aws:iam::<12 digits>:role/<optional/path/>name` (also aws-cn and aws-us-gov partitions). */
export const ROLE_ARN_RE = /^arn:aws(?:-cn|-us-gov)?:iam::\d{12}:role\/(?:[\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/;
/** A managed policy: the account's own, or AWS's (`arn:aws:iam::aws:policy/...`). */
export const POLICY_ARN_RE = /^arn:aws(?:-cn|-us-gov)?:iam::(?:\d{12}|aws):policy\/[\w+=,.@/-]+$/;
export const KMS_KEY_ARN_RE = /^arn:aws(?:-cn|-us-gov)?:kms:[a-z0-9-]+:\d{12}:(?:key\/[A-Za-z0-9-]+|alias\/[A-Za-z0-9/_-]+)$/;
/** An S3 bucket or object ARN. */
export const S3_ARN_RE = /^arn:aws(?:-cn|-us-gov)?:s3:::[A-Za-z0-9._-]+(?:\/.*)?$/;
export const ROLE_NAME_RE = /^[\w+=,.@-]{1,64}$/;

/** What is wrong with a role ARN, in words that say how to fix it; null when it is one. */
export function roleArnProblem(arn: string, field = 'role_arn'): string | null {
  if (ROLE_ARN_RE.test(arn)) return null;
  return arn.startsWith('arn:aws:s3:')
    ? `${field} "${arn}" is an S3 ARN, not a role ARN. Give the ARN of the IAM role that carries the trust policy: arn:aws:iam::<12-digit account>:role/<name>.`
    : `${field} "${arn}" is not an IAM role ARN. It must look like arn:aws:iam::123456789012:role/my-role (find it with: aws iam get-role --role-name <name>).`;
}
