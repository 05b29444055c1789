/**
 * Reads the first bytes of an http(s) URL: a Range request, bounded in size, time and redirects,
 * with no credentials of ours (the platform token is never sent to a sample URL), and only to
 * addresses the policy allows, checked on the address actually connected to.
 */
import dns from 'node:dns';
import type { LookupFunction } from 'node:net';
import { Readable } from 'node:stream';
import { displayUrl } from '../aws/s3-names.js';
import { invalidInput, UserFacingError, describeError } from '../errors.js';
import { sampleFromStream, type Sample } from '../csv/sample.js';
import { checkAddress, isIpLiteral } from './address-policy.js';
import { loadUndici } from '../dfi/client.js';

export interface FetchOptions {
  maxBytes: number;
  allowPrivate: boolean;
  timeoutMs?: number;
  maxRedirects?: number;
}

class RefusedAddress extends Error {}

function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const list = addresses as dns.LookupAddress[];
      for (const a of list) {
        const verdict = checkAddress(a.address, allowPrivate);
        if (!verdict.ok) return callback(new RefusedAddress(`${hostname} resolves to ${verdict.reason}`), '', 0);
      }
      if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, list);
      return callback(null, list[0]!.address, list[0]!.family);
    });
  };
}

export async function sampleFromUrl(raw: string, opts: FetchOptions): Promise<Sample> {
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const maxRedirects = opts.maxRedirects ?? 3;
  const { Agent, request } = await loadUndici();
  const agent = new Agent({ connect: { lookup: guardedLookup(opts.allowPrivate), timeout: 5_000 }, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  const signal = AbortSignal.timeout(timeoutMs);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalidInput(`"${displayUrl(raw)}" is not a URL.`, 'Give an http:// or https:// URL.');
  }
  try {
    for (let hop = 0; ; hop++) {
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalidInput(`${displayUrl(url.href)}: only http and https URLs can be read.`, 'Give an http:// or https:// URL.');
      if (url.username || url.password) throw invalidInput(`${displayUrl(url.href)} carries credentials in the URL; they are not sent.`, 'Use a presigned URL or an open one.');
      if (isIpLiteral(url.hostname)) {
        const verdict = checkAddress(url.hostname, opts.allowPrivate);
        if (!verdict.ok) throw invalidInput(`${displayUrl(url.href)}: ${verdict.reason}.`, verdict.always ? 'Give a public URL.' : 'Give a public URL, or start the server with --allow-private-urls for a local one.');
      }
      let res;
      try {
        res = await request(url, {
          method: 'GET',
          headers: { range: `bytes=0-${opts.maxBytes - 1}`, 'accept-encoding': 'identity', 'user-agent': 'dfi-ingest-mcp' },
          dispatcher: agent,
          signal,
        });
      } catch (err) {
        const cause = (err as { cause?: unknown }).cause ?? err;
        if (cause instanceof RefusedAddress || err instanceof RefusedAddress) {
          throw invalidInput(`${displayUrl(url.href)}: ${(cause as Error).message}.`, 'Give a public URL, or start the server with --allow-private-urls for a local one (link-local and metadata addresses are never allowed).');
        }
        const timedOut = (err as Error).name === 'TimeoutError' || /timeout/i.test(String((err as { code?: string }).code));
        throw new UserFacingError('fetch_error', `${displayUrl(url.href)} could not be read: ${timedOut ? `no answer within ${timeoutMs} ms` : describeError(err)}.`, { hint: 'Check the URL and that it is reachable from this machine.' });
      }
      if (res.statusCode >= 300 && res.statusCode < 400 && res.headers.location) {
        await res.body.dump().catch(() => undefined);
        if (hop >= maxRedirects) throw new UserFacingError('fetch_error', `${displayUrl(raw)}: more than ${maxRedirects} redirects.`, { hint: 'Give the final URL.' });
        url = new URL(String(res.headers.location), url);
        continue;
      }
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
      res.body.on('error', () => undefined);
      return await sampleFromStream(Readable.from(res.body), displayUrl(url.href), opts.maxBytes, cut);
    }
  } finally {
    void agent.close().catch(() => undefined);
  }
}
