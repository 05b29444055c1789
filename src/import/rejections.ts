/**
 * Rejections summarised by cause, from a job's log: what a person needs to decide, instead of the
 * first twenty raw lines.
 *
 * The platform's log format is not documented. What is recognised (the sandbox's lines, which follow
 * `<file> line <n>: <field> (column <i>) <why>`) is summarised by a stable cause code; every other
 * line is kept verbatim in `unrecognised`, never lost. The sandbox also writes exact tallies
 * (`cause <code>: <n> row(s), ...` lines: their format and `RejectionTally` live in rules/rejection-tally.ts), since its raw lines stop at
 * twenty: when present they give the counts, and the summary says they are exact.
 */

import { CAUSES, groupKey, headerOr, MAX_EXAMPLES, MAX_VALUES, parseTally, TALLY_PREFIX, type CauseCode, type RejectedRow } from '../rules/rejection-tally.js';

export const FILE_PROBLEMS = {
  file_unreadable: 'a file could not be read',
  format_does_not_fit: 'most rows have fewer columns than the format maps',
  no_file_matched: 'no file matched the source',
} as const;
export type FileProblemCode = keyof typeof FILE_PROBLEMS;

const ROW_RE = /^(.+?) line (\d+): (.*)$/;
const FIELD_RE = /^([^\s()]+) \(column (\d+)\) (.*)$/;
const VALUE_RE = /^("(?:[^"\\]|\\.)*")/;
const MAX_UNRECOGNISED = 20;

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
