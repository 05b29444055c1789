/**
 * The Query API: `POST /v1/query` answered as Server-Sent Events, and `POST /v1/query/manage`.
 *
 * Framing (shared/dfi-import-api.md): a `keepAlive` event first and then every KEEPALIVE_MS while the
 * query runs, zero or more `message` events, then exactly one `finish` with `{"messageCount": N}`.
 * A query that fails once the stream has started ends with one `queryError` event (and no finish).
 * A malformed document, an unknown dataset or no read permission is an HTTP error before any stream.
 */
import fs from 'node:fs';
import type { Hono } from 'hono';
import { describeError } from '../../errors.js';
import { permissionsOf, WRITE_TYPES } from '../datasets.js';
import { HttpError, dataset, instanceKey, readJson, type SandboxContext, type SandboxEnv } from '../http.js';
import { QueryDocumentError, parseQuery, runQuery, type CompiledQuery } from '../store/query.js';

export const KEEPALIVE_MS = 10_000;

const event = (name: string, data: string) => `event: ${name}\n${data.split(/\r?\n/).map((l) => `data: ${l}`).join('\n')}\n\n`;

async function* frames(q: CompiledQuery | QueryDocumentError, run: () => AsyncGenerator<string>): AsyncGenerator<string> {
  yield event('keepAlive', '');
  if (q instanceof QueryDocumentError) {
    yield event('queryError', q.message);
    return;
  }
  let messages = 0;
  try {
    for await (const data of run()) {
      messages++;
      yield event('message', data);
    }
  } catch (err) {
    yield event('queryError', `the query failed: ${describeError(err)}`);
    return;
  }
  yield event('finish', JSON.stringify({ messageCount: messages }));
}

/** A pull stream (the socket's pace) with keepAlive events while the next frame takes long. */
function sseStream(gen: AsyncGenerator<string>): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  let pending: Promise<IteratorResult<string>> | undefined;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      pending ??= gen.next();
      let timer: NodeJS.Timeout | undefined;
      const tick = new Promise<'tick'>((r) => (timer = setTimeout(() => r('tick'), KEEPALIVE_MS)));
      const next = await Promise.race([pending, tick]);
      clearTimeout(timer);
      if (next === 'tick') {
        controller.enqueue(enc.encode(event('keepAlive', '')));
        return;
      }
      pending = undefined;
      if (next.done) controller.close();
      else controller.enqueue(enc.encode(next.value));
    },
    async cancel() {
      await gen.return(undefined);
    },
  });
}

function openSegment(file: string): number | null {
  try {
    return fs.openSync(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

export function queryRoutes(app: Hono<SandboxEnv>, ctx: SandboxContext): void {
  app.post('/v1/query', async (c) => {
    const body = await readJson(c);
    const datasetId = (body as { datasetId?: unknown } | null)?.datasetId;
    if (typeof datasetId !== 'string' || !datasetId) throw new HttpError(400, 'datasetId is required (a string)');
    const d = dataset(ctx, datasetId);
    if (!permissionsOf(d, ctx.identityId).read) throw new HttpError(403, `no read permission on dataset ${d.id}`);
    let q: CompiledQuery | QueryDocumentError;
    try {
      q = parseQuery(body, d.dataDescription?.metadataSchema ?? {});
    } catch (err) {
      if (!(err instanceof QueryDocumentError)) throw err;
      if (err.kind === 'request') throw new HttpError(400, `invalid query document: ${err.message}`);
      q = err;
    }
    const segments = ctx.points.segments(instanceKey(d));
    const gen = frames(q, () => runQuery(q as CompiledQuery, segments, openSegment, (fd) => fs.closeSync(fd)));
    return new Response(sseStream(gen), {
      status: 200,
      headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' },
    });
  });

  app.post('/v1/query/manage', async (c) => {
    const body = (await readJson(c)) as { datasetId?: unknown; operation?: unknown } | null;
    if (typeof body?.datasetId !== 'string' || !body.datasetId) throw new HttpError(400, 'datasetId is required (a string)');
    if (body.operation !== 'truncate') throw new HttpError(400, `operation must be "truncate" (the only data management operation), not ${JSON.stringify(body.operation)}`);
    const d = dataset(ctx, body.datasetId);
    const mine = permissionsOf(d, ctx.identityId);
    if (!mine.permissions.some((p) => WRITE_TYPES.has(p.type))) throw new HttpError(403, `truncating needs write (admin) permission on dataset ${d.id}`);
    await ctx.points.truncate(instanceKey(d));
    return c.json({ status: 'success' });
  });
}
