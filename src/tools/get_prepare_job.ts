import { z } from 'zod';
import { UserFacingError } from '../errors.js';
import { prepareJobs, putBatchHint, type PrepareJob } from '../prepare/job.js';
import { defineTool, nextStepsSchema } from './tool.js';

export const MAX_WAIT_SECONDS = 50;

/** Loose on purpose (tools/list is loaded into every client's context); describeJob says the keys. */
export const prepareJobSchema = z.looseObject({
  id: z.string(),
  status: z.string(),
  files: z.looseObject({ total: z.number(), done: z.number(), skipped: z.number(), failed: z.number() }),
  written: z.number(),
});

export function findJob(id: string): PrepareJob {
  const job = prepareJobs.get(id);
  if (!job) {
    throw new UserFacingError('not_found', `there is no preparation job "${id}" in this server process.`, {
      hint: 'Jobs live as long as the server. If it was restarted, run prepare_files again (dry run, then the real run): what was already prepared is skipped.',
    });
  }
  return job;
}

export function describeJob(job: PrepareJob) {
  return {
    id: job.id,
    status: job.status,
    startedAt: job.startedAt,
    endedAt: job.endedAt,
    source: job.prep.source.where,
    target: job.prep.target.uri,
    files: { ...job.counts.files },
    rows: job.counts.rows,
    written: job.counts.written,
    rejected: job.counts.rejected as Record<string, number>,
    dropped: job.counts.dropped,
    bytesRead: job.bytesRead,
    bytesWritten: job.counts.bytesWritten,
    sourceBytes: job.counts.sourceBytes,
    errors: job.errors.slice(0, 20),
    ...(job.changed.length ? { changedDuringRun: job.changed.slice(0, 20) } : {}),
  };
}

export const getPrepareJob = defineTool({
  name: 'get_prepare_job',
  title: 'Follow a preparation job',
  description:
    'A prepare_files job: status, files (done, skipped, failed), rows written, rejected by cause, bytes, errors, terminal. With wait_seconds (<= 50) it waits until the job ends, with progress notifications. Call after prepare_files until terminal is true. Example: {"job_id": "prep-1a2b3c4d5e6f", "wait_seconds": 30}',
  input: z
    .object({
      job_id: z.string().min(1).max(100).describe("prepare_files's job.id"),
      wait_seconds: z.number().min(0).max(MAX_WAIT_SECONDS).default(0),
    })
    .strict(),
  output: z.object({
    job: prepareJobSchema,
    terminal: z.boolean(),
    put_batch: z.looseObject({ source: z.record(z.string(), z.unknown()), file_format: z.record(z.string(), z.number()) }).optional(),
    nextSteps: nextStepsSchema,
  }),
  quotesUntrustedData: true,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async handler(args, ctx) {
    const job = findJob(args.job_id);
    const deadline = Date.now() + args.wait_seconds * 1000;
    let lastNote = 0;
    while (!job.terminal && Date.now() < deadline && !ctx.signal.aborted) {
      if (ctx.progress && Date.now() - lastNote >= 1000) {
        lastNote = Date.now();
        const c = job.counts;
        await ctx.progress(job.bytesRead, c.sourceBytes || undefined, `${c.files.done + c.files.skipped} of ${c.files.total} files, ${c.written} rows written`);
      }
      await job.changes(Math.min(1000, Math.max(0, deadline - Date.now())));
    }
    const terminal = job.terminal;
    const c = job.counts;
    const put_batch = putBatchHint(job.prep, ctx.config.backend === 'sandbox');
    const rejected = Object.values(c.rejected).reduce((a, b) => a + (b ?? 0), 0);
    const nextSteps: string[] = [];
    if (!terminal) nextSteps.push(`Still running: ${c.files.done + c.files.skipped} of ${c.files.total} files, ${c.written} rows written. Call get_prepare_job again with wait_seconds ${MAX_WAIT_SECONDS}; cancel_prepare_job stops it.`);
    else if (job.status === 'finished' || job.status === 'finished_with_errors') {
      nextSteps.push(
        `Prepared ${c.files.done} file(s), skipped ${c.files.skipped} already done; ${c.written} rows written, ${rejected} rejected (counted by cause in job.rejected, never written).`,
        `Import them: put_batch with source ${JSON.stringify(put_batch.source)} and file_format ${JSON.stringify(put_batch.file_format)}, dry run first.${ctx.config.backend === 'sandbox' ? '' : ' With the IAM-role route instead (source.s3), the role needs read access to the staging prefix: get_aws_trust_policy with that bucket and prefix gives the policy.'}`,
      );
      if (c.files.failed) nextSteps.push(`${c.files.failed} file(s) failed (job.errors); run prepare_files again to retry them: finished files are skipped.`);
    } else if (job.status === 'cancelled') nextSteps.push('Cancelled: finished outputs are complete, nothing half-written is visible. Run prepare_files again to finish; done files are skipped.');
    else nextSteps.push('The job failed: read job.errors, fix the cause, and run prepare_files again.');
    return { job: describeJob(job), terminal, ...(terminal && job.status.startsWith('finished') ? { put_batch } : {}), nextSteps };
  },
});

export const cancelPrepareJob = defineTool({
  name: 'cancel_prepare_job',
  title: 'Cancel a preparation job',
  description: 'Stops a running prepare_files job. Finished outputs stay; files in progress are abandoned, never left half-written. Example: {"job_id": "prep-1a2b3c4d5e6f"}',
  input: z.object({ job_id: z.string().min(1).max(100) }).strict(),
  output: z.object({ job: prepareJobSchema, nextSteps: nextStepsSchema }),
  quotesUntrustedData: true,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  enabled: (config) => !config.readOnly,
  async handler(args) {
    const job = findJob(args.job_id);
    if (job.terminal) throw new UserFacingError('already_terminal', `job ${job.id} has already ended (${job.status}).`, { hint: 'Read it with get_prepare_job.' });
    job.cancel();
    await job.done;
    return { job: describeJob(job), nextSteps: ['Cancelled. Run prepare_files again (dry run, then the real run) to finish: finished files are skipped.'] };
  },
});
