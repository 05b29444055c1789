/** The Import API: trust policy, batches (dry runs answered at once, imports run in the background), status, abort. */
import type { Hono } from 'hono';
import { BatchRequestSchema, type BatchRequest } from '../../dfi/schemas.js';
import { ROLE_ARN_RE } from '../../rules/arn.js';
import { WIRE_CORE } from '../../rules/fields.js';
import { formatProblems, MAX_COLUMN } from '../../rules/format.js';
import { unsafeS3Location } from '../../rules/s3.js';
import type { SandboxDataset } from '../datasets.js';
import { permissionsOf } from '../datasets.js';
import { HttpError, dataset, instanceKey, readJson, type SandboxContext, type SandboxEnv } from '../http.js';
import { listRemoteS3Files, listS3Files, urlFiles } from '../../sources/files.js';
import type { SegmentSpec } from '../store/segment.js';

export const SANDBOX_PRINCIPAL = 'arn:aws:iam::000000000000:role/dfi/dfi-sandbox-import-api';
export const SANDBOX_EXTERNAL_ID = 'dfi-sandbox-external-id';

const TRUST_POLICY = {
  Version: '2012-10-17',
  Statement: [
    {
      Action: 'sts:AssumeRole',
      Effect: 'Allow',
      Condition: { StringEquals: { 'sts:ExternalId': SANDBOX_EXTERNAL_ID } },
      Principal: { AWS: SANDBOX_PRINCIPAL },
    },
  ],
};

function parseDryRun(value: string | undefined): boolean | number {
  if (value === undefined) throw new HttpError(400, 'the dryRun query parameter is required: true, false or a row count');
  if (value === 'true') return true;
  if (value === 'false') return false;
  if (/^\d+$/.test(value) && Number(value) >= 1 && Number(value) <= 1_000_000) return Number(value);
  throw new HttpError(400, `dryRun must be true, false or a row count from 1 to 1000000, not ${JSON.stringify(value)}`);
}

/** The checks the platform makes before it accepts a batch (as far as they can be known). */
function checkBatch(req: BatchRequest, d: SandboxDataset): void {
  // The same format rules as the preflight (rules/format.ts), worded for an API.
  const { errors } = formatProblems(req.format.csv, d.dataDescription?.metadataSchema ?? {}, 'wire');
  const missing = errors.flatMap((p) => (p.code === 'missing_core_fields' ? p.fields : []));
  if (missing.length) throw new HttpError(400, `format.csv is missing required fields: ${missing.join(', ')}`);
  const unknown = errors.flatMap((p) => (p.code === 'unknown_field' ? [p.field] : []));
  if (unknown.length) throw new HttpError(400, `format.csv maps ${unknown.join(', ')}, which ${unknown.length > 1 ? 'are not properties' : 'is not a property'} of dataset ${d.id}`);
  const badIndex = errors.flatMap((p) => (p.code === 'bad_column_index' ? [`${p.field}: ${p.index}`] : []));
  if (badIndex.length) throw new HttpError(400, `format.csv has column indexes out of range (0..${MAX_COLUMN}): ${badIndex.join(', ')}`);
  if ('s3' in req.source) {
    const arn = req.source.s3.credentials.RoleArn;
    if (!ROLE_ARN_RE.test(arn)) throw new HttpError(400, `credentials.RoleArn ${JSON.stringify(arn)} is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)`);
    if (!req.source.s3.glob.trim()) throw new HttpError(400, 'source.s3.glob must not be empty');
    const unsafe = unsafeS3Location(req.source.s3.bucket, req.source.s3.prefix);
    if (unsafe) throw new HttpError(400, unsafe);
  }
}

/** How a valid row of this batch becomes a point. */
function segmentSpec(body: BatchRequest, d: SandboxDataset, batchId: string): SegmentSpec {
  const csv = body.format.csv;
  const schema = d.dataDescription?.metadataSchema ?? {};
  return {
    datasetId: d.id,
    batchId,
    entity: csv.entityId!,
    time: csv.timestamp!,
    lon: csv.longitude!,
    lat: csv.latitude!,
    ...(csv.metadataId !== undefined ? { metadataId: csv.metadataId } : {}),
    props: Object.entries(csv)
      .filter(([k]) => !WIRE_CORE.has(k) && Object.hasOwn(schema, k))
      .map(([name, col]) => ({ name, type: schema[name]!.type, col })),
  };
}

function filesOf(ctx: SandboxContext, body: BatchRequest, signal: AbortSignal) {
  return () =>
    's3' in body.source
      ? ctx.s3Endpoint
        ? listRemoteS3Files(ctx.s3Endpoint, body.source.s3.bucket, body.source.s3.prefix, body.source.s3.glob, signal)
        : listS3Files(ctx.s3Root, body.source.s3.bucket, body.source.s3.prefix, body.source.s3.glob)
      : Promise.resolve(urlFiles(body.source.urls, { allowPrivate: ctx.allowPrivateUrls === true, signal }));
}

/** Real imports that were running when the sandbox stopped (saved in the state folder): run again from their first file. */
export async function resumeInterruptedImports(ctx: SandboxContext): Promise<void> {
  for (const state of ctx.jobs.interrupted()) {
    const body = { datasetId: state.job.datasetId, source: state.job.source, format: state.job.format } as BatchRequest;
    ctx.jobs.restart(state);
    let d;
    try {
      d = dataset(ctx, body.datasetId);
    } catch {
      ctx.jobs.fail(state, `dataset ${body.datasetId} no longer exists`);
      continue;
    }
    const schema = d.dataDescription?.metadataSchema ?? {};
    const pending = await ctx.points.begin(instanceKey(d), segmentSpec(body, d, state.job.id));
    ctx.track(new Promise<void>((r) => setImmediate(r)).then(() => ctx.jobs.run(state, filesOf(ctx, body, state.abort.signal), schema, pending)));
  }
}

export function importRoutes(app: Hono<SandboxEnv>, ctx: SandboxContext): void {
  const job = (id: string) => {
    const j = ctx.jobs.get(id);
    if (!j) throw new HttpError(404, `batch ${JSON.stringify(id)} not found`);
    return j;
  };

  app.get('/v1/import/awsTrustPolicy', (c) => c.json(TRUST_POLICY));

  app.put('/v1/import/batch', async (c) => {
    const dryRun = parseDryRun(c.req.query('dryRun'));
    const parsed = BatchRequestSchema.safeParse(await readJson(c));
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new HttpError(400, `invalid batch request at ${issue.path.join('.') || '(root)'}: ${issue.message}`);
    }
    const body = parsed.data;
    const d = dataset(ctx, body.datasetId);
    if (!permissionsOf(d, ctx.identityId).write) throw new HttpError(403, `no write permission on dataset ${d.id}`);
    checkBatch(body, d);
    const state = ctx.jobs.create(body, dryRun);
    const files = filesOf(ctx, body, state.abort.signal);
    const schema = d.dataDescription?.metadataSchema ?? {};
    if (dryRun !== false) {
      // The caller gave up (a timeout, a retry, a cancelled call): stop reading its files.
      const res = c.env.outgoing;
      res.once('close', () => {
        if (!res.writableFinished) state.abort.abort();
      });
      await ctx.jobs.run(state, files, schema);
      return c.json(state.job);
    }
    const answer = { ...state.job };
    const pending = await ctx.points.begin(instanceKey(d), segmentSpec(body, d, state.job.id));
    ctx.track(new Promise<void>((r) => setImmediate(r)).then(() => ctx.jobs.runQueued(() => ctx.jobs.run(state, files, schema, pending))));
    return c.json(answer);
  });

  app.get('/v1/import/batch/:id', (c) => c.json(job(c.req.param('id')).job));
  app.get('/v1/import/batch/:id/status', (c) => c.json(job(c.req.param('id')).history));
  app.patch('/v1/import/batch/:id', async (c) => {
    const j = job(c.req.param('id'));
    const body = (await readJson(c)) as { status?: unknown };
    if (body?.status !== 'aborted') throw new HttpError(400, 'the only status a batch can be set to is "aborted"');
    if (ctx.jobs.abort(j) === 'already-terminal') throw new HttpError(409, `batch ${j.job.id} is already ${j.job.status} and cannot be aborted`);
    return c.json(j.job);
  });
}
