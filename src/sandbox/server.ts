/**
 * The embedded sandbox: the Import and Datasets APIs of shared/dfi-import-api.md as a real HTTP
 * server on loopback. Started in-process by the MCP server when no platform is configured, or alone
 * with `dfi-ingest-mcp sandbox --port N`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { BatchRequestSchema, type BatchRequest } from '../dfi/schemas.js';
import { UserFacingError, describeError } from '../errors.js';
import { WIRE_CORE } from '../csv/format.js';
import { ROLE_ARN_RE } from '../aws/arn.js';
import { loadDatasets, publicDataset, type SandboxDataset } from './datasets.js';
import { JobStore } from './jobs.js';
import { listRemoteS3Files, listS3Files, unsafeS3Location, urlFiles } from './sources.js';

export const SANDBOX_PRINCIPAL = 'arn:aws:iam::000000000000:role/dfi/dfi-sandbox-import-api';
export const SANDBOX_EXTERNAL_ID = 'dfi-sandbox-external-id';
const MAX_BODY_BYTES = 1024 * 1024;

export interface SandboxServerOptions {
  host?: string;
  port?: number;
  /** Required bearer token; when absent, any request is accepted. */
  token?: string;
  s3Root: string;
  datasetsFile: string;
  /** Read S3 sources from this S3-compatible endpoint instead of the folder. */
  s3Endpoint?: string;
  /** The state folder; the sandbox keeps its parts under it (src/state/paths.ts). Absent: nothing outlives the process. */
  stateDir?: string;
}

export interface RunningSandbox {
  url: string;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function readJson(req: http.IncomingMessage): Promise<unknown> {
  const tooLarge = () => new HttpError(413, `the request body is larger than ${MAX_BODY_BYTES} bytes`);
  // Refuse by the declared length before reading anything.
  if (Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES) {
    req.resume();
    throw tooLarge();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) {
      // Drain (and drop) the rest, so that the client reads the answer instead of a reset.
      req.resume();
      throw tooLarge();
    }
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text.trim()) throw new HttpError(400, 'the request body is empty; a JSON body is required');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new HttpError(400, `the request body is not valid JSON: ${(err as Error).message}`);
  }
}

function parseDryRun(value: string | null): boolean | number {
  if (value === null) throw new HttpError(400, 'the dryRun query parameter is required: true, false or a row count');
  if (value === 'true') return true;
  if (value === 'false') return false;
  if (/^\d+$/.test(value) && Number(value) >= 1 && Number(value) <= 1_000_000) return Number(value);
  throw new HttpError(400, `dryRun must be true, false or a row count from 1 to 1000000, not ${JSON.stringify(value)}`);
}

/** The checks the platform makes before it accepts a batch (as far as they can be known). */
function checkBatch(req: BatchRequest, dataset: SandboxDataset): void {
  const csv = req.format.csv;
  const missing = ['entityId', 'timestamp', 'longitude', 'latitude'].filter((k) => csv[k] === undefined);
  if (missing.length) throw new HttpError(400, `format.csv is missing required fields: ${missing.join(', ')}`);
  const schema = dataset.dataDescription?.metadataSchema ?? {};
  const unknown = Object.keys(csv).filter((k) => !WIRE_CORE.has(k) && !Object.hasOwn(schema, k));
  if (unknown.length) throw new HttpError(400, `format.csv maps ${unknown.join(', ')}, which ${unknown.length > 1 ? 'are not properties' : 'is not a property'} of dataset ${dataset.id}`);
  if ('s3' in req.source) {
    const arn = req.source.s3.credentials.RoleArn;
    if (!ROLE_ARN_RE.test(arn)) throw new HttpError(400, `credentials.RoleArn ${JSON.stringify(arn)} is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)`);
    if (!req.source.s3.glob.trim()) throw new HttpError(400, 'source.s3.glob must not be empty');
    const unsafe = unsafeS3Location(req.source.s3.bucket, req.source.s3.prefix);
    if (unsafe) throw new HttpError(400, unsafe);
  }
}

export async function startSandboxServer(opts: SandboxServerOptions): Promise<RunningSandbox> {
  const datasets = loadDatasets(opts.datasetsFile);
  const jobs = new JobStore();
  const running = new Set<Promise<void>>();

  const trustPolicy = {
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

  function dataset(id: string): SandboxDataset {
    const d = datasets.get(id);
    if (!d) throw new HttpError(404, `dataset ${JSON.stringify(id)} not found`);
    return d;
  }
  function job(id: string) {
    const j = jobs.get(id);
    if (!j) throw new HttpError(404, `batch ${JSON.stringify(id)} not found`);
    return j;
  }

  async function route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (opts.token !== undefined && req.headers.authorization !== `Bearer ${opts.token}`) {
      throw new HttpError(401, 'invalid or missing token');
    }
    const url = new URL(req.url ?? '/', 'http://sandbox');
    let parts: string[];
    try {
      parts = url.pathname.split('/').filter(Boolean).map((p) => decodeURIComponent(p));
    } catch {
      throw new HttpError(400, 'the path is not validly percent-encoded');
    }
    const method = req.method ?? 'GET';
    const is = (m: string, ...pattern: (string | null)[]) =>
      method === m && parts.length === pattern.length && pattern.every((p, i) => p === null || p === parts[i]);

    if (is('GET', 'v1', 'import', 'awsTrustPolicy')) return send(res, 200, trustPolicy);
    if (is('PUT', 'v1', 'import', 'batch')) {
      const dryRun = parseDryRun(url.searchParams.get('dryRun'));
      const parsed = BatchRequestSchema.safeParse(await readJson(req));
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        throw new HttpError(400, `invalid batch request at ${issue.path.join('.') || '(root)'}: ${issue.message}`);
      }
      const body = parsed.data;
      const d = dataset(body.datasetId);
      if (d.permissions?.write === false) throw new HttpError(403, `no write permission on dataset ${d.id}`);
      checkBatch(body, d);
      const state = jobs.create(body, dryRun);
      const files = () =>
        's3' in body.source
          ? opts.s3Endpoint
            ? listRemoteS3Files(opts.s3Endpoint, body.source.s3.bucket, body.source.s3.prefix, body.source.s3.glob)
            : listS3Files(opts.s3Root, body.source.s3.bucket, body.source.s3.prefix, body.source.s3.glob)
          : Promise.resolve(urlFiles(body.source.urls));
      const schema = d.dataDescription?.metadataSchema ?? {};
      if (dryRun !== false) {
        await jobs.run(state, files, schema);
        return send(res, 200, state.job);
      }
      send(res, 200, { ...state.job });
      const p = new Promise<void>((r) => setImmediate(r)).then(() => jobs.run(state, files, schema));
      running.add(p);
      void p.finally(() => running.delete(p));
      return;
    }
    if (is('GET', 'v1', 'import', 'batch', null)) return send(res, 200, job(parts[3]!).job);
    if (is('GET', 'v1', 'import', 'batch', null, 'status')) return send(res, 200, job(parts[3]!).history);
    if (is('PATCH', 'v1', 'import', 'batch', null)) {
      const j = job(parts[3]!);
      const body = (await readJson(req)) as { status?: unknown };
      if (body?.status !== 'aborted') throw new HttpError(400, 'the only status a batch can be set to is "aborted"');
      if (jobs.abort(j) === 'already-terminal') throw new HttpError(409, `batch ${j.job.id} is already ${j.job.status} and cannot be aborted`);
      return send(res, 200, j.job);
    }
    if (is('GET', 'v1', 'datasets')) {
      const name = url.searchParams.get('name')?.toLowerCase();
      const limit = Math.min(Number(url.searchParams.get('limit') ?? 100) || 100, 1000);
      const list = [...datasets.values()].filter((d) => !name || (d.name ?? d.id).toLowerCase().includes(name)).slice(0, limit);
      return send(res, 200, list.map(publicDataset));
    }
    if (is('GET', 'v1', 'datasets', null)) return send(res, 200, publicDataset(dataset(parts[2]!)));
    if (is('GET', 'v1', 'datasets', null, 'schema')) {
      const d = dataset(parts[2]!);
      return send(res, 200, { type: url.searchParams.get('type') ?? 'full', metadataSchema: d.dataDescription?.metadataSchema ?? {} });
    }
    if (is('GET', 'v1', 'datasets', null, 'permissions', 'me')) {
      const d = dataset(parts[2]!);
      return send(res, 200, { read: d.permissions?.read ?? true, write: d.permissions?.write ?? true });
    }
    if (is('POST', 'v1', 'datasets', null, 'schema', 'values')) {
      const d = dataset(parts[2]!);
      const body = (await readJson(req)) as Record<string, unknown>;
      const schema = d.dataDescription?.metadataSchema ?? {};
      for (const [name, values] of Object.entries(body ?? {})) {
        const prop = Object.hasOwn(schema, name) ? schema[name] : undefined;
        if (!prop || prop.type !== 'enum') throw new HttpError(400, `${JSON.stringify(name)} is not an enum property of dataset ${d.id}`);
        if (!Array.isArray(values) || !values.every((v) => typeof v === 'string')) throw new HttpError(400, `values for ${name} must be a list of strings`);
        prop.values = [...new Set([...(prop.values ?? []), ...values])];
      }
      return send(res, 200, publicDataset(d));
    }
    throw new HttpError(404, `no route for ${method} ${url.pathname}`);
  }

  const server = http.createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      const status = err instanceof HttpError ? err.status : err instanceof UserFacingError ? (err.status ?? 400) : 500;
      const message = err instanceof Error ? describeError(err) : String(err);
      if (status === 413) res.setHeader('connection', 'close');
      if (!res.headersSent) send(res, status, { message });
      else res.destroy();
    });
  });
  server.requestTimeout = 120_000;
  server.headersTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${host}:${addr.port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await Promise.allSettled(running);
    },
  };
}
