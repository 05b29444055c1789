/**
 * The standalone sandbox over HTTP: nothing outside its root is read, whatever symlinks its folder
 * holds (a folder of the prefix, a file, a folder swapped in after listing).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLES_DATASETS, ROLE_ARN } from '../helpers/paths.js';
import { startStandaloneSandbox, type StandaloneSandbox } from '../helpers/standalone-sandbox.js';

const SECRET = 'outside-secret-entity';
let base: string;
let sandbox: StandaloneSandbox;

beforeAll(async () => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'dfi-escape-'));
  const root = path.join(base, 's3');
  const outside = path.join(base, 'outside');
  fs.mkdirSync(path.join(root, 'bucket', 'in'), { recursive: true });
  fs.mkdirSync(outside);
  fs.writeFileSync(path.join(root, 'bucket', 'in', 'a.csv'), 'e,1640995676000,-0.1,51.5\n'.repeat(4));
  fs.writeFileSync(path.join(outside, 'secret.csv'), `${SECRET},1640995676000,-0.1,51.5\n`.repeat(3));
  fs.symlinkSync(outside, path.join(root, 'bucket', 'link'));
  fs.symlinkSync(outside, path.join(root, 'bucket', 'in', 'deeper'));
  sandbox = await startStandaloneSandbox(['--sandbox-s3-root', root, '--sandbox-datasets', EXAMPLES_DATASETS]);
});
afterAll(async () => {
  await sandbox?.close();
  fs.rmSync(base, { recursive: true, force: true });
});

const dryRun = async (prefix: string, glob: string) => {
  const res = await fetch(`${sandbox.url}/v1/import/batch?dryRun=true`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ datasetId: 'gs.dataset-1', source: { s3: { bucket: 'bucket', prefix, glob, credentials: { RoleArn: ROLE_ARN } } }, format: { csv: { entityId: 0, timestamp: 1, longitude: 2, latitude: 3 } } }),
  });
  return { status: res.status, body: await res.text() };
};

describe('sandbox symlinks', () => {
  it('a prefix through a symlinked folder reads nothing outside the root', async () => {
    for (const [prefix, glob] of [['link/', '*.csv'], ['link/', '**/*.csv'], ['in/deeper/', '*.csv'], ['link/secret', '*'], ['', '**/*.csv']]) {
      const r = await dryRun(prefix!, glob!);
      expect(r.body, `${prefix} ${glob}`).not.toContain(SECRET);
      expect(JSON.parse(r.body).insertCount ?? 0, `${prefix} ${glob}`).toBe(prefix === '' ? 4 : 0);
    }
  });
});
