/**
 * One confirmation token, one import: concurrent real put_batch calls with the same token, from
 * outside (the built server over stdio), against a stand-in platform that counts the imports sent.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ElicitRequestSchema, type CallToolResult, type ElicitResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolatedEnv } from '../helpers/env.js';
import { startFaultServer } from '../helpers/fault-server.js';
import { startMcp, structured, text, type McpSession } from '../helpers/mcp.js';
import { DIST_ENTRY, ROOT } from '../helpers/paths.js';

const ARGS = {
  dataset_id: 'gs.dataset-1',
  source: { urls: ['https://files.example.com/trips-1.csv'] },
  // Each test imports the same file again on purpose; the import ledger would refuse a repeat.
  reimport: true,
  file_format: { entity_id: 0, timestamp: 1, longitude: 2, latitude: 3 },
};
const TOKEN = 'platform-token-for-the-race-test';

let platform: Awaited<ReturnType<typeof startFaultServer>>;
let mcp: McpSession;
const imports = () => platform.count('PUT', '/v1/import/batch', (r) => r.query.get('dryRun') === 'false');

beforeAll(async () => {
  platform = await startFaultServer(() => undefined);
  mcp = await startMcp([], { DFI_API_URL: platform.url, DFI_API_TOKEN: TOKEN });
});
afterAll(async () => {
  await mcp?.close();
  await platform?.close();
});

describe('the dry-run gate under concurrency', () => {
  it('five concurrent imports with one token send exactly one import', async () => {
    for (let trial = 0; trial < 5; trial++) {
      const before = imports();
      const dry = structured(await mcp.call('put_batch', ARGS));
      const results = await Promise.all(Array.from({ length: 5 }, () => mcp.call('put_batch', { ...ARGS, dry_run: false, confirmation: dry.confirmation.token })));
      const sent = results.filter((r) => !r.isError);
      expect(sent).toHaveLength(1);
      expect(imports() - before).toBe(1);
      for (const r of results.filter((x) => x.isError)) expect(text(r)).toMatch(/not sent: the confirmation token is unknown: it was already used/);
    }
  });
});

describe('with a client that accepts every confirmation request', () => {
  let client: Client;
  beforeAll(async () => {
    const transport = new StdioClientTransport({ command: process.execPath, args: [DIST_ENTRY, '--api-url', platform.url], cwd: ROOT, env: isolatedEnv({ DFI_API_TOKEN: TOKEN }), stderr: 'pipe' });
    client = new Client({ name: 'accepting-client', version: '1.0.0' }, { capabilities: { elicitation: {} } });
    client.setRequestHandler(ElicitRequestSchema, async (): Promise<ElicitResult> => {
      // The person takes a moment: every call is waiting on its question at the same time.
      await new Promise((r) => setTimeout(r, 50));
      return { action: 'accept', content: { confirm: true } };
    });
    await client.connect(transport);
  });
  afterAll(async () => {
    await client?.close();
  });

  it('three concurrent calls with one token: one question answered yes, one import', async () => {
    const call = async (args: Record<string, unknown>) => (await client.callTool({ name: 'put_batch', arguments: args }, undefined, { timeout: 30_000 })) as CallToolResult;
    const before = imports();
    const dry = structured(await call(ARGS));
    const results = await Promise.all([1, 2, 3].map(() => call({ ...ARGS, dry_run: false, confirmation: dry.confirmation.token })));
    expect(results.filter((r) => !r.isError)).toHaveLength(1);
    expect(imports() - before).toBe(1);
  });
});
