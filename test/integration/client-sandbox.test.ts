import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DfiClient } from '../../src/dfi/client.js';
import { UserFacingError } from '../../src/errors.js';
import { startSandboxServer, type RunningSandbox } from '../../src/sandbox/server.js';
import { BUNDLED, EXAMPLES_DATASETS, EXAMPLES_S3, GUIDE_WIRE_FORMAT, ROLE_ARN } from '../helpers/paths.js';
import { waitFor } from '../helpers/wait.js';

const TOKEN = 'integration-test-token-0123456789';
let sandbox: RunningSandbox;
let client: DfiClient;

const s3Request = (over: Record<string, unknown> = {}) => ({
  datasetId: 'gs.dataset-1',
  source: { s3: { bucket: 'my_bucket', prefix: 'my_path/', glob: '*.csv', credentials: { RoleArn: ROLE_ARN }, ...over } },
  format: { csv: GUIDE_WIRE_FORMAT },
});

async function failure(p: Promise<unknown>): Promise<UserFacingError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(UserFacingError);
    return err as UserFacingError;
  }
  throw new Error('expected the call to fail');
}

async function waitTerminal(id: string) {
  let job = await client.getBatch(id);
  await waitFor(async () => !['created', 'running'].includes((job = await client.getBatch(id)).status), `job ${id} to end`);
  return job;
}

beforeAll(async () => {
  // Its URL sources are served on loopback here: allowed as with --allow-private-urls.
  sandbox = await startSandboxServer({ token: TOKEN, s3Root: EXAMPLES_S3, datasetsFile: EXAMPLES_DATASETS, allowPrivateUrls: true });
  client = new DfiClient({ baseUrl: sandbox.url, token: TOKEN, label: 'the sandbox', timeoutMs: 10_000 });
});
afterAll(async () => {
  await client.close();
  await sandbox.close();
});

describe('the client against the sandbox', () => {
  it('serves the trust policy with the guide shape', async () => {
    const p = (await client.getAwsTrustPolicy()) as { Statement: { Condition: unknown; Action: string }[] };
    expect(p.Statement[0]!.Action).toBe('sts:AssumeRole');
    expect(p.Statement[0]!.Condition).toEqual({ StringEquals: { 'sts:ExternalId': 'dfi-sandbox-external-id' } });
  });

  it('reads datasets, their schema and permissions', async () => {
    const d = await client.getDataset('gs.dataset-1');
    expect(Object.keys(d.dataDescription!.metadataSchema!)).toEqual(['ipv4', 'age', 'home_ipv4', 'route_id', 'credit_card_provider', 'transportation_mode']);
    // The platform matches the name exactly.
    expect((await client.listDatasets({ name: "Trips (the user guide's example)" })).map((x) => x.id)).toEqual(['gs.dataset-1']);
    expect(await client.listDatasets({ name: 'trips' })).toEqual([]);
    expect(await client.getPermissions('gs.readonly-demo')).toMatchObject({ write: false });
    expect(await client.getDatasetSchema('gs.dataset-1')).toMatchObject({ metadataSchema: { age: { type: 'number' } } });
  });

  it('dry-runs the bundled files: success, first 100 rows per file, invalid rows logged', async () => {
    const job = await client.putBatch(s3Request(), true);
    expect(job.status).toBe('success');
    expect(job.insertCount! + job.invalidCount!).toBe(BUNDLED.dryRunChecked);
    expect(job.invalidCount).toBe(BUNDLED.dryRunInvalid);
    expect(String(job.log)).toMatch(/trips-1\.csv line 8: latitude \(column 3\) "95.12" is outside -90..90/);
  });

  it('dry-runs N rows per file when asked', async () => {
    const job = await client.putBatch(s3Request(), 10);
    expect(job.insertCount! + job.invalidCount!).toBe(30);
    expect(job.invalidCount).toBe(2); // trips-1 row 8 and trips-3 row 4
  });

  it('imports the bundled files to finished with true counts and a newest-first history', async () => {
    const created = await client.putBatch(s3Request({ prefix: 'my_path' }), false);
    expect(created.status).toBe('created');
    const job = await waitTerminal(created.id);
    expect(job).toMatchObject({ status: 'finished', insertCount: BUNDLED.rows - BUNDLED.invalid, invalidCount: BUNDLED.invalid });
    const lines = String(job.log).split('\n');
    // One line per rejected row, then one exact tally line per cause.
    expect(lines.filter((l) => !l.startsWith('cause '))).toHaveLength(BUNDLED.invalid);
    expect(lines.filter((l) => l.startsWith('cause ')).reduce((n, l) => n + Number(/: (\d+) row/.exec(l)![1]), 0)).toBe(BUNDLED.invalid);
    const history = await client.getBatchStatus(created.id);
    expect(history.map((h) => h.status)).toEqual(['finished', 'running', 'created']);
  });

  it('answers a dry run with error when nothing matches, saying why', async () => {
    const job = await client.putBatch(s3Request({ glob: '*.parquet' }), true);
    expect(job.status).toBe('error');
    expect(String(job.log)).toMatch(/no file matched/);
  });

  it('answers a dry run with error when the format does not fit the files', async () => {
    const job = await client.putBatch({ ...s3Request(), format: { csv: { ...GUIDE_WIRE_FORMAT, altitude: 12 } } }, true);
    expect(job.status).toBe('error');
    expect(String(job.log)).toMatch(/fewer columns than the format maps/);
  });

  it('aborts a running import and refuses to abort a finished one', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dfi-abort-'));
    fs.mkdirSync(path.join(dir, 'big'));
    const row = 'aca5597c-8666-43bf-9c85-0b575ece58ed,1640995676000,-0.11,51.54,,,,0,,dwelling\n';
    fs.writeFileSync(path.join(dir, 'big', 'a.csv'), row.repeat(400_000));
    const local = await startSandboxServer({ s3Root: dir, datasetsFile: EXAMPLES_DATASETS });
    const c = new DfiClient({ baseUrl: local.url, token: 'any-token-is-fine' });
    try {
      const job = await c.putBatch({ ...s3Request({ bucket: 'big', prefix: undefined }) }, false);
      const aborted = await c.abortBatch(job.id);
      expect(aborted.status).toBe('aborted');
      const after = await c.getBatch(job.id);
      expect(after.status).toBe('aborted');
      expect(after.insertCount).toBeLessThan(400_000);
      const err = await failure(c.abortBatch(job.id));
      expect(err.status).toBe(409);
      expect(err.message).toMatch(/already aborted/);
    } finally {
      await c.close();
      await local.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('turns 401, 403, 404 and 400 into errors with the API message and a hint', async () => {
    const bad = new DfiClient({ baseUrl: sandbox.url, token: 'wrong-token-abcdefgh' });
    const e401 = await failure(bad.getDataset('gs.dataset-1'));
    expect([e401.status, e401.hint]).toEqual([401, expect.stringMatching(/invalid or expired/)]);
    await bad.close();

    const e403 = await failure(client.putBatch({ ...s3Request(), datasetId: 'gs.readonly-demo', format: { csv: { entityId: 0, timestamp: 1, longitude: 2, latitude: 3 } } }, true));
    expect([e403.status, e403.message]).toEqual([403, expect.stringMatching(/no write permission/)]);

    const e404 = await failure(client.getBatch('no-such-batch'));
    expect([e404.status, e404.message, e404.hint]).toEqual([404, expect.stringMatching(/not found/), expect.stringMatching(/Unknown dataset or batch/)]);

    const e400 = await failure(client.putBatch({ ...s3Request(), format: { csv: { ...GUIDE_WIRE_FORMAT, colour: 10 } } }, true));
    expect([e400.status, e400.message]).toEqual([400, expect.stringMatching(/colour, which is not a property/)]);

    const arn = await failure(client.putBatch(s3Request({ credentials: { RoleArn: 'arn:aws:s3:::my_bucket' } }), true));
    expect(arn.message).toMatch(/not an IAM role ARN/);
  });

  it('refuses bucket names that try to leave the sandbox root', async () => {
    const e = await failure(client.putBatch(s3Request({ bucket: '..' }), true));
    expect(e.status).toBe(400);
    const job = await client.putBatch(s3Request({ prefix: '../my_bucket/' }), true).catch((err: UserFacingError) => err);
    expect(job).toBeInstanceOf(UserFacingError);
    expect((job as UserFacingError).message).toMatch(/must not contain "\.\."/);
  });

  it('reads URL sources over HTTP, as the platform does', async () => {
    const file = fs.readFileSync(path.join(EXAMPLES_S3, 'my_bucket', 'my_path', 'trips-3.csv'));
    const origin = http.createServer((req, res) => {
      if (req.url?.startsWith('/trips-3.csv')) res.end(file);
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;
    try {
      const job = await client.putBatch({ ...s3Request(), source: { urls: [`${base}/trips-3.csv?X-Amz-Signature=abc`] } }, false);
      const done = await waitTerminal(job.id);
      expect(done).toMatchObject({ status: 'finished', insertCount: 97, invalidCount: 3 });
      const missing = await client.putBatch({ ...s3Request(), source: { urls: [`${base}/nope.csv`] } }, true);
      expect(missing.status).toBe('error');
      expect(String(missing.log)).toMatch(/answered HTTP 404/);
    } finally {
      origin.close();
    }
  });

  it('reports network failures with the address and a hint', async () => {
    const dead = new DfiClient({ baseUrl: 'http://127.0.0.1:9', token: 'x'.repeat(12), maxRetries: 0 });
    const e = await failure(dead.getDataset('gs.dataset-1'));
    expect(e.kind).toBe('network_error');
    expect(e.message).toMatch(/could not reach the platform at http:\/\/127.0.0.1:9/);
    await dead.close();
  });
});
