/**
 * IAM set-up that is right the first time: a least-privilege access policy for the role, the AWS
 * CLI commands in the order to run them (with the `file://` the CLI needs), and a linter of policy
 * documents against the parts of the IAM grammar this product writes and reads.
 */
import { createHash } from 'node:crypto';
import { KMS_KEY_ARN_RE, S3_ARN_RE } from '../rules/arn.js';

export type PolicyDocument = { Version: string; Statement: Record<string, unknown>[] };

export const DEFAULT_ROLE_NAME = 'dfi-import';
/** The inline policy's name before it was made per bucket and prefix (still recognised on existing roles). */
export const INLINE_POLICY_NAME = 'dfi-import-read';

/**
 * The inline policy's name for one bucket and prefix: `dfi-import-read-<bucket>[-<prefix>]-<hash>`.
 * Unique per bucket and prefix, so that setting up a second bucket adds a grant instead of replacing
 * the first one (put-role-policy replaces a policy of the same name). IAM allows [\w+=,.@-], 128 characters.
 */
export function inlinePolicyName(bucket: string, prefix?: string | undefined): string {
  const slug = (x: string, n: number) => x.replace(/[^\w+=,.@-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, n);
  const hash = createHash('sha256').update(`${bucket}/${prefix ?? ''}`).digest('hex').slice(0, 8);
  return [INLINE_POLICY_NAME, slug(bucket, 63), ...(prefix ? [slug(prefix, 39)] : []), hash].filter(Boolean).join('-');
}

export function buildAccessPolicy(loc: { bucket: string; prefix?: string | undefined }, kmsKeyArn?: string): PolicyDocument {
  const bucketArn = `arn:aws:s3:::${loc.bucket}`;
  const p = loc.prefix ?? '';
  const statements: Record<string, unknown>[] = [
    {
      Sid: 'ListTheImportPrefix',
      Effect: 'Allow',
      Action: 's3:ListBucket',
      Resource: bucketArn,
      ...(p ? { Condition: { StringLike: { 's3:prefix': [`${p}*`] } } } : {}),
    },
    { Sid: 'FindTheBucketRegion', Effect: 'Allow', Action: 's3:GetBucketLocation', Resource: bucketArn },
    { Sid: 'ReadTheImportFiles', Effect: 'Allow', Action: 's3:GetObject', Resource: `${bucketArn}/${p}*` },
  ];
  if (kmsKeyArn) statements.push({ Sid: 'DecryptTheImportFiles', Effect: 'Allow', Action: 'kms:Decrypt', Resource: kmsKeyArn });
  return { Version: '2012-10-17', Statement: statements };
}

export interface Command {
  step: string;
  command: string;
}

export function buildCommands(roleName: string, policyName?: string): { newRole: Command[]; existingRole: Command[] } {
  const put: Command[] = policyName
    ? [{ step: `Give the role read access to the import files: the inline policy ${policyName}, named after this bucket and prefix, so that a grant for another bucket is kept`, command: `aws iam put-role-policy --role-name ${roleName} --policy-name ${policyName} --policy-document file://access-policy.json` }]
    : [];
  const check: Command = { step: 'Check the role and copy its ARN for put_batch (role_arn)', command: `aws iam get-role --role-name ${roleName} --query Role.Arn --output text` };
  return {
    newRole: [{ step: 'Create the role with the platform\'s trust policy', command: `aws iam create-role --role-name ${roleName} --assume-role-policy-document file://trust-policy.json` }, ...put, check],
    existingRole: [
      {
        step: 'Replace the role\'s trust policy (this replaces the whole document: merge by hand if others use the role)',
        command: `aws iam update-assume-role-policy --role-name ${roleName} --policy-document file://trust-policy.json`,
      },
      ...put,
      check,
    ],
  };
}

// ---- the linter ----------------------------------------------------------------------------------

const ACTION_RE = /^[a-z0-9-]+:[A-Za-z0-9*]+$/;
const CONDITION_OPERATORS = new Set([
  'StringEquals', 'StringNotEquals', 'StringEqualsIgnoreCase', 'StringNotEqualsIgnoreCase', 'StringLike', 'StringNotLike',
  'ArnEquals', 'ArnLike', 'ArnNotEquals', 'ArnNotLike', 'Bool', 'IpAddress', 'NotIpAddress', 'NumericEquals', 'NumericLessThan',
  'NumericGreaterThan', 'DateGreaterThan', 'DateLessThan', 'Null',
]);
const RESOURCE_RES = [S3_ARN_RE, KMS_KEY_ARN_RE];
const asArray = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Problems with a policy document, by the IAM grammar (empty when none). */
export function lintPolicy(doc: unknown, kind: 'identity' | 'trust'): string[] {
  const problems: string[] = [];
  if (!doc || typeof doc !== 'object') return ['the policy is not a JSON object'];
  const d = doc as Record<string, unknown>;
  if (d.Version !== '2012-10-17') problems.push('Version must be "2012-10-17"');
  const statements = asArray(d.Statement);
  if (statements.length === 0) problems.push('Statement is empty');
  statements.forEach((raw, i) => {
    const s = raw as Record<string, unknown>;
    const at = `Statement[${i}]`;
    if (s.Effect !== 'Allow' && s.Effect !== 'Deny') problems.push(`${at}.Effect must be Allow or Deny`);
    const actions = asArray(s.Action);
    if (actions.length === 0) problems.push(`${at} has no Action`);
    for (const a of actions) {
      if (typeof a !== 'string' || !ACTION_RE.test(a)) problems.push(`${at}.Action "${String(a)}" is not service:Action`);
      else if (kind === 'identity' && a.includes('*')) problems.push(`${at}.Action "${a}" is a wildcard`);
    }
    if (kind === 'trust') {
      if ('Resource' in s) problems.push(`${at} has a Resource key, which trust policies must not have`);
      if (!('Principal' in s)) problems.push(`${at} has no Principal`);
    } else {
      const resources = asArray(s.Resource);
      if (resources.length === 0) problems.push(`${at} has no Resource`);
      for (const r of resources) if (typeof r !== 'string' || !RESOURCE_RES.some((re) => re.test(r))) problems.push(`${at}.Resource "${String(r)}" is not an S3 or KMS ARN`);
      if ('Principal' in s) problems.push(`${at} has a Principal, which identity policies must not have`);
    }
    for (const op of Object.keys((s.Condition as object) ?? {})) {
      const base = op.replace(/^ForAllValues:|^ForAnyValue:/, '').replace(/IfExists$/, '');
      if (!CONDITION_OPERATORS.has(base)) problems.push(`${at}.Condition operator "${op}" is unknown`);
    }
  });
  return problems;
}
