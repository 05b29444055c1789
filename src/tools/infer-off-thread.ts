/**
 * infer_csv_format's CPU-heavy part (the inference engine, the prepare_files proposal and the
 * picture: infer-analysis.ts) runs in a worker thread, never on the thread that serves MCP: `ping`
 * and other calls are answered while a large or hostile sample is read. Each run is bounded in time
 * and stopped (its worker terminated) when the call's AbortSignal fires. At most MAX_RUNNING run at
 * once (the others wait their turn, and can be cancelled while they wait); a worker that finished is
 * kept for the next call (starting one and loading the engine and the map costs about a second on a
 * busy machine) and ended after IDLE_MS without work.
 */
import { Worker } from 'node:worker_threads';
import { UserFacingError } from '../errors.js';
import { log } from '../log.js';
import { compiledScript } from '../csv/bulk.js';
import type { Analysis, AnalyseInput } from './infer-analysis.js';

/** A run longer than this is stopped: a 4 MiB sample takes a few seconds at most on a busy core. */
export const INFER_TIME_LIMIT_MS = 60_000;
/** Runs at once; more would only share the same cores and multiply the memory. */
export const MAX_RUNNING = 2;
/** The worker's heap: a 4 MiB sample profiled takes well under this. */
const HEAP_MB = 512;
/** An idle worker is ended after this long. */
const IDLE_MS = 30_000;

type Reply = { done?: Analysis; refused?: { kind: string; message: string; hint?: string; status?: number }; failed?: string };

let running = 0;
const waiting: (() => void)[] = [];
const idle: { worker: Worker; timer: NodeJS.Timeout }[] = [];
let alive = 0;

/** Worker threads alive now, idle ones included (for tests: a cancelled or timed-out run leaves its worker ended). */
export function inferWorkersAlive(): number {
  return alive;
}

/** Ends the idle workers now (tests, and anyone who wants the memory back). */
export async function endIdleInferWorkers(): Promise<void> {
  await Promise.all(idle.splice(0).map(({ worker, timer }) => (clearTimeout(timer), worker.terminate())));
}

function cancelled(): UserFacingError {
  return new UserFacingError('cancelled', 'the inference was cancelled.', { hint: 'Call infer_csv_format again when you need it.' });
}

async function turn(signal: AbortSignal | undefined): Promise<void> {
  if (running < MAX_RUNNING) {
    running++;
    return;
  }
  await new Promise<void>((resolve, reject) => {
    const go = () => {
      signal?.removeEventListener('abort', leave);
      running++;
      resolve();
    };
    const leave = () => {
      const i = waiting.indexOf(go);
      if (i >= 0) waiting.splice(i, 1);
      reject(cancelled());
    };
    if (signal?.aborted) return leave();
    waiting.push(go);
    signal?.addEventListener('abort', leave, { once: true });
  });
}

function release(): void {
  running--;
  waiting.shift()?.();
}

function startWorker(script: string): Worker {
  // stdout: true keeps anything the worker prints off the process's stdout, which belongs to MCP.
  const worker = new Worker(script, { resourceLimits: { maxOldGenerationSizeMb: HEAP_MB }, stdout: true });
  alive++;
  const id = worker.threadId;
  log('debug', `infer worker ${id}: started`);
  worker.once('exit', () => {
    alive--;
    const i = idle.findIndex((w) => w.worker === worker);
    if (i >= 0) clearTimeout(idle.splice(i, 1)[0]!.timer);
  });
  return worker;
}

function keep(worker: Worker): void {
  if (idle.length >= MAX_RUNNING) return void worker.terminate();
  worker.unref(); // an idle worker never keeps the process alive
  const timer = setTimeout(() => {
    const i = idle.findIndex((w) => w.worker === worker);
    if (i >= 0) idle.splice(i, 1);
    void worker.terminate();
  }, IDLE_MS);
  timer.unref();
  idle.push({ worker, timer });
}

/**
 * Runs analyseSample in a worker thread; on the calling thread only when the worker script is not
 * built (running from sources without `npm run build`).
 */
export async function analyseOffThread(input: AnalyseInput, opts: { signal?: AbortSignal; timeLimitMs?: number } = {}): Promise<Analysis> {
  const script = compiledScript('tools/infer-worker.js');
  if (!script) return (await import('./infer-analysis.js')).analyseSample(input);
  if (opts.signal?.aborted) throw cancelled();
  await turn(opts.signal);
  try {
    const kept = idle.pop();
    if (kept) clearTimeout(kept.timer);
    const worker = kept?.worker ?? startWorker(script);
    worker.ref();
    return await run(worker, input, opts.signal, opts.timeLimitMs ?? INFER_TIME_LIMIT_MS);
  } finally {
    release();
  }
}

function run(worker: Worker, input: AnalyseInput, signal: AbortSignal | undefined, timeLimitMs: number): Promise<Analysis> {
  const id = worker.threadId;
  log('debug', `infer worker ${id}: reading ${input.sample.bytesRead} bytes`);
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (outcome: string, reusable: boolean, fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', stop);
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
      if (reusable) keep(worker);
      else void worker.terminate().then(() => log('debug', `infer worker ${id}: exited (${outcome})`));
      fn();
    };
    const stop = () => finish('cancelled', false, () => reject(cancelled()));
    const timer = setTimeout(
      () =>
        finish('over the time limit', false, () =>
          reject(
            new UserFacingError('inference_timeout', `reading the sample took over ${Math.round(timeLimitMs / 1000)} s and was stopped.`, {
              hint: 'Give a smaller sample (max_bytes, or a few hundred lines of the file), or pass delimiter and has_header.',
            }),
          ),
        ),
      timeLimitMs,
    );
    const onExit = () => finish('ended by itself', false, () => reject(new UserFacingError('inference_failed', 'the inference stopped before it finished.', { hint: 'Give a smaller sample (max_bytes).' })));
    const onError = (err: Error) =>
      finish('failed', false, () =>
        reject(
          (err as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY'
            ? new UserFacingError('inference_too_large', `reading the sample needs more than ${HEAP_MB} MB.`, { hint: 'Give a smaller sample (max_bytes), or pass delimiter.' })
            : err,
        ),
      );
    const onMessage = (m: Reply) =>
      finish(m.failed ? 'failed' : 'finished', !m.failed, () => {
        if (m.done) {
          const png = m.done.preview?.png as Uint8Array | undefined;
          // Structured cloning turns a Buffer into a plain Uint8Array.
          if (png && !Buffer.isBuffer(png)) m.done.preview!.png = Buffer.from(png.buffer, png.byteOffset, png.byteLength);
          resolve(m.done);
        } else if (m.refused) {
          const { kind, message, hint, status } = m.refused;
          reject(new UserFacingError(kind, message, { ...(hint !== undefined ? { hint } : {}), ...(status !== undefined ? { status } : {}) }));
        } else reject(new Error(m.failed ?? 'the inference worker failed'));
      });
    signal?.addEventListener('abort', stop, { once: true });
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
    worker.postMessage(input);
  });
}
