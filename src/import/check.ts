/**
 * What check_import concludes, from a batch, a sample of its source rows and the Query API's answers.
 *
 * The checks compare what the import should have inserted (the source rows read with the batch's
 * format and validated as the importer validates them) with what the dataset holds in the same time
 * window: counts in total and per entity, a handful of one entity's rows side by side with its
 * landed records, and where and when the points are. The verdicts are plain: a check that passes
 * says what it saw; one that fails says what it suggests (latitude/longitude swapped, time unit off
 * by 1000, wrong entity column) and what to do.
 */
import type { QueryRecord } from '../dfi/query.js';
import type { WireCsvFormat } from '../dfi/schemas.js';
import { compileRowValidator } from '../csv/validate.js';
import type { MetadataSchema } from '../dfi/schemas.js';
import { describePlaces, type PlaceSummary } from '../preview/world.js';
import type { SourceRow } from './source-rows.js';

/** A source row as the importer should have inserted it. */
export interface ExpectedPoint {
  file: string;
  line: number;
  entity: string;
  /** Epoch milliseconds, as the file holds it. */
  time: number;
  lon: number;
  lat: number;
}

export interface Expected {
  points: ExpectedPoint[];
  invalid: number;
  /** Rows per entity, most rows first. */
  perEntity: [string, number][];
  minTime: number;
  maxTime: number;
}

/** The source rows the import should have inserted: those the importer's validation accepts. */
export function expectedPoints(rows: SourceRow[], format: WireCsvFormat, schema: MetadataSchema): Expected {
  const validator = compileRowValidator(format, schema);
  const [e, t, lon, lat] = [format.entityId, format.timestamp, format.longitude, format.latitude];
  const points: ExpectedPoint[] = [];
  let invalid = 0;
  const per = new Map<string, number>();
  let minTime = Infinity;
  let maxTime = -Infinity;
  for (const r of rows) {
    if (e === undefined || t === undefined || lon === undefined || lat === undefined || validator.validate(r.fields) !== null) {
      invalid++;
      continue;
    }
    const p = { file: r.file, line: r.line, entity: r.fields[e]!, time: Number(r.fields[t]), lon: Number(r.fields[lon]), lat: Number(r.fields[lat]) };
    points.push(p);
    per.set(p.entity, (per.get(p.entity) ?? 0) + 1);
    minTime = Math.min(minTime, p.time);
    maxTime = Math.max(maxTime, p.time);
  }
  return { points, invalid, perEntity: [...per.entries()].sort((a, b) => b[1] - a[1]), minTime, maxTime };
}

export interface Verdict {
  check: 'status' | 'count' | 'entities' | 'records' | 'place' | 'time' | 'entity_column';
  /** true: as expected; false: something is wrong; null: could not be told. */
  ok: boolean | null;
  says: string;
  /** Stable code of what a failing check suggests. */
  suggests?: 'lat_lon_swapped' | 'time_unit_seconds' | 'time_unit_off_by_1000' | 'wrong_entity_column' | 'rows_missing' | 'extra_points' | 'coordinates_differ' | 'at_sea' | 'batch_incomplete';
}

const iso = (ms: number) => (Number.isFinite(ms) ? new Date(ms).toISOString() : String(ms));
const close = (a: number, b: number) => Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(a), Math.abs(b));

export interface SideBySideRow {
  source: { file: string; line: number; time: string; lon: number; lat: number };
  landed: { time: string; lon: number; lat: number } | null;
  match: 'equal' | 'differs' | 'swapped' | 'missing' | 'time_off_by_1000';
}

/** The first rows of one entity next to the landed records with the same time. */
export function sideBySide(expected: ExpectedPoint[], records: QueryRecord[], max = 5): SideBySideRow[] {
  const byTime = new Map<number, QueryRecord[]>();
  for (const r of records) {
    const t = Date.parse(r.time);
    byTime.set(t, [...(byTime.get(t) ?? []), r]);
  }
  return expected.slice(0, max).map((p) => {
    const source = { file: p.file, line: p.line, time: iso(p.time), lon: p.lon, lat: p.lat };
    const same = byTime.get(p.time) ?? [];
    const exact = same.find((r) => close(r.coordinate[0], p.lon) && close(r.coordinate[1], p.lat));
    if (exact) return { source, landed: { time: exact.time, lon: exact.coordinate[0], lat: exact.coordinate[1] }, match: 'equal' as const };
    const swapped = same.find((r) => close(r.coordinate[0], p.lat) && close(r.coordinate[1], p.lon));
    if (swapped) return { source, landed: { time: swapped.time, lon: swapped.coordinate[0], lat: swapped.coordinate[1] }, match: 'swapped' as const };
    if (same[0]) return { source, landed: { time: same[0].time, lon: same[0].coordinate[0], lat: same[0].coordinate[1] }, match: 'differs' as const };
    const scaled = [...(byTime.get(p.time * 1000) ?? []), ...(byTime.get(Math.round(p.time / 1000)) ?? [])][0];
    if (scaled) return { source, landed: { time: scaled.time, lon: scaled.coordinate[0], lat: scaled.coordinate[1] }, match: 'time_off_by_1000' as const };
    return { source, landed: null, match: 'missing' as const };
  });
}

/** Where the points are, and whether the other reading of the two coordinate columns fits better. */
export function placeVerdict(points: [number, number][], format: WireCsvFormat): { verdict: Verdict; asLanded: PlaceSummary; swapped: PlaceSummary | null } {
  const asLanded = describePlaces(points);
  if (points.length === 0) return { verdict: { check: 'place', ok: null, says: 'No landed points to place.' }, asLanded, swapped: null };
  const canSwap = points.every(([lon]) => Math.abs(lon) <= 90);
  const swapped = canSwap ? describePlaces(points.map(([lon, lat]) => [lat, lon] as [number, number])) : null;
  const top = asLanded.places[0]!.name;
  if (swapped && asLanded.onLand <= 0.3 && swapped.onLand >= 0.8) {
    return {
      verdict: {
        check: 'place',
        ok: false,
        suggests: 'lat_lon_swapped',
        says: `Latitude and longitude look swapped: as imported, ${Math.round((1 - asLanded.onLand) * 100)}% of the points are at sea (${top}); read the other way round they are in ${swapped.places[0]!.name} (${Math.round(swapped.onLand * 100)}% on land). The format maps longitude to column ${format.longitude} and latitude to column ${format.latitude}: import again with longitude ${format.latitude} and latitude ${format.longitude}.`,
      },
      asLanded,
      swapped,
    };
  }
  if (asLanded.onLand <= 0.3) {
    return {
      verdict: { check: 'place', ok: null, suggests: 'at_sea', says: `${Math.round((1 - asLanded.onLand) * 100)}% of the points are at sea (${top}). Right for ships or flights; otherwise check the longitude and latitude columns.` },
      asLanded,
      swapped,
    };
  }
  return { verdict: { check: 'place', ok: true, says: `The points landed in ${asLanded.summary.replace(/^all \d+ point\(s\) are in /, '')} (${Math.round(asLanded.onLand * 100)}% on land).` }, asLanded, swapped };
}

const YEAR_1971 = Date.UTC(1971, 0, 1);

/** Whether the times landed in a plausible range, and what an off-by-1000 suggests. */
export function timeVerdict(minTime: number, maxTime: number, side: SideBySideRow[]): Verdict {
  if (!Number.isFinite(minTime)) return { check: 'time', ok: null, says: 'No landed times to check.' };
  if (maxTime < YEAR_1971) {
    return {
      check: 'time',
      ok: false,
      suggests: 'time_unit_seconds',
      says: `The times landed between ${iso(minTime)} and ${iso(maxTime)}, in 1970: the files hold epoch seconds where the importer expects epoch milliseconds. Convert the timestamps (multiply by 1000) and import again.`,
    };
  }
  if (side.some((s) => s.match === 'time_off_by_1000')) {
    return { check: 'time', ok: false, suggests: 'time_unit_off_by_1000', says: 'Landed times differ from the source rows by a factor of 1000: the time unit was read wrong.' };
  }
  return { check: 'time', ok: true, says: `The times landed between ${iso(minTime)} and ${iso(maxTime)}.` };
}
