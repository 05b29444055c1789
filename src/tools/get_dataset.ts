import { z } from 'zod';
import { defineTool, nextStepsSchema } from './tool.js';

export const getDataset = defineTool({
  name: 'get_dataset',
  title: 'Read a dataset and its schema',
  description:
    "A dataset, its metadataSchema (the properties a file_format may map; given once, not repeated inside dataset.dataDescription) and whether this token may write to it. Use before infer_csv_format and put_batch. Example: {\"dataset_id\": \"gs.dataset-1\"}",
  input: z.object({ dataset_id: z.string().min(1).max(200) }).strict(),
  output: z.object({
    dataset: z.looseObject({ id: z.string() }),
    metadataSchema: z.record(z.string(), z.looseObject({ type: z.string() })),
    canWrite: z.boolean().nullable(),
    nextSteps: nextStepsSchema,
  }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  async handler(args, ctx) {
    const [dataset, permissions] = await Promise.all([ctx.client.getDataset(args.dataset_id, { signal: ctx.signal }), ctx.client.getPermissions(args.dataset_id, { signal: ctx.signal }).catch(() => undefined)]);
    const metadataSchema = dataset.dataDescription?.metadataSchema ?? {};
    // The schema is returned once, as metadataSchema, not a second time inside the dataset.
    const { metadataSchema: _once, ...dataDescription } = dataset.dataDescription ?? {};
    const canWrite = permissions?.write ?? null;
    const nextSteps = [
      canWrite === false
        ? 'This token may not write to the dataset: ask for write access before importing.'
        : `Call infer_csv_format with dataset_id "${dataset.id}" on a sample of the files to map their columns to these ${Object.keys(metadataSchema).length} properties.`,
    ];
    return { dataset: { ...dataset, ...(dataset.dataDescription ? { dataDescription } : {}) }, metadataSchema, canWrite, nextSteps };
  },
});
