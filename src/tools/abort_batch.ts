import { z } from 'zod';
import { UserFacingError } from '../errors.js';
import { isTerminal } from '../dfi/schemas.js';
import { defineTool, nextStepsSchema } from './tool.js';
import { jobOutputSchema } from './put_batch.js';

export const abortBatch = defineTool({
  name: 'abort_batch',
  title: 'Abort an import job',
  description:
    'Stops a running import job (rows already inserted stay inserted). Only for jobs that are not yet terminal; ask the person first. Example: {"batch_id": "6f6dcbb3-9746-4722-a642-6aeccdb2ad4f"}',
  input: z.object({ batch_id: z.string().min(1).max(200) }).strict(),
  output: z.object({ job: jobOutputSchema, nextSteps: nextStepsSchema }),
  quotesUntrustedData: true,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
  enabled: (config) => !config.readOnly,
  async handler(args, ctx) {
    const current = await ctx.client.getBatch(args.batch_id, { signal: ctx.signal });
    if (isTerminal(current.status)) {
      throw new UserFacingError('already_terminal', `batch ${args.batch_id} is already ${current.status}; there is nothing to abort.`, {
        hint: 'Read it with get_batch. Rows of a finished import stay in the dataset.',
      });
    }
    const job = await ctx.client.abortBatch(args.batch_id, { signal: ctx.signal });
    return {
      job,
      nextSteps: [`Abort requested. Call get_batch with batch_id "${args.batch_id}" to see the final status and how many rows were inserted before it stopped.`],
    };
  },
});
