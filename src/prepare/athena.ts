/**
 * When one machine is not enough: the same recipe as an Amazon Athena job. A `CREATE EXTERNAL TABLE`
 * reads the source as text columns (OpenCSVSerde; gzip is read by its .gz extension), and an
 * `UNLOAD ... WITH (format = 'TEXTFILE', field_delimiter = ',')` writes the importer's CSV with one
 * SQL expression per output column (Trino functions). Rows a column cannot convert become NULL and
 * are filtered out for the required fields, the way the streaming converter rejects them.
 *
 * Not supported in SQL (the plan says so): DMS coordinates and projected coordinates (Athena has
 * no general reprojection).
 */
import type { Preparation, DryRunReport } from './job.js';
import type { OutputColumn } from './recipe.js';

/** Above this, prepare_files' dry run offers the Athena plan next to its own estimate. */
export const ATHENA_THRESHOLD_BYTES = 20e9;
/** Athena's price per TB scanned (us-east-1, most regions), with a 10 MB minimum per query. */
export const ATHENA_USD_PER_TB = 5;

const q = (s: string) => `'${s.replace(/'/g, "''")}'`;
const ident = (s: string) => s.replace(/[^a-z0-9_]/gi, '_').toLowerCase();

/** Trino datetime patterns (date_parse) of the local formats. */
const PATTERNS: Record<string, string> = {
  us: '%c/%e/%Y %H:%i:%s',
  european: '%e/%c/%Y %H:%i:%s',
  compact: '%Y%m%d%H%i%s',
};

function num(c: string, decimalComma: boolean): string {
  return `try_cast(${decimalComma ? `replace(${c}, ',', '.')` : c} AS double)`;
}

/** One output column as SQL, or null when Athena cannot do it. */
export function columnSql(col: OutputColumn, decimalComma: boolean): string | null {
  const c = 'column' in col ? `c${col.column}` : '';
  switch (col.kind) {
    case 'text':
    case 'ipv4':
      return c;
    case 'empty':
      return "''";
    case 'constant':
      return q(col.value);
    case 'decimal':
      return decimalComma ? `replace(${c}, ',', '.')` : c;
    case 'integer':
      return `CAST(try_cast(${c} AS ${col.signed ? 'integer' : 'bigint'}) AS varchar)`;
    case 'scaled':
      return `CAST(CAST(round(${num(c, decimalComma)} * ${col.scale}) AS bigint) AS varchar)`;
    case 'enum': {
      const cases = Object.entries(col.map).map(([k, v]) => `WHEN ${q(k)} THEN ${q(v)}`);
      const otherwise = Object.keys(col.map).length === 0 || col.unmapped === 'keep' ? c : col.unmapped === 'empty' ? "''" : 'NULL';
      return cases.length ? `CASE ${c} ${cases.join(' ')} ELSE ${otherwise} END` : c;
    }
    case 'coordinate': {
      if (col.form === 'decimal') return `CAST(${num(c, decimalComma)} AS varchar)`;
      if (col.form === 'wkt_point') return `CAST(${col.axis === 'longitude' ? 'ST_X' : 'ST_Y'}(ST_GeometryFromText(${c})) AS varchar)`;
      if (col.form === 'lat_lon_pair' || col.form === 'lon_lat_pair') {
        const first = (col.form === 'lat_lon_pair') === (col.axis === 'latitude');
        return `CAST(try_cast(trim(split_part(regexp_replace(${c}, '[()\\[\\]]', ''), ',', ${first ? 1 : 2})) AS double) AS varchar)`;
      }
      return null;
    }
    case 'projected':
      return null;
    case 'time': {
      const value = col.time_column !== undefined ? `concat(${c}, ' ', c${col.time_column})` : c;
      const ms = (ts: string) => `CAST(CAST(to_unixtime(${ts}) * 1000 AS bigint) AS varchar)`;
      const local = (ts: string) => (col.time_zone ? ms(`with_timezone(${ts}, ${q(col.time_zone)})`) : null);
      switch (col.format) {
        case 'epoch_s':
          return `CAST(CAST(try_cast(${c} AS double) * 1000 AS bigint) AS varchar)`;
        case 'epoch_ms':
          return `CAST(try_cast(${c} AS bigint) AS varchar)`;
        case 'epoch_us':
          return `CAST(try_cast(${c} AS bigint) / 1000 AS varchar)`;
        case 'epoch_ns':
          return `CAST(try_cast(${c} AS bigint) / 1000000 AS varchar)`;
        case 'iso8601':
          // With an offset: from_iso8601_timestamp; without: a local time in the recipe's zone.
          return col.time_zone
            ? `CASE WHEN regexp_like(${value}, '(Z|[+-]\\d\\d:?\\d\\d)$') THEN ${ms(`from_iso8601_timestamp(replace(${value}, ' ', 'T'))`)} ELSE ${local(`try_cast(replace(${value}, 'T', ' ') AS timestamp)`)} END`
            : ms(`from_iso8601_timestamp(replace(${value}, ' ', 'T'))`);
        case 'excel':
          return local(`date_add('millisecond', CAST((try_cast(${c} AS double) - 25569) * 86400000 AS bigint), TIMESTAMP '1970-01-01 00:00:00')`);
        default: {
          const v = col.format === 'european' ? `replace(replace(${value}, '.', '/'), '-', '/')` : value;
          return local(`try(date_parse(${v}, ${q(PATTERNS[col.format]!)}))`);
        }
      }
    }
  }
}

export type AthenaPlan = {
  reason: string;
  createTable: string;
  unload: string;
  unsupported: string[];
  cost: { scannedBytes: number; usd: number; model: string };
  commands: string[];
  tested: string;
};

export function athenaPlan(p: Pick<Preparation, 'recipe' | 'source' | 'target'>, report: Pick<DryRunReport, 'estimate' | 'files' | 'compression'>): AthenaPlan {
  const r = p.recipe;
  const width = Math.max(
    1,
    ...r.columns.flatMap((c) => ('column' in c ? [c.column + 1] : []).concat(c.kind === 'time' && c.time_column !== undefined ? [c.time_column + 1] : [], c.kind === 'projected' ? [c.x_column + 1, c.y_column + 1] : [])),
    ...r.drop.map((d) => d.column + 1),
  );
  const table = `dfi_source_${ident(p.target.prefix || 'data').slice(0, 40)}`.replace(/_+$/, '');
  const location = p.source.where.startsWith('s3://') ? p.source.where : 's3://<bucket>/<prefix>/';
  const cols = Array.from({ length: width }, (_, i) => `  c${i} string`).join(',\n');
  const skip = r.input.skip_lines + (r.input.header ? 1 : 0) + r.input.skip_rows;
  const createTable = `CREATE EXTERNAL TABLE ${table} (\n${cols}\n)\nROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.OpenCSVSerde'\nWITH SERDEPROPERTIES ('separatorChar' = ${q(r.input.delimiter)}, 'quoteChar' = '"', 'escapeChar' = '\\\\')\nLOCATION ${q(location)}\nTBLPROPERTIES ('skip.header.line.count' = '${skip}'${r.input.encoding === 'latin-1' ? ", 'serialization.encoding' = 'ISO-8859-1'" : ''});`;
  const unsupported: string[] = [];
  const exprs = r.columns.map((c) => {
    const sql = columnSql(c, r.input.decimal_comma);
    if (sql === null) {
      unsupported.push(`${c.field}: ${c.kind === 'projected' ? `projected coordinates (${c.crs})` : c.kind === 'coordinate' ? `${c.form} coordinates` : c.kind === 'time' ? `${c.format} times without a time_zone` : c.kind}`);
      return `NULL /* ${c.field}: not supported in SQL */`;
    }
    return sql;
  });
  const required = new Set(['entity_id', 'timestamp', 'longitude', 'latitude']);
  const where = r.columns.flatMap((c, i) => (required.has(c.field) ? [`o${i} IS NOT NULL AND o${i} <> ''`] : []));
  for (const d of r.drop) {
    if (d.when === 'empty') where.push(`c${d.column} <> ''`);
    else where.push(`c${d.column} ${d.when === 'in' ? 'NOT IN' : 'IN'} (${d.values.map(q).join(', ') || "''"})`);
  }
  const out = `s3://${p.target.bucket}/${p.target.prefix.replace(/\/?$/, '-athena/')}`;
  const unload = `UNLOAD (\n  SELECT ${r.columns.map((_, i) => `coalesce(o${i}, '')`).join(', ')}\n  FROM (SELECT\n${exprs.map((e, i) => `    ${e} AS o${i}`).join(',\n')}\n  FROM ${table})\n  WHERE ${where.join('\n    AND ')}\n)\nTO ${q(out)}\nWITH (format = 'TEXTFILE', field_delimiter = ',', compression = 'NONE');`;
  const scanned = report.files.bytes;
  const usd = Math.max(scanned, 10e6) / 1e12 * ATHENA_USD_PER_TB;
  return {
    reason: `The source holds ${(scanned / 1e9).toFixed(1)} GB: ${report.estimate.seconds !== null ? `this server would take about ${Math.round(report.estimate.seconds / 60)} min (${report.estimate.basis})` : 'this server reads it at its measured throughput'}. Athena runs the same conversion in parallel inside AWS.`,
    createTable,
    unload,
    unsupported,
    cost: {
      scannedBytes: scanned,
      usd: Math.round(usd * 100) / 100,
      model: `Athena bills the bytes scanned: ${report.compression === 'gzip' ? 'the compressed size, ' : ''}$${ATHENA_USD_PER_TB} per TB, 10 MB minimum per query; UNLOAD writes with your S3 PUT prices. Each query scans the source once.`,
    },
    commands: [
      'aws athena start-query-execution --work-group primary --query-string file://create-table.sql --result-configuration OutputLocation=s3://<query-results-bucket>/',
      'aws athena start-query-execution --work-group primary --query-string file://unload.sql --result-configuration OutputLocation=s3://<query-results-bucket>/',
      'aws athena get-query-execution --query-execution-id <id>   # until State is SUCCEEDED',
    ],
    tested: 'The SQL is generated and unit-tested here as text; it has not been run on Athena. UNLOAD writes files without a .csv extension: import them with glob "**/*".',
  };
}
