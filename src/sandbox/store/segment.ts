/**
 * One segment of the sandbox's point store: up to SEGMENT_ROWS points of one import, sorted by time,
 * as typed columns in one file. Written once (append-only), never modified; read by ranges.
 *
 * File layout (little-endian):
 *   "DFIPTS01" | u32 header length | u32 0 | header JSON (UTF-8) | columns, each 8-byte aligned
 * Columns: time (f64 epoch ms), lon (f64), lat (f64), ent (u32 index into the segment's entity
 * dictionary), meta (f64 metadataId, NaN = none), one f64 column per property (number; ip as u32;
 * enum and other types as an index into the property's `values`; NaN = null), and the entity
 * dictionary: entHash (u32 FNV-1a per entry), entOff (u32, entries + 1 byte offsets), entBlob (UTF-8).
 * The header holds the row count, time range, bounding box and, per block of BLOCK_ROWS rows, the
 * block's time range and bounding box: queries skip blocks and segments without reading them.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { RowSink, RowSinkSpec } from '../../csv/bulk.js';

export const SEGMENT_ROWS = 1 << 16;
export const BLOCK_ROWS = 4096;
export const GRID = 16;
export const CELLS = GRID * GRID;

/** The grid cell of a point in a segment's box: column + GRID * row. */
export function gridCell(bbox: readonly number[], x: number, y: number): number {
  const w = bbox[2]! - bbox[0]!;
  const h = bbox[3]! - bbox[1]!;
  const cx = w > 0 ? Math.min(GRID - 1, Math.floor(((x - bbox[0]!) / w) * GRID)) : 0;
  const cy = h > 0 ? Math.min(GRID - 1, Math.floor(((y - bbox[1]!) / h) * GRID)) : 0;
  return cx + GRID * cy;
}
const MAGIC = 'DFIPTS01';
const PREFIX = 16;

export interface PropSpec {
  name: string;
  type: string;
  /** The CSV column. */
  col: number;
}
/** What a writer needs to turn a valid CSV row into a point (plain data: it crosses to worker threads). */
export interface SegmentSpec {
  datasetId: string;
  batchId: string;
  entity: number;
  time: number;
  lon: number;
  lat: number;
  metadataId?: number;
  props: PropSpec[];
}
export interface SegmentTarget {
  /** The folder segment files are written to. */
  dir: string;
  spec: SegmentSpec;
}

export interface SegmentHeader {
  v: 1;
  datasetId: string;
  batchId: string;
  rows: number;
  minTime: number;
  maxTime: number;
  /** [minLon, minLat, maxLon, maxLat] */
  bbox: [number, number, number, number];
  /** Rows of a block are grouped by cell of a GRID × GRID grid over `bbox`; `cells` holds, per block, CELLS + 1 offsets. */
  grid: number;
  blockRows: number;
  blocks: { minTime: number[]; maxTime: number[]; minLon: number[]; minLat: number[]; maxLon: number[]; maxLat: number[] };
  props: { name: string; type: string; values?: string[] }[];
  entities: number;
  /** Column name -> [absolute byte offset, byte length]. */
  cols: Record<string, [number, number]>;
}

/** Numeric property types are stored as numbers; every other type as an index into its values. */
export const numericType = (type: string) => type === 'number' || type === 'ip';

export function ipToNumber(v: string): number {
  const p = v.split('.');
  return ((Number(p[0]) << 24) >>> 0) + (Number(p[1]) << 16) + (Number(p[2]) << 8) + Number(p[3]);
}
export function numberToIp(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** FNV-1a over UTF-16 code units: the entity dictionary's hash. */
export function entityHash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The bulk validator's sink (csv/bulk.ts) for a batch's valid rows: this module's `openRowSink`, in every thread. */
export function segmentSink(target: SegmentTarget): RowSinkSpec {
  return { module: 'sandbox/store/segment.js', config: target };
}

export function openRowSink(config: unknown): RowSink {
  return new SegmentWriter(config as SegmentTarget);
}

/** Accumulates valid rows and writes a segment file every SEGMENT_ROWS rows. Synchronous writes. */
export class SegmentWriter {
  readonly files: string[] = [];
  #n = 0;
  #time = new Float64Array(0);
  #lon = new Float64Array(0);
  #lat = new Float64Array(0);
  #ent = new Uint32Array(0);
  #meta = new Float64Array(0);
  #props: Float64Array[] = [];
  #entities = new Map<string, number>();
  #values: Map<string, number>[] = [];

  constructor(readonly target: SegmentTarget) {}

  #alloc(): void {
    const n = SEGMENT_ROWS;
    this.#time = new Float64Array(n);
    this.#lon = new Float64Array(n);
    this.#lat = new Float64Array(n);
    this.#ent = new Uint32Array(n);
    this.#meta = new Float64Array(n);
    this.#props = this.target.spec.props.map(() => new Float64Array(n));
    this.#entities = new Map();
    this.#values = this.target.spec.props.map(() => new Map());
  }

  /** One point, its properties null: the bench's fast path. */
  addPoint(id: string, time: number, lon: number, lat: number): void {
    if (this.#time.length === 0) this.#alloc();
    this.#core(this.#n, id, time, lon, lat);
    this.#meta[this.#n] = NaN;
    for (const p of this.#props) p[this.#n] = NaN;
    if (++this.#n === SEGMENT_ROWS) this.flush();
  }

  #core(i: number, id: string, time: number, lon: number, lat: number): void {
    this.#time[i] = time;
    this.#lon[i] = lon;
    this.#lat[i] = lat;
    let e = this.#entities.get(id);
    if (e === undefined) this.#entities.set(id, (e = this.#entities.size));
    this.#ent[i] = e;
  }

  /** One valid row (already checked by the row validator). */
  add(fields: readonly string[]): void {
    if (this.#time.length === 0) this.#alloc();
    const s = this.target.spec;
    const i = this.#n;
    this.#core(i, fields[s.entity]!, Number(fields[s.time]), Number(fields[s.lon]), Number(fields[s.lat]));
    if (s.metadataId !== undefined) {
      const m = fields[s.metadataId] ?? '';
      this.#meta[i] = m === '' ? NaN : Number(m);
    } else this.#meta[i] = NaN;
    for (let p = 0; p < s.props.length; p++) {
      const prop = s.props[p]!;
      const v = fields[prop.col] ?? '';
      let x: number;
      if (v === '') x = NaN;
      else if (prop.type === 'number') x = Number(v);
      else if (prop.type === 'ip') x = ipToNumber(v);
      else {
        const dict = this.#values[p]!;
        let k = dict.get(v);
        if (k === undefined) dict.set(v, (k = dict.size));
        x = k;
      }
      this.#props[p]![i] = x;
    }
    if (++this.#n === SEGMENT_ROWS) this.flush();
  }

  /** Writes the rows held so far as one segment file. */
  flush(): void {
    const n = this.#n;
    if (n === 0) return;
    const time = this.#time;
    const order = new Uint32Array(n);
    let sorted = true;
    for (let i = 0; i < n; i++) {
      order[i] = i;
      if (i > 0 && time[i]! < time[i - 1]!) sorted = false;
    }
    if (!sorted) order.sort((a, b) => time[a]! - time[b]!);
    // Within each block (a slice of time), rows are grouped by grid cell over the segment's box, in
    // time order inside a cell (a stable counting sort): a box query counts the cells wholly inside
    // it from the offsets, and reads rows only for the cells on its edge.
    let bx0 = Infinity, by0 = Infinity, bx1 = -Infinity, by1 = -Infinity; // prettier-ignore
    for (let i = 0; i < n; i++) {
      const x = this.#lon[i]!, y = this.#lat[i]!; // prettier-ignore
      if (x < bx0) bx0 = x;
      if (x > bx1) bx1 = x;
      if (y < by0) by0 = y;
      if (y > by1) by1 = y;
    }
    const bbox: [number, number, number, number] = [bx0, by0, bx1, by1];
    const nb = Math.ceil(n / BLOCK_ROWS);
    const cells = new Uint32Array(nb * (CELLS + 1));
    const cellOf = new Uint16Array(BLOCK_ROWS);
    const tmp = new Uint32Array(BLOCK_ROWS);
    for (let b = 0; b < nb; b++) {
      const start = b * BLOCK_ROWS;
      const end = Math.min(n, start + BLOCK_ROWS);
      const off = cells.subarray(b * (CELLS + 1), (b + 1) * (CELLS + 1));
      for (let i = start; i < end; i++) {
        const c = gridCell(bbox, this.#lon[order[i]!]!, this.#lat[order[i]!]!);
        cellOf[i - start] = c;
        off[c + 1]!++;
      }
      for (let c = 0; c < CELLS; c++) off[c + 1]! += off[c]!;
      const fill = off.slice(0, CELLS);
      for (let i = start; i < end; i++) tmp[fill[cellOf[i - start]!]!++] = order[i]!;
      order.set(tmp.subarray(0, end - start), start);
    }
    const pick = (src: Float64Array) => {
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = src[order[i]!]!;
      return out;
    };
    const t = pick(time);
    const lon = pick(this.#lon);
    const lat = pick(this.#lat);
    const ent = new Uint32Array(n);
    for (let i = 0; i < n; i++) ent[i] = this.#ent[order[i]!]!;
    const meta = pick(this.#meta);
    const props = this.#props.map(pick);

    const blocks: SegmentHeader['blocks'] = { minTime: [], maxTime: [], minLon: [], minLat: [], maxLon: [], maxLat: [] };
    for (let b = 0; b < nb; b++) {
      let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity, t0 = Infinity, t1 = -Infinity; // prettier-ignore
      const end = Math.min(n, (b + 1) * BLOCK_ROWS);
      for (let i = b * BLOCK_ROWS; i < end; i++) {
        const x = lon[i]!, y = lat[i]!, z = t[i]!; // prettier-ignore
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
        if (z < t0) t0 = z;
        if (z > t1) t1 = z;
      }
      blocks.minTime.push(t0);
      blocks.maxTime.push(t1);
      blocks.minLon.push(x0);
      blocks.minLat.push(y0);
      blocks.maxLon.push(x1);
      blocks.maxLat.push(y1);
    }

    const ids = [...this.#entities.keys()];
    const hashes = new Uint32Array(ids.length);
    const offs = new Uint32Array(ids.length + 1);
    const parts: Buffer[] = [];
    let at = 0;
    ids.forEach((id, k) => {
      hashes[k] = entityHash(id);
      const b = Buffer.from(id, 'utf8');
      offs[k] = at;
      at += b.length;
      parts.push(b);
    });
    offs[ids.length] = at;
    const blob = Buffer.concat(parts);

    const columns: [string, Uint8Array][] = [
      ['time', u8(t)],
      ['lon', u8(lon)],
      ['lat', u8(lat)],
      ['ent', u8(ent)],
      ['meta', u8(meta)],
      ...props.map((p, k) => [`p${k}`, u8(p)] as [string, Uint8Array]),
      ['cells', u8(cells)],
      ['entHash', u8(hashes)],
      ['entOff', u8(offs)],
      ['entBlob', blob],
    ];
    const header: SegmentHeader = {
      v: 1,
      datasetId: this.target.spec.datasetId,
      batchId: this.target.spec.batchId,
      rows: n,
      minTime: t[0]!,
      maxTime: t[n - 1]!,
      bbox,
      grid: GRID,
      blockRows: BLOCK_ROWS,
      blocks,
      props: this.target.spec.props.map((p, k) => ({ name: p.name, type: p.type, ...(numericType(p.type) ? {} : { values: [...this.#values[k]!.keys()] }) })),
      entities: ids.length,
      cols: {},
    };
    // The header's length depends on the offsets it lists: lay the columns out after a generous estimate.
    const estimate = Buffer.byteLength(JSON.stringify({ ...header, cols: Object.fromEntries(columns.map(([k]) => [k, [1e15, 1e15]])) }));
    let pos = align8(PREFIX + estimate);
    for (const [name, data] of columns) {
      header.cols[name] = [pos, data.byteLength];
      pos = align8(pos + data.byteLength);
    }
    const json = Buffer.from(JSON.stringify(header), 'utf8');
    const prefix = Buffer.alloc(PREFIX);
    prefix.write(MAGIC, 0, 'latin1');
    prefix.writeUInt32LE(json.length, 8);

    const file = path.join(this.target.dir, `${randomUUID()}.seg`);
    const part = `${file}.part`;
    fs.mkdirSync(this.target.dir, { recursive: true });
    const fd = fs.openSync(part, 'w');
    try {
      fs.writeSync(fd, prefix, 0, PREFIX, 0);
      fs.writeSync(fd, json, 0, json.length, PREFIX);
      for (const [name, data] of columns) if (data.byteLength > 0) fs.writeSync(fd, data, 0, data.byteLength, header.cols[name]![0]);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(part, file);
    this.files.push(file);
    this.#n = 0;
    this.#entities = new Map();
    this.#values = this.target.spec.props.map(() => new Map());
  }

  /** Writes what is left; the writer can be dropped afterwards. */
  close(): string[] {
    this.flush();
    this.#time = new Float64Array(0);
    return this.files;
  }
}

const u8 = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
const align8 = (n: number) => Math.ceil(n / 8) * 8;

/** A committed segment: its header in memory, its columns read on demand. */
export class Segment {
  #dict: string[] | undefined;
  private constructor(
    readonly file: string,
    readonly header: SegmentHeader,
  ) {}

  static async open(file: string): Promise<Segment> {
    const fh = await fs.promises.open(file, 'r');
    try {
      const prefix = Buffer.alloc(PREFIX);
      await fh.read(prefix, 0, PREFIX, 0);
      if (prefix.toString('latin1', 0, 8) !== MAGIC) throw new Error(`${file} is not a point segment`);
      const len = prefix.readUInt32LE(8);
      const json = Buffer.alloc(len);
      await fh.read(json, 0, len, PREFIX);
      return new Segment(file, JSON.parse(json.toString('utf8')) as SegmentHeader);
    } finally {
      await fh.close();
    }
  }

  // Synchronous positioned reads: a query reads a few large ranges, and a thread-pool round trip
  // per range costs more than the copy from the page cache, above all on a busy machine.
  #bytes(fd: number, col: string, from: number, to: number, into?: ArrayBuffer): ArrayBuffer {
    const c = this.header.cols[col];
    if (!c) throw new Error(`segment ${path.basename(this.file)} has no column ${col}`);
    const len = to - from;
    const buf = into ?? new ArrayBuffer(len);
    let done = 0;
    while (done < len) {
      const n = fs.readSync(fd, new Uint8Array(buf, done, len - done), 0, len - done, c[0] + from + done);
      if (n === 0) throw new Error(`segment ${path.basename(this.file)} is truncated`);
      done += n;
    }
    return buf;
  }

  /** Rows [start, end) of a f64 column; into `into` (a reused buffer) when given. */
  f64(fd: number, col: string, start: number, end: number, into?: Float64Array): Float64Array {
    if (into) {
      this.#bytes(fd, col, start * 8, end * 8, into.buffer as ArrayBuffer);
      return into.subarray(0, end - start);
    }
    return new Float64Array(this.#bytes(fd, col, start * 8, end * 8));
  }
  u32(fd: number, col: string, start: number, end: number): Uint32Array {
    return new Uint32Array(this.#bytes(fd, col, start * 4, end * 4));
  }

  /** The entity dictionary, decoded once per segment and kept when small. */
  dictionary(fd: number): string[] {
    if (this.#dict) return this.#dict;
    const n = this.header.entities;
    const offs = this.u32(fd, 'entOff', 0, n + 1);
    const blob = Buffer.from(this.#bytes(fd, 'entBlob', 0, this.header.cols.entBlob![1]));
    const out = new Array<string>(n);
    for (let k = 0; k < n; k++) out[k] = blob.toString('utf8', offs[k]!, offs[k + 1]!);
    if (n <= 65_536) this.#dict = out;
    return out;
  }

  /** Dictionary indices of the given ids present in this segment. */
  lookup(fd: number, ids: Map<number, string[]>): Set<number> {
    const hashes = this.u32(fd, 'entHash', 0, this.header.entities);
    const hits: number[] = [];
    for (let k = 0; k < hashes.length; k++) if (ids.has(hashes[k]!)) hits.push(k);
    if (hits.length === 0) return new Set();
    const dict = this.dictionary(fd);
    return new Set(hits.filter((k) => ids.get(hashes[k]!)!.includes(dict[k]!)));
  }
}
