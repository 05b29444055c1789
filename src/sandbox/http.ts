/** What the sandbox's route files share: the context, errors, and reading a JSON body within limits. */
import type http from 'node:http';
import type { Context } from 'hono';
import type { DatasetStore, SandboxDataset } from './datasets.js';
import type { JobStore } from './jobs.js';
import type { PointStore } from './store/points.js';
import { jsonDepthOver, MAX_JSON_DEPTH } from '../dfi/schemas.js';

export const MAX_BODY_BYTES = 1024 * 1024;

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface SandboxEnv {
  Bindings: { incoming: http.IncomingMessage; outgoing: http.ServerResponse };
}

export interface SandboxContext {
  datasets: DatasetStore;
  points: PointStore;
  jobs: JobStore;
  /** The identity every accepted token stands for. */
  identityId: string;
  /** Background work (imports) that `close` waits for. */
  track(p: Promise<unknown>): void;
  s3Root: string;
  s3Endpoint?: string;
  /** URL sources on loopback and private networks may be fetched (as --allow-private-urls). */
  allowPrivateUrls?: boolean;
}

export function dataset(ctx: SandboxContext, id: string): SandboxDataset {
  const d = ctx.datasets.get(id);
  if (!d) throw new HttpError(404, `dataset ${JSON.stringify(id)} not found`);
  return d;
}

/** The DFI instance a dataset's points live in: its storage's host and port, or the dataset itself. */
export function instanceKey(d: SandboxDataset): string {
  const details = (d as { storage?: { dataStoreConnectionDetails?: { host?: unknown; port?: unknown } } }).storage?.dataStoreConnectionDetails;
  if (details && (typeof details.host === 'string' || typeof details.port === 'number' || typeof details.port === 'string')) {
    return `${String(details.host ?? '')}:${String(details.port ?? '')}`;
  }
  return `dataset:${d.id}`;
}

/** Reads the request body as JSON, refusing more than MAX_BODY_BYTES (by the declared length first). */
export async function readJson(c: Context<SandboxEnv>): Promise<unknown> {
  const req = c.env.incoming;
  const tooLarge = () => new HttpError(413, `the request body is larger than ${MAX_BODY_BYTES} bytes`);
  if (Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw tooLarge();
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text.trim()) throw new HttpError(400, 'the request body is empty; a JSON body is required');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw new HttpError(400, `the request body is not valid JSON: ${(err as Error).message}`);
  }
  if (jsonDepthOver(body, MAX_JSON_DEPTH)) throw new HttpError(400, `the request body nests deeper than ${MAX_JSON_DEPTH} levels`);
  return body;
}
