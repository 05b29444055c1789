import { z } from 'zod';
import { ROLE_ARN_RE } from '../rules/arn.js';
import { parseS3Location } from '../rules/s3.js';
import { invalidInput } from '../errors.js';
import { defineTool, nextStepsSchema } from './tool.js';

const checkLine = z.object({
  name: z.string(),
  status: z.enum(['passed', 'failed', 'could_not_check']),
  message: z.string(),
  missingPermission: z.string().optional(),
  fix: z.record(z.string(), z.unknown()).optional().describe('change, statement, file'),
});

export const checkAwsRole = defineTool({
  name: 'check_aws_role',
  title: 'Check the IAM role before the first import',
  description:
    "Before the first s3 import, read-only, with the person's AWS credentials: can the platform assume role_arn and read the files? Trust, S3/KMS permissions, bucket and key policy, public access. Each check passed, failed (fix, files, commands) or could_not_check (missingPermission). Example: {\"role_arn\": \"arn:aws:iam::111122223333:role/dfi-import\", \"bucket\": \"acme-trips\", \"prefix\": \"2024/\", \"glob\": \"*.csv\"}",
  input: z
    .object({
      role_arn: z.string().max(2048),
      bucket: z.string().min(1).max(1024).describe('name or s3://bucket/prefix/'),
      prefix: z.string().max(1024).optional(),
      glob: z.string().min(1).max(512).describe("put_batch's glob"),
      sample_keys: z.number().int().min(1).max(10).default(3),
      profile: z.string().min(1).max(128).optional().describe('AWS profile'),
      region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/).optional(),
    })
    .strict(),
  output: z.object({
    role: z.string(),
    checkedAs: z.string().nullable(),
    evaluatedWith: z.string(),
    summary: z.object({ passed: z.number(), failed: z.number(), couldNotCheck: z.number() }),
    checks: z.array(checkLine),
    files: z.array(z.looseObject({ name: z.string(), content: z.string() })),
    commands: z.array(z.object({ step: z.string(), command: z.string() })),
    warnings: z.array(z.string()),
    nextSteps: nextStepsSchema,
  }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  quotesUntrustedData: true,
  async handler(args, ctx) {
    const roleArn = args.role_arn.trim();
    if (!ROLE_ARN_RE.test(roleArn)) {
      throw invalidInput(`role_arn "${roleArn}" is not an IAM role ARN.`, 'It looks like arn:aws:iam::111122223333:role/dfi-import (aws iam get-role --role-name <name> --query Role.Arn --output text prints it).');
    }
    const loc = parseS3Location(args.bucket, args.prefix);
    if (!args.glob.trim()) throw invalidInput('glob is empty.', 'Give "*.csv" (files directly under the prefix) or "**/*.csv" (at any depth).');
    const { checkRole, platformTrust } = await import('../aws/role-check.js');
    const platform = await platformTrust({ getAwsTrustPolicy: () => ctx.client.getAwsTrustPolicy({ signal: ctx.signal }) });
    const report = await checkRole({
      roleArn,
      bucket: loc.bucket,
      prefix: loc.prefix,
      glob: args.glob,
      sampleKeys: args.sample_keys,
      profile: args.profile,
      region: args.region,
      s3Endpoint: ctx.config.s3Endpoint,
      platform,
      signal: ctx.signal,
    });
    const count = (s: string) => report.checks.filter((c) => c.status === s).length;
    const summary = { passed: count('passed'), failed: count('failed'), couldNotCheck: count('could_not_check') };
    const lacking = [...new Set(report.checks.flatMap((c) => (c.status === 'could_not_check' && c.missingPermission ? [c.missingPermission] : [])))];
    const nextSteps: string[] = [];
    if (summary.failed) {
      nextSteps.push(
        `${summary.failed} check(s) failed: ${report.checks.filter((c) => c.status === 'failed').map((c) => c.name).join(', ')}. Show the person each message.`,
        report.files.length
          ? `To fix: save ${report.files.map((f) => f.name).join(', ')} (the content in files), then run commands in order with credentials that may change IAM${report.files.some((f) => f.name === 'bucket-policy.json' || f.name === 'key-policy.json') ? ', S3 and KMS' : ''}. This tool changed nothing.`
          : 'Fix what the messages say; this tool changed nothing.',
        'Then call check_aws_role again with the same arguments.',
      );
    }
    if (lacking.length) {
      nextSteps.push(
        `${summary.couldNotCheck} check(s) could not be made with your credentials (missing: ${lacking.join('; ')}). These are not failures: ask an AWS administrator for read access (e.g. the AWS managed policies IAMReadOnlyAccess and SecurityAudit), or pass profile for an identity that has it.`,
      );
    }
    if (!summary.failed) {
      nextSteps.push(
        `Nothing failed${summary.couldNotCheck ? ' among what could be checked' : ''}: dry-run put_batch with source.s3 {"bucket": "${loc.bucket}"${loc.prefix ? `, "prefix": "${loc.prefix}"` : ''}, "glob": "${args.glob}", "role_arn": "${roleArn}"}.`,
      );
    }
    return { role: report.role, checkedAs: report.checkedAs, evaluatedWith: report.evaluatedWith, summary, checks: report.checks, files: report.files, commands: report.commands, warnings: [...loc.warnings, ...report.warnings], nextSteps };
  },
});
