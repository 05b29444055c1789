import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ImportLedger, overlapWith, type LedgerEntry } from '../../src/import/ledger.js';
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
