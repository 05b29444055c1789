/**
 * Dialect detection: which delimiter, whether there is a header, line endings, preamble lines.
 *
 * Chosen by row-shape consistency (the share of rows with the modal number of fields) rather than by
 * counting characters, as DuckDB's sniffer and CleverCSV do; ties go to the comma, the only delimiter
 * the platform reads.
 */
import { readRecords } from './records.js';

export const CANDIDATE_DELIMITERS = [',', ';', '\t', '|'] as const;
const MAX_ROWS = 1000;

export interface Dialect {
  delimiter: string;
  quote: string;
  hasHeader: boolean;
  lineEnding: 'lf' | 'crlf' | 'cr' | 'none';
  /** Lines before the table (not part of the rows), e.g. GeoLife's six. */
  preambleLines: number;
}

/** Fields separated by runs of spaces (NOAA, KITTI, cabspotting): reported as the delimiter " ". */
export const WHITESPACE = ' ';

function splitWhitespace(text: string, maxRows: number): string[][] {
  const out: string[][] = [];
  for (const line of text.split(/\r\n|\n|\r/)) {
    if (out.length >= maxRows) break;
    const t = line.trim();
    if (t) out.push(t.split(/[ \t]+/));
  }
  return out;
}

/** The first `maxRows` records of a text: runs of spaces split as such; otherwise read by the project's one CSV reader (csv/records.ts). */
export function parseRows(text: string, delimiter: string, maxRows = MAX_ROWS): string[][] {
  if (delimiter === WHITESPACE) return splitWhitespace(text, maxRows);
  return readRecords(text, { delimiter }, maxRows);
}

function modalWidth(rows: string[][]): { width: number; share: number } {
  const counts = new Map<number, number>();
  for (const r of rows) counts.set(r.length, (counts.get(r.length) ?? 0) + 1);
  let width = 0;
  let best = 0;
  for (const [w, c] of counts) if (c > best || (c === best && w > width)) [width, best] = [w, c];
  // A shorter row (a header without the data rows' trailing delimiters) fits when the rows of the modal
  // width are empty from its end on.
  let fitting = best;
  for (const [w, c] of counts) {
    if (w >= width || w < 2) continue;
    const modal = rows.filter((r) => r.length === width);
    if (modal.filter((r) => r.slice(w).every((v) => v.trim() === '')).length >= 0.9 * modal.length) fitting += c;
  }
  return { width, share: rows.length ? fitting / rows.length : 0 };
}

function lineEnding(text: string): Dialect['lineEnding'] {
  if (text.includes('\r\n')) return 'crlf';
  if (text.includes('\n')) return 'lf';
  if (text.includes('\r')) return 'cr';
  return 'none';
}

/** Linear (no two quantifiers compete for the same digits: a 65,000-digit value took 10 s before), and length-capped. */
const NUMERIC_RE = /^[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?$/;
const NUMERIC = { test: (v: string) => v.length <= 100 && NUMERIC_RE.test(v) };

/** A first row that is text where the rows below are numbers (or all distinct identifiers) is a header. */
export function looksLikeHeader(rows: string[][]): boolean {
  const [first, ...rest] = rows;
  if (!first || rest.length === 0) return false;
  if (first[0]?.startsWith('#')) return true;
  let textOverNumber = 0;
  let numericInFirst = 0;
  for (let c = 0; c < first.length; c++) {
    const h = first[c]!.trim();
    if (NUMERIC.test(h)) numericInFirst++;
    const below = rest.map((r) => r[c] ?? '').filter((v) => v !== '');
    if (below.length === 0) continue;
    const numericBelow = below.filter((v) => NUMERIC.test(v.trim())).length / below.length;
    if (h !== '' && !NUMERIC.test(h) && numericBelow > 0.9) textOverNumber++;
  }
  if (textOverNumber > 0 && numericInFirst === 0) return true;
  // No numeric column to tell by: a header has no empty cells and no value that repeats below it.
  if (numericInFirst === 0 && first.every((h) => /^[A-Za-z_#][\w .\-()/#]*$/.test(h.trim()))) {
    return first.every((h, c) => !rest.some((r) => r[c] === h));
  }
  return false;
}

/** The longest leading comment block skipped. */
const COMMENT_LINES = 500;

/** Lines of a leading comment block (/* ... *\/ or // lines): 0 when the text starts otherwise. */
function commentBlock(lines: string[]): number {
  let i = 0;
  while (i < lines.length && i < COMMENT_LINES) {
    const t = lines[i]!.trim();
    if (t.startsWith('//')) i++;
    else if (t.startsWith('/*')) {
      let j = i;
      while (j < lines.length && j < COMMENT_LINES && !lines[j]!.includes('*/')) j++;
      if (j >= lines.length || j >= COMMENT_LINES) return 0;
      i = j + 1;
    } else break;
  }
  return i;
}

/** Lines used to choose the dialect: enough to see the table's shape, few enough to try many dialects fast. */
const SNIFF_LINES = 120;
/**
 * And at most this many characters of them (whole lines, or the start of a first line longer than
 * that): each candidate delimiter and preamble parses the head again, and a 4 MiB line of 2 million
 * fields took seconds to parse that many times.
 */
const SNIFF_CHARS = 128 * 1024;

/** The widest table read (infer_csv_format refuses wider rows). */
export const MAX_COLUMNS = 1000;

/**
 * The first lines of a text as `split(/\r\n|\n|\r/)` gives them, without splitting the whole text
 * (4 MiB of line breaks made 4 million strings), with where the text after each one begins.
 */
function firstLines(text: string, max: number): { lines: string[]; next: number[] } {
  const lines: string[] = [];
  const next: number[] = [];
  const br = /\r\n|\n|\r/g;
  let pos = 0;
  while (lines.length < max) {
    br.lastIndex = pos;
    const m = br.exec(text);
    if (!m) {
      lines.push(text.slice(pos));
      next.push(text.length);
      break;
    }
    lines.push(text.slice(pos, m.index));
    pos = m.index + m[0].length;
    next.push(pos);
  }
  return { lines, next };
}

/** The sniffed lines: whole lines up to SNIFF_CHARS, or the start of a first line longer than that. */
function sniffedHead(lines: string[]): string[] {
  const head: string[] = [];
  let size = 0;
  for (const line of lines) {
    if (head.length >= SNIFF_LINES) break;
    if (size + line.length > SNIFF_CHARS) {
      if (head.length === 0) head.push(line.slice(0, SNIFF_CHARS));
      break;
    }
    head.push(line);
    size += line.length + 1;
  }
  return head;
}

export function detectDialect(text: string, forced: { delimiter?: string; hasHeader?: boolean } = {}): { dialect: Dialect; rows: string[][] } {
  const first = firstLines(text, COMMENT_LINES + SNIFF_LINES);
  // A comment block before the table (/* ... */, // lines): skipped whole, however long.
  const block = commentBlock(first.lines);
  const head = [...first.lines.slice(0, block), ...sniffedHead(first.lines.slice(block))];
  let best: { delimiter: string; score: number; preamble: number; rows: string[][] } | undefined;
  const candidates = forced.delimiter ? [forced.delimiter] : CANDIDATE_DELIMITERS;
  for (const delimiter of candidates) {
    // Skip delimiters that do not occur at all: nothing to parse.
    if (!forced.delimiter && !head.some((l) => l.includes(delimiter))) continue;
    // Try a few preamble lengths: a preamble makes the first rows a different shape from the table.
    for (const extra of [0, 1, 2, 3, 4, 5, 6, 7, 8]) {
      const preamble = block + extra;
      // Leave at least one line after the preamble (a one-line sample has no line break after it).
      if (extra > 0 && preamble >= head.length - 1) break;
      const rows = parseRows(head.slice(preamble).join('\n'), delimiter, SNIFF_LINES);
      if (rows.length === 0) continue;
      const { width, share } = modalWidth(rows);
      if (width < 2 && !forced.delimiter) break;
      // Consistency first; wider tables and fewer skipped lines break ties; the comma wins exact ties.
      const score = share * 100 + Math.min(width, 50) * 0.1 - preamble * 0.5 + (delimiter === ',' ? 0.05 : 0);
      if (!best || score > best.score + 1e-9) best = { delimiter, score, preamble, rows };
      if (share === 1) break;
    }
  }
  // No delimiter gives a consistent table: try runs of spaces.
  if (!forced.delimiter && (!best || best.score < 80)) {
    const rows = splitWhitespace(head.join('\n'), SNIFF_LINES);
    const { width, share } = modalWidth(rows);
    const score = share * 100 + Math.min(width, 50) * 0.1 - 1;
    if (width >= 2 && share >= 0.9 && rows.length >= 3 && (!best || score > best.score)) best = { delimiter: WHITESPACE, score, preamble: 0, rows };
  }
  const chosen = best ?? { delimiter: forced.delimiter ?? ',', score: 0, preamble: 0, rows: [] };
  // After a preamble, the rest of the lines joined by \n, as a split and a join would give them.
  const body = chosen.preamble === 0 ? text : text.slice(first.next[chosen.preamble - 1]).replace(/\r\n?/g, '\n');
  // Rows wider than any table read (a 4 MiB line of 2 million fields): the sniffed rows say enough;
  // parsing the whole sample into millions of strings would only take time before the same refusal.
  const rows = chosen.rows.some((r) => r.length > MAX_COLUMNS) ? chosen.rows : parseRows(body, chosen.delimiter, MAX_ROWS);
  const hasHeader = forced.hasHeader ?? looksLikeHeader(rows);
  return {
    dialect: { delimiter: chosen.delimiter, quote: '"', hasHeader, lineEnding: lineEnding(text), preambleLines: chosen.preamble },
    rows,
  };
}
