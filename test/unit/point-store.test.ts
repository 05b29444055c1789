// The point store against a brute-force reading of the same rows: several segments, many blocks,
// every filter and return type.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEGMENT_ROWS, SegmentWriter, numberToIp } from '../../src/sandbox/store/segment.js';
import { PointStore } from '../../src/sandbox/store/points.js';
import { parseQuery, runQuery, QueryDocumentError } from '../../src/sandbox/store/query.js';
import { GUIDE_SCHEMA } from '../helpers/paths.js';

const ROWS = SEGMENT_ROWS * 2 + 12_345; // three segments
const T0 = Date.UTC(2024, 0, 1);
const MODES = ['dwelling', 'driving', 'cycling', 'walking'];
type Row = { id: string; t: number; lon: number; lat: number; age: number | null; route: number; mode: string; ip: string | null; meta: number };

let dir: string;
let store: PointStore;
const rows: Row[] = [];
const KEY = 'dataset:gs.test';

// A small deterministic generator (no Math.random: the same rows on every run).
let seed = 42;
const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dfi-points-'));
  store = await PointStore.open(dir);
  const pending = await store.begin(KEY, {
    datasetId: 'gs.test',
    batchId: 'b1',
    entity: 0,
    time: 1,
    lon: 2,
    lat: 3,
    metadataId: 4,
    props: [
      { name: 'age', type: 'number', col: 5 },
      { name: 'route_id', type: 'number', col: 6 },
      { name: 'transportation_mode', type: 'enum', col: 7 },
      { name: 'ipv4', type: 'ip', col: 8 },
    ],
  });
  const w = new SegmentWriter(pending.target);
  for (let i = 0; i < ROWS; i++) {
    const r: Row = {
      id: `veh-${Math.floor(rnd() * 500)}`,
      t: T0 + Math.floor(rnd() * 30 * 86_400_000),
      lon: -10 + rnd() * 20,
      lat: 40 + rnd() * 20,
      age: rnd() < 0.1 ? null : Math.floor(rnd() * 90),
      route: Math.floor(rnd() * 50),
      mode: MODES[Math.floor(rnd() * 4)]!,
      ip: rnd() < 0.5 ? null : `10.0.${Math.floor(rnd() * 4)}.${Math.floor(rnd() * 256)}`,
      meta: i,
    };
    rows.push(r);
    w.add([r.id, String(r.t), String(r.lon), String(r.lat), String(r.meta), r.age === null ? '' : String(r.age), String(r.route), r.mode, r.ip ?? '']);
  }
  expect(w.close()).toHaveLength(3);
  expect(await pending.commit()).toBe(ROWS);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const open = (f: string) => fs.openSync(f, 'r');
async function run(doc: object): Promise<unknown[]> {
  const q = parseQuery({ datasetId: 'gs.test', ...doc }, GUIDE_SCHEMA);
  const out: unknown[] = [];
  for await (const m of runQuery(q, store.segments(KEY), open, (fd) => fs.closeSync(fd))) out.push(JSON.parse(m));
  return out;
}
const count = async (filters: object) => (await run({ filters, return: { type: 'count' } })).reduce((a: number, b) => a + (b as number), 0);

describe('the point store', () => {
  const day = (d: number) => new Date(T0 + d * 86_400_000).toISOString();
  const inTime = (r: Row, a: number, b: number) => r.t >= T0 + a * 86_400_000 && r.t <= T0 + b * 86_400_000;

  it('counts everything, by time, by box, by polygon and by id as a full scan does', async () => {
    expect(await count({})).toBe(ROWS);
    expect(await count({ time: { minTime: day(3), maxTime: day(10) } })).toBe(rows.filter((r) => inTime(r, 3, 10)).length);
    expect(await count({ time: { minTime: day(3), maxTime: null } })).toBe(rows.filter((r) => r.t >= T0 + 3 * 86_400_000).length);
    const box = [-2, 45, 3, 50];
    const inBox = (r: Row) => r.lon >= box[0]! && r.lon <= box[2]! && r.lat >= box[1]! && r.lat <= box[3]!;
    expect(await count({ time: { minTime: day(3), maxTime: day(10) }, geo: { type: 'BoundingBox', bounds: box } })).toBe(rows.filter((r) => inTime(r, 3, 10) && inBox(r)).length);
    // Box only (every block counted by its grid cells), and boxes that cut cells at their edges.
    expect(await count({ geo: { type: 'BoundingBox', bounds: box } })).toBe(rows.filter(inBox).length);
    for (const b of [[-10, 40, 10, 60], [-9.99, 40.01, 0.123, 59.5], [-1e-6, 50, 1e-6, 50.5]]) {
      const inB = (r: Row) => r.lon >= b[0]! && r.lon <= b[2]! && r.lat >= b[1]! && r.lat <= b[3]!;
      expect(await count({ geo: { type: 'BoundingBox', bounds: b } }), String(b)).toBe(rows.filter(inB).length);
    }
    // A triangle, as dfipy sends it (one ring) and as GeoJSON (a list of rings).
    const ring = [[-5, 42], [5, 42], [0, 55], [-5, 42]]; // prettier-ignore
    const inTri = (r: Row) => {
      if (r.lat < 42 || r.lat > 55) return false;
      const half = (5 * (55 - r.lat)) / 13;
      return r.lon >= -half && r.lon <= half;
    };
    const expected = rows.filter(inTri).length;
    const one = await count({ geo: { type: 'Polygon', coordinates: ring } });
    const rings = await count({ geo: { type: 'Polygon', coordinates: [ring] } });
    expect(one).toBe(rings);
    expect(Math.abs(one - expected)).toBeLessThanOrEqual(2); // points on the edge
    expect(await count({ id: ['veh-7', 'veh-8', 'nobody'] })).toBe(rows.filter((r) => r.id === 'veh-7' || r.id === 'veh-8').length);
  });

  it('filters properties with every operation, in both shapes, nulls never matching', async () => {
    const age = (r: Row) => r.age;
    expect(await count({ fields: { age: { gt: 30 } } })).toBe(rows.filter((r) => age(r) !== null && age(r)! > 30).length);
    expect(await count({ fields: { age: { type: 'unsigned number', operation: 'between', value: [10, 20] } } })).toBe(rows.filter((r) => r.age !== null && r.age >= 10 && r.age <= 20).length);
    expect(await count({ fields: { age: { outside: [10, 20] } } })).toBe(rows.filter((r) => r.age !== null && (r.age < 10 || r.age > 20)).length);
    expect(await count({ fields: { age: { neq: 5 } } })).toBe(rows.filter((r) => r.age !== null && r.age !== 5).length);
    expect(await count({ fields: { route_id: { lte: 3 }, transportation_mode: { eq: 'walking' } } })).toBe(rows.filter((r) => r.route <= 3 && r.mode === 'walking').length);
    expect(await count({ fields: { transportation_mode: { type: 'enum', operation: 'neq', value: 'walking' } } })).toBe(rows.filter((r) => r.mode !== 'walking').length);
    expect(await count({ fields: { ipv4: { eq: '10.0.1.7' } } })).toBe(rows.filter((r) => r.ip === '10.0.1.7').length);
    expect(() => parseQuery({ datasetId: 'x', return: { type: 'count' }, filters: { fields: { nope: { eq: 1 } } } }, GUIDE_SCHEMA)).toThrow(QueryDocumentError);
    expect(() => parseQuery({ datasetId: 'x', return: { type: 'count' }, filters: { fields: { transportation_mode: { gt: 'a' } } } }, GUIDE_SCHEMA)).toThrow(/eq or neq/);
  });

  it('counts per entity, each id in one message', async () => {
    const msgs = (await run({ filters: { time: { minTime: day(1), maxTime: day(2) } }, return: { type: 'count', groupBy: { type: 'uniqueId' } } })) as Record<string, number>[];
    const merged = Object.assign({}, ...msgs) as Record<string, number>;
    const want: Record<string, number> = {};
    for (const r of rows.filter((r) => inTime(r, 1, 2))) want[r.id] = (want[r.id] ?? 0) + 1;
    expect(merged).toEqual(want);
    expect(msgs.reduce((a, m) => a + Object.keys(m).length, 0)).toBe(Object.keys(want).length);
  });

  it('returns the records of one entity over a day, with fields and metadataId, and only the newest/oldest', async () => {
    const msgs = (await run({ filters: { id: ['veh-42'], time: { minTime: day(5), maxTime: day(6) } }, return: { type: 'records', include: ['fields', 'metadataId'] } })) as Record<string, unknown>[][];
    const got = msgs.flat();
    const want = rows.filter((r) => r.id === 'veh-42' && inTime(r, 5, 6));
    expect(got).toHaveLength(want.length);
    const byMeta = new Map(want.map((r) => [r.meta, r]));
    for (const g of got) {
      const r = byMeta.get(g.metadataId as number)!;
      expect(g).toEqual({ id: 'veh-42', coordinate: [r.lon, r.lat], time: new Date(r.t).toISOString(), metadataId: r.meta, fields: { age: r.age, route_id: r.route, transportation_mode: r.mode, ipv4: r.ip, home_ipv4: null, credit_card_provider: null } });
    }
    const newest = ((await run({ filters: { only: 'newest', id: ['veh-1', 'veh-2'] }, return: { type: 'records' } })) as Record<string, unknown>[][]).flat();
    expect(newest.map((r) => r.id).sort()).toEqual(['veh-1', 'veh-2']);
    for (const n of newest) expect(Date.parse(n.time as string)).toBe(Math.max(...rows.filter((r) => r.id === n.id).map((r) => r.t)));
    const oldest = ((await run({ filters: { only: 'oldest', id: ['veh-1'] }, return: { type: 'records' } })) as Record<string, unknown>[][]).flat();
    expect(Date.parse(oldest[0]!.time as string)).toBe(Math.min(...rows.filter((r) => r.id === 'veh-1').map((r) => r.t)));
    expect(numberToIp(0x0a000107)).toBe('10.0.1.7');
  });

  it('keeps its points across a reopen, and a truncate empties the instance', async () => {
    const again = await PointStore.open(dir);
    expect(again.count(KEY)).toBe(ROWS);
    await again.truncate(KEY);
    expect((await PointStore.open(dir)).count(KEY)).toBe(0);
  });
});
