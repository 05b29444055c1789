/**
 * A preparation recipe: a plain JSON document saying how to turn a source file into the importer's
 * format (comma-separated, no header, epoch-millisecond times, columns in a fixed order).
 *
 * `input` is the source's dialect; `columns` are the output columns in order, each with where it
 * comes from and how it is converted; `drop` are rows to leave out on purpose (counted by cause).
 * `compileRecipe` turns it into one function per output column, so a record costs a few
 * comparisons and one string join; a row that cannot be converted is rejected with a stable cause.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { canonicalJson } from '../import/confirmations.js';
import { isIPv4, MAX_TIMESTAMP_MS } from '../rules/values.js';
import { RecordView } from '../csv/records.js';
import { fastDecimal, fastInt, hasComma, needsQuotes, OutBuf } from './fast.js';
import { compileTime, compileTimeAt, TIME_FORMATS } from './times.js';
import { COORDINATE_FORMS, compileProjection, epsgDefinition, knownCrsList, parseDecimal, parseDms, parsePair, parseWktPoint, type Axis } from './coords.js';

const column = z.number().int().min(0).max(9_999).describe('0-based column of the source');
const field = z
  .string()
  .min(1)
  .max(128)
  .describe('output name: entity_id, timestamp, longitude, latitude, altitude, metadata_id, or a dataset property name');

const kinds = [
  z.object({ field, kind: z.literal('text'), column }).strict().describe('copied as it is (ids, strings)'),
  z
    .object({
      field,
      kind: z.literal('enum'),
      column,
      map: z.record(z.string(), z.string()).default({}).describe('source value -> enum value, e.g. {"parked": "stopped"}'),
      unmapped: z.enum(['keep', 'reject', 'empty']).default('reject').describe('values not in map: keep as is, reject the row, or leave empty'),
    })
    .strict(),
  z.object({ field, kind: z.literal('integer'), column, signed: z.boolean().default(true) }).strict().describe('whole numbers, checked against the 32-bit range'),
  z
    .object({
      field,
      kind: z.literal('scaled'),
      column,
      scale: z.number().positive().max(1e9).describe('the value is multiplied by this and rounded: knots × 10 -> scale 10'),
      signed: z.boolean().default(true),
    })
    .strict()
    .describe('a decimal scaled and rounded to the 32-bit integer the property takes'),
  z.object({ field, kind: z.literal('decimal'), column }).strict().describe('a decimal number (altitude), decimal comma allowed'),
  z.object({ field, kind: z.literal('ipv4'), column }).strict(),
  z.object({ field, kind: z.literal('empty') }).strict().describe('an empty column'),
  z.object({ field, kind: z.literal('constant'), value: z.string().max(256) }).strict().describe('the same value on every row, e.g. the id of the one device a file holds'),
  z
    .object({
      field,
      kind: z.literal('time'),
      column,
      time_column: column.optional().describe('a separate time-of-day column (date in `column`)'),
      format: z.enum(TIME_FORMATS),
      time_zone: z
        .string()
        .max(64)
        .optional()
        .describe('IANA name ("America/New_York"), "UTC" or a fixed offset ("+02:00"); required for times without an offset'),
    })
    .strict(),
  z
    .object({
      field,
      kind: z.literal('coordinate'),
      column,
      axis: z.enum(['longitude', 'latitude']),
      form: z.enum(COORDINATE_FORMS).default('decimal'),
    })
    .strict(),
  z
    .object({
      field,
      kind: z.literal('projected'),
      x_column: column,
      y_column: column,
      crs: z.string().max(32).describe('EPSG code, e.g. "EPSG:27700"'),
      proj4: z.string().max(1000).optional().describe('proj4 definition, for a CRS not known here'),
      axis: z.enum(['longitude', 'latitude']),
    })
    .strict(),
] as const;

export const outputColumnSchema = z.discriminatedUnion('kind', kinds);
export type OutputColumn = z.infer<typeof outputColumnSchema>;

export const dropRuleSchema = z
  .object({
    column,
    when: z.enum(['in', 'not_in', 'empty']),
    values: z.array(z.string()).max(1000).default([]),
    cause: z.string().min(1).max(80).describe('why, e.g. "another record type"'),
  })
  .strict();

export const inputSchema = z
  .object({
    delimiter: z.string().length(1).default(','),
    encoding: z.enum(['utf-8', 'latin-1', 'utf-16le']).default('utf-8'),
    compression: z.enum(['auto', 'none', 'gzip']).default('auto').describe('auto: gzip when the bytes say so'),
    skip_lines: z.number().int().min(0).max(1000).default(0).describe('preamble lines before the header'),
    header: z.boolean().default(false),
    skip_rows: z.number().int().min(0).max(100).default(0).describe('rows after the header to skip (units rows)'),
    decimal_comma: z.boolean().default(false),
  })
  .strict();

export const recipeSchema = z
  .object({
    version: z.literal(1).default(1),
    input: inputSchema.default(inputSchema.parse({})),
    columns: z.array(outputColumnSchema).min(4).max(200),
    drop: z.array(dropRuleSchema).max(50).default([]),
  })
  .strict()
  .superRefine((r, ctx) => {
    const names = r.columns.map((c) => c.field);
    for (const need of ['entity_id', 'timestamp', 'longitude', 'latitude']) {
      if (!names.includes(need)) ctx.addIssue({ code: 'custom', message: `columns must produce "${need}" (the importer needs it)`, path: ['columns'] });
    }
    const dup = names.find((n, i) => names.indexOf(n) !== i);
    if (dup) ctx.addIssue({ code: 'custom', message: `the output "${dup}" is produced twice`, path: ['columns'] });
  });

export type Recipe = z.output<typeof recipeSchema>;
export type RecipeInput = z.input<typeof recipeSchema>;

/** Stable digest of a recipe (defaults applied, keys sorted): what prepared objects record. */
export function recipeHash(recipe: Recipe): string {
  return createHash('sha256').update(canonicalJson(recipe)).digest('hex').slice(0, 32);
}

/** The `file_format` to import the prepared output with: each output name -> its column. */
export function fileFormatOf(recipe: Recipe): Record<string, number> {
  const out: Record<string, number> = {};
  recipe.columns.forEach((c, i) => {
    if (c.kind !== 'empty') out[c.field] = i;
  });
  return out;
}

/** Causes of rejected rows: stable codes, counted by the converter. */
export const REJECT_CAUSES = {
  too_few_columns: 'the row has fewer columns than the recipe reads',
  empty_required: 'entity_id, timestamp, longitude or latitude is empty',
  bad_time: 'a time does not fit the recipe\'s format',
  time_out_of_range: 'a time is outside 1970-01-01..2038-01-19, the importer\'s range',
  bad_coordinate: 'a coordinate cannot be read in the recipe\'s form',
  coordinate_out_of_range: 'a longitude is outside -180..180 or a latitude outside -90..90',
  not_a_number: 'a number cannot be read',
  integer_out_of_range: 'a value does not fit the 32-bit integer of its property',
  enum_unmapped: 'an enum value has no mapping',
  not_ipv4: 'a value is not an IPv4 address',
} as const;
export type RejectCause = keyof typeof REJECT_CAUSES;

export interface Rejection {
  cause: RejectCause;
  /** The output field and what is wrong, e.g. `timestamp (column 1) "1/32/2016" is not a US ... date-time`. */
  detail: string;
}

const REQUIRED = new Set(['entity_id', 'timestamp', 'longitude', 'latitude']);
const show = (v: string) => JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
const INT_RE = /^[+-]?\d+$/;

/** Quotes a text value for the importer's dialect when it holds a comma, a quote or a newline. */
function csvText(v: string): string {
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c === 44 || c === 34 || c === 10 || c === 13) return `"${v.replace(/"/g, '""')}"`;
  }
  return v;
}

function fmtDegrees(x: number): string {
  return String(Math.round(x * 1e7) / 1e7);
}

/** Thrown by compileRecipe when the recipe cannot work whatever the file holds. */
export class RecipeError extends Error {
  constructor(readonly code: 'unknown_time_zone' | 'unknown_crs' | 'bad_recipe', message: string) {
    super(message);
  }
}

/** Writes one output cell of the record into the buffer; false when the row is rejected (`rejection` says why). */
type Cell = (r: RecordView, o: OutBuf) => boolean;

export interface CompiledRecipe {
  recipe: Recipe;
  /** The highest source column read + 1. */
  width: number;
  /**
   * Writes the output line of a record, with its newline, into `out`; false (and nothing written)
   * when it is not written: then `rejection` or `dropped` says why.
   */
  convertView(r: RecordView, out: OutBuf): boolean;
  /** The output line (without newline), or null: then `rejection` or `dropped` says why. */
  convert(fields: readonly string[]): string | null;
  /** Set when convert returned null for a row that failed. */
  rejection: Rejection | null;
  /** Set when convert returned null for a row that a drop rule left out. */
  dropped: string | null;
}

export async function compileRecipe(recipe: Recipe): Promise<CompiledRecipe> {
  const decimalComma = recipe.input.decimal_comma;
  let width = 0;
  const use = (c: number) => void (width = Math.max(width, c + 1));
  const compiled: CompiledRecipe = { recipe, width: 0, convertView: () => false, convert: () => null, rejection: null, dropped: null };
  const reject = (cause: RejectCause, detail: string): false => {
    compiled.rejection = { cause, detail };
    return false;
  };
  const cells: Cell[] = [];
  for (const col of recipe.columns) {
    const label = `${col.field}${'column' in col ? ` (column ${col.column})` : ''}`;
    const required = REQUIRED.has(col.field);
    const empty = (): boolean => (required ? reject('empty_required', `${label} is empty`) : true);
    switch (col.kind) {
      case 'text': {
        const i = col.column;
        use(i);
        cells.push((r, o) => {
          const a = r.starts[i]!;
          const b = r.ends[i]!;
          if (a === b) return empty();
          if (needsQuotes(r.text, a, b)) o.str(csvText(r.text.slice(a, b)));
          else o.text(r.text, a, b);
          return true;
        });
        break;
      }
      case 'enum': {
        const i = col.column;
        use(i);
        const map = new Map(Object.entries(col.map).map(([k, v]) => [k, csvText(v)]));
        const unmapped = Object.keys(col.map).length === 0 ? 'keep' : col.unmapped;
        cells.push((r, o) => {
          const v = r.field(i)!;
          if (v === '') return empty();
          const m = map.get(v);
          if (m !== undefined) o.str(m);
          else if (unmapped === 'keep') o.str(csvText(v));
          else if (unmapped === 'reject') return reject('enum_unmapped', `${label} ${show(v)} has no mapping in the recipe's map`);
          return true;
        });
        break;
      }
      case 'integer':
      case 'scaled': {
        const i = col.column;
        use(i);
        const [min, max] = col.signed ? [-2_147_483_648, 2_147_483_647] : [0, 4_294_967_295];
        // "scaled" always reads a decimal and rounds it (scale 1 included); "integer" takes whole numbers only.
        const rounds = col.kind === 'scaled';
        const scale = col.kind === 'scaled' ? col.scale : 1;
        cells.push((r, o) => {
          const a = r.starts[i]!;
          const b = r.ends[i]!;
          if (a === b) return empty();
          let n: number;
          const x0 = rounds ? fastDecimal(r.text, a, b, decimalComma) : fastInt(r.text, a, b);
          if (!Number.isNaN(x0)) n = rounds ? Math.round(x0 * scale) : x0;
          else {
            const v = r.text.slice(a, b);
            if (!rounds && INT_RE.test(v)) n = Number(v);
            else {
              const x = parseDecimal(v, decimalComma);
              if (Number.isNaN(x)) return reject('not_a_number', `${label} ${show(v)} is not a number`);
              if (!rounds && !Number.isInteger(x)) return reject('not_a_number', `${label} ${show(v)} is not a whole number (use kind "scaled" to scale and round it)`);
              n = Math.round(x * scale);
            }
          }
          if (n < min || n > max) return reject('integer_out_of_range', `${label} ${show(r.field(i)!)}${scale !== 1 ? ` × ${scale}` : ''} is outside ${min}..${max}`);
          o.int(n);
          return true;
        });
        break;
      }
      case 'decimal': {
        const i = col.column;
        use(i);
        cells.push((r, o) => {
          const a = r.starts[i]!;
          const b = r.ends[i]!;
          if (a === b) return empty();
          if (Number.isNaN(fastDecimal(r.text, a, b, decimalComma)) && Number.isNaN(parseDecimal(r.field(i)!, decimalComma))) {
            return reject('not_a_number', `${label} ${show(r.field(i)!)} is not a number`);
          }
          writeDecimal(o, r.text, a, b);
          return true;
        });
        break;
      }
      case 'ipv4': {
        const i = col.column;
        use(i);
        cells.push((r, o) => {
          const v = r.field(i)!;
          if (v === '') return empty();
          if (!isIPv4(v)) return reject('not_ipv4', `${label} ${show(v)} is not an IPv4 address`);
          o.str(v);
          return true;
        });
        break;
      }
      case 'empty':
        cells.push(() => true);
        break;
      case 'constant': {
        const v = csvText(col.value);
        cells.push((_r, o) => (o.str(v), true));
        break;
      }
      case 'time': {
        const i = col.column;
        const j = col.time_column;
        use(i);
        if (j !== undefined) use(j);
        let parse: (v: string, t?: string) => number | string;
        try {
          parse = compileTime({ format: col.format, time_zone: col.time_zone }, j !== undefined);
        } catch (err) {
          throw new RecipeError('unknown_time_zone', `${label}: ${(err as Error).message}. Give an IANA name such as "America/New_York", "UTC", or an offset such as "+02:00".`);
        }
        if (col.format !== 'iso8601' && !col.format.startsWith('epoch_') && col.time_zone === undefined) {
          // US, European, Excel and compact times never carry an offset here: without a zone they cannot be read.
          throw new RecipeError('unknown_time_zone', `${label}: ${col.format} times are local times; the recipe must say their time_zone (an IANA name such as "America/New_York", "UTC", or an offset such as "+02:00"). They are never read as UTC silently.`);
        }
        const fast = compileTimeAt({ format: col.format, time_zone: col.time_zone }, j !== undefined);
        cells.push((r, o) => {
          const a = r.starts[i]!;
          const b = r.ends[i]!;
          if (a === b) return empty();
          let t = fast ? fast(r.text, a, b) : NaN;
          if (Number.isNaN(t)) {
            const v = r.text.slice(a, b);
            const p = parse(v, j === undefined ? undefined : r.field(j)!);
            if (typeof p === 'string') return reject('bad_time', `${label} ${show(v)}${j !== undefined ? ` ${show(r.field(j)!)}` : ''} ${p}`);
            t = p;
          }
          if (t < 0 || t > MAX_TIMESTAMP_MS) return reject('time_out_of_range', `${label} ${show(r.field(i)!)} is outside 1970..2038`);
          o.int(t);
          return true;
        });
        break;
      }
      case 'coordinate': {
        const i = col.column;
        use(i);
        const axis: Axis = col.axis;
        const limit = axis === 'longitude' ? 180 : 90;
        const pick = (pairLonFirst: boolean, p: [number, number]) => (axis === 'longitude' ? p[pairLonFirst ? 0 : 1] : p[pairLonFirst ? 1 : 0]);
        const form = col.form;
        cells.push((r, o) => {
          const a = r.starts[i]!;
          const b = r.ends[i]!;
          if (a === b) return empty();
          let x: number;
          let asText = false;
          if (form === 'decimal') {
            x = fastDecimal(r.text, a, b, decimalComma);
            if (Number.isNaN(x)) x = parseDecimal(r.field(i)!, decimalComma);
            asText = !Number.isNaN(x);
          } else if (form === 'dms') x = parseDms(r.field(i)!);
          else {
            const p = form === 'wkt_point' ? parseWktPoint(r.field(i)!) : parsePair(r.field(i)!);
            x = p ? pick(form !== 'lat_lon_pair', p) : NaN;
          }
          if (Number.isNaN(x)) return reject('bad_coordinate', `${label} ${show(r.field(i)!)} is not a ${form.replace(/_/g, ' ')} ${axis}`);
          if (x < -limit || x > limit) return reject('coordinate_out_of_range', `${label} ${show(r.field(i)!)} is outside -${limit}..${limit} for a ${axis}`);
          if (asText) writeDecimal(o, r.text, a, b);
          else o.str(fmtDegrees(x));
          return true;
        });
        break;
      }
      case 'projected': {
        const xi = col.x_column;
        const yi = col.y_column;
        use(xi);
        use(yi);
        if (!col.proj4 && !epsgDefinition(col.crs)) {
          throw new RecipeError('unknown_crs', `${col.field}: unknown CRS "${col.crs}". Known here: ${knownCrsList()}. For another CRS, add its proj4 definition as "proj4" (epsg.io shows it).`);
        }
        let project: (x: number, y: number) => [number, number];
        try {
          project = await compileProjection(col.crs, col.proj4);
        } catch (err) {
          throw new RecipeError('unknown_crs', `${col.field}: ${(err as Error).message}`);
        }
        const k = col.axis === 'longitude' ? 0 : 1;
        const limit = col.axis === 'longitude' ? 180 : 90;
        cells.push((r, o) => {
          const xs = r.field(xi)!;
          const ys = r.field(yi)!;
          if (xs === '' || ys === '') return empty();
          const x = parseDecimal(xs, decimalComma);
          const y = parseDecimal(ys, decimalComma);
          if (Number.isNaN(x) || Number.isNaN(y)) return reject('bad_coordinate', `${label} x ${show(xs)}, y ${show(ys)} are not numbers`);
          const deg = project(x, y)[k];
          if (!Number.isFinite(deg) || deg < -limit || deg > limit) {
            return reject('coordinate_out_of_range', `${label} x ${show(xs)}, y ${show(ys)} in ${col.crs} fall outside the ${col.axis} range: is the CRS right?`);
          }
          o.str(fmtDegrees(deg));
          return true;
        });
        break;
      }
    }
  }
  const drops = recipe.drop.map((d) => {
    use(d.column);
    const values = new Set(d.values);
    const i = d.column;
    const test = d.when === 'in' ? (v: string) => values.has(v) : d.when === 'not_in' ? (v: string) => !values.has(v) : (v: string) => v === '';
    return { test: (r: RecordView) => test(r.field(i)!), cause: d.cause };
  });
  compiled.width = width;
  const n = cells.length;
  compiled.convertView = (r, o) => {
    compiled.rejection = null;
    compiled.dropped = null;
    if (r.count < width) {
      compiled.rejection = { cause: 'too_few_columns', detail: `the row has ${r.count} columns; the recipe reads column ${width - 1}` };
      return false;
    }
    for (const d of drops) {
      if (d.test(r)) {
        compiled.dropped = d.cause;
        return false;
      }
    }
    const start = o.pos;
    for (let c = 0; c < n; c++) {
      if (c > 0) o.byte(44);
      if (!cells[c]!(r, o)) {
        o.pos = start;
        return false;
      }
    }
    o.byte(10);
    return true;
  };
  const view = new RecordView();
  const one = new OutBuf(4096);
  compiled.convert = (fields) => {
    view.of(fields);
    one.pos = 0;
    if (!compiled.convertView(view, one)) return null;
    return one.buf.toString('utf8', 0, one.pos - 1);
  };
  return compiled;
}

/** A decimal as the importer reads it: the text as it is, a decimal comma written as a point. */
function writeDecimal(o: OutBuf, s: string, a: number, b: number): void {
  const comma = hasComma(s, a, b);
  if (comma === -1) return o.text(s, a, b);
  o.text(s, a, comma);
  o.byte(46);
  o.text(s, comma + 1, b);
}

/** Parses a recipe from JSON or an object; a clear message with the path of each problem. */
export function parseRecipe(input: unknown): { ok: true; recipe: Recipe } | { ok: false; problems: string[] } {
  const r = recipeSchema.safeParse(input);
  if (r.success) return { ok: true, recipe: r.data };
  return { ok: false, problems: r.error.issues.slice(0, 10).map((i) => `${i.path.length ? i.path.join('.') : 'recipe'}: ${i.message}`) };
}
