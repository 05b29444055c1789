/**
 * Conversion on worker threads: the main thread reads the source and writes the target (network),
 * the workers decompress and convert (CPU), so a preparation uses more than one core. A pool of at
 * most `size` workers (the cores, or fewer); each takes several files at once. Memory per file in
 * flight: at most IN_WINDOW source chunks and OUT_WINDOW (worker) output chunks of 256 KiB, whatever
 * the file's size.
 */
import os from 'node:os';
import type { Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { compiledScript } from '../csv/bulk.js';
import { Cancelled, type ConvertStats } from './convert.js';
import type { Recipe } from './recipe.js';

const IN_WINDOW = 4;

export type ToWorker =
  | { type: 'start'; id: number; recipe: Recipe }
  | { type: 'data'; id: number; buf: ArrayBuffer }
  | { type: 'end' | 'outAck' | 'cancel'; id: number };

type FromWorker =
  | { type: 'out'; id: number; buf: ArrayBuffer; offset: number; length: number }
  | { type: 'dataAck'; id: number }
  | { type: 'progress'; id: number; bytesIn: number }
  | { type: 'done'; id: number; stats: ConvertStats }
  | { type: 'error'; id: number; cancelled: boolean; message: string };

interface Slot {
  worker: Worker;
  sessions: Map<number, (m: FromWorker) => void>;
}

export interface PoolConvertOptions {
  write: (chunk: Buffer) => void | Promise<void>;
  signal?: AbortSignal;
  onProgress?: (bytesIn: number) => void;
}

/** The cores this process may use. */
export function cores(): number {
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

export class ConvertPool {
  readonly #slots: Slot[] = [];
  #nextId = 1;

  private constructor(
    readonly size: number,
    readonly script: string,
  ) {}

  /** A pool, or null when the worker script is not built (then convert in process). */
  static create(size: number): ConvertPool | null {
    const script = compiledScript('prepare/convert-worker.js');
    return script && size >= 1 ? new ConvertPool(size, script) : null;
  }

  #slot(): Slot {
    if (this.#slots.length < this.size) {
      // Small heaps: a worker holds a few 256 KiB chunks per file; its garbage is short-lived.
      const worker = new Worker(this.script, {
        resourceLimits: { maxYoungGenerationSizeMb: 8, maxOldGenerationSizeMb: 96 },
        // Not the parent's --input-type or --eval: they are not for a script.
        execArgv: process.execArgv.filter((a) => !/^--(input-type|eval|print)\b|^-[ep]$/.test(a)),
      });
      const slot: Slot = { worker, sessions: new Map() };
      worker.on('message', (m: FromWorker) => slot.sessions.get(m.id)?.(m));
      worker.on('error', (err) => {
        for (const s of slot.sessions.values()) s({ type: 'error', id: 0, cancelled: false, message: `the conversion thread failed: ${err.message}` });
        slot.sessions.clear();
        this.#slots.splice(this.#slots.indexOf(slot), 1);
      });
      worker.unref();
      this.#slots.push(slot);
      return slot;
    }
    return this.#slots.reduce((a, b) => (b.sessions.size < a.sessions.size ? b : a));
  }

  /** Converts one source stream on a worker; resolves once every output chunk was written. */
  convert(source: Readable, recipe: Recipe, opts: PoolConvertOptions): Promise<ConvertStats> {
    const slot = this.#slot();
    const id = this.#nextId++;
    const worker = slot.worker;
    return new Promise<ConvertStats>((resolve, reject) => {
      let credits = IN_WINDOW;
      let waitCredit: (() => void) | null = null;
      let writing: Promise<void> = Promise.resolve();
      let over = false;
      const finish = (err: Error | null, stats?: ConvertStats) => {
        if (over) return;
        over = true;
        slot.sessions.delete(id);
        opts.signal?.removeEventListener('abort', onAbort);
        waitCredit?.();
        if (err) {
          source.destroy();
          reject(err);
        } else resolve(stats!);
      };
      const onAbort = () => {
        worker.postMessage({ type: 'cancel', id } satisfies ToWorker);
        finish(new Cancelled());
      };
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      slot.sessions.set(id, (m) => {
        switch (m.type) {
          case 'out': {
            const chunk = Buffer.from(m.buf, m.offset, m.length);
            writing = writing
              .then(() => (over ? undefined : opts.write(chunk)))
              .then(
                () => void (over || worker.postMessage({ type: 'outAck', id } satisfies ToWorker)),
                (err: unknown) => {
                  worker.postMessage({ type: 'cancel', id } satisfies ToWorker);
                  finish(err instanceof Error ? err : new Error(String(err)));
                },
              );
            break;
          }
          case 'dataAck':
            credits++;
            waitCredit?.();
            waitCredit = null;
            break;
          case 'progress':
            opts.onProgress?.(m.bytesIn);
            break;
          case 'done':
            void writing.then(() => finish(null, m.stats));
            break;
          case 'error':
            finish(m.cancelled ? new Cancelled() : new Error(m.message));
            break;
        }
      });
      worker.postMessage({ type: 'start', id, recipe } satisfies ToWorker);
      if (opts.signal?.aborted) return onAbort();
      void (async () => {
        try {
          for await (const chunk of source) {
            if (over) return;
            while (credits <= 0 && !over) await new Promise<void>((r) => (waitCredit = r));
            if (over) return;
            credits--;
            const b = chunk as Buffer;
            // A copy of its own: the chunk may be a view of a larger (pooled) buffer.
            const copy = new Uint8Array(b.length);
            copy.set(b);
            worker.postMessage({ type: 'data', id, buf: copy.buffer } satisfies ToWorker, [copy.buffer]);
          }
          if (!over) worker.postMessage({ type: 'end', id } satisfies ToWorker);
        } catch (err) {
          worker.postMessage({ type: 'cancel', id } satisfies ToWorker);
          finish(err instanceof Error ? err : new Error(String(err)));
        }
      })();
    });
  }

  close(): void {
    for (const s of this.#slots) void s.worker.terminate();
    this.#slots.length = 0;
  }
}
