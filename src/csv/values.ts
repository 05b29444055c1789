/**
 * What a column's values say: their type, numeric range, and, for times, the encoding and how to
 * convert it to what the importer expects (epoch milliseconds).
 */
import { isDecimal, isInteger, isIPv4 } from '../rules/values.js';

export type ValueType =
  | 'empty'
  | 'integer'
  | 'decimal'
  | 'uuid'
  | 'hexid'
  | 'ipv4'
  | 'datetime'
  | 'date'
  | 'time'
  | 'boolean'
  | 'point'
  | 'pair'
  | 'json'
  | 'string';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const HEXID_RE = /^(?=.*[a-f])[0-9a-f]{6}$|^[0-9a-f]{16,128}$/i;
const DEC_COMMA_RE = /^[+-]?\d+,\d+$/;
const POINT_RE = /^\s*(?:SRID=\d+;)?POINT\s*Z?\s*\(\s*-?\d+(?:\.\d+)?\s+-?\d+(?:\.\d+)?(?:\s+-?\d+(?:\.\d+)?)?\s*\)\s*$/i;
/** Matched on the trimmed value; no two `\s*` compete for the same spaces (a 1 MB value of spaces ran over 120 s before). */
const PAIR_RE = /^\(?\s*-?\d{1,3}\.\d+(?:\s*[,;]\s*|\s+)-?\d{1,3}\.\d+(?:\s*\))?$/;
/** Values longer than this are text: no number, date, id or point is this long, and no pattern runs over them. */
export const MAX_CLASSIFIED_CHARS = 256;

/** English month names and abbreviations, for dates like 14 June 2023 and Jun 14, 2023. */
const MONTH_NAME = '(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)';
export const DATETIME_FORMATS: { re: RegExp; label: string }[] = [
  { re: /^\d{4}-\d{1,2}-\d{1,2}[T ]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?$/i, label: 'ISO 8601 date-time' },
  { re: /^\d{4}\/\d{1,2}\/\d{1,2}[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?$/, label: 'yyyy/mm/dd date-time' },
  { re: /^\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s*[AP]M)?$/i, label: 'day/month or month/day date-time' },
  { re: /^[A-Z][a-z]{2} [A-Z][a-z]{2} \d{1,2} \d{2}:\d{2}:\d{2} [+-]\d{4} \d{4}$/, label: 'Twitter-style date-time' },
  { re: /^[A-Z][a-z]{2}, \d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}(?::\d{2})?(?: (?:GMT|UTC|[+-]\d{4}))?$/, label: 'RFC 2822 date-time' },
  { re: /^\d{8}[T ]?\d{6}(?:Z|[+-]\d{2}:?\d{2})?$/, label: 'compact yyyymmddhhmmss' },
  { re: /^\d{4}-\d{1,2}-\d{1,2}[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*[AP]M$/i, label: 'ISO date with a 12-hour time' },
  { re: /^\d{4}\.\d{1,2}\.\d{1,2}[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?$/, label: 'yyyy.mm.dd date-time' },
  { re: /^\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s+(?:\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|\d{4}-\d{1,2}-\d{1,2})$/, label: 'time-first date-time (hh:mm:ss date)' },
  { re: new RegExp(`^(?:\\d{1,2}[ -]${MONTH_NAME}\\.?[ -]\\d{4}|${MONTH_NAME}\\.? \\d{1,2},? \\d{4})[ T,]+\\d{1,2}:\\d{2}(?::\\d{2}(?:\\.\\d+)?)?(?:\\s*[AP]M)?(?:\\s*(?:Z|UTC|GMT|[+-]\\d{2}:?\\d{2}))?$`, 'i'), label: 'month-name date-time' },
  { re: /^\d{8} \d{2}:\d{2}(?::\d{2})?$/, label: 'yyyymmdd hh:mm:ss' },
  { re: /^\d{1,2}:\d{2}:\d{2}(?:\.\d+)? \d{1,2}-[A-Za-z]{3}-\d{4}$/, label: 'hh:mm:ss dd-Mon-yyyy' },
  { re: /^\d{1,2}[- ][A-Za-z]{3}[- ]\d{4}[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?$/, label: 'dd-Mon-yyyy hh:mm:ss' },
  { re: /^[A-Z][a-z]{2} [A-Z][a-z]{2} \d{1,2} \d{2}:\d{2}:\d{2} (?:[A-Z]{3,4}|GMT[+-]\d{2}:?\d{2}) \d{4}$/, label: 'Java Date.toString date-time' },
  { re: /^\/Date\(-?\d{1,15}(?:[+-]\d{4})?\)\/$/, label: 'Microsoft JSON date (epoch milliseconds inside /Date(...)/)' },
];
/** 2023-06-14, 14/06/2023, 2023/06/14, 14 June 2023, 14-Jun-2023, June 14, 2023. */
const DATE_RE = new RegExp(
  `^(?:\\d{4}-\\d{1,2}-\\d{1,2}|\\d{1,2}[/.-]\\d{1,2}[/.-]\\d{4}|\\d{4}\\/\\d{1,2}\\/\\d{1,2}|\\d{1,2}[ -]${MONTH_NAME}\\.?[ -]\\d{4}|${MONTH_NAME}\\.? \\d{1,2},? \\d{4})$`,
  'i',
);
const TIME_RE = /^\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?$/;

export function parseNumber(v: string, decimalComma: boolean): number | null {
  if (v.length > MAX_CLASSIFIED_CHARS) return null;
  if (isDecimal(v)) return Number(v);
  if (decimalComma && DEC_COMMA_RE.test(v)) return Number(v.replace(',', '.'));
  return null;
}

export function classifyValues(values: string[], decimalComma: boolean): ValueType {
  if (values.length === 0) return 'empty';
  if (values.some((v) => v.length > MAX_CLASSIFIED_CHARS)) return 'string';
  const all = (f: (v: string) => boolean) => values.every(f);
  if (all(isInteger)) return 'integer';
  if (all((v) => parseNumber(v, decimalComma) !== null)) return 'decimal';
  if (all((v) => UUID_RE.test(v))) return 'uuid';
  if (all((v) => HEXID_RE.test(v))) return 'hexid';
  if (all(isIPv4)) return 'ipv4';
  if (all((v) => DATETIME_FORMATS.some((f) => f.re.test(v)))) return 'datetime';
  if (all((v) => DATE_RE.test(v))) return 'date';
  if (all((v) => TIME_RE.test(v))) return 'time';
  if (all((v) => /^(true|false)$/i.test(v))) return 'boolean';
  if (all((v) => POINT_RE.test(v))) return 'point';
  if (all((v) => PAIR_RE.test(v.trim()))) return 'pair';
  if (all((v) => /^\s*[[{]/.test(v))) return 'json';
  return 'string';
}

export function datetimeLabel(v: string): string {
  return DATETIME_FORMATS.find((f) => f.re.test(v))?.label ?? 'date-time text';
}

export type EpochUnit = 's' | 'ms' | 'us' | 'ns';
/** Epoch unit by magnitude, for values between 1973 and 2038. */
export function epochUnit(min: number, max: number): EpochUnit | null {
  const fits = (lo: number, hi: number) => min >= lo && max <= hi;
  if (fits(1e8, 2.2e9)) return 's';
  if (fits(1e11, 2.2e12)) return 'ms';
  if (fits(1e14, 2.2e15)) return 'us';
  if (fits(1e17, 2.2e18)) return 'ns';
  return null;
}
export const EPOCH_TO_MS: Record<EpochUnit, string> = {
  s: 'epoch seconds: multiply by 1000',
  ms: 'epoch milliseconds: what the importer expects',
  us: 'epoch microseconds: divide by 1000',
  ns: 'epoch nanoseconds: divide by 1,000,000',
};

/** Cells that mean "no value" in exports (R, pandas, SQL dumps, spreadsheets). */
export const NA_VALUES = new Set(['', 'na', 'n/a', 'nan', 'null', 'none', 'nil', '-', '--', '?', '#n/a', 'missing', '-999', '-9999', '99999']);

export interface ShareClass {
  type: ValueType;
  /** Share of the values that are of that type (1 when all are). */
  share: number;
  /** A few values that are not (for the evidence). */
  unparsed: string[];
}

/**
 * The share of n values that must be of one type (or in range) for the column to count as that type:
 * 90%, but in a small sample all values but one (5 of 6), so that one bad row of a tiny file does not
 * make a column of times or coordinates into text. Below 4 values, all must.
 */
export function shareFloor(n: number): number {
  if (n < 4) return 1;
  return Math.min(0.9, (n - 1) / n);
}

/**
 * The type most values have: a column is classified by the share that parses (at least 90%), so that
 * one stray value does not make a column of numbers or dates into text; dates and date-times mixed in
 * one column are date-times; 6-digit hex addresses count as hex even when some are all digits.
 */
export function classifyByShare(values: string[], decimalComma: boolean): ShareClass {
  const all = classifyValues(values, decimalComma);
  if (all !== 'string' || values.length === 0) return { type: all, share: 1, unparsed: [] };
  if (values.every((v) => /^[0-9a-f]{6}$/i.test(v))) return { type: 'hexid', share: 1, unparsed: [] };
  // Most text columns are text through and through: a look at a few values says so without reading them all.
  const probe = values.slice(0, 20).filter((v) => classifyValues([v], decimalComma) !== 'string').length;
  if (probe < Math.min(20, values.length) * 0.7) return { type: 'string', share: 1, unparsed: [] };
  const counts = new Map<ValueType, number>();
  const kinds: ValueType[] = [];
  for (const v of values) {
    const k = classifyValues([v], decimalComma);
    kinds.push(k);
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  const n = values.length;
  const c = (t: ValueType) => counts.get(t) ?? 0;
  const options: [ValueType, number][] = [
    ['integer', c('integer')],
    ['decimal', c('integer') + c('decimal')],
    ['datetime', c('datetime') >= 0.3 * n ? c('datetime') + c('date') : c('datetime')],
    ['date', c('date')],
    ['uuid', c('uuid')],
    ['hexid', c('hexid')],
    ['time', c('time')],
  ];
  for (const [type, count] of options) {
    if (count / n >= shareFloor(n)) {
      const fits = (k: ValueType) => k === type || (type === 'decimal' && k === 'integer') || (type === 'datetime' && k === 'date');
      return { type, share: count / n, unparsed: [...new Set(values.filter((_, i) => !fits(kinds[i]!)))].slice(0, 3) };
    }
  }
  return { type: 'string', share: 1, unparsed: [] };
}

const COMPACT_LABELS: Record<number, string> = { 8: 'yyyymmdd', 10: 'yyyymmddhh', 12: 'yyyymmddhhmm', 14: 'yyyymmddhhmmss' };

/**
 * Dates written as digits (20230614, 2023061412, 20230614073012): every value the same length, a
 * real calendar date between 1900 and 2100 and a real time of day. Null when any value is not.
 */
export function compactDate(values: string[]): { label: string; date: boolean } | null {
  if (values.length === 0) return null;
  const len = values[0]!.length;
  const label = COMPACT_LABELS[len];
  if (!label) return null;
  for (const v of values) {
    if (v.length !== len || !/^\d+$/.test(v)) return null;
    const y = +v.slice(0, 4);
    const mo = +v.slice(4, 6);
    const d = +v.slice(6, 8);
    if (y < 1900 || y > 2100 || mo < 1 || mo > 12 || d < 1 || d > 31) return null;
    if (len >= 10 && +v.slice(8, 10) > 23) return null;
    if (len >= 12 && +v.slice(10, 12) > 59) return null;
    if (len >= 14 && +v.slice(12, 14) > 59) return null;
  }
  return { label, date: len === 8 };
}
