/**
 * infer_csv_format off the protocol thread, from outside (the built server over stdio, the SDK's
 * client): `ping` is answered while a heavy 4 MiB sample is read, and a cancelled call stops its
 * work: the worker thread ends, and a URL's connection is closed (a loopback server that trickles
 * sees its socket close). Samples at the 4 MiB cap, and one-line samples without a line break.
 * Event order, never wall-clock thresholds.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { startMcp, structured, text, type McpSession } from '../helpers/mcp.js';
import { waitFor } from '../helpers/wait.js';

const MAX = 4 * 1024 * 1024;
/** A table of 1,000 columns filling 4 MiB: every column profiled over 1,000 rows (a second or more of work). */
function wideSample(): string {
  const row = Array.from({ length: 1000 }, (_, i) => String(i % 10)).join(',');
  return `${row}\n`.repeat(Math.floor((MAX - 1) / (row.length + 1)));
}

let mcp: McpSession;
beforeAll(async () => {
  mcp = await startMcp(['--sandbox', '--log-level', 'debug']);
});
afterAll(async () => {
  await mcp?.close();
});

describe('infer_csv_format runs off the thread that serves MCP', () => {
  it('pings are answered, one after the other, while a heavy 4 MiB sample is read', async () => {
    // Pings sent one after the other until the call ends: on the protocol thread, the first one
    // waited for the whole inference and the next came after the result.
    let done = false;
    let answeredBefore = 0;
    let worstPing = 0;
    const t0 = performance.now();
    const call = mcp.client
      .callTool({ name: 'infer_csv_format', arguments: { sample: wideSample(), max_bytes: MAX, preview: false } }, undefined, { timeout: 110_000 })
      .finally(() => (done = true));
    const pings = (async () => {
      while (!done) {
        const t = performance.now();
        await mcp.client.ping();
        worstPing = Math.max(worstPing, performance.now() - t);
        if (!done) answeredBefore++;
      }
    })();
    const [r] = await Promise.all([call, pings]);
    // A figure for the README (not asserted): how long the call took, and the slowest ping meanwhile.
    process.stdout.write(`\nping during a 4 MiB sample of 1,000 columns: call ${(performance.now() - t0).toFixed(0)} ms, ${answeredBefore} pings answered meanwhile, the slowest in ${worstPing.toFixed(0)} ms (load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')})\n`);
    expect(answeredBefore).toBeGreaterThanOrEqual(3);
    const out = structured(r as never);
    expect(out.columns.length).toBeGreaterThan(0);
    expect(out.sample.bytesRead).toBeGreaterThan(MAX - 4096);
  });

  it('a cancelled call ends its worker thread, and the next call is served', async () => {
    const ac = new AbortController();
    const before = mcp.stderr().match(/infer worker \d+: reading/g)?.length ?? 0;
    const call = mcp.client.callTool({ name: 'infer_csv_format', arguments: { sample: wideSample(), max_bytes: MAX } }, undefined, { signal: ac.signal, timeout: 110_000 });
    const settled = call.then(
      () => 'answered',
      (err: unknown) => (err instanceof McpError || (err as Error).name === 'AbortError' ? 'aborted' : String(err)),
    );
    await waitFor(() => (mcp.stderr().match(/infer worker \d+: reading/g)?.length ?? 0) > before, 'the worker to start');
    const id = [...mcp.stderr().matchAll(/infer worker (\d+): reading/g)].pop()![1];
    ac.abort();
    expect(await settled).toBe('aborted');
    await waitFor(() => new RegExp(`infer worker ${id}: exited \\((cancelled|finished)\\)`).test(mcp.stderr()), 'the worker to exit');
    // A cancel that arrived after the result was sent is no cancel: only a run still going must say so.
    expect(mcp.stderr()).toMatch(new RegExp(`infer worker ${id}: exited \\(cancelled\\)`));
    const again = structured(await mcp.call('infer_csv_format', { sample: 'id,t,lon,lat\na,1700000000,2.35,48.85\nb,1700000060,2.36,48.86\n', preview: false }));
    expect(again.file_format.longitude).toBe(2);
  });
});

describe('samples at the 4 MiB cap', () => {
  it('one line of 2 million fields is refused clearly, judged on its first 128 KiB', async () => {
    const r = await mcp.call('infer_csv_format', { sample: 'a,'.repeat(2 * 1024 * 1024 - 1) + 'a', max_bytes: MAX });
    expect(r.isError).toBe(true);
    expect(text(r)).toMatch(/has rows of at least \d+ columns; a trajectory file has far fewer/);
    expect(text(r)).toMatch(/How to fix: .*delimiter/);
  });

  it('4 MiB of line breaks before a small table: the table is found', async () => {
    const out = structured(await mcp.call('infer_csv_format', { sample: '\n'.repeat(MAX - 100) + 'id,t,lon,lat\na,1700000000,2.35,48.85\nb,1700000060,2.36,48.86\n', max_bytes: MAX, preview: false }));
    expect(out.columns.length).toBe(4);
  });
});

describe('a one-line sample without a line break after it', () => {
  for (const [name, d] of [['semicolons', ';'], ['tabs', '\t'], ['pipes', '|'], ['commas', ',']] as const) {
    it(`is read as a row of fields (${name}), not as a single column`, async () => {
      const out = structured(await mcp.call('infer_csv_format', { sample: ['e1', '1700000000', '12.5', '41.9'].join(d), preview: false }));
      expect(out.dialect.delimiter).toBe(d);
      expect(out.columns.length).toBe(4);
      expect(out.file_format).toMatchObject({ entity_id: 0, timestamp: 1 });
    });
  }

  it('from a local file too', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dfi-one-line-'));
    const file = path.join(dir, 'one.csv');
    fs.writeFileSync(file, 'trip-7;1700000000;12.4964;41.9028');
    const local = await startMcp(['--sandbox', '--sample-root', dir]);
    try {
      const out = structured(await local.call('infer_csv_format', { path: file, preview: false }));
      expect(out.dialect.delimiter).toBe(';');
      expect(out.columns.length).toBe(4);
    } finally {
      await local.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a cancelled infer_csv_format closes its URL connection', () => {
  let origin: http.Server;
  let port: number;
  let open: McpSession;
  const events: string[] = [];

  beforeAll(async () => {
    // Sends a header row and one byte every 2 s: the sample never completes by itself.
    origin = http.createServer((req, res) => {
      events.push('request');
      res.writeHead(200, { 'content-type': 'text/csv' });
      res.write('id,time,lon,lat\n');
      const tick = setInterval(() => res.write('a'), 2_000);
      req.socket.on('close', () => {
        clearInterval(tick);
        events.push('socket closed');
      });
    });
    await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
    port = (origin.address() as AddressInfo).port;
    open = await startMcp(['--sandbox', '--allow-private-urls', '--log-level', 'debug']);
  });
  afterAll(async () => {
    await open?.close();
    origin?.closeAllConnections();
    origin?.close();
  });

  it('the slow server sees its socket close when the call is cancelled', async () => {
    const ac = new AbortController();
    const call = open.client
      .callTool({ name: 'infer_csv_format', arguments: { url: `http://127.0.0.1:${port}/slow.csv` } }, undefined, { signal: ac.signal, timeout: 110_000 })
      .catch(() => 'aborted');
    await waitFor(() => events.includes('request'), 'the request to reach the slow server');
    ac.abort();
    expect(await call).toBe('aborted');
    await waitFor(() => events.includes('socket closed'), 'the server to close the connection');
    // Closed by the cancel, not by the fetch's own 15 s time limit.
    await waitFor(() => /infer_csv_format: failed in \d+ ms: .*(cancelled|aborted)/i.test(open.stderr()), 'the call to end as cancelled');
    expect(open.stderr()).not.toMatch(/no answer within/);
    // The server is still there, and answers.
    await open.client.ping();
  });
});
