import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandboxServer, type RunningSandbox } from '../../src/sandbox/server.js';
import { startMcp, structured } from '../helpers/mcp.js';
import { EXAMPLES_DATASETS, EXAMPLES_S3, ROOT } from '../helpers/paths.js';
import { startProxy, type RunningProxy } from '../helpers/proxy-server.js';
import { s3Env, startS3, type S3Server } from '../helpers/s3.js';

const TLS = path.join(ROOT, 'test', 'fixtures', 'tls');
const TOKEN = 'tok-proxy-test-3b8e1f0a9c';

let platform: RunningSandbox;
let tlsFront: https.Server;
let httpsUrl: string;
let proxy: RunningProxy;
let s3: S3Server;

beforeAll(async () => {
  // The platform: the sandbox as a separate server, reached over http, and over https through a TLS front.
  platform = await startSandboxServer({ token: TOKEN, s3Root: EXAMPLES_S3, datasetsFile: EXAMPLES_DATASETS });
  const target = new URL(platform.url);
  tlsFront = https.createServer({ key: fs.readFileSync(path.join(TLS, 'key.pem')), cert: fs.readFileSync(path.join(TLS, 'cert.pem')) }, (req, res) => {
    const up = http.request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    req.pipe(up);
  });
  await new Promise<void>((resolve) => tlsFront.listen(0, '127.0.0.1', resolve));
  httpsUrl = `https://127.0.0.1:${(tlsFront.address() as AddressInfo).port}`;
  proxy = await startProxy();
  s3 = await startS3();
  await s3.bucket('proxied');
  await s3.put('proxied', 'in/a.csv', 'e1,1640995676000,-0.1,51.5\n');
}, 120_000);
afterAll(async () => {
  await proxy?.close();
  await s3?.close();
  await new Promise((r) => tlsFront?.close(r));
  await platform?.close();
});

const platformEnv = (url: string, extra: Record<string, string> = {}) => ({ DFI_API_URL: url, DFI_API_TOKEN: TOKEN, NODE_EXTRA_CA_CERTS: path.join(TLS, 'cert.pem'), ...extra });

describe('behind a corporate proxy (HTTPS_PROXY, HTTP_PROXY, NO_PROXY)', () => {
  it('reaches an https platform through the proxy with a CONNECT tunnel', async () => {
    proxy.seen.length = 0;
    const mcp = await startMcp([], platformEnv(httpsUrl, { HTTPS_PROXY: proxy.url }));
    try {
      const r = structured(await mcp.call('get_dataset', { dataset_id: 'gs.dataset-1' }));
      expect(r.dataset.id).toBe('gs.dataset-1');
      expect(proxy.seen).toContain(`CONNECT ${new URL(httpsUrl).host}`);
      // Inside the tunnel the token travels in TLS: the proxy saw no request line of ours.
      expect(proxy.seen.filter((l) => !l.startsWith('CONNECT'))).toEqual([]);
      expect(mcp.stderr()).toContain(`through the proxy ${proxy.url}`);
    } finally {
      await mcp.close();
    }
  });

  it('reaches an http platform through HTTP_PROXY, and directly when NO_PROXY names it', async () => {
    proxy.seen.length = 0;
    const via = await startMcp([], platformEnv(platform.url, { HTTP_PROXY: proxy.url }));
    try {
      expect(structured(await via.call('list_datasets')).datasets.length).toBeGreaterThan(0);
      expect(proxy.seen.length).toBeGreaterThan(0);
    } finally {
      await via.close();
    }
    proxy.seen.length = 0;
    const direct = await startMcp([], platformEnv(platform.url, { HTTP_PROXY: proxy.url, NO_PROXY: `localhost,${new URL(platform.url).hostname}` }));
    try {
      expect(structured(await direct.call('list_datasets')).datasets.length).toBeGreaterThan(0);
      expect(proxy.seen).toEqual([]);
    } finally {
      await direct.close();
    }
  });

  it('sends the AWS SDK through the proxy too (S3 listing with the person\'s credentials)', async () => {
    proxy.seen.length = 0;
    const mcp = await startMcp(['--sandbox'], { ...s3Env(s3.endpoint), HTTP_PROXY: proxy.url });
    try {
      const r = structured(await mcp.call('check_s3_source', { bucket: 'proxied', prefix: 'in/', glob: '*.csv', sample_files: 1 }));
      expect(r.keys.matched).toBe(1);
      const s3Host = new URL(s3.endpoint).host;
      expect(proxy.seen.some((l) => l.includes(`http://${s3Host}/proxied`))).toBe(true);
    } finally {
      await mcp.close();
    }
  });

  it('reads URL samples through the proxy, and still applies the address policy to the target', async () => {
    const files = http.createServer((_req, res) => res.end('id,time,lon,lat\ne1,1640995676000,-0.11,51.54\ne2,1640995677000,-0.12,51.55\n'));
    await new Promise<void>((resolve) => files.listen(0, '127.0.0.1', resolve));
    const port = (files.address() as AddressInfo).port;
    try {
      proxy.seen.length = 0;
      const allowed = await startMcp(['--sandbox', '--allow-private-urls'], { HTTP_PROXY: proxy.url });
      try {
        const r = structured(await allowed.call('infer_csv_format', { url: `http://127.0.0.1:${port}/trips.csv` }));
        expect(r.file_format).toMatchObject({ entity_id: 0, timestamp: 1 });
        // undici tunnels http targets too (CONNECT); either way the request went through the proxy.
        expect(proxy.seen.filter((l) => l.includes(`127.0.0.1:${port}`)).length).toBeGreaterThan(0);
      } finally {
        await allowed.close();
      }
      proxy.seen.length = 0;
      const guarded = await startMcp(['--sandbox'], { HTTP_PROXY: proxy.url });
      try {
        // The proxy would reach loopback for us: the policy is checked before the request, by literal and by name.
        for (const host of ['127.0.0.1', 'localhost']) {
          const r = await guarded.call('infer_csv_format', { url: `http://${host}:${port}/trips.csv` });
          expect(r.isError, host).toBe(true);
        }
        expect(proxy.seen).toEqual([]);
      } finally {
        await guarded.close();
      }
    } finally {
      await new Promise((r) => files.close(r));
    }
  });

  it('never sends the embedded sandbox through the proxy, and --print-config shows the proxy without credentials', async () => {
    proxy.seen.length = 0;
    const withCreds = proxy.url.replace('http://', 'http://user:s3cret-proxy-pass@');
    const mcp = await startMcp(['--sandbox'], { HTTPS_PROXY: withCreds, HTTP_PROXY: withCreds });
    try {
      expect(structured(await mcp.call('get_dataset', { dataset_id: 'gs.dataset-1' })).dataset.id).toBe('gs.dataset-1');
      expect(proxy.seen).toEqual([]);
    } finally {
      await mcp.close();
    }
    const { spawnSync } = await import('node:child_process');
    const r = spawnSync(process.execPath, [path.join(ROOT, 'dist', 'index.js'), '--sandbox', '--print-config'], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', HTTPS_PROXY: withCreds, NO_PROXY: '.internal.example,localhost' },
    });
    const printed = JSON.parse(r.stdout) as { proxy: { https: string; http: string; noProxy: string[] } };
    expect(printed.proxy).toEqual({ https: proxy.url, http: 'direct', noProxy: ['.internal.example', 'localhost'] });
    expect(r.stdout + r.stderr).not.toContain('s3cret-proxy-pass');
  });
});
