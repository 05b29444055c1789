import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startMcp, structured, text, type McpSession } from '../helpers/mcp.js';
import { startS3, type S3Server } from '../helpers/s3.js';
import { defaultScenario, startAwsStandin, type AwsStandin, type Doc, type Scenario } from '../helpers/aws-standin.js';

// The person's account, role and bucket, as a data engineer would set them up from the guide.
const ACCOUNT = '111122223333';
const ROLE = 'dfi-import';
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/${ROLE}`;
const BUCKET = 'acme-trips';
const PREFIX = 'trips/2024/';
const KEY_ARN = `arn:aws:kms:us-east-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const ARGS = { role_arn: ROLE_ARN, bucket: BUCKET, prefix: PREFIX, glob: '*.csv' };

const accessPolicy = (): Doc => ({
  Version: '2012-10-17',
  Statement: [
    { Sid: 'ListTheImportPrefix', Effect: 'Allow', Action: 's3:ListBucket', Resource: `arn:aws:s3:::${BUCKET}`, Condition: { StringLike: { 's3:prefix': [`${PREFIX}*`] } } },
    { Sid: 'FindTheBucketRegion', Effect: 'Allow', Action: 's3:GetBucketLocation', Resource: `arn:aws:s3:::${BUCKET}` },
    { Sid: 'ReadTheImportFiles', Effect: 'Allow', Action: 's3:GetObject', Resource: `arn:aws:s3:::${BUCKET}/${PREFIX}*` },
  ],
});

let s3: S3Server;
let aws: AwsStandin;
let mcp: McpSession;
let platformTrust: Doc;
let externalId: string;
let principal: string;

/** A role set up exactly as get_aws_trust_policy says, on a private bucket: every check passes. */
function goodScenario(): Scenario {
  return {
    ...defaultScenario(),
    roles: { [ROLE]: { trust: structuredClone(platformTrust), inline: { 'dfi-import-read': accessPolicy() } } },
    buckets: { [BUCKET]: { blockPublicAccess: true, encryption: 'AES256' } },
  };
}
const check = (r: Record<string, any>, name: string) => r.checks.find((c: { name: string }) => c.name === name);
const run = async (args: Record<string, unknown> = ARGS) => structured(await mcp.call('check_aws_role', args));

beforeAll(async () => {
  s3 = await startS3();
  await s3.bucket(BUCKET);
  await s3.put(BUCKET, `${PREFIX}01.csv`, 'e1,1640995676000,-0.1,51.5\n');
  await s3.put(BUCKET, `${PREFIX}02.csv`, 'e2,1640995677000,-0.2,51.6\n');
  await s3.put(BUCKET, 'trips/2023/old.csv', 'e3,1640995678000,-0.3,51.7\n');
  aws = await startAwsStandin(s3.endpoint);
  mcp = await startMcp(['--sandbox'], aws.env());
  const t = structured(await mcp.call('get_aws_trust_policy', {}));
  platformTrust = t.trustPolicy;
  externalId = t.externalId;
  principal = t.principal;
}, 120_000);
afterAll(async () => {
  await mcp?.close();
  await aws?.close();
  await s3?.close();
});
beforeEach(() => {
  aws.scenario = goodScenario();
  aws.calls.length = 0;
});

describe('check_aws_role over stdio, against the IAM/STS/KMS stand-in and s3rver', () => {
  it('passes a role set up as the guide says, with AWS\'s simulator, and writes nothing', async () => {
    const r = await run();
    expect(r.checks.filter((c: { status: string }) => c.status !== 'passed')).toEqual([]);
    expect(r.checks.map((c: { name: string }) => c.name)).toEqual(['role', 'trust', 'files', 'list_bucket', 'bucket_location', 'get_object', 'bucket_policy', 'public_access', 'encryption']);
    expect(r.evaluatedWith).toBe('iam:SimulatePrincipalPolicy');
    expect(r.checkedAs).toBe(`arn:aws:iam::${ACCOUNT}:user/analyst`);
    expect(r.files).toEqual([]);
    expect(r.nextSteps.join('\n')).toMatch(/dry-run put_batch/);
    expect(aws.calls.filter((c) => /:(Put|Create|Update|Delete|Attach|Detach|Tag|Untag)|s3:(PUT|POST|DELETE)/.test(c))).toEqual([]);
  });

  it('evaluates locally with the library when the person may not call iam:SimulatePrincipalPolicy, and says so', async () => {
    aws.scenario.denied.add('iam:SimulatePrincipalPolicy');
    const r = await run();
    expect(r.summary).toEqual({ passed: 9, failed: 0, couldNotCheck: 0 });
    expect(r.evaluatedWith).toMatch(/^local: @cloud-copilot\/iam-simulate \S+ \(the role's 1 policy; your organization's SCPs are not seen\)/);
    expect(aws.calls).toEqual(expect.arrayContaining(['iam:ListRolePolicies', 'iam:GetRolePolicy', 'iam:ListAttachedRolePolicies']));
  });

  it('fails a trust policy with the wrong ExternalId and gives the corrected trust policy', async () => {
    const trust = aws.scenario.roles[ROLE]!.trust as any;
    trust.Statement[0].Condition.StringEquals['sts:ExternalId'] = 'my-own-guess';
    const r = await run();
    const t = check(r, 'trust');
    expect(t.status).toBe('failed');
    expect(t.message).toContain(`the ExternalId it requires is "my-own-guess", the platform sends "${externalId}"`);
    const file = JSON.parse(r.files.find((f: { name: string }) => f.name === 'trust-policy.json').content);
    expect(file.Statement).toEqual((platformTrust as any).Statement);
    expect(r.commands[0].command).toBe(`aws iam update-assume-role-policy --role-name ${ROLE} --policy-document file://trust-policy.json`);
    expect(r.summary.failed).toBe(1);
  });

  it('keeps the role\'s other trust statements in the corrected trust policy', async () => {
    const trust = aws.scenario.roles[ROLE]!.trust as any;
    trust.Statement[0].Condition.StringEquals['sts:ExternalId'] = 'my-own-guess';
    trust.Statement.push({ Sid: 'OwnAccount', Effect: 'Allow', Principal: { AWS: ACCOUNT }, Action: 'sts:AssumeRole' });
    const r = await run();
    const file = JSON.parse(r.files.find((f: { name: string }) => f.name === 'trust-policy.json').content);
    expect(file.Statement).toEqual([{ Sid: 'OwnAccount', Effect: 'Allow', Principal: { AWS: ACCOUNT }, Action: 'sts:AssumeRole' }, ...(platformTrust as any).Statement]);
  });

  it('fails a trust policy whose principal is "*", even with the right ExternalId', async () => {
    (aws.scenario.roles[ROLE]!.trust as any).Statement[0].Principal = { AWS: '*' };
    const t = check(await run(), 'trust');
    expect(t.status).toBe('failed');
    expect(t.message).toMatch(/lets any AWS principal \("\*"\) assume the role/);
    expect(t.fix.statement.Principal).toEqual({ AWS: principal });
  });

  it('fails a role without s3:GetBucketLocation and adds the statement to its inline policy', async () => {
    const p = aws.scenario.roles[ROLE]!.inline!['dfi-import-read'] as any;
    p.Statement = p.Statement.filter((s: Doc) => s.Sid !== 'FindTheBucketRegion');
    aws.scenario.denied.add('iam:SimulatePrincipalPolicy');
    const r = await run();
    const c = check(r, 'bucket_location');
    expect(c.status).toBe('failed');
    expect(c.fix).toMatchObject({ change: 'add', file: 'access-policy.json', statement: { Action: 's3:GetBucketLocation', Resource: `arn:aws:s3:::${BUCKET}` } });
    const doc = JSON.parse(r.files.find((f: { name: string }) => f.name === 'access-policy.json').content);
    expect(doc.Statement.map((s: Doc) => s.Sid)).toEqual(['ListTheImportPrefix', 'ReadTheImportFiles', 'FindTheBucketRegion']);
    expect(r.commands.map((x: { command: string }) => x.command)).toEqual([`aws iam put-role-policy --role-name ${ROLE} --policy-name dfi-import-read --policy-document file://access-policy.json`]);
    expect(r.summary).toMatchObject({ failed: 1, couldNotCheck: 0 });
  });

  it('fails an s3:ListBucket whose s3:prefix condition does not cover the prefix', async () => {
    (aws.scenario.roles[ROLE]!.inline!['dfi-import-read'] as any).Statement[0].Condition.StringLike['s3:prefix'] = ['trips/2023/*'];
    const c = check(await run(), 'list_bucket');
    expect(c.status).toBe('failed');
    expect(c.message).toContain('s3:prefix condition that does not cover this prefix');
    expect(c.fix.statement.Condition).toEqual({ StringLike: { 's3:prefix': [`${PREFIX}*`] } });
  });

  it('fails s3:GetObject granted on another prefix, naming the keys it was checked on', async () => {
    (aws.scenario.roles[ROLE]!.inline!['dfi-import-read'] as any).Statement[2].Resource = `arn:aws:s3:::${BUCKET}/trips/2023/*`;
    const c = check(await run(), 'get_object');
    expect(c.status).toBe('failed');
    expect(c.message).toContain(`2 of 2 key(s), e.g. ${PREFIX}01.csv`);
    expect(c.fix.statement.Resource).toBe(`arn:aws:s3:::${BUCKET}/${PREFIX}*`);
  });

  it('fails a bucket policy that denies everything outside a VPC endpoint, and adds an exception for the role', async () => {
    aws.scenario.buckets[BUCKET]!.policy = {
      Version: '2012-10-17',
      Statement: [
        { Sid: 'DenyInsecureTransport', Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: [`arn:aws:s3:::${BUCKET}`, `arn:aws:s3:::${BUCKET}/*`], Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
        { Sid: 'OnlyFromOurVpc', Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: [`arn:aws:s3:::${BUCKET}`, `arn:aws:s3:::${BUCKET}/*`], Condition: { StringNotEquals: { 'aws:SourceVpce': 'vpce-0a1b2c3d' } } },
      ],
    };
    const r = await run();
    const c = check(r, 'bucket_policy');
    expect(c.status).toBe('failed');
    expect(c.message).toMatch(/statement OnlyFromOurVpc denies s3:ListBucket, s3:GetBucketLocation, s3:GetObject to the role \(its aws:SourceVpce condition/);
    expect(c.message).not.toContain('DenyInsecureTransport');
    const doc = JSON.parse(r.files.find((f: { name: string }) => f.name === 'bucket-policy.json').content);
    expect(doc.Statement[0]).toEqual((aws.scenario.buckets[BUCKET]!.policy as any).Statement[0]);
    expect(doc.Statement[1].Condition).toEqual({ StringNotEquals: { 'aws:SourceVpce': 'vpce-0a1b2c3d' }, ArnNotEquals: { 'aws:PrincipalArn': ROLE_ARN } });
    expect(r.commands.at(-1).command).toBe(`aws s3api put-bucket-policy --bucket ${BUCKET} --policy file://bucket-policy.json`);
    // The role's own permissions are not blamed for the bucket's deny.
    expect(check(r, 'get_object').status).toBe('passed');
  });

  it('passes a bucket policy whose only deny is for plain HTTP', async () => {
    aws.scenario.buckets[BUCKET]!.policy = {
      Version: '2012-10-17',
      Statement: [{ Sid: 'DenyInsecureTransport', Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: [`arn:aws:s3:::${BUCKET}/*`], Condition: { Bool: { 'aws:SecureTransport': 'false' } } }],
    };
    const c = check(await run(), 'bucket_policy');
    expect(c).toMatchObject({ status: 'passed' });
    expect(c.message).toContain('the platform uses HTTPS');
  });

  it('fails an SSE-KMS bucket whose key policy does not name the role, and adds the statement to the key policy', async () => {
    const keyPolicy = { Version: '2012-10-17', Statement: [{ Sid: 'KeyAdmins', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:user/admin` }, Action: 'kms:*', Resource: '*' }] };
    aws.scenario.keys.main = { arn: KEY_ARN, policy: keyPolicy };
    aws.scenario.buckets[BUCKET]!.encryption = { kmsKeyArn: KEY_ARN };
    (aws.scenario.roles[ROLE]!.inline!['dfi-import-read'] as any).Statement.push({ Sid: 'DecryptTheImportFiles', Effect: 'Allow', Action: 'kms:Decrypt', Resource: KEY_ARN });
    const r = await run();
    expect(check(r, 'encryption')).toMatchObject({ status: 'passed' });
    expect(check(r, 'kms_decrypt')).toMatchObject({ status: 'passed' });
    const k = check(r, 'key_policy');
    expect(k.status).toBe('failed');
    expect(k.fix).toMatchObject({ change: 'add', file: 'key-policy.json', statement: { Principal: { AWS: ROLE_ARN }, Action: 'kms:Decrypt' } });
    const doc = JSON.parse(r.files.find((f: { name: string }) => f.name === 'key-policy.json').content);
    expect(doc.Statement).toHaveLength(2);
    expect(r.commands.at(-1).command).toBe(`aws kms put-key-policy --key-id ${KEY_ARN} --policy-name default --policy file://key-policy.json`);
    expect(aws.calls).toEqual(expect.arrayContaining(['kms:DescribeKey', 'kms:GetKeyPolicy']));
  });

  it('passes an SSE-KMS key whose policy delegates to the account and a role that may decrypt', async () => {
    aws.scenario.keys.main = { arn: KEY_ARN, policy: { Version: '2012-10-17', Statement: [{ Sid: 'EnableIAMUserPermissions', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' }] } };
    aws.scenario.buckets[BUCKET]!.encryption = { kmsKeyArn: KEY_ARN };
    const r = await run();
    expect(check(r, 'key_policy').status).toBe('passed');
    // ...but the role itself has no kms:Decrypt: that is the line that fails.
    expect(check(r, 'kms_decrypt')).toMatchObject({ status: 'failed', fix: { statement: { Action: 'kms:Decrypt', Resource: KEY_ARN } } });
  });

  it('says "could not check" (not "failed") when the person may not call iam:GetRole', async () => {
    aws.scenario.denied.add('iam:GetRole').add('iam:SimulatePrincipalPolicy');
    const r = await run();
    expect(check(r, 'role')).toMatchObject({ status: 'could_not_check', missingPermission: 'iam:GetRole' });
    expect(check(r, 'trust')).toMatchObject({ status: 'could_not_check', missingPermission: 'iam:GetRole' });
    expect(check(r, 'get_object')).toMatchObject({ status: 'could_not_check' });
    expect(r.summary.failed).toBe(0);
    expect(r.nextSteps.join('\n')).toMatch(/could not be made with your credentials \(missing: iam:GetRole/);
  });

  it('still checks the permissions with AWS\'s simulator when only iam:GetRole is refused', async () => {
    aws.scenario.denied.add('iam:GetRole');
    const r = await run();
    expect(check(r, 'role').status).toBe('could_not_check');
    expect(check(r, 'get_object').status).toBe('passed');
    expect(r.evaluatedWith).toBe('iam:SimulatePrincipalPolicy');
  });

  it('fails a role that does not exist and gives the documents and commands to create it', async () => {
    const r = await run({ ...ARGS, role_arn: `arn:aws:iam::${ACCOUNT}:role/no-such-role` });
    const c = check(r, 'role');
    expect(c.status).toBe('failed');
    expect(c.message).toContain('does not exist');
    expect(r.files.map((f: { name: string }) => f.name)).toEqual(['trust-policy.json', 'access-policy.json']);
    expect(r.commands[0].command).toBe('aws iam create-role --role-name no-such-role --assume-role-policy-document file://trust-policy.json');
    expect(r.checks.map((x: { name: string }) => x.name)).not.toContain('trust');
  });

  it('fails a bucket without Block Public Access', async () => {
    aws.scenario.buckets[BUCKET]!.blockPublicAccess = false;
    const r = await run();
    expect(check(r, 'public_access')).toMatchObject({ status: 'failed', fix: { file: 'public-access-block.json' } });
  });

  it('fails s3:GetObject that the permissions boundary does not allow, with the boundary\'s new version', async () => {
    const boundary = `arn:aws:iam::${ACCOUNT}:policy/dev-boundary`;
    aws.scenario.policies[boundary] = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:ListBucket', 's3:GetBucketLocation'], Resource: '*' }] };
    aws.scenario.roles[ROLE]!.boundary = boundary;
    aws.scenario.denied.add('iam:SimulatePrincipalPolicy');
    const r = await run();
    const c = check(r, 'get_object');
    expect(c.status).toBe('failed');
    expect(c.message).toContain(`its policies allow it, but its permissions boundary ${boundary} does not`);
    const doc = JSON.parse(r.files.find((f: { name: string }) => f.name === 'boundary-policy.json').content);
    expect(doc.Statement).toHaveLength(2);
    expect(r.commands[0].command).toBe(`aws iam create-policy-version --policy-arn ${boundary} --policy-document file://boundary-policy.json --set-as-default`);
  });

  it('says which account to use when the role is in another account than the credentials', async () => {
    const r = await run({ ...ARGS, role_arn: 'arn:aws:iam::444455556666:role/dfi-import' });
    expect(check(r, 'role')).toMatchObject({ status: 'could_not_check', missingPermission: 'iam:GetRole in account 444455556666' });
    expect(check(r, 'get_object').status).toBe('could_not_check');
    expect(r.summary.failed).toBe(0);
  });

  it('refuses an S3 ARN given as role_arn, with the fix', async () => {
    const res = await mcp.call('check_aws_role', { ...ARGS, role_arn: `arn:aws:s3:::${BUCKET}` });
    expect(res.isError).toBe(true);
    expect(text(res)).toMatch(/not an IAM role ARN[\s\S]*How to fix: It looks like arn:aws:iam::/);
  });
});

describe("put_batch's dry run of an s3 source checks the role's cheap parts, and only warns", () => {
  const dryRun = async () =>
    structured(
      await mcp.call('put_batch', {
        dataset_id: 'gs.dataset-1',
        source: { s3: { bucket: BUCKET, prefix: PREFIX, glob: '*.csv', role_arn: ROLE_ARN } },
        file_format: { entity_id: 0, timestamp: 1, longitude: 2, latitude: 3 },
      }),
    );

  it('passes the trust and the first keys of a correct role, without touching the bucket settings', async () => {
    const r = await dryRun();
    expect(r.preflight.checks).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'role_trust', ok: true }),
        expect.objectContaining({ name: 'role_get_object', ok: true, message: expect.stringContaining(`${PREFIX}01.csv, ${PREFIX}02.csv`) }),
      ]),
    );
    expect(r.preflight.warnings.join('\n')).not.toMatch(/role check/);
    expect(aws.calls.filter((c) => /\?(policy|encryption|publicAccessBlock)|kms:/.test(c))).toEqual([]);
  });

  it('warns about a wrong ExternalId but still returns the dry run and its confirmation', async () => {
    (aws.scenario.roles[ROLE]!.trust as any).Statement[0].Condition.StringEquals['sts:ExternalId'] = 'my-own-guess';
    const r = await dryRun();
    expect(r.job).toBeDefined();
    expect(r.preflight.checks).toContainEqual(expect.objectContaining({ name: 'role_trust', ok: false }));
    expect(r.preflight.warningCodes).toContain('role_problem');
    expect(r.preflight.warnings.join('\n')).toMatch(/The role check found a problem the import would hit: .*"my-own-guess".* check_aws_role gives the statement/);
  });

  it('warns when the role does not exist', async () => {
    delete aws.scenario.roles[ROLE];
    const r = await dryRun();
    expect(r.job).toBeDefined();
    expect(r.preflight.warnings.join('\n')).toMatch(/does not exist/);
  });

  it('says once, quietly, what it could not check when the person may not read IAM', async () => {
    aws.scenario.denied.add('iam:GetRole').add('iam:SimulatePrincipalPolicy');
    const r = await dryRun();
    expect(r.job).toBeDefined();
    expect(r.preflight.checks.filter((c: { name: string }) => c.name.startsWith('role_'))).toEqual([]);
    const w = r.preflight.warnings.filter((x: string) => /role could not be fully checked/.test(x));
    expect(w).toHaveLength(1);
    expect(w[0]).toContain('iam:GetRole');
    expect(r.preflight.warningCodes.filter((c: string) => c === 'role_not_fully_checked')).toHaveLength(1);
  });
});
