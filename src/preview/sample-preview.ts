/**
 * infer_csv_format's picture and place names: the sample's points as the proposed file_format reads
 * them and, when latitude and longitude could be either way round, the other reading beside it.
 */
import type { Sample } from '../csv/sample.js';
import type { InferResult } from '../csv/infer.js';
import { parseRows } from '../csv/dialect.js';
import { renderPicture, type Panel } from './render.js';
import { describePlaces } from './world.js';

export type Reading = {
  label: string;
  longitude: number;
  latitude: number;
  /** Where the points are, in words. */
  places: string;
  onLand: number;
};

export interface SamplePreview {
  readings: Reading[];
  png?: Buffer;
  picture?: { width: number; height: number; bytes: number; panels: string[] };
}

/** Below this confidence infer_csv_format has not told latitude from longitude by name or range. */
const SURE = 0.7;

export function samplePreview(sample: Sample, result: InferResult, withPicture: boolean): SamplePreview | null {
  const lonCol = result.file_format.longitude;
  const latCol = result.file_format.latitude;
  if (lonCol === undefined || latCol === undefined) return null;
  const rows = parseRows(sample.text, result.dialect.delimiter, 5_000);
  const points: [number, number][] = [];
  for (const r of rows) {
    const lon = Number(r[lonCol]?.trim().replace(',', '.'));
    const lat = Number(r[latCol]?.trim().replace(',', '.'));
    if (r[lonCol]?.trim() && r[latCol]?.trim() && Number.isFinite(lon) && Number.isFinite(lat)) points.push([lon, lat]);
  }
  if (points.length === 0) return null;
  const confidence = Math.min(...[lonCol, latCol].map((i) => result.columns.find((c) => c.index === i)?.confidence ?? 1));
  const eitherWay = confidence < SURE && points.every(([lon]) => Math.abs(lon) <= 90);
  const readings: (Reading & { points: [number, number][] })[] = [];
  const add = (label: string, longitude: number, latitude: number, pts: [number, number][]) => {
    const where = describePlaces(pts);
    readings.push({ label, longitude, latitude, places: where.places.map((p) => `${p.name} (${Math.round(p.share * 100)}%)`).join(', '), onLand: where.onLand, points: pts });
  };
  add(`A: lat=col ${latCol}, lon=col ${lonCol}`, lonCol, latCol, points);
  if (eitherWay) add(`B: lat=col ${lonCol}, lon=col ${latCol}`, latCol, lonCol, points.map(([lon, lat]) => [lat, lon]));
  const out: SamplePreview = { readings: readings.map(({ points: _p, ...r }) => r) };
  if (withPicture) {
    const panels: Panel[] = readings.map((r) => ({ label: r.label, points: r.points }));
    const pic = renderPicture(panels);
    out.png = pic.png;
    out.picture = { width: pic.width, height: pic.height, bytes: pic.png.length, panels: panels.map((p) => p.label) };
  }
  return out;
}
