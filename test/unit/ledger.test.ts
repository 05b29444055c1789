import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ImportLedger, overlapWith, preparedCopyOf, type LedgerEntry } from '../../src/import/ledger.js';
import { freshStateDir } from '../helpers/env.js';

const entry = (over: Partial<LedgerEntry>): LedgerEntry => ({
  id: 'x',
  backend: 'sandbox',
  datasetId: 'd',
  at: '2026-01-01T00:00:00Z',
  source: { route: 's3', bucket: 'b', prefix: 'in/', glob: '*.csv', roleArn: 'arn:aws:iam::1:role/r' },
  format: {},
  outcome: 'sent',
  ...over,
});

describe('the import ledger file', () => {
  it('reads an intent without an outcome as "unknown", skips a torn line, and keeps backends apart', () => {
    const dir = freshStateDir();
    const ledger = new ImportLedger(dir, 'sandbox');
    const a = ledger.recordIntent({ datasetId: 'd', source: { route: 'urls', urls: ['https://h/a.csv'] }, format: { entityId: 0 } });
    ledger.recordOutcome(a, 'sent', { batchId: 'batch-a' });
    ledger.recordIntent({ datasetId: 'd', source: { route: 'urls', urls: ['https://h/b.csv'] }, format: {} });
    fs.appendFileSync(ledger.file, '{"type":"intent","id":"torn","backe');
    expect(ledger.entries().map((e) => [e.outcome, e.batchId ?? null])).toEqual([
      ['sent', 'batch-a'],
      ['unknown', null],
    ]);
    expect(new ImportLedger(dir, 'https://api.example.com').entries()).toEqual([]);
  });
});

describe('which earlier imports read the same files', () => {
  it('compares listed objects by key and ETag', () => {
    const earlier = entry({ objects: [{ key: 'in/a.csv', size: 1, etag: '"1"' }] });
    const planned = { datasetId: 'd', source: earlier.source, objects: [{ key: 'in/a.csv', size: 1, etag: '"1"' }, { key: 'in/b.csv', size: 1 }] };
    expect(overlapWith(planned, earlier)?.objects).toEqual([{ key: 'in/a.csv', size: 1, etag: '"1"' }]);
    expect(overlapWith({ ...planned, objects: [{ key: 'in/a.csv', size: 2, etag: '"2"' }] }, earlier)).toBeUndefined(); // the file changed
    expect(overlapWith({ ...planned, datasetId: 'other' }, earlier)).toBeUndefined();
  });

  it('without listings: the same prefix overlaps, unless one glob names a file the other does not match', () => {
    const s3 = (prefix: string, glob: string) => ({ datasetId: 'd', source: { route: 's3' as const, bucket: 'b', prefix, glob, roleArn: 'r' } });
    expect(overlapWith(s3('in/', '*.csv'), entry({}))?.objects).toBe('source');
    expect(overlapWith(s3('in/2024/', '*.csv'), entry({}))?.objects).toBe('source');
    expect(overlapWith(s3('out/', '*.csv'), entry({}))).toBeUndefined();
    const small = entry({ source: { route: 's3', bucket: 'b', prefix: 'in/', glob: 'small.csv', roleArn: 'r' } });
    expect(overlapWith(s3('in/', 'big.csv'), small)).toBeUndefined();
    expect(overlapWith(s3('in/', '*.csv'), small)?.objects).toBe('source');
  });
});

describe('prepared copies (prepare_files) in the ledger', () => {
  const manifest = (target: string, recipeHash: string) =>
    JSON.stringify({
      kind: 'dfi-prepared',
      version: 1,
      source: 's3://raw-bucket/ais/',
      recipeHash,
      outputs: {
        [`${target}day-1.csv`]: { sourceKey: 'ais/day-1.csv.gz', sourceEtag: '"e1"', rows: 10 },
        [`${target}day-2.csv`]: { sourceKey: 'ais/day-2.csv.gz', sourceEtag: '"e2"', rows: 10 },
      },
    });
  const staged = (prefix: string) => ({ route: 's3_presigned' as const, bucket: 'raw-bucket', prefix, glob: '**/*.csv' });

  it('reads the manifest: where the copy came from, the recipe, the original objects', () => {
    expect(preparedCopyOf(manifest('dfi-prepared/ais/', 'r1'))).toEqual({
      from: 's3://raw-bucket/ais/',
      recipeHash: 'r1',
      sources: [
        { key: 'ais/day-1.csv.gz', etag: '"e1"' },
        { key: 'ais/day-2.csv.gz', etag: '"e2"' },
      ],
    });
    expect(preparedCopyOf('{"kind":"other"}')).toBeUndefined();
    expect(preparedCopyOf('not json')).toBeUndefined();
  });

  it('the same original rows are found whether prepared again (another recipe, another target) or imported raw', () => {
    const first = entry({ source: staged('dfi-prepared/ais/'), prepared: preparedCopyOf(manifest('dfi-prepared/ais/', 'r1'))! });
    // Prepared again with another recipe into another prefix: the staging keys differ, the originals do not.
    const again = { datasetId: 'd', source: staged('other/ais/'), objects: [{ key: 'other/ais/day-1.csv', size: 5 }], prepared: preparedCopyOf(manifest('other/ais/', 'r2'))! };
    expect(overlapWith(again, first)?.objects).toEqual([
      { key: 'ais/day-1.csv.gz', size: 0, etag: '"e1"' },
      { key: 'ais/day-2.csv.gz', size: 0, etag: '"e2"' },
    ]);
    // The raw files, listed: the ones the copy was prepared from (same ETag).
    const raw = { datasetId: 'd', source: { route: 's3_presigned' as const, bucket: 'raw-bucket', prefix: 'ais/', glob: '*.csv.gz' }, objects: [{ key: 'ais/day-2.csv.gz', size: 9, etag: '"e2"' }, { key: 'ais/day-3.csv.gz', size: 9, etag: '"e3"' }] };
    expect(overlapWith(raw, first)?.objects.map((o) => (typeof o === 'string' ? o : o.key))).toEqual(['ais/day-2.csv.gz']);
    // A changed raw file (another ETag) is new data.
    expect(overlapWith({ ...raw, objects: [{ key: 'ais/day-2.csv.gz', size: 9, etag: '"e9"' }] }, first)).toBeUndefined();
    // Another dataset: nothing.
    expect(overlapWith({ ...again, datasetId: 'other' }, first)).toBeUndefined();
  });

  it('records the prepared copy with the intent', () => {
    const ledger = new ImportLedger(freshStateDir(), 'sandbox');
    const prepared = preparedCopyOf(manifest('dfi-prepared/ais/', 'r1'))!;
    ledger.recordIntent({ datasetId: 'd', source: staged('dfi-prepared/ais/'), format: {}, prepared });
    expect(ledger.entries()[0]!.prepared).toEqual(prepared);
  });
});
