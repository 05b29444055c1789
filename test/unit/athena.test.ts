import { describe, expect, it } from 'vitest';
import { athenaPlan, columnSql } from '../../src/prepare/athena.js';
import { parseRecipe, type Recipe } from '../../src/prepare/recipe.js';
import { BIKE_RECIPE } from '../fixtures/prepare/recipes.mjs';

const recipe = (r: unknown) => (parseRecipe(r) as { ok: true; recipe: Recipe }).recipe;

describe('the Athena path (SQL text only: not run on Athena here)', () => {
  // The shared bike-share recipe, with a quote in an enum value, a scaled column and a drop rule.
  const r = recipe({
    ...BIKE_RECIPE,
    columns: [
      ...BIKE_RECIPE.columns.slice(0, 4),
      { field: 'usertype', kind: 'enum', column: 12, map: { Subscriber: 'member', "O'Brien": 'casual' } },
      { field: 'speed', kind: 'scaled', column: 3, scale: 10 },
    ],
    drop: [{ column: 12, when: 'in', values: ['Test'], cause: 'test rides' }],
  });
  const plan = athenaPlan(
    { recipe: r, source: { where: 's3://bikes/citibike/' } as never, target: { bucket: 'bikes', prefix: 'dfi-prepared/citibike/' } as never },
    { files: { bytes: 50e9 } as never, estimate: { seconds: 900, basis: 'x' } as never, compression: 'gzip' },
  );
  it('creates a text table over the source, skipping the header', () => {
    expect(plan.createTable).toContain("LOCATION 's3://bikes/citibike/'");
    expect(plan.createTable).toContain("'skip.header.line.count' = '1'");
    expect(plan.createTable).toMatch(/c12 string\n\)/);
  });
  it('unloads comma-separated text with one expression per output column, local times in the zone', () => {
    expect(plan.unload).toContain("WITH (format = 'TEXTFILE', field_delimiter = ',', compression = 'NONE')");
    expect(plan.unload).toContain("with_timezone(try(date_parse(c1, '%c/%e/%Y %H:%i:%s')), 'America/New_York')");
    expect(plan.unload).toContain("WHEN 'O''Brien' THEN 'casual'");
    expect(plan.unload).toContain("c12 NOT IN ('Test')");
    expect(plan.unload).toContain("TO 's3://bikes/dfi-prepared/citibike-athena/'");
    expect(plan.unsupported).toEqual([]);
  });
  it('states the cost per TB scanned, and what SQL cannot do', () => {
    expect(plan.cost.usd).toBe(0.25);
    expect(columnSql({ field: 'longitude', kind: 'projected', x_column: 1, y_column: 2, crs: 'EPSG:27700', axis: 'longitude' }, false)).toBeNull();
    expect(columnSql({ field: 'timestamp', kind: 'time', column: 1, format: 'iso8601' }, false)).toContain('from_iso8601_timestamp');
  });
});
