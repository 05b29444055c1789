/**
 * The platform client's Query API call against a real HTTP server on 127.0.0.1 that answers with
 * Server-Sent Events written byte by byte as the tests say: framing, folding, and failures.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DfiClient } from '../../src/dfi/client.js';
import { UserFacingError } from '../../src/errors.js';
import { registerSecret } from '../../src/log.js';

type Answer = { status?: number; contentType?: string; chunks: string[] };
let next: Answer = { chunks: [] };
const seen: { body: string; accept: string | undefined; authorization: string | undefined }[] = [];
let server: http.Server;
let client: DfiClient;
const TOKEN = 'query-test-token-0123456789';
registerSecret(TOKEN); // as the server does at start

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', async () => {
      seen.push({ body, accept: req.headers.accept, authorization: req.headers.authorization });
      const a = next;
      res.writeHead(a.status ?? 200, { 'content-type': a.contentType ?? 'text/event-stream' });
      // Each chunk is its own write, so that events are split across reads.
      for (const c of a.chunks) {
        res.write(c);
        await new Promise((r) => setImmediate(r));
      }
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  client = new DfiClient({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, token: TOKEN, maxRetries: 0 });
});
afterAll(async () => {
  await client.close();
  await new Promise((r) => server.close(r));
});

const COUNT = { datasetId: 'gs.trips', filters: {}, return: { type: 'count' as const } };
const BY_ID = { datasetId: 'gs.trips', filters: {}, return: { type: 'count' as const, groupBy: { type: 'uniqueId' as const } } };
const RECORDS = { datasetId: 'gs.trips', filters: { id: ['veh-1'] }, return: { type: 'records' as const } };

async function failure(p: Promise<unknown>): Promise<UserFacingError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UserFacingError);
  return err as UserFacingError;
}

describe('Query API client (SSE)', () => {
  it('sums counts over messages, ignores keepAlive and comments, sends the document with sorted keys', async () => {
    next = { chunks: [': hello\n\n', 'event: message\ndata: 3\n\n', 'event: keepAlive\ndata: {}\n\n', 'event: mess', 'age\r\ndata: 4\r\n\r\n', 'event: finish\ndata: {"messageCount": 2}\n\n'] };
    const a = await client.query({ datasetId: 'gs.trips', return: { type: 'count' }, filters: { time: { minTime: 'a', maxTime: 'b' } } } as never);
    expect(a).toEqual({ kind: 'count', count: 7, messages: 2 });
    const last = seen.at(-1)!;
    expect(last.accept).toBe('text/event-stream');
    expect(last.body).toBe('{"datasetId":"gs.trips","filters":{"time":{"maxTime":"b","minTime":"a"}},"return":{"type":"count"}}');
    expect(last.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it('merges counts per entity and concatenates records', async () => {
    next = { chunks: ['event: message\ndata: {"a": 2, "b": 1}\n\nevent: message\ndata: {"a": 1}\n\nevent: finish\ndata: {"messageCount":2}\n\n'] };
    expect(await client.query(BY_ID)).toEqual({ kind: 'countByEntity', counts: { a: 3, b: 1 }, messages: 2 });
    const rec = (t: number) => ({ id: 'veh-1', coordinate: [-0.1, 51.5], time: new Date(t).toISOString() });
    next = { chunks: [`event: message\ndata: ${JSON.stringify([rec(1), rec(2)])}\n\n`, `event: message\ndata: ${JSON.stringify([rec(3)])}\n\nevent: finish\ndata: {"messageCount":2}\n\n`] };
    const r = await client.query(RECORDS);
    expect(r.kind).toBe('records');
    if (r.kind === 'records') {
      expect(r.records.map((x) => x.time)).toEqual([rec(1).time, rec(2).time, rec(3).time]);
      expect(r.records[0]!.coordinate).toEqual([-0.1, 51.5]);
    }
  });

  it('answers zero messages with a count of 0', async () => {
    next = { chunks: ['event: finish\ndata: {"messageCount":0}\n\n'] };
    expect(await client.query(COUNT)).toEqual({ kind: 'count', count: 0, messages: 0 });
  });

  it('keeps at most maxRecords records but counts them all', async () => {
    const recs = Array.from({ length: 5 }, (_, i) => ({ id: 'x', coordinate: [1, 2], time: new Date(i).toISOString() }));
    next = { chunks: [`event: message\ndata: ${JSON.stringify(recs)}\n\nevent: finish\ndata: {"messageCount":1}\n\n`] };
    const r = await client.query(RECORDS, { maxRecords: 2 });
    expect(r.kind === 'records' && [r.records.length, r.totalRecords]).toEqual([2, 5]);
  });

  it.each([
    ['no finish event', ['event: message\ndata: 3\n\n'], 'query_stream_invalid'],
    ['a wrong messageCount', ['event: message\ndata: 3\n\nevent: finish\ndata: {"messageCount":2}\n\n'], 'query_stream_invalid'],
    ['an unknown event name', ['event: progress\ndata: 1\n\nevent: finish\ndata: {"messageCount":0}\n\n'], 'query_stream_invalid'],
    ['no event at all', [''], 'query_stream_invalid'],
    ['a finish without messageCount', ['event: finish\ndata: {}\n\n'], 'query_stream_invalid'],
    ['a message that is not JSON', ['event: message\ndata: three\n\nevent: finish\ndata: {"messageCount":1}\n\n'], 'query_stream_invalid'],
    ['a count message of the wrong type', ['event: message\ndata: [1]\n\nevent: finish\ndata: {"messageCount":1}\n\n'], 'query_stream_invalid'],
    ['a queryError', ['event: message\ndata: 3\n\nevent: queryError\ndata: time filter out of range\n\n'], 'query_error'],
  ])('treats %s as an error', async (_what, chunks, kind) => {
    next = { chunks };
    const err = await failure(client.query(COUNT));
    expect(err.kind).toBe(kind);
    expect(err.message).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('reports the queryError text, redacted', async () => {
    next = { chunks: [`event: queryError\ndata: bad token ${TOKEN}\n\n`] };
    const err = await failure(client.query(COUNT));
    expect(err.message).toContain('bad token');
    expect(err.message).not.toContain(TOKEN);
  });

  it('says what a non-stream answer is, and carries the status of a refusal', async () => {
    next = { contentType: 'application/json', chunks: ['{"count": 3}'] };
    expect((await failure(client.query(COUNT))).kind).toBe('api_error');
    next = { status: 403, contentType: 'application/json', chunks: ['{"message":"no query permission"}'] };
    const err = await failure(client.query(COUNT));
    expect(err.status).toBe(403);
    expect(err.message).toContain('no query permission');
  });

  it('stops at finish and ignores what follows', async () => {
    next = { chunks: ['event: message\ndata: 1\n\nevent: finish\ndata: {"messageCount":1}\n\nevent: bogus\ndata: x\n\n'] };
    expect(await client.query(COUNT)).toEqual({ kind: 'count', count: 1, messages: 1 });
  });
});
