import { z } from 'zod';
import { ledgerFor } from '../import/repeats.js';
import type { LedgerEntry } from '../import/ledger.js';
import { defineTool, nextStepsSchema } from './tool.js';

const MAX_LISTED = 50;
const DEFAULT_LISTED = 10;

function describeSource(e: LedgerEntry): string {
  const s = e.source;
  if (s.route === 'urls') return `${s.urls.length} URL(s), e.g. ${s.urls[0] ?? ''}`;
  return `s3://${s.bucket}/${s.prefix} (${s.glob})${s.route === 's3' ? ` as ${s.roleArn}` : ', presigned'}`;
}

export const listImports = defineTool({
  name: 'list_imports',
  title: 'Imports sent from this machine',
  description:
    'The imports sent from this machine (kept across restarts), newest first, with live status and files: to find a batch_id, or before importing again. Example: {"dataset_id": "gs.dataset-1"}',
  input: z
    .object({
      dataset_id: z.string().min(1).max(200).optional(),
      limit: z.number().int().min(1).max(MAX_LISTED).optional().describe(`default ${DEFAULT_LISTED}`),
    })
    .strict(),
  output: z.object({
    imports: z.array(z.looseObject({ batchId: z.string().nullable(), status: z.string() })),
    more: z.boolean(),
    ledger: z.string(),
    nextSteps: nextStepsSchema,
  }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  async handler(args, ctx) {
    const ledger = ledgerFor(ctx.config);
    const all = ledger.entries().filter((e) => !args.dataset_id || e.datasetId === args.dataset_id).reverse();
    const limit = args.limit ?? DEFAULT_LISTED;
    const shown = all.slice(0, limit);
    const imports = await Promise.all(
      shown.map(async (e) => {
        let status = e.outcome === 'refused' ? 'refused' : 'unknown';
        let counts: { insertCount?: number; invalidCount?: number } = {};
        if (e.batchId) {
          try {
            const job = await ctx.client.getBatch(e.batchId, { signal: ctx.signal });
            status = job.status;
            counts = { ...(job.insertCount !== undefined ? { insertCount: job.insertCount } : {}), ...(job.invalidCount !== undefined ? { invalidCount: job.invalidCount } : {}) };
          } catch {
            status = 'unknown (the batch could not be read now)';
          }
        }
        return {
          datasetId: e.datasetId,
          sentAt: e.at,
          batchId: e.batchId ?? null,
          outcome: e.outcome,
          status,
          ...counts,
          route: e.source.route,
          source: describeSource(e),
          files: e.objects ? e.objects.length : e.source.route === 'urls' ? e.source.urls.length : null,
          bytes: e.objects ? e.objects.reduce((n, o) => n + o.size, 0) : null,
          firstKeys: (e.objects?.map((o) => o.key) ?? (e.source.route === 'urls' ? e.source.urls : [])).slice(0, 3),
          ...(e.prepared ? { preparedFrom: { source: e.prepared.from, recipeHash: e.prepared.recipeHash, files: e.prepared.sources.length } } : {}),
          ...(e.detail ? { detail: e.detail } : {}),
        };
      }),
    );
    const nextSteps =
      imports.length === 0
        ? [`No import was sent from this machine${args.dataset_id ? ` into ${args.dataset_id}` : ''} (ledger: ${ledger.file}).`]
        : [
            'Call get_batch with a batchId for its details and rejections.',
            ...(imports.some((i) => i.outcome === 'unknown') ? ['An import whose outcome is unknown may have been received: look for it on the platform before sending it again.'] : []),
          ];
    return { imports, more: all.length > shown.length, ledger: ledger.file, nextSteps };
  },
});
