/**
 * Rejections summarised by cause, from a job's log: what a person needs to decide, instead of the
 * first twenty raw lines.
 *
 * The platform's log format is not documented. What is recognised (the sandbox's lines, which follow
 * `<file> line <n>: <field> (column <i>) <why>`) is summarised by a stable cause code; every other
 * line is kept verbatim in `unrecognised`, never lost. The sandbox also writes exact tallies
 * (`cause <code>: <n> row(s), ...` lines, made by `RejectionTally.render`), since its raw lines stop at
 * twenty: when present they give the counts, and the summary says they are exact.
 */

import type { RowProblemCode, RowProblem } from '../csv/validate.js';

/** Stable cause codes (never branch on wording): the validator's (csv/validate.ts), and what the log shows. */
export const CAUSES: Record<RowProblemCode | 'header_line' | 'other_row_problem', string> = {
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

export const FILE_PROBLEMS = {
  file_unreadable: 'a file could not be read',
  format_does_not_fit: 'most rows have fewer columns than the format maps',
  no_file_matched: 'no file matched the source',
} as const;
export type FileProblemCode = keyof typeof FILE_PROBLEMS;

export interface RejectedRow {
  file: string;
  line: number;
  code: CauseCode;
  field?: string;
  column?: number;
  value?: string;
  text: string;
}

const ROW_RE = /^(.+?) line (\d+): (.*)$/;
const FIELD_RE = /^([^\s()]+) \(column (\d+)\) (.*)$/;
const VALUE_RE = /^("(?:[^"\\]|\\.)*")/;

/**
 * The cause of a rejected row as a log line words it. A job log is text from the platform, with no
 * codes: reading its words is all there is. (The sandbox's own counts never come through here: its
 * runner hands `RejectionTally.add` the validator's code.)
 */
function causeOf(why: string): CauseCode {
  if (/^the row has \d+ columns but the format maps column/.test(why)) return 'too_few_columns';
  if (/ is not epoch milliseconds/.test(why)) return 'not_epoch_ms';
  if (/ is outside 1970-01-01\.\.2038-01-19/.test(why)) return 'time_out_of_range';
  if (/ is not one of the enum's values$/.test(why)) return 'not_in_enum';
  if (/ is not an IPv4 address$/.test(why)) return 'not_ipv4';
  if (/ is not an? (?:un)?signed 32-bit integer$/.test(why)) return 'not_an_integer';
  if (/ is not a number$/.test(why)) return 'not_a_number';
  if (/ is outside /.test(why)) return 'out_of_range';
  if (/^is empty/.test(why)) return 'empty_value';
  return 'other_row_problem';
}

const HEADER_CAUSES = new Set<CauseCode>(['not_epoch_ms', 'not_a_number', 'not_an_integer', 'not_ipv4']);

/** A value that reads as a column name rather than data: on line 1, the line is a header. */
function looksLikeName(v: string): boolean {
  return /^[\p{L}_#"][\p{L}\p{N}_ .#()/-]{0,60}$/u.test(v) && !/^[+-]?\d/.test(v);
}

/** One log line of a rejected row, or undefined when it is not one (as far as can be told). */
export function parseRejectedRow(text: string): RejectedRow | undefined {
  const m = ROW_RE.exec(text);
  if (!m) return undefined;
  const [, file, line, rest] = m;
  const f = FIELD_RE.exec(rest!);
  const lineNo = Number(line);
  if (!f) {
    const code = causeOf(rest!);
    return code === 'other_row_problem' ? undefined : { file: file!, line: lineNo, code, text };
  }
  const [, field, column, why] = f;
  let value: string | undefined;
  const v = VALUE_RE.exec(why!);
  if (v) {
    try {
      value = JSON.parse(v[1]!) as string;
    } catch {
      value = v[1]!.slice(1, -1);
    }
  }
  return { file: file!, line: lineNo, code: headerOr(causeOf(why!), lineNo, value), field: field!, column: Number(column), ...(value !== undefined ? { value } : {}), text };
}

/**
 * Line 1 whose value is a name where a number, a time or an address belongs: a header. (An enum
 * value is name-like by nature, so a bad enum value on line 1 is not taken for a header.)
 */
function headerOr(code: CauseCode, line: number, value: string | undefined): CauseCode {
  return line === 1 && value !== undefined && HEADER_CAUSES.has(code) && looksLikeName(value) ? 'header_line' : code;
}

function fileProblemOf(text: string): { code: FileProblemCode; file?: string } | undefined {
  if (/^no file matched the source/.test(text)) return { code: 'no_file_matched' };
  let m = /^(.+?): could not be read: /.exec(text);
  if (m) return { code: 'file_unreadable', file: m[1]! };
  m = /^(.+?): most rows have fewer columns than the format maps/.exec(text);
  if (m) return { code: 'format_does_not_fit', file: m[1]! };
  if (/^the source could not be listed: /.test(text)) return { code: 'file_unreadable' };
  return undefined;
}

export type CauseSummary = {
  code: CauseCode;
  /** What the code means, in words. */
  means: string;
  field?: string;
  column?: number;
  count: number;
  /** For values that were refused (enum, numbers): the most frequent ones, with counts. */
  values?: { value: string; count: number }[];
  examples: { file: string; line: number; text: string }[];
}

export type RejectionSummary = {
  /** Rows rejected: the job's invalidCount when known. */
  rejectedRows: number | null;
  /** true when the counts by cause cover every rejected row (exact tallies); false: from the log's lines only. */
  exact: boolean;
  causes: CauseSummary[];
  fileProblems: { code: FileProblemCode; means: string; file?: string; text: string }[];
  /** Log lines not recognised, verbatim (at most 20). */
  unrecognised: string[];
  /** Rejected rows the log leaves out ("... and N more"), when it says so. */
  notShown: number;
}

const MAX_EXAMPLES = 3;
const MAX_VALUES = 5;
const MAX_UNRECOGNISED = 20;
const TALLY_PREFIX = 'cause ';

const groupKey = (r: { code: string; field?: string | undefined; column?: number | undefined }) => `${r.code}\u0000${r.field ?? ''}\u0000${r.column ?? ''}`;

/**
 * Exact counts by cause while rows are validated (the sandbox's runner): bounded memory (examples and
 * values per cause are capped), whatever the number of rejected rows.
 */
export class RejectionTally {
  readonly #groups = new Map<string, { row: RejectedRow; count: number; values: Map<string, number>; examples: RejectedRow[] }>();

  /** A row the validator refused: its code comes with it (csv/validate.ts), never read back from the words. */
  add(file: string, line: number, problem: RowProblem): void {
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

function parseTally(text: string): { code: CauseCode; count: number; field?: string; column?: number; values: { value: string; count: number }[] } | undefined {
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

/** The log as lines, whatever shape the platform gave it (string, list, object). */
export function logLines(log: unknown): string[] {
  if (log === null || log === undefined) return [];
  if (typeof log === 'string') return log.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (Array.isArray(log)) return log.flatMap((l) => logLines(typeof l === 'string' ? l : JSON.stringify(l)));
  return [JSON.stringify(log)];
}

/** Summarises a job's log by cause. */
export function summariseRejections(log: unknown, invalidCount?: number): RejectionSummary {
  const groups = new Map<string, CauseSummary & { valueCounts: Map<string, number> }>();
  const tallies: NonNullable<ReturnType<typeof parseTally>>[] = [];
  const out: RejectionSummary = { rejectedRows: invalidCount ?? null, exact: false, causes: [], fileProblems: [], unrecognised: [], notShown: 0 };
  for (const text of logLines(log)) {
    const tally = text.startsWith(TALLY_PREFIX) ? parseTally(text) : undefined;
    if (tally) {
      tallies.push(tally);
      continue;
    }
    const more = /^\.\.\. and (\d+) more rejected rows?$/.exec(text);
    if (more) {
      out.notShown += Number(more[1]);
      continue;
    }
    const fp = fileProblemOf(text);
    if (fp) {
      out.fileProblems.push({ ...fp, means: FILE_PROBLEMS[fp.code], text });
      continue;
    }
    const row = parseRejectedRow(text);
    if (!row) {
      if (out.unrecognised.length < MAX_UNRECOGNISED) out.unrecognised.push(text);
      continue;
    }
    const k = groupKey(row);
    let g = groups.get(k);
    if (!g) {
      g = { code: row.code, means: CAUSES[row.code], ...(row.field !== undefined ? { field: row.field, column: row.column! } : {}), count: 0, examples: [], valueCounts: new Map() };
      groups.set(k, g);
    }
    g.count++;
    if (g.examples.length < MAX_EXAMPLES) g.examples.push({ file: row.file, line: row.line, text: row.text });
    if (row.value !== undefined && row.code !== 'header_line') g.valueCounts.set(row.value, (g.valueCounts.get(row.value) ?? 0) + 1);
  }
  if (tallies.length) {
    // Exact counts from the tallies; examples from the raw lines where they exist.
    out.exact = true;
    for (const t of tallies) {
      const k = groupKey(t);
      const g = groups.get(k);
      groups.set(k, {
        code: t.code,
        means: CAUSES[t.code],
        ...(t.field !== undefined ? { field: t.field, column: t.column! } : {}),
        count: t.count,
        examples: g?.examples ?? [],
        valueCounts: new Map(t.values.map((v) => [v.value, v.count])),
      });
    }
    for (const [k, g] of groups) if (!tallies.some((t) => groupKey(t) === k)) groups.delete(k);
  }
  out.causes = [...groups.values()]
    .sort((a, b) => b.count - a.count)
    .map(({ valueCounts, ...g }) => {
      const values = [...valueCounts.entries()].sort((a, b) => b[1] - a[1]).slice(0, MAX_VALUES).map(([value, count]) => ({ value, count }));
      return values.length ? { ...g, values } : g;
    });
  return out;
}

/** "6 header lines; 48 rows with transportation_mode (column 9) not one of the enum's values ("x" ×48)". */
export function describeCause(c: CauseSummary): string {
  if (c.code === 'header_line') return `${c.count} header line${c.count === 1 ? '' : 's'}`;
  const vals = c.values?.length ? ` (${c.values.slice(0, 3).map((v) => `${JSON.stringify(v.value)} ×${v.count}`).join(', ')})` : '';
  if (c.code === 'not_in_enum') return `${c.count} row(s) with ${c.field} (column ${c.column}) not one of the enum's values${vals}`;
  return `${c.count} row(s): ${c.field !== undefined ? `${c.field} (column ${c.column}) ` : ''}${c.means}${vals}`;
}

/** The top causes in words, for warnings and next steps. */
export function topCauses(s: RejectionSummary, n = 3): string {
  const parts = s.causes.slice(0, n).map(describeCause);
  if (s.causes.length > n) parts.push(`and ${s.causes.length - n} more cause(s)`);
  if (!parts.length && s.fileProblems.length) parts.push(...s.fileProblems.slice(0, n).map((p) => p.text));
  if (!parts.length && s.unrecognised.length) parts.push(`see the log: ${s.unrecognised[0]}`);
  return parts.join('; ');
}
