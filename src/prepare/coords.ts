/**
 * Coordinates as files write them -> decimal degrees (WGS 84) for the importer.
 *
 * Forms: decimal degrees (with a decimal point or comma), degrees-minutes-seconds, WKT
 * `POINT(lon lat)`, a "lat,lon" pair in one column, and projected x/y in a CRS named by EPSG code
 * (through proj4, with the definitions below, or any proj4 string the recipe gives).
 */
import type proj4Type from 'proj4';
import type { Converter } from 'proj4';

export const COORDINATE_FORMS = ['decimal', 'dms', 'wkt_point', 'lat_lon_pair', 'lon_lat_pair'] as const;
export type CoordinateForm = (typeof COORDINATE_FORMS)[number];
export type Axis = 'longitude' | 'latitude';

const DEC_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const DEC_COMMA_RE = /^[+-]?\d+,\d+$/;

/** A decimal number, with a decimal comma when the recipe says so; NaN otherwise. */
export function parseDecimal(v: string, decimalComma: boolean): number {
  if (DEC_RE.test(v)) return Number(v);
  if (decimalComma && DEC_COMMA_RE.test(v)) return Number(v.replace(',', '.'));
  return NaN;
}

/** `51°30'26.5"N`, `51 30 26.5 N`, `N 51 30.441`, `-0:07:39`, `51d30m26s` -> degrees; NaN if not. */
export function parseDms(v: string): number {
  const s = v.trim();
  if (s.length === 0 || s.length > 64) return NaN;
  // Hemisphere: N, S, E, W (lower-case n, e, w too; a lower-case s is a seconds mark, as in 26s).
  const hemisphere = /[NSEWnew]/.exec(s)?.[0]?.toUpperCase();
  if (/[^\d\s.,+\-°º'′"″:NSEWnewdms]/.test(s)) return NaN;
  const nums = s.match(/\d+(?:[.,]\d+)?/g);
  if (!nums || nums.length > 3) return NaN;
  const [d, m = '0', sec = '0'] = nums.map((n) => n.replace(',', '.'));
  const deg = Number(d) + Number(m) / 60 + Number(sec) / 3600;
  if (Number(m) >= 60 || Number(sec) >= 60) return NaN;
  const negative = /^\s*-/.test(s) || hemisphere === 'S' || hemisphere === 'W';
  return negative ? -deg : deg;
}

const POINT_RE = /^\s*(?:SRID=\d+;)?\s*POINT\s*Z?M?\s*\(\s*([+-]?[\d.eE+-]+)\s+([+-]?[\d.eE+-]+)(?:\s+[+-]?[\d.eE+-]+){0,2}\s*\)\s*$/i;

/** WKT POINT(x y) -> [x, y]. */
export function parseWktPoint(v: string): [number, number] | null {
  if (v.length > 200) return null;
  const m = POINT_RE.exec(v);
  if (!m) return null;
  const x = Number(m[1]);
  const y = Number(m[2]);
  return Number.isFinite(x) && Number.isFinite(y) ? [x, y] : null;
}

/** "51.5, -0.12", "(51.5 -0.12)", "51.5;-0.12" -> the two numbers in order. */
export function parsePair(v: string): [number, number] | null {
  if (v.length > 100) return null;
  const s = v.trim().replace(/^[([]\s*/, '').replace(/\s*[)\]]$/, '');
  const parts = s.split(/\s*[,; ]\s*/).filter((p) => p.length > 0);
  if (parts.length !== 2) return null;
  const a = Number(parts[0]);
  const b = Number(parts[1]);
  return DEC_RE.test(parts[0]!) && DEC_RE.test(parts[1]!) ? [a, b] : null;
}

/**
 * proj4 definitions of common projected CRSs for trajectory data (from the EPSG registry). Any other
 * CRS: give its proj4 string in the recipe (`proj4`), e.g. from epsg.io.
 */
export const EPSG_DEFS: Record<string, string> = {
  'EPSG:27700': '+proj=tmerc +lat_0=49 +lon_0=-2 +k=0.9996012717 +x_0=400000 +y_0=-100000 +ellps=airy +towgs84=446.448,-125.157,542.06,0.15,0.247,0.842,-20.489 +units=m +no_defs',
  'EPSG:2263': '+proj=lcc +lat_0=40.1666666666667 +lon_0=-74 +lat_1=41.0333333333333 +lat_2=40.6666666666667 +x_0=300000.0000000001 +y_0=0 +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=us-ft +no_defs',
  'EPSG:2229': '+proj=lcc +lat_0=33.5 +lon_0=-118 +lat_1=35.4666666666667 +lat_2=34.0333333333333 +x_0=2000000.0001016 +y_0=500000.0001016 +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=us-ft +no_defs',
  'EPSG:3435': '+proj=tmerc +lat_0=36.6666666666667 +lon_0=-88.3333333333333 +k=0.999975 +x_0=300000.0000000001 +y_0=0 +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=us-ft +no_defs',
  'EPSG:2154': '+proj=lcc +lat_0=46.5 +lon_0=3 +lat_1=49 +lat_2=44 +x_0=700000 +y_0=6600000 +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs',
  'EPSG:28992': '+proj=sterea +lat_0=52.1561605555556 +lon_0=5.38763888888889 +k=0.9999079 +x_0=155000 +y_0=463000 +ellps=bessel +towgs84=565.4171,50.3319,465.5524,1.9342,-1.6677,9.1019,4.0725 +units=m +no_defs',
  'EPSG:3035': '+proj=laea +lat_0=52 +lon_0=10 +x_0=4321000 +y_0=3210000 +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs',
  'EPSG:2056': '+proj=somerc +lat_0=46.9524055555556 +lon_0=7.43958333333333 +k_0=1 +x_0=2600000 +y_0=1200000 +ellps=bessel +towgs84=674.374,15.056,405.346,0,0,0,0 +units=m +no_defs',
  'EPSG:3857': '+proj=merc +a=6378137 +b=6378137 +lat_ts=0 +lon_0=0 +x_0=0 +y_0=0 +k=1 +units=m +nadgrids=@null +no_defs',
};

/** UTM zones: WGS 84 (EPSG:326zz north, 327zz south), ETRS89 (258zz), NAD83 (269zz). */
function utmDef(code: number): string | null {
  const zone = code % 100;
  const family = Math.floor(code / 100);
  if (zone < 1 || zone > 60) return null;
  if (family === 326) return `+proj=utm +zone=${zone} +datum=WGS84 +units=m +no_defs`;
  if (family === 327) return `+proj=utm +zone=${zone} +south +datum=WGS84 +units=m +no_defs`;
  if (family === 258 && zone >= 28 && zone <= 38) return `+proj=utm +zone=${zone} +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs`;
  if (family === 269 && zone <= 23) return `+proj=utm +zone=${zone} +datum=NAD83 +units=m +no_defs`;
  return null;
}

/** The proj4 definition of an EPSG code ("EPSG:27700" or "27700"), or null when not known here. */
export function epsgDefinition(crs: string): string | null {
  const m = /^(?:EPSG:)?(\d{4,5})$/i.exec(crs.trim());
  if (!m) return null;
  const key = `EPSG:${m[1]}`;
  return EPSG_DEFS[key] ?? utmDef(Number(m[1]));
}

export function knownCrsList(): string {
  return `${Object.keys(EPSG_DEFS).join(', ')}, UTM zones (EPSG:326xx/327xx WGS 84, 258xx ETRS89, 269xx NAD83)`;
}

let proj4Promise: Promise<typeof proj4Type> | undefined;
async function loadProj4(): Promise<typeof proj4Type> {
  proj4Promise ??= import('proj4').then((m) => (m as unknown as { default: typeof proj4Type }).default ?? (m as unknown as typeof proj4Type));
  return proj4Promise;
}

/** x/y in a projected CRS -> [lon, lat]. The last input is remembered: two output columns share one projection. */
export async function compileProjection(crs: string, customProj4?: string): Promise<(x: number, y: number) => [number, number]> {
  const def = customProj4 ?? epsgDefinition(crs);
  if (!def) throw new Error(`unknown CRS "${crs}": known here are ${knownCrsList()}; for another, give its proj4 string as "proj4"`);
  const proj4 = await loadProj4();
  let converter: Converter;
  try {
    converter = proj4(def, 'EPSG:4326') as unknown as Converter;
  } catch (err) {
    throw new Error(`the projection of "${crs}" cannot be built: ${err instanceof Error ? err.message : String(err)}`);
  }
  let lastX = NaN;
  let lastY = NaN;
  let last: [number, number] = [NaN, NaN];
  return (x, y) => {
    if (x === lastX && y === lastY) return last;
    lastX = x;
    lastY = y;
    const r = converter.forward([x, y]) as number[];
    last = [r[0]!, r[1]!];
    return last;
  };
}
