/**
 * Results bounded as a whole, redaction of keys, short tokens and credential query strings, and the
 * low-severity holes of issue 13, all from outside: the built server over stdio, the standalone
 * sandbox over HTTP.
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolatedEnv } from '../helpers/env.js';
import { startFaultServer } from '../helpers/fault-server.js';
import { startMcp, structured, text, type McpSession } from '../helpers/mcp.js';
import { DIST_ENTRY, EXAMPLES_DATASETS, ROLE_ARN, ROOT } from '../helpers/paths.js';
import { startStandaloneSandbox, type StandaloneSandbox } from '../helpers/standalone-sandbox.js';

const FORMAT = { entity_id: 0, timestamp: 1, longitude: 2, latitude: 3 };
let mcp: McpSession;
beforeAll(async () => {
  mcp = await startMcp(['--sandbox']);
});
afterAll(async () => {
  await mcp?.close();
});

describe('results are bounded as a whole', () => {
  it('three huge header names: keys are cut, the whole result stays under 100,000 characters', async () => {
    const names = ['a', 'b', 'c'].map((c) => c.repeat(300_000));
    const sample = `${names.join(',')},lat,lon\n${Array.from({ length: 5 }, (_, i) => `e${i},1700000000000,x,48.85,2.35`).join('\n')}\n`;
    const r = await mcp.call('infer_csv_format', { sample, max_bytes: 2 * 1024 * 1024 });
    const size = JSON.stringify(r.structuredContent ?? {}).length + text(r).length;
    expect(size).toBeLessThan(2 * 100_000 + 10_000);
    for (const k of Object.keys((r.structuredContent as { suggestedMetadataSchema?: object } | undefined)?.suggestedMetadataSchema ?? {})) expect(k.length).toBeLessThan(300);
  });

  it('250 long URLs: the echoed job is bounded', async () => {
    const urls = Array.from({ length: 250 }, (_, i) => `http://127.0.0.1:9/${'p'.repeat(3000)}/${i}.csv`);
    const r = await mcp.call('put_batch', { dataset_id: 'gs.dataset-1', source: { urls }, file_format: FORMAT });
    expect(JSON.stringify(r.structuredContent).length).toBeLessThanOrEqual(100_000);
    expect(text(r).length).toBeLessThan(25_000);
  });

  it('error text for a 300,000-character role_arn is short', async () => {
    const r = await mcp.call('put_batch', { dataset_id: 'gs.dataset-1', source: { s3: { bucket: 'my_bucket', glob: '*.csv', role_arn: `arn:${'x'.repeat(300_000)}` } }, file_format: FORMAT });
    expect(r.isError).toBe(true);
    expect(text(r).length).toBeLessThan(5_000);
  });

  it('a 50,000-deep policy is refused clearly, not reported as a bug', async () => {
    // Written as JSON text: the SDK's client cannot even serialise such a document.
    const deep = `${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}`;
    const args = `{"dataset_id":"gs.dataset-1","source":{"s3":{"bucket":"my_bucket","glob":"*.csv","role_arn":"${ROLE_ARN}","policy":{"Statement":[],"deep":${deep}}}},"file_format":${JSON.stringify(FORMAT)}}`;
    const out = await rawSession([`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"put_batch","arguments":${args}}}`], 2);
    const answer = JSON.parse(out.split('\n').find((l) => l.includes('"id":2'))!);
    const t = JSON.stringify(answer);
    expect(answer.result?.isError ?? answer.error !== undefined).toBe(true);
    expect(t).toMatch(/nests deeper than 32 levels/);
    expect(t).not.toMatch(/bug/);
  });
});

/** A raw JSON-RPC session with the built server: initialize, then `lines`, until the answer with `waitFor`. */
async function rawSession(lines: string[], waitFor: number): Promise<string> {
  const child = spawn(process.execPath, [DIST_ENTRY, '--sandbox'], { cwd: ROOT, env: isolatedEnv(), stdio: ['pipe', 'pipe', 'ignore'] });
  let out = '';
  const answered = new Promise<void>((resolve) =>
    child.stdout.on('data', (d) => {
      out += String(d);
      if (out.includes(`"id":${waitFor}`)) resolve();
    }),
  );
  child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '0' } } })}\n`);
  child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}\n`);
  for (const l of lines) child.stdin.write(`${l}\n`);
  await answered;
  child.stdin.end();
  await new Promise((r) => child.once('exit', r));
  return out;
}

describe('redaction', () => {
  it('a token inside a JSON key of a platform answer, and a token shorter than 8 characters, never come back', async () => {
    const TOKEN = 'ab12x';
    const platform = await startFaultServer((r) =>
      r.path === '/v1/datasets/gs.dataset-1'
        ? { kind: 'json', status: 200, body: { id: 'gs.dataset-1', dataDescription: { metadataSchema: { [`route_${TOKEN}`]: { type: 'number' } } } } }
        : r.path === '/v1/datasets/gs.echo'
          ? { kind: 'echo-auth', status: 400 }
          : undefined,
    );
    const s = await startMcp([], { DFI_API_URL: platform.url, DFI_API_TOKEN: TOKEN });
    try {
      const ok = await s.call('get_dataset', { dataset_id: 'gs.dataset-1' });
      expect(JSON.stringify(ok)).not.toContain(TOKEN);
      const echoed = await s.call('get_dataset', { dataset_id: 'gs.echo' });
      expect(echoed.isError).toBe(true);
      expect(text(echoed)).not.toContain(TOKEN);
      expect(s.stderr()).not.toContain(TOKEN);
    } finally {
      await s.close();
      await platform.close();
    }
  });

  it('credentials in any query parameter of a source URL are masked in results', async () => {
    const secrets = ['tokvalue111', 'sigvalue222', 'googsig333', 'anyquery444'];
    const urls = [
      `http://127.0.0.1:9/a.csv?token=${secrets[0]}`,
      `http://127.0.0.1:9/b.csv?sig=${secrets[1]}&sv=2020`,
      `http://127.0.0.1:9/c.csv?X-Goog-Signature=${secrets[2]}`,
      `http://127.0.0.1:9/d.csv?v=${secrets[3]}`,
    ];
    const r = await mcp.call('put_batch', { dataset_id: 'gs.dataset-1', source: { urls }, file_format: FORMAT });
    const all = JSON.stringify(r);
    for (const s of secrets) expect(all).not.toContain(s);
  });

  it('non-http URLs are named by their scheme, not "null"', async () => {
    const r = await mcp.call('infer_csv_format', { url: 'ftp://files.example.com/x.csv' });
    expect(text(r)).toContain('ftp://files.example.com/x.csv');
    expect(text(r)).not.toContain('null/');
  });
});

describe('the protocol lifecycle', () => {
  it('tools/call before initialize is refused, not served', async () => {
    const child = spawn(process.execPath, [DIST_ENTRY, '--sandbox'], { cwd: ROOT, env: isolatedEnv(), stdio: ['pipe', 'pipe', 'ignore'] });
    let out = '';
    const answered = new Promise<void>((resolve) =>
      child.stdout.on('data', (d) => {
        out += String(d);
        if (out.includes('"id":2')) resolve();
      }),
    );
    child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'get_aws_trust_policy', arguments: {} } })}\n`);
    child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '0' } } })}\n`);
    await answered;
    child.stdin.end();
    await new Promise((r) => child.once('exit', r));
    const first = JSON.parse(out.split('\n')[0]!);
    expect(first).toMatchObject({ id: 1, error: { code: -32600 } });
    expect(first.error.message).toMatch(/not initialized/);
    expect(out).not.toContain('trustPolicy');
  });
});

describe('the standalone sandbox', () => {
  let sandbox: StandaloneSandbox;
  let origin: http.Server;
  let base: string;
  let release: () => void = () => undefined;
  beforeAll(async () => {
    origin = http.createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/csv' });
      // 120,000 rows (progress is counted every 50,000), then a stall until the test lets go.
      res.write(Array.from({ length: 120_000 }, (_, i) => `e,${1700000000000 + i},2.35,48.85`).join('\n') + '\n');
      release = () => res.end();
    });
    await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;
    sandbox = await startStandaloneSandbox(['--allow-private-urls', '--sandbox-datasets', EXAMPLES_DATASETS]);
  });
  afterAll(async () => {
    release();
    await sandbox?.close();
    origin?.close();
  });

  it('without a token, answers only to loopback Host names (no DNS rebinding)', async () => {
    const get = (host: string) =>
      new Promise<number>((resolve, reject) => {
        const u = new URL(`${sandbox.url}/v1/datasets`);
        http.get({ host: u.hostname, port: u.port, path: u.pathname, headers: { host } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        }).on('error', reject);
      });
    expect(await get('evil.example:80')).toBe(421);
    expect(await get(`rebind.attacker.test:${new URL(sandbox.url).port}`)).toBe(421);
    expect(await get(`localhost:${new URL(sandbox.url).port}`)).toBe(200);
    expect(await get(`127.0.0.1:${new URL(sandbox.url).port}`)).toBe(200);
  });

  it('a 50,000-deep JSON body is a 400, not a 500', async () => {
    const body = `${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}`;
    const res = await fetch(`${sandbox.url}/v1/import/batch?dryRun=true`, { method: 'PUT', body, headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/nests deeper than 32 levels/);
  });

  it('an aborted import keeps the rows it counted', async () => {
    const put = await fetch(`${sandbox.url}/v1/import/batch?dryRun=false`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ datasetId: 'gs.dataset-1', source: { urls: [`${base}/stall.csv`] }, format: { csv: { entityId: 0, timestamp: 1, longitude: 2, latitude: 3 } } }),
    });
    const job = (await put.json()) as { id: string };
    // Wait (on the job's own counts) until the first rows are counted, then abort.
    for (;;) {
      const j = (await (await fetch(`${sandbox.url}/v1/import/batch/${job.id}`)).json()) as { insertCount: number };
      if (j.insertCount > 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const aborted = await fetch(`${sandbox.url}/v1/import/batch/${job.id}`, { method: 'PATCH', body: '{"status":"aborted"}', headers: { 'content-type': 'application/json' } });
    expect(aborted.status).toBe(200);
    const after = (await (await fetch(`${sandbox.url}/v1/import/batch/${job.id}`)).json()) as { status: string; insertCount: number };
    expect(after.status).toBe('aborted');
    expect(after.insertCount).toBeGreaterThan(0);
    // And it stays so once the runner has noticed the abort.
    const status = (await (await fetch(`${sandbox.url}/v1/import/batch/${job.id}/status`)).json()) as { status: string; insertCount: number }[];
    expect(status[0]).toMatchObject({ status: 'aborted' });
    release();
    await new Promise((r) => setTimeout(r, 200));
    const final = (await (await fetch(`${sandbox.url}/v1/import/batch/${job.id}`)).json()) as { insertCount: number };
    expect(final.insertCount).toBeGreaterThan(0);
  });
});

describe('sandbox concurrency and memory', () => {
  let sandbox: StandaloneSandbox;
  let origin: http.Server;
  let base: string;
  const stalled: http.ServerResponse[] = [];
  beforeAll(async () => {
    origin = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/csv' });
      res.write('e,1700000000000,2.35,48.85\n');
      stalled.push(res);
    });
    await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;
    sandbox = await startStandaloneSandbox(['--allow-private-urls', '--sandbox-datasets', EXAMPLES_DATASETS]);
  });
  afterAll(async () => {
    for (const r of stalled) r.end();
    await sandbox?.close();
    origin?.close();
  });

  it('imports beyond the worker pool wait in "created": at most 2 run at once', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const put = await fetch(`${sandbox.url}/v1/import/batch?dryRun=false`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ datasetId: 'gs.dataset-1', source: { urls: [`${base}/stall-${i}.csv`] }, format: { csv: { entityId: 0, timestamp: 1, longitude: 2, latitude: 3 } } }),
      });
      ids.push(((await put.json()) as { id: string }).id);
    }
    // Wait (on events: the origin's requests) until two imports are reading.
    while (stalled.length < 2) await new Promise((r) => setTimeout(r, 50));
    const statuses = await Promise.all(ids.map(async (id) => ((await (await fetch(`${sandbox.url}/v1/import/batch/${id}`)).json()) as { status: string }).status));
    expect(statuses.filter((s) => s === 'running')).toHaveLength(2);
    expect(statuses.filter((s) => s === 'created')).toHaveLength(4);
    expect(stalled).toHaveLength(2);
    // An aborted waiting import never starts.
    await fetch(`${sandbox.url}/v1/import/batch/${ids[5]}`, { method: 'PATCH', body: '{"status":"aborted"}', headers: { 'content-type': 'application/json' } });
    for (const id of ids.slice(0, 5)) await fetch(`${sandbox.url}/v1/import/batch/${id}`, { method: 'PATCH', body: '{"status":"aborted"}', headers: { 'content-type': 'application/json' } });
    expect(stalled.length).toBeLessThanOrEqual(5);
  });
});
