import { z } from 'zod';
import { compressionOfKey, compressionWarning, nothingMatches } from '../rules/compression.js';
import { invalidInput, UserFacingError } from '../errors.js';
import { INFER_WARNING_CODES } from '../csv/infer.js';
import { analyseOffThread } from './infer-off-thread.js';
import { DEFAULT_SAMPLE_BYTES, MAX_SAMPLE_BYTES, sampleFromPath, sampleFromStream, sampleFromText } from '../csv/sample.js';
import type { MetadataSchema } from '../dfi/schemas.js';
import { preparationSteps } from '../prepare/propose.js';
import { defineTool, nextStepsSchema } from './tool.js';

/** Reads the first bytes of s3://bucket/key, or of the first key under a prefix that the glob matches. */
async function sampleFromS3(uri: string, glob: string | undefined, maxBytes: number, endpoint: string | undefined, signal: AbortSignal) {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/i.exec(uri)!;
  const bucket = m[1]!;
  let key = m[2] ?? '';
  const { emptyObject, listMatchingKeys, makeS3Client, readObjectHead } = await import('../aws/s3.js');
  const client = await makeS3Client({ endpoint, signal });
  try {
    if (glob !== undefined || key === '' || key.endsWith('/')) {
      // The first matching key that holds data (not a _SUCCESS marker).
      let first: string | undefined;
      const listing = await listMatchingKeys(client, bucket, key || undefined, glob ?? '**/*', { examples: 1, maxKeys: 100_000, onKey: (k, size) => void (first === undefined && size > 0 && (first = k)) });
      if (!first) {
        if (listing.matched > 0) throw invalidInput(`every key under ${uri} that matches ${JSON.stringify(glob ?? '**/*')} is an empty file: nothing to sample.`, 'Check the prefix: the data files are elsewhere (check_s3_source lists the keys).');
        throw invalidInput(nothingMatches(uri, glob ?? '**/*', listing, key || undefined), 'Fix the prefix or the glob.');
      }
      key = first;
    }
    const { stream, objectSize } = await readObjectHead(client, bucket, key, maxBytes);
    if (objectSize === 0) throw emptyObject(bucket, key);
    return await sampleFromStream(stream, `s3://${bucket}/${key}`, maxBytes, objectSize !== null && objectSize > maxBytes);
  } finally {
    client.destroy();
  }
}

const propertySchema = z.looseObject({ type: z.string(), nullable: z.boolean().optional(), signed: z.boolean().optional(), values: z.array(z.string()).optional() });

export const inferCsvFormatTool = defineTool({
  name: 'infer_csv_format',
  title: 'Infer the column map of CSV files',
  description:
    'Step 2: reads the start of one CSV file (never all of it) and proposes put_batch\'s file_format: the 0-based columns of entity_id, timestamp, longitude, latitude (altitude) and, with dataset_id, the dataset\'s properties, with confidence, evidence and ambiguities. Give exactly one of sample (a few lines of text), path (a local file), url (http/https) or s3_uri (s3://bucket/key). Example: {"path": "examples/s3/my_bucket/my_path/trips-1.csv", "dataset_id": "gs.dataset-1"}',
  input: z
    .object({
      sample: z.string().max(MAX_SAMPLE_BYTES).optional().describe('first lines of a file'),
      path: z.string().min(1).max(4096).optional().describe('local file (plain or gzip)'),
      url: z.string().min(1).max(8192).optional().describe('http(s) URL, e.g. presigned'),
      s3_uri: z
        .string()
        .regex(/^s3:\/\/[^/]+\/?.*$/i, 'must look like s3://bucket/key or s3://bucket/prefix/')
        .optional()
        .describe('s3://bucket/key, or s3://bucket/prefix/ with glob'),
      glob: z.string().min(1).max(512).optional(),
      dataset_id: z.string().min(1).max(200).optional().describe("match columns to its properties"),
      has_header: z.boolean().optional(),
      delimiter: z.string().min(1).max(1).optional(),
      max_bytes: z.number().int().min(1024).max(MAX_SAMPLE_BYTES).optional().describe(`default ${DEFAULT_SAMPLE_BYTES}`),
      preview: z.boolean().default(true).describe('PNG of the points'),
    })
    .strict(),
  output: z.object({
    file_format: z.record(z.string(), z.number()),
    missing: z.array(z.string()),
    candidates: z.record(z.string(), z.array(z.looseObject({ column: z.number() }))),
    dialect: z.looseObject({
      delimiter: z.string(),
      quote: z.string(),
      hasHeader: z.boolean(),
      encoding: z.string(),
      lineEnding: z.string(),
      compression: z.string(),
    }),
    columns: z.array(
      z.looseObject({
        index: z.number(),
        name: z.string().nullable(),
        type: z.string(),
        role: z.string().nullable(),
        confidence: z.number(),
        evidence: z.array(z.string()),
        examples: z.array(z.string()),
      }),
    ),
    rowsSampled: z.number(),
    warnings: z.array(z.string()),
    warningCodes: z.array(z.enum(INFER_WARNING_CODES)).describe('codes of warnings to act on'),
    suggestedMetadataSchema: z.record(z.string(), propertySchema),
    sample: z.looseObject({ origin: z.string(), bytesRead: z.number(), truncated: z.boolean() }),
    preparation: z.looseObject({ needed: z.boolean() }).describe('prepare_files recipe, when the file does not fit the importer as it is'),
    where: z.looseObject({}).optional(),
    nextSteps: nextStepsSchema,
  }),
  quotesUntrustedData: true,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  async handler(args, ctx) {
    const given = [args.sample, args.path, args.url, args.s3_uri].filter((x) => x !== undefined).length;
    if (given !== 1) {
      throw invalidInput(
        given === 0 ? 'no sample to read.' : 'give only one of sample, path, url and s3_uri.',
        'Pass exactly one of "sample" (a few lines of the file as text), "path" (a local CSV file), "url" (http/https) or "s3_uri" (s3://bucket/key).',
      );
    }
    if (args.glob !== undefined && args.s3_uri === undefined) throw invalidInput('glob goes with s3_uri.', 'Give s3_uri "s3://bucket/prefix/" with the glob, or leave glob out.');
    const maxBytes = args.max_bytes ?? DEFAULT_SAMPLE_BYTES;
    const sample =
      args.sample !== undefined
        ? sampleFromText(args.sample, maxBytes)
        : args.path !== undefined
          ? await sampleFromPath(args.path, await ctx.sampleRoots(), maxBytes)
          : args.url !== undefined
            ? await (await import('../net/fetch-sample.js')).sampleFromUrl(args.url, { maxBytes, allowPrivate: ctx.config.allowPrivateUrls, signal: ctx.signal })
            : await sampleFromS3(args.s3_uri!, args.glob, maxBytes, ctx.config.s3Endpoint, ctx.signal);
    if (sample.text.trim() === '') throw new UserFacingError('empty_file', `${sample.origin} is an empty file: nothing to sample.`, { hint: 'Give a file or sample with at least one data row.' });

    let metadataSchema: MetadataSchema | undefined;
    const extraWarnings: string[] = [];
    if (args.dataset_id) {
      try {
        const dataset = await ctx.client.getDataset(args.dataset_id, { signal: ctx.signal });
        metadataSchema = dataset.dataDescription?.metadataSchema ?? {};
      } catch (err) {
        if (!(err instanceof UserFacingError)) throw err;
        extraWarnings.push(`Dataset ${args.dataset_id} could not be read (${err.message}); properties were not matched.`);
      }
    }
    // The engine, the recipe and the picture run in a worker thread, bounded in time and stopped when the call is cancelled.
    const { result, proposal, preview: where } = await analyseOffThread(
      {
        sample,
        options: {
          ...(metadataSchema ? { metadataSchema } : {}),
          ...(args.has_header !== undefined ? { hasHeader: args.has_header } : {}),
          ...(args.delimiter ? { delimiter: args.delimiter } : {}),
        },
        ...(metadataSchema ? { metadataSchema } : {}),
        preview: args.preview,
      },
      { signal: ctx.signal },
    );
    const nextSteps: string[] = [];
    if (result.missing.length) nextSteps.push(`Ask the person which columns hold ${result.missing.join(', ')}, and add them to file_format.`);
    if (result.warningCodes.includes('ambiguous_coordinates')) nextSteps.push('Resolve the ambiguity in warnings with the person before importing.');
    const unsure = result.columns.filter((c) => c.role && ['entity_id', 'timestamp', 'longitude', 'latitude'].includes(c.role) && c.confidence < 0.7).map((c) => c.role);
    if (unsure.length) nextSteps.push(`Confirm ${unsure.join(', ')} with the person (confidence below 0.7); candidates lists the alternatives with their evidence.`);
    if (result.warningCodes.includes('zoneless_time')) nextSteps.push('Ask the person which time zone the times are in before converting them.');
    if (!args.dataset_id) nextSteps.push('Call again with dataset_id to match the remaining columns to the dataset\'s properties.');
    if (where?.png) ctx.attachImage?.(where.png);
    if (where && where.readings.length > 1) {
      nextSteps.unshift(`Ask the person which reading is right: ${where.readings.map((r) => `${r.label} puts the points in ${r.places}`).join('; ')} (see the picture).`);
    }
    if (proposal) nextSteps.push(...preparationSteps(proposal));
    else nextSteps.push('Run put_batch with this file_format and dry_run true to check it against the files.');
    const compressed = sample.compression !== 'none' ? sample.compression : compressionOfKey(sample.origin);
    if (compressed) {
      extraWarnings.push(compressionWarning(1, 1, [sample.origin], compressed, 'sampled'));
      nextSteps.unshift(
        proposal
          ? 'The file is compressed (the sample was decompressed to read it) and the importer reads files as they are: the prepare_files steps below write plain CSV copies; import those, not these files.'
          : 'The file is compressed (the sample was decompressed to read it) and the importer reads files as they are: import plain CSV copies (prepare_files writes them, or decompress and upload them yourself), not these files.',
      );
    }
    return {
      ...result,
      ...(where ? { where: { readings: where.readings, ...(where.picture ? { picture: where.picture } : {}) } } : {}),
      warnings: [...extraWarnings, ...result.warnings],
      sample: { origin: sample.origin, bytesRead: sample.bytesRead, truncated: sample.truncated },
      preparation: proposal ? { ...proposal } : { needed: false, reasons: ['the file fits the importer as it is: no recipe is needed'] },
      nextSteps,
    };
  },
});
