import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMcp, structured, text, type McpSession } from '../helpers/mcp.js';
import { s3Env, startS3 } from '../helpers/s3.js';

// Seven entities moving slowly, interleaved in time order, as tracker exports are.
const ROW = (i: number) => `e${i % 7},${1640995676000 + i * 1000},${(-0.1 - (i % 7) * 0.01 - i * 1e-6).toFixed(6)},${(51.5 + (i % 7) * 0.01 + i * 1e-6).toFixed(6)},,,,${i % 40},,walking\n`;
const csv = (rows: number) => Array.from({ length: rows }, (_, i) => ROW(i)).join('');

let s3: Awaited<ReturnType<typeof startS3>>;
let mcp: McpSession;

beforeAll(async () => {
  s3 = await startS3();
  await s3.bucket('acme-trips');
  await s3.put('acme-trips', 'trips/top.csv', csv(50));
  await s3.put('acme-trips', 'trips/2024/01/a.csv', csv(200));
  await s3.put('acme-trips', 'trips/2024/02/b.csv', csv(200));
  await s3.put('acme-trips', 'trips/2024/02/c.csv.gz', csv(200_000), true);
  await s3.put('acme-trips', 'trips/README.txt', 'not data');
  await s3.put('acme-trips', 'big/huge.csv', csv(2_000_000)); // ~ 90 MB
  await s3.bucket('many-keys');
  for (let i = 0; i < 1100; i += 50) {
    await Promise.all(Array.from({ length: 50 }, (_, j) => s3.put('many-keys', `part/file-${i + j}.csv`, ROW(i + j))));
  }
  mcp = await startMcp(['--sandbox'], s3Env(s3.endpoint));
}, 180_000);
afterAll(async () => {
  await mcp?.close();
  await s3?.close();
});

describe('check_s3_source against a real S3-compatible server', () => {
  it('counts nested keys, reads the glob both ways and warns when the readings differ', async () => {
    const r = structured(await mcp.call('check_s3_source', { bucket: 'acme-trips', prefix: 'trips/', glob: '*.csv', sample_files: 1 }));
    expect(r.keys).toMatchObject({ matched: 1, total: 5 });
    expect(r.keys.examples[0].key).toBe('trips/top.csv');
    expect(r.glob).toMatchObject({ matchedByRelativeKey: 1, matchedByFileName: 3 });
    expect(r.warnings.join('\n')).toMatch(/reads differently .* \(1 match\) .* \(3 match\)/);
    expect(r.region.bucket).toBe('us-east-1');
    expect(r.encryption.status).toBe('unknown');
    expect(r.publicAccess.status).toBe('unknown');
  });

  it('matches at any depth with **/*.csv and samples the first files with a Range read', async () => {
    s3.resetBytes();
    const r = structured(await mcp.call('check_s3_source', { bucket: 's3://acme-trips/trips/2024/', glob: '**/*.csv*', sample_files: 3 }));
    expect(r.keys.matched).toBe(3);
    expect(r.glob.matchedByFileName).toBe(3);
    expect(r.samples.map((s: { key: string }) => s.key)).toEqual(['trips/2024/01/a.csv', 'trips/2024/02/b.csv', 'trips/2024/02/c.csv.gz']);
    expect(r.samples[0].file_format).toMatchObject({ entity_id: 0, timestamp: 1, longitude: 2, latitude: 3 });
    expect(r.samples[2].compression).toBe('gzip');
    // The gzip object is ~1 MB compressed; only its first 64 KiB (+ HTTP overhead) may cross the wire.
    expect(s3.bytesDown()).toBeLessThan(3 * 64 * 1024 + 64 * 1024);
  });

  it('paginates through more than a thousand keys', async () => {
    const r = structured(await mcp.call('check_s3_source', { bucket: 'many-keys', prefix: 'part/', glob: '*.csv', sample_files: 0 }));
    expect(r.keys).toMatchObject({ matched: 1100, total: 1100, truncated: false });
    expect(r.keys.examples).toHaveLength(5);
  });

  it('says when nothing matches, and suggests **/ for nested files', async () => {
    const r = structured(await mcp.call('check_s3_source', { bucket: 'acme-trips', prefix: 'trips/2024/', glob: '*.csv', sample_files: 0 }));
    expect(r.keys.matched).toBe(0);
    expect(r.warnings.join('\n')).toMatch(/Nothing under s3:\/\/acme-trips\/trips\/2024\/ matches "\*.csv" \(3 key\(s\) there, e\.g\. trips\/2024\/01\/a\.csv, .*\)\. The glob "\*\*\/\*.csv" would match the files in sub-folders/);
    expect(r.nextSteps[0]).toMatch(/Fix the prefix or the glob/);
  });

  it('maps a missing bucket and missing credentials to what to fix', async () => {
    const missing = await mcp.call('check_s3_source', { bucket: 'no-such-bucket', glob: '*.csv' });
    expect(missing.isError).toBe(true);
    expect(text(missing)).toMatch(/the bucket "no-such-bucket" does not exist/);
    const env = s3Env(s3.endpoint);
    delete (env as Record<string, string | undefined>).AWS_ACCESS_KEY_ID;
    delete (env as Record<string, string | undefined>).AWS_SECRET_ACCESS_KEY;
    const bare = await startMcp(['--sandbox'], env);
    try {
      const r = await bare.call('check_s3_source', { bucket: 'acme-trips', glob: '*.csv' });
      expect(r.isError).toBe(true);
      expect(text(r)).toMatch(/no AWS credentials were found/);
      expect(text(r)).toMatch(/aws configure|AWS_PROFILE/);
      // With an S3 endpoint the sandbox reads S3: no word about its bucket folders.
      expect(text(r)).not.toMatch(/runs against the sandbox/);
    } finally {
      await bare.close();
    }
    // Without one, the sandbox's buckets are folders: the error says where they are and what reads them.
    const folders = await startMcp(['--sandbox']);
    try {
      const r = await folders.call('check_s3_source', { bucket: 'my_bucket', prefix: 'my_path/', glob: '*.csv' });
      expect(r.isError).toBe(true);
      expect(text(r)).toMatch(/no AWS credentials were found/);
      expect(text(r)).toMatch(/runs against the sandbox: its buckets are the folders under .*examples[\\/]s3/);
      expect(text(r)).toMatch(/put_batch reads them without AWS credentials/);
    } finally {
      await folders.close();
    }
  });
});

describe('infer_csv_format from S3', () => {
  it('reads only max_bytes of a 90 MB object', async () => {
    s3.resetBytes();
    const r = structured(await mcp.call('infer_csv_format', { s3_uri: 's3://acme-trips/big/huge.csv' }));
    expect(r.file_format).toMatchObject({ entity_id: 0, timestamp: 1 });
    expect(r.sample.bytesRead).toBeLessThanOrEqual(64 * 1024);
    expect(r.sample.truncated).toBe(true);
    expect(s3.bytesDown()).toBeLessThan(64 * 1024 + 4 * 1024);
  });

  it('takes the first match of a prefix and a glob', async () => {
    const r = structured(await mcp.call('infer_csv_format', { s3_uri: 's3://acme-trips/trips/', glob: '2024/**/*.csv' }));
    expect(r.sample.origin).toBe('s3://acme-trips/trips/2024/01/a.csv');
  });

  it('says clearly when the glob matches nothing', async () => {
    const r = await mcp.call('infer_csv_format', { s3_uri: 's3://acme-trips/trips/', glob: '*.parquet' });
    expect(text(r)).toMatch(/Nothing under s3:\/\/acme-trips\/trips\/ matches "\*.parquet" \(5 key\(s\) there, e\.g\. .*\)\. The glob "\*\*\/\*\.csv" would match them/);
  });
});

describe('the sandbox with an S3-compatible endpoint configured', () => {
  it('reads S3 sources from the endpoint: dry run, import, finished with true counts', async () => {
    const args = {
      dataset_id: 'gs.dataset-1',
      source: { s3: { bucket: 'acme-trips', prefix: 'trips/2024/', glob: '**/*.csv', role_arn: 'arn:aws:iam::123456789123:role/my_role' } },
      file_format: { entity_id: 0, timestamp: 1, longitude: 2, latitude: 3, route_id: 7, transportation_mode: 9 },
    };
    const dry = structured(await mcp.call('put_batch', args));
    expect(dry.job).toMatchObject({ status: 'success', insertCount: 200, invalidCount: 0 }); // 100 rows from each of a.csv and b.csv
    // The dry run also checked the source with the person's own credentials.
    expect(dry.preflight.checks).toContainEqual({ name: 's3_source', ok: true, message: expect.stringMatching(/^2 file\(s\), \d+ bytes under s3:\/\/acme-trips\/trips\/2024\/ match/) });
    const run = structured(await mcp.call('put_batch', { ...args, dry_run: false, confirmation: dry.confirmation.token }));
    const done = structured(await mcp.call('get_batch', { batch_id: run.job.id, wait_seconds: 30 }));
    expect(done.job).toMatchObject({ status: 'finished', insertCount: 400, invalidCount: 0 });
  });
});

describe("put_batch's S3 preflight", () => {
  it('says before the platform does that a glob matches nothing', async () => {
    const r = structured(
      await mcp.call('put_batch', {
        dataset_id: 'gs.dataset-1',
        source: { s3: { bucket: 'acme-trips', prefix: 'trips/', glob: '2024.csv', role_arn: 'arn:aws:iam::123456789123:role/my_role' } },
        file_format: { entity_id: 0, timestamp: 1, longitude: 2, latitude: 3, route_id: 7, transportation_mode: 9 },
      }),
    );
    expect(r.preflight.checks).toContainEqual(expect.objectContaining({ name: 's3_source', ok: false }));
    expect(r.preflight.warnings.join('\n')).toMatch(/With your own AWS credentials: Nothing under s3:\/\/acme-trips\/trips\/ matches "2024\.csv" \(5 key\(s\) there, e\.g\. /);
    expect(r.job.status).toBe('error'); // and the sandbox agrees
  });
});

describe('get_aws_trust_policy with a bucket', () => {
  it('writes the files and commands for the IAM set-up', async () => {
    const r = structured(await mcp.call('get_aws_trust_policy', { bucket: 's3://acme-trips/trips/2024/', role_name: 'dfi-import-trips' }));
    expect(r.files.map((f: { name: string }) => f.name)).toEqual(['trust-policy.json', 'access-policy.json']);
    expect(r.files.map((f: { document: string }) => f.document)).toEqual(['trustPolicy', 'accessPolicy']);
    expect(r.accessPolicy.Statement[2].Resource).toBe('arn:aws:s3:::acme-trips/trips/2024/*');
    expect(r.commands.existingRole[0].command).toMatch(/--policy-document file:\/\/trust-policy.json$/);
    expect(r.commands.newRole[0].command).toMatch(/^aws iam create-role --role-name dfi-import-trips /);
  });

  it('refuses a role ARN given as role_name and a bad KMS ARN', async () => {
    expect(text(await mcp.call('get_aws_trust_policy', { bucket: 'acme-trips', role_name: 'arn:aws:iam::123456789012:role/x' }))).toMatch(/not a valid IAM role name/);
    expect(text(await mcp.call('get_aws_trust_policy', { bucket: 'acme-trips', kms_key_arn: 'alias/x' }))).toMatch(/not a KMS key ARN/);
  });
});
