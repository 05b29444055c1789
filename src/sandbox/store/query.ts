/**
 * The Query API's query document (shared/dfi-import-api.md, "Query API"): parsed, checked against the
 * dataset's schema, and run over the segments of the dataset's DFI instance.
 *
 * Accepted as the public client sends it and as the notes describe it: `filters.fields` entries may be
 * `{"type", "operation", "value"}` or dfipy's `{"<operation>": value}`; a Polygon's `coordinates` may be
 * one ring (dfipy) or a list of rings (GeoJSON: the first is the outline, the others are holes);
 * `minTime`/`maxTime` may be ISO 8601 strings, epoch milliseconds or null (unbounded), both inclusive.
 */
import type { MetadataSchema } from '../../dfi/schemas.js';
import { isIPv4 } from '../../rules/values.js';
import { BLOCK_ROWS, CELLS, entityHash, ipToNumber, numberToIp, numericType, type Segment } from './segment.js';

/** A query that cannot run: before the stream starts (400) or inside it (`queryError`). */
export class QueryDocumentError extends Error {
  constructor(
    message: string,
    /** `request`: the document is malformed (HTTP 400); `query`: it does not fit the dataset (a queryError event). */
    readonly kind: 'request' | 'query',
  ) {
    super(message);
  }
}

const OPERATIONS = ['lt', 'gt', 'gte', 'lte', 'eq', 'neq', 'between', 'outside'] as const;
type Operation = (typeof OPERATIONS)[number];

interface FieldFilter {
  name: string;
  type: string;
  op: Operation;
  /** Numbers (number, ip) or the enum value. */
  a: number | string;
  b?: number;
}

export interface CompiledQuery {
  datasetId: string;
  ids?: string[];
  minTime: number;
  maxTime: number;
  bbox?: [number, number, number, number];
  /** Rings of [lon, lat]; with a polygon, `bbox` is the outline's bounding box. */
  polygon?: number[][][];
  fields: FieldFilter[];
  only?: 'newest' | 'oldest';
  ret: 'count' | 'groupBy' | 'records';
  includeFields: boolean;
  includeMetadataId: boolean;
  /** The dataset's properties: `fields` of a record names each (null when the import did not map it). */
  properties: string[];
}

const bad = (m: string) => new QueryDocumentError(m, 'request');
const misfit = (m: string) => new QueryDocumentError(m, 'query');
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function parseTime(v: unknown, name: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string') {
    const ms = Date.parse(v);
    if (!Number.isNaN(ms)) return ms;
  }
  throw bad(`filters.time.${name} must be an ISO 8601 time with a time zone (e.g. "2022-01-01T08:00:00Z"), epoch milliseconds or null, not ${JSON.stringify(v)}`);
}

function coordinate(p: unknown, where: string): [number, number] {
  if (!Array.isArray(p) || p.length < 2 || typeof p[0] !== 'number' || typeof p[1] !== 'number') throw bad(`${where} must be a [longitude, latitude] pair`);
  const [lon, lat] = p as [number, number];
  if (lon < -180 || lon > 180 || lat < -90 || lat > 90) throw bad(`${where} [${lon}, ${lat}] is outside longitude -180..180, latitude -90..90`);
  return [lon, lat];
}

function parseGeo(geo: unknown, q: CompiledQuery): void {
  if (!isObj(geo)) throw bad('filters.geo must be {"type": "BoundingBox", "bounds": [minLon, minLat, maxLon, maxLat]} or {"type": "Polygon", "coordinates": [[lon, lat], ...]}');
  if (geo.type === 'BoundingBox') {
    const b = geo.bounds;
    if (!Array.isArray(b) || b.length !== 4 || !b.every((x) => typeof x === 'number' && Number.isFinite(x))) throw bad('filters.geo.bounds must be [minLon, minLat, maxLon, maxLat]: four numbers');
    const [x0, y0] = coordinate([b[0], b[1]], 'filters.geo.bounds min corner');
    const [x1, y1] = coordinate([b[2], b[3]], 'filters.geo.bounds max corner');
    if (x0 >= x1 || y0 >= y1) throw bad(`filters.geo.bounds [${b.join(', ')}]: the minimum longitude and latitude must be below the maximum ones`);
    q.bbox = [x0, y0, x1, y1];
    return;
  }
  if (geo.type === 'Polygon') {
    const c = geo.coordinates;
    if (!Array.isArray(c) || c.length === 0) throw bad('filters.geo.coordinates must be a closed ring of [lon, lat] points');
    const rawRings = Array.isArray(c[0]) && Array.isArray((c[0] as unknown[])[0]) ? (c as unknown[][]) : [c as unknown[]];
    q.polygon = rawRings.map((ring, r) => {
      if (!Array.isArray(ring)) throw bad(`filters.geo.coordinates ring ${r} is not a list of points`);
      const pts = ring.map((p, i) => coordinate(p, `filters.geo.coordinates ring ${r} point ${i}`));
      if (pts.length < 4) throw bad(`filters.geo.coordinates ring ${r} has ${pts.length} points; a polygon's ring needs four or more (the first repeated at the end)`);
      const [f, l] = [pts[0]!, pts[pts.length - 1]!];
      if (f[0] !== l[0] || f[1] !== l[1]) throw bad(`filters.geo.coordinates ring ${r} is not closed: its first and last points differ`);
      return pts;
    });
    const outer = q.polygon[0]!;
    q.bbox = [Math.min(...outer.map((p) => p[0]!)), Math.min(...outer.map((p) => p[1]!)), Math.max(...outer.map((p) => p[0]!)), Math.max(...outer.map((p) => p[1]!))];
    return;
  }
  throw bad(`filters.geo.type must be "BoundingBox" or "Polygon", not ${JSON.stringify(geo.type)}`);
}

const FILTER_TYPE: Record<string, string> = { 'signed number': 'number', 'unsigned number': 'number', ip: 'ip', enum: 'enum' };

function parseField(name: string, spec: unknown, schema: MetadataSchema): FieldFilter {
  if (!isObj(spec)) throw bad(`filters.fields.${name} must be {"type": ..., "operation": ..., "value": ...}`);
  let op: unknown;
  let value: unknown;
  let type: unknown;
  if ('operation' in spec) {
    ({ operation: op, value, type } = spec);
  } else {
    const keys = Object.keys(spec);
    if (keys.length !== 1) throw bad(`filters.fields.${name} must name one operation (${OPERATIONS.join(', ')})`);
    op = keys[0];
    value = spec[keys[0]!];
  }
  if (typeof op !== 'string' || !(OPERATIONS as readonly string[]).includes(op)) throw bad(`filters.fields.${name}: the operation must be one of ${OPERATIONS.join(', ')}, not ${JSON.stringify(op)}`);
  const prop = Object.hasOwn(schema, name) ? schema[name] : undefined;
  if (!prop) throw misfit(`${JSON.stringify(name)} is not a property of the dataset (its properties: ${Object.keys(schema).join(', ') || 'none'})`);
  if (type !== undefined) {
    const want = FILTER_TYPE[String(type)];
    if (!want) throw bad(`filters.fields.${name}.type must be "signed number", "unsigned number", "ip" or "enum", not ${JSON.stringify(type)}`);
    if (want !== prop.type) throw misfit(`filters.fields.${name} is filtered as ${JSON.stringify(type)} but the property is of type ${JSON.stringify(prop.type)}`);
    if (want === 'number' && (type === 'signed number') !== (prop.signed === true)) throw misfit(`filters.fields.${name} is filtered as ${JSON.stringify(type)} but the property is ${prop.signed === true ? 'signed' : 'unsigned'}`);
  }
  const o = op as Operation;
  if ((prop.type === 'ip' || prop.type === 'enum') && o !== 'eq' && o !== 'neq') throw misfit(`filters.fields.${name}: an ${prop.type} property can only be filtered with eq or neq, not ${o}`);
  if (prop.type === 'number') {
    if (o === 'between' || o === 'outside') {
      if (!Array.isArray(value) || value.length !== 2 || !value.every((x) => Number.isInteger(x))) throw bad(`filters.fields.${name}: ${o} takes [low, high], two integers`);
      return { name, type: 'number', op: o, a: Math.min(value[0], value[1]), b: Math.max(value[0], value[1]) };
    }
    if (!Number.isInteger(value)) throw bad(`filters.fields.${name}: the value must be an integer, not ${JSON.stringify(value)}`);
    return { name, type: 'number', op: o, a: value as number };
  }
  if (prop.type === 'ip') {
    if (typeof value !== 'string' || !isIPv4(value)) throw bad(`filters.fields.${name}: the value must be an IPv4 address such as "10.0.0.1", not ${JSON.stringify(value)}`);
    return { name, type: 'ip', op: o, a: ipToNumber(value) };
  }
  if (prop.type === 'enum') {
    if (typeof value !== 'string') throw bad(`filters.fields.${name}: the value must be one of the enum's values (a string), not ${JSON.stringify(value)}`);
    if (!(prop.values ?? []).includes(value)) throw misfit(`filters.fields.${name}: ${JSON.stringify(value)} is not one of the enum's values (${(prop.values ?? []).join(', ')})`);
    return { name, type: 'enum', op: o, a: value };
  }
  throw misfit(`filters.fields.${name}: properties of type ${JSON.stringify(prop.type)} cannot be filtered`);
}

/** Parses and checks a query document against the dataset's metadataSchema. */
export function parseQuery(doc: unknown, schema: MetadataSchema): CompiledQuery {
  if (!isObj(doc)) throw bad('the body must be a query document: {"datasetId": ..., "filters": {...}, "return": {"type": "count"}}');
  if (typeof doc.datasetId !== 'string' || !doc.datasetId) throw bad('datasetId is required (a string)');
  const ret = doc.return === 'count' ? { type: 'count' } : doc.return;
  if (!isObj(ret) || (ret.type !== 'count' && ret.type !== 'records')) throw bad('return must be {"type": "count"}, {"type": "count", "groupBy": {"type": "uniqueId"}} or {"type": "records", "include"?: ["fields", "metadataId"]}');
  const q: CompiledQuery = { datasetId: doc.datasetId, minTime: -Infinity, maxTime: Infinity, fields: [], ret: 'count', includeFields: false, includeMetadataId: false, properties: Object.keys(schema) };
  if (ret.type === 'count') {
    if (ret.groupBy !== undefined && ret.groupBy !== null) {
      if (!isObj(ret.groupBy) || ret.groupBy.type !== 'uniqueId') throw bad('return.groupBy must be {"type": "uniqueId"}');
      q.ret = 'groupBy';
    }
  } else {
    q.ret = 'records';
    if (ret.include !== undefined && ret.include !== null) {
      if (!Array.isArray(ret.include) || !ret.include.every((x) => x === 'fields' || x === 'metadataId')) throw bad('return.include must be a list of "fields" and "metadataId"');
      q.includeFields = ret.include.includes('fields');
      q.includeMetadataId = ret.include.includes('metadataId');
    }
  }
  const f = doc.filters ?? {};
  if (!isObj(f)) throw bad('filters must be an object ({} for none)');
  const known = new Set(['id', 'time', 'geo', 'fields', 'only']);
  const unknown = Object.keys(f).filter((k) => !known.has(k));
  if (unknown.length) throw bad(`unknown filter ${unknown.map((k) => JSON.stringify(k)).join(', ')}: the filters are id, time, geo, fields and only`);
  if (f.id !== undefined && f.id !== null) {
    if (!Array.isArray(f.id) || !f.id.every((x) => typeof x === 'string' || (typeof x === 'number' && Number.isFinite(x)))) throw bad('filters.id must be a list of entity ids');
    q.ids = f.id.map(String);
  }
  if (f.time !== undefined && f.time !== null) {
    if (!isObj(f.time)) throw bad('filters.time must be {"minTime": ..., "maxTime": ...}');
    q.minTime = parseTime(f.time.minTime, 'minTime') ?? -Infinity;
    q.maxTime = parseTime(f.time.maxTime, 'maxTime') ?? Infinity;
    if (q.minTime > q.maxTime) throw bad('filters.time.minTime is after maxTime');
  }
  if (f.geo !== undefined && f.geo !== null) parseGeo(f.geo, q);
  if (f.fields !== undefined && f.fields !== null) {
    if (!isObj(f.fields)) throw bad('filters.fields must be an object: property name -> filter');
    for (const [name, spec] of Object.entries(f.fields)) q.fields.push(parseField(name, spec, schema));
  }
  if (f.only !== undefined && f.only !== null) {
    if (f.only !== 'newest' && f.only !== 'oldest') throw bad(`filters.only must be "newest" or "oldest", not ${JSON.stringify(f.only)}`);
    if (q.ret !== 'records') throw bad('filters.only goes with a records return only');
    q.only = f.only;
  }
  return q;
}

/** Even-odd rule over every ring (holes included). */
function inPolygon(x: number, y: number, rings: number[][][]): boolean {
  let inside = false;
  for (const ring of rings) {
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const xi = ring[i]![0]!, yi = ring[i]![1]!, xj = ring[j]![0]!, yj = ring[j]![1]!; // prettier-ignore
      if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
    }
  }
  return inside;
}

function numberTest(f: FieldFilter, a: number): (v: number) => boolean {
  const b = f.b ?? a;
  switch (f.op) {
    case 'lt': return (v) => v < a; // prettier-ignore
    case 'gt': return (v) => v > a; // prettier-ignore
    case 'lte': return (v) => v <= a; // prettier-ignore
    case 'gte': return (v) => v >= a; // prettier-ignore
    case 'eq': return (v) => v === a; // prettier-ignore
    case 'neq': return (v) => v === v && v !== a; // NaN (null) never matches // prettier-ignore
    case 'between': return (v) => v >= a && v <= b; // prettier-ignore
    case 'outside': return (v) => v < a || v > b; // prettier-ignore
  }
}

export const RECORDS_PER_MESSAGE = 5_000;
export const IDS_PER_MESSAGE = 10_000;
const RUN_BLOCKS = 16;
/** Free column buffers of RUN_BLOCKS * BLOCK_ROWS values. */
const POOL: Float64Array[] = [];

type Rec = { id: string; coordinate: [number, number]; time: string; fields?: Record<string, unknown>; metadataId?: number | null };

/**
 * Runs the query over the segments and yields the `message` payloads (JSON texts): one count, id ->
 * count objects (each id in exactly one message), or lists of records (none when nothing matches).
 * Reads only the blocks whose time range and bounding box can match.
 */
export async function* runQuery(q: CompiledQuery, segments: Segment[], open: (file: string) => number | null, close: (fd: number) => void): AsyncGenerator<string> {
  const idHashes = q.ids ? new Map<number, string[]>() : undefined;
  for (const id of q.ids ?? []) {
    const h = entityHash(id);
    idHashes!.set(h, [...(idHashes!.get(h) ?? []), id]);
  }
  const timed = q.minTime !== -Infinity || q.maxTime !== Infinity;
  const [gx0, gy0, gx1, gy1] = q.bbox ?? [-Infinity, -Infinity, Infinity, Infinity];
  const records = q.ret === 'records';
  let counted = 0;
  const groups = q.ret === 'groupBy' ? new Map<string, number>() : undefined;
  const best = q.only ? new Map<string, { t: number; rec: Rec }>() : undefined;
  let batch: Rec[] = [];
  // Column buffers reused across runs and segments, and across queries through a small pool.
  const buffers = new Map<string, Float64Array>();
  const scratch = (name: string) => {
    let b = buffers.get(name);
    if (!b) buffers.set(name, (b = POOL.pop() ?? new Float64Array(RUN_BLOCKS * BLOCK_ROWS)));
    return b;
  };
  try {

    for (const seg of segments) {
      const h = seg.header;
      if (h.maxTime < q.minTime || h.minTime > q.maxTime) continue;
      if (h.bbox[2] < gx0 || h.bbox[0] > gx1 || h.bbox[3] < gy0 || h.bbox[1] > gy1) continue;
      // Field filters on this segment's columns; a property the segment lacks is null in every row.
      const tests: { col: string; test: (v: number) => boolean }[] = [];
      let impossible = false;
      for (const f of q.fields) {
        const k = h.props.findIndex((p) => p.name === f.name);
        if (k < 0) {
          impossible = true;
          break;
        }
        const p = h.props[k]!;
        if (numericType(p.type)) tests.push({ col: `p${k}`, test: numberTest(f, f.a as number) });
        else {
          const idx = (p.values ?? []).indexOf(f.a as string);
          if (f.op === 'eq' && idx < 0) impossible = true;
          tests.push({ col: `p${k}`, test: numberTest({ ...f, a: idx }, idx) });
        }
      }
      if (impossible) continue;
      const fh = open(seg.file);
      if (fh === null) continue; // removed by a truncate while the query ran
      try {
        let entSel: Set<number> | undefined;
        if (idHashes) {
          entSel = seg.lookup(fh, idHashes);
          if (entSel.size === 0) continue;
        }
        const dict = records || groups ? seg.dictionary(fh) : undefined;
        const perEnt = groups ? new Uint32Array(h.entities) : undefined;
        let segCount = 0;
        const B = h.blocks;
        const nb = B.minTime.length;
        const rowLevelOnly = records || groups || entSel || tests.length > 0 || q.polygon;
        // Blocks that can match, grouped into runs of consecutive blocks that must be read.
        let runStart = -1;
        let runEnd = -1;
        const flushRun = async function* (this: void): AsyncGenerator<string> {
          if (runStart < 0) return;
          const start = runStart * h.blockRows;
          const end = Math.min(h.rows, runEnd * h.blockRows);
          const runFirst = runStart;
          const runLast = runEnd - 1;
          runStart = -1;
          // The entity column first: a run without the entity is not read further.
          const ent = entSel || groups || records ? seg.u32(fh, 'ent', start, end) : undefined;
          if (entSel) {
            let any = false;
            for (let i = 0; i < ent!.length && !any; i++) any = entSel.has(ent![i]!);
            if (!any) return;
          }
          // Time is read only where a block is not wholly inside the time range (or for records).
          const timeAll = B.minTime[runFirst]! >= q.minTime && B.maxTime[runLast]! <= q.maxTime;
          const checkTime = timed && !timeAll;
          const t = checkTime || records ? seg.f64(fh, 'time', start, end, scratch('time')) : undefined;
          const lon = q.bbox || records ? seg.f64(fh, 'lon', start, end, scratch('lon')) : undefined;
          const lat = q.bbox || records ? seg.f64(fh, 'lat', start, end, scratch('lat')) : undefined;
          const cols = tests.map((x) => seg.f64(fh, x.col, start, end, scratch(x.col)));
          const meta = records && q.includeMetadataId ? seg.f64(fh, 'meta', start, end, scratch('meta')) : undefined;
          const props = records && q.includeFields ? h.props.map((_, k) => seg.f64(fh, `p${k}`, start, end, scratch(`p${k}`))) : undefined;
          const n = end - start;
          const poly = q.polygon;
          for (let i = 0; i < n; i++) {
            if (checkTime) {
              const x = t![i]!;
              if (x < q.minTime || x > q.maxTime) continue;
            }
            if (q.bbox) {
              const x = lon![i]!, y = lat![i]!; // prettier-ignore
              if (x < gx0 || x > gx1 || y < gy0 || y > gy1) continue;
              if (poly && !inPolygon(x, y, poly)) continue;
            }
            if (entSel && !entSel.has(ent![i]!)) continue;
            let ok = true;
            for (let k = 0; k < tests.length; k++) {
              if (!tests[k]!.test(cols[k]![i]!)) {
                ok = false;
                break;
              }
            }
            if (!ok) continue;
            if (perEnt) {
              perEnt[ent![i]!]!++;
              continue;
            }
            if (!records) {
              segCount++;
              continue;
            }
            const time = t![i]!;
            const id = dict![ent![i]!]!;
            if (best) {
              const cur = best.get(id);
              if (cur && (q.only === 'newest' ? time <= cur.t : time >= cur.t)) continue;
            }
            const rec: Rec = { id, coordinate: [lon![i]!, lat![i]!], time: new Date(time).toISOString() };
            if (props) {
              const fields: Record<string, unknown> = {};
              for (const name of q.properties) fields[name] = null;
              h.props.forEach((p, k) => {
                const v = props[k]![i]!;
                fields[p.name] = Number.isNaN(v) ? null : p.type === 'number' ? v : p.type === 'ip' ? numberToIp(v) : (p.values?.[v] ?? null);
              });
              rec.fields = fields;
            }
            if (meta) rec.metadataId = Number.isNaN(meta[i]!) ? null : meta[i]!;
            if (best) best.set(id, { t: time, rec });
            else {
              batch.push(rec);
              if (batch.length >= RECORDS_PER_MESSAGE) {
                yield JSON.stringify(batch);
                batch = [];
              }
            }
          }
        };
        // A plain count in a box: per block, the grid cells wholly inside the box are counted from the
        // block's cell offsets; only the rows of cells on the box's edge are read and tested.
        const cellPath = !rowLevelOnly && q.bbox !== undefined && h.cols.cells !== undefined;
        let offsets: Uint32Array | undefined;
        let inside: number[] = [];
        let edge: number[] = [];
        if (cellPath) {
          const [x0, y0, x1, y1] = h.bbox;
          const g = h.grid;
          const w = (x1 - x0) / g;
          const hh = (y1 - y0) / g;
          const eps = 1e-9 * Math.max(1, Math.abs(x0), Math.abs(x1), Math.abs(y0), Math.abs(y1));
          for (let c = 0; c < CELLS; c++) {
            const cx = c % g;
            const cy = (c - cx) / g;
            const lo = x0 + cx * w, hi = cx === g - 1 ? x1 : x0 + (cx + 1) * w; // prettier-ignore
            const bo = y0 + cy * hh, to = cy === g - 1 ? y1 : y0 + (cy + 1) * hh; // prettier-ignore
            if (hi + eps < gx0 || lo - eps > gx1 || to + eps < gy0 || bo - eps > gy1) continue;
            if (gx0 <= lo - eps && hi + eps <= gx1 && gy0 <= bo - eps && to + eps <= gy1) inside.push(c);
            else edge.push(c);
          }
          if (w === 0 || hh === 0) {
            inside = [];
            edge = Array.from({ length: CELLS }, (_, c) => c);
          }
        }
        for (let b = 0; b < nb; b++) {
          if (B.maxTime[b]! < q.minTime || B.minTime[b]! > q.maxTime) continue;
          if (B.maxLon[b]! < gx0 || B.minLon[b]! > gx1 || B.maxLat[b]! < gy0 || B.minLat[b]! > gy1) continue;
          if (cellPath && B.minTime[b]! >= q.minTime && B.maxTime[b]! <= q.maxTime) {
            offsets ??= seg.u32(fh, 'cells', 0, nb * (CELLS + 1));
            const o = b * (CELLS + 1);
            for (const c of inside) segCount += offsets[o + c + 1]! - offsets[o + c]!;
            let lo = Infinity;
            let hi = -Infinity;
            for (const c of edge) {
              if (offsets[o + c + 1]! > offsets[o + c]!) {
                lo = Math.min(lo, offsets[o + c]!);
                hi = Math.max(hi, offsets[o + c + 1]!);
              }
            }
            if (lo < hi) {
              const base = b * h.blockRows;
              const lon = seg.f64(fh, 'lon', base + lo, base + hi, scratch('lon'));
              const lat = seg.f64(fh, 'lat', base + lo, base + hi, scratch('lat'));
              for (const c of edge) {
                for (let i = offsets[o + c]! - lo, e = offsets[o + c + 1]! - lo; i < e; i++) {
                  const x = lon[i]!, y = lat[i]!; // prettier-ignore
                  if (x >= gx0 && x <= gx1 && y >= gy0 && y <= gy1) segCount++;
                }
              }
            }
            continue;
          }
          const whole =
            !rowLevelOnly && B.minTime[b]! >= q.minTime && B.maxTime[b]! <= q.maxTime && B.minLon[b]! >= gx0 && B.maxLon[b]! <= gx1 && B.minLat[b]! >= gy0 && B.maxLat[b]! <= gy1;
          if (whole) {
            segCount += Math.min(h.rows, (b + 1) * h.blockRows) - b * h.blockRows;
            continue;
          }
          if (runStart >= 0 && runEnd === b && b - runStart < RUN_BLOCKS) runEnd = b + 1;
          else {
            yield* flushRun();
            runStart = b;
            runEnd = b + 1;
          }
        }
        yield* flushRun();
        if (perEnt) perEnt.forEach((c, k) => void (c > 0 && groups!.set(dict![k]!, (groups!.get(dict![k]!) ?? 0) + c)));
        counted += segCount;
      } finally {
        close(fh);
      }
    }
  } finally {
    for (const b of buffers.values()) if (POOL.length < 32) POOL.push(b);
  }
  if (q.ret === 'count') yield String(counted);
  if (groups) {
    let chunk: Record<string, number> = {};
    let n = 0;
    for (const [id, c] of groups) {
      chunk[id] = c;
      if (++n === IDS_PER_MESSAGE) {
        yield JSON.stringify(chunk);
        chunk = {};
        n = 0;
      }
    }
    if (n > 0 || groups.size === 0) yield JSON.stringify(chunk);
  }
  if (best) for (const { rec } of best.values()) batch.push(rec);
  for (let i = 0; i < batch.length; i += RECORDS_PER_MESSAGE) yield JSON.stringify(batch.slice(i, i + RECORDS_PER_MESSAGE));
}
