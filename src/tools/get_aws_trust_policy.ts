import { z } from 'zod';
import { checkTrustPolicy } from '../aws/trust-policy.js';
import { buildAccessPolicy, buildCommands, DEFAULT_ROLE_NAME, inlinePolicyName, lintPolicy } from '../aws/iam.js';
import { KMS_KEY_ARN_RE, ROLE_NAME_RE } from '../rules/arn.js';
import { parseS3Location } from '../rules/s3.js';
import { invalidInput, UserFacingError } from '../errors.js';
import { defineTool, nextStepsSchema } from './tool.js';

const commandSchema = z.array(z.object({ step: z.string(), command: z.string() }));

export const getAwsTrustPolicy = defineTool({
  name: 'get_aws_trust_policy',
  title: 'Get the AWS trust policy and the IAM set-up',
  description:
    "Step 1 of an S3 import: the trust policy the platform needs on your IAM role, checked (valid JSON, sts:AssumeRole, ExternalId, role principal). With bucket: a least-privilege access policy and the AWS CLI commands, in order, to create or update the role. Example: {\"bucket\": \"s3://acme-trips/2024/\", \"role_name\": \"dfi-import\"}",
  input: z
    .object({
      bucket: z.string().min(1).max(1024).optional().describe('name or s3://bucket/prefix/'),
      prefix: z.string().max(1024).optional(),
      role_name: z.string().max(128).optional().describe(`default ${DEFAULT_ROLE_NAME}`),
      kms_key_arn: z.string().max(2048).optional().describe('for SSE-KMS buckets'),
    })
    .strict(),
  output: z.object({
    trustPolicy: z.unknown(),
    checks: z.array(z.looseObject({ name: z.string(), ok: z.boolean(), severity: z.enum(['error', 'warning', 'info']), message: z.string() })),
    externalId: z.string().nullable(),
    principal: z.string().nullable(),
    accessPolicy: z.record(z.string(), z.unknown()).optional(),
    /** The files the commands read, and which document of this result each one holds (saved as indented JSON). */
    files: z.array(z.object({ name: z.string(), document: z.enum(['trustPolicy', 'trustPolicyDocument', 'accessPolicy']) })),
    /** The trust policy as a JSON document, when the platform sent it as text (parsed, or repaired: see checks). */
    trustPolicyDocument: z.record(z.string(), z.unknown()).optional(),
    commands: z
      .object({ newRole: commandSchema, existingRole: commandSchema }),
    roleName: z.string(),
    warnings: z.array(z.string()),
    nextSteps: nextStepsSchema,
  }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  async handler(args, ctx) {
    const roleName = args.role_name ?? DEFAULT_ROLE_NAME;
    if (!ROLE_NAME_RE.test(roleName)) {
      throw invalidInput(`role_name "${roleName}" is not a valid IAM role name.`, 'Use 1-64 letters, digits and +=,.@_- (no spaces, no ARN: the name only).');
    }
    if (args.kms_key_arn !== undefined && !KMS_KEY_ARN_RE.test(args.kms_key_arn)) {
      throw invalidInput(`kms_key_arn "${args.kms_key_arn}" is not a KMS key ARN.`, 'It looks like arn:aws:kms:eu-west-2:123456789012:key/1234abcd-... (find it in the bucket\'s default encryption).');
    }
    if (args.prefix !== undefined && args.bucket === undefined) throw invalidInput('prefix needs bucket.', 'Give bucket too, or an s3://bucket/prefix/ URI as bucket.');
    const location = args.bucket ? parseS3Location(args.bucket, args.prefix) : undefined;
    const warnings = [...(location?.warnings ?? [])];

    const trustPolicy = await ctx.client.getAwsTrustPolicy({ signal: ctx.signal });
    const report = checkTrustPolicy(trustPolicy);
    const accessPolicy = location ? buildAccessPolicy(location, args.kms_key_arn) : undefined;
    if (accessPolicy) {
      // A self-check: what we write must pass the same grammar we check others against.
      const problems = lintPolicy(accessPolicy, 'identity');
      if (problems.length) throw new UserFacingError('internal', `the generated access policy is invalid: ${problems.join('; ')}`);
    }
    if (args.kms_key_arn) warnings.push('The KMS key policy must also allow this role to use the key (kms:Decrypt); the role policy alone is not enough for a key in another account or with a restrictive key policy.');

    const files = [
      ...(report.document ? [{ name: 'trust-policy.json', document: report.document === trustPolicy ? ('trustPolicy' as const) : ('trustPolicyDocument' as const) }] : []),
      ...(accessPolicy ? [{ name: 'access-policy.json', document: 'accessPolicy' as const }] : []),
    ];
    const commands = buildCommands(roleName, location && accessPolicy ? inlinePolicyName(location.bucket, location.prefix) : undefined);
    const failed = report.checks.filter((c) => !c.ok && c.severity === 'error' && c.name !== 'valid_json');
    const nextSteps = failed.length
      ? [`Do not attach this policy: ${failed.map((c) => c.name).join(', ')} failed (see checks). Contact General System support.`]
      : [
          `Save ${files.map((f) => `${f.document} as ${f.name}`).join(' and ')} (JSON, exactly as returned) in the folder where the commands will run.`,
          'Run commands.newRole for a new role, or commands.existingRole for a role that exists, in order. The CLI needs the file:// prefix shown.',
          location
            ? `Then call check_s3_source with bucket "${location.bucket}"${location.prefix ? `, prefix "${location.prefix}"` : ''} and the glob, to check the files with your own credentials.`
            : 'Call again with bucket (and prefix) for a least-privilege access policy and the put-role-policy command.',
          'Once the role is set up, check_aws_role with role_arn = the ARN that aws iam get-role prints (and the same bucket, prefix and glob) checks it before the first import.',
          'Then infer_csv_format on a file, and put_batch with that role_arn.',
          'If the person cannot create or edit IAM roles (this needs IAM administrator rights), skip the role: put_batch with source.s3_presigned presigns the files with their own read access instead.',
        ];
    return {
      trustPolicy,
      ...(report.document && report.document !== trustPolicy ? { trustPolicyDocument: report.document } : {}),
      checks: report.checks,
      externalId: report.externalId,
      principal: report.principal,
      ...(accessPolicy ? { accessPolicy } : {}),
      files,
      commands,
      roleName,
      warnings,
      nextSteps,
    };
  },
});
