/**
 * Column-role inference: which column is the entity, the time, the longitude, the latitude (and
 * altitude), and which columns match the dataset's properties. Each decision carries a confidence
 * and the evidence for it, and every ambiguity is stated, never hidden.
 */
import type { MetadataProperty, MetadataSchema } from '../dfi/schemas.js';
import { detectDialect, type Dialect } from './dialect.js';
import type { FileFormat } from './format.js';
import type { Sample } from './sample.js';
import { isDecimal, isIPv4, isInteger, MAX_TIMESTAMP_MS } from './validate.js';

export type ColumnType = 'empty' | 'integer' | 'decimal' | 'uuid' | 'ipv4' | 'datetime' | 'boolean' | 'string';

export interface ColumnReport {
  index: number;
  name: string | null;
  type: ColumnType;
  role: string | null;
  confidence: number;
  evidence: string[];
  examples: string[];
}

export interface InferResult {
  file_format: FileFormat;
  missing: string[];
  dialect: { delimiter: string; quote: string; hasHeader: boolean; encoding: string; lineEnding: string; compression: string };
  columns: ColumnReport[];
  rowsSampled: number;
  warnings: string[];
  suggestedMetadataSchema: Record<string, MetadataProperty>;
}

interface Profile {
  index: number;
  name: string | null;
  values: string[];
  nonEmpty: string[];
  type: ColumnType;
  numbers: number[];
  min: number;
  max: number;
  distinct: number;
  hasFraction: boolean;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DATETIME_RE = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;
const MAX_EXAMPLE = 40;

function classify(values: string[]): ColumnType {
  if (values.length === 0) return 'empty';
  const all = (f: (v: string) => boolean) => values.every(f);
  if (all(isInteger)) return 'integer';
  if (all(isDecimal)) return 'decimal';
  if (all((v) => UUID_RE.test(v))) return 'uuid';
  if (all(isIPv4)) return 'ipv4';
  if (all((v) => DATETIME_RE.test(v))) return 'datetime';
  if (all((v) => /^(true|false)$/i.test(v))) return 'boolean';
  return 'string';
}

function profile(rows: string[][], index: number, name: string | null): Profile {
  const values = rows.map((r) => (r[index] ?? '').trim());
  const nonEmpty = values.filter((v) => v !== '');
  const type = classify(nonEmpty);
  const numbers = type === 'integer' || type === 'decimal' ? nonEmpty.map(Number) : [];
  return {
    index,
    name,
    values,
    nonEmpty,
    type,
    numbers,
    min: numbers.length ? Math.min(...numbers) : NaN,
    max: numbers.length ? Math.max(...numbers) : NaN,
    distinct: new Set(nonEmpty).size,
    hasFraction: nonEmpty.some((v) => v.includes('.')),
  };
}

const norm = (s: string) => s.toLowerCase().replace(/^#\s*/, '').replace(/[\s\-.]+/g, '_');
const NAME_PATTERNS: Record<string, RegExp> = {
  latitude: /^(.*_)?(lat|latitude|breitengrad|y)$/,
  longitude: /^(.*_)?(lon|lng|long|longitude|laengengrad|längengrad|x)$/,
  timestamp: /^(.*_)?(time|timestamp|ts|datetime|date_time|epoch|epoch_ms|t|unix_time|zeit)$/,
  entity_id: /^(.*_)?(id|entity|entity_id|uid|uuid|device|device_id|vehicle|vehicle_id|user|user_id|imei|mmsi|icao24|track|track_id|trip|trip_id|object|object_id)$/,
  altitude: /^(.*_)?(alt|altitude|elevation|ele|height|z)$/,
};

function nameMatches(p: Profile, role: string): boolean {
  return p.name !== null && NAME_PATTERNS[role]!.test(norm(p.name));
}

function fmtRange(p: Profile): string {
  const out = beyond(p, 90);
  return `values ${p.min}..${p.max}${out > 0 && out < Math.max(2, 0.05 * p.numbers.length) ? ` (${out} outlier(s) beyond ±90 ignored)` : ''}`;
}

function beyond(p: Profile, limit: number): number {
  return p.numbers.filter((n) => Math.abs(n) > limit).length;
}

export interface InferOptions {
  metadataSchema?: MetadataSchema;
  hasHeader?: boolean;
  delimiter?: string;
}

export function inferCsvFormat(sample: Sample, opts: InferOptions = {}): InferResult {
  const warnings: string[] = [];
  const { dialect, rows: allRows } = detectDialect(sample.text, {
    ...(opts.delimiter ? { delimiter: opts.delimiter } : {}),
    ...(opts.hasHeader !== undefined ? { hasHeader: opts.hasHeader } : {}),
  });
  const header = dialect.hasHeader ? allRows[0] ?? null : null;
  const rows = dialect.hasHeader ? allRows.slice(1) : allRows;
  const width = Math.max(0, ...allRows.map((r) => r.length));
  const profiles = Array.from({ length: width }, (_, i) => profile(rows, i, header ? (header[i] ?? '').trim().replace(/^#\s*/, '') || null : null));
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
    r.confidence = Math.round(Math.min(1, confidence) * 100) / 100;
    r.evidence.push(...evidence);
  };
  const free = (p: Profile) => reports[p.index]!.role === null;

  if (rows.length === 0) warnings.push('The sample has no data rows: give more of the file.');
  if (dialect.delimiter !== ',') {
    warnings.push(
      `The file is separated by ${JSON.stringify(dialect.delimiter)}, but the platform's CSV format has no delimiter option and reads commas: convert the files to comma-separated before importing.`,
    );
  }
  if (dialect.hasHeader) {
    warnings.push(
      'The file has a header row. The platform maps columns by index and has no header option: expect the header line of every file to be rejected as one invalid row (or strip it before importing).',
    );
  }
  if (dialect.preambleLines > 0) warnings.push(`The first ${dialect.preambleLines} line(s) are not part of the table; the platform will count them as invalid rows.`);
  if (sample.truncated) warnings.push(`Only the first ${sample.bytesRead} bytes were read; the last partial row was dropped.`);

  // --- timestamp ---
  const timeCandidates = profiles
    .map((p) => {
      const ev: string[] = [];
      let score = 0;
      if (p.type === 'integer' && p.min >= 1e11 && p.max <= MAX_TIMESTAMP_MS) {
        score = 0.85;
        ev.push(`whole numbers ${p.min}..${p.max}: epoch milliseconds (${new Date(p.min).toISOString()} .. ${new Date(p.max).toISOString()})`);
      } else if (p.type === 'integer' && p.min >= 1e8 && p.max <= 2_147_483_647) {
        score = 0.55;
        ev.push(`whole numbers ${p.min}..${p.max}: epoch seconds (${new Date(p.min * 1000).toISOString()} ..)`);
      } else if (p.type === 'datetime') {
        score = 0.6;
        ev.push('ISO 8601 date-times');
      }
      if (nameMatches(p, 'timestamp')) {
        score = Math.max(score, 0.3) + 0.1;
        ev.push(`header "${p.name}" names a time`);
      }
      return { p, score, ev };
    })
    .filter((c) => c.score > 0)
    .sort((a, b) => b.score - a.score);
  const time = timeCandidates[0];
  if (time) {
    assign(time.p, 'timestamp', time.score, time.ev);
    if (time.p.type === 'datetime') warnings.push(`Column ${time.p.index} holds date-time text; the importer expects epoch milliseconds: convert it before importing.`);
    else if (time.p.max <= 2_147_483_647) warnings.push(`Column ${time.p.index} looks like epoch seconds; the importer expects epoch milliseconds: multiply by 1000 before importing.`);
  }

  // --- longitude / latitude ---
  const coord = profiles.filter((p) => free(p) && (p.type === 'decimal' || p.type === 'integer') && p.hasFraction && p.min >= -180 && p.max <= 180);
  const byName = (role: string) => coord.find((p) => nameMatches(p, role));
  let lon = byName('longitude');
  let lat = byName('latitude');
  if (lon && lat) {
    assign(lon, 'longitude', 0.9, [`header "${lon.name}" names a longitude`, fmtRange(lon)]);
    assign(lat, 'latitude', lat.min >= -90 && lat.max <= 90 ? 0.9 : 0.3, [`header "${lat.name}" names a latitude`, fmtRange(lat)]);
    if (lat.min < -90 || lat.max > 90) warnings.push(`Column ${lat.index} is named like a latitude but has values beyond ±90: check the file.`);
  } else {
    const remaining = coord.filter((p) => p !== lon && p !== lat);
    // Robust to a few bad rows: a column is "beyond ±90" only when a real share of its values is.
    const wide = remaining.filter((p) => beyond(p, 90) >= Math.max(2, 0.05 * p.numbers.length));
    const narrow = remaining.filter((p) => !wide.includes(p));
    if (!lon && wide.length > 0 && (lat || narrow.length > 0)) {
      lon = wide[0]!;
      assign(lon, 'longitude', 0.75, [`${fmtRange(lon)}: beyond ±90, so it can only be a longitude`]);
    }
    if (!lat && lon && narrow.length > 0) {
      lat = narrow.find((p) => Math.abs(p.index - lon!.index) === 1) ?? narrow[0]!;
      assign(lat, 'latitude', 0.7, [`${fmtRange(lat)}: within ±90, next to the longitude`]);
    }
    if (!lon && !lat && narrow.length >= 2) {
      // Both fit either range: take them in file order (longitude first, as GeoJSON and the guide do) and say so.
      const [a, b] = [narrow[0]!, narrow.find((p) => p.index === narrow[0]!.index + 1) ?? narrow[1]!];
      lon = a;
      lat = b;
      const ev = 'both columns fit the latitude and the longitude range; taken in file order (longitude first)';
      assign(a, 'longitude', 0.5, [fmtRange(a), ev]);
      assign(b, 'latitude', 0.5, [fmtRange(b), ev]);
      const r = rows.find((row) => isDecimal(row[a.index] ?? '') && isDecimal(row[b.index] ?? ''));
      const point = r ? ` For the first row, this reading is longitude ${r[a.index]}, latitude ${r[b.index]}; the other is latitude ${r[a.index]}, longitude ${r[b.index]}.` : '';
      warnings.push(
        `Ambiguous coordinates: columns ${a.index} and ${b.index} both fit either range, so longitude=${a.index} and latitude=${b.index} is a guess by order.${point} Check on a map which reading puts the points where they should be, and swap them in file_format if needed.`,
      );
    }
    if (lon && !lat && narrow.length === 0) lat = undefined;
  }

  // --- entity id ---
  const entityCandidates = profiles
    .filter((p) => free(p) && p.nonEmpty.length > 0)
    .map((p) => {
      let score = 0;
      const ev: string[] = [];
      if (p.type === 'uuid') {
        score += 0.6;
        ev.push('UUIDs');
      } else if (p.type === 'string' || (p.type === 'integer' && !p.hasFraction)) {
        score += p.type === 'string' ? 0.35 : 0.2;
        ev.push(p.type === 'string' ? 'text identifiers' : 'whole-number identifiers');
      }
      if (p.nonEmpty.length > 1 && p.distinct < p.nonEmpty.length) {
        score += 0.2;
        ev.push(`${p.distinct} distinct values in ${p.nonEmpty.length} rows: several points per entity`);
      } else if (p.nonEmpty.length > 1 && p.distinct === p.nonEmpty.length) {
        score -= 0.15;
        ev.push('a different value in every row: possibly an event id rather than an entity');
      }
      if (p.distinct === 1 && p.nonEmpty.length > 5) score -= 0.1;
      if (p.nonEmpty.length < p.values.length) score -= 0.3;
      if (nameMatches(p, 'entity_id')) {
        score += 0.3;
        ev.push(`header "${p.name}" names an identifier`);
      }
      return { p, score, ev };
    })
    .filter((c) => c.score > 0.25)
    .sort((a, b) => b.score - a.score || a.p.index - b.p.index);
  if (entityCandidates[0]) assign(entityCandidates[0].p, 'entity_id', entityCandidates[0].score, entityCandidates[0].ev);

  // --- altitude (by name only: a numeric column alone says nothing about being an altitude) ---
  const alt = profiles.find((p) => free(p) && (p.type === 'integer' || p.type === 'decimal') && nameMatches(p, 'altitude'));
  if (alt) assign(alt, 'altitude', 0.7, [`header "${alt.name}" names an altitude`]);

  // --- dataset properties ---
  const schema = opts.metadataSchema;
  if (schema) matchProperties(profiles, schema, free, assign, warnings);

  const missing = ['entity_id', 'timestamp', 'longitude', 'latitude'].filter((f) => format[f] === undefined);
  if (missing.length > 0) warnings.push(`Could not find: ${missing.join(', ')}. Set them in file_format by hand (0-based column indices).`);

  const suggestedMetadataSchema: Record<string, MetadataProperty> = {};
  for (const p of profiles) {
    if (!free(p) || p.nonEmpty.length === 0) continue;
    const name = p.name ? norm(p.name).replace(/[^a-z0-9_]/g, '') || `column_${p.index}` : `column_${p.index}`;
    const suggestion = suggestProperty(p);
    if (suggestion) suggestedMetadataSchema[name] = suggestion;
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
    assign(p, hit[0], ok ? 0.9 : 0.4, [`header matches property "${hit[0]}"`, ok ? `values fit its type (${hit[1].type})` : `but some values do not fit its type (${hit[1].type})`]);
    if (!ok) warnings.push(`Column ${p.index} matches property "${hit[0]}" by name, but some of its values do not fit the property's type: expect invalid rows.`);
    unmatched.delete(hit[0]);
  }
  // 2. By position: the free columns after the core ones, in order, when every one fits.
  const freeCols = profiles.filter(free);
  const rest = [...unmatched];
  if (rest.length > 0 && freeCols.length === rest.length && freeCols.every((p, i) => fits(p, rest[i]![1]))) {
    freeCols.forEach((p, i) => {
      const [name, prop] = rest[i]!;
      assign(p, name, p.nonEmpty.length > 0 ? 0.6 : 0.4, [
        `by position: the remaining columns are as many as the dataset's unmapped properties, in the same order`,
        p.nonEmpty.length > 0 ? fitEvidence(p, prop) : 'empty in the sample: type not confirmed',
      ]);
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

function fitEvidence(p: Profile, prop: MetadataProperty): string {
  const share = fitShare(p, prop);
  return share === 1 ? `every value fits its type (${prop.type})` : `${Math.round(share * 1000) / 10}% of values fit its type (${prop.type}); the others will be invalid rows`;
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
