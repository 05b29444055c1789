import { z } from 'zod';
import { invalidInput, UserFacingError } from '../errors.js';
import { ledgerUrl, type LedgerSource } from '../import/ledger.js';
import { alreadyImported, countingImports, describeEarlier, earlierImports, ledgerFor } from '../import/repeats.js';
import { dryRunVerdict, type SourceSize, type Verdict } from '../import/verdict.js';
import { topCauses } from '../import/rejections.js';
import { CompressionCount } from '../import/compression.js';
import type { ListedObject } from '../aws/presign-limits.js';
import { buildBatchRequest, MAX_URLS, type SourceArgs } from '../import/preflight.js';
import { s3Preflight } from '../import/s3-preflight.js';
import { rolePreflight } from '../import/role-preflight.js';
import { isTerminal, type WireSource } from '../dfi/schemas.js';
import { displayUrl, maskQuery } from '../aws/s3-names.js';
import { parseS3Location } from '../rules/s3.js';
import { DEFAULT_EXPIRES_IN, MAX_EXPIRES_IN, type Presigned } from '../aws/presign-limits.js';
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

function describeSource(source: WireSource, presigned?: Presigned): string {
  if (presigned) return `${presigned.urls.length} presigned file(s) (${presigned.keys[0]}${presigned.keys.length > 1 ? ', …' : ''})`;
  if ('urls' in source) return `${source.urls.length} URL(s) starting with ${displayUrl(source.urls[0]!)}`;
  return `s3://${source.s3.bucket}/${source.s3.prefix ?? ''} (${source.s3.glob}) as ${source.s3.credentials.RoleArn}`;
}

/**
 * The job as the platform echoes it, with the query string of every source URL masked: a query may
 * carry a credential under any name (only the platform needs the URLs whole).
 */
function maskSourceQueries<J extends { source?: unknown }>(job: J): J {
  const source = job.source as { urls?: unknown } | undefined;
  if (!source || !Array.isArray(source.urls)) return job;
  const urls = source.urls.map((u) => (typeof u === 'string' ? maskQuery(u) : u));
  return { ...job, source: { ...source, urls } };
}

function describeFormat(format: Record<string, number>): string {
  return Object.entries(format)
    .sort((a, b) => a[1] - b[1])
    .map(([k, v]) => `${v}=${k}`)
    .join(', ');
}

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
    const dryRun = args.dry_run;
    const real = dryRun === false;
    if (real && ctx.config.readOnly) {
      throw new UserFacingError('read_only', 'this server runs with --read-only: only dry runs are allowed.', {
        hint: 'Ask the operator to restart the server without --read-only (DFI_READ_ONLY) to import.',
      });
    }
    if (args.only_new && args.reimport) throw invalidInput('only_new and reimport contradict each other.', 'Pass only_new true to skip the files already imported, or reimport true to import them again; not both.');
    if (args.only_new && args.source.s3) {
      throw invalidInput(
        'only_new cannot pick files on the IAM-role route: the platform reads every file under the prefix that the glob matches.',
        'Use source.s3_presigned with only_new (the server lists the files and sends only the new ones), or narrow the prefix or glob to the new files.',
      );
    }
    const dataset = await ctx.client.getDataset(args.dataset_id, { signal: ctx.signal });
    const ledger = ledgerFor(ctx.config);
    const live = async (batchId: string) => (await ctx.client.getBatch(batchId, { signal: ctx.signal })).status;
    const counting = await countingImports(ledger, args.dataset_id, live);
    // The presigned route: fresh URLs every call, but the same source for the gate.
    let presigned: Presigned | undefined;
    let sourceArgs = args.source as SourceArgs;
    let ledgerSource: LedgerSource;
    if (args.source.s3_presigned) {
      const ps = args.source.s3_presigned;
      const loc = parseS3Location(ps.bucket, ps.prefix);
      ledgerSource = { route: 's3_presigned', bucket: loc.bucket, prefix: loc.prefix ?? '', glob: ps.glob };
      const src = ledgerSource;
      const { presignMatchingKeys } = await import('../aws/presign.js');
      presigned = await presignMatchingKeys({
        ...ps,
        bucket: loc.bucket,
        prefix: loc.prefix,
        expiresIn: ps.expires_in,
        endpoint: ctx.config.s3Endpoint,
        ...(args.only_new ? { keep: (o: ListedObject) => !alreadyImported(counting, { datasetId: args.dataset_id, source: src }, o) } : {}),
      });
      if (presigned.urls.length === 0) {
        throw new UserFacingError('nothing_new', `every file under s3://${loc.bucket}/${loc.prefix ?? ''} that matches "${ps.glob}" was already imported into ${args.dataset_id} (${presigned.skipped.length} file(s)); nothing was sent.`, {
          hint: 'list_imports shows the earlier imports. To import them again, pass reimport true instead of only_new.',
        });
      }
      sourceArgs = { urls: presigned.urls };
    } else if (args.source.urls) {
      const all = args.source.urls;
      const keep = args.only_new ? all.filter((u) => !alreadyImported(counting, { datasetId: args.dataset_id, source: { route: 'urls', urls: [ledgerUrl(u)] } }, { key: ledgerUrl(u), size: 0 })) : all;
      if (keep.length === 0) {
        throw new UserFacingError('nothing_new', `every URL was already imported into ${args.dataset_id}; nothing was sent.`, { hint: 'list_imports shows the earlier imports. To import them again, pass reimport true instead of only_new.' });
      }
      sourceArgs = { urls: keep };
      ledgerSource = { route: 'urls', urls: keep.map(ledgerUrl) };
    } else {
      const s3 = args.source.s3!;
      const loc = parseS3Location(s3.bucket, s3.prefix);
      ledgerSource = { route: 's3', bucket: loc.bucket, prefix: loc.prefix ?? '', glob: s3.glob, roleArn: s3.role_arn };
    }
    const { request, preflight } = buildBatchRequest(args.dataset_id, sourceArgs, args.file_format, dataset);
    const gateKey = presigned
      ? { datasetId: request.datasetId, format: request.format, source: { s3_presigned: { bucket: args.source.s3_presigned!.bucket, prefix: args.source.s3_presigned!.prefix ?? '', glob: args.source.s3_presigned!.glob, keys: presigned.keys } } }
      : request;
    if (presigned) preflight.warnings.push(...presigned.warnings);
    // The objects this import reads, when listed with the person's credentials; and the source's size.
    let objects: ListedObject[] | undefined = presigned?.objects;
    let size: SourceSize | undefined = presigned ? { files: presigned.objects.length, bytes: presigned.bytes } : undefined;
    if (presigned) {
      const c = new CompressionCount();
      for (const k of presigned.keys) c.add(k);
      const w = c.warning();
      if (w) preflight.warnings.push(w);
    } else if ('urls' in request.source) {
      const c = new CompressionCount();
      for (const u of request.source.urls) c.add(ledgerUrl(u));
      const w = c.warning();
      if (w) preflight.warnings.push(w);
    }
    // An S3 source: check it with the person's own credentials too, when they are at hand.
    if ('s3' in request.source) {
      const found = await s3Preflight(request.source.s3, { endpoint: ctx.config.s3Endpoint });
      if (found.check) preflight.checks.push(found.check);
      preflight.warnings.push(...found.warnings);
      // The cheap part of check_aws_role: may the platform assume the role and read these keys? Warns, never blocks.
      const s3 = request.source.s3;
      const role = await rolePreflight({
        roleArn: s3.credentials.RoleArn,
        bucket: s3.bucket,
        prefix: s3.prefix,
        glob: s3.glob,
        keys: found.keys,
        s3Endpoint: ctx.config.s3Endpoint,
        sandbox: ctx.config.backend === 'sandbox',
        trustPolicy: () => ctx.client.getAwsTrustPolicy({ signal: ctx.signal }),
      });
      preflight.checks.push(...role.checks);
      preflight.warnings.push(...role.warnings);
      objects = found.objects;
      size = found.size;
    }
    const planned = { datasetId: args.dataset_id, source: ledgerSource, ...(objects ? { objects } : {}) };
    const earlier = args.reimport ? [] : earlierImports(counting, planned);
    const alreadyImportedOut = earlier.map((e) => ({ batchId: e.entry.batchId ?? null, status: e.status, at: e.entry.at, files: e.objects === 'source' ? ('same source' as const) : e.objects.length }));
    if (!real && earlier.length) {
      preflight.warnings.push(
        `Files of this source were already imported into ${args.dataset_id}: ${describeEarlier(earlier)}. The real import will be refused unless you pass ${args.source.s3 ? 'reimport true (or narrow the prefix to the new files)' : 'only_new true (only the new files) or reimport true (again)'}.`,
      );
    }

    if (real) {
      const permissions = await ctx.client.getPermissions(args.dataset_id, { signal: ctx.signal }).catch(() => undefined);
      if (permissions?.write === false) {
        throw new UserFacingError('forbidden', `the token has no write permission on dataset ${args.dataset_id}.`, {
          status: 403,
          hint: 'Ask an administrator of the dataset for write access, or import into another dataset.',
        });
      }
      let finding = '';
      if (!ctx.config.allowUnconfirmedImports) {
        // Taken now, in flight: a concurrent call with the same token finds it gone.
        const gate = ctx.confirmations.take(args.confirmation, gateKey);
        if (!gate.ok) {
          throw new UserFacingError('not_confirmed', `the import was not sent: ${gate.reason}.`, {
            hint: 'Run put_batch with the same dataset_id, source and file_format and dry_run true; if it succeeds, show the person its result and pass its confirmation.token here.',
          });
        }
        finding = gate.finding;
      }
      // The ledger: files already imported into this dataset are not imported again unless asked.
      if (earlier.length) {
        throw new UserFacingError('already_imported', `the import was not sent: it would import files already imported into ${args.dataset_id}: ${describeEarlier(earlier)}.`, {
          hint: `${args.source.s3 ? 'On the IAM-role route the platform reads the whole prefix: narrow the prefix or glob to the new files, or use source.s3_presigned with only_new true (after a dry run with it). ' : 'Dry-run again with only_new true to import only the files not yet imported. '}To import the same files again (duplicate rows), dry-run again and pass reimport true with its confirmation. list_imports shows the earlier imports.`,
        });
      }
      // An extra, never the only gate: where the client can ask the person, ask.
      if (ctx.askPerson) {
        const answer = await ctx.askPerson(`Import into ${args.dataset_id} from ${describeSource(request.source, presigned)}, columns ${describeFormat(args.file_format)}${finding ? ` (dry run: ${finding})` : ''}?`);
        if (answer !== 'accept') {
          // Nothing was sent: the confirmation stays valid.
          if (args.confirmation && !ctx.config.allowUnconfirmedImports) ctx.confirmations.giveBack(args.confirmation);
          return {
            declined: true,
            preflight,
            nextSteps: [
              answer === 'decline'
                ? 'The person declined the import; nothing was sent. Ask what to change, or stop here.'
                : `The person did not answer the confirmation request within ${Math.round(ctx.config.elicitationTimeoutMs / 1000)} s; nothing was sent. Ask them in the chat, then call put_batch again with the same confirmation.`,
            ],
          };
        }
      }
    } else if (args.confirmation) {
      preflight.warnings.push('confirmation is only used with dry_run false; it was ignored.');
    }

    // The ledger: the intent before the request, the outcome after (crash-safe; see src/import/ledger.ts).
    const intent = real ? ledger.recordIntent({ ...planned, format: request.format.csv }) : undefined;
    let job;
    try {
      job = await ctx.client.putBatch(request, dryRun, { signal: ctx.signal });
      if (intent) ledger.recordOutcome(intent, 'sent', { batchId: job.id });
    } catch (err) {
      if (intent) {
        const refused = err instanceof UserFacingError && err.status !== undefined && err.status >= 400 && err.status < 500;
        ledger.recordOutcome(intent, refused ? 'refused' : 'unknown', { detail: err instanceof Error ? err.message.slice(0, 300) : 'unknown error' });
      }
      throw err;
    } finally {
      // A token confirms one attempt: after an unknown outcome, nobody should resend blindly.
      if (real && args.confirmation && !ctx.config.allowUnconfirmedImports) ctx.confirmations.consume(args.confirmation);
    }

    const nextSteps: string[] = [];
    let confirmation: { token: string; expiresAt: string } | undefined;
    let verdict: Verdict | undefined;
    if (!real) {
      const files = presigned ? presigned.urls.length : 'urls' in request.source ? request.source.urls.length : (size?.files ?? objects?.length);
      verdict = dryRunVerdict(job, { files, size });
      const why = topCauses(verdict.rejections);
      if (verdict.confirm) {
        confirmation = ctx.confirmations.issue(gateKey, verdict.checked.label);
        nextSteps.push(`The dry run found rows to insert: ${verdict.checked.label}${verdict.estimate ? `; ${verdict.estimate.label}` : ''}. Show the person these counts${verdict.checked.invalid ? ' and the rejections by cause' : ''}.`);
        if (verdict.warning) nextSteps.push(`Warn the person: ${verdict.warning}`);
        nextSteps.push(`If they approve, call put_batch again with the same dataset_id, source and file_format, dry_run: false and confirmation: "${confirmation.token}" (valid until ${confirmation.expiresAt}).`);
      } else if (verdict.code === 'no_row_would_be_inserted') {
        nextSteps.push(
          `No checked row would be inserted (${verdict.checked.label}), so there is nothing to confirm: ${why || 'see job.log'}.`,
          'Fix the file_format (infer_csv_format proposes one) or convert the files to what the importer reads (epoch-millisecond times, decimal degrees, the enum values), then dry-run again.',
        );
      } else {
        nextSteps.push(`The dry run answered "${job.status}"${why ? `: ${why}` : ''}. Fix the source or file_format and dry-run again.`);
      }
    } else {
      nextSteps.push(
        isTerminal(job.status)
          ? `The import ended at once with status "${job.status}": read job.log.`
          : job.id !== undefined
            ? `The import has started (batch ${job.id}). Call get_batch with batch_id "${job.id}" and wait_seconds 30, repeatedly, until terminal is true.`
            : `The import was accepted (status "${job.status}"), but ${ctx.client.label}'s answer carries no batch id: find the new batch on the platform to follow it, and do not send the import again.`,
      );
    }
    if (presigned) {
      nextSteps.push(`${presigned.urls.length} file(s) were presigned; the URLs work until ${presigned.expiresAt}: the import must have fetched every file by then.`);
    }
    if (presigned?.skipped.length) nextSteps.push(`only_new: ${presigned.skipped.length} file(s) already imported into ${args.dataset_id} were left out.`);
    return {
      job: maskSourceQueries(job),
      preflight,
      ...(verdict
        ? {
            verdict: { code: verdict.code, checked: verdict.checked, rejectedShare: verdict.rejectedShare, ...(verdict.estimate ? { estimate: verdict.estimate } : {}), ...(verdict.warning ? { warning: verdict.warning } : {}) },
            ...(verdict.rejections.causes.length || verdict.rejections.fileProblems.length || verdict.rejections.unrecognised.length ? { rejections: verdict.rejections } : {}),
          }
        : {}),
      ...(alreadyImportedOut.length ? { alreadyImported: alreadyImportedOut } : {}),
      ...(presigned?.skipped.length ? { skipped: { files: presigned.skipped.length, firstKeys: presigned.skipped.slice(0, 5).map((o) => o.key) } } : {}),
      ...(presigned ? { presigned: { files: presigned.urls.length, bytes: presigned.bytes, expiresAt: presigned.expiresAt, firstKeys: presigned.keys.slice(0, 5) } } : {}),
      ...(confirmation ? { confirmation } : {}),
      nextSteps,
    };
  },
});
