/**
 * A stdio transport that survives hostile input. Like the SDK's, it reads newline-delimited
 * JSON-RPC from stdin and writes to stdout; unlike it, a message over the size limit is dropped (up
 * to its newline) and reported on stderr, instead of closing the transport and leaving a deaf
 * process behind. Malformed lines are reported and skipped. Requests other than `initialize` and
 * `ping` that come before `initialize` are answered with an error, not served.
 */
import process from 'node:process';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { deserializeMessage, serializeMessage } from '@modelcontextprotocol/sdk/shared/stdio.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

export const MAX_MESSAGE_BYTES = 10 * 1024 * 1024;

export class ResilientStdioTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  #chunks: Buffer[] = [];
  #size = 0;
  /** Inside an oversized line: drop everything up to the next newline. */
  #skipping = false;
  #closed = false;

  constructor(
    private readonly stdin: NodeJS.ReadableStream = process.stdin,
    private readonly stdout: NodeJS.WritableStream = process.stdout,
    private readonly maxBytes = MAX_MESSAGE_BYTES,
  ) {}

  #ondata = (chunk: Buffer) => {
    let start = 0;
    for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, start)) {
      this.#push(chunk.subarray(start, nl));
      this.#endLine();
      start = nl + 1;
    }
    if (start < chunk.length) this.#push(chunk.subarray(start));
  };

  #push(part: Buffer): void {
    if (this.#skipping || part.length === 0) return;
    if (this.#size + part.length > this.maxBytes) {
      this.#chunks = [];
      this.#size = 0;
      this.#skipping = true;
      this.onerror?.(new Error(`a message over ${this.maxBytes} bytes was dropped`));
      return;
    }
    this.#chunks.push(part);
    this.#size += part.length;
  }

  #endLine(): void {
    if (this.#skipping) {
      this.#skipping = false;
      return;
    }
    const line = Buffer.concat(this.#chunks).toString('utf8').replace(/\r$/, '');
    this.#chunks = [];
    this.#size = 0;
    if (!line.trim()) return;
    let message: JSONRPCMessage;
    try {
      message = deserializeMessage(line);
    } catch (err) {
      this.onerror?.(new Error(`a line that is not a JSON-RPC message was skipped: ${(err as Error).message.replace(/\s+/g, ' ').slice(0, 160)}`));
      return;
    }
    // The protocol's lifecycle: nothing but initialize (and ping) is served before initialize.
    if (!this.#initializeSeen && 'method' in message) {
      if (message.method === 'initialize') this.#initializeSeen = true;
      else if (message.method !== 'ping') {
        if ('id' in message && message.id !== undefined) {
          void this.send({ jsonrpc: '2.0', id: message.id, error: { code: -32600, message: `the server is not initialized: send "initialize" before "${String(message.method).slice(0, 60)}"` } } as JSONRPCMessage);
        }
        return;
      }
    }
    this.onmessage?.(message);
  }

  #initializeSeen = false;

  #onerror = (error: Error) => this.onerror?.(error);
  #onend = () => void this.close();

  async start(): Promise<void> {
    this.stdin.on('data', this.#ondata);
    this.stdin.on('error', this.#onerror);
    this.stdin.on('end', this.#onend);
  }

  send(message: JSONRPCMessage): Promise<void> {
    return new Promise((resolve) => {
      if (this.stdout.write(serializeMessage(message))) resolve();
      else this.stdout.once('drain', resolve);
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.stdin.off('data', this.#ondata);
    this.stdin.off('error', this.#onerror);
    this.stdin.off('end', this.#onend);
    this.#chunks = [];
    this.onclose?.();
  }
}
