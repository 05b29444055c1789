/**
 * The sandbox's tally lines: one exact count per cause of rejected rows, written at the end of a
 * job's log (`cause <code>: <n> row(s), ...`) by the sandbox's runner (`RejectionTally.render`) and
 * read back by import/rejections.ts (`parseTally`). The line format is a rule of this project's own
 * platform stand-in: its one home is here, below both.
 */
import type { ValueProblemCode } from './values.js';

/** The codes a row refusal comes with (csv/validate.ts RowProblemCode). */
export type RowCauseCode = ValueProblemCode | 'too_few_columns';

/** A refused row as the validator gives it (csv/validate.ts RowProblem). */
export interface TalliedProblem {
  code: RowCauseCode;
  text: string;
  field?: string;
  column?: number;
  value?: string;
}

/** Stable cause codes (never branch on wording): the validator's (csv/validate.ts), and what the log shows. */
export const CAUSES: Record<RowCauseCode | 'header_line' | 'other_row_problem', string> = {
  header_line: 'a header line (the importer reads every line as data)',
  not_epoch_ms: 'the time is not epoch milliseconds',
  time_out_of_range: 'the time is outside 1970-01-01..2038-01-19',
  not_a_number: 'not a number',
  out_of_range: 'outside the allowed range',
  not_an_integer: 'not a 32-bit integer',
  not_ipv4: 'not an IPv4 address',
  not_in_enum: "not one of the enum's values",
  empty_value: 'empty where a value is required',
  too_few_columns: 'fewer columns than the format maps',
  other_row_problem: 'another problem with the row',
};
export type CauseCode = keyof typeof CAUSES;

export interface RejectedRow {
  file: string;
  line: number;
  code: CauseCode;
  field?: string;
  column?: number;
  value?: string;
  text: string;
}

const HEADER_CAUSES = new Set<CauseCode>(['not_epoch_ms', 'not_a_number', 'not_an_integer', 'not_ipv4']);

/** A value that reads as a column name rather than data: on line 1, the line is a header. */
function looksLikeName(v: string): boolean {
  return /^[\p{L}_#"][\p{L}\p{N}_ .#()/-]{0,60}$/u.test(v) && !/^[+-]?\d/.test(v);
}

/**
 * Line 1 whose value is a name where a number, a time or an address belongs: a header. (An enum
 * value is name-like by nature, so a bad enum value on line 1 is not taken for a header.)
 */
export function headerOr(code: CauseCode, line: number, value: string | undefined): CauseCode {
  return line === 1 && value !== undefined && HEADER_CAUSES.has(code) && looksLikeName(value) ? 'header_line' : code;
}

export const MAX_EXAMPLES = 3;
export const MAX_VALUES = 5;
export const TALLY_PREFIX = 'cause ';

export const groupKey = (r: { code: string; field?: string | undefined; column?: number | undefined }) => `${r.code}\u0000${r.field ?? ''}\u0000${r.column ?? ''}`;

/**
 * Exact counts by cause while rows are validated (the sandbox's runner): bounded memory (examples and
 * values per cause are capped), whatever the number of rejected rows.
 */
export class RejectionTally {
  readonly #groups = new Map<string, { row: RejectedRow; count: number; values: Map<string, number>; examples: RejectedRow[] }>();

  /** A row the validator refused: its code comes with it (csv/validate.ts), never read back from the words. */
  add(file: string, line: number, problem: TalliedProblem): void {
    const r: RejectedRow = {
      file,
      line,
      code: headerOr(problem.code, line, problem.value),
      ...(problem.field !== undefined ? { field: problem.field, column: problem.column! } : {}),
      ...(problem.value !== undefined ? { value: problem.value } : {}),
      text: `${file} line ${line}: ${problem.text}`,
    };
    const k = groupKey(r);
    let g = this.#groups.get(k);
    if (!g) {
      if (this.#groups.size >= 200) return;
      g = { row: r, count: 0, values: new Map(), examples: [] };
      this.#groups.set(k, g);
    }
    g.count++;
    if (g.examples.length < MAX_EXAMPLES) g.examples.push(r);
    if (r.value !== undefined && r.code !== 'header_line' && (g.values.size < 50 || g.values.has(r.value))) g.values.set(r.value, (g.values.get(r.value) ?? 0) + 1);
  }

  get size(): number {
    return this.#groups.size;
  }

  /** One line per cause: `cause not_in_enum: 48 row(s), transportation_mode (column 9), values "x" ×46, "y" ×2; e.g. a.csv line 3`. */
  render(): string[] {
    return [...this.#groups.values()]
      .sort((a, b) => b.count - a.count)
      .map((g) => {
        const where = g.row.field !== undefined ? `, ${g.row.field} (column ${g.row.column})` : '';
        const values = [...g.values.entries()].sort((a, b) => b[1] - a[1]).slice(0, MAX_VALUES);
        const vals = values.length ? `, values ${values.map(([v, n]) => `${JSON.stringify(v)} ×${n}`).join(', ')}` : '';
        return `${TALLY_PREFIX}${g.row.code}: ${g.count} row(s)${where}${vals}; e.g. ${g.examples.map((e) => `${e.file} line ${e.line}`).join(', ')}`;
      });
  }
}

const TALLY_RE = /^cause ([a-z_]+): (\d+) row\(s\)(?:, ([^\s()]+) \(column (\d+)\))?(?:, values (.*?))?; e\.g\. (.*)$/;

export function parseTally(text: string): { code: CauseCode; count: number; field?: string; column?: number; values: { value: string; count: number }[] } | undefined {
  const m = TALLY_RE.exec(text);
  if (!m || !(m[1]! in CAUSES)) return undefined;
  const values: { value: string; count: number }[] = [];
  for (const v of (m[5] ?? '').matchAll(/("(?:[^"\\]|\\.)*") ×(\d+)/g)) {
    try {
      values.push({ value: JSON.parse(v[1]!) as string, count: Number(v[2]) });
    } catch {
      // not ours
    }
  }
  return { code: m[1] as CauseCode, count: Number(m[2]), ...(m[3] ? { field: m[3], column: Number(m[4]) } : {}), values };
}
