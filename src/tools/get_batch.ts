import { z } from 'zod';
import { isTerminal, type Job, type StatusUpdate } from '../dfi/schemas.js';
import { newestFirst } from '../import/history.js';
import { summariseRejections, topCauses } from '../import/rejections.js';
import { defineTool, nextStepsSchema } from './tool.js';
import { jobOutputSchema } from './put_batch.js';

export const MAX_WAIT_SECONDS = 50;
const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });

export const getBatch = defineTool({
  name: 'get_batch',
  title: 'Follow an import job',
  description:
    'An import job: status, insertCount, invalidCount, log, history (newest first), terminal (without the source and format put_batch already returned). With wait_seconds (<= 50) it polls until the job ends, with progress notifications. Call after put_batch until terminal is true. Example: {"batch_id": "6f6dcbb3-9746-4722-a642-6aeccdb2ad4f", "wait_seconds": 30}',
  input: z
    .object({
      batch_id: z.string().min(1).max(200).describe("put_batch's job.id"),
      wait_seconds: z.number().min(0).max(MAX_WAIT_SECONDS).default(0).describe('poll until the job ends, at most this long'),
    })
    .strict(),
  output: z.object({
    job: jobOutputSchema,
    history: z.array(z.looseObject({ status: z.string(), insertCount: z.number().optional(), invalidCount: z.number().optional() })),
    terminal: z.boolean(),
    waitedSeconds: z.number(),
    rejections: z.looseObject({}).optional(),
    nextSteps: nextStepsSchema,
  }),
  quotesUntrustedData: true,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  async handler(args, ctx) {
    const started = Date.now();
    const deadline = started + args.wait_seconds * 1000;
    let job: Job = await ctx.client.getBatch(args.batch_id, { signal: ctx.signal });
    let delay = 250;
    while (!isTerminal(job.status) && Date.now() < deadline && !ctx.signal.aborted) {
      await ctx.progress?.(job.insertCount ?? 0, undefined, `${job.status}: ${job.insertCount ?? 0} rows inserted, ${job.invalidCount ?? 0} invalid`);
      await sleep(Math.min(delay, Math.max(0, deadline - Date.now())), ctx.signal);
      delay = Math.min(delay * 2, 5_000);
      job = await ctx.client.getBatch(args.batch_id, { signal: ctx.signal });
    }
    let history: StatusUpdate[] = [];
    try {
      history = newestFirst(await ctx.client.getBatchStatus(args.batch_id, { signal: ctx.signal }), job.status);
    } catch {
      // The history is a convenience; the job itself is the answer.
    }
    const terminal = isTerminal(job.status);
    const rejections = summariseRejections(job.log, job.invalidCount);
    const hasRejections = rejections.causes.length > 0 || rejections.fileProblems.length > 0 || rejections.unrecognised.length > 0;
    const why = topCauses(rejections);
    const nextSteps = terminal
      ? job.status === 'finished'
        ? [`The import finished: ${job.insertCount ?? '?'} rows inserted, ${job.invalidCount ?? '?'} rejected.${(job.invalidCount ?? 0) > 0 && why ? ` Rejected: ${why} (rejections has the causes with examples).` : ''}`]
        : [`The job ended with status "${job.status}"${why ? `: ${why}` : ''}. job.log has the platform's own words.`]
      : [`Still ${job.status} (${job.insertCount ?? 0} rows so far). Call get_batch again with wait_seconds ${MAX_WAIT_SECONDS}.`];
    // source and format were returned by put_batch; repeating them on every poll only fills the context.
    const { source: _source, format: _format, ...polled } = job;
    return { job: polled, history, terminal, ...(hasRejections ? { rejections } : {}), waitedSeconds: Math.round((Date.now() - started) / 100) / 10, nextSteps };
  },
});
