/** A worker thread of infer_csv_format: runs the CPU-heavy part of one call at a time (see infer-off-thread.ts). */
import os from 'node:os';
import { parentPort } from 'node:worker_threads';
import { analyseSample, type AnalyseInput } from './infer-analysis.js';
import { UserFacingError, describeError } from '../errors.js';

// A lower priority for this thread (on Linux the nice value is per thread): on a busy machine the
// thread that serves MCP comes first.
try {
  os.setPriority(10);
} catch {
  // not allowed here: same priority
}

parentPort!.on('message', (input: AnalyseInput) => {
  try {
    parentPort!.postMessage({ done: analyseSample(input) });
  } catch (err) {
    parentPort!.postMessage(
      err instanceof UserFacingError
        ? { refused: { kind: err.kind, message: err.message, hint: err.hint, status: err.status } }
        : { failed: describeError(err) },
    );
  }
});
