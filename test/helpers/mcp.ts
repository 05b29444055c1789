import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { isolatedEnv } from './env.js';
import { DIST_ENTRY, ROOT } from './paths.js';

export interface McpSession {
  client: Client;
  stderr(): string;
  /** The server process's id (to kill it as a crash would). */
  pid: number | null;
  call(name: string, args?: Record<string, unknown>): Promise<CallToolResult>;
  close(): Promise<void>;
}

/**
 * A stdio transport to the built server (`node dist/index.js ...args`), in an isolated environment
 * (test/helpers/env.ts): every test that speaks MCP to the server starts it through here.
 */
export function serverTransport(args: string[], opts: { env?: Record<string, string | undefined>; cwd?: string; stderr?: 'pipe' | 'ignore' } = {}): StdioClientTransport {
  return new StdioClientTransport({ command: process.execPath, args: [DIST_ENTRY, ...args], cwd: opts.cwd ?? ROOT, env: isolatedEnv(opts.env), stderr: opts.stderr ?? 'pipe' });
}

/** The built server, spoken to over stdio by the SDK's real client. */
export async function startMcp(args: string[] = ['--sandbox'], env: Record<string, string | undefined> = {}): Promise<McpSession> {
  const transport = serverTransport(args, { env });
  const chunks: string[] = [];
  transport.stderr?.on('data', (d) => chunks.push(String(d)));
  const client = new Client({ name: 'dfi-ingest-mcp-tests', version: '1.0.0' });
  await client.connect(transport);
  return {
    client,
    stderr: () => chunks.join(''),
    pid: transport.pid,
    call: async (name, a = {}) => (await client.callTool({ name, arguments: a }, undefined, { timeout: 60_000 })) as CallToolResult,
    close: () => client.close(),
  };
}

export function text(r: CallToolResult): string {
  return r.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
}

export function structured<T = Record<string, any>>(r: CallToolResult): T {
  if (r.isError) throw new Error(`tool failed: ${text(r)}`);
  return r.structuredContent as T;
}
