import { z } from 'zod';
import type { Dataset } from '../dfi/schemas.js';
import { defineTool, nextStepsSchema } from './tool.js';

/** At most this many datasets in one result: the list goes into the model's context. */
const MAX_LISTED = 50;
const DESCRIPTION_CHARS = 160;

/** One line's worth of a dataset: what an assistant needs to pick one, not its whole document. */
export function datasetSummary(d: Dataset): { id: string; name?: string; description?: string; properties: number } {
  const description = typeof d.description === 'string' && d.description ? d.description : undefined;
  return {
    id: d.id,
    ...(typeof d.name === 'string' && d.name !== d.id ? { name: d.name } : {}),
    ...(description ? { description: description.length > DESCRIPTION_CHARS ? `${description.slice(0, DESCRIPTION_CHARS)}…` : description } : {}),
    properties: Object.keys(d.dataDescription?.metadataSchema ?? {}).length,
  };
}

/** Datasets whose id or name contains `text`, case-insensitively. */
export function matchesText(d: Dataset, text: string): boolean {
  const t = text.toLowerCase();
  return d.id.toLowerCase().includes(t) || (typeof d.name === 'string' && d.name.toLowerCase().includes(t));
}

export const listDatasets = defineTool({
  name: 'list_datasets',
  title: 'Find a dataset',
  description:
    'The datasets this token can see, to find the dataset_id an import goes to. `name` asks the platform for an exact name; `contains` keeps those whose id or name contains the text (case-insensitive). Example: {"contains": "trips"}',
  input: z
    .object({
      name: z.string().min(1).max(200).optional().describe('Exact dataset name, as the platform matches it.'),
      contains: z.string().min(1).max(200).optional().describe('Keep datasets whose id or name contains this text.'),
      limit: z.number().int().min(1).max(MAX_LISTED).optional().describe(`How many to return (default and most: ${MAX_LISTED}).`),
    })
    .strict(),
  output: z.object({
    datasets: z.array(z.object({ id: z.string(), name: z.string().optional(), description: z.string().optional(), properties: z.number() })),
    /** True when more datasets matched than were returned. */
    more: z.boolean(),
    nextSteps: nextStepsSchema,
  }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  async handler(args, ctx) {
    const limit = args.limit ?? MAX_LISTED;
    // Ask for one more than shown, so that "more" is known without a second call.
    const page = await ctx.client.listDatasets({ ...(args.name ? { name: args.name } : {}), limit: args.contains ? 1000 : limit + 1 }, { signal: ctx.signal });
    const found = args.contains ? page.filter((d) => matchesText(d, args.contains!)) : page;
    const datasets = found.slice(0, limit).map(datasetSummary);
    const nextSteps =
      datasets.length === 0
        ? [
            args.name || args.contains
              ? 'No dataset matched: call list_datasets without filters to see them all, or check the spelling.'
              : 'This token sees no dataset: ask the platform administrator for access to the target dataset.',
          ]
        : [`Call get_dataset with the dataset_id of the target (e.g. "${datasets[0]!.id}") to see its properties and whether you may write to it.`];
    return { datasets, more: found.length > datasets.length, nextSteps };
  },
});
