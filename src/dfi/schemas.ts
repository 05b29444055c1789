/**
 * The platform's wire format (see shared/dfi-import-api.md), as zod schemas.
 *
 * Responses are parsed as leniently as the platform's own client (dfipy) reads them, which accepts
 * any JSON object: unknown fields are kept (looseObject), every field the tools can do without is
 * optional, ids may be numbers, times may be epoch numbers, counts may be null. What is missing is
 * said where it matters (e.g. a dry run without an id), never a reason to fail.
 */
import { z } from 'zod';

/** An id as a string, whether sent as a string or a number. */
const Id = z.union([z.string(), z.number()]).transform(String);
/** A count; null is read as absent. */
const Count = z
  .number()
  .nullable()
  .optional()
  .transform((v) => v ?? undefined);
/** A time as ISO 8601: strings are kept, epoch numbers (seconds or milliseconds) converted. */
const Time = z
  .union([z.string(), z.number()])
  .nullable()
  .optional()
  .transform((v) => (typeof v === 'number' && Number.isFinite(v) ? new Date(v < 1e11 ? v * 1000 : v).toISOString() : (v as string | null | undefined)));

export const MetadataPropertySchema = z.looseObject({
  type: z.string(),
  nullable: z.boolean().optional(),
  signed: z.boolean().optional(),
  values: z.array(z.string()).optional(),
});
export type MetadataProperty = z.infer<typeof MetadataPropertySchema>;
export const MetadataSchemaSchema = z.record(z.string(), MetadataPropertySchema);
export type MetadataSchema = z.infer<typeof MetadataSchemaSchema>;

export const DatasetSchema = z.looseObject({
  id: Id,
  name: z.string().optional(),
  description: z.string().nullable().optional(),
  dataDescription: z
    .looseObject({ metadataSchema: MetadataSchemaSchema.nullable().optional() })
    .nullable()
    .optional(),
});
export type Dataset = z.infer<typeof DatasetSchema>;

export const DatasetListSchema = z.union([
  z.array(DatasetSchema),
  z.looseObject({ datasets: z.array(DatasetSchema) }).transform((o) => o.datasets),
]);

export const PermissionsSchema = z.looseObject({ write: z.boolean().optional(), read: z.boolean().optional() });
export type Permissions = z.infer<typeof PermissionsSchema>;

/** `credentials` is a subset of STS AssumeRole; the platform supplies the ExternalId itself. */
export const WireCredentialsSchema = z.object({
  RoleArn: z.string(),
  /** A session policy document (JSON object), as dfipy sends it. */
  Policy: z.record(z.string(), z.unknown()).optional(),
  /** Managed session policy ARNs. */
  PolicyArns: z.array(z.string()).optional(),
});

export const WireS3SourceSchema = z.object({
  s3: z.object({
    bucket: z.string(),
    prefix: z.string().optional(),
    glob: z.string(),
    credentials: WireCredentialsSchema,
  }),
});
export const WireUrlsSourceSchema = z.object({ urls: z.array(z.string()).min(1) });
export const WireSourceSchema = z.union([WireS3SourceSchema, WireUrlsSourceSchema]);
export type WireSource = z.infer<typeof WireSourceSchema>;

/** `format.csv`: field name -> 0-based column index. */
export const WireCsvFormatSchema = z.record(z.string(), z.number().int().nonnegative());
export type WireCsvFormat = z.infer<typeof WireCsvFormatSchema>;

export const BatchRequestSchema = z.object({
  datasetId: z.string().min(1),
  source: WireSourceSchema,
  format: z.object({ csv: WireCsvFormatSchema }),
});
export type BatchRequest = z.infer<typeof BatchRequestSchema>;

/** `dryRun` query value: true, false, or a row count. */
export type DryRun = boolean | number;

export const JobSchema = z.looseObject({
  /** A dry run's answer, or a PATCH's, may come without one. */
  id: Id.optional(),
  datasetId: Id.optional(),
  format: z.unknown().optional(),
  source: z.unknown().optional(),
  /** "unknown" when the answer says nothing. */
  status: z
    .string()
    .nullable()
    .optional()
    .transform((s) => s ?? 'unknown'),
  insertCount: Count,
  invalidCount: Count,
  /** Shape undocumented: kept as the platform sends it. */
  log: z.unknown().optional(),
  addedAt: Time,
  deletedAt: Time,
});
export type Job = z.infer<typeof JobSchema>;

export const StatusUpdateSchema = z.looseObject({
  status: z.string(),
  insertCount: Count,
  invalidCount: Count,
  addedAt: Time,
});
export type StatusUpdate = z.infer<typeof StatusUpdateSchema>;
export const StatusListSchema = z.array(StatusUpdateSchema);

/** Statuses after which a job no longer changes. `success` is a dry run's good answer. */
export const TERMINAL_STATUSES = new Set(['finished', 'error', 'aborted', 'success', 'failed', 'cancelled']);
export function isTerminal(status: string): boolean {
  return TERMINAL_STATUSES.has(status.toLowerCase());
}

/**
 * How deeply a JSON value nests, counted without recursion (so that a hostile 50,000-deep document
 * cannot overflow the stack), stopping once `limit` is passed.
 */
export function jsonDepthOver(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (!v || typeof v !== 'object') continue;
    if (d > limit) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) if (child && typeof child === 'object') stack.push([child, d + 1]);
  }
  return false;
}

/** The deepest JSON a request may carry (an IAM policy nests 4 or 5 levels). */
export const MAX_JSON_DEPTH = 32;
