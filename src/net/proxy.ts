/**
 * Outbound proxies, as corporate networks require: `HTTPS_PROXY` / `HTTP_PROXY` name the proxy for
 * https and http targets, `NO_PROXY` the hosts reached directly (lower-case names too, as curl
 * reads them). This module is the one reading of those variables: the platform client, URL samples
 * and the AWS SDK all ask `proxyFor` which proxy, if any, a target goes through.
 *
 * NO_PROXY, as curl reads it: entries separated by commas (or spaces); `*` means every host;
 * `example.com` and `.example.com` match that domain and its subdomains; an entry with `:port`
 * matches that port only; IP addresses match exactly. The embedded sandbox is in-process and is
 * always reached directly, whatever the variables say.
 */
import type { Agent as HttpAgent } from 'node:http';

export interface ProxySettings {
  /** Proxy for https targets. */
  https?: string;
  /** Proxy for http targets. */
  http?: string;
  /** NO_PROXY entries, lower-cased. */
  noProxy: string[];
}

function firstSet(env: NodeJS.ProcessEnv, ...names: string[]): string | undefined {
  for (const n of names) {
    const v = env[n]?.trim();
    if (v) return v;
  }
  return undefined;
}

export function proxySettings(env: NodeJS.ProcessEnv = process.env): ProxySettings {
  const https = firstSet(env, 'HTTPS_PROXY', 'https_proxy', 'ALL_PROXY', 'all_proxy');
  const http = firstSet(env, 'HTTP_PROXY', 'http_proxy', 'ALL_PROXY', 'all_proxy');
  const noProxy = (firstSet(env, 'NO_PROXY', 'no_proxy') ?? '')
    .split(/[\s,]+/)
    .map((e) => e.trim().toLowerCase())
    .filter(Boolean);
  return { ...(https ? { https } : {}), ...(http ? { http } : {}), noProxy };
}

function defaultPort(u: URL): string {
  return u.port || (u.protocol === 'https:' ? '443' : '80');
}

/** Whether NO_PROXY sends this target directly. */
export function bypassesProxy(target: URL, noProxy: string[]): boolean {
  const host = target.hostname.toLowerCase().replace(/^\[|\]$/g, '');
  const port = defaultPort(target);
  return noProxy.some((raw) => {
    if (raw === '*') return true;
    // `[::1]:8080`, `host:8080`, `host`; an IPv6 entry without brackets has several colons and no port.
    const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(raw) ?? (raw.split(':').length === 2 ? /^([^:]+):(\d+)$/.exec(raw) : null);
    const entryHost = (m ? m[1]! : raw).replace(/^\*?\./, '');
    const entryPort = m?.[2];
    if (entryPort && entryPort !== port) return false;
    return host === entryHost || host.endsWith(`.${entryHost}`);
  });
}

/** The proxy URL a request to `target` goes through, or undefined for a direct connection. */
export function proxyFor(target: URL, settings: ProxySettings = proxySettings()): string | undefined {
  const proxy = target.protocol === 'https:' ? settings.https : target.protocol === 'http:' ? settings.http : undefined;
  if (!proxy || bypassesProxy(target, settings.noProxy)) return undefined;
  return proxy;
}

/** The proxy URL as it may be shown: without credentials. */
export function displayProxy(proxy: string): string {
  try {
    const u = new URL(proxy);
    return `${u.protocol}//${u.host}`;
  } catch {
    return '(a proxy URL that is not a URL)';
  }
}

/**
 * Node agents for the AWS SDK's request handler, for requests to `endpoint` (an S3-compatible
 * endpoint) or, without one, to AWS's own hosts (`*.amazonaws.com`, on https). Undefined when the
 * SDK should connect directly.
 */
export async function awsProxyAgents(endpoint: string | undefined, settings: ProxySettings = proxySettings()): Promise<{ httpAgent?: HttpAgent; httpsAgent?: HttpAgent } | undefined> {
  const target = new URL(endpoint ?? 'https://s3.amazonaws.com');
  const proxy = proxyFor(target, settings);
  if (!proxy) return undefined;
  if (target.protocol === 'https:') {
    const { HttpsProxyAgent } = await import('https-proxy-agent');
    return { httpsAgent: new HttpsProxyAgent(proxy, { keepAlive: true }) };
  }
  const { HttpProxyAgent } = await import('http-proxy-agent');
  return { httpAgent: new HttpProxyAgent(proxy, { keepAlive: true }) };
}
