/**
 * The process does not outlive its client: with stdin closed, or on SIGTERM, during an import or a
 * URL read from a server that trickles one byte and then stalls, the built server aborts what runs
 * and exits. No timing threshold: each test waits for the exit event; a lingering process fails by
 * the test's own timeout, and the stalled origin sees its connection closed.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawnMcp, type SpawnedMcp } from '../helpers/spawned-mcp.js';

let origin: http.Server;
let base: string;
const requests: { url: string; closed: Promise<void> }[] = [];
let requested: (() => void) | undefined;
const sockets = new Set<Socket>();
let proc: SpawnedMcp | undefined;

beforeAll(async () => {
  origin = http.createServer((req, res) => {
    const closed = new Promise<void>((r) => req.socket.once('close', () => r()));
    requests.push({ url: req.url ?? '', closed });
    // Headers and one byte, then nothing: the next byte would come after the test has ended.
    res.writeHead(200, { 'content-type': 'text/csv' });
    res.write('e');
    requested?.();
  });
  origin.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;
});
afterEach(() => proc?.kill());
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((r) => origin.close(() => r()));
});

const nextRequest = () => new Promise<void>((r) => (requested = r));
const IMPORT = (url: string) => ({ dataset_id: 'gs.dataset-1', source: { urls: [url] }, file_format: { entity_id: 0, timestamp: 1, longitude: 2, latitude: 3 } });

describe('shutdown', () => {
  it('stdin closed during an infer_csv_format URL read: the process exits and the connection closes', async () => {
    proc = await spawnMcp(['--sandbox', '--allow-private-urls']);
    const seen = nextRequest();
    const call = proc.client.callTool({ name: 'infer_csv_format', arguments: { url: `${base}/trickle-infer.csv` } }).catch(() => undefined);
    await seen;
    proc.child.stdin!.end();
    expect(await proc.exited).toEqual({ code: 0, signal: null });
    await requests.at(-1)!.closed;
    await call;
  });

  it('SIGTERM during a sandbox import reading a trickling URL: the process exits', async () => {
    proc = await spawnMcp(['--sandbox', '--allow-private-urls', '--allow-unconfirmed-imports']);
    const seen = nextRequest();
    const r = await proc.client.callTool({ name: 'put_batch', arguments: { ...IMPORT(`${base}/trickle-import.csv`), dry_run: false } });
    expect(r.isError).toBeFalsy();
    await seen;
    proc.child.kill('SIGTERM');
    expect(await proc.exited).toEqual({ code: 0, signal: null });
    await requests.at(-1)!.closed;
  });

  it('stdin closed during a sandbox import: the process exits', async () => {
    proc = await spawnMcp(['--sandbox', '--allow-private-urls', '--allow-unconfirmed-imports']);
    const seen = nextRequest();
    await proc.client.callTool({ name: 'put_batch', arguments: { ...IMPORT(`${base}/trickle-import-2.csv`), dry_run: false } });
    await seen;
    proc.child.stdin!.end();
    expect(await proc.exited).toEqual({ code: 0, signal: null });
    await requests.at(-1)!.closed;
  });
});
