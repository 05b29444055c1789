/**
 * Times as files write them -> epoch milliseconds (what the importer reads).
 *
 * Local times (no offset in the value) need a time zone: an IANA name or a fixed offset. Nothing is
 * read as UTC unless the recipe says "UTC". Wall-clock times are turned into instants with the zone's
 * offset, looked up through Intl once per zone and hour and cached: a million rows cost a few
 * thousand lookups. A wall time that does not exist (spring forward) or exists twice (fall back)
 * takes the offset in force before the change, as java.time and Temporal's "compatible" do.
 */

import { fastDmy, fastInt, fastIso, fastOffset } from './fast.js';

export const TIME_FORMATS = ['epoch_s', 'epoch_ms', 'epoch_us', 'epoch_ns', 'iso8601', 'us', 'european', 'excel', 'compact'] as const;
export type TimeFormat = (typeof TIME_FORMATS)[number];

/** Formats whose values may carry no offset: they need a time zone. Epoch values are instants. */
export function isLocalFormat(format: TimeFormat): boolean {
  return !format.startsWith('epoch_');
}

const OFFSET_RE = /^(?:UTC|GMT)?([+-])(\d{1,2})(?::?(\d{2}))?$/i;

/** A time zone: returns the offset in ms at an instant (UTC ms); null for an unknown zone. */
export type Zone = (utcMs: number) => number;

const zoneCache = new Map<string, Zone>();

export function parseZone(name: string): Zone | null {
  const cached = zoneCache.get(name);
  if (cached) return cached;
  let zone: Zone | null = null;
  if (/^(?:UTC|GMT|Z|Etc\/UTC)$/i.test(name)) zone = () => 0;
  else {
    const m = OFFSET_RE.exec(name.trim());
    if (m) {
      const off = (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3] ?? 0)) * 60_000;
      if (Math.abs(off) <= 14 * 3_600_000) zone = () => off;
    } else {
      let fmt: Intl.DateTimeFormat;
      try {
        fmt = new Intl.DateTimeFormat('en-US', {
          timeZone: name,
          hourCycle: 'h23',
          year: 'numeric',
          month: 'numeric',
          day: 'numeric',
          hour: 'numeric',
          minute: 'numeric',
          second: 'numeric',
        });
      } catch {
        return null;
      }
      const byHour = new Map<number, number>();
      // Rows come in time order more often than not: the last hour answers most lookups.
      let lastHour = NaN;
      let lastOff = 0;
      zone = (utcMs) => {
        const hour = Math.floor(utcMs / 3_600_000);
        if (hour === lastHour) return lastOff;
        let off = byHour.get(hour);
        if (off === undefined) {
          const p: Record<string, number> = {};
          for (const part of fmt.formatToParts(hour * 3_600_000)) if (part.type !== 'literal') p[part.type] = Number(part.value);
          off = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!) - hour * 3_600_000;
          if (byHour.size > 200_000) byHour.clear();
          byHour.set(hour, off);
        }
        lastHour = hour;
        lastOff = off;
        return off;
      };
    }
  }
  if (zone) zoneCache.set(name, zone);
  return zone;
}

/**
 * A wall-clock time (its fields read as if UTC) in a zone -> the instant, in UTC ms. The offsets a
 * day before and a day after are the two candidates: the one that gives this wall time back wins;
 * when both do (a fall-back hour, the wall time exists twice) the earlier instant; when neither
 * does (a spring-forward gap, it does not exist) the offset in force before the change, as
 * java.time and Temporal's "compatible" do.
 */
export function wallToUtc(wallMs: number, zone: Zone): number {
  const before = zone(wallMs - 86_400_000);
  const after = zone(wallMs + 86_400_000);
  const tBefore = wallMs - before;
  if (before === after) {
    // No change within a day (nearly always): one lookup decides, unless a change sits in between.
    if (zone(tBefore) === before) return tBefore;
  }
  const tAfter = wallMs - after;
  const okBefore = zone(tBefore) === before;
  const okAfter = zone(tAfter) === after;
  if (okBefore && okAfter) return Math.min(tBefore, tAfter);
  if (okBefore) return tBefore;
  if (okAfter) return tAfter;
  return tBefore;
}

const QUARTER = 900_000;
const converters = new WeakMap<Zone, (wallMs: number) => number>();

/**
 * wallToUtc with the offset remembered per quarter hour of wall time (zones change offsets on
 * quarter hours): a million local times cost a few thousand resolutions, and the last quarter
 * answers most rows without a lookup.
 */
export function localToUtc(zone: Zone): (wallMs: number) => number {
  let f = converters.get(zone);
  if (f) return f;
  const byQuarter = new Map<number, number>();
  let lastQ = NaN;
  let lastOff = 0;
  f = (w) => {
    const q = Math.floor(w / QUARTER);
    if (q !== lastQ) {
      let off = byQuarter.get(q);
      if (off === undefined) {
        const start = q * QUARTER;
        off = start - wallToUtc(start, zone);
        if (byQuarter.size > 500_000) byQuarter.clear();
        byQuarter.set(q, off);
      }
      lastQ = q;
      lastOff = off;
    }
    return w - lastOff;
  };
  converters.set(zone, f);
  return f;
}

const ISO_RE = /^(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[T ]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?\s*(Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?$/i;
const DMY_RE = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*([AaPp][Mm])?)?\s*(Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?$/;
const COMPACT_RE = /^(\d{4})(\d{2})(\d{2})[T ]?(\d{2})(\d{2})(\d{2})?$/;
const TIME_OF_DAY_RE = /^(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*([AaPp][Mm])?$/;

function fraction(f: string | undefined): number {
  if (!f) return 0;
  return Math.floor(Number(`0.${f}`) * 1000 + 1e-6);
}

function offsetMs(s: string): number {
  if (/^(?:Z|UTC|GMT)$/i.test(s)) return 0;
  const m = /^([+-])(\d{2}):?(\d{2})?$/.exec(s)!;
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3] ?? 0)) * 60_000;
}

function hour12(h: number, ampm: string | undefined): number {
  if (!ampm) return h;
  const pm = ampm[0] === 'p' || ampm[0] === 'P';
  if (h === 12) return pm ? 12 : 0;
  return pm ? h + 12 : h;
}

/** Validates a calendar date and time; returns the wall time as if UTC, or NaN. */
function wall(y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number): number {
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 24 || mi > 59 || s > 60) return NaN;
  // 2023-02-30 rolls over in Date.UTC: refuse it.
  if (d > 28 && new Date(Date.UTC(y, mo - 1, d)).getUTCDate() !== d) return NaN;
  return Date.UTC(y, mo - 1, d, h, mi, s, ms);
}

/** Parsed value: wall time (as if UTC) and the offset the value itself carries, if any. */
interface Parsed {
  wall: number;
  offset: number | null;
}

function parseDateTime(v: string, format: TimeFormat): Parsed | null {
  if (format === 'iso8601') {
    const m = ISO_RE.exec(v);
    if (!m) return null;
    const w = wall(+m[1]!, +m[2]!, +m[3]!, m[4] ? +m[4] : 0, m[5] ? +m[5] : 0, m[6] ? +m[6] : 0, fraction(m[7]));
    return Number.isNaN(w) ? null : { wall: w, offset: m[8] ? offsetMs(m[8]) : null };
  }
  if (format === 'us' || format === 'european') {
    const m = DMY_RE.exec(v);
    if (!m) return null;
    const a = +m[1]!;
    const b = +m[2]!;
    let y = +m[3]!;
    if (m[3]!.length === 2) y += y < 70 ? 2000 : 1900;
    const [mo, d] = format === 'us' ? [a, b] : [b, a];
    const h = m[4] ? hour12(+m[4], m[8]) : 0;
    const w = wall(y, mo, d, h, m[5] ? +m[5] : 0, m[6] ? +m[6] : 0, fraction(m[7]));
    return Number.isNaN(w) ? null : { wall: w, offset: m[9] ? offsetMs(m[9]) : null };
  }
  if (format === 'compact') {
    const m = COMPACT_RE.exec(v);
    if (!m) return null;
    const w = wall(+m[1]!, +m[2]!, +m[3]!, +m[4]!, +m[5]!, m[6] ? +m[6] : 0, 0);
    return Number.isNaN(w) ? null : { wall: w, offset: null };
  }
  if (format === 'excel') {
    // Days since 1899-12-30 (the 1900 system with Lotus's leap-year bug already folded in).
    if (!/^\d+(?:\.\d+)?$/.test(v)) return null;
    const days = Number(v);
    if (days < 61) return null; // before 1900-03-01 the serials are off by one; no trajectory data lives there
    return { wall: Math.round(Date.UTC(1899, 11, 30) + days * 86_400_000), offset: null };
  }
  return null;
}

/** Milliseconds since midnight of a time-of-day column ("14:05:09", "2:05 PM"), or NaN. */
function parseTimeOfDay(v: string): number {
  const m = TIME_OF_DAY_RE.exec(v);
  if (!m) return NaN;
  const h = hour12(+m[1]!, m[5]);
  const mi = +m[2]!;
  const s = m[3] ? +m[3] : 0;
  if (h > 24 || mi > 59 || s > 60) return NaN;
  return ((h * 60 + mi) * 60 + s) * 1000 + fraction(m[4]);
}

/**
 * The allocation-free reader of a time in s[a, b) (fast.ts), for the converter's inner loop: epoch
 * ms, or NaN when the exact reader (compileTime) must decide. Null for formats without one.
 */
export function compileTimeAt(spec: TimeSpec, hasTimeColumn: boolean): ((s: string, a: number, b: number) => number) | null {
  if (hasTimeColumn) return null;
  const { format } = spec;
  if (format === 'epoch_ms') return (s, a, b) => fastInt(s, a, b, false);
  if (format === 'epoch_s') return (s, a, b) => fastInt(s, a, b, false) * 1000;
  if (format !== 'iso8601' && format !== 'us' && format !== 'european') return null;
  const zone = spec.time_zone === undefined ? null : parseZone(spec.time_zone);
  const local = zone ? localToUtc(zone) : null;
  const read = format === 'iso8601' ? fastIso : format === 'us' ? (s: string, a: number, b: number) => fastDmy(s, a, b, true) : (s: string, a: number, b: number) => fastDmy(s, a, b, false);
  return (s, a, b) => {
    const w = read(s, a, b);
    if (Number.isNaN(w)) return NaN;
    if (!Number.isNaN(fastOffset)) return w - fastOffset;
    return local ? local(w) : NaN;
  };
}

const EPOCH_DIGITS: Record<string, number> = { epoch_s: -3, epoch_ms: 0, epoch_us: 3, epoch_ns: 6 };

/** Epoch value -> ms; integers are cut as text, so nanoseconds keep their precision. */
function parseEpoch(v: string, format: TimeFormat): number {
  const drop = EPOCH_DIGITS[format]!;
  if (/^-?\d+$/.test(v)) {
    if (drop <= 0) return Number(v) * 10 ** -drop;
    const neg = v[0] === '-';
    const digits = neg ? v.slice(1) : v;
    if (digits.length <= drop) return 0;
    const ms = Number(digits.slice(0, digits.length - drop));
    return neg ? -ms : ms;
  }
  if (!/^-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(v)) return NaN;
  return Math.floor(Number(v) * 10 ** -drop);
}

export interface TimeSpec {
  format: TimeFormat;
  time_zone?: string | undefined;
}

/**
 * Compiles a time conversion: (value, time-of-day value?) -> epoch ms, or a string saying why not.
 * Throws (at compile time) when a local format has no time zone or the zone is unknown.
 */
export function compileTime(spec: TimeSpec, hasTimeColumn: boolean): (value: string, timeOfDay?: string) => number | string {
  const { format } = spec;
  if (format.startsWith('epoch_')) {
    if (hasTimeColumn) throw new Error('an epoch time cannot be combined with a separate time column');
    return (v) => {
      const ms = parseEpoch(v, format);
      return Number.isFinite(ms) ? ms : `not a number of ${format.slice(6)} since 1970`;
    };
  }
  const zone = spec.time_zone === undefined ? null : parseZone(spec.time_zone);
  if (spec.time_zone !== undefined && !zone) throw new Error(`unknown time zone "${spec.time_zone}"`);
  const local = zone ? localToUtc(zone) : null;
  const label = format === 'us' ? 'a US month/day/year date-time' : format === 'european' ? 'a day/month/year date-time' : format === 'excel' ? 'an Excel day serial' : format === 'compact' ? 'a yyyymmddhhmmss time' : 'an ISO 8601 date-time';
  return (v, tod) => {
    const p = parseDateTime(v, format);
    if (!p) return `not ${label}`;
    let w = p.wall;
    if (hasTimeColumn) {
      const t = parseTimeOfDay(tod ?? '');
      if (Number.isNaN(t)) return 'the time column is not a time of day (hh:mm[:ss])';
      w += t;
    }
    if (p.offset !== null) return w - p.offset;
    if (!local) return 'has no offset and the recipe gives no time_zone';
    return local(w);
  };
}
