/** put_batch: its schema and a mapping to the import service (src/import/service.ts), where the workflow lives. */
import { z } from 'zod';
import { importBatch } from '../import/service.js';
import { MAX_URLS, PREFLIGHT_WARNING_CODES } from '../import/preflight.js';
import { DEFAULT_EXPIRES_IN, MAX_EXPIRES_IN } from '../aws/presign-limits.js';
import { defineTool, nextStepsSchema } from './tool.js';

export const jobOutputSchema = z
  .looseObject({
    id: z.string().optional(),
    status: z.string(),
    datasetId: z.string().optional(),
    insertCount: z.number().optional(),
    invalidCount: z.number().optional(),
    log: z.unknown().optional(),
  })
;

const s3Source = z
  .object({
    bucket: z.string().min(1).max(1024),
    prefix: z.string().max(1024).optional().describe('e.g. "trips/2024/"; omitted: the whole bucket'),
    glob: z.string().max(1024).describe('matched against keys relative to the prefix: "*.csv", "**/*.csv"'),
    role_arn: z.string().max(2048).describe('arn:aws:iam::<account>:role/<name>, the role with the trust policy'),
    policy: z.record(z.string(), z.unknown()).optional().describe('session policy document'),
    policy_arns: z.array(z.string().max(2048)).max(10).optional().describe('managed session policy ARNs'),
  })
  .strict();

const s3PresignedSource = z
  .object({
    bucket: z.string().min(1).max(1024),
    prefix: z.string().max(1024).optional(),
    glob: z.string().max(1024),
    expires_in: z.number().int().min(60).max(MAX_EXPIRES_IN).optional().describe(`seconds, default ${DEFAULT_EXPIRES_IN}`),
    profile: z.string().min(1).max(128).optional().describe('AWS profile'),
    region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/).optional(),
  })
  .strict();

export const putBatch = defineTool({
  name: 'put_batch',
  title: 'Import CSV files into a dataset (dry run first)',
  description:
    'Step 4: import CSV files into a dataset, after local checks. Source: s3 (the platform assumes your IAM role), urls, or s3_presigned (no role: presigned with your AWS credentials). Dry-run first (the default: checks 100 rows per file, imports nothing); its confirmation token, with the same arguments and dry_run false, runs the import. Then get_batch. Example: {"dataset_id": "gs.dataset-1", "source": {"s3": {"bucket": "my_bucket", "prefix": "my_path/", "glob": "*.csv", "role_arn": "arn:aws:iam::123456789123:role/my_role"}}, "file_format": {"entity_id": 0, "timestamp": 1, "longitude": 2, "latitude": 3}}',
  input: z
    .object({
      dataset_id: z.string().min(1).max(200),
      source: z
        .object({
          s3: s3Source.optional(),
          urls: z.array(z.string().max(8192)).min(1).max(MAX_URLS).optional().describe('HTTP(S) URLs, one CSV file each'),
          s3_presigned: s3PresignedSource.optional().describe('no IAM role: presigned with your AWS credentials'),
        })
        .strict()
        .refine((s) => [s.s3, s.urls, s.s3_presigned].filter((x) => x !== undefined).length === 1, {
          message: 'give exactly one of source.s3 (the platform assumes your role), source.urls (HTTP(S) URLs) and source.s3_presigned (presigned with your credentials)',
        })
        .describe('exactly one of s3, urls, s3_presigned'),
      file_format: z
        .record(z.string().max(256), z.number())
        .describe('0-based column of entity_id, timestamp, longitude, latitude, [altitude, metadata_id, dataset properties]'),
      dry_run: z
        .union([z.boolean(), z.number().int().min(1).max(1_000_000)])
        .default(true)
        .describe('true: check 100 rows per file; N: N rows; false: import'),
      confirmation: z.string().max(200).optional().describe("with dry_run false: the dry run's confirmation.token"),
      reimport: z.boolean().optional().describe('import again files already imported into this dataset'),
      only_new: z.boolean().optional().describe('only files not yet imported (s3_presigned, urls)'),
    })
    .strict(),
  output: z.object({
    job: jobOutputSchema.optional(),
    declined: z.boolean().optional(),
    preflight: z.looseObject({
      checks: z.array(z.looseObject({ name: z.string(), ok: z.boolean(), message: z.string() })),
      warnings: z.array(z.string()),
      warningCodes: z.array(z.enum(PREFLIGHT_WARNING_CODES)).describe('code of each warning, same order'),
    }),
    presigned: z
      .object({ files: z.number(), bytes: z.number(), expiresAt: z.string(), firstKeys: z.array(z.string()) })
      .optional(),
    confirmation: z
      .object({ token: z.string(), expiresAt: z.string() })
      .optional(),
    verdict: z.looseObject({ code: z.string() }).optional(),
    rejections: z.looseObject({}).optional(),
    alreadyImported: z.array(z.looseObject({})).optional(),
    skipped: z.looseObject({}).optional(),
    nextSteps: nextStepsSchema,
  }),
  quotesUntrustedData: true,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  dryRunsOnlyWhenReadOnly: true,
  async handler(args, ctx) {
    return importBatch(args, {
      config: ctx.config,
      client: ctx.client,
      confirmations: ctx.confirmations,
      signal: ctx.signal,
      ...(ctx.askPerson ? { askPerson: (message: string) => ctx.askPerson!(message) } : {}),
    });
  },
});
