/**
 * A worker thread of prepare_files (pool.ts): converts the source bytes it is sent with the
 * streaming converter and sends the output bytes back. Several files at once, each a session.
 * Flow control both ways: a data chunk is acknowledged once the converter wants more, and at most
 * OUT_WINDOW output chunks are unacknowledged (the main thread acknowledges once written).
 */
import { Readable } from 'node:stream';
import { parentPort } from 'node:worker_threads';
import { Cancelled, convertStream } from './convert.js';
import { compileRecipe, parseRecipe, type CompiledRecipe } from './recipe.js';
import type { ToWorker } from './pool.js';

const OUT_WINDOW = 4;
const port = parentPort!;
const recipes = new Map<string, Promise<CompiledRecipe>>();

interface Session {
  input: Readable;
  abort: AbortController;
  /** Whether a data chunk waits to be acknowledged until the converter reads again. */
  ackOnRead: boolean;
  outstanding: number;
  wake: (() => void) | null;
}
const sessions = new Map<number, Session>();

function compiled(recipe: unknown): Promise<CompiledRecipe> {
  const key = JSON.stringify(recipe);
  let c = recipes.get(key);
  if (!c) {
    const parsed = parseRecipe(recipe);
    if (!parsed.ok) throw new Error(parsed.problems.join('; '));
    c = compileRecipe(parsed.recipe);
    recipes.set(key, c);
  }
  return c;
}

async function start(id: number, recipe: unknown): Promise<void> {
  const s: Session = {
    input: new Readable({
      highWaterMark: 256 * 1024,
      read() {
        if (s.ackOnRead) {
          s.ackOnRead = false;
          port.postMessage({ type: 'dataAck', id });
        }
      },
    }),
    abort: new AbortController(),
    ackOnRead: false,
    outstanding: 0,
    wake: null,
  };
  sessions.set(id, s);
  try {
    const stats = await convertStream(s.input, await compiled(recipe), {
      signal: s.abort.signal,
      write: async (buf) => {
        if (s.abort.signal.aborted) throw new Cancelled();
        // The buffer is the converter's to give away (OutBuf.take): it moves, it is not copied.
        const ab = buf.buffer as ArrayBuffer;
        port.postMessage({ type: 'out', id, buf: ab, offset: buf.byteOffset, length: buf.length }, [ab]);
        s.outstanding++;
        while (s.outstanding >= OUT_WINDOW && !s.abort.signal.aborted) await new Promise<void>((resolve) => (s.wake = resolve));
        if (s.abort.signal.aborted) throw new Cancelled();
      },
      onProgress: (st) => port.postMessage({ type: 'progress', id, bytesIn: st.bytesIn }),
    });
    port.postMessage({ type: 'done', id, stats });
  } catch (err) {
    port.postMessage({ type: 'error', id, cancelled: err instanceof Cancelled, message: err instanceof Error ? err.message : String(err) });
  } finally {
    sessions.delete(id);
  }
}

port.on('message', (m: ToWorker) => {
  if (m.type === 'start') {
    void start(m.id, m.recipe);
    return;
  }
  const s = sessions.get(m.id);
  if (!s) return;
  switch (m.type) {
    case 'data':
      if (s.input.push(Buffer.from(m.buf))) port.postMessage({ type: 'dataAck', id: m.id });
      else s.ackOnRead = true;
      break;
    case 'end':
      s.input.push(null);
      break;
    case 'outAck':
      s.outstanding--;
      s.wake?.();
      s.wake = null;
      break;
    case 'cancel':
      s.abort.abort();
      s.wake?.();
      s.input.destroy();
      break;
  }
});
