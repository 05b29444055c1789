/**
 * SSRF from outside: the built server over stdio, a loopback-only origin that must never be read
 * without --allow-private-urls, whatever spelling of its address the URL uses, through
 * infer_csv_format's `url` and through the embedded sandbox's URL sources (put_batch).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMcp, structured, text, type McpSession } from '../helpers/mcp.js';

const SECRET_ROW = 'secret-entity,1700000000000,2.35,48.85';
let origin: http.Server;
let port: number;
const hits: string[] = [];
let strict: McpSession;
let open: McpSession;

beforeAll(async () => {
  origin = http.createServer((req, res) => {
    hits.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'text/csv' }).end(`${Array.from({ length: 20 }, () => SECRET_ROW).join('\n')}\n`);
  });
  await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
  port = (origin.address() as AddressInfo).port;
  [strict, open] = await Promise.all([startMcp(['--sandbox']), startMcp(['--sandbox', '--allow-private-urls'])]);
});
afterAll(async () => {
  await Promise.all([strict?.close(), open?.close()]);
  origin?.close();
});

const loopbackSpellings = () => [
  `http://[::ffff:127.0.0.1]:${port}/a.csv`,
  `http://[::ffff:7f00:1]:${port}/a.csv`,
  `http://[0:0:0:0:0:ffff:127.0.0.1]:${port}/a.csv`,
  `HTTP://[::FFFF:127.0.0.1]:${port}/a.csv`,
  `http://[::127.0.0.1]:${port}/a.csv`,
  `http://[64:ff9b::7f00:1]:${port}/a.csv`,
  `http://2130706433:${port}/a.csv`,
  `http://0x7f.1:${port}/a.csv`,
];
const neverSpellings = [
  'http://[::ffff:169.254.169.254]/latest/meta-data/',
  'http://[::ffff:a9fe:a9fe]/latest/meta-data/',
  'http://[64:ff9b::a9fe:a9fe]/latest/meta-data/',
  'http://[2002:a9fe:a9fe::1]/latest/meta-data/',
  'http://[fd00:ec2::254]/latest/meta-data/',
  'http://[::]:80/',
  'http://0.0.0.0:80/',
];

describe('infer_csv_format url: no SSRF through IPv6 or numeric spellings', () => {
  it('refuses every spelling of a loopback address without --allow-private-urls, and never connects', async () => {
    const before = hits.length;
    for (const url of loopbackSpellings()) {
      const r = await strict.call('infer_csv_format', { url });
      expect(r.isError, url).toBe(true);
      expect(text(r), url).toMatch(/loopback address; fetching it needs --allow-private-urls/);
      expect(text(r)).not.toContain('secret-entity');
    }
    expect(hits.length).toBe(before);
  });

  it('refuses private IPv4 addresses written as IPv6', async () => {
    const r = await strict.call('infer_csv_format', { url: 'http://[::ffff:10.0.0.1]/a.csv' });
    expect(text(r)).toMatch(/private address; fetching it needs --allow-private-urls/);
  });

  it('never fetches metadata, unspecified or reserved addresses, even with --allow-private-urls', async () => {
    for (const url of neverSpellings) {
      const r = await open.call('infer_csv_format', { url });
      expect(r.isError, url).toBe(true);
      expect(text(r), url).toMatch(/never fetched/);
    }
  });

  it('with --allow-private-urls, reads the loopback origin (the flag still works)', async () => {
    const r = structured(await open.call('infer_csv_format', { url: `http://[::ffff:127.0.0.1]:${port}/a.csv` }));
    expect(r.rowsSampled).toBeGreaterThan(0);
  });
});

describe('the embedded sandbox fetches URL sources under the same policy', () => {
  const format = { entity_id: 0, timestamp: 1, longitude: 2, latitude: 3 };

  it('a dry run of a loopback URL source is refused without --allow-private-urls, and nothing is read', async () => {
    const before = hits.length;
    for (const url of [`http://127.0.0.1:${port}/a.csv`, `http://localhost:${port}/a.csv`, `http://[::ffff:7f00:1]:${port}/a.csv`]) {
      const r = structured(await strict.call('put_batch', { dataset_id: 'gs.dataset-1', source: { urls: [url] }, file_format: format }));
      expect(r.job.status, url).toBe('error');
      expect(String(r.job.log), url).toMatch(/loopback address; fetching it needs --allow-private-urls/);
      expect(JSON.stringify(r)).not.toContain('secret-entity');
    }
    expect(hits.length).toBe(before);
  });

  it('never fetches a link-local (metadata) URL source, even with --allow-private-urls', async () => {
    const r = structured(await open.call('put_batch', { dataset_id: 'gs.dataset-1', source: { urls: ['http://169.254.169.254/latest/meta-data/x.csv'] }, file_format: format }));
    expect(r.job.status).toBe('error');
    expect(String(r.job.log)).toMatch(/link-local address .* never fetched/);
  });

  it('with --allow-private-urls the sandbox reads a loopback URL source', async () => {
    const r = structured(await open.call('put_batch', { dataset_id: 'gs.dataset-1', source: { urls: [`http://127.0.0.1:${port}/a.csv`] }, file_format: format }));
    expect(r.job).toMatchObject({ status: 'success', insertCount: 20 });
  });
});
