/**
 * The platform's Query API (`POST /v1/query`), client side: the query document, and the
 * Server-Sent Events answer read strictly (see shared/dfi-import-api.md, "Query API"):
 *
 * - `event: message` carries a count (summed), an object of id -> count (merged, counts of the same
 *   id added) or a list of records (concatenated);
 * - `event: keepAlive` is ignored;
 * - exactly one `event: finish` with `{"messageCount": N}`, N the number of `message` events; the
 *   reader stops there;
 * - `event: queryError` is the query failing.
 * A stream without `finish`, with a wrong N, with any other event name or with no event at all is an
 * error: a partial answer must never pass for a whole one (a count that silently lost a message would
 * read as "rows missing").
 */
import { UserFacingError } from '../errors.js';
import { redact } from '../log.js';

export interface QueryFilters {
  id?: string[];
  time?: { minTime?: string; maxTime?: string };
  geo?: { type: 'BoundingBox'; bounds: [number, number, number, number] } | { type: 'Polygon'; coordinates: number[][][] };
  fields?: Record<string, { type: string; operation: string; value: unknown }>;
  only?: 'newest' | 'oldest';
}

export type QueryReturn =
  | { type: 'count'; groupBy?: { type: 'uniqueId' } }
  | { type: 'records'; include?: ('fields' | 'metadataId')[] };

export interface QueryDocument {
  datasetId: string;
  filters: QueryFilters;
  return: QueryReturn;
}

/** One landed point as the Query API returns it. */
export interface QueryRecord {
  id: string;
  /** [longitude, latitude] */
  coordinate: [number, number];
  /** ISO 8601 (or whatever the platform sends; kept as sent). */
  time: string;
  fields?: Record<string, unknown>;
  metadataId?: unknown;
}

export type QueryAnswer =
  | { kind: 'count'; count: number; messages: number }
  | { kind: 'countByEntity'; counts: Record<string, number>; messages: number }
  | { kind: 'records'; records: QueryRecord[]; totalRecords: number; messages: number; extent: Extent | null };

/** The bounding box and time range of every record of an answer (kept or not). */
export interface Extent {
  west: number;
  south: number;
  east: number;
  north: number;
  /** Epoch milliseconds. */
  minTime: number;
  maxTime: number;
}

/** The body as the public client sends it: keys sorted, recursively. */
export function canonicalQuery(doc: QueryDocument): unknown {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v).sort()) out[k] = sort((v as Record<string, unknown>)[k]);
      return out;
    }
    return v;
  };
  return sort(doc);
}

export class SseFramingError extends UserFacingError {
  constructor(message: string) {
    super('query_stream_invalid', message, {
      hint: 'The Query API answered with a stream that breaks its framing, so the result cannot be trusted; try again, and report it if it persists.',
    });
  }
}

/** Splits a byte stream into SSE events (`event`, joined `data`), per the SSE rules: \n, \r\n or \r end a line; a blank line ends an event. */
export async function* sseEvents(body: AsyncIterable<Uint8Array | Buffer | string>, maxEventBytes = 64 * 1024 * 1024): AsyncGenerator<{ event: string | undefined; data: string }> {
  const decoder = new TextDecoder('utf-8');
  let buf = '';
  let event: string | undefined;
  let data: string[] = [];
  let pendingCR = false;
  let size = 0;
  const line = function* (l: string): Generator<{ event: string | undefined; data: string }> {
    if (l === '') {
      if (event !== undefined || data.length > 0) yield { event, data: data.join('\n') };
      event = undefined;
      data = [];
      size = 0;
      return;
    }
    if (l.startsWith(':')) return; // a comment
    const colon = l.indexOf(':');
    const field = colon < 0 ? l : l.slice(0, colon);
    let value = colon < 0 ? '' : l.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') event = value;
    else if (field === 'data') {
      size += value.length;
      if (size > maxEventBytes) throw new SseFramingError(`an event of the query's answer is larger than ${maxEventBytes} bytes.`);
      data.push(value);
    }
    // id and retry are not used by the Query API; other fields are ignored, as SSE says.
  };
  for await (const chunk of body) {
    let text = typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    if (pendingCR && text.startsWith('\n')) text = text.slice(1);
    pendingCR = false;
    buf += text;
    let start = 0;
    for (let i = 0; i < buf.length; i++) {
      const c = buf.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      yield* line(buf.slice(start, i));
      if (c === 13) {
        if (i + 1 < buf.length) {
          if (buf.charCodeAt(i + 1) === 10) i++;
        } else pendingCR = true;
      }
      start = i + 1;
    }
    buf = buf.slice(start);
    if (buf.length > maxEventBytes) throw new SseFramingError(`a line of the query's answer is longer than ${maxEventBytes} bytes.`);
  }
  buf += decoder.decode();
  // A last event not closed by a blank line is incomplete: SSE drops it, and so do we.
}

const isRecordList = (v: unknown): v is unknown[] => Array.isArray(v);

/**
 * Reads a Query API answer to its `finish` event and folds the messages into one answer.
 * `maxRecords` bounds what is kept of a records answer (the rest is counted, not kept).
 */
export async function readQueryAnswer(
  body: AsyncIterable<Uint8Array | Buffer | string>,
  expected: QueryReturn,
  opts: { maxRecords?: number; label?: string } = {},
): Promise<QueryAnswer> {
  const label = opts.label ?? 'the platform';
  const maxRecords = opts.maxRecords ?? 10_000;
  let messages = 0;
  let count = 0;
  const counts: Record<string, number> = Object.create(null) as Record<string, number>;
  const records: QueryRecord[] = [];
  let totalRecords = 0;
  let extent: Extent | null = null;
  let finished: number | undefined;
  let sawEvent = false;
  for await (const ev of sseEvents(body)) {
    sawEvent = true;
    const name = ev.event ?? 'message';
    if (name === 'keepAlive') continue;
    if (name === 'queryError') {
      throw new UserFacingError('query_error', `${label} could not answer the query: ${redact(ev.data.slice(0, 500)) || '(no reason given)'}`, {
        hint: 'The Query API rejected or failed the query; the reason above is its own.',
      });
    }
    if (name === 'finish') {
      let n: unknown;
      try {
        n = (JSON.parse(ev.data) as { messageCount?: unknown })?.messageCount;
      } catch {
        throw new SseFramingError(`the finish event of the query's answer is not JSON: ${JSON.stringify(ev.data.slice(0, 100))}.`);
      }
      if (typeof n !== 'number' || !Number.isInteger(n)) throw new SseFramingError('the finish event of the query\'s answer has no integer messageCount.');
      finished = n;
      break; // the client stops at finish
    }
    if (name !== 'message') throw new SseFramingError(`the query's answer holds an unknown event "${name.slice(0, 60)}".`);
    messages++;
    let value: unknown;
    try {
      value = JSON.parse(ev.data);
    } catch {
      throw new SseFramingError(`message ${messages} of the query's answer is not JSON.`);
    }
    if (expected.type === 'count' && !expected.groupBy) {
      if (typeof value !== 'number' || !Number.isFinite(value)) throw new SseFramingError(`message ${messages} of a count answer is not a number.`);
      count += value;
    } else if (expected.type === 'count') {
      if (!value || typeof value !== 'object' || Array.isArray(value)) throw new SseFramingError(`message ${messages} of a count-by-entity answer is not an object of id -> count.`);
      for (const [id, c] of Object.entries(value)) {
        if (typeof c !== 'number') throw new SseFramingError(`message ${messages} of a count-by-entity answer has a count that is not a number.`);
        counts[id] = (counts[id] ?? 0) + c;
      }
    } else {
      if (!isRecordList(value)) throw new SseFramingError(`message ${messages} of a records answer is not a list.`);
      totalRecords += value.length;
      for (const r of value) {
        const rec = toRecord(r);
        if (!rec) throw new SseFramingError(`message ${messages} of a records answer holds a record without id, coordinate [lon, lat] and time.`);
        const [lon, lat] = rec.coordinate;
        const t = Date.parse(rec.time);
        if (!extent) extent = { west: lon, south: lat, east: lon, north: lat, minTime: t, maxTime: t };
        else {
          extent.west = Math.min(extent.west, lon);
          extent.east = Math.max(extent.east, lon);
          extent.south = Math.min(extent.south, lat);
          extent.north = Math.max(extent.north, lat);
          if (t < extent.minTime || Number.isNaN(extent.minTime)) extent.minTime = t;
          if (t > extent.maxTime || Number.isNaN(extent.maxTime)) extent.maxTime = t;
        }
        if (records.length < maxRecords) records.push(rec);
      }
    }
  }
  if (finished === undefined) {
    throw new SseFramingError(
      sawEvent ? `the query's answer ended without its finish event after ${messages} message(s): it is incomplete.` : "the query's answer holds no event at all.",
    );
  }
  if (finished !== messages) throw new SseFramingError(`the query's answer says it sent ${finished} message(s), but ${messages} arrived.`);
  if (expected.type === 'count' && !expected.groupBy) return { kind: 'count', count, messages };
  if (expected.type === 'count') return { kind: 'countByEntity', counts: { ...counts }, messages };
  return { kind: 'records', records, totalRecords, messages, extent };
}

function toRecord(r: unknown): QueryRecord | null {
  if (!r || typeof r !== 'object') return null;
  const o = r as Record<string, unknown>;
  const c = o.coordinate;
  if (o.id === undefined || !Array.isArray(c) || c.length < 2 || typeof c[0] !== 'number' || typeof c[1] !== 'number') return null;
  if (typeof o.time !== 'string' && typeof o.time !== 'number') return null;
  const rec: QueryRecord = { id: String(o.id), coordinate: [c[0], c[1]], time: typeof o.time === 'number' ? new Date(o.time).toISOString() : o.time };
  if (o.fields && typeof o.fields === 'object') rec.fields = o.fields as Record<string, unknown>;
  if (o.metadataId !== undefined) rec.metadataId = o.metadataId;
  return rec;
}
