import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshStateDir } from '../helpers/env.js';
import { startMcp, structured, text, type McpSession } from '../helpers/mcp.js';
import { ROLE_ARN } from '../helpers/paths.js';
import { s3Env, startS3 } from '../helpers/s3.js';

// gs.dataset-1 (examples/datasets.json): transportation_mode is an enum of dwelling, driving, cycling, walking.
const FORMAT = { entity_id: 0, timestamp: 1, longitude: 2, latitude: 3, transportation_mode: 4 };
const rows = (n: number, rows: number, mode = (_i: number) => 'walking') =>
  Array.from({ length: rows }, (_, i) => `v${n},${1700000000000 + i * 1000},${(2.35 + i * 1e-5).toFixed(6)},${(48.85 + i * 1e-5).toFixed(6)},${mode(i)}`).join('\n') + '\n';

let s3: Awaited<ReturnType<typeof startS3>>;
const sessions: McpSession[] = [];
const start = async (stateDir: string) => {
  const m = await startMcp(['--sandbox', '--allow-private-urls'], { ...s3Env(s3.endpoint), DFI_STATE_DIR: stateDir });
  sessions.push(m);
  return m;
};

beforeAll(async () => {
  s3 = await startS3();
  await s3.bucket('ledger');
  for (let n = 1; n <= 3; n++) await s3.put('ledger', `role/part-${n}.csv`, rows(n, 20));
  for (let n = 1; n <= 2; n++) await s3.put('ledger', `presigned/file-${n}.csv`, rows(n, 10));
  // Six files with a header line each, and one bad enum value ("x", rows 5 and 6 of file 3).
  for (let n = 1; n <= 6; n++) await s3.put('ledger', `headers/f${n}.csv`, `id,recorded_at,lon,lat,mode\n${rows(n, 30, (i) => (n === 3 && (i === 4 || i === 5) ? 'x' : 'walking'))}`);
  // A bike-share export: times as "1/1/2016 00:00:41", never epoch milliseconds.
  await s3.put('ledger', 'bikes/2016-01.csv', Array.from({ length: 50 }, (_, i) => `b${i % 5},1/1/2016 00:00:${String(i).padStart(2, '0')},-73.99,40.73,cycling`).join('\n') + '\n');
  await s3.put('ledger', 'gz/a.csv.gz', rows(1, 50), true);
  await s3.put('ledger', 'gz/b.csv.gz', rows(2, 50), true);
  await s3.put('ledger', 'gz/_SUCCESS', '');
}, 180_000);
afterAll(async () => {
  for (const m of sessions) await m.close().catch(() => undefined);
  await s3?.close();
});

describe('the import ledger', () => {
  it('refuses the same files a second time, also after the server was killed (SIGKILL) right after the import', async () => {
    const stateDir = freshStateDir();
    const source = { s3: { bucket: 'ledger', prefix: 'role/', glob: '*.csv', role_arn: ROLE_ARN } };
    const first = await start(stateDir);
    const dry = structured(await first.call('put_batch', { dataset_id: 'gs.dataset-1', source, file_format: FORMAT }));
    expect(dry.verdict).toMatchObject({ code: 'rows_would_be_inserted', checked: { rows: 60, valid: 60, invalid: 0, files: 3 } });
    const run = structured(await first.call('put_batch', { dataset_id: 'gs.dataset-1', source, file_format: FORMAT, dry_run: false, confirmation: dry.confirmation.token }));
    const batchId = run.job.id as string;
    // The import was sent and recorded: now the process dies as a crash would.
    const exited = new Promise<void>((r) => (first.client.onclose = () => r()));
    process.kill(first.pid!, 'SIGKILL');
    await exited;
    const ledger = fs.readFileSync(`${stateDir}/ledger/imports.jsonl`, 'utf8');
    expect(ledger).toContain(batchId);
    expect(ledger).not.toMatch(/X-Amz-Signature|Bearer/);

    const second = await start(stateDir);
    // The sandbox kept the job: get_batch still answers, and the import goes on to its end.
    const done = structured(await second.call('get_batch', { batch_id: batchId, wait_seconds: 30 }));
    expect(done.job.status).toBe('finished');
    expect(done.job.insertCount).toBe(60);
    const listed = structured(await second.call('list_imports', { dataset_id: 'gs.dataset-1' }));
    expect(listed.imports[0]).toMatchObject({ batchId, status: 'finished', outcome: 'sent', route: 's3', files: 3, insertCount: 60 });

    const dry2 = structured(await second.call('put_batch', { dataset_id: 'gs.dataset-1', source, file_format: FORMAT }));
    expect(dry2.alreadyImported).toEqual([expect.objectContaining({ batchId, status: 'finished', files: 3 })]);
    expect(dry2.preflight.warnings.join('\n')).toMatch(/already imported .* will be refused/);
    expect(dry2.preflight.warningCodes).toContain('already_imported');
    const again = await second.call('put_batch', { dataset_id: 'gs.dataset-1', source, file_format: FORMAT, dry_run: false, confirmation: dry2.confirmation.token });
    expect(again.isError).toBe(true);
    expect(text(again)).toContain(`batch ${batchId} (finished`);
    expect(text(again)).toMatch(/reimport true/);
    // reimport: true says "I mean it"; the refusal sent nothing, so the dry run's token is still good.
    expect(dry2.nextSteps.join('\n')).toMatch(/dry_run: false, reimport: true/);
    const forced = structured(await second.call('put_batch', { dataset_id: 'gs.dataset-1', source, file_format: FORMAT, dry_run: false, confirmation: dry2.confirmation.token, reimport: true }));
    expect(forced.job.id).not.toBe(batchId);
    const only = await second.call('put_batch', { dataset_id: 'gs.dataset-1', source, file_format: FORMAT, only_new: true });
    expect(text(only)).toMatch(/only_new cannot pick files on the IAM-role route.*s3_presigned/s);
  }, 240_000);

  it('only_new after adding one file imports exactly that file', async () => {
    const stateDir = freshStateDir();
    const mcp = await start(stateDir);
    const source = { s3_presigned: { bucket: 'ledger', prefix: 'presigned/', glob: '*.csv' } };
    const dry = structured(await mcp.call('put_batch', { dataset_id: 'gs.dataset-1', source, file_format: FORMAT }));
    const run = structured(await mcp.call('put_batch', { dataset_id: 'gs.dataset-1', source, file_format: FORMAT, dry_run: false, confirmation: dry.confirmation.token }));
    expect(structured(await mcp.call('get_batch', { batch_id: run.job.id, wait_seconds: 30 })).job).toMatchObject({ status: 'finished', insertCount: 20 });

    await s3.put('ledger', 'presigned/file-3.csv', rows(3, 7));
    const dryAll = structured(await mcp.call('put_batch', { dataset_id: 'gs.dataset-1', source, file_format: FORMAT }));
    expect(dryAll.alreadyImported).toEqual([expect.objectContaining({ batchId: run.job.id, status: 'finished', files: 2 })]);
    expect(dryAll.preflight.warnings.join('\n')).toMatch(/only_new true \(only the new files\)/);
    const dryNew = structured(await mcp.call('put_batch', { dataset_id: 'gs.dataset-1', source, file_format: FORMAT, only_new: true }));
    expect(dryNew.presigned).toMatchObject({ files: 1, firstKeys: ['presigned/file-3.csv'] });
    expect(dryNew.skipped).toEqual({ files: 2, firstKeys: ['presigned/file-1.csv', 'presigned/file-2.csv'] });
    expect(dryNew.alreadyImported).toBeUndefined();
    const runNew = structured(await mcp.call('put_batch', { dataset_id: 'gs.dataset-1', source, file_format: FORMAT, only_new: true, dry_run: false, confirmation: dryNew.confirmation.token }));
    const done = structured(await mcp.call('get_batch', { batch_id: runNew.job.id, wait_seconds: 30 }));
    expect(done.job).toMatchObject({ status: 'finished', insertCount: 7, invalidCount: 0 });
    const listed = structured(await mcp.call('list_imports', {}));
    expect(listed.imports.map((i: { files: number }) => i.files)).toEqual([1, 2]);
    expect(listed.imports[0].firstKeys).toEqual(['presigned/file-3.csv']);
    // Nothing new left.
    const none = await mcp.call('put_batch', { dataset_id: 'gs.dataset-1', source, file_format: FORMAT, only_new: true });
    expect(text(none)).toMatch(/already imported .* nothing was sent/);
  }, 240_000);
});

describe("the dry run's verdict", () => {
  let mcp: McpSession;
  beforeAll(async () => {
    mcp = await start(freshStateDir());
  });

  it('gives no confirmation when no checked row would be inserted, and says why', async () => {
    const r = structured(await mcp.call('put_batch', { dataset_id: 'gs.dataset-1', source: { s3: { bucket: 'ledger', prefix: 'bikes/', glob: '*.csv', role_arn: ROLE_ARN } }, file_format: FORMAT }));
    expect(r.confirmation).toBeUndefined();
    expect(r.verdict).toMatchObject({ code: 'no_row_would_be_inserted', checked: { rows: 50, valid: 0, invalid: 50, files: 1 } });
    expect(r.verdict.checked.label).toBe('0 would be inserted and 50 rejected, of 50 rows checked in 1 file');
    expect(r.rejections.causes[0]).toMatchObject({ code: 'not_epoch_ms', field: 'timestamp', column: 1, count: 50 });
    expect(r.nextSteps.join('\n')).toMatch(/nothing to confirm: 50 row\(s\): timestamp \(column 1\) the time is not epoch milliseconds/);
  });

  it('summarises rejections by cause: header lines named as such, the enum value, counts of checked rows, an estimate', async () => {
    const r = structured(await mcp.call('put_batch', { dataset_id: 'gs.dataset-1', source: { s3: { bucket: 'ledger', prefix: 'headers/', glob: '*.csv', role_arn: ROLE_ARN } }, file_format: FORMAT }));
    expect(r.verdict.checked).toMatchObject({ rows: 186, valid: 178, invalid: 8, files: 6 });
    expect(r.verdict.checked.label).toBe('178 would be inserted and 8 rejected, of 186 rows checked in 6 files');
    expect(r.rejections.exact).toBe(true);
    expect(r.rejections.causes).toEqual([
      expect.objectContaining({ code: 'header_line', count: 6 }),
      expect.objectContaining({ code: 'not_in_enum', field: 'transportation_mode', column: 4, count: 2, values: [{ value: 'x', count: 2 }] }),
    ]);
    expect(r.rejections.causes[1].examples[0]).toMatchObject({ file: 's3://ledger/headers/f3.csv', line: 6 });
    // 8 of 186 (4.3%) is under 5%: a confirmation without a warning.
    expect(r.confirmation.token).toMatch(/^dryrun-/);
    expect(r.verdict.warning).toBeUndefined();
    expect(r.verdict.estimate.rows).toBeGreaterThan(150);
    expect(r.verdict.estimate.rows).toBeLessThan(220);
    expect(r.verdict.estimate.label).toMatch(/^about \d+ rows in the whole import/);
  });

  it('warns when over 5% of the checked rows would be rejected, naming the top causes', async () => {
    await s3.put('ledger', 'mixed/a.csv', rows(1, 20, (i) => (i < 4 ? 'teleporting' : 'walking')));
    const r = structured(await mcp.call('put_batch', { dataset_id: 'gs.dataset-1', source: { s3: { bucket: 'ledger', prefix: 'mixed/', glob: '*.csv', role_arn: ROLE_ARN } }, file_format: FORMAT }));
    expect(r.confirmation.token).toMatch(/^dryrun-/);
    expect(r.verdict.warning).toMatch(/^20% of the checked rows would be rejected: 4 row\(s\) with transportation_mode \(column 4\) not one of the enum's values \("teleporting" ×4\)/);
    expect(r.nextSteps.join('\n')).toMatch(/Warn the person/);
  });
});

describe('compression and empty files', () => {
  let mcp: McpSession;
  beforeAll(async () => {
    mcp = await start(freshStateDir());
  });

  it('check_s3_source, infer_csv_format and the dry run flag gzip keys; a glob matching nothing proposes one', async () => {
    const check = structured(await mcp.call('check_s3_source', { bucket: 'ledger', prefix: 'gz/', glob: '*.csv.gz', sample_files: 1 }));
    expect(check.warnings.join('\n')).toMatch(/All 2 matching files are gzip-compressed .* reads files as they are/);
    const infer = structured(await mcp.call('infer_csv_format', { s3_uri: 's3://ledger/gz/a.csv.gz' }));
    expect(infer.dialect.compression).toBe('gzip');
    expect(infer.warnings.join('\n')).toMatch(/gzip-compressed/);
    // One way on: plain CSV copies (prepare_files), never "decompress before put_batch" beside prepare_files' steps.
    expect(infer.nextSteps[0]).toMatch(/compressed .* prepare_files/);
    expect(infer.nextSteps.join(' ')).not.toMatch(/before put_batch/);
    expect(check.warnings.join('\n')).toMatch(/prepare_files reads compressed files/);
    const dry = structured(await mcp.call('put_batch', { dataset_id: 'gs.dataset-1', source: { s3: { bucket: 'ledger', prefix: 'gz/', glob: '*.csv.gz', role_arn: ROLE_ARN } }, file_format: FORMAT }));
    expect(dry.preflight.warnings.join('\n')).toMatch(/gzip-compressed/);
    expect(dry.preflight.warningCodes).toContain('compressed_files');
    expect(dry.confirmation).toBeUndefined();

    const none = structured(await mcp.call('check_s3_source', { bucket: 'ledger', prefix: 'gz/', glob: '*.csv', sample_files: 0 }));
    expect(none.warnings.join('\n')).toMatch(/Nothing under s3:\/\/ledger\/gz\/ matches "\*\.csv" \(3 key\(s\) there, e\.g\. gz\/_SUCCESS, gz\/a\.csv\.gz, gz\/b\.csv\.gz\)\. The glob "\*\.csv\.gz" would match them/);
    const dryNone = structured(await mcp.call('put_batch', { dataset_id: 'gs.dataset-1', source: { s3: { bucket: 'ledger', prefix: 'gz/', glob: '*.csv', role_arn: ROLE_ARN } }, file_format: FORMAT }));
    expect(dryNone.preflight.warnings.join('\n')).toMatch(/The glob "\*\.csv\.gz" would match them/);
    expect(dryNone.preflight.warningCodes).toContain('nothing_matches');
  });

  it('every put_batch warning carries its stable code, in the order of the warnings', async () => {
    const source = { s3: { bucket: 's3://ledger', prefix: '/gz', glob: 'gz/*.gz', role_arn: ROLE_ARN } };
    const dry = structured(await mcp.call('put_batch', { dataset_id: 'gs.dataset-1', source, file_format: FORMAT, confirmation: 'x' }));
    const { warnings, warningCodes } = dry.preflight;
    expect(warningCodes).toHaveLength(warnings.length);
    expect(warningCodes).toEqual(expect.arrayContaining(['bucket_name_read', 'prefix_slash_removed', 'prefix_without_slash', 'glob_not_csv', 'nothing_matches', 'confirmation_ignored']));
    const at = (code: string) => warnings[warningCodes.indexOf(code)];
    expect(at('bucket_name_read')).toMatch(/"s3:\/\/ledger" was read as the bucket name "ledger"/);
    expect(at('prefix_slash_removed')).toMatch(/leading "\/" was removed/);
    expect(at('prefix_without_slash')).toMatch(/no trailing "\/"/);
    expect(at('glob_not_csv')).toMatch(/does not mention csv/);
    expect(at('confirmation_ignored')).toMatch(/only used with dry_run false/);
  });

  it('an empty object answers "empty file: nothing to sample"', async () => {
    const r = await mcp.call('infer_csv_format', { s3_uri: 's3://ledger/gz/_SUCCESS' });
    expect(r.isError).toBe(true);
    expect(text(r)).toMatch(/s3:\/\/ledger\/gz\/_SUCCESS is an empty file: nothing to sample/);
    expect(text(r)).not.toMatch(/bug|ECONNRESET/);
  });
});
