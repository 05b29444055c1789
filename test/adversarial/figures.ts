import { performance } from 'node:perf_hooks';
import fc from 'fast-check';

/**
 * In CI the fuzzers use a fixed seed, so that a red run is reproducible and never a matter of chance;
 * elsewhere each run draws new inputs (fast-check prints the seed of any failure).
 */
if (process.env.CI) fc.configureGlobal({ seed: 20261126 });
import { UserFacingError } from '../../src/errors.js';

/** What an adversarial run measured; printed at the end of each file (npm run test:adversarial). */
export class Figures {
  inputs = 0;
  refused = 0;
  crashes = 0;
  hangs = 0;
  worstMs = 0;
  peakRssMb = 0;
  leaksMb: number | null = null;
  /**
   * `hangMs`: a call this long counts as a hang, i.e. one that would never end. 90 s, so that a busy
   * machine never turns slowness into a failure (a 3 MB line took 33 s at a load average of 25 on
   * two cores); latency is reported (worst latency), and measured against targets in npm run bench,
   * never asserted here.
   */
  constructor(
    readonly name: string,
    readonly hangMs = 90_000,
  ) {}

  /** Runs one input: a clear refusal (UserFacingError) is fine, anything else thrown is a crash. */
  async probe(fn: () => unknown): Promise<void> {
    const t = performance.now();
    try {
      await fn();
    } catch (err) {
      if (err instanceof UserFacingError) this.refused++;
      else {
        this.crashes++;
        throw err;
      }
    } finally {
      const ms = performance.now() - t;
      this.inputs++;
      this.worstMs = Math.max(this.worstMs, ms);
      if (ms > this.hangMs) this.hangs++;
      if (this.inputs % 100 === 0) this.peakRssMb = Math.max(this.peakRssMb, process.memoryUsage().rss / 1048576);
    }
  }

  line(): string {
    this.peakRssMb = Math.max(this.peakRssMb, process.memoryUsage().rss / 1048576);
    return `adversarial ${this.name}: inputs ${this.inputs} (clear refusals ${this.refused}), crashes ${this.crashes}, hangs ${this.hangs} (> ${this.hangMs} ms), worst latency ${this.worstMs.toFixed(1)} ms, peak RSS ${this.peakRssMb.toFixed(0)} MB, heap growth after GC ${this.leaksMb === null ? 'n/a' : `${this.leaksMb.toFixed(1)} MB`}`;
  }
}

/** A garbage collector to call, without restarting Node with --expose-gc. */
export async function gcFunction(): Promise<() => void> {
  const v8 = await import('node:v8');
  const vm = await import('node:vm');
  v8.setFlagsFromString('--expose_gc');
  return vm.runInNewContext('gc') as () => void;
}
