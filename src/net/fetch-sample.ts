/**
 * Reads the first bytes of an http(s) URL: a Range request, bounded in size and time, through the one
 * guarded GET (guarded-get.ts): no credentials of ours, only addresses the policy allows.
 */
import { Readable } from 'node:stream';
import { displayUrl } from './display-url.js';
import { UserFacingError } from '../errors.js';
import { sampleFromStream, type Sample } from '../csv/sample.js';
import { guardedGet } from './guarded-get.js';

export interface FetchOptions {
  maxBytes: number;
  allowPrivate: boolean;
  timeoutMs?: number;
  maxRedirects?: number;
  /** The tool call's signal: a cancelled call closes its connection at once. */
  signal?: AbortSignal;
}

export async function sampleFromUrl(raw: string, opts: FetchOptions): Promise<Sample> {
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const res = await guardedGet(raw, {
    allowPrivate: opts.allowPrivate,
    headers: { range: `bytes=0-${opts.maxBytes - 1}`, 'accept-encoding': 'identity' },
    timeoutMs,
    totalTimeoutMs: timeoutMs,
    maxRedirects: opts.maxRedirects ?? 3,
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  const url = res.url;
  if (res.statusCode !== 200 && res.statusCode !== 206) {
    await res.body.dump().catch(() => undefined);
    throw new UserFacingError('fetch_error', `${displayUrl(url.href)} answered HTTP ${res.statusCode}.`, {
      status: res.statusCode,
      hint: res.statusCode === 403 ? 'A presigned URL may have expired: make a new one.' : 'Check the URL.',
    });
  }
  const total = /\/(\d+)$/.exec(String(res.headers['content-range'] ?? ''))?.[1];
  const length = Number(res.headers['content-length'] ?? NaN);
  const cut = (total !== undefined && Number(total) > opts.maxBytes) || (res.statusCode === 200 && length > opts.maxBytes);
  try {
    return await sampleFromStream(Readable.from(res.body), displayUrl(url.href), opts.maxBytes, cut);
  } finally {
    // Whatever was not read is not wanted: close the connection now, not at the timeout.
    res.body.destroy();
  }
}
