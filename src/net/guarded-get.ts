/**
 * The one guarded outbound HTTP GET: every URL this process fetches on someone's say-so goes through
 * here (infer_csv_format's `url`, and the embedded sandbox's URL sources).
 *
 * - http and https only; no credentials in the URL; no cookies and no credentials of ours are sent;
 * - the address policy (address-policy.ts) is applied to IP literals before connecting, to every
 *   address a name resolves to (in the connection's own DNS lookup), and to the address the socket
 *   actually connected to, so neither DNS rebinding nor an IPv6 spelling of a private IPv4 address
 *   slips through;
 * - redirects are followed by hand, at most `maxRedirects`, each one checked again;
 * - bounded in time (idle timeouts on headers and body, an optional total), cancellable with the
 *   caller's signal, and aborted all at once when the process shuts down (`abortOutbound`).
 *
 * Behind a proxy (HTTPS_PROXY / HTTP_PROXY, unless NO_PROXY names the host: src/net/proxy.ts) the
 * proxy makes the connection, so names are resolved and checked here before the request.
 */
import dns from 'node:dns';
import type { LookupFunction } from 'node:net';
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { invalidInput, UserFacingError, describeError } from '../errors.js';
import { displayUrl } from './display-url.js';
import { loadUndici } from '../dfi/client.js';
import { checkAddress, isIpLiteral } from './address-policy.js';
import { onShutdown, shutdownSignal } from './shutdown.js';
import { proxyFor } from './proxy.js';

export class RefusedAddress extends Error {
  constructor(
    message: string,
    readonly always: boolean,
  ) {
    super(message);
    this.name = 'RefusedAddress';
  }
}

export interface GuardedGetOptions {
  /** Loopback and private addresses may be fetched (--allow-private-urls). Link-local: never. */
  allowPrivate: boolean;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Idle timeout: for the answer's headers, and between body chunks. Default 15 s. */
  timeoutMs?: number;
  /** Timeout for the whole exchange, body included; none by default. */
  totalTimeoutMs?: number;
  /** Default 3. */
  maxRedirects?: number;
}

export interface GuardedResponse {
  /** The URL that answered (after redirects). */
  url: URL;
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  body: Readable & { dump(): Promise<void> };
}

const agents = new Map<boolean, Dispatcher>();
const proxyAgents = new Map<string, Dispatcher>();

/** The proxy agent a request to `url` goes through, or undefined for a direct (guarded) connection. */
async function proxyAgentFor(url: URL): Promise<Dispatcher | undefined> {
  const proxy = proxyFor(url);
  if (!proxy) return undefined;
  let agent = proxyAgents.get(proxy);
  if (!agent) {
    const undici = await loadUndici();
    const created = new undici.ProxyAgent({ uri: proxy, keepAliveTimeout: 5_000 });
    proxyAgents.set(proxy, created);
    onShutdown(() => {
      proxyAgents.delete(proxy);
      void created.destroy().catch(() => undefined);
    });
    agent = created;
  }
  return agent;
}

function refusal(hostname: string, address: string, allowPrivate: boolean): RefusedAddress | null {
  const verdict = checkAddress(address, allowPrivate);
  if (verdict.ok) return null;
  const reason = address === hostname || `[${address}]` === hostname ? verdict.reason : `${hostname} resolves to ${verdict.reason}`;
  return new RefusedAddress(reason, verdict.always);
}

function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const list = addresses as dns.LookupAddress[];
      for (const a of list) {
        const refused = refusal(hostname, a.address, allowPrivate);
        if (refused) return callback(refused, '', 0);
      }
      if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, list);
      return callback(null, list[0]!.address, list[0]!.family);
    });
  };
}

async function agentFor(allowPrivate: boolean): Promise<Dispatcher> {
  const existing = agents.get(allowPrivate);
  if (existing) return existing;
  const undici = await loadUndici();
  const base = undici.buildConnector({ lookup: guardedLookup(allowPrivate), timeout: 5_000 } as never);
  // The last word: the address the socket is actually connected to (literals skip the lookup).
  const connect: typeof base = (options, callback) =>
    base(options, (err, socket) => {
      if (err || !socket) return callback(err ?? new Error('no socket'), null);
      const refused = refusal(options.hostname, socket.remoteAddress ?? '', allowPrivate);
      if (refused) {
        socket.destroy();
        return callback(refused, null);
      }
      return callback(null, socket);
    });
  const agent = new undici.Agent({ connect, keepAliveTimeout: 5_000, maxRedirections: 0 } as never);
  agents.set(allowPrivate, agent);
  onShutdown(() => {
    agents.delete(allowPrivate);
    void agent.destroy().catch(() => undefined);
  });
  return agent;
}

function findRefusal(err: unknown): RefusedAddress | undefined {
  for (let e = err, i = 0; e && i < 5; e = (e as { cause?: unknown }).cause, i++) if (e instanceof RefusedAddress) return e;
  return undefined;
}

function refusedError(url: URL, r: RefusedAddress): UserFacingError {
  return new UserFacingError('url_refused', `${displayUrl(url.href)}: ${r.message}.`, {
    hint: r.always ? 'Give a public URL.' : 'Give a public URL, or start the server with --allow-private-urls for a local one (link-local and metadata addresses are never allowed).',
  });
}

/** Checks what can be checked before connecting: the scheme, credentials in the URL, IP literals. */
export function checkUrlBeforeConnecting(url: URL, allowPrivate: boolean): void {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalidInput(`${displayUrl(url.href)}: only http and https URLs can be read.`, 'Give an http:// or https:// URL.');
  if (url.username || url.password) throw invalidInput(`${displayUrl(url.href)} carries credentials in the URL; they are not sent.`, 'Use a presigned URL or an open one.');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIpLiteral(host)) {
    const refused = refusal(host, host, allowPrivate);
    if (refused) throw refusedError(url, refused);
  }
}

/** Through a proxy the proxy connects: resolve the name here and check every address first. */
async function checkNameForProxy(url: URL, allowPrivate: boolean): Promise<void> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIpLiteral(host)) return;
  const list = await dns.promises.lookup(host, { all: true }).catch(() => []);
  for (const a of list) {
    const refused = refusal(host, a.address, allowPrivate);
    if (refused) throw refusedError(url, refused);
  }
}

export function parseUrl(raw: string | URL): URL {
  if (raw instanceof URL) return raw;
  try {
    return new URL(raw);
  } catch {
    throw invalidInput(`"${displayUrl(raw)}" is not a URL.`, 'Give an http:// or https:// URL.');
  }
}

/**
 * GETs a URL under the address policy. Returns the final answer whatever its status (redirects
 * followed); throws `UserFacingError` (`invalid_input`, `url_refused`, `fetch_error`) otherwise. The
 * caller owns the body: read it or dump it.
 */
export async function guardedGet(raw: string | URL, opts: GuardedGetOptions): Promise<GuardedResponse> {
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const maxRedirects = opts.maxRedirects ?? 3;
  const signals = [shutdownSignal, ...(opts.signal ? [opts.signal] : []), ...(opts.totalTimeoutMs ? [AbortSignal.timeout(opts.totalTimeoutMs)] : [])];
  const signal = AbortSignal.any(signals);
  let url = parseUrl(raw);
  const { request } = await loadUndici();
  for (let hop = 0; ; hop++) {
    checkUrlBeforeConnecting(url, opts.allowPrivate);
    if (shutdownSignal.aborted) throw new UserFacingError('fetch_error', `${displayUrl(url.href)} was not read: the server is shutting down.`);
    const proxied = await proxyAgentFor(url);
    if (proxied) await checkNameForProxy(url, opts.allowPrivate);
    let res: Dispatcher.ResponseData;
    try {
      res = await request(url, {
        method: 'GET',
        headers: { 'user-agent': 'dfi-ingest-mcp', ...opts.headers },
        dispatcher: proxied ?? (await agentFor(opts.allowPrivate)),
        signal,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
    } catch (err) {
      const refused = findRefusal(err);
      if (refused) throw refusedError(url, refused);
      const timedOut = (err as Error).name === 'TimeoutError' || /timeout/i.test(String((err as { code?: string }).code)) || (signal.reason as Error | undefined)?.name === 'TimeoutError';
      const why = shutdownSignal.aborted
        ? 'the server is shutting down'
        : opts.signal?.aborted
          ? 'the request was cancelled'
          : timedOut
            ? `no answer within ${opts.totalTimeoutMs && signal.aborted ? opts.totalTimeoutMs : timeoutMs} ms`
            : describeError(err);
      throw new UserFacingError('fetch_error', `${displayUrl(url.href)} could not be read: ${why}.`, { hint: 'Check the URL and that it is reachable from this machine.' });
    }
    res.body.on('error', () => undefined);
    if (res.statusCode >= 300 && res.statusCode < 400 && res.headers.location) {
      await res.body.dump().catch(() => undefined);
      if (hop >= maxRedirects) throw new UserFacingError('fetch_error', `${displayUrl(String(raw))}: more than ${maxRedirects} redirects.`, { hint: 'Give the final URL.' });
      url = new URL(String(res.headers.location), url);
      continue;
    }
    return { url, statusCode: res.statusCode, headers: res.headers, body: res.body as unknown as GuardedResponse['body'] };
  }
}
