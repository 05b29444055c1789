import { describe, expect, it } from 'vitest';
import { buildBatchRequest, type SourceArgs } from '../../src/import/preflight.js';
import type { Dataset } from '../../src/dfi/schemas.js';
import { UserFacingError } from '../../src/errors.js';

const dataset: Dataset = {
  id: 'gs.dataset-1',
  dataDescription: {
    metadataSchema: {
      ipv4: { type: 'ip', nullable: true },
      age: { type: 'number', nullable: true, signed: false },
      home_ipv4: { type: 'ip', nullable: true },
      route_id: { type: 'number', nullable: false, signed: false },
      credit_card_provider: { type: 'enum', nullable: true, values: ['visa'] },
      transportation_mode: { type: 'enum', nullable: false, values: ['dwelling'] },
    },
  },
};
const GUIDE_FORMAT = { entity_id: 0, timestamp: 1, longitude: 2, latitude: 3, ipv4: 4, age: 5, home_ipv4: 6, route_id: 7, credit_card_provider: 8, transportation_mode: 9 };
const s3 = (over: Partial<Extract<SourceArgs, { s3: unknown }>['s3']> = {}): SourceArgs => ({
  s3: { bucket: 'my-bucket', prefix: 'my_path/', glob: '*.csv', role_arn: 'arn:aws:iam::123456789123:role/my_role', ...over },
});

function problems(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UserFacingError);
    return (err as UserFacingError).message;
  }
  throw new Error('expected the preflight to refuse');
}

describe('local preflight', () => {
  it("turns the user guide's example into the guide's request body", () => {
    const { request, preflight } = buildBatchRequest('gs.dataset-1', s3({ bucket: 'my_bucket', prefix: 'my_path' }), GUIDE_FORMAT, dataset);
    expect(request).toEqual({
      datasetId: 'gs.dataset-1',
      source: { s3: { bucket: 'my_bucket', prefix: 'my_path', glob: '*.csv', credentials: { RoleArn: 'arn:aws:iam::123456789123:role/my_role' } } },
      format: { csv: { entityId: 0, timestamp: 1, longitude: 2, latitude: 3, ipv4: 4, age: 5, home_ipv4: 6, route_id: 7, credit_card_provider: 8, transportation_mode: 9 } },
    });
    // The guide's bucket has "_" and its prefix no trailing slash: both worth a word, neither fatal.
    expect(preflight.warnings.join('\n')).toMatch(/not a valid name for a new S3 bucket/);
    expect(preflight.warnings.join('\n')).toMatch(/no trailing "\/"/);
    expect(preflight.warningCodes).toEqual(expect.arrayContaining(['legacy_bucket_name', 'prefix_without_slash']));
    expect(preflight.warningCodes).toHaveLength(preflight.warnings.length);
  });

  it('refuses an S3 ARN given as the role ARN (the dfipy docs mistake)', () => {
    expect(problems(() => buildBatchRequest('gs.dataset-1', s3({ role_arn: 'arn:aws:s3:::my-bucket/key' }), GUIDE_FORMAT, dataset))).toMatch(
      /is an S3 ARN, not a role ARN/,
    );
  });

  it('refuses a missing core field, a negative index and an unknown property, all at once, with a suggestion', () => {
    const msg = problems(() => buildBatchRequest('gs.dataset-1', s3(), { entity_id: 0, timestamp: -1, longitude: 2, rout_id: 7 }, dataset));
    expect(msg).toMatch(/3 problems/);
    expect(msg).toMatch(/missing latitude/);
    expect(msg).toMatch(/timestamp = -1/);
    expect(msg).toMatch(/did you mean "route_id"/);
  });

  it('does not take names of Object.prototype for dataset properties (found by fuzzing)', () => {
    const msg = problems(() => buildBatchRequest('gs.dataset-1', s3(), { ...GUIDE_FORMAT, constructor: 10, toString: 11 }, dataset));
    expect(msg).toMatch(/maps "constructor", which is not a core field nor a property/);
    expect(msg).toMatch(/maps "toString"/);
  });

  it('asks for snake_case when the wire name is used', () => {
    expect(problems(() => buildBatchRequest('gs.dataset-1', s3(), { entityId: 0, timestamp: 1, longitude: 2, latitude: 3 }, dataset))).toMatch(
      /write it in snake_case, "entity_id"/,
    );
  });

  it('normalises s3:// bucket names and refuses invalid ones', () => {
    const { request } = buildBatchRequest('gs.dataset-1', s3({ bucket: 's3://my-bucket' }), GUIDE_FORMAT, dataset);
    expect((request.source as { s3: { bucket: string } }).s3.bucket).toBe('my-bucket');
    expect(problems(() => buildBatchRequest('gs.dataset-1', s3({ bucket: 'a' }), GUIDE_FORMAT, dataset))).toMatch(/not a valid S3 bucket name/);
  });

  it('warns about unmapped non-nullable properties, and about a property sharing a core column', () => {
    const { preflight } = buildBatchRequest('gs.dataset-1', s3(), { entity_id: 0, timestamp: 1, longitude: 2, latitude: 3, age: 0 }, dataset);
    expect(preflight.warnings.join('\n')).toMatch(/not nullable are not mapped: route_id, transportation_mode/);
    expect(preflight.warnings.join('\n')).toMatch(/Column 0 is both entity_id and the property age: check that this is meant/);
    expect(preflight.warningCodes).toEqual(expect.arrayContaining(['unmapped_required_properties', 'core_field_shares_column']));
  });

  it('refuses two core fields on one column (longitude and latitude: every point on the diagonal)', () => {
    expect(problems(() => buildBatchRequest('gs.dataset-1', s3(), { entity_id: 0, timestamp: 1, longitude: 2, latitude: 2 }, dataset))).toMatch(
      /maps longitude and latitude to the same column 2: .* own column \(one column for both would put every point on the diagonal\)/,
    );
    expect(problems(() => buildBatchRequest('gs.dataset-1', s3(), { entity_id: 1, timestamp: 1, longitude: 2, latitude: 3 }, dataset))).toMatch(/maps entity_id and timestamp to the same column 1/);
    expect(problems(() => buildBatchRequest('gs.dataset-1', s3(), { entity_id: 0, timestamp: 1, longitude: 2, latitude: 3, altitude: 3 }, dataset))).toMatch(/latitude and altitude/);
  });

  it('checks URL sources', () => {
    expect(problems(() => buildBatchRequest('gs.dataset-1', { urls: ['ftp://x/y.csv'] }, GUIDE_FORMAT, dataset))).toMatch(/must be http or https/);
    const { request } = buildBatchRequest('gs.dataset-1', { urls: ['https://example.com/a.csv'] }, GUIDE_FORMAT, dataset);
    expect(request.source).toEqual({ urls: ['https://example.com/a.csv'] });
  });

  it('sends Policy and PolicyArns as dfipy does', () => {
    const policy = { Version: '2012-10-17', Statement: [] };
    const { request } = buildBatchRequest('gs.dataset-1', s3({ policy, policy_arns: ['arn:aws:iam::aws:policy/ReadOnlyAccess'] }), GUIDE_FORMAT, dataset);
    expect((request.source as { s3: { credentials: unknown } }).s3.credentials).toEqual({
      RoleArn: 'arn:aws:iam::123456789123:role/my_role',
      Policy: policy,
      PolicyArns: ['arn:aws:iam::aws:policy/ReadOnlyAccess'],
    });
  });
});
