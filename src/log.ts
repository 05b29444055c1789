/**
 * Logging to stderr only: stdout belongs to the MCP protocol.
 *
 * Every line passes through `redact`, which removes registered secrets (the API token) wherever they
 * appear, including inside messages the platform echoes back.
 */
const secrets = new Set<string>();

/** Registers a value that must never be printed, whatever its length. */
export function registerSecret(value: string | undefined): void {
  if (value) secrets.add(value);
}

const BEARER = /(Bearer\s+)[A-Za-z0-9._~+/=-]+/gi;
/** A URL with a query string. */
const URL_WITH_QUERY = /(https?:\/\/[^\s"'?<>]+)\?([^\s"'<>]*)/gi;
/**
 * Query parameter names that carry credentials: S3 (X-Amz-*, Signature, AWSAccessKeyId), Google
 * (X-Goog-*), Azure SAS (sig), and the usual token, key, secret, password and auth names.
 */
const CREDENTIAL_PARAM = /^(?:x-amz-.*|x-goog-.*|awsaccesskeyid|.*(?:sig|signature|token|secret|passw|pwd|key|auth|credential|session).*)$/i;

/** Masks the query string of a URL when one of its parameters carries a credential. */
function maskSignedQueries(text: string): string {
  return text.replace(URL_WITH_QUERY, (whole, base: string, query: string) => {
    const names = query.split(/&|&amp;/).map((p) => {
      try {
        return decodeURIComponent(p.split('=')[0] ?? '');
      } catch {
        return p.split('=')[0] ?? '';
      }
    });
    return names.some((n) => CREDENTIAL_PARAM.test(n)) ? `${base}?[signed query masked]` : whole;
  });
}

export function redact(text: string): string {
  let out = text;
  // Longest first, so that a secret containing another is removed whole.
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) out = out.split(s).join('[REDACTED]');
  return maskSignedQueries(out.replace(BEARER, '$1[REDACTED]'));
}

/** Deep-redacts any JSON-like value: strings inside objects and arrays, and object keys. */
export function redactValue<T>(value: T): T {
  if (typeof value === 'string') return redact(value) as T;
  if (Array.isArray(value)) return value.map((v) => redactValue(v)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[redact(k)] = redactValue(v);
    return out as T;
  }
  return value;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
let threshold: LogLevel = 'info';

export function setLogLevel(level: LogLevel): void {
  threshold = level;
}

type Sink = (level: LogLevel, message: string) => void;
let sink: Sink | undefined;
/** Also send log lines to the MCP client (notifications/message), once connected. */
export function setLogSink(s: Sink | undefined): void {
  sink = s;
}

export function log(level: LogLevel, message: string): void {
  if (ORDER[level] < ORDER[threshold]) return;
  const line = redact(message);
  process.stderr.write(`[dfi-ingest-mcp] ${level}: ${line}\n`);
  try {
    sink?.(level, line);
  } catch {
    // A client that went away must not break logging.
  }
}
