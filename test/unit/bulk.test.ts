import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PARALLEL_MIN_BYTES, validateFile, validateStream } from '../../src/csv/bulk.js';
import { compileRowValidator } from '../../src/csv/validate.js';
import type { MetadataSchema } from '../../src/dfi/schemas.js';

const schema: MetadataSchema = { route_id: { type: 'number', nullable: false, signed: false } };
const format = { entityId: 0, timestamp: 1, longitude: 2, latitude: 3, route_id: 4 };
let dir: string;
const BAD = new Map([[7, 'latitude'], [150_001, 'route_id'], [299_998, 'timestamp']]);

function write(file: string, rows: number, quoteAt?: number) {
  const fd = fs.openSync(file, 'w');
  for (let i = 0; i < rows; i += 10_000) {
    const lines = [];
    for (let k = i; k < Math.min(rows, i + 10_000); k++) {
      const bad = BAD.get(k);
      const name = k === quoteAt ? '"a ""quoted"" id"' : `entity-${k % 97}`;
      lines.push(`${name},${bad === 'timestamp' ? 'soon' : 1700000000000 + k},2.35,${bad === 'latitude' ? 95 : 48.85},${bad === 'route_id' ? -1 : k % 50},padding-to-make-the-file-larger-than-the-parallel-threshold`);
    }
    fs.writeSync(fd, `${lines.join('\n')}\n`);
  }
  fs.closeSync(fd);
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dfi-bulk-'));
  write(path.join(dir, 'plain.csv'), 300_000);
  write(path.join(dir, 'quoted.csv'), 300_000, 250_000);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function both(file: string) {
  const single: string[] = [];
  const v = compileRowValidator(format, schema);
  const one = await validateStream(fs.createReadStream(file), 'f', (f) => v.validate(f), { onInvalid: (line, why) => single.push(`${line}: ${why.code}: ${why.text}`) });
  const parallel: string[] = [];
  // Three threads whatever the machine: the split is what is under test.
  const all = await validateFile(file, 'f', format, schema, { maxThreads: 3, onInvalid: (line, why) => parallel.push(`${line}: ${why.code}: ${why.text}`) });
  return { one, single, all, parallel };
}

describe('validating whole files on every core', () => {
  it('is large enough to be split', () => {
    expect(fs.statSync(path.join(dir, 'plain.csv')).size).toBeGreaterThan(PARALLEL_MIN_BYTES);
  });

  it('gives the same counts and the same line numbers as one thread', async () => {
    const { one, single, all, parallel } = await both(path.join(dir, 'plain.csv'));
    expect(all.threads).toBe(3); // the workers ran (dist/csv/bulk-worker.js, built by the global setup)
    expect([all.rows, all.valid, all.invalid]).toEqual([300_000, 299_997, 3]);
    expect([one.rows, one.valid, one.invalid]).toEqual([all.rows, all.valid, all.invalid]);
    expect(parallel).toEqual(single);
    expect(parallel.map((l) => Number(l.split(':')[0]))).toEqual([8, 150_002, 299_999]);
  });

  it('falls back to one thread, in order, when the file has quotes', async () => {
    const { single, all, parallel } = await both(path.join(dir, 'quoted.csv'));
    expect(all.rows).toBe(300_000);
    expect(all.threads).toBe(1);
    expect(parallel).toEqual(single);
  });
});
