/**
 * Configuration: command-line flags and environment variables -> one resolved `Config`.
 *
 * Every setting is both a flag and an environment variable, except the API token, which is read from
 * the environment only (a flag would leak it into process listings and shell history).
 */
import { parseArgs } from 'node:util';
import fs from 'node:fs';
import path from 'node:path';
import { invalidInput } from './errors.js';
import type { LogLevel } from './log.js';
import { defaultStateDir } from './state/paths.js';
import { implicitSampleRoots } from './fs/allowed-file.js';
import { PACKAGE_ROOT } from './version.js';

export { PACKAGE_ROOT, VERSION } from './version.js';
export const DEFAULT_S3_ROOT = path.join(PACKAGE_ROOT, 'examples', 's3');
export const DEFAULT_DATASETS_FILE = path.join(PACKAGE_ROOT, 'examples', 'datasets.json');

export interface SandboxOptions {
  /** Folder whose sub-folders are the sandbox's S3 buckets: `<root>/<bucket>/<key>`. */
  s3Root: string;
  /** JSON file with the sandbox's datasets. */
  datasetsFile: string;
  /** An S3-compatible endpoint to read S3 sources from, instead of the folder (unless a folder was given). */
  s3Endpoint?: string;
  /** The state folder (the same as `Config.stateDir`); the sandbox keeps its own parts under it: see src/state/paths.ts. */
  stateDir: string;
  /** URL sources on loopback and private networks may be fetched (link-local and metadata: never). */
  allowPrivateUrls?: boolean;
}

export interface Config {
  backend: 'platform' | 'sandbox';
  /** Platform base URL (backend `platform` only). */
  apiUrl?: string;
  /** Platform token (backend `platform` only). Never printed. */
  apiToken?: string;
  readOnly: boolean;
  allowUnconfirmedImports: boolean;
  /** infer_csv_format may fetch URLs on loopback and private networks. */
  allowPrivateUrls: boolean;
  sampleRoots: string[];
  /** Whether sampleRoots came from --sample-root / DFI_SAMPLE_ROOTS (rather than the working directory). */
  sampleRootsExplicit: boolean;
  s3Endpoint?: string;
  logLevel: LogLevel;
  sandbox: SandboxOptions;
  /** Per-request timeout for platform calls, in milliseconds. */
  requestTimeoutMs: number;
  /** How long put_batch waits for the person to answer a confirmation request (elicitation). */
  elicitationTimeoutMs: number;
  /**
   * The state folder (absolute): the import ledger and the sandbox's jobs and points live under it.
   * Use `statePath(config.stateDir, part)` from src/state/paths.ts for its sub-folders.
   */
  stateDir: string;
}

export type Command =
  | { kind: 'help' }
  | { kind: 'version' }
  | { kind: 'serve'; config: Config }
  | { kind: 'print-config'; config: Config }
  | { kind: 'sandbox'; port: number; host: string; token?: string; sandbox: SandboxOptions };

export const HELP = `dfi-ingest-mcp: an MCP server (stdio) for bulk CSV ingestion from AWS S3 into General System's DFI.

Usage:
  dfi-ingest-mcp [options]                 start the MCP server on stdio
  dfi-ingest-mcp sandbox [--port N]        run the embedded sandbox API alone (HTTP on 127.0.0.1)
  dfi-ingest-mcp --help | --version

Backend (the real platform when an API URL and token are set, otherwise the embedded sandbox):
  --api-url URL                  platform API base URL            (env DFI_API_URL)
                                 the token is read from the environment only: DFI_API_TOKEN
  --sandbox                      force the embedded sandbox        (env DFI_SANDBOX=1)

Safety:
  --read-only                    put_batch only for dry runs       (env DFI_READ_ONLY=1)
  --allow-unconfirmed-imports    lift the dry-run gate for unattended automation
                                                                   (env DFI_ALLOW_UNCONFIRMED_IMPORTS=1)
  --allow-private-urls           let infer_csv_format (and the sandbox's URL sources) fetch URLs
                                 on loopback and private networks
                                 (env DFI_ALLOW_PRIVATE_URLS=1; link-local/metadata addresses: never)
  --sample-root DIR              folder that infer_csv_format's "path" may read; repeatable
                                 (env DFI_SAMPLE_ROOTS, separated by "${path.delimiter}"; default: the working
                                 directory, unless it is / or a home folder: then none)

Sandbox:
  --sandbox-s3-root DIR          folder holding the sandbox's buckets  (env DFI_SANDBOX_S3_ROOT;
                                 default: the bundled examples/s3)
  --sandbox-datasets FILE        the sandbox's datasets JSON      (env DFI_SANDBOX_DATASETS)
  --port N                       with "sandbox": the port (default 8080; 0 picks a free one)
  --host H                       with "sandbox": the address to bind (default 127.0.0.1)

State:
  --state-dir DIR                folder for the import ledger and the sandbox's jobs (env DFI_STATE_DIR;
                                 default: the OS's application-data folder, e.g. ~/.local/share/dfi-ingest-mcp)

Other:
  --s3-endpoint URL              S3-compatible endpoint            (env AWS_ENDPOINT_URL_S3)
  --log-level LEVEL              debug | info | warn | error       (env DFI_LOG_LEVEL; default info);
                                 also sent to the client as MCP log messages
  --print-config                 print the resolved configuration (token redacted) and the tools, then exit
  --timeout-ms N                 per-request timeout for platform calls (env DFI_TIMEOUT_MS; default 30000)
  --elicitation-timeout-ms N     how long put_batch waits for the person's answer when it asks to
                                 confirm an import (env DFI_ELICITATION_TIMEOUT_MS; default 45000)
`;

const TRUE = new Set(['1', 'true', 'yes', 'on']);
function envFlag(env: NodeJS.ProcessEnv, name: string): boolean {
  const v = env[name];
  return v !== undefined && TRUE.has(v.trim().toLowerCase());
}

/**
 * A bundle host (MCPB) that leaves an optional field empty may pass its placeholder through
 * unexpanded: `${user_config.api_url}` is "not set", never a value.
 */
const UNEXPANDED_PLACEHOLDER = /^\$\{user_config\.[^}]*\}$/;

function nonEmpty(v: string | undefined): string | undefined {
  const t = v?.trim();
  return t && !UNEXPANDED_PLACEHOLDER.test(t) ? t : undefined;
}

function parseUrl(value: string, what: string): string {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw invalidInput(`${what} "${value}" is not a URL.`, 'Give a full URL such as https://api.prod.generalsystem.com');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw invalidInput(`${what} must use http or https, not ${u.protocol}`, 'Give a URL that starts with https://');
  }
  if (u.username || u.password) {
    throw invalidInput(`${what} must not contain credentials.`, 'Put the token in DFI_API_TOKEN instead.');
  }
  return u.toString().replace(/\/+$/, '');
}

function parsePositiveInt(value: string, what: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw invalidInput(`${what} must be a whole number from ${min} to ${max}, not "${value}".`);
  }
  return n;
}

/** Parses argv (without node and the script) and the environment. Throws `UserFacingError` on bad input. */
export function parseCommand(argv: string[], env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Command {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
        'print-config': { type: 'boolean' },
        'api-url': { type: 'string' },
        sandbox: { type: 'boolean' },
        'read-only': { type: 'boolean' },
        'allow-unconfirmed-imports': { type: 'boolean' },
        'allow-private-urls': { type: 'boolean' },
        'sample-root': { type: 'string', multiple: true },
        's3-endpoint': { type: 'string' },
        'log-level': { type: 'string' },
        'timeout-ms': { type: 'string' },
        'elicitation-timeout-ms': { type: 'string' },
        'sandbox-s3-root': { type: 'string' },
        'sandbox-datasets': { type: 'string' },
        'state-dir': { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
      },
    });
  } catch (err) {
    throw invalidInput((err as Error).message.split('\n')[0] ?? 'bad arguments', 'Run dfi-ingest-mcp --help to see the options.');
  }
  const { values: v, positionals } = parsed;
  if (v.help) return { kind: 'help' };
  if (v.version) return { kind: 'version' };

  if (v['state-dir'] !== undefined && !v['state-dir'].trim()) {
    throw invalidInput('--state-dir is empty.', 'Give a folder, e.g. --state-dir ~/.dfi-ingest-mcp, or leave it out for the default.');
  }
  const stateDirGiven = v['state-dir'] ?? nonEmpty(env.DFI_STATE_DIR);
  const stateDir = stateDirGiven !== undefined ? path.resolve(cwd, stateDirGiven) : defaultStateDir();
  const s3RootGiven = v['sandbox-s3-root'] ?? nonEmpty(env.DFI_SANDBOX_S3_ROOT);
  const s3EndpointRaw = v['s3-endpoint'] ?? nonEmpty(env.AWS_ENDPOINT_URL_S3);
  // Read once; the server's S3 calls and the sandbox's S3 sources use the same value.
  const s3Endpoint = s3EndpointRaw ? parseUrl(s3EndpointRaw, 'the S3 endpoint') : undefined;
  const allowPrivateUrls = v['allow-private-urls'] === true || envFlag(env, 'DFI_ALLOW_PRIVATE_URLS');
  const sandbox: SandboxOptions = {
    s3Root: path.resolve(cwd, s3RootGiven ?? DEFAULT_S3_ROOT),
    datasetsFile: path.resolve(cwd, v['sandbox-datasets'] ?? nonEmpty(env.DFI_SANDBOX_DATASETS) ?? DEFAULT_DATASETS_FILE),
    stateDir,
    // With an S3-compatible endpoint configured, the sandbox reads S3 sources from it, unless a folder was given.
    ...(s3Endpoint && !s3RootGiven ? { s3Endpoint } : {}),
    allowPrivateUrls,
  };

  if (positionals.length > 0) {
    if (positionals[0] !== 'sandbox' || positionals.length > 1) {
      throw invalidInput(`unknown command "${positionals.join(' ')}".`, 'The only command is "sandbox"; run dfi-ingest-mcp --help.');
    }
    const port = v.port === undefined ? 8080 : parsePositiveInt(v.port, '--port', 0, 65535);
    const token = nonEmpty(env.DFI_SANDBOX_TOKEN);
    return { kind: 'sandbox', port, host: v.host ?? '127.0.0.1', sandbox, ...(token ? { token } : {}) };
  }
  if (v.port !== undefined || v.host !== undefined) {
    throw invalidInput('--port and --host belong to the "sandbox" command.', 'Run: dfi-ingest-mcp sandbox --port 8080');
  }

  const apiUrlRaw = v['api-url'] ?? nonEmpty(env.DFI_API_URL);
  const apiToken = nonEmpty(env.DFI_API_TOKEN);
  const forceSandbox = v.sandbox === true || envFlag(env, 'DFI_SANDBOX');
  let backend: Config['backend'];
  if (forceSandbox || (!apiUrlRaw && !apiToken)) {
    backend = 'sandbox';
  } else if (apiUrlRaw && !apiToken) {
    throw invalidInput('an API URL is set but DFI_API_TOKEN is not.', 'Set DFI_API_TOKEN in the environment, or use --sandbox to try the local sandbox.');
  } else if (!apiUrlRaw && apiToken) {
    throw invalidInput('DFI_API_TOKEN is set but no API URL is.', 'Set DFI_API_URL (or --api-url), e.g. https://api.prod.generalsystem.com');
  } else {
    backend = 'platform';
  }

  const logLevelRaw = (v['log-level'] ?? nonEmpty(env.DFI_LOG_LEVEL) ?? 'info').toLowerCase();
  if (!['debug', 'info', 'warn', 'error'].includes(logLevelRaw)) {
    throw invalidInput(`--log-level must be debug, info, warn or error, not "${logLevelRaw}".`);
  }
  const rootsFromEnv = nonEmpty(env.DFI_SAMPLE_ROOTS)?.split(path.delimiter).filter(Boolean) ?? [];
  const roots = v['sample-root'] ?? rootsFromEnv;
  const timeoutRaw = v['timeout-ms'] ?? nonEmpty(env.DFI_TIMEOUT_MS);
  const elicitRaw = v['elicitation-timeout-ms'] ?? nonEmpty(env.DFI_ELICITATION_TIMEOUT_MS);

  const config: Config = {
    backend,
    readOnly: v['read-only'] === true || envFlag(env, 'DFI_READ_ONLY'),
    allowUnconfirmedImports: v['allow-unconfirmed-imports'] === true || envFlag(env, 'DFI_ALLOW_UNCONFIRMED_IMPORTS'),
    allowPrivateUrls,
    // Never `/` or a home folder implicitly: then no local file may be read until a root is given.
    sampleRoots: roots.length > 0 ? roots.map((r) => path.resolve(cwd, r)) : implicitSampleRoots(cwd),
    sampleRootsExplicit: roots.length > 0,
    logLevel: logLevelRaw as LogLevel,
    sandbox,
    requestTimeoutMs: timeoutRaw === undefined ? 30_000 : parsePositiveInt(timeoutRaw, '--timeout-ms', 100, 600_000),
    elicitationTimeoutMs: elicitRaw === undefined ? 45_000 : parsePositiveInt(elicitRaw, '--elicitation-timeout-ms', 100, 55_000),
    stateDir,
    ...(s3Endpoint ? { s3Endpoint } : {}),
  };
  if (backend === 'platform') {
    config.apiUrl = parseUrl(apiUrlRaw!, 'the API URL');
    config.apiToken = apiToken!;
  }
  return { kind: v['print-config'] ? 'print-config' : 'serve', config };
}

/** The configuration as it may be shown: the token replaced by whether it is set. */
export function describeConfig(config: Config): Record<string, unknown> {
  const { apiToken, ...rest } = config;
  return { ...rest, ...(config.backend === 'platform' ? { apiToken: apiToken ? `set (${apiToken.length} characters, from DFI_API_TOKEN)` : 'missing' } : {}) };
}
