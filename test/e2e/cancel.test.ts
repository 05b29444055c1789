// A cancelled MCP call stops its work, seen from outside: the dry run's URL fetch (made by the
// embedded sandbox, behind the platform client's HTTP request) ends when the caller cancels.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMcp, type McpSession } from '../helpers/mcp.js';
import { waitFor } from '../helpers/wait.js';

/** A CSV source that sends one row, then nothing more, and never ends: only its reader can end the connection. */
function slowSource() {
  const seen = { requests: 0, closed: 0 };
  const server = http.createServer((req, res) => {
    seen.requests++;
    res.once('close', () => seen.closed++);
    res.writeHead(200, { 'content-type': 'text/csv' });
    res.write('a,1640995676000,-0.11,51.54\n');
  });
  return { server, seen };
}

describe('cancellation reaches the work of a call', () => {
  const { server, seen } = slowSource();
  let mcp: McpSession;
  let url: string;

  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slow.csv`;
    // Platform requests time out after 10 min, the sandbox's source fetch after 60 s: only the
    // cancellation can close the connection within the 30 s this test waits.
    mcp = await startMcp(['--sandbox', '--allow-private-urls', '--timeout-ms', '600000']);
  });
  afterAll(async () => {
    await mcp?.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it("a dry run whose caller cancels closes the source's connection", async () => {
    const controller = new AbortController();
    const call = mcp.client.callTool(
      { name: 'put_batch', arguments: { dataset_id: 'gs.dataset-1', source: { urls: [url] }, file_format: { entity_id: 0, timestamp: 1, longitude: 2, latitude: 3 } } },
      undefined,
      { signal: controller.signal, timeout: 120_000 },
    );
    const settled = call.then(
      () => 'answered',
      (err: Error) => err.name,
    );
    // The sandbox is reading the source (one row, then it waits for more, for up to a minute).
    await waitFor(() => seen.requests === 1, 'the dry run to fetch the URL source');
    expect(seen.closed).toBe(0);
    controller.abort();
    // Cancelled: the client gives up at once; the server stops the platform request, and the
    // sandbox the fetch behind it: the source sees its connection close.
    expect(await settled).not.toBe('answered');
    await waitFor(() => seen.closed === 1, 'the URL connection to close after the cancellation', 30_000);
    // The server still answers.
    const r = await mcp.call('get_aws_trust_policy', {});
    expect(r.isError).toBeFalsy();
  });
});
