import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ListRootsRequestSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverTransport, startMcp, text } from '../helpers/mcp.js';

let base: string;
const CSV = 'id,time,lat,lon\na,1700000000000,48.85,2.35\na,1700000001000,48.86,2.36\n';

beforeAll(() => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'dfi-roots-'));
  for (const d of ['allowed', 'allowed/sub', 'outside']) fs.mkdirSync(path.join(base, d), { recursive: true });
  fs.writeFileSync(path.join(base, 'allowed', 'sub', 'ok.csv'), CSV);
  fs.writeFileSync(path.join(base, 'outside', 'secret.csv'), CSV);
  fs.symlinkSync(path.join(base, 'outside', 'secret.csv'), path.join(base, 'allowed', 'escape.csv'));
  execFileSync('mkfifo', [path.join(base, 'allowed', 'pipe.csv')]);
});
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

const infer = async (call: (a: Record<string, unknown>) => Promise<CallToolResult>, p: string) => text(await call({ path: p }));

describe('local files stay inside the allowed folders', () => {
  it('with --sample-root: .., symlinks out, FIFOs and devices are refused', async () => {
    const mcp = await startMcp(['--sandbox', '--sample-root', path.join(base, 'allowed')]);
    const call = (a: Record<string, unknown>) => mcp.call('infer_csv_format', a);
    try {
      expect(await infer(call, path.join(base, 'allowed', 'sub', 'ok.csv'))).toMatch(/"latitude":2/);
      expect(await infer(call, path.join(base, 'allowed', '..', 'outside', 'secret.csv'))).toMatch(/outside the folders this server may read/);
      expect(await infer(call, path.join(base, 'allowed', 'escape.csv'))).toMatch(/outside the folders this server may read/);
      // Opening a FIFO would block forever: the call's timeout is the bound.
      expect(await infer(call, path.join(base, 'allowed', 'pipe.csv'))).toMatch(/is not a regular file/);
      expect(await infer(call, '/dev/zero')).toMatch(/outside the folders|not a regular file/);
      expect(await infer(call, path.join(base, 'outside', 'secret.csv'))).toMatch(/outside the folders/);
    } finally {
      await mcp.close();
    }
  });

  it("with MCP roots: the client's roots decide", async () => {
    const client = new Client({ name: 'rooted', version: '1' }, { capabilities: { roots: { listChanged: true } } });
    let roots = [{ uri: pathToFileURL(path.join(base, 'outside')).href, name: 'outside' }];
    client.setRequestHandler(ListRootsRequestSchema, async () => ({ roots }));
    await client.connect(serverTransport(['--sandbox'], { cwd: base, stderr: 'ignore' }));
    const call = async (a: Record<string, unknown>) => (await client.callTool({ name: 'infer_csv_format', arguments: a })) as CallToolResult;
    try {
      expect(await infer(call, path.join(base, 'outside', 'secret.csv'))).toMatch(/"latitude":2/);
      expect(await infer(call, path.join(base, 'allowed', 'sub', 'ok.csv'))).toMatch(/outside the folders/);
      roots = [{ uri: pathToFileURL(path.join(base, 'allowed')).href, name: 'allowed' }];
      // The server handles messages in order: the notification has dropped its cached roots before
      // the next call arrives, which asks the client for them again.
      await client.sendRootsListChanged();
      expect(await infer(call, path.join(base, 'allowed', 'sub', 'ok.csv'))).toMatch(/"latitude":2/);
      expect(await infer(call, path.join(base, 'outside', 'secret.csv'))).toMatch(/outside the folders/);
    } finally {
      await client.close();
    }
  });
});
