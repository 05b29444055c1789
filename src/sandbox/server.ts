/**
 * The embedded sandbox: the Import, Datasets and Query APIs of shared/dfi-import-api.md as a real HTTP
 * server on loopback, routed with Hono (one file per API area in routes/). Started in-process by the
 * MCP server when no platform is configured, or alone with `dfi-ingest-mcp sandbox --port N`.
 *
 * State (datasets changed through the API, stored points) lives in the state folder
 * (src/state/paths.ts: `sandboxDatasets`, `sandboxPoints`); without one, in a temporary folder removed
 * on close, so that nothing outlives the process.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { getRequestListener } from '@hono/node-server';
import { Hono } from 'hono';
import { UserFacingError, describeError } from '../errors.js';
import { DatasetStore } from './datasets.js';
import { HttpError, type SandboxContext, type SandboxEnv } from './http.js';
import { JobStore } from './jobs.js';
import { datasetRoutes } from './routes/datasets.js';
import { importRoutes, resumeInterruptedImports } from './routes/import.js';
import { queryRoutes } from './routes/query.js';
import { PointStore } from './store/points.js';
import { statePath } from '../state/paths.js';

export { SANDBOX_EXTERNAL_ID, SANDBOX_PRINCIPAL } from './routes/import.js';
export { HttpError } from './http.js';

/** The identity of every token the sandbox accepts. */
export const SANDBOX_IDENTITY = 'user|00000000-5a4d-4b0c-8000-000000000001';

export interface SandboxServerOptions {
  host?: string;
  port?: number;
  /** Required bearer token; when absent, any request is accepted. */
  token?: string;
  s3Root: string;
  datasetsFile: string;
  /** Read S3 sources from this S3-compatible endpoint instead of the folder. */
  s3Endpoint?: string;
  /** The state folder; the sandbox keeps its parts under it (src/state/paths.ts). Absent: nothing outlives the process. */
  stateDir?: string;
  /** URL sources on loopback and private networks may be fetched (as --allow-private-urls). */
  allowPrivateUrls?: boolean;
}

export interface RunningSandbox {
  url: string;
  close(): Promise<void>;
}

const json = (status: number, body: unknown, extra: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json; charset=utf-8', ...extra } });

export async function startSandboxServer(opts: SandboxServerOptions): Promise<RunningSandbox> {
  const temporary = opts.stateDir === undefined;
  const stateDir = opts.stateDir ?? (await fs.promises.mkdtemp(path.join(os.tmpdir(), 'dfi-sandbox-state-')));
  const datasets = DatasetStore.open(opts.datasetsFile, statePath(stateDir, 'sandboxDatasets'));
  const points = await PointStore.open(statePath(stateDir, 'sandboxPoints'));
  const running = new Set<Promise<unknown>>();
  const ctx: SandboxContext = {
    datasets,
    points,
    jobs: new JobStore(statePath(stateDir, 'sandboxJobs')),
    identityId: SANDBOX_IDENTITY,
    track(p) {
      running.add(p);
      void p.finally(() => running.delete(p));
    },
    s3Root: opts.s3Root,
    ...(opts.s3Endpoint ? { s3Endpoint: opts.s3Endpoint } : {}),
    allowPrivateUrls: opts.allowPrivateUrls === true,
  };

  // Without a token, only loopback names are served: a web page cannot reach the sandbox through a
  // name of its own that resolves to 127.0.0.1 (DNS rebinding).
  const allowedHosts = new Set(['localhost', '127.0.0.1', '[::1]', ...(opts.host ? [opts.host.includes(':') ? `[${opts.host}]` : opts.host] : [])]);
  const app = new Hono<SandboxEnv>();
  app.use(async (c, next) => {
    if (opts.token === undefined) {
      const given = c.req.header('host') ?? '';
      if (!allowedHosts.has(given.toLowerCase().replace(/:\d+$/, ''))) {
        throw new HttpError(421, `the sandbox without a token answers only to loopback names (localhost, 127.0.0.1, [::1]), not ${JSON.stringify(given.slice(0, 100))}; set DFI_SANDBOX_TOKEN to serve other names`);
      }
    }
    if (opts.token !== undefined && c.req.header('authorization') !== `Bearer ${opts.token}`) throw new HttpError(401, 'invalid or missing token');
    try {
      decodeURIComponent(new URL(c.req.url).pathname);
    } catch {
      throw new HttpError(400, 'the path is not validly percent-encoded');
    }
    await next();
  });
  importRoutes(app, ctx);
  // Imports that were running when the sandbox stopped go on, from their first file.
  await resumeInterruptedImports(ctx);
  datasetRoutes(app, ctx);
  queryRoutes(app, ctx);
  app.notFound((c) => json(404, { message: `no route for ${c.req.method} ${new URL(c.req.url).pathname}` }));
  app.onError((err) => {
    const status = err instanceof HttpError ? err.status : err instanceof UserFacingError ? (err.status ?? 400) : 500;
    return json(status, { message: describeError(err) }, status === 413 ? { connection: 'close' } : {});
  });

  const server = http.createServer(getRequestListener(app.fetch, { overrideGlobalObjects: false }));
  server.requestTimeout = 120_000;
  server.headersTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${host}:${addr.port}`,
    async close() {
      // Running imports are aborted, not waited for: closing must be prompt.
      ctx.jobs.abortAll();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await Promise.allSettled(running);
      if (temporary) await fs.promises.rm(stateDir, { recursive: true, force: true });
    },
  };
}
