import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { inferCsvFormat } from '../../src/csv/infer.js';
import { sampleFromText } from '../../src/csv/sample.js';
import { convertStream } from '../../src/prepare/convert.js';
import { proposeRecipe } from '../../src/prepare/propose.js';
import { compileRecipe, parseRecipe } from '../../src/prepare/recipe.js';
import type { MetadataSchema } from '../../src/dfi/schemas.js';
import { ROOT } from '../helpers/paths.js';

const fixture = (name: string) => fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'infer', name), 'utf8');

function propose(text: string, schema?: MetadataSchema) {
  const sample = sampleFromText(text);
  return proposeRecipe(sample, inferCsvFormat(sample, schema ? { metadataSchema: schema } : {}), schema);
}

/** What the person would say: the zone, the CRS. */
function answer(recipe: any, word: { time_zone?: string; crs?: string }) {
  return {
    ...recipe,
    columns: recipe.columns.map((c: any) => (c.kind === 'time' && word.time_zone && !c.time_zone ? { ...c, time_zone: word.time_zone } : c.kind === 'projected' && word.crs ? { ...c, crs: word.crs } : c)),
  };
}

async function convert(recipe: unknown, text: string) {
  const parsed = parseRecipe(recipe);
  if (!parsed.ok) throw new Error(parsed.problems.join('; '));
  let out = '';
  const stats = await convertStream(Readable.from([Buffer.from(text)]), await compileRecipe(parsed.recipe), { write: (t) => void (out += t) });
  return { out, stats };
}

describe('infer_csv_format proposes a recipe when the file does not fit the importer', () => {
  it('NOAA/ERDDAP style: a units row under the header is skipped, and a decimal property named by its header is scaled', async () => {
    let text = 'time,vessel_id,longitude,latitude,sog,cog\nUTC,,degrees_east,degrees_north,knots,degrees\n';
    for (let i = 0; i < 60; i++) text += `2023-06-01T00:${String(i).padStart(2, '0')}:00Z,2190000${i % 5},${(10.5 + i * 0.001).toFixed(4)},${(55.2 + i * 0.001).toFixed(4)},${(i % 18) / 2 + 0.5},${(i * 7) % 360}\n`;
    const p = propose(text, { sog: { type: 'number', signed: false }, cog: { type: 'number', signed: false } } as MetadataSchema)!;
    expect(p.recipe.input).toMatchObject({ header: true, skip_rows: 1 });
    expect(p.reasons.join(' ')).toMatch(/units/);
    expect(p.recipe.columns!.find((c) => c.field === 'timestamp')).toMatchObject({ kind: 'time', format: 'iso8601', column: 0 });
    expect(p.recipe.columns!.find((c) => c.field === 'sog')).toMatchObject({ kind: 'scaled', column: 4, scale: 10 });
    const { out, stats } = await convert(p.recipe, text);
    expect(stats).toMatchObject({ skipped: 2, written: 60, rejected: {} });
    expect(out.split('\n')[0]).toContain(String(Date.UTC(2023, 5, 1)));
  });

  it('AIS (MarineCadastre): header, ISO times with Z, speed in decimal knots for an integer property', async () => {
    const p = propose(fixture('ais-marinecadastre.csv'), { SOG: { type: 'number', signed: false } })!;
    expect(p.needed).toBe(true);
    expect(p.recipe.columns!.find((c) => c.field === 'timestamp')).toMatchObject({ kind: 'time', format: 'iso8601', column: 1 });
    expect(p.needsYourWord.map((n) => n.field)).not.toContain('timestamp'); // the values carry "Z"
    const { stats } = await convert(p.recipe, fixture('ais-marinecadastre.csv'));
    expect(stats.written).toBe(stats.rows);
  });

  it('Citi Bike: quoted, local times without an offset: the time zone is the person\'s word', async () => {
    const p = propose(fixture('citibike-2016.csv'))!;
    expect(p.needsYourWord.find((n) => n.field === 'timestamp')!.what).toMatch(/time_zone/);
    const { stats } = await convert(answer(p.recipe, { time_zone: 'America/New_York' }), fixture('citibike-2016.csv'));
    expect(stats.written).toBe(stats.rows);
  });

  it('projected coordinates: the CRS is the person\'s word', async () => {
    const p = propose(fixture('osgb-easting-northing.csv'))!;
    expect(p.recipe.columns!.find((c) => c.field === 'longitude')).toMatchObject({ kind: 'projected', x_column: 2, y_column: 3 });
    expect(p.needsYourWord.find((n) => n.field.includes('longitude'))!.what).toMatch(/EPSG/);
    const { out, stats } = await convert(answer(p.recipe, { crs: 'EPSG:27700' }), fixture('osgb-easting-northing.csv'));
    expect(stats.written).toBe(stats.rows);
    const [, , lon, lat] = out.split('\n')[0]!.split(',');
    expect(Number(lon)).toBeCloseTo(-0.13, 1);
    expect(Number(lat)).toBeCloseTo(51.5, 1);
  });

  it('WKT points and "lat,lon" in one column', async () => {
    for (const [name, form] of [['wkt-points.csv', 'wkt_point'], ['latlon-one-column.csv', 'lat_lon_pair']] as const) {
      const p = propose(fixture(name))!;
      expect(p.recipe.columns!.find((c) => c.field === 'latitude'), name).toMatchObject({ kind: 'coordinate', form });
      const { stats } = await convert(p.recipe, fixture(name));
      expect(stats.written, name).toBe(stats.rows);
    }
  });

  it('semicolons, decimal commas, date and time in two columns', async () => {
    const p = propose(fixture('gps-logger-semicolon.csv'))!;
    expect(p.recipe.input).toMatchObject({ delimiter: ';', decimal_comma: true, header: true });
    expect(p.recipe.columns!.find((c) => c.field === 'timestamp')).toMatchObject({ column: 0, time_column: 1, format: 'iso8601' });
    expect(p.needsYourWord.map((n) => n.field)).toContain('entity_id');
    const withEntity = { ...p.recipe, columns: [{ field: 'entity_id', kind: 'constant', value: 'logger-1' }, ...p.recipe.columns!] };
    const { out, stats } = await convert(answer(withEntity, { time_zone: 'Europe/Paris' }), fixture('gps-logger-semicolon.csv'));
    expect(stats.written).toBe(stats.rows);
    expect(out.split('\n')[0]).toMatch(/^logger-1,1556690408000,2\.327219,48\.848546/);
  });

  it('says no recipe is needed when the file fits the importer', () => {
    const bundled = fs.readFileSync(path.join(ROOT, 'examples', 's3', 'my_bucket', 'my_path', 'trips-1.csv'), 'utf8');
    expect(propose(bundled)).toBeNull();
  });
});
