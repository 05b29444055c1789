/**
 * The import workflow behind put_batch, in the order it runs:
 *
 *   1. read-only check          5. gate key (what a confirmation confirms)
 *   2. the dataset               6. local preflight (request + format), compression
 *   3. the ledger's earlier      7. S3 and role preflights with the person's credentials
 *      imports                   8. real imports only: permission, the gate (token), the ledger's
 *   4. the source: presigning,      refusal of repeats, the person's yes (elicitation)
 *      only_new                  9. send (ledger intent before, outcome after), then the verdict,
 *                                   the token and the next steps
 *
 * The tool (tools/put_batch.ts) holds the schema and maps its arguments here. Every platform, S3 and
 * URL call made here gets the caller's AbortSignal: a cancelled MCP call stops its work.
 */
import type { Config } from '../config.js';
import { invalidInput, UserFacingError } from '../errors.js';
import { displayUrl, maskQuery } from '../net/display-url.js';
import type { ListedObject, Presigned } from '../aws/presign-limits.js';
import type { DfiPlatform } from '../dfi/platform.js';
import { isTerminal, type BatchRequest, type Dataset, type DryRun, type Job, type WireSource } from '../dfi/schemas.js';
import { parseS3Location } from '../rules/s3.js';
import { CompressionCount } from '../rules/compression.js';
import type { ConfirmationStore, GateKey } from './confirmations.js';
import { ledgerUrl, readPreparedCopy, type LedgerSource } from './ledger.js';
import { buildBatchRequest, warn, type Preflight, type S3SourceArgs, type SourceArgs } from './preflight.js';
import { topCauses, type RejectionSummary } from './rejections.js';
import { alreadyImported, countingImports, describeEarlier, earlierImports, ledgerFor, type EarlierImport } from './repeats.js';
import { rolePreflight } from './role-preflight.js';
import { s3Preflight } from './s3-preflight.js';
import { dryRunVerdict, type SourceSize, type Verdict } from './verdict.js';

/** Presigned with the person's own credentials (no role). */
export interface PresignedSourceArgs {
  bucket: string;
  prefix?: string | undefined;
  glob: string;
  expires_in?: number | undefined;
  profile?: string | undefined;
  region?: string | undefined;
}

/** What to import, named as put_batch's arguments are (messages name them). */
export interface ImportArgs {
  dataset_id: string;
  source: { s3?: S3SourceArgs | undefined; urls?: string[] | undefined; s3_presigned?: PresignedSourceArgs | undefined };
  file_format: Record<string, number>;
  dry_run: DryRun;
  confirmation?: string | undefined;
  reimport?: boolean | undefined;
  only_new?: boolean | undefined;
}

/** What the workflow needs from the server. */
export interface ImportDeps {
  config: Config;
  client: DfiPlatform;
  confirmations: ConfirmationStore;
  /** The MCP call's signal: reaches every platform, S3 and URL call. */
  signal: AbortSignal;
  /** Present when the client can ask the person (elicitation). */
  askPerson?: ((message: string) => Promise<'accept' | 'decline' | 'no_answer'>) | undefined;
}

export interface ImportOutcome {
  job?: Job;
  declined?: boolean;
  preflight: Preflight;
  presigned?: { files: number; bytes: number; expiresAt: string; firstKeys: string[] };
  confirmation?: { token: string; expiresAt: string };
  verdict?: Pick<Verdict, 'code' | 'checked' | 'rejectedShare'> & Partial<Pick<Verdict, 'estimate' | 'warning'>>;
  rejections?: RejectionSummary;
  alreadyImported?: { batchId: string | null; status: string; at: string; files: number | 'same source' }[];
  skipped?: { files: number; firstKeys: string[] };
  nextSteps: string[];
}

/** The source as resolved for this call: what is sent, what the ledger records, what was presigned. */
interface ResolvedSource {
  send: SourceArgs;
  ledger: LedgerSource;
  presigned?: Presigned;
}

/** Runs put_batch: a dry run (the default) or, with a dry run's confirmation, the real import. */
export async function importBatch(args: ImportArgs, deps: ImportDeps): Promise<ImportOutcome> {
  const { client, config, signal } = deps;
  const real = args.dry_run === false;
  checkArguments(args, config);
  const dataset = await client.getDataset(args.dataset_id, { signal });
  const ledger = ledgerFor(config);
  const counting = await countingImports(ledger, args.dataset_id, async (batchId) => (await client.getBatch(batchId, { signal })).status);
  const source = await resolveSource(args, deps, counting);
  const { presigned } = source;
  const { request, preflight } = buildBatchRequest(args.dataset_id, source.send, args.file_format, dataset);
  const gateKey = gateKeyOf(args, request, presigned);
  for (const w of presigned?.warnings ?? []) warn(preflight, 'credentials_expire_early', w);
  compressionWarning(presigned ? presigned.keys : 'urls' in request.source ? request.source.urls.map(ledgerUrl) : [], preflight);
  // The objects this import reads, when listed with the person's credentials; and the source's size.
  let objects: ListedObject[] | undefined = presigned?.objects;
  let size: SourceSize | undefined = presigned ? { files: presigned.objects.length, bytes: presigned.bytes } : undefined;
  if ('s3' in request.source) {
    const found = await s3Checks(request.source.s3, deps, preflight);
    objects = found.objects;
    size = found.size;
  }
  // A prepared copy (prepare_files' manifest at the prefix): the ledger recognises its original rows.
  const creds = args.source.s3_presigned ?? args.source.s3;
  const prepared = await readPreparedCopy(source.ledger, config, { signal, profile: creds && 'profile' in creds ? creds.profile : undefined, region: creds && 'region' in creds ? creds.region : undefined });
  const planned = { datasetId: args.dataset_id, source: source.ledger, ...(objects ? { objects } : {}), ...(prepared ? { prepared } : {}) };
  const earlier = args.reimport ? [] : earlierImports(counting, planned);
  if (!real && earlier.length) {
    warn(
      preflight,
      'already_imported',
      `Files of this source were already imported into ${args.dataset_id}: ${describeEarlier(earlier)}. The real import will be refused unless you pass ${args.source.s3 ? 'reimport true (or narrow the prefix to the new files)' : 'only_new true (only the new files) or reimport true (again)'}.`,
    );
  }

  if (real) {
    const declined = await admitImport(args, deps, dataset, { gateKey, earlier, what: describeSource(request.source, presigned) });
    if (declined) return { declined: true, preflight, nextSteps: [declined] };
  } else if (args.confirmation) {
    warn(preflight, 'confirmation_ignored', 'confirmation is only used with dry_run false; it was ignored.');
  }

  const job = await send(args, deps, request, real ? { ...planned, format: request.format.csv } : undefined);
  return outcome(args, deps, { job, request, preflight, presigned, gateKey, objects, size, earlier });
}

/** 1. What no call may do, whatever the platform says. */
function checkArguments(args: ImportArgs, config: Config): void {
  if (args.dry_run === false && config.readOnly) {
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
}

const NOTHING_NEW_HINT = 'list_imports shows the earlier imports. To import them again, pass reimport true instead of only_new.';

/** 4. The source: presigned afresh every call (the same source for the gate), only_new applied. */
async function resolveSource(args: ImportArgs, deps: ImportDeps, counting: Awaited<ReturnType<typeof countingImports>>): Promise<ResolvedSource> {
  const ps = args.source.s3_presigned;
  if (ps) {
    const loc = parseS3Location(ps.bucket, ps.prefix);
    const ledger: LedgerSource = { route: 's3_presigned', bucket: loc.bucket, prefix: loc.prefix ?? '', glob: ps.glob };
    const { presignMatchingKeys } = await import('../aws/presign.js');
    const presigned = await presignMatchingKeys({
      ...ps,
      bucket: loc.bucket,
      prefix: loc.prefix,
      expiresIn: ps.expires_in,
      endpoint: deps.config.s3Endpoint,
      signal: deps.signal,
      ...(args.only_new ? { keep: (o: ListedObject) => !alreadyImported(counting, { datasetId: args.dataset_id, source: ledger }, o) } : {}),
    });
    if (presigned.urls.length === 0) {
      throw new UserFacingError('nothing_new', `every file under s3://${loc.bucket}/${loc.prefix ?? ''} that matches "${ps.glob}" was already imported into ${args.dataset_id} (${presigned.skipped.length} file(s)); nothing was sent.`, {
        hint: NOTHING_NEW_HINT,
      });
    }
    return { send: { urls: presigned.urls }, ledger, presigned };
  }
  if (args.source.urls) {
    const all = args.source.urls;
    const keep = args.only_new ? all.filter((u) => !alreadyImported(counting, { datasetId: args.dataset_id, source: { route: 'urls', urls: [ledgerUrl(u)] } }, { key: ledgerUrl(u), size: 0 })) : all;
    if (keep.length === 0) throw new UserFacingError('nothing_new', `every URL was already imported into ${args.dataset_id}; nothing was sent.`, { hint: NOTHING_NEW_HINT });
    return { send: { urls: keep }, ledger: { route: 'urls', urls: keep.map(ledgerUrl) } };
  }
  const s3 = args.source.s3!;
  const loc = parseS3Location(s3.bucket, s3.prefix);
  return { send: { s3 }, ledger: { route: 's3', bucket: loc.bucket, prefix: loc.prefix ?? '', glob: s3.glob, roleArn: s3.role_arn } };
}

/** 5. What a confirmation confirms: the request, or for presigned sources the location and its keys (the URLs change every call). */
function gateKeyOf(args: ImportArgs, request: BatchRequest, presigned: Presigned | undefined): GateKey {
  if (!presigned) return request;
  const ps = args.source.s3_presigned!;
  return { datasetId: request.datasetId, format: request.format, source: { s3_presigned: { bucket: ps.bucket, prefix: ps.prefix ?? '', glob: ps.glob, keys: presigned.keys } } };
}

/** 6. Compressed files said before the platform reads them. */
function compressionWarning(keys: string[], preflight: Preflight): void {
  if (keys.length === 0) return;
  const c = new CompressionCount();
  for (const k of keys) c.add(k);
  const w = c.warning();
  if (w) warn(preflight, 'compressed_files', w);
}

/** 7. An S3 source checked with the person's own credentials, when at hand; then the cheap part of check_aws_role. Both warn, never block. */
async function s3Checks(s3: Extract<WireSource, { s3: unknown }>['s3'], deps: ImportDeps, preflight: Preflight): Promise<{ objects?: ListedObject[]; size?: SourceSize }> {
  const found = await s3Preflight(s3, { endpoint: deps.config.s3Endpoint, signal: deps.signal });
  if (found.check) preflight.checks.push(found.check);
  for (const w of found.warnings) warn(preflight, w.code, w.text);
  const role = await rolePreflight({
    roleArn: s3.credentials.RoleArn,
    bucket: s3.bucket,
    prefix: s3.prefix,
    glob: s3.glob,
    keys: found.keys,
    s3Endpoint: deps.config.s3Endpoint,
    sandbox: deps.config.backend === 'sandbox',
    signal: deps.signal,
    trustPolicy: () => deps.client.getAwsTrustPolicy({ signal: deps.signal }),
  });
  preflight.checks.push(...role.checks);
  for (const w of role.warnings) warn(preflight, w.code, w.text);
  return { ...(found.objects ? { objects: found.objects } : {}), ...(found.size ? { size: found.size } : {}) };
}

/**
 * 8. A real import is admitted when the token may write, a dry run's confirmation matches (taken
 * now: a concurrent call with the same token finds it gone), no file was imported before (unless
 * asked), and the person, where the client can ask, says yes.
 */
async function admitImport(args: ImportArgs, deps: ImportDeps, dataset: Dataset, r: { gateKey: GateKey; earlier: EarlierImport[]; what: string }): Promise<string | undefined> {
  const { gateKey, earlier } = r;
  const { config, confirmations } = deps;
  const permissions = await deps.client.getPermissions(dataset.id, { signal: deps.signal }).catch(() => undefined);
  if (permissions?.write === false) {
    throw new UserFacingError('forbidden', `the token has no write permission on dataset ${args.dataset_id}.`, {
      status: 403,
      hint: 'Ask an administrator of the dataset for write access, or import into another dataset.',
    });
  }
  let finding = '';
  if (!config.allowUnconfirmedImports) {
    const gate = confirmations.take(args.confirmation, gateKey);
    if (!gate.ok) {
      throw new UserFacingError('not_confirmed', `the import was not sent: ${gate.reason}.`, {
        hint: 'Run put_batch with the same dataset_id, source and file_format and dry_run true; if it succeeds, show the person its result and pass its confirmation.token here.',
      });
    }
    finding = gate.finding;
  }
  if (earlier.length) {
    // Nothing was sent: the confirmation stays valid (for the same call with reimport true).
    if (args.confirmation && !config.allowUnconfirmedImports) confirmations.giveBack(args.confirmation);
    throw new UserFacingError('already_imported', `the import was not sent: it would import files already imported into ${args.dataset_id}: ${describeEarlier(earlier)}.`, {
      hint: `${args.source.s3 ? 'On the IAM-role route the platform reads the whole prefix: narrow the prefix or glob to the new files, or use source.s3_presigned with only_new true (after a dry run with it). ' : 'Dry-run again with only_new true to import only the files not yet imported. '}To import the same files again (duplicate rows), call again with reimport true and the same confirmation. list_imports shows the earlier imports.`,
    });
  }
  // An extra, never the only gate: where the client can ask the person, ask.
  if (deps.askPerson) {
    const answer = await deps.askPerson(`Import into ${args.dataset_id} from ${r.what}, columns ${describeFormat(args.file_format)}${finding ? ` (dry run: ${finding})` : ''}?`);
    if (answer !== 'accept') {
      // Nothing was sent: the confirmation stays valid.
      if (args.confirmation && !config.allowUnconfirmedImports) confirmations.giveBack(args.confirmation);
      return answer === 'decline'
        ? 'The person declined the import; nothing was sent. Ask what to change, or stop here.'
        : `The person did not answer the confirmation request within ${Math.round(config.elicitationTimeoutMs / 1000)} s; nothing was sent. Ask them in the chat, then call put_batch again with the same confirmation.`;
    }
  }
  return undefined;
}

/** 9. Sends the batch; for a real import the ledger records the intent before and the outcome after (crash-safe; see ledger.ts). */
async function send(args: ImportArgs, deps: ImportDeps, request: BatchRequest, planned: Parameters<ReturnType<typeof ledgerFor>['recordIntent']>[0] | undefined): Promise<Job> {
  const real = args.dry_run === false;
  const ledger = ledgerFor(deps.config);
  const intent = planned ? ledger.recordIntent(planned) : undefined;
  try {
    const job = await deps.client.putBatch(request, args.dry_run, { signal: deps.signal });
    if (intent) ledger.recordOutcome(intent, 'sent', { batchId: job.id });
    return job;
  } catch (err) {
    if (intent) {
      const refused = err instanceof UserFacingError && err.status !== undefined && err.status >= 400 && err.status < 500;
      ledger.recordOutcome(intent, refused ? 'refused' : 'unknown', { detail: err instanceof Error ? err.message.slice(0, 300) : 'unknown error' });
    }
    throw err;
  } finally {
    // A token confirms one attempt: after an unknown outcome, nobody should resend blindly.
    if (real && args.confirmation && !deps.config.allowUnconfirmedImports) deps.confirmations.consume(args.confirmation);
  }
}

/** The result: the job (source URLs masked), the dry run's verdict and token, and true next steps. */
function outcome(
  args: ImportArgs,
  deps: ImportDeps,
  r: { job: Job; request: BatchRequest; preflight: Preflight; presigned: Presigned | undefined; gateKey: GateKey; objects: ListedObject[] | undefined; size: SourceSize | undefined; earlier: EarlierImport[] },
): ImportOutcome {
  const { job, request, presigned } = r;
  const nextSteps: string[] = [];
  let confirmation: { token: string; expiresAt: string } | undefined;
  let verdict: Verdict | undefined;
  if (args.dry_run !== false) {
    const files = presigned ? presigned.urls.length : 'urls' in request.source ? request.source.urls.length : (r.size?.files ?? r.objects?.length);
    verdict = dryRunVerdict(job, { files, size: r.size });
    const why = topCauses(verdict.rejections);
    if (verdict.confirm) {
      confirmation = deps.confirmations.issue(r.gateKey, verdict.checked.label);
      nextSteps.push(`The dry run found rows to insert: ${verdict.checked.label}${verdict.estimate ? `; ${verdict.estimate.label}` : ''}. Show the person these counts${verdict.checked.invalid ? ' and the rejections by cause' : ''}.`);
      if (verdict.warning) nextSteps.push('Warn the person of verdict.warning.');
      const again = r.earlier.length ? ' reimport: true (the files were imported before: see alreadyImported; rows would be duplicated),' : '';
      nextSteps.push(`If they approve, call put_batch again with the same dataset_id, source and file_format, dry_run: false,${again} and confirmation: "${confirmation.token}" (valid until ${confirmation.expiresAt}).`);
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
          : `The import was accepted (status "${job.status}"), but ${deps.client.label}'s answer carries no batch id: find the new batch on the platform to follow it, and do not send the import again.`,
    );
  }
  if (presigned) nextSteps.push(`${presigned.urls.length} file(s) were presigned; the URLs work until ${presigned.expiresAt}: the import must have fetched every file by then.`);
  if (presigned?.skipped.length) nextSteps.push(`only_new: ${presigned.skipped.length} file(s) already imported into ${args.dataset_id} were left out.`);
  const alreadyImportedOut = r.earlier.map((e) => ({ batchId: e.entry.batchId ?? null, status: e.status, at: e.entry.at, files: e.objects === 'source' ? ('same source' as const) : e.objects.length }));
  return {
    job: maskSourceQueries(job),
    preflight: r.preflight,
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
}

function describeSource(source: WireSource, presigned?: Presigned): string {
  if (presigned) return `${presigned.urls.length} presigned file(s) (${presigned.keys[0]}${presigned.keys.length > 1 ? ', …' : ''})`;
  if ('urls' in source) return `${source.urls.length} URL(s) starting with ${displayUrl(source.urls[0]!)}`;
  return `s3://${source.s3.bucket}/${source.s3.prefix ?? ''} (${source.s3.glob}) as ${source.s3.credentials.RoleArn}`;
}

function describeFormat(format: Record<string, number>): string {
  return Object.entries(format)
    .sort((a, b) => a[1] - b[1])
    .map(([k, v]) => `${v}=${k}`)
    .join(', ');
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
