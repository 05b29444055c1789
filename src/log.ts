/**
 * Logging to stderr only: stdout belongs to the MCP protocol.
 *
 * Every line passes through `redact`, which removes registered secrets (the API token) wherever they
 * appear, including inside messages the platform echoes back.
 */
const secrets = new Set<string>();

/** Registers a value that must never be printed. Short values are ignored (they would redact noise). */
export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 8) secrets.add(value);
}

const BEARER = /(Bearer\s+)[A-Za-z0-9._~+/=-]+/gi;
/** A URL whose query string carries a signature (presigned S3 URLs and the like): keep the path, mask the query. */
const SIGNED_QUERY = /(https?:\/\/[^\s"'?<>]+)\?[^\s"'<>]*(?:X-Amz-|Signature=|sig=|AWSAccessKeyId=)[^\s"'<>]*/gi;

export function redact(text: string): string {
  let out = text;
  for (const s of secrets) out = out.split(s).join('[REDACTED]');
  return out.replace(BEARER, '$1[REDACTED]').replace(SIGNED_QUERY, '$1?[signed query masked]');
}

/** Deep-redacts any JSON-like value (strings inside objects and arrays). */
export function redactValue<T>(value: T): T {
  if (typeof value === 'string') return redact(value) as T;
  if (Array.isArray(value)) return value.map((v) => redactValue(v)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redactValue(v);
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
