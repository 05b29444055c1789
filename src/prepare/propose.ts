/**
 * A recipe proposed from infer_csv_format's reading of a sample, when the file does not fit the
 * importer as it is (gzip, header or preamble, another delimiter, decimal commas, times that are not
 * epoch milliseconds, coordinates not in two decimal columns, decimals for integer properties).
 *
 * Each choice carries its evidence; what only the person can say is listed in `needsYourWord`
 * and left out of the recipe (a time zone for local times, a CRS for projected coordinates, an enum
 * mapping, a scale): a proposal is never silently completed with a guess.
 */
import type { InferResult } from '../csv/infer.js';
import { detectDialect } from '../csv/dialect.js';
import type { Sample } from '../csv/sample.js';
import { epochUnit } from '../csv/values.js';
import type { MetadataSchema } from '../dfi/schemas.js';
import { parsePair, parseWktPoint } from './coords.js';
import type { OutputColumn, RecipeInput } from './recipe.js';

export interface Proposal {
  /** False when only a header row differs: the importer then rejects one row per file, nothing more. */
  needed: boolean;
  /** Why the file does not fit the importer as it is. */
  reasons: string[];
  recipe: RecipeInput;
  choices: { field: string; choice: string; evidence: string }[];
  /** What the person must say before the recipe can run; each names the recipe key to set. */
  needsYourWord: { field: string; what: string; why: string }[];
}

const ISO_RE = /^\d{4}-\d{1,2}-\d{1,2}(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)?\s*(Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?$/i;
const SLASH_RE = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})(?:[ T]+\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:[AaPp][Mm])?)?$/;
const COMPACT_RE = /^\d{8}[T ]?\d{4,6}$/;
const INT_RE = /^[+-]?\d+$/;
const DEC_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)$/;
const DEC_COMMA_RE = /^[+-]?\d+,\d+$/;
const DEC_ANY_RE = /^[+-]?(?:\d+[.,]?\d*|[.,]\d+)$/;
const ZONE_WORD = 'an IANA time zone such as "America/New_York", "UTC" or an offset such as "+01:00"';

type TimeGuess = { format: 'epoch_s' | 'epoch_ms' | 'epoch_us' | 'epoch_ns' | 'iso8601' | 'us' | 'european' | 'excel' | 'compact'; zoneless: boolean; evidence: string; ambiguousOrder?: boolean };

function guessTime(values: string[]): TimeGuess | null {
  const vs = values.filter((v) => v !== '').slice(0, 200);
  if (vs.length === 0) return null;
  if (vs.every((v) => INT_RE.test(v) || DEC_RE.test(v))) {
    const nums = vs.map(Number);
    const unit = epochUnit(Math.min(...nums), Math.max(...nums));
    if (unit) return { format: `epoch_${unit}`, zoneless: false, evidence: `numbers of the size of epoch ${unit === 'us' ? 'microseconds' : unit === 'ns' ? 'nanoseconds' : unit === 's' ? 'seconds' : 'milliseconds'} (${vs[0]})` };
    if (nums.every((n) => n > 20_000 && n < 80_000)) return { format: 'excel', zoneless: true, evidence: `day numbers since 1899-12-30, as spreadsheets write them (${vs[0]})` };
    return null;
  }
  if (vs.every((v) => ISO_RE.test(v))) {
    const withOffset = vs.every((v) => ISO_RE.exec(v)![1] !== undefined);
    return { format: 'iso8601', zoneless: !withOffset, evidence: `ISO 8601 date-times ${withOffset ? 'with an offset' : 'without an offset'} (${vs[0]})` };
  }
  if (vs.every((v) => COMPACT_RE.test(v))) return { format: 'compact', zoneless: true, evidence: `yyyymmddhhmmss times (${vs[0]})` };
  if (vs.every((v) => SLASH_RE.test(v))) {
    const parts = vs.map((v) => SLASH_RE.exec(v)!);
    const firstOver12 = parts.some((m) => Number(m[1]) > 12);
    const secondOver12 = parts.some((m) => Number(m[2]) > 12);
    if (secondOver12 && !firstOver12) return { format: 'us', zoneless: true, evidence: `month/day/year date-times: the second number goes above 12 (${parts.find((m) => Number(m[2]) > 12)![0]})` };
    if (firstOver12 && !secondOver12) return { format: 'european', zoneless: true, evidence: `day/month/year date-times: the first number goes above 12 (${parts.find((m) => Number(m[1]) > 12)![0]})` };
    const dots = vs[0]!.includes('.');
    return { format: dots ? 'european' : 'us', zoneless: true, evidence: `date-times whose day and month cannot be told apart in the sample (${vs[0]}); ${dots ? 'dots are European' : 'slashes read as US month/day'}`, ambiguousOrder: true };
  }
  return null;
}

function decimalsOf(values: string[], decimalComma: boolean): boolean {
  const vs = values.filter((v) => v !== '');
  return vs.length > 0 && vs.every((v) => DEC_RE.test(v) || (decimalComma && DEC_COMMA_RE.test(v)));
}

/** The proposal, or null when the file fits the importer as it is. */
export function proposeRecipe(sample: Sample, inferred: InferResult, schema?: MetadataSchema): Proposal | null {
  const { dialect, rows: allRows } = detectDialect(sample.text, { delimiter: inferred.dialect.delimiter, hasHeader: inferred.dialect.hasHeader });
  // detectDialect's rows start after the preamble (splitting the whole sample into lines again cost seconds on 4 MiB of line breaks).
  let body = allRows.slice(dialect.hasHeader ? 1 : 0);
  // Units rows under the header (NOAA/ERDDAP: "UTC,,degrees_east,degrees_north,knots"): rows whose
  // coordinate cells are not numbers while the rows after them are. Up to 3 are skipped.
  const f0 = inferred.file_format;
  const numeric = (r: string[] | undefined, i: number | undefined) => i === undefined || DEC_ANY_RE.test((r?.[i] ?? '').trim());
  let unitRows = 0;
  if (dialect.hasHeader && (f0.latitude !== undefined || f0.longitude !== undefined)) {
    while (unitRows < 3 && body.length > unitRows + 1 && !(numeric(body[unitRows], f0.latitude) && numeric(body[unitRows], f0.longitude)) && numeric(body[unitRows + 1], f0.latitude) && numeric(body[unitRows + 1], f0.longitude)) unitRows++;
    body = body.slice(unitRows);
  }
  const rows = body.length ? body : allRows;
  const column = (i: number) => rows.map((r) => (r[i] ?? '').trim());
  const decimalComma = dialect.delimiter !== ',' && rows.some((r) => r.some((v) => DEC_COMMA_RE.test(v)));
  const reasons: string[] = [];
  const choices: Proposal['choices'] = [];
  const needs: Proposal['needsYourWord'] = [];
  const columns: OutputColumn[] = [];
  const header = (i: number) => inferred.columns[i]?.name ?? null;
  const label = (i: number) => `column ${i}${header(i) ? ` ("${header(i)}")` : ''}`;

  if (sample.compression === 'gzip') reasons.push('the file is gzip-compressed');
  if (dialect.delimiter !== ',') reasons.push(`it is separated by ${JSON.stringify(dialect.delimiter)}, not commas`);
  const HEADER = 'it has a header row (the importer counts it as one invalid row per file)';
  if (dialect.hasHeader) reasons.push(HEADER);
  if (dialect.preambleLines > 0) reasons.push(`${dialect.preambleLines} line(s) come before the table`);
  if (unitRows > 0) {
    reasons.push(`${unitRows} row(s) under the header hold units or labels, not data`);
    choices.push({ field: 'input.skip_rows', choice: String(unitRows), evidence: `the row(s) under the header read ${JSON.stringify(allRows[1]?.slice(0, 6))}` });
  }
  if (decimalComma) reasons.push('numbers use decimal commas');
  if (sample.encoding === 'latin-1' || sample.encoding.startsWith('utf-16')) reasons.push(`it is encoded in ${sample.encoding}`);

  const f = inferred.file_format;
  // entity
  if (f.entity_id !== undefined) {
    columns.push({ field: 'entity_id', kind: 'text', column: f.entity_id });
    choices.push({ field: 'entity_id', choice: label(f.entity_id), evidence: inferred.columns[f.entity_id]?.evidence.join('; ') || 'infer_csv_format' });
  } else needs.push({ field: 'entity_id', what: 'which column identifies the moving object (a column: {"kind": "text", "column": N}), or, when each file holds one object, its id ({"kind": "constant", "value": "..."})', why: 'no column was found for it' });

  // time
  if (f.timestamp !== undefined) {
    const t = guessTime(column(f.timestamp));
    const timeOnly = rows.every((r) => /^\d{1,2}:\d{2}(?::\d{2})?$/.test((r[f.timestamp!] ?? '').trim()) || (r[f.timestamp!] ?? '') === '');
    const dateOnly = rows.every((r) => /^(?:\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[/.]\d{1,2}[/.]\d{4})$/.test((r[f.timestamp!] ?? '').trim()));
    let timeColumn: number | undefined;
    let guess = t;
    if (dateOnly || timeOnly) {
      // Split date and time: find the partner column next to it.
      const partner = [f.timestamp - 1, f.timestamp + 1, f.timestamp + 2, f.timestamp - 2].find(
        (j) => j >= 0 && rows.every((r) => (timeOnly ? /^(?:\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[/.]\d{1,2}[/.]\d{4})$/ : /^\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?$/).test((r[j] ?? '').trim())),
      );
      if (partner !== undefined) {
        const dateCol = timeOnly ? partner : f.timestamp;
        timeColumn = timeOnly ? f.timestamp : partner;
        guess = guessTime(column(dateCol).map((d) => `${d} 00:00`)) ?? null;
        if (guess) {
          guess.evidence = `date in ${label(dateCol)} and time of day in ${label(timeColumn)} (${column(dateCol)[0]} ${column(timeColumn)[0]})`;
          columns.push({ field: 'timestamp', kind: 'time', column: dateCol, time_column: timeColumn, format: guess.format } as OutputColumn);
        }
      }
    } else if (t) {
      columns.push({ field: 'timestamp', kind: 'time', column: f.timestamp, format: t.format } as OutputColumn);
    }
    if (guess) {
      choices.push({ field: 'timestamp', choice: `${guess.format}${timeColumn !== undefined ? ' (date + time columns)' : ''}`, evidence: guess.evidence });
      if (guess.format !== 'epoch_ms' || timeColumn !== undefined) reasons.push(`times are ${guess.format === 'iso8601' ? 'ISO 8601 text' : guess.format.replace('_', ' ')}, not epoch milliseconds`);
      if (guess.zoneless) needs.push({ field: 'timestamp', what: `time_zone: ${ZONE_WORD}`, why: `the times carry no offset (${guess.evidence}); they are never read as UTC unless you say so` });
      if (guess.ambiguousOrder) needs.push({ field: 'timestamp', what: 'format: "us" (month/day) or "european" (day/month)', why: guess.evidence });
    } else needs.push({ field: 'timestamp', what: 'the time format', why: `the values of ${label(f.timestamp)} (e.g. ${column(f.timestamp)[0]}) are not a time format the recipe knows` });
  } else needs.push({ field: 'timestamp', what: 'which column holds the time', why: 'no column was found for it' });

  // coordinates
  if (f.longitude !== undefined && f.latitude !== undefined) {
    columns.push({ field: 'longitude', kind: 'coordinate', column: f.longitude, axis: 'longitude', form: 'decimal' });
    columns.push({ field: 'latitude', kind: 'coordinate', column: f.latitude, axis: 'latitude', form: 'decimal' });
    choices.push({ field: 'longitude, latitude', choice: `${label(f.longitude)}, ${label(f.latitude)}, decimal degrees`, evidence: inferred.columns[f.longitude]?.evidence.join('; ') || 'infer_csv_format' });
  } else {
    const width = rows.reduce((m, r) => Math.max(m, r.length), 0);
    const point = Array.from({ length: width }, (_, i) => i).find((i) => column(i).some((v) => v !== '') && column(i).every((v) => v === '' || parseWktPoint(v) !== null));
    const pair = point === undefined ? Array.from({ length: width }, (_, i) => i).find((i) => column(i).some((v) => v !== '') && column(i).every((v) => v === '' || parsePair(v) !== null)) : undefined;
    const named = (i: number, re: RegExp) => re.test(header(i) ?? '');
    const xs = Array.from({ length: width }, (_, i) => i).filter((i) => named(i, /^(x|easting|east|e|x_coord|xcoord|x_coordinate|rechtswert)$/i) && decimalsOf(column(i), decimalComma));
    const ys = Array.from({ length: width }, (_, i) => i).filter((i) => named(i, /^(y|northing|north|n|y_coord|ycoord|y_coordinate|hochwert)$/i) && decimalsOf(column(i), decimalComma));
    if (point !== undefined) {
      columns.push({ field: 'longitude', kind: 'coordinate', column: point, axis: 'longitude', form: 'wkt_point' });
      columns.push({ field: 'latitude', kind: 'coordinate', column: point, axis: 'latitude', form: 'wkt_point' });
      choices.push({ field: 'longitude, latitude', choice: `${label(point)}, WKT POINT(lon lat)`, evidence: `values such as ${column(point)[0]}` });
      reasons.push('both coordinates are in one WKT POINT column');
    } else if (pair !== undefined) {
      const first = column(pair).filter((v) => v !== '').map((v) => parsePair(v)![0]);
      const lonFirst = first.some((a) => Math.abs(a) > 90);
      const form = lonFirst ? 'lon_lat_pair' : 'lat_lon_pair';
      columns.push({ field: 'longitude', kind: 'coordinate', column: pair, axis: 'longitude', form });
      columns.push({ field: 'latitude', kind: 'coordinate', column: pair, axis: 'latitude', form });
      choices.push({ field: 'longitude, latitude', choice: `${label(pair)}, "${lonFirst ? 'lon,lat' : 'lat,lon'}" in one column`, evidence: `values such as ${column(pair)[0]}${lonFirst ? '; the first number goes beyond ±90' : ''}` });
      if (!lonFirst) needs.push({ field: 'longitude, latitude', what: 'confirm the order is latitude first ("lat_lon_pair") or say "lon_lat_pair"', why: 'both numbers fit ±90 in the sample' });
      reasons.push('both coordinates are in one column');
    } else if (xs.length && ys.length) {
      const x = xs[0]!;
      const y = ys[0]!;
      columns.push({ field: 'longitude', kind: 'projected', x_column: x, y_column: y, crs: 'EPSG:?', axis: 'longitude' });
      columns.push({ field: 'latitude', kind: 'projected', x_column: x, y_column: y, crs: 'EPSG:?', axis: 'latitude' });
      choices.push({ field: 'longitude, latitude', choice: `projected x ${label(x)}, y ${label(y)}`, evidence: `metres or feet, e.g. ${column(x)[0]}, ${column(y)[0]}` });
      needs.push({ field: 'longitude, latitude', what: 'crs: the EPSG code of the projection (e.g. "EPSG:27700" British National Grid, "EPSG:2263" New York feet, a UTM zone "EPSG:326xx")', why: 'projected coordinates say nothing of their CRS' });
      reasons.push('coordinates are projected, not degrees');
    } else needs.push({ field: 'longitude, latitude', what: 'which columns hold the coordinates', why: 'none were found' });
  }

  if (f.altitude !== undefined) columns.push({ field: 'altitude', kind: 'decimal', column: f.altitude });

  // dataset properties
  const core = new Set(['entity_id', 'timestamp', 'longitude', 'latitude', 'altitude', 'metadata_id']);
  // Properties the inference left out (e.g. decimals for a whole-number property) but a header names.
  const byName = new Map(inferred.columns.map((c, i) => [c.name?.toLowerCase(), i]));
  const props: [string, number][] = Object.entries(f);
  for (const name of Object.keys(schema ?? {})) {
    const i = byName.get(name.toLowerCase());
    if (f[name] === undefined && i !== undefined && !Object.values(f).includes(i)) props.push([name, i]);
  }
  for (const [name, i] of props) {
    if (core.has(name)) continue;
    const prop = schema && Object.hasOwn(schema, name) ? schema[name] : undefined;
    const vs = column(i);
    if (prop?.type === 'number') {
      if (vs.every((v) => v === '' || INT_RE.test(v))) columns.push({ field: name, kind: 'integer', column: i, signed: prop.signed !== false });
      else if (decimalsOf(vs, decimalComma)) {
        columns.push({ field: name, kind: 'scaled', column: i, scale: 10, signed: prop.signed !== false });
        choices.push({ field: name, choice: 'scaled × 10 and rounded', evidence: `decimals (e.g. ${vs.find((v) => v !== '')}) for a 32-bit integer property` });
        needs.push({ field: name, what: 'confirm the scale (10 keeps one decimal: 12.3 -> 123) or give another', why: 'the property takes whole numbers' });
        reasons.push(`${label(i)} holds decimals for the integer property "${name}"`);
      } else columns.push({ field: name, kind: 'text', column: i });
    } else if (prop?.type === 'enum') {
      const allowed = new Set(prop.values ?? []);
      const unknown = [...new Set(vs.filter((v) => v !== '' && !allowed.has(v)))];
      if (unknown.length) {
        columns.push({ field: name, kind: 'enum', column: i, map: {}, unmapped: 'reject' });
        needs.push({ field: name, what: `map: the enum value for each of ${unknown.slice(0, 10).map((v) => JSON.stringify(v)).join(', ')}${unknown.length > 10 ? ', …' : ''} (one of ${[...allowed].slice(0, 10).join(', ')})`, why: 'these values are not in the dataset\'s enum' });
        reasons.push(`${label(i)} holds values the enum "${name}" does not know`);
      } else columns.push({ field: name, kind: 'enum', column: i, map: {}, unmapped: 'keep' });
    } else if (prop?.type === 'ip') columns.push({ field: name, kind: 'ipv4', column: i });
    else columns.push({ field: name, kind: 'text', column: i });
  }

  if (reasons.length === 0) return null;
  const encoding = sample.encoding === 'latin-1' ? 'latin-1' : sample.encoding === 'utf-16le' ? 'utf-16le' : 'utf-8';
  const recipe: RecipeInput = {
    input: {
      delimiter: dialect.delimiter,
      encoding,
      compression: 'auto',
      skip_lines: dialect.preambleLines,
      header: dialect.hasHeader,
      skip_rows: unitRows,
      decimal_comma: decimalComma,
    },
    columns,
    drop: [],
  };
  return { needed: reasons.some((r) => r !== HEADER), reasons, recipe, choices, needsYourWord: needs };
}

/** What the assistant does with a proposal. */
export function preparationSteps(p: Proposal): string[] {
  if (!p.needed) {
    return [
      'Run put_batch with this file_format and dry_run true to check it against the files: the header line of each file will count as one invalid row.',
      'To import without those rows, prepare_files with preparation.recipe strips the headers first.',
    ];
  }
  const steps = [`The importer cannot read this file as it is (${p.reasons.join('; ')}): preparation.recipe converts it. Show the person preparation.choices.`];
  if (p.needsYourWord.length) steps.push(`Ask the person first, and set in the recipe: ${p.needsYourWord.map((n) => `${n.field}: ${n.what}`).join('; ')}.`);
  steps.push('Then dry-run prepare_files with the source and the recipe; put_batch then imports the prepared copy.');
  return steps;
}
