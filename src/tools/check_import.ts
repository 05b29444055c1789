/**
 * check_import: after get_batch says `finished`, did the points land where and when they should?
 *
 * A tool of its own rather than a step of get_batch: get_batch is polled every few seconds and must
 * stay cheap and about the job; this reads a sample of the source and sends six queries, once, when
 * the person wants to know. It is read-only: queries and reads, nothing written.
 */
import { z } from 'zod';
import { UserFacingError } from '../errors.js';
import { isTerminal, type MetadataSchema, type WireCsvFormat } from '../dfi/schemas.js';
import type { Extent, QueryAnswer, QueryDocument, QueryFilters, QueryRecord } from '../dfi/query.js';
import { readSourceRows } from '../import/source-rows.js';
import { expectedPoints, placeVerdict, sideBySide, timeVerdict, type Expected, type Verdict } from '../import/check.js';
import { renderPicture, type Panel } from '../preview/render.js';
import { defineTool, nextStepsSchema } from './tool.js';

const SAMPLE_ENTITIES = 5;
/** Up to this many entities, every query names the import's own entities, so other imports in the same window do not count. */
const MAX_SCOPED_ENTITIES = 1_000;
const MAX_ENTITY_RECORDS = 5_000;
const MAX_EDGE_RECORDS = 10_000;

/** Query API failures that mean "not reachable with this token" rather than "this query failed". */
function unreachable(err: unknown, label: string): string | null {
  if (!(err instanceof UserFacingError)) return null;
  if (err.kind === 'network_error') return `${label} could not be reached (${err.message})`;
  if (err.status === 401 || err.status === 403) return `${label}'s Query API (POST /v1/query) is not reachable with this token: HTTP ${err.status} (${err.message})`;
  if (err.status !== undefined && [404, 405, 501].includes(err.status)) return `${label} does not offer the Query API (POST /v1/query answered HTTP ${err.status}: ${err.message})`;
  return null;
}

export const checkImport = defineTool({
  name: 'check_import',
  title: 'Check where and when an import landed',
  description:
    'After get_batch says finished: queries the dataset back and compares it with the source rows (counts, entities, bbox, times, places, records side by side). Flags lat/lon swapped, seconds read as ms, a wrong entity column. PNG unless preview false. Example: {"batch_id": "<job id>"}',
  input: z
    .object({
      batch_id: z.string().min(1).max(200),
      preview: z.boolean().default(true).describe('PNG of the points'),
    })
    .strict(),
  // Loose beyond the verdicts: source, landed, entities, sideBySide and picture are described in the README.
  output: z.looseObject({
    batch: z.looseObject({ id: z.string(), status: z.string() }),
    queryApi: z.object({ reachable: z.boolean(), note: z.string().optional() }),
    verdicts: z.array(z.object({ check: z.string(), ok: z.boolean().nullable(), says: z.string(), suggests: z.string().optional() })),
    summary: z.string(),
    nextSteps: nextStepsSchema,
  }),
  quotesUntrustedData: true,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  async handler(args, ctx) {
    const job = await ctx.client.getBatch(args.batch_id, { signal: ctx.signal });
    const datasetId = job.datasetId;
    if (!datasetId) throw new UserFacingError('api_error', `batch ${args.batch_id} does not name its dataset (no datasetId in the job).`, { hint: 'Check the batch id with get_batch.' });
    if (!isTerminal(job.status)) {
      throw new UserFacingError('not_terminal', `batch ${args.batch_id} is still ${job.status}: there is nothing final to check yet.`, {
        hint: `Call get_batch with batch_id "${args.batch_id}" and wait_seconds 50 until it ends, then check_import.`,
      });
    }
    if (['success'].includes(job.status.toLowerCase()) || (job as { dryRun?: unknown }).dryRun === true || typeof (job as { dryRun?: unknown }).dryRun === 'number') {
      throw new UserFacingError('dry_run', `batch ${args.batch_id} is a dry run: it imported nothing.`, { hint: 'Check the real import: put_batch with dry_run false returns its job.id.' });
    }
    const format = ((job.format as { csv?: WireCsvFormat } | undefined)?.csv ?? {}) as WireCsvFormat;
    const batch = { id: job.id ?? args.batch_id, status: job.status, datasetId, ...(job.insertCount !== undefined ? { insertCount: job.insertCount } : {}), ...(job.invalidCount !== undefined ? { invalidCount: job.invalidCount } : {}) };

    // The source sample, read and validated as the importer does.
    let schema: MetadataSchema = {};
    try {
      schema = (await ctx.client.getDataset(datasetId, { signal: ctx.signal })).dataDescription?.metadataSchema ?? {};
    } catch {
      // Without the schema, property columns are not checked; the core ones still are.
    }
    const rows = await readSourceRows(job.source, ctx.config, ctx.signal);
    const expected: Expected | null = rows.rows.length ? expectedPoints(rows.rows, format, schema) : null;
    const hasSample = !!expected && expected.points.length > 0;
    const source = {
      files: rows.files,
      rowsRead: rows.rows.length,
      rowsExpected: expected?.points.length ?? 0,
      wholeSource: rows.whole,
      ...(rows.unreadable ? { note: `The source could not be read (${rows.unreadable}); only what landed is checked.` } : !rows.whole && rows.rows.length ? { note: `A sample: the first ${rows.rows.length} rows of ${rows.files.length} file(s); expected counts are lower bounds.` } : {}),
    };

    // An aborted or failed batch stopped part way: what is missing was never imported, not rejected.
    const incomplete = !['finished', 'success'].includes(job.status.toLowerCase());

    const q = (filters: QueryFilters, ret: QueryDocument['return'], maxRecords?: number) =>
      ctx.client.query({ datasetId, filters, return: ret }, { signal: ctx.signal, ...(maxRecords ? { maxRecords } : {}) });
    const nextSteps: string[] = [];
    const verdicts: Verdict[] = [];

    // 1. Is the Query API there at all?
    let total: number;
    try {
      total = count(await q({}, { type: 'count' }));
    } catch (err) {
      const why = unreachable(err, ctx.client.label);
      if (!why) throw err;
      return {
        batch,
        queryApi: { reachable: false, note: why },
        source,
        entities: [],
        verdicts: [],
        summary: `Not checked: ${why}. The job says ${job.insertCount ?? '?'} rows inserted, ${job.invalidCount ?? '?'} invalid.`,
        nextSteps: [
          `Tell the person the import's points could not be looked at: ${why}. Until the Query API answers this token (ask the platform team for query access), the job's counts are all there is.`,
        ],
      };
    }

    // 2. The import's time window (from the source sample) and, when they are few enough to name, its
    // entities: other imports into the same dataset and window must not count as this one's points.
    const scopedIds = hasSample && expected!.perEntity.length <= MAX_SCOPED_ENTITIES ? expected!.perEntity.map(([id]) => id) : undefined;
    const window: QueryFilters = hasSample
      ? { time: { minTime: new Date(expected!.minTime).toISOString(), maxTime: new Date(expected!.maxTime + 1).toISOString() }, ...(scopedIds ? { id: scopedIds } : {}) }
      : {};
    let windowInfo: { minTime: string; maxTime: string; count: number; expected: number; entities?: number } | undefined;
    const entities: { id: string; expected: number; landed: number }[] = [];
    let perEntity: Record<string, number> = {};
    if (hasSample) {
      const inWindow = count(await q(window, { type: 'count' }));
      windowInfo = { minTime: window.time!.minTime!, maxTime: new Date(expected!.maxTime).toISOString(), count: inWindow, expected: expected!.points.length, ...(scopedIds ? { entities: scopedIds.length } : {}) };
      const grouped = await q(window, { type: 'count', groupBy: { type: 'uniqueId' } });
      perEntity = grouped.kind === 'countByEntity' ? grouped.counts : {};
      for (const [id, n] of expected!.perEntity.slice(0, SAMPLE_ENTITIES)) entities.push({ id, expected: n, landed: perEntity[id] ?? 0 });
      verdicts.push(countVerdict(inWindow, expected!.points.length, rows.whole, job.insertCount, !!scopedIds));
      verdicts.push(entitiesVerdict(entities, rows.whole));
    } else {
      verdicts.push({
        check: 'count',
        ok: job.insertCount === undefined ? null : total >= job.insertCount,
        says: `The dataset holds ${total} point(s); the job says it inserted ${job.insertCount ?? '?'}. Without source rows, the import's own points cannot be told apart from others.`,
        ...(job.insertCount !== undefined && total < job.insertCount ? { suggests: 'rows_missing' as const } : {}),
      });
    }

    // A stopped batch: what its job counted is not necessarily what is stored (the sandbox stores nothing
    // of an aborted import); the landed count of its own entities in its window says which.
    const landedOfIt = windowInfo?.count;
    if (incomplete) {
      verdicts.unshift({
        check: 'status',
        ok: false,
        suggests: 'batch_incomplete',
        says: `The batch ended ${job.status}, not finished (the job counted ${job.insertCount ?? '?'} row(s) inserted); ${
          landedOfIt === undefined ? 'how many of its points are stored could not be told' : `${landedOfIt} of its points are in the dataset`
        }. The rest of the source was never imported (not rejected).`,
      });
    }

    // 3. One entity's rows side by side with its landed records.
    let side: { entity: string; rows: ReturnType<typeof sideBySide> } | undefined;
    let track: QueryRecord[] = [];
    if (hasSample) {
      const entity = expected!.perEntity[0]![0];
      const recs = await q({ ...window, id: [entity] }, { type: 'records' }, MAX_ENTITY_RECORDS);
      track = recs.kind === 'records' ? recs.records : [];
      const rowsOfEntity = expected!.points.filter((p) => p.entity === entity);
      side = { entity, rows: sideBySide(rowsOfEntity, track) };
      verdicts.push(recordsVerdict(entity, side.rows));
    }

    // 4. Where and when: the first and the last point of every entity in the window, and the track above.
    const oldest = await q({ ...window, only: 'oldest' }, { type: 'records' }, MAX_EDGE_RECORDS);
    const newest = await q({ ...window, only: 'newest' }, { type: 'records' }, MAX_EDGE_RECORDS);
    const answers = [oldest, newest].filter((a): a is Extract<QueryAnswer, { kind: 'records' }> => a.kind === 'records');
    const pts: [number, number][] = [...answers.flatMap((a) => a.records), ...track].map((r) => r.coordinate);
    const extent = mergeExtents([...answers.map((a) => a.extent), extentOf(track)]);
    const place = placeVerdict(pts, format);
    verdicts.push(place.verdict);
    verdicts.push(timeVerdict(extent?.minTime ?? NaN, extent?.maxTime ?? NaN, side?.rows ?? []));
    verdicts.push(entityColumnVerdict(perEntity, expected));

    // 5. The picture.
    let picture: { width: number; height: number; bytes: number; panels: string[] } | undefined;
    if (args.preview && pts.length) {
      const panels: Panel[] = [{ label: `As landed: ${place.asLanded.places[0]?.name ?? ''}`, points: pts }];
      if (place.verdict.suggests === 'lat_lon_swapped' && place.swapped) {
        panels.push({ label: `Swapped: ${place.swapped.places[0]?.name ?? ''}`, points: pts.map(([lon, lat]) => [lat, lon] as [number, number]) });
      }
      const pic = renderPicture(panels);
      ctx.attachImage?.(pic.png);
      picture = { width: pic.width, height: pic.height, bytes: pic.png.length, panels: panels.map((p) => p.label) };
    }

    const failed = verdicts.filter((v) => v.ok === false);
    const summary = failed.length
      ? `${failed.length} check(s) failed: ${failed.map((v) => v.says).join(' ')}`
      : `The import checks out: ${verdicts.filter((v) => v.ok).map((v) => v.says).join(' ')}`;
    if (failed.some((v) => v.suggests === 'lat_lon_swapped')) nextSteps.push(`Show the person the picture: the points are in the wrong place. Run put_batch again with longitude ${format.latitude} and latitude ${format.longitude} (dry run first); the wrongly placed points stay in the dataset until it is truncated.`);
    if (failed.some((v) => v.suggests === 'time_unit_seconds')) nextSteps.push('Convert the time column to epoch milliseconds (multiply by 1000) and import again.');
    if (failed.some((v) => v.suggests === 'wrong_entity_column')) nextSteps.push('Run infer_csv_format on the files and pick the column that identifies the moving thing (vehicle, device, person) as entity_id; then import again.');
    if (failed.some((v) => v.suggests === 'time_unit_off_by_1000')) nextSteps.push('The landed times are 1000 times off the source\'s: check that the time column holds epoch milliseconds (prepare_files converts seconds, microseconds or date-times), then import again.');
    if (incomplete) {
      nextSteps.push(
        landedOfIt === 0
          ? `Tell the person the batch was ${job.status} and none of its points are in the dataset: importing the files again (put_batch with reimport true, dry run first) duplicates nothing.`
          : `Tell the person the batch was ${job.status}: ${landedOfIt ?? 'some'} of its points are in the dataset and the other rows were never imported. Importing the files again (put_batch with reimport true) adds every row anew, so the points already stored would be there twice; ask before doing it.`,
      );
    } else if (failed.some((v) => v.suggests === 'rows_missing')) nextSteps.push('Read the job\'s log with get_batch: rejected rows are listed there.');
    if (failed.some((v) => v.suggests === 'extra_points')) nextSteps.push('The dataset holds more points than this import inserted: the same files may have been imported before, or other imports share the time window. Tell the person before importing again.');
    // Every failed check leads somewhere: one without its own advice still gets shown to the person.
    if (failed.length && !nextSteps.length) nextSteps.push(`Show the person the failed checks (${failed.map((v) => v.check).join(', ')}) and what they say, and ask how to go on.`);
    if (!failed.length) nextSteps.push('Tell the person the import is in place; nothing else to do.');
    return {
      batch,
      queryApi: { reachable: true },
      source,
      landed: {
        totalInDataset: total,
        ...(windowInfo ? { window: windowInfo } : {}),
        ...(extent ? { bbox: [extent.west, extent.south, extent.east, extent.north], timeRange: [new Date(extent.minTime).toISOString(), new Date(extent.maxTime).toISOString()] } : {}),
        places: place.asLanded.places,
        onLand: place.asLanded.onLand,
      },
      entities,
      ...(side ? { sideBySide: side } : {}),
      verdicts,
      summary,
      ...(picture ? { picture } : {}),
      nextSteps,
    };
  },
});

function extentOf(records: QueryRecord[]): Extent | null {
  let e: Extent | null = null;
  for (const r of records) {
    const t = Date.parse(r.time);
    const [lon, lat] = r.coordinate;
    e = mergeExtents([e, { west: lon, east: lon, south: lat, north: lat, minTime: t, maxTime: t }]);
  }
  return e;
}

function mergeExtents(list: (Extent | null)[]): Extent | null {
  let out: Extent | null = null;
  for (const e of list) {
    if (!e) continue;
    out = out
      ? {
          west: Math.min(out.west, e.west),
          east: Math.max(out.east, e.east),
          south: Math.min(out.south, e.south),
          north: Math.max(out.north, e.north),
          minTime: Math.min(out.minTime, e.minTime),
          maxTime: Math.max(out.maxTime, e.maxTime),
        }
      : { ...e };
  }
  return out;
}

function count(a: QueryAnswer): number {
  return a.kind === 'count' ? a.count : a.kind === 'countByEntity' ? Object.values(a.counts).reduce((x, y) => x + y, 0) : a.totalRecords;
}

function countVerdict(inWindow: number, expected: number, whole: boolean, inserted: number | undefined, scoped: boolean): Verdict {
  const job = inserted !== undefined ? ` (the job says ${inserted} inserted)` : '';
  const where = scoped ? "the import's entities have in its time window" : "in the import's time window";
  if (whole && inWindow === expected) return { check: 'count', ok: true, says: `${inWindow} point(s) ${where}, as many as the source's valid rows${job}.` };
  if (inWindow < expected) {
    return { check: 'count', ok: false, suggests: 'rows_missing', says: `Only ${inWindow} point(s) ${where} where the source has ${expected} valid row(s)${job}: ${expected - inWindow} missing.` };
  }
  if (whole) {
    return {
      check: 'count',
      ok: false,
      suggests: 'extra_points',
      says: scoped
        ? `${inWindow} point(s) ${where} but the source has ${expected} valid row(s)${job}: these entities have other points in that window too (the same rows imported twice, or another import of the same entities).`
        : `${inWindow} point(s) ${where} but the source has ${expected} valid row(s)${job}: the dataset holds other points in that window too (other imports, or the same files imported twice).`,
    };
  }
  return { check: 'count', ok: true, says: `${inWindow} point(s) ${where}, at least the ${expected} valid row(s) of the sample${job}.` };
}

function entitiesVerdict(entities: { id: string; expected: number; landed: number }[], whole: boolean): Verdict {
  const short = entities.filter((e) => e.landed < e.expected);
  const extra = entities.filter((e) => e.landed > e.expected);
  if (short.length) {
    return { check: 'entities', ok: false, suggests: 'rows_missing', says: `${short.length} of ${entities.length} sample entities have fewer points than rows: ${short.map((e) => `${e.id} ${e.landed}/${e.expected}`).join(', ')}.` };
  }
  if (whole && extra.length) {
    return { check: 'entities', ok: false, suggests: 'extra_points', says: `${extra.length} of ${entities.length} sample entities have more points than rows: ${extra.map((e) => `${e.id} ${e.landed}/${e.expected}`).join(', ')}.` };
  }
  return { check: 'entities', ok: true, says: `The ${entities.length} sample entities have ${whole ? 'exactly' : 'at least'} as many points as rows.` };
}

function recordsVerdict(entity: string, rows: ReturnType<typeof sideBySide>): Verdict {
  const equal = rows.filter((r) => r.match === 'equal').length;
  if (equal === rows.length) return { check: 'records', ok: true, says: `${equal} of ${entity}'s rows landed with the same time and coordinates.` };
  const kinds = [...new Set(rows.filter((r) => r.match !== 'equal').map((r) => r.match))];
  return {
    check: 'records',
    ok: false,
    suggests: kinds.includes('time_off_by_1000') ? 'time_unit_off_by_1000' : kinds.includes('swapped') ? 'lat_lon_swapped' : kinds.includes('missing') ? 'rows_missing' : 'coordinates_differ',
    says: `${equal} of ${rows.length} of ${entity}'s rows landed as they are in the file; the others: ${kinds.join(', ')}.`,
  };
}

function entityColumnVerdict(perEntity: Record<string, number>, expected: Expected | null): Verdict {
  const counts = Object.values(perEntity);
  const rows = expected?.points.length ?? 0;
  const distinct = expected?.perEntity.length ?? 0;
  if (counts.length >= 20 && counts.every((c) => c === 1)) {
    return { check: 'entity_column', ok: false, suggests: 'wrong_entity_column', says: `Each of the ${counts.length} entities in the window has exactly one point: the entity column holds a value per row (a row id or a time?), not the moving thing's id.` };
  }
  if (rows >= 20 && distinct === rows) {
    return { check: 'entity_column', ok: false, suggests: 'wrong_entity_column', says: `Every one of the ${rows} source rows has its own entity id: the entity column holds a value per row, not the moving thing's id.` };
  }
  if (!counts.length) return { check: 'entity_column', ok: null, says: 'No entities to count.' };
  const sorted = [...counts].sort((a, b) => a - b);
  return { check: 'entity_column', ok: true, says: `${counts.length} entities in the window, ${sorted[Math.floor(sorted.length / 2)]} point(s) each (median), up to ${sorted.at(-1)}.` };
}

