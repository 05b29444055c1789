/**
 * Problems of a column map (`file_format`) against a dataset's schema: what the preflight reports
 * before sending and what the sandbox refuses with a 400, from one implementation. Each problem has
 * a stable `code`; callers word it for their audience.
 */
import type { MetadataSchema } from '../dfi/schemas.js';
import { ALL_CORE_FIELDS, argumentNameOf, CORE_FIELDS, WIRE_CORE, WIRE_REQUIRED } from './fields.js';

/** The highest column index a format may map (0-based). */
export const MAX_COLUMN = 9_999;

export type FormatProblem =
  /** Errors: the platform would refuse the batch. Field names are written as in the format checked. */
  | { code: 'missing_core_fields'; fields: string[] }
  | { code: 'bad_column_index'; field: string; index: number }
  | { code: 'wire_name'; field: string; write: string }
  | { code: 'unknown_field'; field: string; suggestion: string | undefined }
  | { code: 'core_fields_share_column'; index: number; fields: string[] }
  /** Warnings: allowed, but worth a look. */
  | { code: 'core_field_shares_column'; index: number; core: string; properties: string[] }
  | { code: 'shared_column'; index: number; fields: string[] }
  | { code: 'unmapped_required_properties'; properties: string[] };
export type FormatWarning = Extract<FormatProblem, { code: 'core_field_shares_column' | 'shared_column' | 'unmapped_required_properties' }>;

/** The closest name by edit distance, for "did you mean". */
export function closestName(name: string, candidates: string[]): string | undefined {
  const d = (a: string, b: string) => {
    const row = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      let prev = row[0]!;
      row[0] = i;
      for (let j = 1; j <= b.length; j++) {
        const tmp = row[j]!;
        row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
        prev = tmp;
      }
    }
    return row[b.length]!;
  };
  const best = candidates.map((c) => ({ c, dist: d(name.toLowerCase(), c.toLowerCase()) })).sort((a, b) => a.dist - b.dist)[0];
  return best && best.dist <= Math.max(2, Math.floor(name.length / 3)) ? best.c : undefined;
}

/**
 * Every problem of a column map. `naming`: written as tool arguments write it (`entity_id`), or as
 * the wire does (`entityId`, in a batch request).
 */
export function formatProblems(format: Record<string, number>, schema: MetadataSchema, naming: 'arguments' | 'wire' = 'arguments'): { errors: FormatProblem[]; warnings: FormatWarning[] } {
  const errors: FormatProblem[] = [];
  const warnings: FormatWarning[] = [];
  const core = naming === 'wire' ? WIRE_CORE : ALL_CORE_FIELDS;
  const required = naming === 'wire' ? WIRE_REQUIRED : CORE_FIELDS;
  const missing = required.filter((f) => !Object.hasOwn(format, f));
  if (missing.length) errors.push({ code: 'missing_core_fields', fields: missing });
  for (const [field, index] of Object.entries(format)) {
    if (!Number.isInteger(index) || index < 0 || index > MAX_COLUMN) errors.push({ code: 'bad_column_index', field, index });
  }
  const props = Object.keys(schema);
  for (const field of Object.keys(format)) {
    if (core.has(field) || Object.hasOwn(schema, field)) continue;
    const write = naming === 'arguments' ? argumentNameOf(field) : undefined;
    if (write) errors.push({ code: 'wire_name', field, write });
    else errors.push({ code: 'unknown_field', field, suggestion: closestName(field, [...props, ...core]) });
  }
  const byIndex = new Map<number, string[]>();
  for (const [k, v] of Object.entries(format)) byIndex.set(v, [...(byIndex.get(v) ?? []), k]);
  // Core fields need a column each (longitude and latitude on one column put every point on the
  // diagonal); a property may share a core field's column, but rarely means to.
  const spatial = new Set([...required, naming === 'wire' ? 'altitude' : 'altitude']);
  for (const [index, fields] of byIndex) {
    if (fields.length < 2) continue;
    const cores = fields.filter((n) => spatial.has(n));
    const others = fields.filter((n) => !spatial.has(n));
    if (cores.length > 1) errors.push({ code: 'core_fields_share_column', index, fields: cores });
    else if (cores.length === 1) warnings.push({ code: 'core_field_shares_column', index, core: cores[0]!, properties: others });
    else warnings.push({ code: 'shared_column', index, fields });
  }
  const unmapped = Object.entries(schema).filter(([name, p]) => p.nullable === false && !Object.hasOwn(format, name)).map(([n]) => n);
  if (unmapped.length) warnings.push({ code: 'unmapped_required_properties', properties: unmapped });
  return { errors, warnings };
}
