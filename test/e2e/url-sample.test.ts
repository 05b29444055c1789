import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandboxServer, type RunningSandbox } from '../../src/sandbox/server.js';
import { startMcp, structured, text, type McpSession } from '../helpers/mcp.js';
import { EXAMPLES_DATASETS, EXAMPLES_S3 } from '../helpers/paths.js';

const MARKER = 'tok-URL-MARKER-3c9e1f7a5d2b8046';
const BIG = Array.from({ length: 200_000 }, (_, i) => `e${i % 5},${1700000000000 + i * 1000},${(2.35 + (i % 5) * 0.01 + i * 1e-7).toFixed(6)},${(48.85 + (i % 5) * 0.01).toFixed(6)}`).join('\n') + '\n';
const seen: { url: string; headers: http.IncomingHttpHeaders }[] = [];
let bytesSent = 0;
let origin: http.Server;
let base: string;
let platform: RunningSandbox;
let mcp: McpSession;

beforeAll(async () => {
  origin = http.createServer((req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers });
    const send = (status: number, body: Buffer, headers: Record<string, string> = {}) => {
      bytesSent += body.length;
      res.writeHead(status, { 'content-length': String(body.length), ...headers });
      res.end(body);
    };
    const file = Buffer.from(BIG);
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/trips.csv') {
      const m = /bytes=(\d+)-(\d+)/.exec(req.headers.range ?? '');
      if (!m) return send(200, file);
      const [a, b] = [Number(m[1]), Math.min(Number(m[2]), file.length - 1)];
      return send(206, file.subarray(a, b + 1), { 'content-range': `bytes ${a}-${b}/${file.length}` });
    }
    if (path === '/no-range.csv') return send(200, file); // ignores Range: the reader must stop by itself
    if (path === '/trips.csv.gz') return send(200, gzipSync(file));
    if (path === '/moved') return res.writeHead(302, { location: '/trips.csv' }).end();
    if (path === '/to-metadata') return res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
    if (path === '/loop') return res.writeHead(302, { location: '/loop' }).end();
    return send(404, Buffer.from('no'));
  });
  await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;
  platform = await startSandboxServer({ token: MARKER, s3Root: EXAMPLES_S3, datasetsFile: EXAMPLES_DATASETS });
  mcp = await startMcp(['--allow-private-urls'], { DFI_API_URL: platform.url, DFI_API_TOKEN: MARKER });
});
afterAll(async () => {
  await mcp?.close();
  await platform?.close();
  origin?.close();
});

describe('infer_csv_format from a URL', () => {
  it('reads only the first max_bytes with a Range request, and sends no credentials', async () => {
    bytesSent = 0;
    const r = structured(await mcp.call('infer_csv_format', { url: `${base}/trips.csv?X-Amz-Signature=secret`, max_bytes: 16384 }));
    expect(r.file_format).toEqual({ entity_id: 0, timestamp: 1, longitude: 2, latitude: 3 });
    expect(r.sample).toMatchObject({ bytesRead: 16384, truncated: true });
    expect(r.sample.origin).toBe(`${base}/trips.csv?…`);
    expect(bytesSent).toBe(16384);
    const req = seen.at(-1)!;
    expect(req.headers.range).toBe('bytes=0-16383');
    expect(req.headers.authorization).toBeUndefined();
    expect(JSON.stringify(seen)).not.toContain(MARKER);
  });

  it('stops reading a server that ignores Range', async () => {
    const r = structured(await mcp.call('infer_csv_format', { url: `${base}/no-range.csv` }));
    expect(r.sample.bytesRead).toBeLessThanOrEqual(64 * 1024);
    expect(r.sample.truncated).toBe(true);
  });

  it('inflates gzip and follows redirects within the limits', async () => {
    expect(structured(await mcp.call('infer_csv_format', { url: `${base}/trips.csv.gz` })).dialect.compression).toBe('gzip');
    expect(structured(await mcp.call('infer_csv_format', { url: `${base}/moved` })).sample.origin).toBe(`${base}/trips.csv`);
    expect(text(await mcp.call('infer_csv_format', { url: `${base}/loop` }))).toMatch(/more than 3 redirects/);
  });

  it('never follows a redirect to a metadata endpoint, even with --allow-private-urls', async () => {
    const r = await mcp.call('infer_csv_format', { url: `${base}/to-metadata` });
    expect(r.isError).toBe(true);
    expect(text(r)).toMatch(/169\.254\.169\.254 is a link-local address .* never fetched/);
  });

  it('refuses file:// and other schemes, and 404s clearly', async () => {
    expect(text(await mcp.call('infer_csv_format', { url: 'file:///etc/passwd' }))).toMatch(/only http and https/);
    expect(text(await mcp.call('infer_csv_format', { url: `${base}/nope.csv` }))).toMatch(/answered HTTP 404/);
  });

  it('the marker token appears in no result nor log', () => {
    expect(mcp.stderr()).not.toContain(MARKER);
  });
});

describe('without --allow-private-urls', () => {
  it('refuses loopback URLs, by IP and by a name that resolves to loopback', async () => {
    const strict = await startMcp(['--sandbox']);
    try {
      const byIp = await strict.call('infer_csv_format', { url: `${base}/trips.csv` });
      expect(text(byIp)).toMatch(/127\.0\.0\.1 is a loopback address; fetching it needs --allow-private-urls/);
      const port = new URL(base).port;
      const byName = await strict.call('infer_csv_format', { url: `http://localhost:${port}/trips.csv` });
      expect(text(byName)).toMatch(/localhost resolves to .* loopback address/);
    } finally {
      await strict.close();
    }
  });
});
