/** The sandbox's datasets, loaded from a JSON file (default: examples/datasets.json). */
import fs from 'node:fs';
import { z } from 'zod';
import { DatasetSchema, type Dataset } from '../dfi/schemas.js';
import { UserFacingError } from '../errors.js';

export const SandboxDatasetSchema = DatasetSchema.extend({
  /** Sandbox only: what `permissions/me` answers for this dataset (default: read and write). */
  permissions: z.looseObject({ write: z.boolean().optional(), read: z.boolean().optional() }).optional(),
});
export type SandboxDataset = z.infer<typeof SandboxDatasetSchema>;

const FileSchema = z.object({ datasets: z.array(SandboxDatasetSchema) });

export function loadDatasets(file: string): Map<string, SandboxDataset> {
  let raw: string;
  try {
    raw = fs.readFileSync(file, 'utf8');
  } catch {
    throw new UserFacingError('config_error', `the sandbox datasets file ${file} cannot be read.`, {
      hint: 'Give an existing file with --sandbox-datasets, or leave it out to use the bundled example.',
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (err) {
    throw new UserFacingError('config_error', `the sandbox datasets file ${file} is not valid JSON: ${(err as Error).message}`);
  }
  const parsed = FileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UserFacingError('config_error', `the sandbox datasets file ${file} is not of the expected shape at ${issue?.path.join('.') || '(root)'}: ${issue?.message}`, {
      hint: 'It must be {"datasets": [{"id": ..., "dataDescription": {"metadataSchema": {...}}}]}.',
    });
  }
  return new Map(parsed.data.datasets.map((d) => [d.id, d]));
}

/** What the API answers for a dataset: the sandbox-only fields removed. */
export function publicDataset(d: SandboxDataset): Dataset {
  const { permissions: _omit, ...rest } = d;
  return rest;
}
