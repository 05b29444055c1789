/**
 * The platform's Import and Datasets APIs over HTTP (undici): the implementation of `DfiPlatform`
 * (platform.ts).
 *
 * One client serves both backends: the real platform and the embedded sandbox (a real HTTP server on
 * loopback), so everything the tools do is exercised against the same code path.
 *
 * - Timeouts on connect, headers, body and the whole call.
 * - Failures become `UserFacingError`s carrying the status, the API's own message and a hint.
 * - GETs and dry runs are retried (bounded, with backoff and jitter, honouring Retry-After); a real
 *   import (`dryRun=false`) is never sent twice: an ambiguous failure is reported as "outcome unknown".
 * - The token is sent only to the configured origin (redirects are not followed) and is redacted from
 *   everything the platform sends back.
 */
import type { Dispatcher } from 'undici';
import { z } from 'zod';
import { UserFacingError, describeError } from '../errors.js';
import { log, redact } from '../log.js';
import { VERSION } from '../version.js';
import type { CallOptions, DfiPlatform } from './platform.js';
import {
  DatasetListSchema,
  DatasetSchema,
  JobSchema,
  PermissionsSchema,
  StatusListSchema,
  type BatchRequest,
  type Dataset,
  type DryRun,
  type Job,
  type Permissions,
  type StatusUpdate,
} from './schemas.js';
import { canonicalQuery, readQueryAnswer, type QueryAnswer, type QueryDocument, type QueryReturn } from './query.js';

export interface DfiClientOptions {
  /** The API's base URL, or a promise of it (the in-process sandbox starts after the server does). */
  baseUrl: string | Promise<string>;
  token: string;
  /** Whole-call timeout in ms (connect + headers + body). */
  timeoutMs?: number;
  /** Retries for idempotent calls (GETs, dry runs). */
  maxRetries?: number;
  /** Upper bound on the time spent waiting between retries, in ms. */
  maxRetryWaitMs?: number;
  /** Where the backend is, for messages: "the platform" or "the sandbox". */
  label?: string;
  /** A forward proxy to reach the API through (see src/net/proxy.ts); direct when absent. */
  proxy?: string | undefined;
  /** Sent as User-Agent (web application firewalls commonly block requests without one); default dfi-ingest-mcp/<version>. */
  userAgent?: string;
}

const MAX_BODY_BYTES = 16 * 1024 * 1024;
const RETRYABLE_STATUS = new Set([408, 425, 429, 500, 502, 503, 504]);

function hintFor(status: number, label: string): string {
  if (status === 401) return 'The API token is invalid or expired: set a valid DFI_API_TOKEN and restart the server.';
  if (status === 403) return 'The token has no permission for this: writing to a dataset needs write permission on it (check with get_dataset).';
  if (status === 404) return 'Unknown dataset or batch: check the id (list_datasets lists the datasets the token can see; list_imports the batches sent from this machine).';
  if (status === 409) return 'The request conflicts with the current state of the job: read it again with get_batch.';
  if (status === 400 || status === 422) return `${label} rejected the request as invalid: fix what the message names and try again.`;
  if (status === 429) return `${label} is rate limiting: wait a moment and try again.`;
  if (status >= 500) return `${label} failed (HTTP ${status}); this is not caused by your request. Try again later.`;
  return `Unexpected answer from ${label}.`;
}

/** Pulls a human message out of an error body: JSON `message`/`error`/`detail`, or plain text. */
function apiMessage(body: string, contentType: string): string {
  const trimmed = body.trim();
  if (!trimmed) return '(empty body)';
  if (/html/i.test(contentType) || /^<(!doctype|html)/i.test(trimmed)) {
    const title = /<title>([^<]{0,200})<\/title>/i.exec(trimmed)?.[1];
    return `an HTML page${title ? ` titled "${title.trim()}"` : ''} instead of JSON (a proxy or gateway answered, not the API)`;
  }
  try {
    const j = JSON.parse(trimmed) as Record<string, unknown>;
    for (const key of ['message', 'error', 'detail', 'title']) {
      const v = j?.[key];
      if (typeof v === 'string' && v) return v.slice(0, 500);
      if (v && typeof v === 'object') return JSON.stringify(v).slice(0, 500);
    }
    return trimmed.slice(0, 500);
  } catch {
    return trimmed.slice(0, 500);
  }
}

function retryAfterMs(header: string | string[] | undefined): number | undefined {
  const v = Array.isArray(header) ? header[0] : header;
  if (!v) return undefined;
  const secs = Number(v);
  if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/** Waits `ms`, or less when the signal aborts. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

interface Request {
  method: 'GET' | 'PUT' | 'PATCH' | 'POST';
  path: string;
  query?: Record<string, string>;
  body?: unknown;
  /** Whether the call may be sent again after a failure. */
  retryable: boolean;
  /** The answer is a Query API event stream, read to its `finish` (see query.ts). */
  sse?: { expected: QueryReturn; maxRecords: number };
  /** The caller's cancellation (the MCP request's signal). */
  signal?: AbortSignal | undefined;
}

let undiciPromise: Promise<typeof import('undici')> | undefined;
export function loadUndici(): Promise<typeof import('undici')> {
  undiciPromise ??= import('undici');
  return undiciPromise;
}

export class DfiClient implements DfiPlatform {
  #baseUrl: string | undefined;
  readonly #baseUrlReady: Promise<string>;
  readonly label: string;
  readonly #token: string;
  readonly #timeoutMs: number;
  readonly #maxRetries: number;
  readonly #maxRetryWaitMs: number;
  #agent: Dispatcher | undefined;
  readonly #connectTimeoutMs: number;
  readonly #proxy: string | undefined;
  readonly #userAgent: string;

  constructor(opts: DfiClientOptions) {
    const strip = (u: string) => u.replace(/\/+$/, '');
    if (typeof opts.baseUrl === 'string') this.#baseUrl = strip(opts.baseUrl);
    this.#baseUrlReady = Promise.resolve(opts.baseUrl).then((u) => (this.#baseUrl = strip(u)));
    this.#baseUrlReady.catch(() => undefined);
    this.#token = opts.token;
    this.label = opts.label ?? 'the platform';
    this.#timeoutMs = opts.timeoutMs ?? 30_000;
    this.#maxRetries = opts.maxRetries ?? 3;
    this.#maxRetryWaitMs = opts.maxRetryWaitMs ?? 20_000;
    this.#connectTimeoutMs = Math.min(10_000, this.#timeoutMs);
    this.#proxy = opts.proxy;
    this.#userAgent = opts.userAgent ?? `dfi-ingest-mcp/${VERSION}`;
  }

  get baseUrl(): string {
    return this.#baseUrl ?? '(starting)';
  }

  async close(): Promise<void> {
    await this.#agent?.close();
  }

  /** undici, loaded on the first call: it costs ~45 ms that a server start should not pay. */
  async #http(): Promise<{ request: typeof import('undici').request; agent: Dispatcher }> {
    const undici = await loadUndici();
    const options = { connect: { timeout: this.#connectTimeoutMs }, headersTimeout: this.#timeoutMs, bodyTimeout: this.#timeoutMs, keepAliveTimeout: 30_000 };
    // Through a proxy: https as a CONNECT tunnel (the token travels inside TLS), http as absolute URLs.
    this.#agent ??= this.#proxy ? new undici.ProxyAgent({ uri: this.#proxy, ...options }) : new undici.Agent(options);
    return { request: undici.request, agent: this.#agent };
  }

  // ---- Import API -------------------------------------------------------------------------------

  /** The trust policy, verbatim: usually a JSON object, possibly a string the checks must parse. */
  getAwsTrustPolicy(opts: CallOptions = {}): Promise<unknown> {
    return this.#call({ method: 'GET', path: '/v1/import/awsTrustPolicy', retryable: true, signal: opts.signal }, z.unknown());
  }

  putBatch(body: BatchRequest, dryRun: DryRun, opts: CallOptions = {}): Promise<Job> {
    return this.#call(
      // Always send dryRun explicitly, JSON-encoded, as dfipy does. Only dry runs may be retried.
      { method: 'PUT', path: '/v1/import/batch', query: { dryRun: JSON.stringify(dryRun) }, body, retryable: dryRun !== false, signal: opts.signal },
      JobSchema,
    );
  }

  getBatch(id: string, opts: CallOptions = {}): Promise<Job> {
    return this.#call({ method: 'GET', path: `/v1/import/batch/${encodeURIComponent(id)}`, retryable: true, signal: opts.signal }, JobSchema);
  }

  getBatchStatus(id: string, opts: CallOptions = {}): Promise<StatusUpdate[]> {
    return this.#call({ method: 'GET', path: `/v1/import/batch/${encodeURIComponent(id)}/status`, retryable: true, signal: opts.signal }, StatusListSchema);
  }

  abortBatch(id: string, opts: CallOptions = {}): Promise<Job> {
    return this.#call(
      { method: 'PATCH', path: `/v1/import/batch/${encodeURIComponent(id)}`, body: { status: 'aborted' }, retryable: false, signal: opts.signal },
      JobSchema,
    );
  }

  // ---- Datasets API -----------------------------------------------------------------------------

  listDatasets(q: { name?: string; before?: string; limit?: number } = {}, opts: CallOptions = {}): Promise<Dataset[]> {
    const query: Record<string, string> = {};
    if (q.name) query.name = q.name;
    if (q.before) query.before = q.before;
    if (q.limit !== undefined) query.limit = String(q.limit);
    return this.#call({ method: 'GET', path: '/v1/datasets', query, retryable: true, signal: opts.signal }, DatasetListSchema);
  }

  getDataset(id: string, opts: CallOptions = {}): Promise<Dataset> {
    return this.#call({ method: 'GET', path: `/v1/datasets/${encodeURIComponent(id)}`, retryable: true, signal: opts.signal }, DatasetSchema);
  }

  getDatasetSchema(id: string, type: 'full' | 'core' | 'withMetadataId' | 'withFilterFields' = 'full', opts: CallOptions = {}): Promise<unknown> {
    return this.#call({ method: 'GET', path: `/v1/datasets/${encodeURIComponent(id)}/schema`, query: { type }, retryable: true, signal: opts.signal }, z.unknown());
  }

  getPermissions(id: string, opts: CallOptions = {}): Promise<Permissions> {
    return this.#call({ method: 'GET', path: `/v1/datasets/${encodeURIComponent(id)}/permissions/me`, retryable: true, signal: opts.signal }, PermissionsSchema);
  }

  /** POST /v1/datasets/{id}/schema/values: merges enum values, in the public client's documented shape. A write: never sent twice. */
  addEnumValues(id: string, values: Record<string, { type: 'enum'; values: string[]; nullable?: boolean }>, opts: CallOptions = {}): Promise<unknown> {
    return this.#call(
      { method: 'POST', path: `/v1/datasets/${encodeURIComponent(id)}/schema/values`, body: values, retryable: false, signal: opts.signal },
      z.unknown(),
    );
  }

  // ---- Query API --------------------------------------------------------------------------------

  /** POST /v1/query, answered as Server-Sent Events (read strictly: see query.ts). A read: retried like a GET. */
  query(doc: QueryDocument, opts: { signal?: AbortSignal; maxRecords?: number } = {}): Promise<QueryAnswer> {
    return this.#call(
      {
        method: 'POST',
        path: '/v1/query',
        body: canonicalQuery(doc),
        retryable: true,
        sse: { expected: doc.return, maxRecords: opts.maxRecords ?? 10_000 },
        ...(opts.signal ? { signal: opts.signal } : {}),
      },
      z.custom<QueryAnswer>(() => true),
    );
  }

  // ---- plumbing ---------------------------------------------------------------------------------

  async #call<S extends z.ZodType>(opts: Request, schema: S): Promise<z.infer<S>> {
    let base: string;
    try {
      base = await this.#baseUrlReady;
    } catch (err) {
      throw new UserFacingError('backend_error', `${this.label} could not be started: ${describeError(err)}`, { hint: 'See the server log (stderr); restart the server once fixed.' });
    }
    const url = new URL(base + opts.path);
    for (const [k, v] of Object.entries(opts.query ?? {})) url.searchParams.set(k, v);
    const what = `${opts.method} ${opts.path}`;
    const started = Date.now();
    let waited = 0;
    for (let attempt = 0; ; attempt++) {
      if (opts.signal?.aborted) throw cancelled(what);
      const outcome = await this.#once(url, opts, what);
      if (outcome.ok) return this.#parse(outcome.json, schema, what);
      const canRetry =
        opts.retryable && outcome.retryable && !opts.signal?.aborted && attempt < this.#maxRetries && Date.now() - started < this.#maxRetryWaitMs * 2;
      if (!canRetry) throw this.#finalError(outcome.error, opts, attempt);
      // Exponential backoff with jitter, unless the server said when to come back.
      const backoff = Math.min(4_000, 250 * 2 ** attempt) * (0.5 + Math.random() / 2);
      const wait = outcome.retryAfterMs ?? backoff;
      if (waited + wait > this.#maxRetryWaitMs) {
        // Waiting that long would outlast the call: say so rather than hang.
        throw new UserFacingError(outcome.error.kind, outcome.error.message, {
          ...(outcome.error.status !== undefined ? { status: outcome.error.status } : {}),
          hint: `${this.label} asked to retry after ${Math.ceil(wait / 1000)} s, longer than this call may wait; try again later.`,
        });
      }
      waited += wait;
      log('debug', `${what}: attempt ${attempt + 1} failed (${outcome.error.status ?? outcome.error.kind}); retrying in ${Math.round(wait)} ms`);
      await sleep(wait, opts.signal);
    }
  }

  async #once(
    url: URL,
    opts: Request,
    what: string,
  ): Promise<{ ok: true; json: unknown } | { ok: false; error: UserFacingError; retryable: boolean; retryAfterMs?: number }> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.#token}`, accept: opts.sse ? 'text/event-stream' : 'application/json', 'user-agent': this.#userAgent };
    let body: string | undefined;
    if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] = 'application/json';
    }
    let sent = false;
    try {
      const http = await this.#http();
      const res = await http.request(url, {
        method: opts.method,
        headers,
        body,
        dispatcher: http.agent,
        signal: opts.signal ? AbortSignal.any([opts.signal, AbortSignal.timeout(this.#timeoutMs)]) : AbortSignal.timeout(this.#timeoutMs),
      });
      sent = true;
      if (opts.sse && res.statusCode >= 200 && res.statusCode < 300) {
        const type = String(res.headers['content-type'] ?? '');
        if (type && !/text\/event-stream/i.test(type)) {
          const text = await readBounded(res.body);
          return {
            ok: false,
            retryable: false,
            error: new UserFacingError('api_error', `${what}: ${this.label} answered HTTP ${res.statusCode} with ${redact(apiMessage(text, type))} (content type "${type}") instead of an event stream.`, {
              status: res.statusCode,
              hint: 'Check that the API URL points at the DFI API and that it offers the Query API.',
            }),
          };
        }
        return { ok: true, json: await readQueryAnswer(res.body, opts.sse.expected, { maxRecords: opts.sse.maxRecords, label: this.label }) };
      }
      const text = await readBounded(res.body);
      const contentType = String(res.headers['content-type'] ?? '');
      if (res.statusCode >= 300 && res.statusCode < 400) {
        return {
          ok: false,
          retryable: false,
          error: new UserFacingError('api_error', `${what}: ${this.label} answered with a redirect (HTTP ${res.statusCode}) that was not followed.`, {
            status: res.statusCode,
            hint: 'Check the API URL (DFI_API_URL): it should be the API base URL itself, e.g. https://api.prod.generalsystem.com. Redirects are not followed so that the token is never sent elsewhere.',
          }),
        };
      }
      if (res.statusCode < 200 || res.statusCode >= 300) {
        const msg = redact(apiMessage(text, contentType));
        return {
          ok: false,
          retryable: RETRYABLE_STATUS.has(res.statusCode),
          ...(retryAfterMs(res.headers['retry-after']) !== undefined ? { retryAfterMs: retryAfterMs(res.headers['retry-after'])! } : {}),
          error: new UserFacingError('api_error', `${what} failed with HTTP ${res.statusCode}: ${msg}`, {
            status: res.statusCode,
            hint: hintFor(res.statusCode, this.label),
          }),
        };
      }
      if (!text.trim()) {
        return {
          ok: false,
          retryable: false,
          error: new UserFacingError('api_error', `${what}: ${this.label} answered HTTP ${res.statusCode} with an empty body where JSON was expected.`, {
            status: res.statusCode,
            hint: 'Check that the API URL points at the DFI API.',
          }),
        };
      }
      try {
        return { ok: true, json: JSON.parse(text) };
      } catch {
        return {
          ok: false,
          retryable: false,
          error: new UserFacingError(
            'api_error',
            `${what}: ${this.label} answered HTTP ${res.statusCode} with ${redact(apiMessage(text, contentType))}, which is not JSON (content type "${contentType || 'none'}").`,
            { status: res.statusCode, hint: 'Check that the API URL points at the DFI API and not at a web page or proxy.' },
          ),
        };
      }
    } catch (err) {
      if (err instanceof UserFacingError) return { ok: false, retryable: false, error: err };
      return { ok: false, retryable: true, error: this.#networkError(err, what, opts, sent) };
    }
  }

  #networkError(err: unknown, what: string, opts: Request, responseStarted: boolean): UserFacingError {
    const code = (err as { code?: string })?.code ?? '';
    const isTimeout =
      code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || (err as Error)?.name === 'TimeoutError' || code === 'UND_ERR_CONNECT_TIMEOUT';
    const notConnected = code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'UND_ERR_CONNECT_TIMEOUT';
    const realImport = opts.method === 'PUT' && opts.query?.dryRun === 'false';
    const wasCancelled = opts.signal?.aborted === true;
    if (realImport && (!notConnected || responseStarted)) {
      return new UserFacingError(
        'outcome_unknown',
        `${what}: ${wasCancelled ? 'the call was cancelled' : 'the connection to ' + this.label + ' failed'} after the import request was sent (${redact(describeError(err))}); whether the import was created is unknown.`,
        {
          hint: 'Do not send the import again yet: look for the new batch on the platform (or with get_batch if you know its id) and only retry once you are sure no import was created.',
        },
      );
    }
    if (wasCancelled) return cancelled(what);
    const reason = isTimeout ? `no answer within ${this.#timeoutMs} ms` : redact(describeError(err));
    return new UserFacingError('network_error', `${what}: could not reach ${this.label} at ${this.baseUrl} (${reason}).`, {
      hint: notConnected
        ? 'Check the API URL (DFI_API_URL) and your network connection.'
        : `${this.label} did not answer in time or dropped the connection; try again in a moment.`,
    });
  }

  /** The error to report after the last attempt: says how often it was tried, and for a real import what to check. */
  #finalError(err: UserFacingError, opts: Request, attempt: number): UserFacingError {
    const realImport = opts.method === 'PUT' && opts.query?.dryRun === 'false';
    if (realImport && err.kind === 'api_error' && err.status !== undefined && err.status >= 500) {
      return new UserFacingError(err.kind, err.message, {
        status: err.status,
        hint: `${err.hint ?? ''} The import was sent once and not retried (a real import is never sent twice); before sending it again, check on the platform that no new batch was created.`.trim(),
      });
    }
    if (attempt === 0) return err;
    return new UserFacingError(err.kind, `${err.message} (after ${attempt + 1} attempts)`, {
      ...(err.status !== undefined ? { status: err.status } : {}),
      ...(err.hint !== undefined ? { hint: err.hint } : {}),
    });
  }

  #parse<S extends z.ZodType>(json: unknown, schema: S, what: string): z.infer<S> {
    const r = schema.safeParse(json);
    if (r.success) return r.data;
    const issue = r.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : '(root)';
    throw new UserFacingError('api_error', `${what}: ${this.label} answered with an unexpected shape at ${where}: ${issue?.message ?? 'invalid'}.`, {
      hint: 'The API may have changed; please report this with the request you made.',
    });
  }
}

function cancelled(what: string): UserFacingError {
  return new UserFacingError('cancelled', `${what}: the call was cancelled by the client before it finished.`, { hint: 'Nothing more is done for this call; call the tool again if it is still wanted.' });
}

async function readBounded(body: AsyncIterable<Buffer | Uint8Array> & { destroy?: () => void }): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      body.destroy?.();
      throw new UserFacingError('api_error', `the response is larger than ${MAX_BODY_BYTES} bytes.`, { hint: 'This is not an answer of the DFI API.' });
    }
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks).toString('utf8');
}
