import { describe, expect, it } from 'vitest';
import { buildAccessPolicy, buildCommands, inlinePolicyName, lintPolicy } from '../../src/aws/iam.js';
import { parseS3Location } from '../../src/rules/s3.js';

describe('the least-privilege access policy', () => {
  it('limits listing to the prefix, reading to the prefix, and adds kms:Decrypt only with a key', () => {
    const p = buildAccessPolicy({ bucket: 'acme-trips', prefix: '2024/' });
    expect(p.Statement).toEqual([
      { Sid: 'ListTheImportPrefix', Effect: 'Allow', Action: 's3:ListBucket', Resource: 'arn:aws:s3:::acme-trips', Condition: { StringLike: { 's3:prefix': ['2024/*'] } } },
      { Sid: 'FindTheBucketRegion', Effect: 'Allow', Action: 's3:GetBucketLocation', Resource: 'arn:aws:s3:::acme-trips' },
      { Sid: 'ReadTheImportFiles', Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::acme-trips/2024/*' },
    ]);
    const kms = 'arn:aws:kms:eu-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const withKey = buildAccessPolicy({ bucket: 'acme-trips', prefix: '2024/' }, kms);
    expect(withKey.Statement.at(-1)).toEqual({ Sid: 'DecryptTheImportFiles', Effect: 'Allow', Action: 'kms:Decrypt', Resource: kms });
    expect(lintPolicy(p, 'identity')).toEqual([]);
    expect(lintPolicy(withKey, 'identity')).toEqual([]);
  });

  it('covers the whole bucket without a prefix, with no condition', () => {
    const p = buildAccessPolicy({ bucket: 'acme-trips', prefix: undefined });
    expect(p.Statement[0]).not.toHaveProperty('Condition');
    expect(p.Statement[2]!.Resource).toBe('arn:aws:s3:::acme-trips/*');
  });

  it('has no wildcard action anywhere', () => {
    const actions = buildAccessPolicy({ bucket: 'b-1', prefix: 'x/' }, 'arn:aws:kms:us-east-1:123456789012:alias/data').Statement.map((s) => s.Action);
    expect(actions.every((a) => typeof a === 'string' && !a.includes('*'))).toBe(true);
  });
});

describe('the policy linter', () => {
  it('flags wildcard actions, bad ARNs, a Principal in an identity policy, Resource in a trust policy, unknown operators', () => {
    const bad = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: ['s3:*', 'GetObject'], Resource: 'my-bucket/*', Principal: '*', Condition: { StringSortOf: {} } }],
    };
    const problems = lintPolicy(bad, 'identity').join('\n');
    expect(problems).toMatch(/"s3:\*" is a wildcard/);
    expect(problems).toMatch(/"GetObject" is not service:Action/);
    expect(problems).toMatch(/"my-bucket\/\*" is not an S3 or KMS ARN/);
    expect(problems).toMatch(/has a Principal/);
    expect(problems).toMatch(/"StringSortOf" is unknown/);
    expect(lintPolicy({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' }] }, 'trust').join()).toMatch(/Resource key.*no Principal/);
    expect(lintPolicy({ Version: '2008-10-17', Statement: [] }, 'identity')).toEqual(['Version must be "2012-10-17"', 'Statement is empty']);
  });
});

describe('bucket and prefix as people write them', () => {
  it('reads s3:// URIs and bucket URLs', () => {
    expect(parseS3Location('s3://acme-trips/2024/')).toMatchObject({ bucket: 'acme-trips', prefix: '2024/' });
    expect(parseS3Location('https://acme-trips.s3.eu-west-2.amazonaws.com/2024/jan/')).toMatchObject({ bucket: 'acme-trips', prefix: '2024/jan/' });
    expect(parseS3Location('https://s3.eu-west-2.amazonaws.com/acme-trips/2024/')).toMatchObject({ bucket: 'acme-trips', prefix: '2024/' });
    expect(parseS3Location('acme-trips', '/2024/')).toMatchObject({ bucket: 'acme-trips', prefix: '2024/' });
  });

  it('warns that a prefix without a trailing slash also matches sibling folders', () => {
    expect(parseS3Location('acme-trips', '2024').warnings.join()).toMatch(/"2024-old\/", "20242\/"/);
  });

  it('refuses a name that cannot be a bucket', () => {
    expect(() => parseS3Location('my bucket!')).toThrow(/not a valid S3 bucket name/);
  });
});

describe('the AWS CLI commands', () => {
  it('come in order, with file:// (the guide forgot it), for a new and an existing role', () => {
    const c = buildCommands('dfi-import', inlinePolicyName('acme-trips', '2024/'));
    expect(c.newRole.map((x) => x.command)).toEqual([
      'aws iam create-role --role-name dfi-import --assume-role-policy-document file://trust-policy.json',
      `aws iam put-role-policy --role-name dfi-import --policy-name ${inlinePolicyName('acme-trips', '2024/')} --policy-document file://access-policy.json`,
      'aws iam get-role --role-name dfi-import --query Role.Arn --output text',
    ]);
    expect(c.existingRole[0]!.command).toBe('aws iam update-assume-role-policy --role-name dfi-import --policy-document file://trust-policy.json');
    expect(buildCommands('r').newRole).toHaveLength(2);
  });

  it('name the inline policy after the bucket and prefix, so that a second bucket does not replace the first grant', () => {
    const a = inlinePolicyName('acme-trips', '2024/');
    expect(a).toMatch(/^dfi-import-read-acme-trips-2024-[0-9a-f]{8}$/);
    expect(inlinePolicyName('acme-trips', '2025/')).not.toBe(a);
    expect(inlinePolicyName('other-bucket', '2024/')).not.toBe(a);
    expect(inlinePolicyName('acme-trips', '2024/')).toBe(a);
    expect(inlinePolicyName('acme-trips')).toMatch(/^dfi-import-read-acme-trips-[0-9a-f]{8}$/);
    const long = inlinePolicyName('b'.repeat(63), `${'p/'.repeat(200)}`);
    expect(long.length).toBeLessThanOrEqual(128);
    expect(long).toMatch(/^[\w+=,.@-]+$/);
    expect(buildCommands('r', a).newRole[1]!.step).toMatch(/named after this bucket and prefix/);
  });
});
