import { z } from 'zod';
import { parseS3Location, unsafeS3Location } from '../rules/s3.js';
import { invalidInput, UserFacingError } from '../errors.js';
import { resolveAllowedFolder } from '../fs/allowed-file.js';
import { compileRecipe, fileFormatOf, parseRecipe, recipeHash, RecipeError } from '../prepare/recipe.js';
import { dryRunPreparation, MANIFEST_NAME, MAX_FILES, newManifest, PrepareJob, putBatchHint, readManifest, registerJob, targetOverlap, type Preparation } from '../prepare/job.js';
import { athenaPlan, ATHENA_THRESHOLD_BYTES } from '../prepare/athena.js';
import type { SourceStore, TargetStore } from '../prepare/stores.js';
import { defineTool, nextStepsSchema, type ToolContext } from './tool.js';

const region = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/);

export const prepareInput = z
  .object({
    source: z
      .object({
        s3: z
          .object({
            bucket: z.string().min(1).max(1024),
            prefix: z.string().max(1024).optional(),
            glob: z.string().min(1).max(512),
            profile: z.string().min(1).max(128).optional().describe('AWS profile'),
            region: region.optional(),
          })
          .strict()
          .optional()
          .describe("read with the person's AWS credentials"),
        path: z
          .object({ folder: z.string().min(1).max(4096), glob: z.string().min(1).max(512) })
          .strict()
          .optional()
          .describe('a local folder within the allowed roots: {"folder": "/data/ais", "glob": "*.csv.gz"}'),
        urls: z.array(z.string().min(1).max(4096)).min(1).max(1000).optional().describe('http(s) URLs, each read once'),
      })
      .strict()
      .refine((s) => [s.s3, s.path, s.urls].filter((x) => x !== undefined).length === 1, { message: 'give exactly one of source.s3, source.path and source.urls' }),
    recipe: z.record(z.string(), z.unknown()).describe('the recipe (see infer_csv_format, which proposes one)'),
    target: z
      .string()
      .max(1100)
      .optional()
      .describe('s3://bucket/prefix/ to write to; default for S3 sources: s3://<bucket>/dfi-prepared/<prefix>/'),
    dry_run: z.boolean().default(true).describe('true: convert the first rows, write nothing; false: the real run (needs confirmation)'),
    rows: z.number().int().min(1).max(10_000).default(200).describe('dry run: rows per file checked'),
    parallel: z.number().int().min(1).max(8).default(4).describe('objects converted at once'),
    max_reject_share: z
      .number()
      .min(0)
      .max(0.5)
      .default(0.1)
      .describe('dry run: the share of checked rows that may be rejected (counted by cause, never written) and still get a confirmation; default 0.1'),
    profile: z.string().min(1).max(128).optional().describe('AWS profile for the target'),
    confirmation: z.string().optional().describe("with dry_run false: the dry run's confirmation.token"),
  })
  .strict();

type Args = z.infer<typeof prepareInput>;

const pct = (x: number) => `${Math.round(x * 1000) / 10}%`;

/** The sandbox without an S3 endpoint keeps its buckets in a folder: read and write there. */
function bucketFolder(ctx: ToolContext): string | null {
  return ctx.config.backend === 'sandbox' && !ctx.config.sandbox.s3Endpoint ? ctx.config.sandbox.s3Root : null;
}

function parseTarget(uri: string): { bucket: string; prefix: string } {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/i.exec(uri.trim());
  if (!m) throw invalidInput(`target "${uri}" is not an s3:// URI.`, 'Give the target as s3://bucket/prefix/.');
  const loc = parseS3Location(m[1]!, m[2] || undefined);
  let prefix = loc.prefix ?? '';
  if (prefix && !prefix.endsWith('/')) prefix += '/';
  if (prefix.split('/').includes('..')) throw invalidInput(`target "${uri}" must not contain "..".`);
  return { bucket: loc.bucket, prefix };
}

async function plan(args: Args, ctx: ToolContext): Promise<{ prep: Preparation; gateKey: Record<string, unknown>; warnings: string[] }> {
  const parsed = parseRecipe(args.recipe);
  if (!parsed.ok) throw invalidInput(`the recipe is not valid: ${parsed.problems.join('; ')}.`, 'Fix the recipe (infer_csv_format with the file proposes one), then call prepare_files again.');
  const recipe = parsed.recipe;
  let compiled;
  try {
    compiled = await compileRecipe(recipe);
  } catch (err) {
    if (err instanceof RecipeError) throw new UserFacingError(err.code, `the recipe cannot be used: ${err.message}`, { hint: 'Fix the recipe and call prepare_files again.' });
    throw err;
  }
  const warnings: string[] = [];
  const folder = bucketFolder(ctx);
  const { makeS3Client } = await import('../aws/s3.js');
  const { folderSource, folderTarget, s3Source, s3Target, urlSource } = await import('../prepare/stores.js');
  let source: SourceStore;
  let sourcePrefix = '';
  let target: { bucket: string; prefix: string };
  let sourceDesc: Record<string, unknown>;
  if (args.source.s3) {
    const s = args.source.s3;
    const loc = parseS3Location(s.bucket, s.prefix);
    warnings.push(...loc.warnings);
    sourcePrefix = loc.prefix ?? '';
    if (folder) {
      const why = unsafeS3Location(loc.bucket, sourcePrefix);
      if (why) throw invalidInput(why);
      source = folderSource(`${folder}/${loc.bucket}`, sourcePrefix, s.glob, `s3://${loc.bucket}/${sourcePrefix}`);
    } else {
      source = await s3Source(await makeS3Client({ region: s.region, profile: s.profile, endpoint: ctx.config.s3Endpoint }), loc.bucket, sourcePrefix, s.glob);
    }
    target = args.target ? parseTarget(args.target) : { bucket: loc.bucket, prefix: `dfi-prepared/${sourcePrefix}${sourcePrefix && !sourcePrefix.endsWith('/') ? '/' : ''}` };
    const overlap = targetOverlap(loc.bucket, sourcePrefix, s.glob, target.bucket, target.prefix);
    if (overlap) {
      throw invalidInput(`refused before writing anything: ${overlap}.`, 'Give a target outside the source, e.g. s3://<bucket>/dfi-prepared/<prefix>/ or another bucket.');
    }
    sourceDesc = { s3: { bucket: loc.bucket, prefix: sourcePrefix, glob: s.glob } };
  } else if (args.source.urls) {
    const { parseUrl } = await import('../net/guarded-get.js');
    for (const u of args.source.urls) parseUrl(u);
    source = urlSource(args.source.urls, { allowPrivate: ctx.config.allowPrivateUrls });
    if (!args.target) throw invalidInput('a URL source needs a target.', 'Give target as s3://bucket/prefix/ (in the sandbox: any bucket name; it is a folder of the sandbox).');
    target = parseTarget(args.target);
    sourceDesc = { urls: (await source.list(MAX_FILES)).objects.map((o) => o.key) };
  } else {
    const p = args.source.path!;
    const dir = await resolveAllowedFolder(p.folder, await ctx.sampleRoots());
    source = folderSource(dir, '', p.glob, `${dir}/`);
    if (!args.target) throw invalidInput('a local source needs a target.', 'Give target as s3://bucket/prefix/ (in the sandbox: any bucket name; it is a folder of the sandbox).');
    target = parseTarget(args.target);
    sourceDesc = { path: { folder: dir, glob: p.glob } };
  }
  const targetStore: TargetStore = folder
    ? folderTarget(folder, target.bucket, target.prefix)
    : await s3Target(await makeS3Client({ profile: args.profile ?? args.source.s3?.profile, region: args.source.s3?.region, endpoint: ctx.config.s3Endpoint }), target.bucket, target.prefix);
  const { objects, truncated } = await source.list(MAX_FILES);
  if (truncated) throw invalidInput(`more than ${MAX_FILES} files match; one preparation takes at most ${MAX_FILES}.`, 'Split it by sub-prefix or a narrower glob.');
  if (objects.length === 0) throw invalidInput(`nothing under ${source.where} matches the glob.`, 'Check the prefix and the glob ("*.csv" matches files directly under the prefix, "**/*.csv" at any depth); check_s3_source shows what matches.');
  const hash = recipeHash(recipe);
  const prep: Preparation = { source, sourcePrefix, target: targetStore, recipe, compiled, recipeHash: hash, objects };
  const gateKey = { prepare: { source: sourceDesc, target: targetStore.uri, recipeHash: hash, keys: objects.length } };
  return { prep, gateKey, warnings };
}

export const prepareFiles = defineTool({
  name: 'prepare_files',
  title: 'Prepare files the importer cannot read as they are (dry run first)',
  description:
    "For files put_batch cannot read as they are (gzip, header, other delimiter, ISO/US/local times, projected or DMS coordinates, decimals for integer properties, enum values): converts them into a staging prefix with a recipe (infer_csv_format proposes one). Dry run first (the default: before/after rows, rejects by cause, size and time estimate; writes nothing); with its confirmation and dry_run false, a background job: follow it with get_prepare_job. The result gives put_batch's source and file_format. Re-runs skip what is done. Example: {\"source\": {\"s3\": {\"bucket\": \"acme-ais\", \"prefix\": \"2024/\", \"glob\": \"*.csv.gz\"}}, \"recipe\": {...}}",
  input: prepareInput,
  dryRunsOnlyWhenReadOnly: true,
  // Kept loose (tools/list is loaded into every client's context): the keys are described in the README.
  output: z.looseObject({
    dryRun: z.boolean(),
    source: z.string(),
    target: z.string(),
    verdict: z.enum(['fits', 'does_not_fit']).optional(),
    job: z.looseObject({ id: z.string(), status: z.string() }).optional(),
    put_batch: z.looseObject({ file_format: z.record(z.string(), z.number()), source: z.record(z.string(), z.unknown()) }).optional(),
    confirmation: z.object({ token: z.string(), expiresAt: z.string() }).optional(),
    warnings: z.array(z.string()),
    nextSteps: nextStepsSchema,
  }),
  quotesUntrustedData: true,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  async handler(args, ctx) {
    const real = args.dry_run === false;
    if (real && ctx.config.readOnly) {
      throw new UserFacingError('read_only', 'this server runs with --read-only: prepare_files only does dry runs.', {
        hint: 'Ask the operator to restart the server without --read-only (DFI_READ_ONLY) to write prepared files.',
      });
    }
    const { prep, gateKey, warnings } = await plan(args, ctx);
    const base = { source: prep.source.where, target: prep.target.uri, recipeHash: prep.recipeHash };
    if (!real) {
      if (args.confirmation) warnings.push('confirmation is only used with dry_run false; it was ignored.');
      const report = await dryRunPreparation(prep, { rows: args.rows, files: 2, parallel: args.parallel, signal: ctx.signal });
      const rejected = Object.values(report.rows.rejected).reduce((a, b) => a + (b ?? 0), 0);
      const share = report.rows.checked > 0 ? rejected / report.rows.checked : 0;
      const fits = report.rows.written > 0 && share <= args.max_reject_share;
      const causes = Object.entries(report.rows.rejected)
        .map(([c, n]) => `${n} ${c}`)
        .join(', ');
      const nextSteps: string[] = [];
      let confirmation: { token: string; expiresAt: string } | undefined;
      if (fits) {
        confirmation = ctx.confirmations.issue(gateKey, `${report.rows.written} of ${report.rows.checked} rows converted`);
        nextSteps.push(
          `The recipe fits: ${report.rows.written} of ${report.rows.checked} rows checked convert${rejected ? `; ${rejected} rejected (${causes}; ${pct(share)}, within max_reject_share ${pct(args.max_reject_share)}): the real run leaves such rows out and counts them by cause` : ''}. Show the person sideBySide${rejected ? ', rejects' : ''} and the estimate.`,
          `If they approve, call prepare_files again with the same source, recipe and target, dry_run: false and confirmation: "${confirmation.token}" (valid until ${confirmation.expiresAt}).`,
        );
      } else {
        nextSteps.push(
          report.rows.written === 0
            ? 'No row converted: the recipe does not fit the file. Read rejects (row and cause), fix the recipe, and dry-run again.'
            : `${rejected} of ${report.rows.checked} rows were rejected (${causes}; ${pct(share)}, more than max_reject_share ${pct(args.max_reject_share)}). Read rejects: if the recipe is wrong, fix it (column, format, time_zone, map) and dry-run again.`,
        );
        if (report.rows.written > 0 && share <= 0.5) {
          nextSteps.push(
            `If the person agrees that these rows are bad data to leave out (counted by cause, never written), dry-run again with max_reject_share: ${Math.min(0.5, Math.ceil(share * 100) / 100)} to get a confirmation.`,
          );
        }
      }
      const athena = report.estimate.sourceBytes >= ATHENA_THRESHOLD_BYTES ? athenaPlan(prep, report) : undefined;
      if (athena) nextSteps.push(`The source is ${(report.estimate.sourceBytes / 1e9).toFixed(0)} GB: see athena for the same conversion as an Athena job, with its cost.`);
      const done = report.outputs.filter((o) => o.state === 'done').length;
      if (done) nextSteps.push(`${done} of the first ${report.outputs.length} outputs are already prepared with this recipe and will be skipped.`);
      return {
        dryRun: true,
        ...base,
        files: report.files,
        rows: { ...report.rows, rejected: report.rows.rejected as Record<string, number> },
        sideBySide: report.sideBySide,
        rejects: report.rejects,
        outputs: report.outputs,
        estimate: report.estimate,
        verdict: fits ? ('fits' as const) : ('does_not_fit' as const),
        rejectShare: { seen: Math.round(share * 1e4) / 1e4, allowed: args.max_reject_share },
        ...(athena ? { athena } : {}),
        put_batch: putBatchHint(prep, ctx.config.backend === 'sandbox'),
        ...(confirmation ? { confirmation } : {}),
        warnings,
        nextSteps,
      };
    }
    if (!ctx.config.allowUnconfirmedImports) {
      const gate = ctx.confirmations.check(args.confirmation, gateKey);
      if (!gate.ok) {
        throw new UserFacingError('not_confirmed', `nothing was written: ${gate.reason.replace('a real import', 'a real preparation').replace('an import', 'a preparation')}.`, {
          hint: 'Run prepare_files with the same source, recipe and target and dry_run true; show the person its result and pass its confirmation.token here.',
        });
      }
      ctx.confirmations.consume(args.confirmation!);
    }
    // The first write is the manifest: a target the person cannot write is refused before any output.
    const previous = await readManifest(prep.target);
    try {
      await prep.target.putText(`${prep.target.prefix}${MANIFEST_NAME}`, JSON.stringify(newManifest(prep, fileFormatOf(prep.recipe), previous), null, 1));
    } catch (err) {
      if (err instanceof UserFacingError && err.kind === 'aws_access_denied') {
        throw new UserFacingError('aws_access_denied', `nothing was written: your AWS identity cannot write to ${prep.target.uri}.`, {
          hint: `Your identity needs this statement (or another target): {"Effect": "Allow", "Action": ["s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload"], "Resource": "arn:aws:s3:::${prep.target.bucket}/${prep.target.prefix}*"}`,
        });
      }
      throw err;
    }
    const job = new PrepareJob(prep, args.parallel, fileFormatOf(prep.recipe), previous);
    registerJob(job);
    return {
      dryRun: false,
      ...base,
      files: { total: prep.objects.length, bytes: job.counts.sourceBytes },
      job: { id: job.id, status: job.status },
      put_batch: putBatchHint(prep, ctx.config.backend === 'sandbox'),
      warnings,
      nextSteps: [
        `The preparation runs in the background (job ${job.id}). Call get_prepare_job with job_id "${job.id}" and wait_seconds 30, repeatedly, until terminal is true.`,
        'When it has finished, dry-run put_batch with put_batch.source and put_batch.file_format.',
      ],
    };
  },
});
