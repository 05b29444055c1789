/** What infer_csv_format computes from a sample: run in a worker thread by infer-off-thread.ts. */
import type { MetadataSchema } from '../dfi/schemas.js';
import { proposeRecipe, type Proposal } from '../prepare/propose.js';
import { samplePreview, type SamplePreview } from '../preview/sample-preview.js';
import { inferCsvFormat, type InferOptions, type InferResult } from '../csv/infer.js';
import type { Sample } from '../csv/sample.js';

export interface AnalyseInput {
  sample: Sample;
  options: InferOptions;
  metadataSchema?: MetadataSchema;
  preview: boolean;
  /** The prepare_files proposal too (default true). */
  recipe?: boolean;
}

export interface Analysis {
  result: InferResult;
  proposal: Proposal | null;
  preview: SamplePreview | null;
}

/** The work itself, on whichever thread calls it. */
export function analyseSample(input: AnalyseInput): Analysis {
  const result = inferCsvFormat(input.sample, input.options);
  return {
    result,
    proposal: input.recipe === false ? null : proposeRecipe(input.sample, result, input.metadataSchema),
    preview: samplePreview(input.sample, result, input.preview),
  };
}

