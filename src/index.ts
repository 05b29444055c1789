#!/usr/bin/env node
import { randomBytes } from 'node:crypto';
/**
 * Command line: flags + environment -> config -> backend (platform or in-process sandbox) -> stdio.
 * stdout carries only JSON-RPC once the server runs; everything else goes to stderr.
 */
import { describeConfig, HELP, parseCommand, type Config } from './config.js';
import { DfiClient } from './dfi/client.js';
import { UserFacingError, describeError } from './errors.js';
import { log, registerSecret, setLogLevel } from './log.js';
import { buildServer, enabledTools, VERSION } from './server.js';
import { ResilientStdioTransport } from './stdio-transport.js';
import { displayProxy, proxyFor, proxySettings } from './net/proxy.js';
import type { RunningSandbox } from './sandbox/server.js';
import { loadDatasets } from './sandbox/datasets.js';
import { abortOutbound } from './net/shutdown.js';

/** How long shutdown may take once stdin closed or a signal came: jobs and fetches are aborted first. */
const SHUTDOWN_GRACE_MS = 1_500;

function fail(err: unknown): never {
  const msg = err instanceof UserFacingError ? `${err.message}${err.hint ? `\n  ${err.hint}` : ''}` : describeError(err);
  log('error', msg);
  process.exit(2);
}

async function runSandboxAlone(cmd: Extract<ReturnType<typeof parseCommand>, { kind: 'sandbox' }>): Promise<void> {
  registerSecret(cmd.token);
  const { startSandboxServer } = await import('./sandbox/server.js');
  const sandbox = await startSandboxServer({ host: cmd.host, port: cmd.port, ...(cmd.token ? { token: cmd.token } : {}), ...cmd.sandbox });
  log('info', `sandbox API listening at ${sandbox.url} (buckets: ${cmd.sandbox.s3Endpoint ?? cmd.sandbox.s3Root}; datasets: ${cmd.sandbox.datasetsFile}; ${cmd.token ? 'token required: DFI_SANDBOX_TOKEN' : 'any token accepted'})`);
  const stop = () => {
    setTimeout(() => process.exit(0), SHUTDOWN_GRACE_MS).unref();
    abortOutbound();
    void sandbox.close().finally(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

async function serve(config: Config): Promise<void> {
  setLogLevel(config.logLevel);
  let sandbox: RunningSandbox | undefined;
  let sandboxStarting: Promise<string> | undefined;
  let client: DfiClient;
  if (config.backend === 'platform') {
    registerSecret(config.apiToken);
    const proxy = proxyFor(new URL(config.apiUrl!));
    if (proxy) registerSecret(new URL(proxy).password || undefined);
    client = new DfiClient({ baseUrl: config.apiUrl!, token: config.apiToken!, timeoutMs: config.requestTimeoutMs, label: 'the platform', proxy });
    log('info', `backend: the DFI platform at ${config.apiUrl} (token from DFI_API_TOKEN)${proxy ? `, through the proxy ${displayProxy(proxy)}` : ''}`);
  } else {
    const token = `sandbox-${randomBytes(18).toString('base64url')}`;
    registerSecret(token);
    // Configuration errors stop the server now; the HTTP listener starts once stdio is connected.
    loadDatasets(config.sandbox.datasetsFile);
    // Loaded and started off the start-up path: the first tool call waits for it if needed.
    sandboxStarting = import('./sandbox/server.js').then((m) => m.startSandboxServer({ token, ...config.sandbox })).then((s) => {
      sandbox = s;
      log('info', `backend: the embedded sandbox at ${s.url} (buckets: ${config.sandbox.s3Endpoint ?? config.sandbox.s3Root}; datasets: ${config.sandbox.datasetsFile}). Set DFI_API_URL and DFI_API_TOKEN to use the real platform.`);
      return s.url;
    });
    client = new DfiClient({ baseUrl: sandboxStarting, token, timeoutMs: config.requestTimeoutMs, label: 'the sandbox' });
  }
  if (config.readOnly) log('info', 'read-only: put_batch runs dry runs only; abort_batch is off');
  if (config.allowUnconfirmedImports) log('warn', 'the dry-run gate is lifted (--allow-unconfirmed-imports): real imports need no confirmation');

  const server = buildServer({ config, client });
  const transport = new ResilientStdioTransport();
  transport.onerror = (err) => log('warn', `stdin: ${err.message}`);
  let closing = false;
  // The client is gone (stdin closed) or the process is told to stop: abort what runs, exit promptly.
  const shutdown = async (code: number, why: string) => {
    if (closing) return;
    closing = true;
    log('info', `shutting down (${why}): aborting running jobs and fetches`);
    // Whatever hangs below (a trickling URL, a slow platform), the process ends within the grace time.
    setTimeout(() => process.exit(code), SHUTDOWN_GRACE_MS).unref();
    abortOutbound();
    await Promise.allSettled([
      server.close(),
      client.close(),
      sandboxStarting?.then(() => sandbox?.close()),
    ]);
    process.exit(code);
  };
  process.stdin.on('end', () => void shutdown(0, 'stdin closed'));
  process.stdin.on('close', () => void shutdown(0, 'stdin closed'));
  process.once('SIGINT', () => void shutdown(0, 'SIGINT'));
  process.once('SIGTERM', () => void shutdown(0, 'SIGTERM'));
  await server.connect(transport);
  sandboxStarting?.catch((err: unknown) => log('error', `the embedded sandbox could not start: ${describeError(err)}`));
}

async function main(): Promise<void> {
  process.on('unhandledRejection', (err) => log('error', `unhandled rejection: ${describeError(err)}`));
  let cmd;
  try {
    cmd = parseCommand(process.argv.slice(2));
  } catch (err) {
    fail(err);
  }
  // --help and --version are not server mode: stdout is theirs.
  if (cmd.kind === 'help') return void process.stdout.write(HELP);
  if (cmd.kind === 'version') return void process.stdout.write(`${VERSION}\n`);
  if (cmd.kind === 'print-config') {
    const proxies = proxySettings();
    const proxy = { https: proxies.https ? displayProxy(proxies.https) : 'direct', http: proxies.http ? displayProxy(proxies.http) : 'direct', noProxy: proxies.noProxy };
    return void process.stdout.write(`${JSON.stringify({ version: VERSION, config: describeConfig(cmd.config), proxy, tools: enabledTools(cmd.config) }, null, 2)}\n`);
  }
  try {
    if (cmd.kind === 'sandbox') await runSandboxAlone(cmd);
    else await serve(cmd.config);
  } catch (err) {
    fail(err);
  }
}

void main();
