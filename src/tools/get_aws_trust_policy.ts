import { z } from 'zod';
import { checkTrustPolicy } from '../aws/trust-policy.js';
import { defineTool, nextStepsSchema } from './tool.js';

export const getAwsTrustPolicy = defineTool({
  name: 'get_aws_trust_policy',
  title: 'Get the AWS trust policy',
  description:
    "Step 1 of an S3 import. Fetches the trust policy the platform needs on your IAM role (so that it can assume the role to read your bucket) and checks it: valid JSON, sts:AssumeRole, an sts:ExternalId condition, a role principal, no Resource key. Call it first, then have the person attach the policy to the role that can read the bucket. Example: {}",
  input: z.object({}).strict(),
  output: z.object({
    trustPolicy: z.unknown().describe('The policy exactly as the platform sent it.'),
    checks: z.array(
      z.object({
        name: z.string(),
        ok: z.boolean(),
        severity: z.enum(['error', 'warning', 'info']),
        message: z.string(),
      }),
    ),
    externalId: z.string().nullable(),
    principal: z.string().nullable(),
    nextSteps: nextStepsSchema,
  }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  async handler(_args, ctx) {
    const trustPolicy = await ctx.client.getAwsTrustPolicy();
    const report = checkTrustPolicy(trustPolicy);
    const failed = report.checks.filter((c) => !c.ok && c.severity === 'error');
    const nextSteps = failed.length
      ? [`Do not attach this policy yet: ${failed.map((c) => c.name).join(', ')} failed (see checks).`]
      : [
          'Save trustPolicy to a file, e.g. trust-policy.json.',
          'Create or choose an IAM role that may s3:ListBucket, s3:GetBucketLocation and s3:GetObject on the bucket.',
          'Attach the policy: aws iam update-assume-role-policy --role-name <role> --policy-document file://trust-policy.json (the CLI needs file://).',
          'Then call infer_csv_format on a sample of the files to get the column map.',
        ];
    return { trustPolicy, checks: report.checks, externalId: report.externalId, principal: report.principal, nextSteps };
  },
});
