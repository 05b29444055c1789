/**
 * Issue 17's "done when", over stdio against the sandbox: the guide's files imported, check_import
 * confirms counts, places and times; the same files imported with latitude and longitude swapped are
 * flagged (and the picture has the swapped reading beside it). add_enum_values writes the schema only
 * once confirmed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { startMcp, structured, text, type McpSession } from '../helpers/mcp.js';
import { EXAMPLES_DATASETS, EXAMPLES_S3, GUIDE_FORMAT, ROLE_ARN } from '../helpers/paths.js';

let mcp: McpSession;
let dir: string;
beforeAll(async () => {
  // Two datasets with the guide's schema: one for the right column map, one for the swapped one.
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dfi-check-'));
  const guide = JSON.parse(fs.readFileSync(EXAMPLES_DATASETS, 'utf8')).datasets[0];
  const datasets = { datasets: [{ ...guide, id: 'gs.trips' }, { ...guide, id: 'gs.trips-swapped' }] };
  fs.writeFileSync(path.join(dir, 'datasets.json'), JSON.stringify(datasets));
  mcp = await startMcp(['--sandbox', '--sandbox-datasets', path.join(dir, 'datasets.json')]);
});
afterAll(async () => {
  await mcp?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const SOURCE = { s3: { bucket: 'my_bucket', prefix: 'my_path/', glob: '*.csv', role_arn: ROLE_ARN } };

async function importFiles(datasetId: string, format: Record<string, number>): Promise<string> {
  // The same files are imported more than once on purpose; the import ledger would refuse a repeat.
  const dry = structured(await mcp.call('put_batch', { dataset_id: datasetId, source: SOURCE, file_format: format, reimport: true }));
  const real = structured(await mcp.call('put_batch', { dataset_id: datasetId, source: SOURCE, file_format: format, reimport: true, dry_run: false, confirmation: dry.confirmation.token }));
  let job = real.job;
  while (!['finished', 'error', 'aborted'].includes(job.status)) job = structured(await mcp.call('get_batch', { batch_id: job.id, wait_seconds: 30 })).job;
  expect(job.status).toBe('finished');
  return job.id;
}

function png(r: CallToolResult): Buffer | null {
  const img = r.content.find((c) => c.type === 'image');
  if (!img || img.type !== 'image') return null;
  expect(img.mimeType).toBe('image/png');
  return Buffer.from(img.data, 'base64');
}

describe('check_import against the sandbox', () => {
  it('confirms counts, places and times of the guide files imported the right way round', async () => {
    const id = await importFiles('gs.trips', GUIDE_FORMAT);
    const r = await mcp.call('check_import', { batch_id: id });
    const c = structured(r);
    expect(c.queryApi.reachable).toBe(true);
    expect(c.source.wholeSource).toBe(true);
    expect(c.landed.window.count).toBe(c.source.rowsExpected);
    expect(c.landed.window.count).toBe(c.batch.insertCount);
    const byCheck = Object.fromEntries(c.verdicts.map((v: { check: string }) => [v.check, v]));
    for (const check of ['count', 'entities', 'records', 'place', 'time', 'entity_column']) expect(byCheck[check].ok, `${check}: ${byCheck[check].says}`).toBe(true);
    expect(byCheck.place.says).toContain('London, United Kingdom');
    expect(c.sideBySide.rows.every((row: { match: string }) => row.match === 'equal')).toBe(true);
    expect(c.landed.timeRange[0]).toMatch(/^2022-01-01T/);
    const [west, south, east, north] = c.landed.bbox;
    expect(west).toBeGreaterThan(-1);
    expect(east).toBeLessThan(1);
    expect(south).toBeGreaterThan(51);
    expect(north).toBeLessThan(52);
    const image = png(r)!;
    expect(image.length).toBeLessThan(60_000);
    expect(c.picture.panels).toHaveLength(1);
    expect(text(r)).toContain('checks out');
  });

  it('flags the same files imported with latitude and longitude swapped, and draws both readings', async () => {
    const id = await importFiles('gs.trips-swapped', { ...GUIDE_FORMAT, longitude: GUIDE_FORMAT.latitude, latitude: GUIDE_FORMAT.longitude });
    const r = await mcp.call('check_import', { batch_id: id });
    const c = structured(r);
    const place = c.verdicts.find((v: { check: string }) => v.check === 'place');
    expect(place).toMatchObject({ ok: false, suggests: 'lat_lon_swapped' });
    expect(place.says).toMatch(/Indian Ocean/);
    expect(place.says).toMatch(/London, United Kingdom/);
    expect(c.landed.places[0].name).toMatch(/Indian Ocean/);
    expect(c.picture.panels).toHaveLength(2);
    expect(png(r)!.length).toBeLessThan(60_000);
    expect(c.nextSteps.join(' ')).toMatch(/longitude 2 and latitude 3/);
  });

  it('leaves the picture out with preview false, and refuses a batch that has not ended or does not exist', async () => {
    const id = await importFiles('gs.trips', GUIDE_FORMAT);
    const r = await mcp.call('check_import', { batch_id: id, preview: false });
    expect(png(r)).toBeNull();
    expect(structured(r).picture).toBeUndefined();
    const missing = await mcp.call('check_import', { batch_id: 'no-such-batch' });
    expect(missing.isError).toBe(true);
  });
});

describe('add_enum_values', () => {
  it('shows the change without confirm, writes it with confirm, and skips values already there', async () => {
    const preview = structured(await mcp.call('add_enum_values', { dataset_id: 'gs.trips', property: 'transportation_mode', values: ['scooter', 'walking'] }));
    expect(preview).toMatchObject({ written: false, added: ['scooter'], alreadyThere: ['walking'] });
    expect((await mcp.call('get_dataset', { dataset_id: 'gs.trips' })).content.map((x) => (x.type === 'text' ? x.text : '')).join('')).not.toContain('scooter');
    const written = structured(await mcp.call('add_enum_values', { dataset_id: 'gs.trips', property: 'transportation_mode', values: ['scooter'], confirm: true }));
    expect(written.written).toBe(true);
    expect(written.values).toContain('scooter');
    expect(text(await mcp.call('get_dataset', { dataset_id: 'gs.trips' }))).toContain('scooter');
    const again = structured(await mcp.call('add_enum_values', { dataset_id: 'gs.trips', property: 'transportation_mode', values: ['scooter'], confirm: true }));
    expect(again).toMatchObject({ written: false, added: [] });
    const notEnum = await mcp.call('add_enum_values', { dataset_id: 'gs.trips', property: 'route_id', values: ['x'], confirm: true });
    expect(notEnum.isError).toBe(true);
    expect(text(notEnum)).toMatch(/not an enum/);
  });
});

describe('check_import when other imports share the dataset and the time window', () => {
  let root: string;
  let own: McpSession;
  beforeAll(async () => {
    // The guide's bucket, plus another bucket of three Paris vehicles in the same minutes of 2022-01-01.
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'dfi-check-mixed-'));
    fs.cpSync(path.join(EXAMPLES_S3, 'my_bucket'), path.join(root, 'my_bucket'), { recursive: true });
    fs.mkdirSync(path.join(root, 'paris', 'in'), { recursive: true });
    const lines: string[] = [];
    for (let i = 0; i < 60; i++) lines.push(`paris-${i % 3},${1640995700000 + i * 10_000},${(2.30 + i * 0.001).toFixed(5)},${(48.85 + (i % 3) * 0.01).toFixed(5)},,,,1,,driving`);
    fs.writeFileSync(path.join(root, 'paris', 'in', 'p.csv'), lines.join('\n') + '\n');
    const guide = JSON.parse(fs.readFileSync(EXAMPLES_DATASETS, 'utf8')).datasets[0];
    fs.writeFileSync(path.join(root, 'datasets.json'), JSON.stringify({ datasets: [{ ...guide, id: 'gs.mixed' }] }));
    own = await startMcp(['--sandbox', '--sandbox-s3-root', root, '--sandbox-datasets', path.join(root, 'datasets.json')]);
  });
  afterAll(async () => {
    await own?.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  async function importInto(source: object): Promise<string> {
    const dry = structured(await own.call('put_batch', { dataset_id: 'gs.mixed', source, file_format: GUIDE_FORMAT }));
    let job = structured(await own.call('put_batch', { dataset_id: 'gs.mixed', source, file_format: GUIDE_FORMAT, dry_run: false, confirmation: dry.confirmation.token })).job;
    while (!['finished', 'error', 'aborted'].includes(job.status)) job = structured(await own.call('get_batch', { batch_id: job.id, wait_seconds: 30 })).job;
    expect(job.status).toBe('finished');
    return job.id;
  }

  it("counts and places only the import's own entities", async () => {
    const paris = await importInto({ s3: { bucket: 'paris', prefix: 'in/', glob: '*.csv', role_arn: ROLE_ARN } });
    const guide = await importInto(SOURCE);
    const c = structured(await own.call('check_import', { batch_id: guide, preview: false }));
    const byCheck = Object.fromEntries(c.verdicts.map((v: { check: string }) => [v.check, v]));
    for (const check of ['count', 'entities', 'place']) expect(byCheck[check].ok, `${check}: ${byCheck[check].says}`).toBe(true);
    expect(c.landed.window.count).toBe(c.batch.insertCount);
    expect(c.landed.totalInDataset).toBe(c.batch.insertCount + 60);
    expect(byCheck.place.says).toContain('London');
    expect(byCheck.place.says).not.toContain('Paris');
    // And the other way round: the Paris batch sees its 60 points only.
    const p = structured(await own.call('check_import', { batch_id: paris, preview: false }));
    expect(p.landed.window.count).toBe(60);
    expect(p.verdicts.find((v: { check: string }) => v.check === 'place').says).toContain('Paris');
  });
});
