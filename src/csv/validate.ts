/**
 * Row validation: `compileRowValidator` turns a format and a metadataSchema into one check per mapped
 * column (the value rules are in rules/values.ts), so that validating a row is a handful of
 * comparisons with no allocation on the happy path. Used by bulk validation (csv/bulk.ts and its
 * workers: the sandbox's job runner) and by check_import's source sample (import/check.ts); the
 * preflight checks the format itself, not rows (rules/format.ts).
 */
import type { MetadataSchema, WireCsvFormat } from '../dfi/schemas.js';
import { CORE_VALUE_CHECKS, propertyValueCheck, type ValueCheck, type ValueProblemCode } from '../rules/values.js';

/** Stable codes of why a row is refused. */
export type RowProblemCode = ValueProblemCode | 'too_few_columns';

/** Why a row is refused: a code, the words (`<field> (column <i>) <why>`), and where. */
export interface RowProblem {
  code: RowProblemCode;
  text: string;
  field?: string;
  column?: number;
  /** The refused value as quoted in the text (cut at 40 characters). */
  value?: string;
}

export interface RowValidator {
  /** The highest mapped column index + 1: rows narrower than this are invalid. */
  width: number;
  /** null when the row is valid, otherwise the first reason it is not. */
  validate(fields: readonly string[]): RowProblem | null;
}

/**
 * Builds the validator. Fields of the format that the schema does not know are reported by
 * `formatProblems` (rules/format.ts), not here; here they are accepted.
 */
export function compileRowValidator(format: WireCsvFormat, schema: MetadataSchema): RowValidator {
  const entries: { field: string; index: number; label: string; check: ValueCheck }[] = [];
  for (const [field, index] of Object.entries(format)) {
    // Own properties only: a property named "constructor" or "__proto__" must not find Object's.
    const core = Object.hasOwn(CORE_VALUE_CHECKS, field) ? CORE_VALUE_CHECKS[field] : undefined;
    const prop = Object.hasOwn(schema, field) ? schema[field] : undefined;
    const check: ValueCheck = core ?? (prop ? propertyValueCheck(prop) : () => null);
    entries.push({ field, index, label: `${field} (column ${index})`, check });
  }
  entries.sort((a, b) => a.index - b.index);
  const width = entries.reduce((m, e) => Math.max(m, e.index + 1), 0);
  return {
    width,
    validate(fields) {
      if (fields.length < width) return { code: 'too_few_columns', text: `the row has ${fields.length} columns but the format maps column ${width - 1}` };
      for (const e of entries) {
        const why = e.check(fields[e.index]!);
        if (why !== null) return { code: why.code, text: `${e.label} ${why.text}`, field: e.field, column: e.index, ...(why.value !== undefined ? { value: why.value } : {}) };
      }
      return null;
    },
  };
}
