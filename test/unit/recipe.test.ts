import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { compileRecipe, fileFormatOf, parseRecipe, recipeHash, RecipeError, type Recipe } from '../../src/prepare/recipe.js';
import { convertStream } from '../../src/prepare/convert.js';
import { compileTime, parseZone, wallToUtc } from '../../src/prepare/times.js';
import { compileProjection, parseDms, parsePair, parseWktPoint } from '../../src/prepare/coords.js';
import { AIS_RECIPE } from '../fixtures/prepare/recipes.mjs';

function recipe(r: unknown): Recipe {
  const p = parseRecipe(r);
  if (!p.ok) throw new Error(p.problems.join('; '));
  return p.recipe;
}

const AIS = recipe(AIS_RECIPE);

async function run(r: Recipe, text: string | Buffer, maxRows?: number) {
  const compiled = await compileRecipe(r);
  let out = '';
  const rejects: string[] = [];
  const stats = await convertStream(Readable.from([Buffer.isBuffer(text) ? text : Buffer.from(text)]), compiled, {
    write: (t) => void (out += t),
    onReject: (line, cause) => rejects.push(`${line}:${cause}`),
    ...(maxRows ? { maxRows } : {}),
  });
  return { out, stats, rejects };
}

describe('times', () => {
  it('reads epoch units, keeping nanosecond precision', () => {
    expect(compileTime({ format: 'epoch_s' }, false)('1451606441')).toBe(1451606441000);
    expect(compileTime({ format: 'epoch_s' }, false)('1451606441.5')).toBe(1451606441500);
    expect(compileTime({ format: 'epoch_us' }, false)('1451606441123456')).toBe(1451606441123);
    expect(compileTime({ format: 'epoch_ns' }, false)('1451606441123456789')).toBe(1451606441123);
  });
  it('reads ISO 8601 with an offset, and refuses one without an offset when no zone is given', () => {
    const iso = compileTime({ format: 'iso8601' }, false);
    expect(iso('2024-03-01T12:00:00Z')).toBe(Date.UTC(2024, 2, 1, 12));
    expect(iso('2024-03-01T12:00:00.250+02:00')).toBe(Date.UTC(2024, 2, 1, 10, 0, 0, 250));
    expect(iso('2024-03-01T12:00:00')).toMatch(/no offset/);
    expect(compileTime({ format: 'iso8601', time_zone: 'UTC' }, false)('2024-03-01 12:00:00')).toBe(Date.UTC(2024, 2, 1, 12));
    expect(iso('2023-02-30T00:00:00Z')).toMatch(/not/);
  });
  it('reads US local times in New York, across daylight saving', () => {
    const us = compileTime({ format: 'us', time_zone: 'America/New_York' }, false);
    expect(us('1/1/2016 00:00:41')).toBe(Date.UTC(2016, 0, 1, 5, 0, 41));
    expect(us('7/4/2016 1:30 PM')).toBe(Date.UTC(2016, 6, 4, 17, 30));
    // 2016-03-13 02:30 does not exist in New York: the offset before the change (-5) is used.
    expect(us('3/13/2016 03:30:00')).toBe(Date.UTC(2016, 2, 13, 7, 30));
    expect(us('13/1/2016 00:00')).toMatch(/not a US/);
  });
  it('reads European dates, Excel serials, split date and time, fixed offsets', () => {
    expect(compileTime({ format: 'european', time_zone: '+01:00' }, false)('31.12.2020 23:00')).toBe(Date.UTC(2020, 11, 31, 22));
    expect(compileTime({ format: 'excel', time_zone: 'UTC' }, false)('45000.5')).toBe(Date.UTC(2023, 2, 15, 12));
    expect(compileTime({ format: 'iso8601', time_zone: 'Europe/Berlin' }, true)('2024-07-01', '08:15:30')).toBe(Date.UTC(2024, 6, 1, 6, 15, 30));
  });
  it('knows IANA zones and refuses unknown ones', () => {
    expect(parseZone('Not/AZone')).toBeNull();
    const ny = parseZone('America/New_York')!;
    expect(wallToUtc(Date.UTC(2016, 6, 1, 12), ny)).toBe(Date.UTC(2016, 6, 1, 16));
  });
  it('turns local times into instants across daylight saving, east and west of Greenwich (found on a Berlin file)', () => {
    const berlin = compileTime({ format: 'european', time_zone: 'Europe/Berlin' }, false);
    // Spring forward, 2023-03-26 02:00 CET -> 03:00 CEST.
    expect(berlin('26.03.2023 01:54:00')).toBe(Date.UTC(2023, 2, 26, 0, 54));
    expect(berlin('26.03.2023 02:30:00')).toBe(Date.UTC(2023, 2, 26, 1, 30)); // does not exist: the offset before (+1)
    expect(berlin('26.03.2023 03:10:00')).toBe(Date.UTC(2023, 2, 26, 1, 10));
    // Fall back, 2023-10-29 03:00 CEST -> 02:00 CET: 02:30 exists twice, the earlier is taken.
    expect(berlin('29.10.2023 01:59:00')).toBe(Date.UTC(2023, 9, 28, 23, 59));
    expect(berlin('29.10.2023 02:30:00')).toBe(Date.UTC(2023, 9, 29, 0, 30));
    expect(berlin('29.10.2023 03:00:00')).toBe(Date.UTC(2023, 9, 29, 2, 0));
    const us = compileTime({ format: 'us', time_zone: 'America/New_York' }, false);
    expect(us('3/13/2016 01:59:00')).toBe(Date.UTC(2016, 2, 13, 6, 59));
    expect(us('3/13/2016 02:30:00')).toBe(Date.UTC(2016, 2, 13, 7, 30)); // does not exist: the offset before (-5)
    expect(us('11/6/2016 01:30:00')).toBe(Date.UTC(2016, 10, 6, 5, 30)); // twice: the earlier (EDT)
    expect(us('11/6/2016 02:00:00')).toBe(Date.UTC(2016, 10, 6, 7, 0));
    // Every minute of both years agrees with the exact resolution (no quarter-hour cache).
    const ny = parseZone('America/New_York')!;
    const be = parseZone('Europe/Berlin')!;
    for (let m = 0; m < 366 * 24 * 60; m += 7) {
      const w = Date.UTC(2023, 0, 1) + m * 60_000;
      const d = new Date(w);
      const text = `${String(d.getUTCDate()).padStart(2, '0')}.${String(d.getUTCMonth() + 1).padStart(2, '0')}.${d.getUTCFullYear()} ${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
      expect(berlin(text)).toBe(wallToUtc(w, be));
      expect(wallToUtc(w, be) + be(wallToUtc(w, be)) === w || be(wallToUtc(w, be) - 86_400_000) !== be(wallToUtc(w, be) + 86_400_000)).toBe(true);
      expect(wallToUtc(w, ny) - ny(wallToUtc(w, ny))).not.toBeNaN();
    }
  });
});

describe('coordinates', () => {
  it('reads DMS, WKT and pairs', () => {
    expect(parseDms(`51°30'26.5"N`)).toBeCloseTo(51.50736, 4);
    expect(parseDms(`0°07'39"W`)).toBeCloseTo(-0.1275, 4);
    expect(parseDms('-73 59 8.5')).toBeCloseTo(-73.98569, 4);
    expect(parseDms('S 33 52.1')).toBeCloseTo(-33.86833, 4);
    expect(parseWktPoint('POINT (-0.1276 51.5072)')).toEqual([-0.1276, 51.5072]);
    expect(parseWktPoint('SRID=4326;POINT Z(1 2 3)')).toEqual([1, 2]);
    expect(parsePair('"51.5072, -0.1276"'.slice(1, -1))).toEqual([51.5072, -0.1276]);
  });
  it('projects British National Grid and New York state plane feet', async () => {
    const bng = await compileProjection('EPSG:27700');
    const [lon, lat] = bng(530034, 180381); // Trafalgar Square
    expect(lon).toBeCloseTo(-0.1281, 3);
    expect(lat).toBeCloseTo(51.5074, 3);
    const ny = await compileProjection('EPSG:2263');
    const [lon2, lat2] = ny(988_000, 211_900); // Midtown Manhattan, US survey feet
    expect(lon2).toBeGreaterThan(-74.0);
    expect(lon2).toBeLessThan(-73.97);
    expect(lat2).toBeGreaterThan(40.74);
    expect(lat2).toBeLessThan(40.76);
  });
});

describe('recipes', () => {
  it('converts an AIS-like gzip file with CRLF, header, ISO times and decimal speeds', async () => {
    const text = 'MMSI,BaseDateTime,LAT,LON,SOG\r\n367000001,2024-01-01T00:00:00Z,40.5,-74.1,12.34\r\n367000001,2024-01-01T00:01:00Z,40.6,-74.2,\r\n367000002,garbage,40.6,-74.2,3\r\n';
    const { out, stats, rejects } = await run(AIS, gzipSync(text));
    expect(stats.compression).toBe('gzip');
    expect(out).toBe('367000001,1704067200000,-74.1,40.5,123\n367000001,1704067260000,-74.2,40.6,\n');
    expect(stats.written).toBe(2);
    expect(stats.rejected).toEqual({ bad_time: 1 });
    expect(rejects).toEqual(['4:bad_time']);
    expect(fileFormatOf(AIS)).toEqual({ entity_id: 0, timestamp: 1, longitude: 2, latitude: 3, speed: 4 });
  });

  it('converts a quoted bike-share file with US local times, enum maps and drop rules', async () => {
    const r = recipe({
      input: { header: true },
      columns: [
        { field: 'entity_id', kind: 'text', column: 0 },
        { field: 'timestamp', kind: 'time', column: 1, format: 'us', time_zone: 'America/New_York' },
        { field: 'longitude', kind: 'coordinate', column: 3, axis: 'longitude' },
        { field: 'latitude', kind: 'coordinate', column: 2, axis: 'latitude' },
        { field: 'mode', kind: 'enum', column: 4, map: { Subscriber: 'member', Customer: 'casual' } },
        { field: 'note', kind: 'text', column: 5 },
      ],
      drop: [{ column: 4, when: 'in', values: ['Test'], cause: 'test rides' }],
    });
    const text = '"bikeid","starttime","lat","lon","usertype","note"\n"1","1/1/2016 00:00:41","40.7","-74.0","Subscriber","a, b"\n"2","1/1/2016 00:01:00","40.7","-74.0","Test",""\n"3","1/1/2016 00:02:00","40.7","-74.0","Dependent",""\n';
    const { out, stats } = await run(r, text);
    expect(out).toBe('1,1451624441000,-74.0,40.7,member,"a, b"\n');
    expect(stats.dropped).toEqual({ 'test rides': 1 });
    expect(stats.rejected).toEqual({ enum_unmapped: 1 });
  });

  it('reads semicolons, decimal commas, a preamble and a units row, projected coordinates', async () => {
    const r = recipe({
      input: { delimiter: ';', decimal_comma: true, skip_lines: 2, header: true, skip_rows: 1 },
      columns: [
        { field: 'entity_id', kind: 'text', column: 0 },
        { field: 'timestamp', kind: 'time', column: 1, format: 'european', time_zone: 'Europe/London' },
        { field: 'longitude', kind: 'projected', x_column: 2, y_column: 3, crs: 'EPSG:27700', axis: 'longitude' },
        { field: 'latitude', kind: 'projected', x_column: 2, y_column: 3, crs: 'EPSG:27700', axis: 'latitude' },
        { field: 'altitude', kind: 'decimal', column: 4 },
      ],
    });
    const text = 'Export\nGenerated 2024\nid;time;E;N;alt\n;;m;m;m\nv1;01/07/2024 12:00;530034,0;180381,0;12,5\n';
    const { out, stats } = await run(r, text);
    const [id, t, lon, lat, alt] = out.trim().split(',');
    expect(stats.skipped).toBe(4);
    expect([id, t, alt]).toEqual(['v1', String(Date.UTC(2024, 6, 1, 11)), '12.5']);
    expect(Number(lon)).toBeCloseTo(-0.1281, 3);
    expect(Number(lat)).toBeCloseTo(51.5074, 3);
  });

  it('refuses local times without a time zone, unknown zones and unknown CRSs at compile time', async () => {
    const base = AIS.columns.filter((c) => c.field !== 'timestamp');
    await expect(compileRecipe(recipe({ columns: [...base, { field: 'timestamp', kind: 'time', column: 1, format: 'us' }] }))).rejects.toThrow(RecipeError);
    await expect(compileRecipe(recipe({ columns: [...base, { field: 'timestamp', kind: 'time', column: 1, format: 'us', time_zone: 'Mars/Olympus' }] }))).rejects.toThrow(/unknown time zone/);
    const proj = recipe({ columns: [...AIS.columns.filter((c) => c.field !== 'longitude'), { field: 'longitude', kind: 'projected', x_column: 2, y_column: 3, crs: 'EPSG:99999', axis: 'longitude' }] });
    await expect(compileRecipe(proj)).rejects.toThrow(/unknown CRS/);
  });

  it('says what is wrong with a recipe, and hashes equal recipes equally', () => {
    const bad = parseRecipe({ columns: [{ field: 'entity_id', kind: 'text', column: 0 }] });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.problems.join(' ')).toMatch(/at least 4|timestamp/);
    expect(recipeHash(recipe(JSON.parse(JSON.stringify(AIS))))).toBe(recipeHash(AIS));
  });

  it('rounds "scaled" values with scale 1 too (decimal comma or point); "integer" takes whole numbers only', async () => {
    const cols = (kind: object) => [...AIS.columns.slice(0, 4), { field: 'speed', column: 4, signed: false, ...kind }];
    const scaled1 = recipe({ input: { header: true, delimiter: ';', decimal_comma: true }, columns: cols({ kind: 'scaled', scale: 1 }) });
    const a = await run(scaled1, 'h\n1;2024-01-01T00:00:00Z;40,5;-74,25;30,5\n1;2024-01-01T00:00:01Z;40,5;-74,25;30,49\n');
    expect(a.stats.rejected).toEqual({});
    expect(a.out.trim().split('\n').map((l) => l.split(',').at(-1))).toEqual(['31', '30']);
    const dot = recipe({ input: { header: true }, columns: cols({ kind: 'scaled', scale: 1 }) });
    expect((await run(dot, 'h\n1,2024-01-01T00:00:00Z,40.5,-74.25,30.5\n')).out.trim().split(',').at(-1)).toBe('31');
    const integer = recipe({ input: { header: true }, columns: cols({ kind: 'integer' }) });
    const c = await run(integer, 'h\n1,2024-01-01T00:00:00Z,40.5,-74.25,30.5\n1,2024-01-01T00:00:00Z,40.5,-74.25,30\n');
    expect(c.stats.rejected).toEqual({ not_a_number: 1 });
  });

  it('rejects out-of-range scaled values and narrow rows by cause', async () => {
    const { stats } = await run(AIS, 'h\n1,2024-01-01T00:00:00Z,40,-74,999999999\n1,2024-01-01T00:00:00Z\n');
    expect(stats.rejected).toEqual({ integer_out_of_range: 1, too_few_columns: 1 });
  });
});
