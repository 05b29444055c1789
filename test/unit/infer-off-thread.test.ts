/**
 * The worker-thread runner of infer_csv_format (src/tools/infer-off-thread.ts), on the built worker:
 * a run over its time limit is stopped with a clear error and leaves no worker behind; a refusal
 * made in the worker comes back as the same UserFacingError; results match the same work in-thread.
 */
import { describe, expect, it } from 'vitest';
import { analyseOffThread, endIdleInferWorkers, inferWorkersAlive } from '../../src/tools/infer-off-thread.js';
import { analyseSample } from '../../src/tools/infer-analysis.js';
import { sampleFromText } from '../../src/csv/sample.js';
import { UserFacingError } from '../../src/errors.js';
import { waitFor } from '../helpers/wait.js';

const TRIPS = 'id,time,lon,lat\na,1700000000,2.35,48.85\na,1700000060,2.36,48.86\nb,1700000000,13.4,52.5\n';

describe('analyseOffThread', () => {
  it('gives what the engine gives on the calling thread, picture included', async () => {
    const input = { sample: sampleFromText(TRIPS), options: {}, preview: true };
    const off = await analyseOffThread(input);
    const here = analyseSample(input);
    expect(off.result).toEqual(here.result);
    expect(Buffer.isBuffer(off.preview?.png)).toBe(true);
    expect(off.preview?.png?.equals(here.preview!.png!)).toBe(true);
  });

  it('brings a refusal back with its code, message and hint', async () => {
    const err = await analyseOffThread({ sample: sampleFromText('just one column\nof text\n'), options: {}, preview: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserFacingError);
    expect((err as UserFacingError).kind).toBe('invalid_input');
    expect((err as UserFacingError).message).toMatch(/single column/);
    expect((err as UserFacingError).hint).toBeTruthy();
  });

  it('stops a run over its time limit, and the worker ends', async () => {
    await endIdleInferWorkers();
    const err = await analyseOffThread({ sample: sampleFromText(TRIPS), options: {}, preview: true }, { timeLimitMs: 1 }).catch((e: unknown) => e);
    expect((err as UserFacingError).kind).toBe('inference_timeout');
    await waitFor(() => inferWorkersAlive() === 0, 'the worker to end');
  });

  it('a signal already aborted, or aborted while waiting its turn, runs nothing', async () => {
    const ac = new AbortController();
    ac.abort();
    const err = await analyseOffThread({ sample: sampleFromText(TRIPS), options: {}, preview: false }, { signal: ac.signal }).catch((e: unknown) => e);
    expect((err as UserFacingError).kind).toBe('cancelled');
    // Two runs hold the two places; a third waits, and leaves when cancelled.
    const slow = { sample: sampleFromText(TRIPS.repeat(300), 4 * 1024 * 1024), options: {}, preview: true };
    const held = [analyseOffThread(slow), analyseOffThread(slow)];
    const waiting = new AbortController();
    const third = analyseOffThread(slow, { signal: waiting.signal }).catch((e: unknown) => e);
    waiting.abort();
    expect(((await third) as UserFacingError).kind).toBe('cancelled');
    await Promise.all(held);
    // Both are kept for the next calls, until ended.
    expect(inferWorkersAlive()).toBe(2);
    await endIdleInferWorkers();
    await waitFor(() => inferWorkersAlive() === 0, 'the workers to end');
  });
});

describe('detectDialect on samples at the 4 MiB cap', () => {
  it('judges a line of 2 million fields on its first 128 KiB, without splitting all of it', async () => {
    const { detectDialect } = await import('../../src/csv/dialect.js');
    const { rows, dialect } = detectDialect('a;'.repeat(2 * 1024 * 1024 - 1) + 'a\n');
    expect(dialect.delimiter).toBe(';');
    expect(rows[0]!.length).toBeGreaterThan(1000);
    expect(rows[0]!.length).toBeLessThanOrEqual(64 * 1024 + 1);
  });
});
