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
import { detectDialect } from './dialect.js';
import type { FileFormat } from './format.js';
import { readName, type NameInfo } from './names.js';
import type { Sample } from './sample.js';
import { isIPv4, isInteger } from './validate.js';
import { invalidInput } from '../errors.js';
import { classifyValues, datetimeLabel, EPOCH_TO_MS, epochUnit, parseNumber, type EpochUnit, type ValueType } from './values.js';

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

export interface InferResult {
  file_format: FileFormat;
  missing: string[];
  dialect: { delimiter: string; quote: string; hasHeader: boolean; encoding: string; lineEnding: string; compression: string };
  columns: ColumnReport[];
  rowsSampled: number;
  warnings: string[];
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
  const nonEmpty = values.filter((v) => v !== '' && v.toLowerCase() !== 'null' && v.toLowerCase() !== 'nan');
  const type = classifyValues(nonEmpty, decimalCommaAllowed);
  const numeric = type === 'integer' || type === 'decimal';
  const num = values.map((v) => (numeric && v !== '' ? parseNumber(v, decimalCommaAllowed) : null));
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
    hasFraction: numeric && nonEmpty.some((v) => /[.,]\d/.test(v)),
    decimalComma: numeric && nonEmpty.some((v) => /^[+-]?\d+,\d+$/.test(v)),
    rowIndex,
  };
}

const named = (p: Profile, role: Parameters<NameInfo['roles']['has']>[0]) => p.info?.roles.has(role) === true;
const isNumeric = (p: Profile) => p.type === 'integer' || p.type === 'decimal';
/** Share of values within ±limit. */
const within = (p: Profile, limit: number) => (p.nums.length ? p.nums.filter((n) => Math.abs(n) <= limit).length / p.nums.length : 0);
const spread = (p: Profile) => p.p95 - p.p05;

/** How plausible values are as latitudes of people's data: mid latitudes are where most of it is. */
function latitudePlausibility(p: Profile): number {
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
}

// ---- coordinates -------------------------------------------------------------------------------

function coordinateScore(p: Profile, role: 'latitude' | 'longitude'): Choice | null {
  if (!isNumeric(p) || p.rowIndex || p.nums.length === 0) return null;
  const other = role === 'latitude' ? 'longitude' : 'latitude';
  const limit = role === 'latitude' ? 90 : 180;
  const evidence: string[] = [];
  let score = 0;
  if (named(p, role) && !named(p, other)) {
    score += 0.55;
    evidence.push(`header "${p.name}" names a ${role}`);
  } else if (named(p, other) && !named(p, role)) return null;
  if (named(p, 'angle') && !named(p, role)) return null; // heading, course, speed...: fit the range, are not coordinates
  if (named(p, 'timestamp') || named(p, 'altitude')) return null;
  const share = within(p, limit);
  if (share < 0.95) return null;
  if (role === 'latitude' && p.nums.filter((n) => n < -60).length > 0.05 * p.nums.length) return null;
  const outliers = p.nums.length - Math.round(share * p.nums.length);
  evidence.push(`values ${p.p05}..${p.p95} within ±${limit}${outliers ? ` (${outliers} outlier(s) beyond ±${limit} ignored)` : ''}`);
  if (p.hasFraction) score += 0.15;
  else if (!named(p, role)) return null; // whole numbers are codes, counts or angles, not coordinates
  if (p.distinct <= 1 && p.nums.length > 3) score -= 0.2;
  // Coordinates of one data set sit in a region; angles sweep the circle.
  if (spread(p) > 100 && !named(p, role)) score -= 0.3;
  return { p, score, evidence };
}

interface CoordPick {
  lat: Choice;
  lon: Choice;
  ambiguous: boolean;
  confidence: number;
}

function pickCoordinates(profiles: Profile[], warnings: string[]): CoordPick | null {
  const lats = profiles.map((p) => coordinateScore(p, 'latitude')).filter((c): c is Choice => c !== null);
  const lons = profiles.map((p) => coordinateScore(p, 'longitude')).filter((c): c is Choice => c !== null);
  let best: { lat: Choice; lon: Choice; score: number } | undefined;
  for (const la of lats) {
    for (const lo of lons) {
      if (la.p === lo.p) continue;
      let score = la.score + lo.score;
      if (Math.abs(la.p.index - lo.p.index) === 1) score += 0.15;
      const ga = la.p.info?.group ?? '';
      const go = lo.p.info?.group ?? '';
      if (ga === go) score += ga === 'end' ? 0.1 : 0.2;
      else if (ga && go) score -= 0.4;
      // The same prefix (pickup_, start station ...) beyond start/end: keep pairs together.
      const prefix = (p: Profile) => (p.info?.tokens ?? []).filter((t) => !/^(lat|latitude|lon|lng|long|longitude|x|y)$/.test(t)).join(' ');
      if (la.p.info && lo.p.info && prefix(la.p) === prefix(lo.p)) score += 0.1;
      // Neither named: the reading that puts points where people are.
      if (!named(la.p, 'latitude') && !named(lo.p, 'longitude')) score += 0.1 * latitudePlausibility(la.p);
      if (!best || score > best.score + 1e-9) best = { lat: la, lon: lo, score };
    }
  }
  if (!best) return null;
  const { lat, lon } = best;
  const byName = named(lat.p, 'latitude') && named(lon.p, 'longitude');
  const lonBeyond90 = within(lon.p, 90) < 0.95;
  let ambiguous = false;
  let confidence: number;
  if (byName) confidence = 0.9;
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
    warnings.push(
      `Ambiguous coordinates: columns ${lat.p.index} and ${lon.p.index} both fit the latitude and the longitude range, and no header names them.${example} Chosen: latitude=${lat.p.index}, longitude=${lon.p.index}, the more plausible reading. Check a few points on a map; if they land in the wrong place, swap latitude and longitude in file_format.`,
    );
  }
  return { lat, lon, ambiguous, confidence };
}

// ---- time --------------------------------------------------------------------------------------

interface TimeChoice extends Choice {
  kind: 'epoch' | 'datetime' | 'date' | 'time' | 'ole';
  unit?: EpochUnit;
}

function timeScore(p: Profile, rows: number): TimeChoice | null {
  if (p.nonEmpty.length === 0 || p.rowIndex) return null;
  const evidence: string[] = [];
  const isNamed = named(p, 'timestamp');
  const distinctShare = p.distinct / Math.max(1, p.nonEmpty.length);
  let c: TimeChoice | null = null;
  if (isNumeric(p)) {
    const unit = epochUnit(p.min, p.max);
    if (unit && (isNamed || (distinctShare >= 0.5 && p.type === 'integer'))) {
      const score = p.type === 'integer' ? (unit === 's' ? 0.5 : unit === 'ms' ? 0.65 : 0.6) : 0.35;
      const range = unit === 's' ? 1e3 : unit === 'ms' ? 1 : unit === 'us' ? 1e-3 : 1e-6;
      evidence.push(`numbers ${p.min}..${p.max}: ${EPOCH_TO_MS[unit]} (${new Date(p.min * range).toISOString()} ..)`);
      c = { p, score, evidence, kind: 'epoch', unit };
    } else if (p.type === 'decimal' && p.hasFraction && p.min >= 25569 && p.max <= 50424 && !named(p, 'latitude') && !named(p, 'longitude')) {
      evidence.push(`fractional numbers ${p.min}..${p.max}: days since 1899-12-30 (OLE/Excel dates), ${new Date((p.min - 25569) * 86_400_000).toISOString()} ..`);
      c = { p, score: 0.45, evidence, kind: 'ole' };
    }
  } else if (p.type === 'datetime') {
    evidence.push(`${datetimeLabel(p.nonEmpty[0]!)} values`);
    c = { p, score: 0.6, evidence, kind: 'datetime' };
  } else if (p.type === 'date') {
    evidence.push('dates without a time of day');
    c = { p, score: 0.3, evidence, kind: 'date' };
  } else if (p.type === 'time') {
    evidence.push('times of day without a date');
    c = { p, score: 0.12, evidence, kind: 'time' };
  }
  if (!c) return null;
  if (isNamed) {
    c.score += 0.25;
    c.evidence.push(`header "${p.name}" names a time`);
  }
  if (c.kind !== 'date' && c.kind !== 'time' && distinctShare < 0.3 && rows > 10) c.score -= 0.3;
  return c;
}

// ---- entity ------------------------------------------------------------------------------------

/** Upper-quartile distance (degrees) between consecutive rows of the same group, in file order. */
function typicalStep(groupOf: (i: number) => string | null, lat: (number | null)[], lon: (number | null)[]): number | null {
  const last = new Map<string, number>();
  const steps: number[] = [];
  for (let i = 0; i < lat.length; i++) {
    const g = groupOf(i);
    if (g === null || lat[i] === null || lon[i] === null) continue;
    const j = last.get(g);
    if (j !== undefined) steps.push(Math.hypot(lat[i]! - lat[j]!, lon[i]! - lon[j]!));
    last.set(g, i);
  }
  if (steps.length < 3) return null;
  steps.sort((a, b) => a - b);
  // The upper quartile, not the median: a code shared by two vehicles jumps in a quarter of its steps.
  return quantile(steps, 0.75);
}

function entityScore(p: Profile, rows: number, coords: CoordPick | null): Choice | null {
  if (p.nonEmpty.length === 0 || p.rowIndex) return null;
  if (['decimal', 'datetime', 'date', 'time', 'boolean', 'point', 'pair', 'json', 'ipv4'].includes(p.type)) return null;
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
    evidence.push(`header "${p.name}" names a code shared by many objects (line, route, type, company...)`);
  }
  if (named(p, 'event') && unique) score -= 0.2;
  if (p.type === 'uuid' || p.type === 'hexid') {
    score += 0.3;
    evidence.push(p.type === 'uuid' ? 'UUIDs' : 'hexadecimal identifiers');
  } else if (p.type === 'integer') {
    if (p.min < 0) return null;
    score += 0.1;
    evidence.push('whole-number identifiers');
  } else {
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
    score -= 0.35;
    evidence.push('a different value in every row: an event or record id, not an entity');
  } else if (p.distinct < n) {
    score += 0.15;
    evidence.push(`${p.distinct} distinct value(s) in ${n} rows: several points each`);
  }
  if (p.distinct === 1 && n > 3 && !named(p, 'entity')) score -= 0.1;
  if (n < 0.9 * rows) {
    score -= 0.3;
    evidence.push('empty in some rows');
  }
  if (p.index === 0) score += 0.15;
  // Structure: an entity's consecutive points are close; a code shared by many vehicles jumps.
  if (coords && p.distinct > 1 && !unique) {
    const lat = coords.lat.p.num;
    const lon = coords.lon.p.num;
    const mine = typicalStep((i) => p.values[i] || null, lat, lon);
    const fileOrder = typicalStep(() => '', lat, lon);
    if (mine !== null && fileOrder !== null && fileOrder > 0) {
      const ratio = mine / fileOrder;
      if (ratio < 0.5) {
        score += 0.3 * Math.min(1, (0.6 - ratio) / 0.6) + 0.05;
        evidence.push(`consecutive points of each value are ${Math.round(1 / Math.max(ratio, 0.01))}x closer than consecutive rows: tracks of moving objects`);
      } else if (ratio > 0.8) {
        score -= 0.15;
        evidence.push('points sharing a value are no closer than any two rows: not one moving object');
      }
    }
  }
  return { p, score, evidence };
}

// ---- the whole ---------------------------------------------------------------------------------

/** More columns than this is not a trajectory file (and profiling them would take too long). */
export const MAX_COLUMNS = 1000;

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
  if (rows.length === 0) throw invalidInput(`${sample.origin} has no rows.`, 'Give a file, or a sample, with at least one data row.');
  if (width > MAX_COLUMNS) {
    throw invalidInput(`${sample.origin} has rows of ${width} columns; a trajectory file has far fewer (at most ${MAX_COLUMNS} are read).`, 'Check the delimiter (pass delimiter), or that this is the right file.');
  }
  if (width < 2) {
    throw invalidInput(
      `${sample.origin} has a single column: no delimiter (, ; tab |) separates its values${/^["']/.test(head) ? ', and an unclosed quote may swallow the rest of the file' : ''}.`,
      'Pass delimiter if the file uses another one, or check that this is a CSV file.',
    );
  }
}

export function inferCsvFormat(sample: Sample, opts: InferOptions = {}): InferResult {
  const warnings: string[] = [];
  const { dialect, rows: allRows } = detectDialect(sample.text, {
    ...(opts.delimiter ? { delimiter: opts.delimiter } : {}),
    ...(opts.hasHeader !== undefined ? { hasHeader: opts.hasHeader } : {}),
  });
  const header = dialect.hasHeader ? (allRows[0] ?? null) : null;
  const rows = (dialect.hasHeader ? allRows.slice(1) : allRows).slice(0, MAX_PROFILE_ROWS);
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

  // Coordinates first: they anchor the start/end group that the time should share.
  const coords = pickCoordinates(profiles, warnings);
  if (coords) {
    const both = coords.confidence >= CONFIDENT && !(named(coords.lat.p, 'latitude') && named(coords.lon.p, 'longitude')) ? coords.confidence - 0.05 : coords.confidence;
    assign(coords.lat.p, 'latitude', both, coords.lat.evidence);
    assign(coords.lon.p, 'longitude', coords.confidence, coords.lon.evidence);
    for (const c of [coords.lat.p, coords.lon.p]) {
      if (c.decimalComma) warnings.push(`Column ${c.index} uses decimal commas ("${c.nonEmpty.find((v) => v.includes(','))}"); the importer reads "." as the decimal separator: convert the numbers.`);
    }
    const others = profiles.filter((p) => free(p) && p.info?.group && p.info.group !== (coords.lat.p.info?.group ?? '') && (named(p, 'latitude') || named(p, 'longitude')));
    if (others.length) warnings.push(`The rows hold coordinates of more than one point (${others.map((p) => `"${p.name}"`).join(', ')} too): the ${coords.lat.p.info?.group || 'first'} point was chosen, with its time. Import the other point as a separate batch if you need it.`);
  } else {
    const combined = profiles.find((p) => p.type === 'point' || p.type === 'pair');
    const projected = profiles.filter((p) => isNumeric(p) && (named(p, 'projected') || named(p, 'latitude') || named(p, 'longitude')) && within(p, 180) < 0.5);
    if (combined) {
      explain.longitude = explain.latitude = `Column ${combined.index}${combined.name ? ` ("${combined.name}")` : ''} holds both coordinates in one value (${combined.type === 'point' ? 'WKT POINT(lon lat)' : '"lat,lon"'}, e.g. ${combined.nonEmpty[0]}); the platform needs longitude and latitude in columns of their own: split it before importing.`;
    } else if (projected.length) {
      explain.longitude = explain.latitude = `Columns ${projected.map((p) => p.index).join(', ')} look like projected coordinates (values ${projected[0]!.min}..${projected[0]!.max}, metres or feet, not degrees); the platform needs WGS 84 longitude and latitude: reproject them (e.g. with ogr2ogr or pyproj) before importing.`;
    } else if (profiles.some((p) => p.type === 'json')) {
      explain.longitude = explain.latitude = `No column holds plain coordinates; column ${profiles.find((p) => p.type === 'json')!.index} holds JSON (e.g. a polyline): extract one longitude and one latitude per row before importing.`;
    }
  }

  // Time: the best candidate, preferring the coordinates' start/end group.
  const coordGroup = coords?.lat.p.info?.group ?? '';
  const times = profiles
    .filter(free)
    .map((p) => timeScore(p, rows.length))
    .filter((c): c is TimeChoice => c !== null)
    .map((c) => {
      const g = c.p.info?.group ?? '';
      if (coordGroup && g === coordGroup) c.score += 0.15;
      else if (coordGroup && g && g !== coordGroup) c.score -= 0.25;
      else if (!coordGroup && g === 'end') c.score -= 0.1;
      return c;
    })
    .sort((a, b) => b.score - a.score || a.p.index - b.p.index);
  const time = times[0];
  if (time && time.score >= 0.3) {
    const agree = named(time.p, 'timestamp') && (time.kind === 'epoch' || time.kind === 'datetime');
    assign(time.p, 'timestamp', agree ? Math.max(0.85, time.score) : Math.min(0.65, time.score), time.evidence);
    if (time.kind === 'epoch' && time.unit !== 'ms') warnings.push(`Column ${time.p.index} holds ${EPOCH_TO_MS[time.unit!]} before importing; the importer expects epoch milliseconds.`);
    if (time.kind === 'datetime') warnings.push(`Column ${time.p.index} holds ${datetimeLabel(time.p.nonEmpty[0]!)} text (e.g. "${time.p.nonEmpty[0]}"); the importer expects epoch milliseconds: convert it (in UTC) before importing.`);
    if (time.kind === 'ole') warnings.push(`Column ${time.p.index} holds days since 1899-12-30; the importer expects epoch milliseconds: (days - 25569) * 86400000.`);
    if (time.kind === 'date' || time.kind === 'time') {
      const partner = profiles.find((p) => p !== time.p && (p.type === (time.kind === 'date' ? 'time' : 'date')) && Math.abs(p.index - time.p.index) <= 2);
      warnings.push(
        partner
          ? `Date and time are split across columns ${Math.min(time.p.index, partner.index)} and ${Math.max(time.p.index, partner.index)}; the importer needs one epoch-millisecond column: combine them before importing (column ${time.p.index} was mapped as a placeholder).`
          : `Column ${time.p.index} holds only ${time.kind === 'date' ? 'dates' : 'times of day'}; the importer needs epoch milliseconds: add the missing part and convert.`,
      );
    }
  } else {
    explain.timestamp = 'No column holds times: looked for epoch numbers (seconds to nanoseconds), date-time text, and time-like header names.';
  }

  // Entity: the best identifier, if any is good enough.
  const entities = profiles
    .filter(free)
    .map((p) => entityScore(p, rows.length, coords))
    .filter((c): c is Choice => c !== null)
    .sort((a, b) => b.score - a.score || a.p.index - b.p.index);
  const entity = entities[0];
  if (entity && entity.score >= 0.3) {
    // Values alone never make a confident answer: a journey id and a vehicle id look alike.
    const runnerUp = entities[1];
    const close = runnerUp !== undefined && runnerUp.score > entity.score - 0.1;
    const confidence = named(entity.p, 'entity') ? Math.min(0.95, entity.score + 0.2) : Math.min(0.6, entity.score + 0.1);
    assign(entity.p, 'entity_id', close ? Math.min(confidence, 0.55) : confidence, entity.evidence);
    if (close) {
      warnings.push(`Column ${entity.p.index} was taken as the entity, but column ${runnerUp.p.index}${runnerUp.p.name ? ` ("${runnerUp.p.name}")` : ''} fits almost as well: check which one identifies the moving object.`);
    }
  } else {
    explain.entity_id = `No column identifies the moving objects${entity ? ` (the best candidate, column ${entity.p.index}${entity.p.name ? ` "${entity.p.name}"` : ''}, is ${entity.evidence.at(-1) ?? 'too weak'})` : ''}. If each file holds one object, add a column with its id (e.g. from the file name); otherwise tell which column identifies the object.`;
  }

  // Altitude: by name only. A numeric column alone says nothing about being an altitude.
  const alt = profiles.find((p) => free(p) && isNumeric(p) && named(p, 'altitude') && !named(p, 'angle'));
  if (alt) assign(alt, 'altitude', 0.75, [`header "${alt.name}" names an altitude`]);

  // Properties of the dataset.
  if (opts.metadataSchema) matchProperties(profiles, opts.metadataSchema, free, assign, warnings);

  const missing = ['entity_id', 'timestamp', 'longitude', 'latitude'].filter((f) => !Object.hasOwn(format, f));
  for (const f of missing) warnings.push(`Could not find ${f}: ${explain[f] ?? 'no column fits.'} Set it in file_format by hand (a 0-based column index) if the files have it.`);

  const suggestedMetadataSchema: Record<string, MetadataProperty> = {};
  for (const p of profiles) {
    if (!free(p) || p.nonEmpty.length === 0) continue;
    const base = p.name ? (p.info?.tokens.join('_') ?? '') : '';
    const suggestion = suggestProperty(p);
    if (suggestion) suggestedMetadataSchema[base || `column_${p.index}`] = suggestion;
  }

  return {
    file_format: format,
    missing,
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
    suggestedMetadataSchema,
  };
}

// ---- dataset properties ------------------------------------------------------------------------

/** Share of a column's values that fit a property (empty values count against a non-nullable one). */
function fitShare(p: Profile, prop: MetadataProperty): number {
  if (p.values.length === 0) return 1;
  const empties = p.values.length - p.nonEmpty.length;
  const [min, max] = prop.signed === false ? [0, 4_294_967_295] : [-2_147_483_648, 2_147_483_647];
  const one = (v: string): boolean => {
    switch (prop.type) {
      case 'number':
        return isInteger(v) && Number(v) >= min && Number(v) <= max;
      case 'ip':
        return isIPv4(v);
      case 'enum':
        return prop.values?.includes(v) ?? false;
      default:
        return true;
    }
  };
  const good = p.nonEmpty.filter(one).length + (prop.nullable === false ? 0 : empties);
  return good / p.values.length;
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

const norm = (s: string) => s.toLowerCase().replace(/^#\s*/, '').replace(/[\s\-.]+/g, '_');

function matchProperties(
  profiles: Profile[],
  schema: MetadataSchema,
  free: (p: Profile) => boolean,
  assign: (p: Profile, role: string, c: number, ev: string[]) => void,
  warnings: string[],
): void {
  const props = Object.entries(schema);
  const unmatched = new Map(props);
  // 1. By header name.
  for (const p of profiles) {
    if (!free(p) || !p.name) continue;
    const hit = props.find(([name]) => unmatched.has(name) && norm(name) === norm(p.name!));
    if (!hit) continue;
    const ok = fits(p, hit[1]);
    assign(p, hit[0], ok ? 0.9 : 0.4, [`header matches property "${hit[0]}"`, fitEvidence(p, hit[1])]);
    if (fitShare(p, hit[1]) < 1) warnings.push(`Column ${p.index} ("${p.name}") matches property "${hit[0]}", but ${fitEvidence(p, hit[1])}.`);
    unmatched.delete(hit[0]);
  }
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

function suggestProperty(p: Profile): MetadataProperty | null {
  const nullable = p.nonEmpty.length < p.values.length;
  if (p.type === 'integer') {
    return p.min >= 0 && p.max <= 4_294_967_295
      ? { type: 'number', nullable, signed: false }
      : p.min >= -2_147_483_648 && p.max <= 2_147_483_647
        ? { type: 'number', nullable, signed: true }
        : null;
  }
  if (p.type === 'ipv4') return { type: 'ip', nullable };
  if ((p.type === 'string' || p.type === 'boolean') && p.distinct <= 50 && p.distinct < p.nonEmpty.length) {
    return { type: 'enum', nullable, values: [...new Set(p.nonEmpty)].sort() };
  }
  return null;
}
