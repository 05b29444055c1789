/**
 * Column-role inference: which column is the entity, the time, the longitude, the latitude (and
 * altitude), and which columns match the dataset's properties.
 *
 * Every signal there is is combined into a confidence per column, with the evidence written out:
 * header names (many conventions and languages, start/end groups kept together), value shapes and
 * ranges (epoch units by magnitude, date-time formats, IDs), and structure across rows (an entity's
 * points are close and ordered in time; a code shared by many moving objects is not an entity; a
 * value unique to each row is an event id). When a field cannot be found it is left out and
 * explained; when the lat/lon order cannot be decided, the plausible reading is taken and the
 * ambiguity stated. Confidence >= 0.7 is only given when names and values agree.
 */
import type { MetadataProperty, MetadataSchema } from '../dfi/schemas.js';
import { detectDialect, MAX_COLUMNS } from './dialect.js';
import { readName, tokenize, type NameInfo } from './names.js';
import type { Sample } from './sample.js';
import { CORE_FIELDS, type FileFormat } from '../rules/fields.js';
import { numberPropertyFor, propertyValueCheck } from '../rules/values.js';
import { invalidInput } from '../errors.js';
import { classifyByShare, compactDate, datetimeLabel, EPOCH_TO_MS, epochUnit, NA_VALUES, parseNumber, shareFloor, type EpochUnit, type ValueType } from './values.js';

export type ColumnType = ValueType;

export type ColumnReport = {
  index: number;
  name: string | null;
  type: ColumnType;
  role: string | null;
  confidence: number;
  evidence: string[];
  examples: string[];
};

/** A column that could hold a core field, with its score and the evidence for and against. */
export type Candidate = {
  column: number;
  name: string | null;
  score: number;
  evidence: string[];
};

/** ambiguous_coordinates: both columns fit either range and no header names them; zoneless_time: date-times without a time zone. */
export const INFER_WARNING_CODES = ['ambiguous_coordinates', 'zoneless_time'] as const;
export type InferWarningCode = (typeof INFER_WARNING_CODES)[number];

export interface InferResult {
  file_format: FileFormat;
  missing: string[];
  /** Per core field, the best few columns (the chosen one first when one was chosen). */
  candidates: Record<string, Candidate[]>;
  dialect: { delimiter: string; quote: string; hasHeader: boolean; encoding: string; lineEnding: string; compression: string };
  columns: ColumnReport[];
  rowsSampled: number;
  warnings: string[];
  /** Stable codes of the warnings that callers act on (branch on these, never on the words). */
  warningCodes: InferWarningCode[];
  suggestedMetadataSchema: Record<string, MetadataProperty>;
}

export interface InferOptions {
  metadataSchema?: MetadataSchema;
  hasHeader?: boolean;
  delimiter?: string;
}

/** Rows profiled: enough for every signal, few enough to stay fast. */
const MAX_PROFILE_ROWS = 1000;
const MAX_EXAMPLE = 40;
const CONFIDENT = 0.7;

interface Profile {
  index: number;
  name: string | null;
  info: NameInfo | null;
  values: string[];
  nonEmpty: string[];
  type: ValueType;
  /** Numeric value per row (null when empty or not a number). */
  num: (number | null)[];
  nums: number[];
  min: number;
  max: number;
  /** 5th and 95th percentiles: ranges robust to a few bad rows. */
  p05: number;
  p95: number;
  distinct: number;
  /** Share of the non-empty values that are of `type`, and a few that are not. */
  parseShare: number;
  unparsed: string[];
  hasFraction: boolean;
  decimalComma: boolean;
  rowIndex: boolean;
}

const round2 = (x: number) => Math.round(Math.min(1, Math.max(0, x)) * 100) / 100;

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.floor(q * (sorted.length - 1))))]!;
}

function profile(rows: string[][], index: number, name: string | null, decimalCommaAllowed: boolean): Profile {
  const values = rows.map((r) => (r[index] ?? '').trim());
  const nonEmpty = values.filter((v) => !NA_VALUES.has(v.toLowerCase()));
  const cls = classifyByShare(nonEmpty, decimalCommaAllowed);
  const type = cls.type;
  const numeric = type === 'integer' || type === 'decimal';
  const num = values.map((v) => (numeric && !NA_VALUES.has(v.toLowerCase()) ? parseNumber(v, decimalCommaAllowed) : null));
  const nums = num.filter((n): n is number => n !== null);
  const sorted = [...nums].sort((a, b) => a - b);
  let rowIndex = false;
  if (type === 'integer' && nums.length >= 5) {
    rowIndex = nums.every((n, i) => i === 0 || n === nums[i - 1]! + 1) && (nums[0] === 0 || nums[0] === 1);
  }
  return {
    index,
    name,
    info: readName(name),
    values,
    nonEmpty,
    type,
    num,
    nums,
    min: sorted[0] ?? NaN,
    max: sorted[sorted.length - 1] ?? NaN,
    p05: quantile(sorted, 0.05),
    p95: quantile(sorted, 0.95),
    distinct: new Set(nonEmpty).size,
    parseShare: cls.share,
    unparsed: cls.unparsed,
    hasFraction: numeric && nonEmpty.some((v) => /[.,]\d/.test(v)),
    decimalComma: numeric && nonEmpty.some((v) => /^[+-]?\d+,\d+$/.test(v)),
    rowIndex,
  };
}

const named = (p: Profile, role: Parameters<NameInfo['roles']['has']>[0]) => p.info?.roles.has(role) === true;
const coordinateNamed = (p: Profile) => named(p, 'latitude') || named(p, 'longitude') || axisOf(p) !== null;
const isNumeric = (p: Profile) => p.type === 'integer' || p.type === 'decimal';
/** The words of a header that are neither roles nor units: "GPS" in "GPS Latitude" and "GPS Fix Time". */
const ROLE_WORDS = /^(lat|latitude|lon|lng|long|longitude|x|y|time|timestamp|date|datetime|utc|fix|deg|degrees|m|s|ms)$/;
const qualifiers = (p: Profile) => (p.info?.tokens ?? []).filter((t) => !ROLE_WORDS.test(t));
/** Share of values within ±limit. */
const within = (p: Profile, limit: number) => (p.nums.length ? p.nums.filter((n) => Math.abs(n) <= limit).length / p.nums.length : 0);
const spread = (p: Profile) => p.p95 - p.p05;

/** How plausible values are as latitudes of people's data: mid latitudes are where most of it is. */
const plausibility = new WeakMap<Profile, number>();
function latitudePlausibility(p: Profile): number {
  const known = plausibility.get(p);
  if (known !== undefined) return known;
  const v = latitudePlausibilityOf(p);
  plausibility.set(p, v);
  return v;
}
function latitudePlausibilityOf(p: Profile): number {
  if (p.nums.length === 0) return 0;
  let total = 0;
  for (const v of p.nums) {
    const a = Math.abs(v);
    total += v < -60 ? 0.01 : a >= 25 && a <= 62 ? 1 : a >= 10 && a <= 72 ? 0.5 : a < 10 ? 0.3 : 0.05;
  }
  return total / p.nums.length;
}

interface Choice {
  p: Profile;
  score: number;
  evidence: string[];
  /** A longitude counted 0..360. */
  lon360?: boolean;
  /** For an entity: what the positions say (its points form tracks, or they do not). */
  structure?: 'tracks' | 'against';
}

// ---- coordinates -------------------------------------------------------------------------------

/** 'x' or 'y' when the name is a plane axis (x, Local_X, xCenter, start_location_y), else null. */
function axisOf(p: Profile): 'x' | 'y' | null {
  const t = p.info?.tokens ?? [];
  if (t.includes('x') && !t.includes('y')) return 'x';
  if (t.includes('y') && !t.includes('x')) return 'y';
  return null;
}

/** The column named like p with x and y swapped (Local_X <-> Local_Y), if any. */
function axisPartner(p: Profile, profiles: Profile[]): Profile | undefined {
  const axis = axisOf(p);
  if (!axis) return undefined;
  const other = axis === 'x' ? 'y' : 'x';
  const want = (p.info?.tokens ?? []).map((t) => (t === axis ? other : t)).join(' ');
  return profiles.find((q) => q !== p && (q.info?.tokens ?? []).join(' ') === want);
}

/** Median distance between consecutive values in file order. */
function medianJump(p: Profile): number {
  const d: number[] = [];
  let prev: number | null = null;
  for (const v of p.num) {
    if (v === null) continue;
    if (prev !== null) d.push(Math.abs(v - prev));
    prev = v;
  }
  d.sort((a, b) => a - b);
  return d.length ? quantile(d, 0.5) : 0;
}

/** The header names a quantity, an angle, a time or a count: never a coordinate, whatever the values. */
const notCoordinateByName = (p: Profile) => named(p, 'notcoord') || named(p, 'angle') || named(p, 'timestamp') || named(p, 'altitude') || named(p, 'quantity') || named(p, 'projected');

/** Why a column is not a coordinate although its values may fit, or null when nothing says so. */
function notCoordinate(p: Profile, profiles: Profile[]): string | null {
  if (named(p, 'notcoord')) return `header "${p.name}" names a quantity (speed, acceleration, error, size...), not a position`;
  const partner = axisPartner(p, profiles);
  if (partner && isNumeric(partner) && (within(partner, 180) < 0.95 || (axisOf(partner) === 'y' && within(partner, 90) < 0.95))) {
    return `its partner column "${partner.name}" is beyond the degree range (${partner.min}..${partner.max}): the pair is plane coordinates (metres or feet), not degrees`;
  }
  if (axisOf(p) && medianJump(p) > 1) return `consecutive values jump by ${Math.round(medianJump(p) * 10) / 10} on average: plane coordinates, not degrees`;
  return null;
}

function coordinateScore(p: Profile, role: 'latitude' | 'longitude', profiles: Profile[]): Choice | null {
  if (!isNumeric(p) || p.rowIndex || p.nums.length === 0) return null;
  const other = role === 'latitude' ? 'longitude' : 'latitude';
  const limit = role === 'latitude' ? 90 : 180;
  const evidence: string[] = [];
  let score = 0;
  if (notCoordinate(p, profiles)) return null;
  if (named(p, role) && !named(p, other)) {
    score += 0.55;
    evidence.push(`header "${p.name}" names a ${role}`);
  } else if (named(p, other) && !named(p, role)) return null;
  if (named(p, 'angle') && !named(p, role)) return null; // heading, course, speed...: fit the range, are not coordinates
  if (named(p, 'timestamp') || named(p, 'altitude') || named(p, 'elapsed') && !named(p, role)) return null;
  // Nearly all values in range (in a tiny sample, all but one): one bad row does not drop the column.
  const floor = coordinateFloor(p.nums.length);
  const share = within(p, limit);
  const lon360 = role === 'longitude' && share < floor && p.min >= 0 && p.nums.filter((n) => n <= 360).length >= floor * p.nums.length && p.max > 180;
  if (share < floor && !lon360) return null;
  if (role === 'latitude' && p.nums.filter((n) => n < -60).length > Math.max(1, 0.05 * p.nums.length)) return null;
  if (lon360) {
    score -= 0.1;
    evidence.push(`values ${p.p05}..${p.p95}: longitudes counted 0..360 east; the platform needs -180..180 (subtract 360 from values over 180)`);
  } else {
    const outliers = p.nums.length - Math.round(share * p.nums.length);
    evidence.push(`values ${p.p05}..${p.p95} within ±${limit}${outliers ? ` (${outliers} outlier(s) beyond ±${limit}: invalid rows)` : ''}`);
  }
  if (p.parseShare < 1) evidence.push(`${Math.round(p.parseShare * 100)}% of values are numbers (not: ${p.unparsed.map((v) => JSON.stringify(v)).join(', ')})`);
  if (p.hasFraction) score += 0.15;
  else if (!named(p, role)) return null; // whole numbers are codes, counts or angles, not coordinates
  if (p.distinct <= 1 && p.nums.length > 3) score -= 0.2;
  // Unnamed: a position moves in small steps within its range; a measurement or a velocity jumps about.
  if (!named(p, role) && spread(p) > 0 && medianJump(p) < 0.1 * spread(p)) {
    score += 0.1;
    evidence.push('consecutive values change in small steps, like a moving position');
  }
  // Coordinates of one data set sit in a region; angles sweep the circle.
  if (spread(p) > 100 && !named(p, role)) score -= 0.3;
  if (named(p, 'static')) {
    score -= 0.15;
    evidence.push(`header "${p.name}" names a fixed place (home, station, deployment site...)`);
  }
  return { p, score, evidence, ...(lon360 ? { lon360 } : {}) };
}

/** The share of values that must lie in a coordinate range: 95%, or all but one in a tiny sample. */
function coordinateFloor(n: number): number {
  return n < 4 ? 1 : Math.min(0.95, (n - 1) / n);
}

/** Decimal places of a numeric column's values (median): GPS fixes carry more than rough estimates. */
function decimals(p: Profile): number {
  const d = p.nonEmpty.slice(0, 50).map((v) => (v.split(/[.,]/)[1] ?? '').length).sort((a, b) => a - b);
  return d.length ? d[Math.floor(d.length / 2)]! : 0;
}

interface CoordPick {
  lat: Choice;
  lon: Choice;
  ambiguous: boolean;
  /** The warning to give when the pick is kept and ambiguous (code ambiguous_coordinates). */
  ambiguity?: string;
  /** Another named pair that fits almost as well, stated. */
  rivalNote?: string;
  confidence: number;
}

/** Share of rows whose (lat, lon) pair is new: a fixed place repeats a few positions; a moving one rarely repeats. */
function pairNovelty(la: Profile, lo: Profile): number {
  const seen = new Set<string>();
  let n = 0;
  for (let i = 0; i < la.values.length; i++) {
    if (la.num[i] === null || lo.num[i] === null) continue;
    n++;
    seen.add(`${la.values[i]},${lo.values[i]}`);
  }
  return n ? seen.size / n : 0;
}

function pickCoordinates(profiles: Profile[], pairs: { lat: Choice; lon: Choice; score: number }[]): CoordPick | null {
  // The best few of each: pairs are scored by pairs, and a wide file must not make that quadratic.
  const best = (role: 'latitude' | 'longitude') =>
    profiles
      .map((p) => coordinateScore(p, role, profiles))
      .filter((c): c is Choice => c !== null)
      .sort((a, b) => b.score - a.score || a.p.index - b.p.index)
      .slice(0, 12);
  const lats = best('latitude');
  const lons = best('longitude');
  let top: { lat: Choice; lon: Choice; score: number } | undefined;
  // The same prefix (pickup_, start station, GPS ...) beyond start/end: keep pairs together.
  const prefix = (p: Profile) => (p.info?.tokens ?? []).filter((t) => !/^(lat|latitude|lon|lng|long|longitude|x|y|px|py)$/.test(t)).join(' ');
  // latitude_1 with longitude_2: the latitude of one point and the longitude of another.
  const mixed = (la: Profile, lo: Profile) => la.info !== null && lo.info !== null && prefix(la) !== '' && prefix(lo) !== '' && prefix(la) !== prefix(lo);
  const novelty = new Map<string, number>();
  for (const la of lats) for (const lo of lons) if (la.p !== lo.p) novelty.set(`${la.p.index},${lo.p.index}`, pairNovelty(la.p, lo.p));
  let mostNovel = 0;
  for (const la of lats) for (const lo of lons) if (la.p !== lo.p && !mixed(la.p, lo.p)) mostNovel = Math.max(mostNovel, novelty.get(`${la.p.index},${lo.p.index}`)!);
  for (const la of lats) {
    for (const lo of lons) {
      if (la.p === lo.p) continue;
      let score = la.score + lo.score;
      if (mixed(la.p, lo.p)) score -= 0.3;
      // A pair that repeats a few positions while another pair moves is a fixed place (home, depot, deployment site).
      const nov = novelty.get(`${la.p.index},${lo.p.index}`)!;
      if (nov < 0.5 * mostNovel) score -= 0.3;
      if (Math.abs(la.p.index - lo.p.index) === 1) score += 0.15;
      const ga = la.p.info?.group ?? '';
      const go = lo.p.info?.group ?? '';
      if (ga === go) score += ga === 'end' ? 0.1 : 0.2;
      else if (ga && go) score -= 0.4;
      if (la.p.info && lo.p.info && prefix(la.p) === prefix(lo.p)) score += 0.1;
      // Between two named pairs alike in all else, the more precise one is the position fix (GPS, not a rough estimate).
      score += 0.01 * Math.min(8, (decimals(la.p) + decimals(lo.p)) / 2);
      // Neither named: the reading that puts points where people are.
      if (!named(la.p, 'latitude') && !named(lo.p, 'longitude')) score += 0.1 * latitudePlausibility(la.p);
      pairs.push({ lat: la, lon: lo, score });
      if (!top || score > top.score + 1e-9) top = { lat: la, lon: lo, score };
    }
  }
  if (!top) return null;
  const { lat, lon } = top;
  // Another pair of two other columns almost as good, neither a fixed place: the sample cannot tell which point moves.
  const rival = pairs.find((x) => x.lat.p !== lat.p && x.lon.p !== lon.p && x.lat.p !== lon.p && x.lon.p !== lat.p && x.score > top!.score - 0.1 && !named(x.lat.p, 'static'));
  const byName = named(lat.p, 'latitude') && named(lon.p, 'longitude');
  const lonBeyond90 = within(lon.p, 90) < 0.95;
  let ambiguous = false;
  let ambiguity: string | undefined;
  let confidence: number;
  if (byName) confidence = rival ? 0.6 : 0.9;
  else if (lonBeyond90) {
    confidence = named(lat.p, 'latitude') || named(lon.p, 'longitude') ? 0.85 : 0.75;
    lon.evidence.push('values beyond ±90: can only be a longitude');
  } else if (named(lat.p, 'latitude') || named(lon.p, 'longitude')) confidence = 0.8;
  else {
    ambiguous = true;
    confidence = 0.5;
    const a = latitudePlausibility(lat.p);
    const b = latitudePlausibility(lon.p);
    const ev = `both columns fit either range; read as latitude ${lat.p.index}, longitude ${lon.p.index} because that puts the points at ${a >= b ? 'more plausible' : 'equally plausible'} latitudes`;
    lat.evidence.push(ev);
    lon.evidence.push(ev);
    const i = lat.p.num.findIndex((n, k) => n !== null && lon.p.num[k] !== null);
    const example =
      i >= 0 ? ` For the first row: latitude ${lat.p.values[i]}, longitude ${lon.p.values[i]} (the other reading: latitude ${lon.p.values[i]}, longitude ${lat.p.values[i]}).` : '';
    ambiguity =
      `Ambiguous coordinates: columns ${lat.p.index} and ${lon.p.index} both fit the latitude and the longitude range, and no header names them.${example} Chosen: latitude=${lat.p.index}, longitude=${lon.p.index}, the more plausible reading. Check a few points on a map; if they land in the wrong place, swap latitude and longitude in file_format.`;
  }
  if (lon.lon360) confidence = Math.min(confidence, 0.6);
  let rivalNote: string | undefined;
  if (rival && byName) {
    const ev = `columns ${rival.lat.p.index} ("${rival.lat.p.name}") and ${rival.lon.p.index} ("${rival.lon.p.name}") are another coordinate pair that fits almost as well`;
    lat.evidence.push(ev);
    rivalNote = `Two coordinate pairs fit: latitude/longitude columns ${lat.p.index}/${lon.p.index} ("${lat.p.name}", "${lon.p.name}") were chosen${decimals(lat.p) > decimals(rival.lat.p) ? ' (more decimal places)' : ''}, but ${rival.lat.p.index}/${rival.lon.p.index} ("${rival.lat.p.name}", "${rival.lon.p.name}") fit almost as well: check which pair is the position to import.`;
  }
  return { lat, lon, ambiguous, ...(ambiguity !== undefined ? { ambiguity } : {}), ...(rivalNote !== undefined ? { rivalNote } : {}), confidence };
}

// ---- time --------------------------------------------------------------------------------------

interface TimeChoice extends Choice {
  kind: 'epoch' | 'datetime' | 'date' | 'time' | 'ole' | 'elapsed';
  unit?: EpochUnit;
  /** Date-times that say no time zone (no Z, offset, UTC or GMT): local times. */
  zoneless?: boolean;
  /** The format, when the values are not text (yyyymmddhhmmss digits). */
  label?: string;
}

/** For dd/mm or mm/dd date-times: which, when a value says so (a first number over 12 is a day). */
function dayMonthOrder(values: string[]): string | null {
  let dayFirst = false;
  let monthFirst = false;
  for (const v of values.slice(0, 1000)) {
    const m = /^(\d{1,2})[/.-](\d{1,2})[/.-]\d{2,4}\b/.exec(v);
    if (!m) continue;
    if (+m[1]! > 12) dayFirst = true;
    if (+m[2]! > 12) monthFirst = true;
  }
  if (dayFirst === monthFirst) return null;
  return dayFirst ? 'day first: a first number is over 12' : 'month first: a second number is over 12';
}

/** Epoch milliseconds of a time column's value in row i, when it can be read plainly (epoch numbers, ISO and month-name dates). */
function timeOf(c: TimeChoice, i: number): number | null {
  const v = c.p.values[i] ?? '';
  if (v === '') return null;
  if (c.kind === 'epoch') {
    const n = c.p.num[i];
    if (n === null || n === undefined) return null;
    return n * (c.unit === 's' ? 1e3 : c.unit === 'ms' ? 1 : c.unit === 'us' ? 1e-3 : 1e-6);
  }
  if (/^\d{1,2}[/.]\d{1,2}[/.]\d{2,4}/.test(v)) return null; // day and month order unknown
  const t = Date.parse(v.length === 10 && /^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T12:00:00Z` : v);
  return Number.isNaN(t) ? null : t;
}

/** True when two time columns put most rows on days more than a day apart. */
function daysDisagree(a: TimeChoice, b: TimeChoice): boolean {
  let n = 0;
  let apart = 0;
  for (let i = 0; i < a.p.values.length && n < 200; i++) {
    const x = timeOf(a, i);
    const y = timeOf(b, i);
    if (x === null || y === null) continue;
    n++;
    if (Math.abs(x - y) > 1.5 * 86_400_000) apart++;
  }
  return n >= 3 && apart >= 0.5 * n;
}

/** Share of consecutive values that do not decrease: a file in time order. */
function ascending(p: Profile): number {
  let up = 0;
  let n = 0;
  let prev: string | null = null;
  for (const v of p.nonEmpty) {
    if (prev !== null) {
      n++;
      if (v >= prev || v.length > prev.length) up++;
    }
    prev = v;
  }
  return n ? up / n : 0;
}

const ZONE_RE = /(?:Z|UTC|GMT(?:[+-]\d{1,2}:?\d{2})?|[+-]\d{2}(?::?\d{2})?|^\/Date\(.*\)\/)$/i;

/** Seconds (or ms) since a start: small non-negative numbers that grow, under a time-like or elapsed name. */
function elapsedTime(p: Profile): boolean {
  if (!isNumeric(p) || p.nums.length < 5 || p.min < 0 || p.max >= 1e8) return false;
  if (!(named(p, 'timestamp') || named(p, 'elapsed'))) return false;
  let up = 0;
  for (let i = 1; i < p.nums.length; i++) if (p.nums[i]! >= p.nums[i - 1]!) up++;
  return up >= 0.9 * (p.nums.length - 1) && p.min < 0.05 * p.max + 10;
}

function timeScore(p: Profile, rows: number): TimeChoice | null {
  if (p.nonEmpty.length === 0 || p.rowIndex) return null;
  const evidence: string[] = [];
  const isNamed = named(p, 'timestamp');
  const distinctShare = p.distinct / Math.max(1, p.nonEmpty.length);
  let c: TimeChoice | null = null;
  const compact = p.type === 'integer' ? compactDate(p.nonEmpty) : null;
  const unitOf = epochUnit(p.min, p.max);
  // 2023061412 is an hour (yyyymmddhh) far more often than a second of 2034.
  const future = unitOf !== null && p.max * (unitOf === 's' ? 1e3 : unitOf === 'ms' ? 1 : unitOf === 'us' ? 1e-3 : 1e-6) > Date.now() + 365 * 86_400_000;
  if (compact && (unitOf === null || future)) {
    evidence.push(`${compact.label} digits (e.g. ${p.nonEmpty[0]})`);
    c = compact.date
      ? { p, score: 0.3, evidence, kind: 'date', label: compact.label }
      : { p, score: 0.55, evidence, kind: 'datetime', zoneless: true, label: compact.label };
    if (!compact.date) evidence.push('no time zone in the values: local times unless the source says UTC');
  } else if (isNumeric(p)) {
    const unit = unitOf;
    if (unit && (isNamed || (distinctShare >= 0.5 && p.type === 'integer') || (distinctShare >= 0.9 && p.hasFraction && unit === 's'))) {
      let score = p.type === 'integer' ? (unit === 's' ? 0.5 : unit === 'ms' ? 0.65 : 0.6) : 0.35;
      // A reading years after today is a record number or a code that happens to have the digits of one.
      if (future) {
        score -= 0.4;
        evidence.push('read as epoch times, the values lie in the future: more likely a number or code');
      }
      const range = unit === 's' ? 1e3 : unit === 'ms' ? 1 : unit === 'us' ? 1e-3 : 1e-6;
      evidence.push(`numbers ${p.min}..${p.max}: ${EPOCH_TO_MS[unit]} (${new Date(p.min * range).toISOString()} ..)`);
      c = { p, score, evidence, kind: 'epoch', unit };
    } else if (elapsedTime(p)) {
      evidence.push(`numbers ${p.min}..${p.max} that grow from near 0: time since the start of the recording, not a date`);
      c = { p, score: 0.05, evidence, kind: 'elapsed' };
    } else if (p.type === 'decimal' && p.hasFraction && p.min >= 25569 && p.max <= 50424 && !named(p, 'latitude') && !named(p, 'longitude')) {
      evidence.push(`fractional numbers ${p.min}..${p.max}: days since 1899-12-30 (OLE/Excel dates), ${new Date((p.min - 25569) * 86_400_000).toISOString()} ..`);
      c = { p, score: 0.45, evidence, kind: 'ole' };
    }
  } else if (p.type === 'datetime') {
    const order = dayMonthOrder(p.nonEmpty);
    evidence.push(`${datetimeLabel(p.nonEmpty[0]!)} values${order ? ` (${order})` : ''}`);
    c = { p, score: 0.6, evidence, kind: 'datetime', zoneless: !p.nonEmpty.every((v) => ZONE_RE.test(v) || !/\d:\d/.test(v)) };
    if (c.zoneless) evidence.push('no time zone in the values: local times unless the source says UTC');
  } else if (p.type === 'date') {
    evidence.push('dates without a time of day');
    c = { p, score: 0.3, evidence, kind: 'date' };
  } else if (p.type === 'time') {
    evidence.push('times of day without a date');
    c = { p, score: 0.12, evidence, kind: 'time' };
  }
  if (!c) return null;
  if (p.parseShare < 1) c.evidence.push(`${Math.round(p.parseShare * 100)}% of values parse (not: ${p.unparsed.map((v) => JSON.stringify(v)).join(', ')})`);
  if (isNamed && c.kind !== 'elapsed') {
    c.score += 0.25;
    c.evidence.push(`header "${p.name}" names a time`);
  }
  if (named(p, 'eventtime') && !named(p, 'recordtime')) {
    c.score += 0.1;
    c.evidence.push(`header "${p.name}" names when the event happened (fix, observation, collection)`);
  }
  if (named(p, 'recordtime')) {
    c.score -= 0.35;
    c.evidence.push(`header "${p.name}" names when the record was kept (created, edited, updated...), not when the event happened`);
  }
  // Few distinct times is a day or a constant, unless the file is in time order at a coarse resolution (minutes).
  if (c.kind !== 'date' && c.kind !== 'time' && distinctShare < 0.3 && rows > 10 && !(p.distinct >= 3 && ascending(p) >= 0.95)) c.score -= 0.3;
  return c;
}

/** Year, month and day (and hour, minute, second when there) in columns of their own, in that order; null when not. */
function calendarParts(profiles: Profile[]): Profile[] | null {
  const find = (re: RegExp, lo: number, hi: number, after = -1) =>
    profiles.find((p) => p.index > after && p.type === 'integer' && p.min >= lo && p.max <= hi && (p.info?.tokens ?? []).some((t) => re.test(t)) && (p.info?.tokens.length ?? 9) <= 2);
  const year = find(/^(year|yr|yy|yyyy|jahr|año|ano|annee|année|anno)$/, 0, 2100);
  if (!year || (year.min >= 100 && year.min < 1900)) return null;
  const month = find(/^(month|mon|mo|mm|monat|mes|mois|mese)$/, 1, 12, year.index);
  const day = month && find(/^(day|dd|dy|dom|tag|dia|día|jour|giorno)$/, 1, 31, month.index);
  if (!month || !day) return null;
  const out = [year, month, day];
  const hour = find(/^(hour|hr|hh|stunde|hora|heure|ora)$/, 0, 24, day.index);
  if (hour) {
    out.push(hour);
    const minute = find(/^(minute|min|mn|mi|mm)$/, 0, 59, hour.index);
    if (minute) {
      out.push(minute);
      const second = find(/^(second|sec|ss|s)$/, 0, 60, minute.index);
      if (second) out.push(second);
    }
  }
  return out;
}

// ---- entity ------------------------------------------------------------------------------------

/** What the rows say about how the file is laid out. */
interface Layout {
  coords: CoordPick | null;
  /** One row per trip (start and end columns): an object recurs in rows far apart. */
  trip: boolean;
  /** The trip's end position, when the rows have one. */
  endLat?: Profile;
  endLon?: Profile;
}

const dist = (lat: (number | null)[], lon: (number | null)[], i: number, j: number) => Math.hypot(lat[i]! - lat[j]!, lon[i]! - lon[j]!);

interface Steps {
  /** Upper-quartile distance between consecutive rows of the same value, in file order. */
  mine: number;
  /** Median distance between rows of different values. */
  cross: number;
  /** Upper-quartile distance between consecutive rows, whatever their values. */
  fileOrder: number;
  /** Share of same-value steps of length 0: all the value's points at one place. */
  still: number;
  /** Share of same-value steps where the next row starts where the previous one ended (trips). */
  chained: number | null;
  steps: number;
}

function steps(p: Profile, layout: Layout): Steps | null {
  const lat = layout.coords!.lat.p.num;
  const lon = layout.coords!.lon.p.num;
  const ok = (i: number) => lat[i] !== null && lon[i] !== null && p.values[i] !== '';
  const last = new Map<string, number>();
  const own: number[] = [];
  let still = 0;
  let chained = 0;
  let chainable = 0;
  const eLat = layout.endLat?.num;
  const eLon = layout.endLon?.num;
  for (let i = 0; i < lat.length; i++) {
    if (!ok(i)) continue;
    const g = p.values[i]!;
    const j = last.get(g);
    if (j !== undefined) {
      const d = dist(lat, lon, i, j);
      own.push(d);
      if (d < 1e-7) still++;
      if (eLat && eLon && eLat[j] !== null && eLon[j] !== null) {
        chainable++;
        if (Math.hypot(lat[i]! - eLat[j]!, lon[i]! - eLon[j]!) < 1e-4) chained++;
      }
    }
    last.set(g, i);
  }
  if (own.length < 3) return null;
  // Rows of different values: half the file apart (different objects even in a file sorted by object), else neighbours.
  const cross: number[] = [];
  const n = lat.length;
  for (const h of [Math.floor(n / 2), Math.floor(n / 3), 1]) {
    for (let i = 0; i + h < n && h > 0; i++) if (ok(i) && ok(i + h) && p.values[i] !== p.values[i + h]) cross.push(dist(lat, lon, i, i + h));
    if (cross.length >= 10) break;
  }
  if (cross.length < 3) return null;
  own.sort((a, b) => a - b);
  cross.sort((a, b) => a - b);
  const order: number[] = [];
  let prev = -1;
  for (let i = 0; i < n; i++) {
    if (!ok(i)) continue;
    if (prev >= 0) order.push(dist(lat, lon, i, prev));
    prev = i;
  }
  order.sort((a, b) => a - b);
  return {
    mine: quantile(own, 0.75),
    cross: quantile(cross, 0.5),
    fileOrder: quantile(order, 0.75),
    still: still / own.length,
    chained: chainable >= 3 ? chained / chainable : null,
    steps: own.length,
  };
}

function entityScore(p: Profile, rows: number, layout: Layout): Choice | null {
  const coords = layout.coords;
  if (p.nonEmpty.length === 0 || p.rowIndex) return null;
  if (['decimal', 'datetime', 'date', 'time', 'boolean', 'point', 'pair', 'json', 'ipv4'].includes(p.type)) return null;
  if (named(p, 'quantity') && isNumeric(p) && !named(p, 'entity')) return null; // individualCount, year, battery level: numbers of something
  if (named(p, 'quantity') && p.type === 'integer' && !(p.info?.tokens.at(-1) === 'id')) return null;
  if (p.nonEmpty.every((v) => BOOLEAN_LIKE.has(v.toLowerCase()))) return null; // yes/no, Y/N, t/f: answers, not identifiers
  if ((named(p, 'timestamp') || named(p, 'elapsed')) && isNumeric(p) && !named(p, 'entity')) return null; // times are not identifiers
  if (p.type === 'integer' && p.distinct === 2 && p.nums.every((n) => n === 0 || n === 1)) return null; // 0/1 flags (isVideo, occupied)
  if (p.info?.tokens[0] === 'is' || p.info?.tokens[0] === 'has') return null; // is_reserved, hasFix: flags
  if (p.type === 'integer' && compactDate(p.nonEmpty)) return null; // 20230614: dates
  const evidence: string[] = [];
  let score = 0;
  const n = p.nonEmpty.length;
  const unique = p.distinct === n && n >= 5;
  if (named(p, 'entity')) {
    score += 0.4;
    evidence.push(`header "${p.name}" names an identifier`);
  }
  if (named(p, 'shared')) {
    score -= 0.45;
    evidence.push(`header "${p.name}" names a code shared by many objects or a place (line, route, type, station, locality...)`);
  }
  if (named(p, 'event') && unique) score -= 0.2;
  else if (named(p, 'event') && named(p, 'entity')) {
    score -= 0.15;
    evidence.push(`header "${p.name}" names a trip, journey or event: a part of an object's track`);
  }
  if (p.type === 'uuid' || p.type === 'hexid') {
    score += 0.3;
    evidence.push(p.type === 'uuid' ? 'UUIDs' : 'hexadecimal identifiers');
  } else if (p.type === 'integer') {
    if (p.min < 0) return null;
    score += 0.1;
    evidence.push('whole-number identifiers');
  } else {
    if (p.nonEmpty.filter((v) => v.length < 40 && HEMISPHERE_RE.test(v) && HAS_HEMISPHERE.test(v)).length >= 0.9 * n) return null; // 28.0N: coordinates
    const wordy = p.nonEmpty.filter((v) => (v.match(/[A-Za-z]{2,}/g) ?? []).length >= 2 && !/\d/.test(v)).length / n;
    if (wordy > 0.5) {
      score -= 0.2;
      evidence.push('free text (names of places or categories)');
    } else {
      score += 0.15;
      evidence.push('text identifiers');
    }
  }
  if (unique) {
    score -= 0.6;
    evidence.push('a different value in every row: an event or record id, not an entity');
  } else if (p.distinct < n) {
    score += 0.15;
    evidence.push(`${p.distinct} distinct value(s) in ${n} rows: several points each`);
  }
  if (p.distinct === 1 && n > 3) {
    score -= named(p, 'entity') ? 0.3 : 0.1;
    evidence.push('one value in every row: names the file, recording or single object; cannot be checked against the positions');
  }
  if (n < 0.9 * rows) {
    score -= 0.3;
    evidence.push('empty in some rows');
  }
  if (p.index === 0) score += 0.15;
  if (!coords && p.name !== null && !named(p, 'entity')) {
    score -= 0.2;
    evidence.push('no positions to check it against, and no name that says identifier');
  }
  // Structure: an entity's consecutive points are close; a code shared by many vehicles jumps; a place code never moves.
  let structure: Choice['structure'];
  if (coords && p.distinct > 1 && !unique) {
    const st = steps(p, layout);
    if (st) {
      const ratio = st.cross > 0 ? st.mine / st.cross : 1;
      if (st.still >= 0.8) {
        structure = 'against';
        score -= 0.5;
        evidence.push('all the points of each value are at one place: a place code (station, stop, site), not a moving object');
      } else if (layout.trip && st.chained !== null && st.chained >= 0.5) {
        structure = 'tracks';
        score += 0.35;
        evidence.push(`each row of a value starts where its previous row ended (${Math.round(st.chained * 100)}%): the trips of one object`);
      } else if (ratio < 0.5 && st.mine <= 1.25 * st.fileOrder) {
        structure = 'tracks';
        score += 0.3 * Math.min(1, (0.6 - ratio) / 0.6) + 0.05;
        evidence.push(`consecutive points of each value are ${Math.round(1 / Math.max(ratio, 0.01))}x closer than points of different values: tracks of moving objects`);
      } else if (ratio > 0.8) {
        structure = 'against';
        score -= 0.15;
        evidence.push('points sharing a value are no closer than points of different values: not one moving object');
      }
    }
  }
  // One-letter codes (record tags T/C, flags Y/N) are kinds of rows, unless the positions show tracks.
  if (p.name !== null && p.distinct > 1 && structure !== 'tracks' && p.nonEmpty.every((v) => /^[A-Za-z]$/.test(v))) return null;
  return { p, score, evidence, ...(structure ? { structure } : {}) };
}

// ---- the whole ---------------------------------------------------------------------------------

const STARTS_LIKE_DATA = /^[+-]?\d/;
const BOOLEAN_LIKE = new Set(['yes', 'no', 'y', 'n', 'true', 'false', 't', 'f', 'ja', 'nein', 'oui', 'non', 'si', 'sí', 'on', 'off']);
/** 28.0N, 094.8W, 1416E; also degrees-minutes-seconds (48°51'24.1"N, N 48° 51.4', 48 51 24 N). */
const HEMISPHERE_RE = /^\s*(?:[NSEW]\s+)?\d{1,5}(?:\.\d+)?(?:\s*[°º:d ]\s*\d{1,2}(?:\.\d+)?(?:\s*['′m: ]\s*\d{1,2}(?:\.\d+)?\s*(?:["″s]|'')?)?\s*['′]?)?\s*[NSEW]?\s*$/i;
const HAS_HEMISPHERE = /[NSEW]/i;

/** How many rows under the header are units or a second header (text where the rows below hold numbers or dates): 0 to 2. */
function unitsRows(rows: string[][]): number {
  if (rows.length < 4) return 0;
  const below = rows.slice(2, 62);
  const width = Math.max(...below.map((r) => r.length));
  const dataCols: number[] = [];
  for (let c = 0; c < width; c++) {
    const vals = below.map((r) => (r[c] ?? '').trim()).filter((v) => v !== '');
    if (vals.length >= below.length / 2 && vals.filter((v) => STARTS_LIKE_DATA.test(v)).length >= 0.9 * vals.length) dataCols.push(c);
  }
  if (dataCols.length === 0) return 0;
  let skip = 0;
  for (const row of rows.slice(0, 2)) {
    const cells = dataCols.map((c) => (row[c] ?? '').trim());
    const text = cells.filter((v) => v !== '' && !STARTS_LIKE_DATA.test(v)).length;
    const data = cells.filter((v) => STARTS_LIKE_DATA.test(v)).length;
    if (text >= 1 && data === 0 && text >= 0.3 * dataCols.length) skip++;
    else break;
  }
  return skip;
}

/** A description of the record types when rows come in interleaved shapes keyed by their first field, else null. */
function recordTypes(rows: string[][]): string | null {
  const sample = rows.slice(0, 400);
  if (sample.length < 6) return null;
  const byWidth = new Map<number, string[][]>();
  for (const r of sample) byWidth.set(r.length, [...(byWidth.get(r.length) ?? []), r]);
  const groups = [...byWidth.entries()].sort((a, b) => b[1].length - a[1].length);
  if (groups.length < 2) return null;
  const [[wa, a], [wb, b]] = groups as [[number, string[][]], [number, string[][]]];
  if (b.length < Math.max(2, 0.1 * sample.length)) return null;
  let switches = 0;
  for (let i = 1; i < sample.length; i++) if (sample[i]!.length !== sample[i - 1]!.length) switches++;
  if (switches < 3) return null;
  const first = (g: string[][]) => new Set(g.map((r) => (r[0] ?? '').trim()));
  const fa = first(a);
  const fb = first(b);
  if ([...fa].some((v) => fb.has(v))) return null;
  const shape = (v: string) => v.replace(/[A-Za-z]/g, 'A').replace(/\d/g, '9');
  const sa = new Set([...fa].map(shape));
  const sb = new Set([...fb].map(shape));
  const shapesDiffer = ![...sa].some((v) => sb.has(v));
  const tags = fa.size <= 5 && fb.size <= 5;
  if (!shapesDiffer && !tags) return null;
  const describe = (w: number, g: string[][], f: Set<string>) => `${g.length} rows of ${w} fields${f.size <= 3 ? ` starting "${[...f].join('", "')}"` : ` like "${g[0]!.slice(0, 3).join(',')}"`}`;
  return `${describe(wa, a, fa)}, and ${describe(wb, b, fb)}${groups.length > 2 ? `, and ${groups.length - 2} more shape(s)` : ''}`;
}

/** More columns than this is not a trajectory file (and profiling them would take too long). */
export { MAX_COLUMNS };

/** Refuses input that is not a delimited text table, with what it is instead. */
function assertTable(sample: Sample, rows: string[][], width: number): void {
  const head = sample.text.slice(0, 65_536);
  let control = 0;
  for (let i = 0; i < head.length; i++) {
    const c = head.charCodeAt(i);
    if (c === 0 || (c < 32 && c !== 9 && c !== 10 && c !== 13) || c === 0xfffd) control++;
  }
  if (control > Math.max(8, head.length * 0.01)) {
    throw invalidInput(`${sample.origin} does not look like text: ${control} control or undecodable characters in its first ${head.length}.`, 'Give a CSV file (plain text, or gzip-compressed text), not a binary file such as Parquet, Excel or a ZIP archive.');
  }
  // JSON (an API answer, GeoJSON, a JSON lines log) parses as a table of braces and quotes: say what it is.
  const lead = head.trimStart();
  if ((lead.startsWith('{') || lead.startsWith('[')) && (head.match(/"\s*:/g)?.length ?? 0) >= 3) {
    throw invalidInput(
      `${sample.origin} looks like JSON (it starts with "${lead[0]}" and holds "key": value pairs), not a delimited table.`,
      'Convert it to CSV with one row per position (for example with jq or pandas.json_normalize) before importing.',
    );
  }
  if (rows.length === 0) throw invalidInput(`${sample.origin} has no rows.`, 'Give a file, or a sample, with at least one data row.');
  if (width > MAX_COLUMNS) {
    throw invalidInput(`${sample.origin} has rows of at least ${width} columns; a trajectory file has far fewer (at most ${MAX_COLUMNS} are read).`, 'Check the delimiter (pass delimiter), or that this is the right file.');
  }
  if (width < 2) {
    const lines = head.split(/\r?\n/).filter((l) => l.trim() !== '').slice(0, 50);
    if (lines.length >= 3 && lines.filter((l) => / {2,}\S/.test(l.trim())).length >= 0.8 * lines.length) {
      throw invalidInput(
        `${sample.origin} looks like a fixed-width text table: its columns are aligned with runs of spaces, some of them empty, not separated by a delimiter.`,
        'Convert it to CSV (for example with pandas.read_fwf, or a spreadsheet\'s fixed-width import) before importing, or pass delimiter if it has one.',
      );
    }
    throw invalidInput(
      `${sample.origin} has a single column: no delimiter (, ; tab |) separates its values${/^["']/.test(head) ? ', and an unclosed quote may swallow the rest of the file' : ''}.`,
      'Pass delimiter if the file uses another one, or check that this is a CSV file.',
    );
  }
}

export function inferCsvFormat(sample: Sample, opts: InferOptions = {}): InferResult {
  const warnings: string[] = [];
  const warningCodes = new Set<InferWarningCode>();
  const { dialect, rows: allRows } = detectDialect(sample.text, {
    ...(opts.delimiter ? { delimiter: opts.delimiter } : {}),
    ...(opts.hasHeader !== undefined ? { hasHeader: opts.hasHeader } : {}),
  });
  const header = dialect.hasHeader ? (allRows[0] ?? null) : null;
  let body = dialect.hasHeader ? allRows.slice(1) : allRows;
  // A units row or a second header row under the header (degrees_north, UTC): not data.
  const unitRows = dialect.hasHeader ? unitsRows(body) : 0;
  if (unitRows > 0) {
    warnings.push(
      unitRows > 1
        ? `Lines ${dialect.preambleLines + 2}-${dialect.preambleLines + 1 + unitRows} under the header hold units or a second header (${body[0]!.filter((v) => v.trim()).slice(0, 4).map((v) => JSON.stringify(v.trim())).join(', ')}), not data: they were skipped here; the platform will count them as invalid rows (or strip them before importing).`
        : `Line ${dialect.preambleLines + 2} under the header holds units or a second header (${body[0]!.filter((v) => v.trim()).slice(0, 4).map((v) => JSON.stringify(v.trim())).join(', ')}), not data: it was skipped here; the platform will count it as an invalid row (or strip it before importing).`,
    );
    body = body.slice(unitRows);
  }
  const rows = body.slice(0, MAX_PROFILE_ROWS);
  const width = allRows.slice(0, MAX_PROFILE_ROWS).reduce((m, r) => Math.max(m, r.length), 0);
  assertTable(sample, rows.length ? rows : allRows, width);
  const decimalCommaAllowed = dialect.delimiter !== ',';
  const profiles = Array.from({ length: width }, (_, i) => profile(rows, i, header ? (header[i] ?? '').trim().replace(/^#\s*/, '') || null : null, decimalCommaAllowed));
  const reports: ColumnReport[] = profiles.map((p) => ({
    index: p.index,
    name: p.name,
    type: p.type,
    role: null,
    confidence: 0,
    evidence: [],
    examples: [...new Set(p.nonEmpty)].slice(0, 3).map((v) => (v.length > MAX_EXAMPLE ? `${v.slice(0, MAX_EXAMPLE)}…` : v)),
  }));
  const format: FileFormat = {};
  const assign = (p: Profile, role: string, confidence: number, evidence: string[]) => {
    format[role] = p.index;
    const r = reports[p.index]!;
    r.role = role;
    r.confidence = round2(confidence);
    r.evidence.push(...evidence);
  };
  const free = (p: Profile) => reports[p.index]!.role === null;
  const explain: Record<string, string> = {};

  if (rows.length === 0) warnings.push('The sample has a header but no data rows: give more of the file.');
  if (dialect.delimiter !== ',') {
    warnings.push(`The file is separated by ${JSON.stringify(dialect.delimiter)}, but the platform's CSV format has no delimiter option and reads commas: convert the files to comma-separated before importing.`);
  }
  if (dialect.hasHeader) {
    warnings.push('The file has a header row. The platform maps columns by index and has no header option: expect the header line of every file to be rejected as one invalid row (or strip it before importing).');
  }
  if (dialect.preambleLines > 0) warnings.push(`The first ${dialect.preambleLines} line(s) are not part of the table; the platform will count them as invalid rows (or strip them before importing).`);
  if (sample.truncated) warnings.push(`Only the first ${sample.bytesRead} bytes were read; the last partial row was dropped.`);

  const candidates: Record<string, Candidate[]> = {};
  const listCandidates = (field: string, choices: Choice[]) => {
    candidates[field] = choices.slice(0, 3).map((c) => ({ column: c.p.index, name: c.p.name, score: round2(c.score), evidence: c.evidence.slice(0, 4) }));
  };
  const result = (): InferResult => {
    const missing = CORE_FIELDS.filter((f) => !Object.hasOwn(format, f));
    for (const f of missing) warnings.push(`Could not find ${f}: ${explain[f] ?? 'no column fits.'} Set it in file_format by hand (a 0-based column index) if the files have it.`);
    const suggestedMetadataSchema: Record<string, MetadataProperty> = {};
    const entityProfile = format.entity_id !== undefined ? profiles[format.entity_id] : undefined;
    for (const p of profiles) {
      if (!free(p) || p.nonEmpty.length === 0) continue;
      const base = p.name ? (p.info?.tokens.join('_') ?? '') : '';
      const key = base || `column_${p.index}`;
      if (opts.metadataSchema && Object.keys(opts.metadataSchema).some((k) => normName(k) === normName(key))) continue; // the dataset has it already
      const suggestion = suggestProperty(p, entityProfile);
      if (suggestion) suggestedMetadataSchema[key] = suggestion;
    }
    return {
      file_format: format,
      missing,
      candidates,
      dialect: {
        delimiter: dialect.delimiter,
        quote: dialect.quote,
        hasHeader: dialect.hasHeader,
        encoding: sample.encoding,
        lineEnding: dialect.lineEnding,
        compression: sample.compression,
      },
      columns: reports,
      rowsSampled: rows.length,
      warnings,
      warningCodes: [...warningCodes],
      suggestedMetadataSchema,
    };
  };

  // Several record types (storm header lines between data lines, NMEA sentences): not one table.
  const types = recordTypes(dialect.hasHeader ? allRows.slice(1) : allRows);
  if (types) {
    warnings.push(`The file mixes record types: ${types}. It is not one table, so no columns were mapped: split it by record type (or convert it to one row per point) before importing.`);
    for (const f of CORE_FIELDS) explain[f] = 'the file mixes record types (see the warning above).';
    return result();
  }

  // Coordinates first: they anchor the start/end group that the time should share.
  const pairs: { lat: Choice; lon: Choice; score: number }[] = [];
  let coords = pickCoordinates(profiles, pairs);
  pairs.sort((a, b) => b.score - a.score);
  // A header in words this engine does not know, over values that look like a track: the plausible reading, not sure.
  const trackLike = (p: Profile) => decimals(p) >= 4 && spread(p) > 0 && medianJump(p) < 0.1 * spread(p) && p.distinct >= 0.5 * p.nonEmpty.length;
  if (coords && header && !coordinateNamed(coords.lat.p) && !coordinateNamed(coords.lon.p) && trackLike(coords.lat.p) && trackLike(coords.lon.p) && !notCoordinateByName(coords.lat.p) && !notCoordinateByName(coords.lon.p)) {
    coords.confidence = Math.min(coords.confidence, 0.45);
    warnings.push(
      `Columns ${coords.lat.p.index} ("${coords.lat.p.name}") and ${coords.lon.p.index} ("${coords.lon.p.name}") were taken as latitude and longitude on their values alone (precise numbers in the degree ranges that change in small steps, like a track); no header names them as coordinates: check a few points on a map.`,
    );
  } else if (coords && header && !coordinateNamed(coords.lat.p) && !coordinateNamed(coords.lon.p)) {
    // A header that names neither column a coordinate: values alone in a degree range are temperatures, sizes, rates as often as positions.
    explain.latitude = explain.longitude = `columns ${coords.lat.p.index} ("${coords.lat.p.name}") and ${coords.lon.p.index} ("${coords.lon.p.name}") fit the latitude and longitude ranges, but the header names neither as a coordinate: not mapped (see candidates).`;
    coords = null;
  }
  if (coords?.rivalNote) warnings.push(coords.rivalNote);
  if (coords?.ambiguity) {
    warnings.push(coords.ambiguity);
    warningCodes.add('ambiguous_coordinates');
  }
  listCandidates('latitude', [...new Set(pairs.map((x) => x.lat))]);
  listCandidates('longitude', [...new Set(pairs.map((x) => x.lon))]);
  const conflicts: string[] = [];
  for (const p of profiles) {
    const why = (named(p, 'latitude') || named(p, 'longitude') || axisOf(p)) && isNumeric(p) ? notCoordinate(p, profiles) : null;
    if (!why) continue;
    reports[p.index]!.evidence.push(`not a coordinate: ${why}`);
    if (within(p, 180) >= 0.95) conflicts.push(`column ${p.index} ("${p.name}"): ${why}`);
  }
  if (conflicts.length) {
    warnings.push(`Names and values disagree, so these columns were not taken as coordinates although their values fit a degree range: ${conflicts.slice(0, 4).join('; ')}${conflicts.length > 4 ? `; and ${conflicts.length - 4} more` : ''}.`);
  }
  if (coords) {
    const both = coords.confidence >= CONFIDENT && !(named(coords.lat.p, 'latitude') && named(coords.lon.p, 'longitude')) ? coords.confidence - 0.05 : coords.confidence;
    assign(coords.lat.p, 'latitude', both, coords.lat.evidence);
    assign(coords.lon.p, 'longitude', coords.confidence, coords.lon.evidence);
    for (const [c, limit] of [[coords.lat.p, 90], [coords.lon.p, 180]] as const) {
      const bad = [...new Set(c.nonEmpty.filter((v) => Math.abs(parseNumber(v, decimalCommaAllowed) ?? Infinity) > limit))];
      if (bad.length && !(c === coords.lon.p && coords.lon.lon360)) {
        warnings.push(`Column ${c.index}: ${bad.length} value(s) are not ${c === coords.lat.p ? 'latitudes' : 'longitudes'} (${bad.slice(0, 3).map((v) => JSON.stringify(v)).join(', ')}): those rows will be invalid.`);
      }
      if (c.decimalComma) warnings.push(`Column ${c.index} uses decimal commas ("${c.nonEmpty.find((v) => v.includes(','))}"); the importer reads "." as the decimal separator: convert the numbers.`);
    }
    const others = profiles.filter((p) => free(p) && p.info?.group && p.info.group !== (coords.lat.p.info?.group ?? '') && (named(p, 'latitude') || named(p, 'longitude')));
    if (others.length) warnings.push(`The rows hold coordinates of more than one point (${others.map((p) => `"${p.name}"`).join(', ')} too): the ${coords.lat.p.info?.group || 'first'} point was chosen, with its time. Import the other point as a separate batch if you need it.`);
  } else {
    const combined = profiles.find((p) => p.type === 'point' || p.type === 'pair');
    // 28.0N, 094.8W, 1416E: degrees (or tenths) with a hemisphere letter instead of a sign.
    const hemi = profiles.filter((p) => p.type === 'string' && p.nonEmpty.length > 0 && p.nonEmpty.filter((v) => v.length < 40 && HEMISPHERE_RE.test(v) && HAS_HEMISPHERE.test(v)).length >= shareFloor(p.nonEmpty.length) * p.nonEmpty.length);
    const projected = profiles.filter((p) => isNumeric(p) && (named(p, 'projected') || named(p, 'latitude') || named(p, 'longitude')) && within(p, 180) < 0.5);
    if (combined) {
      explain.longitude = explain.latitude = `Column ${combined.index}${combined.name ? ` ("${combined.name}")` : ''} holds both coordinates in one value (${combined.type === 'point' ? 'WKT POINT(lon lat)' : '"lat,lon"'}, e.g. ${combined.nonEmpty[0]}); the platform needs longitude and latitude in columns of their own: split it before importing.`;
    } else if (hemi.length >= 2) {
      explain.longitude = explain.latitude = `Columns ${hemi.map((p) => p.index).join(', ')} hold coordinates with a hemisphere letter instead of a sign (e.g. ${hemi.map((p) => JSON.stringify(p.nonEmpty[0])).join(', ')}); the platform needs signed decimal degrees: convert them (S and W negative${hemi.some((p) => p.nonEmpty.every((v) => /^\s*\d+[NSEW]$/i.test(v))) ? '; whole numbers like 1416E are often tenths of a degree' : ''}) before importing.`;
    } else if (projected.length) {
      explain.longitude = explain.latitude = `Columns ${projected.map((p) => p.index).join(', ')} look like projected coordinates (values ${projected[0]!.min}..${projected[0]!.max}, metres or feet, not degrees); the platform needs WGS 84 longitude and latitude: reproject them (e.g. with ogr2ogr or pyproj) before importing.`;
    } else if (profiles.some((p) => p.type === 'json')) {
      explain.longitude = explain.latitude = `No column holds plain coordinates; column ${profiles.find((p) => p.type === 'json')!.index} holds JSON (e.g. a polyline): extract one longitude and one latitude per row before importing.`;
    }
  }

  // Time: the best candidate, preferring the coordinates' start/end group.
  const coordGroup = coords?.lat.p.info?.group ?? '';
  const hasEndTime = profiles.some((p) => p.info?.group === 'end' && named(p, 'timestamp'));
  const times = profiles
    .filter(free)
    .map((p) => timeScore(p, rows.length))
    .filter((c): c is TimeChoice => c !== null)
    .map((c) => {
      const g = c.p.info?.group ?? '';
      if (coordGroup && g === coordGroup) c.score += 0.15;
      else if (coordGroup && g && g !== coordGroup) c.score -= 0.25;
      else if (!coordGroup && g === 'end') c.score -= 0.1;
      else if (!coordGroup && g === 'start' && hasEndTime) c.score += 0.05;
      // A time named like the coordinates (GPS Fix Time with GPS Latitude): the time of that position.
      if (coords && c.p.info && qualifiers(c.p).some((t) => qualifiers(coords!.lat.p).includes(t) && qualifiers(coords!.lon.p).includes(t))) {
        c.score += 0.1;
        c.evidence.push(`header "${c.p.name}" shares a word with the coordinates' headers`);
      }
      return c;
    })
    .sort((a, b) => b.score - a.score || a.p.index - b.p.index);
  listCandidates('timestamp', times);
  let time = times[0];
  const elapsed = times.find((c) => c.kind === 'elapsed');
  // A record-keeping time (last_updated) is still the only time there is: taken, with a low confidence.
  if (time && time.score < 0.3 && named(time.p, 'recordtime') && (time.kind === 'epoch' || time.kind === 'datetime') && time.score + 0.35 >= 0.5) {
    time.evidence.push('the only time in the file, although its name says when the record was kept: check that it is the time of the position');
    time = { ...time, score: 0.45 };
  }
  // Two time columns that disagree on the day (an upload time beside the event's date): the one whose
  // name says event wins; either way the choice is not sure.
  let disagreement: string | undefined;
  if (time && time.score >= 0.3) {
    const other = times.find((c) => c !== time && c.p !== time!.p && (c.kind === 'date' || c.kind === 'datetime' || c.kind === 'epoch') && named(c.p, 'timestamp') && daysDisagree(time!, c));
    if (other) {
      const [take, leave] = named(other.p, 'eventtime') && !named(time.p, 'eventtime') ? [other, time] : [time, other];
      disagreement = `Columns ${take.p.index} ("${take.p.name}") and ${leave.p.index} ("${leave.p.name}") hold different days (e.g. ${JSON.stringify(take.p.nonEmpty[0])} and ${JSON.stringify(leave.p.nonEmpty[0])}): one is likely when the record was made or sent. Column ${take.p.index} was taken${take === other ? ', as its name says event' : ''}: check which is the time of the position.`;
      time = take;
    }
  }
  // Date and time split into calendar parts (year, month, day, hour...): no one column holds the time.
  const parts = calendarParts(profiles.filter(free));
  if (parts && (!time || time.score < 0.6)) {
    const [year] = parts;
    assign(year!, 'timestamp', 0.3, [`the date and time are split across columns ${parts.map((p) => `${p.index} ("${p.name}")`).join(', ')}: mapped as a placeholder`]);
    warnings.push(
      `The date and time are split across columns ${parts.map((p) => p.index).join(', ')} (${parts.map((p) => `"${p.name}"`).join(', ')}); the importer needs one epoch-millisecond column: combine them (in UTC, or ask the person for the time zone) before importing (column ${year!.index} was mapped as a placeholder).`,
    );
    time = undefined;
  }
  if (time && time.score >= 0.3) {
    const agree = named(time.p, 'timestamp') && !named(time.p, 'recordtime') && (time.kind === 'epoch' || time.kind === 'datetime');
    let confidence = agree ? Math.max(0.85, time.score) : Math.min(0.65, time.score);
    if (time.zoneless) confidence = Math.min(confidence, 0.8);
    const rival = times.find((c) => c !== time && c.p !== time!.p && c.kind !== 'elapsed' && c.score > time!.score - 0.1 && (c.p.info?.group ?? '') === (time!.p.info?.group ?? ''));
    if (rival) {
      confidence = Math.min(confidence, 0.6);
      warnings.push(`Column ${time.p.index} was taken as the time, but column ${rival.p.index}${rival.p.name ? ` ("${rival.p.name}")` : ''} fits almost as well: check which one is the time of the position.`);
    }
    if (disagreement) {
      confidence = Math.min(confidence, 0.6);
      warnings.push(disagreement);
    }
    assign(time.p, 'timestamp', confidence, time.evidence);
    if (time.kind === 'epoch' && time.unit !== 'ms') warnings.push(`Column ${time.p.index} holds ${EPOCH_TO_MS[time.unit!]} before importing; the importer expects epoch milliseconds.`);
    const order = time.kind === 'datetime' ? dayMonthOrder(time.p.nonEmpty) : null;
    const label = time.label ?? `${datetimeLabel(time.p.nonEmpty[0]!)}${order ? ` (${order.split(':')[0]})` : ''}`;
    if (time.kind === 'datetime' && !time.zoneless) warnings.push(`Column ${time.p.index} holds ${label} text (e.g. "${time.p.nonEmpty[0]}"); the importer expects epoch milliseconds: convert it (in UTC) before importing.`);
    if (time.kind === 'datetime' && time.zoneless) {
      warningCodes.add('zoneless_time');
      warnings.push(`Column ${time.p.index} holds ${label} ${time.label ? 'values' : 'text'} without a time zone (e.g. "${time.p.nonEmpty[0]}"): ask the person which time zone the times are in (local time, or UTC), then convert them to epoch milliseconds in that zone before importing.`);
    }
    if (time.p.parseShare < 1) warnings.push(`Column ${time.p.index}: ${Math.round(time.p.parseShare * 100)}% of values are times; the others (${time.p.unparsed.map((v) => JSON.stringify(v)).join(', ')}) will be invalid rows.`);
    if (time.kind === 'ole') warnings.push(`Column ${time.p.index} holds days since 1899-12-30; the importer expects epoch milliseconds: (days - 25569) * 86400000.`);
    if (time.kind === 'date' || time.kind === 'time') {
      const partner = profiles.find((p) => p !== time.p && (p.type === (time.kind === 'date' ? 'time' : 'date')) && Math.abs(p.index - time.p.index) <= 2);
      warnings.push(
        partner
          ? `Date and time are split across columns ${Math.min(time.p.index, partner.index)} and ${Math.max(time.p.index, partner.index)}; the importer needs one epoch-millisecond column: combine them before importing (column ${time.p.index} was mapped as a placeholder).`
          : `Column ${time.p.index} holds only ${time.kind === 'date' ? 'dates' : 'times of day'}; the importer needs epoch milliseconds: add the missing part and convert.`,
      );
    }
  } else if (parts) {
    /* mapped above */
  } else if (elapsed) {
    explain.timestamp = `column ${elapsed.p.index}${elapsed.p.name ? ` ("${elapsed.p.name}")` : ''} counts time since the start of the recording (${elapsed.p.min}..${elapsed.p.max}), not dates: the importer needs epoch milliseconds, so add the recording's start time (from the file name or the device) to it before importing.`;
  } else {
    explain.timestamp = 'No column holds times: looked for epoch numbers (seconds to nanoseconds), date-time text, and time-like header names.';
  }

  // Entity: the best identifier, if any is good enough.
  const layout: Layout = { coords, trip: false };
  if (coords) {
    const g = coords.lat.p.info?.group;
    const endOf = (role: 'latitude' | 'longitude') => profiles.find((p) => p.info?.group === 'end' && named(p, role) && isNumeric(p) && p !== coords.lat.p && p !== coords.lon.p);
    const ends = profiles.filter((p) => p.info?.group === 'end' && (named(p, 'timestamp') || named(p, 'latitude')));
    layout.trip = g === 'start' || ends.length > 0;
    if (g === 'start') {
      layout.endLat = endOf('latitude');
      layout.endLon = endOf('longitude');
    }
  }
  const entities = profiles
    .filter((p) => free(p) && !parts?.includes(p))
    .map((p) => entityScore(p, rows.length, layout))
    .filter((c): c is Choice => c !== null)
    .sort((a, b) => b.score - a.score || a.p.index - b.p.index);
  // An entity is named as an identifier, or its points form tracks (or the file has no header to name it);
  // a column with one value in every row cannot be told from a file label, so it is only mentioned.
  const eligible = (c: Choice) =>
    c.score >= 0.3 && c.p.distinct > 1 && (((named(c.p, 'entity') && !named(c.p, 'shared')) || header === null) || c.structure === 'tracks');
  // One value in every row: the single object of the file when the header calls it an identifier, or a headerless file starts with it.
  const single = (c: Choice) =>
    c.score >= 0.25 && c.p.distinct === 1 && c.p.nonEmpty.length === rows.length && (named(c.p, 'entity') || (c.p.index === 0 && (header === null || /\d/.test(c.p.nonEmpty[0]!))));
  const entity = entities.find(eligible) ?? entities.find(single);
  listCandidates('entity_id', entity ? [entity, ...entities.filter((c) => c !== entity)] : entities);
  const constant = entities.find((c) => c.p.distinct === 1 && c.p.nonEmpty.length === rows.length && (named(c.p, 'entity') || c.p.index === 0));
  if (entity) {
    // Values alone never make a confident answer: a journey id and a vehicle id look alike.
    const runnerUp = entities.find((c) => c !== entity && c.p.distinct > 1 && c.score > entity.score - 0.1);
    const close = runnerUp !== undefined;
    let confidence = named(entity.p, 'entity') ? Math.min(0.95, entity.score + 0.2) : Math.min(0.6, entity.score + 0.1);
    // The name says identifier but the positions say otherwise, or there are no positions to ask: not sure.
    if (entity.structure === 'against' || entity.p.distinct === 1) confidence = Math.min(confidence, 0.5);
    // A profile, dive, segment or trip id names a part of an object's track: not sure it is the object.
    else if (named(entity.p, 'event')) confidence = Math.min(confidence, 0.6);
    else if (!coords) confidence = Math.min(confidence, 0.65);
    assign(entity.p, 'entity_id', close ? Math.min(confidence, 0.55) : confidence, entity.evidence);
    if (close) {
      warnings.push(`Column ${entity.p.index} was taken as the entity, but column ${runnerUp.p.index}${runnerUp.p.name ? ` ("${runnerUp.p.name}")` : ''} fits almost as well: check which one identifies the moving object.`);
    }
  } else {
    const best = entities[0];
    explain.entity_id = constant
      ? `No column identifies the moving objects: column ${constant.p.index}${constant.p.name ? ` ("${constant.p.name}")` : ''} has one value in every row (${JSON.stringify(constant.p.nonEmpty[0])}); if the file holds one object, that may be its id (map it by hand), otherwise tell which column identifies the object.`
      : `No column identifies the moving objects${best ? ` (the best candidate, column ${best.p.index}${best.p.name ? ` "${best.p.name}"` : ''}, is ${best.evidence.at(-1) ?? 'too weak'})` : ''}. If each file holds one object, add a column with its id (e.g. from the file name); otherwise tell which column identifies the object.`;
  }

  // Altitude: by name only. A numeric column alone says nothing about being an altitude.
  // Heights above the ground, the take-off point or home are relative, not altitudes; "altitude" beats "height".
  const relative = (p: Profile) => (p.info?.tokens ?? []).some((t) => /^(takeoff|ground|agl|relative|rel|home|sonar)$/.test(t));
  const altitudes = profiles.filter((p) => free(p) && isNumeric(p) && named(p, 'altitude') && !named(p, 'angle') && !named(p, 'projected') && !relative(p));
  const alt = altitudes.find((p) => !(p.info?.tokens ?? []).includes('height')) ?? altitudes[0];
  if (alt) assign(alt, 'altitude', 0.75, [`header "${alt.name}" names an altitude`]);

  // Properties of the dataset.
  if (opts.metadataSchema) matchProperties(profiles, opts.metadataSchema, free, assign, warnings);

  return result();
}

// ---- dataset properties ------------------------------------------------------------------------

/**
 * Share of a column's values that fit a property, by the very check rows are validated with
 * (rules/values.ts): empty values count against a non-nullable property, and "NULL" or "NaN" is no
 * number.
 */
function fitShare(p: Profile, prop: MetadataProperty): number {
  if (p.values.length === 0) return 1;
  const check = propertyValueCheck(prop);
  return p.values.filter((v) => check(v) === null).length / p.values.length;
}

/** A column fits a property when nearly all its values do: a few invalid rows must not hide the match. */
const FIT_THRESHOLD = 0.9;
function fits(p: Profile, prop: MetadataProperty): boolean {
  return fitShare(p, prop) >= FIT_THRESHOLD && (p.nonEmpty.length === 0 || prop.type !== 'enum' || p.type === 'string');
}

function fitEvidence(p: Profile, prop: MetadataProperty): string {
  const share = fitShare(p, prop);
  return share === 1 ? `every value fits its type (${prop.type})` : `${Math.round(share * 1000) / 10}% of values fit its type (${prop.type}); the others will be invalid rows`;
}

/** A name reduced to its words: VesselType, vessel_type and "Vessel Type" are the same. */
const normName = (s: string) => tokenize(s).join('');

function matchProperties(
  profiles: Profile[],
  schema: MetadataSchema,
  free: (p: Profile) => boolean,
  assign: (p: Profile, role: string, c: number, ev: string[]) => void,
  warnings: string[],
): void {
  const props = Object.entries(schema);
  const unmatched = new Map(props);
  // 1. By header name, in any case or spelling (VesselType = vessel_type); then by the words one name
  //    adds to the other (Status -> nav_status), when the values fit.
  const words = (s: string) => tokenize(s);
  const byName = (exact: boolean) => {
    for (const p of profiles) {
      if (!free(p) || !p.name) continue;
      const hw = words(p.name);
      const hit = props.find(([name]) => {
        if (!unmatched.has(name)) return false;
        if (exact) return normName(name) === normName(p.name!);
        const pw = words(name);
        const [short, long] = hw.length <= pw.length ? [hw, pw] : [pw, hw];
        return short.length > 0 && short.join('').length >= 4 && short.every((w) => long.includes(w));
      });
      if (!hit) continue;
      const share = fitShare(p, hit[1]);
      if (p.nonEmpty.length > 0 && share - (p.values.length - p.nonEmpty.length) / Math.max(1, p.values.length) <= 0) {
        warnings.push(`Column ${p.index} ("${p.name}") is named like property "${hit[0]}", but none of its values fit its type (${hit[1].type}): not mapped.`);
        continue;
      }
      const ok = fits(p, hit[1]);
      const confidence = exact ? (ok ? 0.9 : 0.4) : ok ? 0.6 : 0.3;
      assign(p, hit[0], confidence, [exact ? `header matches property "${hit[0]}"` : `header "${p.name}" shares its words with property "${hit[0]}"`, fitEvidence(p, hit[1])]);
      if (share < 1) warnings.push(`Column ${p.index} ("${p.name}") matches property "${hit[0]}", but ${fitEvidence(p, hit[1])}.`);
      unmatched.delete(hit[0]);
    }
  };
  byName(true);
  byName(false);
  // 2. By position: the free columns after the core ones, in order, when every one fits.
  const freeCols = profiles.filter(free);
  const rest = [...unmatched];
  if (rest.length > 0 && freeCols.length === rest.length && freeCols.every((p, i) => fits(p, rest[i]![1]))) {
    freeCols.forEach((p, i) => {
      const [name, prop] = rest[i]!;
      assign(p, name, p.nonEmpty.length > 0 ? 0.6 : 0.4, [
        'by position: the remaining columns are as many as the dataset\'s unmapped properties, in the same order',
        p.nonEmpty.length > 0 ? fitEvidence(p, prop) : 'empty in the sample: type not confirmed',
      ]);
      if (p.nonEmpty.length > 0 && fitShare(p, prop) < 1) warnings.push(`Column ${p.index} (property "${name}"): ${fitEvidence(p, prop)}.`);
    });
    warnings.push(`Columns ${freeCols.map((p) => p.index).join(', ')} were matched to the dataset's properties by position: check the order.`);
    return;
  }
  // 3. Enum columns by their values.
  for (const [name, prop] of rest) {
    if (prop.type !== 'enum') continue;
    const p = profiles.find((c) => free(c) && c.nonEmpty.length > 0 && c.type === 'string' && fits(c, prop));
    if (!p) continue;
    assign(p, name, 0.7, [`values are enum "${name}"'s values`, fitEvidence(p, prop)]);
    unmatched.delete(name);
  }
  const notFound = [...unmatched.keys()];
  if (notFound.length > 0) warnings.push(`Dataset properties not matched to a column: ${notFound.join(', ')}. Add them to file_format by hand if the files have them.`);
}

/** True when each value of p goes with one entity and the reverse (a vessel's name, an aircraft's call sign). */
function perEntityLabel(p: Profile, entity: Profile | undefined): boolean {
  if (!entity || entity === p) return false;
  const pairs = new Map<string, string>();
  for (let i = 0; i < p.values.length; i++) {
    const e = entity.values[i] ?? '';
    const v = p.values[i] ?? '';
    if (!e || !v) continue;
    if (pairs.has(e) && pairs.get(e) !== v) return false;
    pairs.set(e, v);
  }
  return pairs.size >= 2 && new Set(pairs.values()).size === pairs.size;
}

function suggestProperty(p: Profile, entity?: Profile): MetadataProperty | null {
  const nullable = p.nonEmpty.length < p.values.length;
  if (p.type === 'integer') {
    const fit = numberPropertyFor(p.min, p.max);
    return fit ? { type: 'number', nullable, ...fit } : null;
  }
  if (p.type === 'ipv4') return { type: 'ip', nullable };
  // An enum is a small set of categories that repeat; not the names or call signs of the few objects sampled.
  if ((p.type === 'string' || p.type === 'boolean') && p.distinct <= 50 && p.distinct * 3 <= p.nonEmpty.length && !perEntityLabel(p, entity)) {
    return { type: 'enum', nullable, values: [...new Set(p.nonEmpty)].sort() };
  }
  return null;
}
