import { describe, expect, it } from 'vitest';
import { expectedPoints, placeVerdict, sideBySide, timeVerdict } from '../../src/import/check.js';
import type { QueryRecord } from '../../src/dfi/query.js';

// The guide's format: entity 0, time 1, longitude 2, latitude 3.
const FORMAT = { entityId: 0, timestamp: 1, longitude: 2, latitude: 3 };
const row = (line: number, e: string, t: number, lon: number, lat: number) => ({ file: 's3://b/k.csv', line, fields: [e, String(t), String(lon), String(lat)] });
const T0 = 1_640_995_676_000;
const rows = [row(1, 'a', T0, -0.11, 51.54), row(2, 'a', T0 + 1000, -0.12, 51.55), row(3, 'b', T0 + 2000, -0.1, 51.5), { file: 's3://b/k.csv', line: 4, fields: ['c', 'x', '1', '2'] }];
const rec = (id: string, t: number, lon: number, lat: number): QueryRecord => ({ id, coordinate: [lon, lat], time: new Date(t).toISOString() });

describe('check_import verdicts', () => {
  it('expects the rows the importer accepts, per entity, with their time window', () => {
    const e = expectedPoints(rows, FORMAT, {});
    expect(e.points).toHaveLength(3);
    expect(e.invalid).toBe(1);
    expect(e.perEntity).toEqual([['a', 2], ['b', 1]]);
    expect([e.minTime, e.maxTime]).toEqual([T0, T0 + 2000]);
  });

  it('puts source rows next to landed records and names how they differ', () => {
    const e = expectedPoints(rows, FORMAT, {}).points.filter((p) => p.entity === 'a');
    expect(sideBySide(e, [rec('a', T0, -0.11, 51.54), rec('a', T0 + 1000, -0.12, 51.55)]).map((r) => r.match)).toEqual(['equal', 'equal']);
    expect(sideBySide(e, [rec('a', T0, 51.54, -0.11)]).map((r) => r.match)).toEqual(['swapped', 'missing']);
    expect(sideBySide(e, [rec('a', T0 * 1000, -0.11, 51.54)])[0]!.match).toBe('time_off_by_1000');
  });

  it('flags latitude and longitude swapped when the other reading is on land', () => {
    const london = Array.from({ length: 50 }, (_, i) => [-0.2 + i * 0.004, 51.5 + (i % 7) * 0.01] as [number, number]);
    const ok = placeVerdict(london, FORMAT);
    expect(ok.verdict.ok).toBe(true);
    expect(ok.verdict.says).toContain('London, United Kingdom');
    const bad = placeVerdict(london.map(([lon, lat]) => [lat, lon] as [number, number]), FORMAT);
    expect(bad.verdict).toMatchObject({ ok: false, suggests: 'lat_lon_swapped' });
    expect(bad.verdict.says).toContain('Indian Ocean');
    expect(bad.verdict.says).toContain('London, United Kingdom');
  });

  it('says plainly when times landed in 1970 (epoch seconds read as milliseconds)', () => {
    expect(timeVerdict(1_640_995_676, 1_640_999_999, [])).toMatchObject({ ok: false, suggests: 'time_unit_seconds' });
    expect(timeVerdict(T0, T0 + 1000, []).ok).toBe(true);
  });
});
