/**
 * The picture of where points are: a PNG of the points over a coarse outline of countries, with
 * their bounding box, as MCP image content. One panel per reading (side by side when latitude and
 * longitude are ambiguous).
 *
 * The outline is Natural Earth (world-atlas, see world.ts), projected with d3-geo's raw projections
 * (equirectangular for the world, Mercator for a region); the raster is our own: an 8-bit indexed
 * image (scanline fill of the rings, lines, squares and a 3x5 font) written as a palette PNG with
 * Node's zlib. No native code, no fonts, no browser; a few milliseconds for 10,000 points
 * (npm run bench).
 */
import { deflateSync, crc32 } from 'node:zlib';
import { geoEquirectangularRaw, geoMercatorRaw } from 'd3-geo';
import { outlineRings, type Ring } from './world.js';
import { drawText, textWidth } from './font.js';

export interface Panel {
  /** A short label drawn at the top, e.g. "A: LAT=COL 3, LON=COL 2". */
  label: string;
  /** [longitude, latitude] pairs; out-of-range pairs are not drawn. */
  points: readonly (readonly [number, number])[];
}

export interface Picture {
  png: Buffer;
  width: number;
  height: number;
  /** Per panel: the bounding box of the points [west, south, east, north], or null without points. */
  bboxes: ([number, number, number, number] | null)[];
}

export const PANEL_W = 400;
export const PANEL_H = 260;
const LABEL_H = 14;
const GAP = 4;

/** The palette: index -> RGB. */
const PALETTE = [
  [0xff, 0xff, 0xff], // 0 background
  [0xdc, 0xe9, 0xf5], // 1 sea
  [0xf3, 0xf0, 0xe6], // 2 land
  [0xa8, 0xa5, 0x9a], // 3 borders and coasts
  [0xd6, 0x27, 0x28], // 4 points
  [0x1f, 0x3a, 0x93], // 5 bounding box
  [0x22, 0x22, 0x22], // 6 text
] as const;
const SEA = 1;
const LAND = 2;
const BORDER = 3;
const POINT = 4;
const BOX = 5;
const INK = 6;

class Raster {
  readonly data: Uint8Array;
  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.data = new Uint8Array(width * height);
  }
  fill(x0: number, y0: number, w: number, h: number, c: number): void {
    const xa = Math.max(0, x0);
    const xb = Math.min(this.width, x0 + w);
    if (xb <= xa) return;
    for (let y = Math.max(0, y0), y1 = Math.min(this.height, y0 + h); y < y1; y++) this.data.fill(c, y * this.width + xa, y * this.width + xb);
  }
  set(x: number, y: number, c: number): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    this.data[y * this.width + x] = c;
  }
  /** Bresenham within `clip` = [x0, y0, x1, y1); segments wholly on one side of it are skipped. */
  line(ax: number, ay: number, bx: number, by: number, c: number, clip: [number, number, number, number]): void {
    if ((ax < clip[0] && bx < clip[0]) || (ax >= clip[2] && bx >= clip[2]) || (ay < clip[1] && by < clip[1]) || (ay >= clip[3] && by >= clip[3])) return;
    let x = Math.round(ax);
    let y = Math.round(ay);
    const x2 = Math.round(bx);
    const y2 = Math.round(by);
    const dx = Math.abs(x2 - x);
    const dy = -Math.abs(y2 - y);
    const sx = x < x2 ? 1 : -1;
    const sy = y < y2 ? 1 : -1;
    let err = dx + dy;
    for (let n = 0; n < 4096; n++) {
      if (x >= clip[0] && y >= clip[1] && x < clip[2] && y < clip[3]) this.data[y * this.width + x] = c;
      if (x === x2 && y === y2) break;
      const e2 = 2 * err;
      if (e2 >= dy) {
        err += dy;
        x += sx;
      }
      if (e2 <= dx) {
        err += dx;
        y += sy;
      }
    }
  }
  /** An 8-bit palette PNG (filter 0 on every row: flat colours deflate well as they are). */
  png(): Buffer {
    const raw = Buffer.alloc((this.width + 1) * this.height);
    for (let y = 0; y < this.height; y++) raw.set(this.data.subarray(y * this.width, (y + 1) * this.width), y * (this.width + 1) + 1);
    const chunk = (type: string, body: Buffer) => {
      const head = Buffer.alloc(8);
      head.writeUInt32BE(body.length, 0);
      head.write(type, 4, 'latin1');
      const crc = Buffer.alloc(4);
      crc.writeUInt32BE(crc32(body, crc32(head.subarray(4))) >>> 0, 0);
      return Buffer.concat([head, body, crc]);
    };
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(this.width, 0);
    ihdr.writeUInt32BE(this.height, 4);
    ihdr[8] = 8; // bit depth
    ihdr[9] = 3; // palette
    return Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      chunk('IHDR', ihdr),
      chunk('PLTE', Buffer.from(PALETTE.flat())),
      chunk('IDAT', deflateSync(raw, { level: 6 })),
      chunk('IEND', Buffer.alloc(0)),
    ]);
  }
}

/** Even-odd scanline fill of all rings, offset by (ox, oy), within a w x h panel. */
function fillRings(r: Raster, rings: Float64Array[], ox: number, oy: number, w: number, h: number, c: number): void {
  const rows: number[][] = Array.from({ length: h }, () => []);
  for (const ring of rings) {
    const n = ring.length / 2;
    if (n < 3) continue;
    for (let i = 0; i < n; i++) {
      const x0 = ring[2 * i]!;
      const y0 = ring[2 * i + 1]!;
      const j = (i + 1) % n;
      const x1 = ring[2 * j]!;
      const y1 = ring[2 * j + 1]!;
      if (y0 === y1) continue;
      const [ya, yb, xa, xb] = y0 < y1 ? [y0, y1, x0, x1] : [y1, y0, x1, x0];
      const start = Math.max(0, Math.ceil(ya - 0.5));
      const end = Math.min(h - 1, Math.ceil(yb - 0.5) - 1);
      const slope = (xb - xa) / (yb - ya);
      for (let y = start; y <= end; y++) rows[y]!.push(xa + (y + 0.5 - ya) * slope);
    }
  }
  for (let y = 0; y < h; y++) {
    const xs = rows[y]!;
    if (xs.length < 2) continue;
    xs.sort((a, b) => a - b);
    for (let k = 0; k + 1 < xs.length; k += 2) {
      const xa = Math.max(0, Math.ceil(xs[k]! - 0.5));
      const xb = Math.min(w - 1, Math.ceil(xs[k + 1]! - 0.5) - 1);
      if (xb >= xa) r.fill(ox + xa, oy + y, xb - xa + 1, 1, c);
    }
  }
}

/** The bounding box of in-range points, or null. Across the antimeridian the box is the plain min/max. */
export function bboxOf(points: readonly (readonly [number, number])[]): [number, number, number, number] | null {
  let w = Infinity;
  let s = Infinity;
  let e = -Infinity;
  let n = -Infinity;
  for (const [lon, lat] of points) {
    if (!(Math.abs(lon) <= 180 && Math.abs(lat) <= 90)) continue;
    if (lon < w) w = lon;
    if (lon > e) e = lon;
    if (lat < s) s = lat;
    if (lat > n) n = lat;
  }
  return w === Infinity ? null : [w, s, e, n];
}

interface View {
  /** lon/lat -> panel pixels. */
  project(lon: number, lat: number): [number, number];
  /** The central longitude: rings and points are shifted by 360 degrees to lie nearest to it. */
  centre: number;
  world: boolean;
  /** The longitudes and latitudes the panel shows, with a margin. */
  west: number;
  east: number;
  south: number;
  north: number;
}

/** The whole world (equirectangular), or a region around the points at least ~24 degrees wide (Mercator). */
function viewFor(bbox: [number, number, number, number] | null, w: number, h: number): View {
  const pad = 6;
  if (!bbox || bbox[2] - bbox[0] > 100 || bbox[3] - bbox[1] > 60) {
    const k = Math.min((w - 2 * pad) / (2 * Math.PI), (h - 2 * pad) / Math.PI);
    return {
      project: (lon, lat) => {
        const [x, y] = geoEquirectangularRaw((lon * Math.PI) / 180, (lat * Math.PI) / 180);
        return [w / 2 + k * x, h / 2 - k * y];
      },
      centre: 0,
      world: true,
      west: -180,
      east: 180,
      south: -90,
      north: 90,
    };
  }
  const cx = (bbox[0] + bbox[2]) / 2;
  const cy = (bbox[1] + bbox[3]) / 2;
  const merc = (lat: number) => geoMercatorRaw(0, (Math.max(-85, Math.min(85, lat)) * Math.PI) / 180)[1];
  // Half the width in degrees: the points' extent with a margin, never less than 12 degrees.
  const halfLon = Math.max(12, ((bbox[2] - bbox[0]) / 2) * 1.3);
  const halfLatSpan = merc(bbox[3]) - merc(bbox[1]);
  const k0 = (w - 2 * pad) / ((2 * halfLon * Math.PI) / 180);
  const k = halfLatSpan > 0 ? Math.min(k0, (h - 2 * pad) / (halfLatSpan * 1.3)) : k0;
  const ym = (merc(bbox[1]) + merc(bbox[3])) / 2;
  const project = (lon: number, lat: number): [number, number] => [w / 2 + (k * (lon - cx) * Math.PI) / 180, h / 2 - k * (merc(lat) - ym)];
  const lonAt = (x: number) => cx + ((x - w / 2) / k) * (180 / Math.PI);
  const latAt = (y: number) => (Math.atan(Math.sinh((h / 2 - y) / k + ym)) * 180) / Math.PI;
  void cy;
  return { project, centre: cx, world: false, west: lonAt(0) - 1, east: lonAt(w) + 1, south: latAt(h) - 1, north: latAt(0) + 1 };
}

/** The shift (a multiple of 360) that brings a longitude nearest to the centre. */
const shiftFor = (lon: number, centre: number) => Math.round((centre - lon) / 360) * 360;

function drawPanel(r: Raster, panel: Panel, ox: number, oy: number, w: number, h: number): [number, number, number, number] | null {
  r.fill(ox, oy, w, h, SEA);
  const bbox = bboxOf(panel.points);
  const view = viewFor(bbox, w, h);
  // Regional views use the finer outline, and only the rings that reach into the view.
  const projected: Float64Array[] = [];
  for (const ring of outlineRings(view.world ? '110m' : '50m')) {
    if (ring.north < view.south || ring.south > view.north) continue;
    // Each copy of the ring, 360 degrees apart, that reaches into the view.
    for (const shift of [-360, 0, 360]) {
      if (ring.east + shift < view.west || ring.west + shift > view.east) continue;
      projected.push(projectRing(ring, shift, view));
    }
  }
  fillRings(r, projected, ox, oy, w, h, LAND);
  const clip: [number, number, number, number] = [ox, oy, ox + w, oy + h];
  for (const ring of projected) {
    for (let i = 2; i + 1 < ring.length; i += 2) r.line(ox + ring[i - 2]!, oy + ring[i - 1]!, ox + ring[i]!, oy + ring[i + 1]!, BORDER, clip);
  }
  if (bbox) {
    const s0 = view.world ? 0 : shiftFor(bbox[0], view.centre);
    const p0 = view.project(bbox[0] + s0, bbox[3]);
    const p1 = view.project(bbox[2] + s0, bbox[1]);
    // At least 7 px, so that a city-sized box is still seen.
    const cxp = (p0[0] + p1[0]) / 2;
    const cyp = (p0[1] + p1[1]) / 2;
    const hw = Math.max(3.5, (p1[0] - p0[0]) / 2) + 1;
    const hh = Math.max(3.5, (p1[1] - p0[1]) / 2) + 1;
    const [x0, y0, x1, y1] = [ox + cxp - hw, oy + cyp - hh, ox + cxp + hw, oy + cyp + hh];
    r.line(x0, y0, x1, y0, BOX, clip);
    r.line(x1, y0, x1, y1, BOX, clip);
    r.line(x1, y1, x0, y1, BOX, clip);
    r.line(x0, y1, x0, y0, BOX, clip);
  }
  // 3x3 squares, 2x2 for many points (they would cover each other).
  const size = panel.points.length > 2_000 ? 2 : 3;
  for (const [lon, lat] of panel.points) {
    if (!(Math.abs(lon) <= 180 && Math.abs(lat) <= 90)) continue;
    const p = view.project(view.world ? lon : lon + shiftFor(lon, view.centre), lat);
    const x = Math.round(ox + p[0]);
    const y = Math.round(oy + p[1]);
    if (x < ox || y < oy || x >= ox + w || y >= oy + h) continue;
    const xa = Math.max(ox, x - 1);
    const ya = Math.max(oy, y - 1);
    r.fill(xa, ya, Math.min(x + size - 1, ox + w) - xa, Math.min(y + size - 1, oy + h) - ya, POINT);
  }
  return bbox;
}

function projectRing(ring: Ring, shift: number, view: View): Float64Array {
  const c = ring.coords;
  const out = new Float64Array(c.length);
  for (let i = 0; i < c.length; i += 2) {
    const p = view.project(c[i]! + shift, c[i + 1]!);
    out[i] = p[0];
    out[i + 1] = p[1];
  }
  return out;
}

/** Renders one panel per reading, side by side, each with its label above it. */
export function renderPicture(panels: Panel[]): Picture {
  const n = Math.max(1, panels.length);
  const width = n * PANEL_W + (n - 1) * GAP;
  const height = PANEL_H + LABEL_H;
  const r = new Raster(width, height);
  const bboxes: Picture['bboxes'] = [];
  panels.forEach((panel, i) => {
    const ox = i * (PANEL_W + GAP);
    const max = Math.floor((PANEL_W - 4) / 8);
    const label = panel.label.length > max ? panel.label.slice(0, max) : panel.label;
    drawText(label, ox + Math.max(2, Math.floor((PANEL_W - textWidth(label, 2)) / 2)), 2, 2, (x, y) => r.set(x, y, INK));
    bboxes.push(drawPanel(r, panel, ox, LABEL_H, PANEL_W, PANEL_H));
  });
  return { png: r.png(), width, height, bboxes };
}
