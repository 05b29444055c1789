/**
 * The built server as a child process that the test owns: the SDK's real Client speaks to it over
 * its stdio, and the test sees the process itself (its exit, its signals), which the SDK's own
 * StdioClientTransport hides (its close() ends a lingering process with SIGTERM, then SIGKILL).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ReadBuffer, serializeMessage } from '@modelcontextprotocol/sdk/shared/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { isolatedEnv } from './env.js';
import { DIST_ENTRY, ROOT } from './paths.js';

class ChildTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  readonly #buffer = new ReadBuffer();
  constructor(private readonly child: ChildProcess) {}
  async start(): Promise<void> {
    this.child.stdout!.on('data', (chunk: Buffer) => {
      this.#buffer.append(chunk);
      for (let m = this.#buffer.readMessage(); m; m = this.#buffer.readMessage()) this.onmessage?.(m);
    });
    this.child.on('exit', () => this.onclose?.());
  }
  async send(message: JSONRPCMessage): Promise<void> {
    this.child.stdin!.write(serializeMessage(message));
  }
  async close(): Promise<void> {
    this.child.stdin!.end();
  }
}

export interface SpawnedMcp {
  client: Client;
  child: ChildProcess;
  /** Resolves when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
  kill(): void;
}

export async function spawnMcp(args: string[], env: Record<string, string> = {}): Promise<SpawnedMcp> {
  const child = spawn(process.execPath, [DIST_ENTRY, ...args], { cwd: ROOT, env: isolatedEnv(env), stdio: ['pipe', 'pipe', 'pipe'] });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const chunks: string[] = [];
  child.stderr!.on('data', (d) => chunks.push(String(d)));
  child.stdin!.on('error', () => undefined);
  const client = new Client({ name: 'dfi-ingest-mcp-tests', version: '1.0.0' });
  await client.connect(new ChildTransport(child));
  return { client, child, exited, stderr: () => chunks.join(''), kill: () => void (child.exitCode === null && child.kill('SIGKILL')) };
}
