import { compressionOfKey, compressionWarning, nothingMatches } from '../rules/compression.js';
import { z } from 'zod';
import { parseS3Location } from '../rules/s3.js';
import { invalidInput, UserFacingError } from '../errors.js';
import { analyseOffThread } from './infer-off-thread.js';
import { DEFAULT_SAMPLE_BYTES, sampleFromStream } from '../csv/sample.js';
import { defineTool, nextStepsSchema } from './tool.js';

export const checkS3Source = defineTool({
  name: 'check_s3_source',
  title: 'Check an S3 source with your own AWS credentials',
  description:
    "Before an S3 import, with the person's own AWS credentials: the bucket's region, the keys the glob matches (count, bytes, first few) and how it reads, encryption (SSE-KMS needs kms:Decrypt), public access (refused by the platform), and the inferred format of a few files. Example: {\"bucket\": \"acme-trips\", \"prefix\": \"2024/\", \"glob\": \"**/*.csv\"}",
  input: z
    .object({
      bucket: z.string().min(1).max(1024).describe('name or s3://bucket/prefix/'),
      prefix: z.string().max(1024).optional(),
      glob: z.string().min(1).max(512).describe("put_batch's glob"),
      sample_files: z.number().int().min(0).max(10).default(3),
      profile: z.string().min(1).max(128).optional().describe('AWS profile'),
      region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/).optional(),
    })
    .strict(),
  output: z.object({
    bucket: z.string(),
    prefix: z.string().nullable(),
    region: z.looseObject({ bucket: z.string().nullable(), configured: z.string().nullable() }),
    keys: z.looseObject({
      matched: z.number(),
      total: z.number(),
      bytes: z.number(),
      examples: z.array(z.looseObject({ key: z.string(), size: z.number() })),
      truncated: z.boolean(),
    }),
    glob: z.looseObject({ pattern: z.string(), matchedByRelativeKey: z.number(), matchedByFileName: z.number() }),
    encryption: z.looseObject({ status: z.string(), kmsKeyId: z.string().nullable(), detail: z.string() }),
    publicAccess: z.looseObject({ status: z.string(), detail: z.string() }),
    samples: z.array(
      z.looseObject({
        key: z.string(),
        bytesRead: z.number(),
        file_format: z.record(z.string(), z.number()),
        missing: z.array(z.string()),
        columns: z.number(),
        delimiter: z.string(),
        hasHeader: z.boolean(),
        compression: z.string(),
        warnings: z.array(z.string()),
      }),
    ),
    warnings: z.array(z.string()),
    nextSteps: nextStepsSchema,
  }),
  quotesUntrustedData: true,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  async handler(args, ctx) {
    const loc = parseS3Location(args.bucket, args.prefix);
    if (!args.glob.trim()) throw invalidInput('glob is empty.', 'Give "*.csv" (files directly under the prefix) or "**/*.csv" (at any depth).');
    const warnings = [...loc.warnings];
    const { bucketEncryption, bucketPublicAccess, bucketRegion, listMatchingKeys, makeS3Client, readObjectHead, s3Error } = await import('../aws/s3.js');
    const client = await makeS3Client({ region: args.region, profile: args.profile, endpoint: ctx.config.s3Endpoint, signal: ctx.signal });
    try {
      const configured = await client.config.region().catch(() => null);
      let region: string | null;
      try {
        region = await bucketRegion(client, loc.bucket);
      } catch (err) {
        throw err instanceof UserFacingError ? err : s3Error(err, `reading bucket ${loc.bucket}`, loc.bucket, args.profile);
      }
      if (region && configured && region !== configured && !ctx.config.s3Endpoint) {
        warnings.push(`The bucket is in ${region}, your configuration says ${configured}: pass region "${region}" (or set AWS_REGION) for faster, direct calls.`);
      }
      const listing = await listMatchingKeys(client, loc.bucket, loc.prefix, args.glob, { examples: 5 });
      const where = `s3://${loc.bucket}/${loc.prefix ?? ''}`;
      if (listing.matched === 0) warnings.push(nothingMatches(where, args.glob, listing, loc.prefix));
      const compressedKeys = listing.compressed.warning();
      if (compressedKeys) warnings.push(compressedKeys);
      if (listing.matchedByName !== listing.matched) {
        warnings.push(
          `The glob reads differently against the key relative to the prefix (${listing.matched} match) and against the file name only (${listing.matchedByName} match)${listing.onlyByName.length ? `, e.g. ${listing.onlyByName.slice(0, 3).join(', ')}` : ''}. The platform's reading is not documented: use a glob on which both agree, such as "**/*.csv" for nested files.`,
        );
      }
      if (listing.matched > 0 && listing.matched === listing.total && !/csv/i.test(args.glob)) warnings.push('Every key matches; make sure only CSV files are under the prefix.');

      const [encryption, publicAccess] = await Promise.all([bucketEncryption(client, loc.bucket), bucketPublicAccess(client, loc.bucket)]);
      if (encryption.status === 'sse-kms') warnings.push(`SSE-KMS: the role needs kms:Decrypt on ${encryption.kmsKeyId ?? 'the key'}; call get_aws_trust_policy with kms_key_arn.`);
      if (publicAccess.status === 'public' || publicAccess.status === 'not_blocked') warnings.push(publicAccess.detail);

      const samples = [];
      for (const ex of listing.examples.slice(0, args.sample_files)) {
        if (ex.size === 0) {
          warnings.push(`${ex.key} is an empty file: nothing to sample.`);
          continue;
        }
        const { stream, objectSize } = await readObjectHead(client, loc.bucket, ex.key, DEFAULT_SAMPLE_BYTES);
        const sample = await sampleFromStream(stream, `s3://${loc.bucket}/${ex.key}`, DEFAULT_SAMPLE_BYTES, objectSize !== null && objectSize > DEFAULT_SAMPLE_BYTES);
        let r;
        try {
          r = (await analyseOffThread({ sample, options: {}, preview: false, recipe: false }, { signal: ctx.signal })).result;
        } catch (err) {
          if (!(err instanceof UserFacingError) || err.kind === 'cancelled') throw err;
          warnings.push(`${ex.key}: ${err.message}`);
          continue;
        }
        samples.push({
          key: ex.key,
          bytesRead: sample.bytesRead,
          file_format: r.file_format,
          missing: r.missing,
          columns: r.columns.length,
          delimiter: r.dialect.delimiter,
          hasHeader: r.dialect.hasHeader,
          compression: r.dialect.compression,
          warnings: r.warnings,
        });
      }
      // Compression the names do not say, but the first bytes do.
      const unnamed = samples.filter((s) => s.compression !== 'none' && !compressionOfKey(s.key));
      if (unnamed.length) warnings.push(compressionWarning(unnamed.length, samples.length, unnamed.map((s) => s.key), unnamed[0]!.compression, 'sampled'));
      const shapes = new Set(samples.map((s) => `${s.columns}|${s.delimiter}|${s.hasHeader}|${JSON.stringify(s.file_format)}`));
      if (shapes.size > 1) {
        warnings.push(`The sampled files disagree in shape (columns, delimiter, header or column map): ${samples.map((s) => `${s.key}: ${s.columns} columns`).join('; ')}. One file_format must fit every file of a batch: split the batch or fix the files.`);
      }
      const nextSteps =
        listing.matched === 0
          ? ['Fix the prefix or the glob (see warnings) and check again.']
          : [
              `${listing.matched} file(s), ${listing.bytes} bytes will be imported. Call infer_csv_format with s3_uri "s3://${loc.bucket}/${(listing.examples.find((e) => e.size > 0) ?? listing.examples[0]!).key}" and dataset_id for the full column map.`,
              'Then put_batch with the same bucket, prefix and glob, dry run first.',
            ];
      return {
        bucket: loc.bucket,
        prefix: loc.prefix ?? null,
        region: { bucket: region, configured },
        keys: { matched: listing.matched, total: listing.total, bytes: listing.bytes, examples: listing.examples, truncated: listing.truncated },
        glob: { pattern: args.glob, matchedByRelativeKey: listing.matched, matchedByFileName: listing.matchedByName },
        encryption,
        publicAccess,
        samples,
        warnings,
        nextSteps,
      };
    } finally {
      client.destroy();
    }
  },
});
