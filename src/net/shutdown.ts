/**
 * Process shutdown, as outbound work sees it: one signal that aborts every fetch in flight, and
 * closers for connection pools. Tiny on purpose: the command line loads it at start-up, while the
 * fetching code loads on first use.
 */
const controller = new AbortController();
const closers = new Set<() => void>();

/** Aborted when the process shuts down. */
export const shutdownSignal: AbortSignal = controller.signal;

/** Registers something to close at shutdown (e.g. an HTTP agent). */
export function onShutdown(close: () => void): void {
  closers.add(close);
}

/** Aborts every guarded GET in flight and refuses new ones: the process is shutting down. */
export function abortOutbound(): void {
  controller.abort(new Error('the server is shutting down'));
  for (const c of closers) {
    try {
      c();
    } catch {
      // closing is best effort
    }
  }
  closers.clear();
}
