/**
 * check_aws_role's logic: does the role the person set up let the platform read the files?
 *
 * Read-only, with the person's own credentials. Each check ends in one line: passed; failed, with
 * the statement to add or fix and the whole document to save; or could not be checked, naming the
 * permission the person lacks. The platform's side of the request (its principal, its ExternalId,
 * HTTPS, from outside the person's network) is what every policy is evaluated against.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { UserFacingError } from '../errors.js';
import { buildAccessPolicy, INLINE_POLICY_NAME, inlinePolicyName, type PolicyDocument } from './iam.js';
import { checkTrustPolicy } from './trust-policy.js';
import { callerIdentity, getKey, getRole, getRolePolicies, makeRoleClients, simulatePrincipal, type NamedPolicy, type Read, type RoleClients, type RoleInfo, type SimDecision } from './iam-read.js';
import { evaluate, evaluatorName, loadEvaluator, type EvalOutcome, type Policy, type StatementRef } from './policy-eval.js';

export type CheckStatus = 'passed' | 'failed' | 'could_not_check';
export type CheckName =
  | 'role'
  | 'trust'
  | 'files'
  | 'list_bucket'
  | 'bucket_location'
  | 'get_object'
  | 'kms_decrypt'
  | 'bucket_policy'
  | 'public_access'
  | 'encryption'
  | 'key_policy';

export interface CheckLine {
  name: CheckName;
  status: CheckStatus;
  message: string;
  /** could_not_check: the permission your own identity lacks. */
  missingPermission?: string;
  /** failed: what to change, and in which file of `files` the corrected document is. */
  fix?: { change: 'add' | 'replace' | 'remove'; statement: Record<string, unknown>; file?: string };
}

export interface RoleCheckReport {
  role: string;
  checkedAs: string | null;
  evaluatedWith: string;
  checks: CheckLine[];
  files: { name: string; content: string }[];
  commands: { step: string; command: string }[];
  warnings: string[];
}

export interface PlatformTrust {
  principal: string;
  externalId: string;
  document: Record<string, unknown>;
}

export interface RoleCheckInput {
  roleArn: string;
  bucket: string;
  prefix: string | undefined;
  glob: string;
  sampleKeys: number;
  profile?: string | undefined;
  region?: string | undefined;
  s3Endpoint?: string | undefined;
  platform: PlatformTrust;
  /** 'cheap': the role, its trust and s3:GetObject on the first keys only (put_batch's dry run). */
  scope?: 'full' | 'cheap';
  /** Keys already listed (put_batch's preflight): no second listing. */
  keys?: string[];
  /** The MCP call's signal: every IAM, STS, KMS and S3 request carries it. */
  signal?: AbortSignal | undefined;
}

const ALLOW_ALL_ID = 'arn:aws:iam::999999999999:role/someone-else';
const asArray = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const json = (doc: unknown) => `${JSON.stringify(doc, null, 2)}\n`;
const accountOf = (arn: string) => arn.split(':')[4] ?? '';
export const roleNameOf = (arn: string) => arn.slice(arn.lastIndexOf('/') + 1);

/** Permission requests the platform makes with the role. */
interface PermRequest {
  check: 'list_bucket' | 'bucket_location' | 'get_object' | 'kms_decrypt';
  action: string;
  resource: string;
  context: Record<string, string>;
  /** The least-privilege statement that grants it (from the access policy get_aws_trust_policy writes). */
  grant: Record<string, unknown>;
}

export async function checkRole(input: RoleCheckInput): Promise<RoleCheckReport> {
  const { listMatchingKeys, makeS3Client, bucketRegion, bucketEncryption, bucketPublicAccess, bucketPolicy } = await import('./s3.js');
  const clients = await makeRoleClients({ profile: input.profile, region: input.region, signal: input.signal });
  const s3 = await makeS3Client({ region: input.region, profile: input.profile, endpoint: input.s3Endpoint, signal: input.signal });
  const cheap = input.scope === 'cheap';
  const checks: CheckLine[] = [];
  const files = new Map<string, string>();
  const commands: { step: string; command: string }[] = [];
  const warnings: string[] = [];
  const roleArn = input.roleArn;
  const roleName = roleNameOf(roleArn);
  const roleAccount = accountOf(roleArn);
  const where = `s3://${input.bucket}/${input.prefix ?? ''}`;
  const baseContext = {
    'aws:SecureTransport': 'true',
    'aws:PrincipalArn': roleArn,
    'aws:PrincipalAccount': roleAccount,
  };
  let evaluatedWith = 'none';
  try {
    // ---- who is asking, and the role ------------------------------------------------------------
    const caller = await callerIdentity(clients, input.profile);
    const checkedAs = caller.ok ? caller.value.arn : null;
    const otherAccount = caller.ok && caller.value.account && caller.value.account !== roleAccount ? caller.value.account : null;
    let role: RoleInfo | null = null;
    let roleMissing = false;
    if (otherAccount) {
      const msg = `The role is in account ${roleAccount}; your credentials are for account ${otherAccount}, and IAM only shows a role to its own account.`;
      checks.push({ name: 'role', status: 'could_not_check', message: `${msg} Run the check with a profile for account ${roleAccount}.`, missingPermission: `iam:GetRole in account ${roleAccount}` });
    } else {
      const got = await getRole(clients, roleName, input.profile);
      if (got.ok) {
        role = got.value;
        checks.push({ name: 'role', status: 'passed', message: `The role ${role.arn} exists${role.boundaryArn ? `, with the permissions boundary ${role.boundaryArn}` : ''}.` });
      } else if (got.reason === 'not_found') {
        roleMissing = true;
        const access = buildAccessPolicy({ bucket: input.bucket, prefix: input.prefix });
        files.set('trust-policy.json', json(input.platform.document));
        files.set('access-policy.json', json(access));
        commands.push(
          { step: 'Create the role with the platform\'s trust policy', command: `aws iam create-role --role-name ${roleName} --assume-role-policy-document file://trust-policy.json` },
          { step: 'Give it read access to the import files (an inline policy named after this bucket and prefix)', command: `aws iam put-role-policy --role-name ${roleName} --policy-name ${inlinePolicyName(input.bucket, input.prefix)} --policy-document file://access-policy.json` },
        );
        checks.push({
          name: 'role',
          status: 'failed',
          message: `The role ${roleArn} does not exist in account ${roleAccount} (iam:GetRole: NoSuchEntity). Check the ARN (aws iam get-role --role-name ${roleName} --query Role.Arn), or create it with trust-policy.json and access-policy.json.`,
          fix: { change: 'add', statement: asArray(input.platform.document.Statement as Record<string, unknown>[])[0] ?? {}, file: 'trust-policy.json' },
        });
      } else {
        checks.push(couldNot('role', got, `Whether ${roleArn} exists`));
      }
    }

    // ---- 1. trust -------------------------------------------------------------------------------
    if (role) {
      checks.push(await trustCheck(role, input.platform, files, commands));
    } else if (!roleMissing) {
      checks.push({
        name: 'trust',
        status: 'could_not_check',
        message: 'The role\'s trust policy could not be read, so whether the platform may assume the role is unknown.',
        missingPermission: otherAccount ? `iam:GetRole in account ${roleAccount}` : 'iam:GetRole',
      });
    }

    // ---- the files, listed with the person's own credentials ------------------------------------
    let keys = input.keys?.slice(0, input.sampleKeys);
    let region: string | null = null;
    if (!cheap) region = await bucketRegion(s3, input.bucket).catch(() => null);
    if (!keys) {
      try {
        const listing = await listMatchingKeys(s3, input.bucket, input.prefix, input.glob, { examples: input.sampleKeys, maxKeys: 100_000 });
        keys = listing.examples.map((e) => e.key);
        checks.push(
          listing.matched > 0
            ? { name: 'files', status: 'passed', message: `${listing.matched}${listing.truncated ? '+' : ''} key(s) under ${where} match "${input.glob}"; the role is checked on the first ${keys.length}.` }
            : {
                name: 'files',
                status: 'failed',
                message: `Nothing under ${where} matches "${input.glob}" (${listing.total} keys there): the import would find no files. Fix the prefix or the glob (check_s3_source shows how it reads).`,
              },
        );
      } catch (err) {
        const denied = (err as { kind?: string }).kind === 'aws_access_denied';
        checks.push({
          name: 'files',
          status: 'could_not_check',
          message: `The keys under ${where} could not be listed with your credentials (${(err as Error).message.split('\n')[0]}); s3:GetObject is checked on a key of the prefix instead.`,
          ...(denied ? { missingPermission: 's3:ListBucket (for you, on the bucket)' } : {}),
        });
        keys = [];
      }
    }
    const objectKeys = keys.length ? keys : [`${input.prefix ?? ''}example.csv`];

    // ---- resource-side facts ----------------------------------------------------------------------
    const policyRead = cheap ? null : await bucketPolicy(s3, input.bucket);
    const encryption = cheap ? null : await bucketEncryption(s3, input.bucket);
    let keyArn: string | null = null;
    let keyRead: KeyRead | null = null;
    if (encryption?.status === 'sse-kms' && encryption.kmsKeyId) {
      keyRead = await getKey(clients, encryption.kmsKeyId, region ?? input.region ?? 'us-east-1', input.profile);
      keyArn = keyRead.ok ? keyRead.value.arn : /^arn:/.test(encryption.kmsKeyId) ? encryption.kmsKeyId : null;
    }

    // ---- 2. permissions ---------------------------------------------------------------------------
    const bucketArn = `arn:aws:s3:::${input.bucket}`;
    const grants = buildAccessPolicy({ bucket: input.bucket, prefix: input.prefix }, keyArn ?? undefined).Statement;
    const grant = (sid: string) => grants.find((s) => s.Sid === sid)!;
    const requests: PermRequest[] = cheap
      ? []
      : [
          { check: 'list_bucket', action: 's3:ListBucket', resource: bucketArn, context: { ...baseContext, ...(input.prefix ? { 's3:prefix': input.prefix } : {}) }, grant: grant('ListTheImportPrefix') },
          { check: 'bucket_location', action: 's3:GetBucketLocation', resource: bucketArn, context: baseContext, grant: grant('FindTheBucketRegion') },
        ];
    for (const key of objectKeys) requests.push({ check: 'get_object', action: 's3:GetObject', resource: `${bucketArn}/${key}`, context: baseContext, grant: grant('ReadTheImportFiles') });
    if (keyArn) {
      requests.push({
        check: 'kms_decrypt',
        action: 'kms:Decrypt',
        resource: keyArn,
        context: { ...baseContext, 'kms:ViaService': `s3.${region ?? 'us-east-1'}.amazonaws.com`, 'kms:CallerAccount': roleAccount },
        grant: grant('DecryptTheImportFiles'),
      });
    }
    const bucketDoc = policyRead?.ok ? policyRead.policy : null;
    const keyDoc = keyRead?.ok && keyRead.value.policy.ok ? keyRead.value.policy.value : null;
    const perm = await permissionChecks(clients, input, role, roleMissing, otherAccount, requests, { bucket: bucketDoc, key: keyDoc }, files, commands);
    evaluatedWith = perm.evaluatedWith;
    checks.push(...perm.lines);

    // ---- 3. resource side -------------------------------------------------------------------------
    if (!cheap) {
      checks.push(await bucketPolicyCheck(input, policyRead!, requests, baseContext, files, commands));
      const pub = await bucketPublicAccess(s3, input.bucket);
      if (pub.status === 'blocked') checks.push({ name: 'public_access', status: 'passed', message: 'Block Public Access is on for the bucket; it is not public.' });
      else if (pub.status === 'unknown') {
        checks.push({ name: 'public_access', status: 'could_not_check', message: pub.detail, ...(pub.missingPermission ? { missingPermission: `${pub.missingPermission} and s3:GetBucketPolicyStatus` } : {}) });
      } else {
        const block = { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true };
        files.set('public-access-block.json', json(block));
        commands.push({ step: 'Block public access to the bucket', command: `aws s3api put-public-access-block --bucket ${input.bucket} --public-access-block-configuration file://public-access-block.json` });
        checks.push({ name: 'public_access', status: 'failed', message: pub.detail, fix: { change: 'replace', statement: block, file: 'public-access-block.json' } });
      }
      const enc = encryption!;
      if (enc.status === 'unknown') {
        checks.push({ name: 'encryption', status: 'could_not_check', message: enc.detail, ...(enc.missingPermission ? { missingPermission: enc.missingPermission } : {}) });
      } else {
        checks.push({ name: 'encryption', status: 'passed', message: enc.status === 'sse-kms' ? `Default encryption is SSE-KMS with the key ${keyArn ?? enc.kmsKeyId ?? '(not named)'}: the key is checked below.` : enc.detail });
      }
      if (enc.status === 'sse-kms') checks.push(keyPolicyCheck(roleArn, roleAccount, region, enc.kmsKeyId, keyRead, files, commands, await keyPolicyEval(roleArn, roleAccount, region, keyRead)));
    }
    if (!(await loadEvaluator())) warnings.push(`The local policy evaluator (${evaluatorName()}) is not installed: trust, bucket and key policies could not be evaluated.`);
    return {
      role: roleArn,
      checkedAs,
      evaluatedWith,
      checks,
      files: [...files].map(([name, content]) => ({ name, content })),
      commands,
      warnings,
    };
  } finally {
    clients.destroy();
    (s3 as S3Client).destroy();
  }
}

function couldNot(name: CheckName, r: Exclude<Read<unknown>, { ok: true }>, what: string): CheckLine {
  return r.reason === 'denied'
    ? { name, status: 'could_not_check', message: `${what} could not be checked: ${r.message}.`, missingPermission: r.permission }
    : { name, status: 'could_not_check', message: `${what} could not be checked: ${r.message}.` };
}

// ---- trust ------------------------------------------------------------------------------------------

function grantsAssume(s: Record<string, unknown>): boolean {
  return s.Effect === 'Allow' && asArray(s.Action as string | string[]).some((a) => a === 'sts:AssumeRole' || a === 'sts:*' || a === '*');
}
function principalsOf(s: Record<string, unknown>): string[] {
  const p = s.Principal as string | { AWS?: string | string[] } | undefined;
  if (p === '*') return ['*'];
  return typeof p === 'object' && p ? asArray(p.AWS) : [];
}

async function trustCheck(role: RoleInfo, platform: PlatformTrust, files: Map<string, string>, commands: { step: string; command: string }[]): Promise<CheckLine> {
  const doc = role.trustPolicy;
  const platformAccount = accountOf(platform.principal);
  const problems: string[] = [];
  if (!doc) problems.push('the role\'s trust policy could not be read as JSON');
  const statements = asArray(doc?.Statement as Record<string, unknown>[] | undefined);
  const wildcard = statements.filter((s) => grantsAssume(s) && principalsOf(s).includes('*'));
  if (wildcard.length) problems.push(`a statement (${wildcard.map((s) => (typeof s.Sid === 'string' ? s.Sid : `#${statements.indexOf(s) + 1}`)).join(', ')}) lets any AWS principal ("*") assume the role`);
  const ctx = (principal: string, externalId: string | null) => ({
    'aws:SecureTransport': 'true',
    'aws:PrincipalArn': principal,
    'aws:PrincipalAccount': accountOf(principal),
    ...(externalId !== null ? { 'sts:ExternalId': externalId } : {}),
  });
  const run = (principal: string, externalId: string | null) =>
    evaluate({ principal, action: 'sts:AssumeRole', resource: role.arn, resourceAccount: role.account, context: ctx(principal, externalId), identity: 'any', resourcePolicy: doc });
  let evaluated = false;
  if (doc) {
    const main = await run(platform.principal, platform.externalId);
    if (main) {
      evaluated = true;
      if (main.result !== 'Allowed') problems.unshift(...trustMisses(main, statements, platform));
      else {
        const noId = await run(platform.principal, null);
        if (noId?.result === 'Allowed') problems.push('it does not require the ExternalId (sts:ExternalId): anyone who can act as the platform\'s principal could make it read your bucket');
        const sameAccount = await run(`arn:aws:iam::${platformAccount}:role/another-role`, platform.externalId);
        if (sameAccount?.result === 'Allowed' && !wildcard.length) problems.push(`it trusts every principal of the platform's account ${platformAccount}, not only the platform's role ${platform.principal}`);
        const stranger = await run(ALLOW_ALL_ID, platform.externalId);
        if (stranger?.result === 'Allowed' && !wildcard.length) problems.push('a principal outside the platform\'s account may assume it too');
      }
    }
  }
  if (!problems.length && evaluated) {
    return { name: 'trust', status: 'passed', message: `The trust policy lets only the platform's role ${platform.principal} assume the role, with the ExternalId "${platform.externalId}".` };
  }
  if (!problems.length) {
    return { name: 'trust', status: 'could_not_check', message: 'The trust policy was read but could not be evaluated (the local policy evaluator is not installed).' };
  }
  // The fix: the role's other statements as they are, and the platform's statement(s) in place of the ones about it.
  const related = (s: Record<string, unknown>) =>
    grantsAssume(s) && principalsOf(s).some((p) => p === '*' || p === platform.principal || accountOf(p) === platformAccount || p === platformAccount);
  const kept = statements.filter((s) => !related(s));
  const platformStatements = asArray(platform.document.Statement as Record<string, unknown>[]);
  const fixed = { Version: '2012-10-17', Statement: [...kept, ...platformStatements] };
  files.set('trust-policy.json', json(fixed));
  commands.push({
    step: `Replace the role's trust policy${kept.length ? ` (your ${kept.length} other statement(s) are kept as they are)` : ''}`,
    command: `aws iam update-assume-role-policy --role-name ${role.name} --policy-document file://trust-policy.json`,
  });
  return {
    name: 'trust',
    status: 'failed',
    message: `The platform could not assume the role safely: ${problems.join('; ')}.`,
    fix: { change: 'replace', statement: platformStatements[0] ?? {}, file: 'trust-policy.json' },
  };
}

/** Why the platform's AssumeRole request is not allowed, from the statements that did not apply. */
function trustMisses(out: EvalOutcome, statements: Record<string, unknown>[], platform: PlatformTrust): string[] {
  if (out.result === 'ExplicitlyDenied') return [`a Deny statement (${out.denies.map((d) => d.id).join(', ')}) refuses it`];
  const reasons: string[] = [];
  const naming = statements.filter((s) => grantsAssume(s) && principalsOf(s).some((p) => p === platform.principal || p === '*' || p === `arn:aws:iam::${accountOf(platform.principal)}:root`));
  if (!naming.length) reasons.push(`no statement allows sts:AssumeRole to the platform's role ${platform.principal}`);
  for (const m of out.unmatchedResource) {
    for (const c of m.unmetConditions ?? []) {
      if (c.key.toLowerCase() === 'sts:externalid') {
        const theirs = Object.values((m.statement.Condition as Record<string, Record<string, unknown>>) ?? {})
          .map((o) => Object.entries(o).find(([k]) => k.toLowerCase() === 'sts:externalid')?.[1])
          .find((v) => v !== undefined);
        reasons.push(`the ExternalId it requires is ${JSON.stringify(theirs)}, the platform sends "${platform.externalId}"`);
      } else {
        reasons.push(`the condition ${c.operator} on ${c.key} (statement ${m.id}) is one the platform's request ${c.missing ? 'does not carry' : 'does not meet'}`);
      }
    }
  }
  if (!reasons.length) reasons.push(`no statement allows sts:AssumeRole to ${platform.principal} with the ExternalId "${platform.externalId}"`);
  return [...new Set(reasons)];
}

// ---- permissions ------------------------------------------------------------------------------------

interface Verdict {
  decision: 'allowed' | 'explicitDeny' | 'implicitDeny' | 'unknown';
  /** The boundary refused it while the identity policies allow it. */
  boundaryBlocks?: boolean;
  denies?: StatementRef[];
  via?: string;
}

async function permissionChecks(
  clients: RoleClients,
  input: RoleCheckInput,
  role: RoleInfo | null,
  roleMissing: boolean,
  otherAccount: string | null,
  requests: PermRequest[],
  resourceDocs: { bucket: Record<string, unknown> | null; key: Record<string, unknown> | null },
  files: Map<string, string>,
  commands: { step: string; command: string }[],
): Promise<{ lines: CheckLine[]; evaluatedWith: string }> {
  if (roleMissing || !requests.length) return { lines: [], evaluatedWith: 'none' };
  const verdicts = new Map<PermRequest, Verdict>();
  let evaluatedWith = 'iam:SimulatePrincipalPolicy';
  let cannot: CheckLine | null = null;
  let policies: Read<{ identity: NamedPolicy[]; boundary: NamedPolicy | null; inlineNames: string[] }> | null = null;

  // AWS's own simulator first: it sees the role's policies, its boundary and the account's SCPs.
  // IAM answers only about its own account's roles.
  let simulatorDenied = otherAccount !== null;
  for (const r of otherAccount ? [] : requests) {
    const sim = await simulatePrincipal(clients, input.roleArn, { action: r.action, resources: [r.resource], context: r.context }, input.profile);
    if (!sim.ok) {
      simulatorDenied = true;
      break;
    }
    const d: SimDecision | undefined = sim.value[0];
    verdicts.set(r, { decision: d?.decision ?? 'unknown', ...(d?.allowedByBoundary === false ? { boundaryBlocks: true } : {}) });
  }
  if (simulatorDenied) {
    verdicts.clear();
    const lib = await loadEvaluator();
    if (!role) {
      const account = accountOf(input.roleArn);
      cannot = otherAccount
        ? { name: 'list_bucket', status: 'could_not_check', message: `The role's permissions could not be read: the role is in account ${account}, your credentials are for another account.`, missingPermission: `iam:SimulatePrincipalPolicy or iam:GetRole in account ${account}` }
        : { name: 'list_bucket', status: 'could_not_check', message: 'The role\'s permissions could not be read: iam:SimulatePrincipalPolicy was refused, and a local evaluation needs the role (iam:GetRole).', missingPermission: 'iam:SimulatePrincipalPolicy, or iam:GetRole with iam:ListRolePolicies, iam:GetRolePolicy, iam:ListAttachedRolePolicies, iam:GetPolicy, iam:GetPolicyVersion' };
    } else if (!lib) {
      cannot = { name: 'list_bucket', status: 'could_not_check', message: `iam:SimulatePrincipalPolicy was refused and the local evaluator (${evaluatorName()}) is not installed.`, missingPermission: 'iam:SimulatePrincipalPolicy' };
    } else {
      policies = await getRolePolicies(clients, role, input.profile);
      if (!policies.ok) {
        cannot = {
          name: 'list_bucket',
          status: 'could_not_check',
          message: `iam:SimulatePrincipalPolicy was refused, and the role's policies could not be read for a local evaluation (${policies.message}).`,
          missingPermission: policies.reason === 'denied' ? `iam:SimulatePrincipalPolicy, or ${policies.permission}` : 'iam:SimulatePrincipalPolicy',
        };
      } else {
        evaluatedWith = `local: ${evaluatorName()} (the role's ${policies.value.identity.length} polic${policies.value.identity.length === 1 ? 'y' : 'ies'}${policies.value.boundary ? ' and its permissions boundary' : ''}; your organization's SCPs are not seen)`;
        for (const r of requests) {
          const out = await evaluate({
            principal: input.roleArn,
            action: r.action,
            resource: r.resource,
            resourceAccount: r.action.startsWith('kms:') ? accountOf(r.resource) : accountOf(input.roleArn),
            context: r.context,
            identity: policies.value.identity.map((p) => ({ name: p.name, policy: p.document })),
            boundary: policies.value.boundary ? { name: policies.value.boundary.name, policy: policies.value.boundary.document } : null,
            // KMS always needs a key policy; this one only defers to IAM, so the role's own policies decide (the key's real policy is key_policy's line).
            ...(r.action.startsWith('kms:') ? { resourcePolicy: deferToIam(accountOf(r.resource)) } : {}),
          });
          if (!out) continue;
          verdicts.set(r, {
            decision: out.result === 'Allowed' ? 'allowed' : out.result === 'ExplicitlyDenied' ? 'explicitDeny' : 'implicitDeny',
            ...(out.identity === 'Allowed' && out.boundary && out.boundary !== 'Allowed' ? { boundaryBlocks: true } : {}),
            denies: out.denies,
          });
        }
      }
    }
  }
  // Same account: a bucket or key policy that names the role grants it without an identity policy.
  for (const r of requests) {
    const v = verdicts.get(r);
    const kms = r.action.startsWith('kms:');
    const doc = kms ? resourceDocs.key : resourceDocs.bucket;
    if (v?.decision !== 'implicitDeny' || v.boundaryBlocks || !doc) continue;
    const out = await evaluate({ principal: input.roleArn, action: r.action, resource: r.resource, resourceAccount: kms ? accountOf(r.resource) : accountOf(input.roleArn), context: r.context, identity: [], resourcePolicy: doc });
    if (out?.result === 'Allowed') verdicts.set(r, { decision: 'allowed', via: kms ? 'the key policy' : 'the bucket policy' });
  }

  const lines: CheckLine[] = [];
  const missing: Record<string, unknown>[] = [];
  const boundaryMissing: Record<string, unknown>[] = [];
  const groups: PermRequest['check'][] = ['list_bucket', 'bucket_location', 'get_object', 'kms_decrypt'];
  for (const check of groups) {
    const rs = requests.filter((r) => r.check === check);
    if (!rs.length) continue;
    if (cannot) {
      lines.push({ ...cannot, name: check });
      continue;
    }
    const bad = rs.filter((r) => verdicts.get(r)?.decision !== 'allowed');
    const what = check === 'get_object' && bad.length ? 'read the files (s3:GetObject)' : describe(check, input, rs);
    if (!bad.length) {
      const via = rs.map((r) => verdicts.get(r)?.via).find(Boolean);
      lines.push({ name: check, status: 'passed', message: `The role may ${what}${via ? ` (granted by ${via})` : ''}.` });
      continue;
    }
    const v = verdicts.get(bad[0]!)!;
    const which = check === 'get_object' ? ` (${bad.length} of ${rs.length} key(s), e.g. ${bad[0]!.resource.slice(`arn:aws:s3:::${input.bucket}/`.length)})` : '';
    if (v.decision === 'explicitDeny') {
      const d = v.denies?.[0];
      lines.push({
        name: check,
        status: 'failed',
        message: `The role may not ${what}${which}: explicitly denied${d ? ` by statement ${d.id} of ${d.policy}` : ' by a Deny statement in its policies or your organization\'s SCPs'}. Remove or narrow that statement: a Deny wins over any Allow.`,
        ...(d ? { fix: { change: 'remove' as const, statement: d.statement } } : {}),
      });
    } else if (v.boundaryBlocks) {
      boundaryMissing.push(bad[0]!.grant);
      lines.push({
        name: check,
        status: 'failed',
        message: `The role may not ${what}${which}: its policies allow it, but its permissions boundary${role?.boundaryArn ? ` ${role.boundaryArn}` : ''} does not. Add the statement to the boundary policy.`,
        fix: { change: 'add', statement: bad[0]!.grant, ...(policies?.ok && policies.value.boundary ? { file: 'boundary-policy.json' } : {}) },
      });
    } else if (v.decision === 'unknown') {
      lines.push({ name: check, status: 'could_not_check', message: `The role's permission to ${what} could not be evaluated.` });
    } else {
      missing.push(bad[0]!.grant);
      const near = check === 'list_bucket' && input.prefix ? ` for the prefix "${input.prefix}" (a statement may allow it only with an s3:prefix condition that does not cover this prefix)` : '';
      lines.push({
        name: check,
        status: 'failed',
        message: `The role may not ${what}${which}: no statement of its policies allows ${bad[0]!.action} on ${bad[0]!.resource}${near}. Add the statement ${String(bad[0]!.grant.Sid)}.`,
        fix: { change: 'add', statement: bad[0]!.grant, file: 'access-policy.json' },
      });
    }
  }
  if (missing.length) {
    // Merge with the role's dfi-import-read inline policy when it has one: put-role-policy replaces the whole document.
    // (This bucket and prefix's own inline policy, or one of the older, single name.)
    const names = [inlinePolicyName(input.bucket, input.prefix), INLINE_POLICY_NAME];
    const existing = policies?.ok ? names.map((n) => policies.value.identity.find((p) => p.kind === 'inline' && p.name === `inline ${n}`)).find((p) => p !== undefined) : undefined;
    const policyName = existing ? existing.name.replace(/^inline /, '') : names[0]!;
    const doc: PolicyDocument = { Version: '2012-10-17', Statement: [...asArray(existing?.document.Statement as Record<string, unknown>[] | undefined), ...missing] };
    files.set('access-policy.json', json(doc));
    commands.push({
      step: existing ? `Update the role's inline policy ${policyName} (its statements are kept; the missing ones are added)` : `Add the missing statements as the inline policy ${policyName} (named after this bucket and prefix, so that grants for other buckets are kept)`,
      command: `aws iam put-role-policy --role-name ${roleNameOf(input.roleArn)} --policy-name ${policyName} --policy-document file://access-policy.json`,
    });
  }
  if (boundaryMissing.length && policies?.ok && policies.value.boundary?.arn) {
    const b = policies.value.boundary;
    files.set('boundary-policy.json', json({ Version: '2012-10-17', Statement: [...asArray(b.document.Statement as Record<string, unknown>[]), ...boundaryMissing] }));
    commands.push({ step: 'Add the statements to the permissions boundary (a new default version)', command: `aws iam create-policy-version --policy-arn ${b.arn} --policy-document file://boundary-policy.json --set-as-default` });
  }
  return { lines, evaluatedWith: cannot ? 'none' : evaluatedWith };
}

/** The key policy statement that lets the account's IAM policies decide (AWS's default key policy). */
export function deferToIam(account: string): Policy {
  return { Version: '2012-10-17', Statement: [{ Sid: 'EnableIAMPolicies', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: 'kms:*', Resource: '*' }] };
}

function describe(check: PermRequest['check'], input: RoleCheckInput, rs: PermRequest[]): string {
  switch (check) {
    case 'list_bucket':
      return `list the bucket ${input.bucket}${input.prefix ? ` under the prefix "${input.prefix}"` : ''} (s3:ListBucket)`;
    case 'bucket_location':
      return `find the bucket's region (s3:GetBucketLocation)`;
    case 'get_object':
      return `read the files (s3:GetObject on ${rs.length} key(s): ${rs.map((r) => r.resource.slice(`arn:aws:s3:::${input.bucket}/`.length)).join(', ')})`;
    case 'kms_decrypt':
      return `decrypt with the bucket's KMS key (kms:Decrypt on ${rs[0]!.resource})`;
  }
}

// ---- the bucket policy -----------------------------------------------------------------------------

const NETWORK_KEYS = /^aws:(SourceVpc|SourceVpce|SourceIp|VpcSourceIp|SourceVpcArn)$/i;

async function bucketPolicyCheck(
  input: RoleCheckInput,
  read: { ok: true; policy: Record<string, unknown> | null } | { ok: false; denied: boolean; detail: string },
  requests: PermRequest[],
  context: Record<string, string>,
  files: Map<string, string>,
  commands: { step: string; command: string }[],
): Promise<CheckLine> {
  if (!read.ok) {
    return {
      name: 'bucket_policy',
      status: 'could_not_check',
      message: `The bucket policy could not be read (${read.detail}), so its explicit denies are unknown.`,
      ...(read.denied ? { missingPermission: 's3:GetBucketPolicy' } : {}),
    };
  }
  const doc = read.policy;
  if (!doc) return { name: 'bucket_policy', status: 'passed', message: 'The bucket has no bucket policy: nothing there denies the role.' };
  const statements = asArray(doc.Statement as Record<string, unknown>[]);
  const denying = new Map<string, { ref: StatementRef; actions: Set<string> }>();
  let evaluated = false;
  for (const r of requests.filter((q) => q.action.startsWith('s3:'))) {
    const out = await evaluate({ principal: input.roleArn, action: r.action, resource: r.resource, resourceAccount: accountOf(input.roleArn), context: { ...context, ...r.context }, identity: 'any', resourcePolicy: doc });
    if (!out) break;
    evaluated = true;
    for (const d of out.denies) {
      const entry = denying.get(d.id) ?? { ref: d, actions: new Set<string>() };
      entry.actions.add(r.action);
      denying.set(d.id, entry);
    }
  }
  if (!evaluated) return { name: 'bucket_policy', status: 'could_not_check', message: 'The bucket policy was read but could not be evaluated (the local policy evaluator is not installed).' };
  const tls = statements.some((s) => s.Effect === 'Deny' && JSON.stringify(s.Condition ?? {}).includes('aws:SecureTransport'));
  if (!denying.size) {
    return {
      name: 'bucket_policy',
      status: 'passed',
      message: `The bucket policy (${statements.length} statement(s)) denies none of the platform's requests${tls ? '; its aws:SecureTransport deny only refuses plain HTTP, and the platform uses HTTPS' : ''}.`,
    };
  }
  // The fix: an exception for the role in each denying statement; everything else unchanged.
  const fixedStatements = statements.map((s, i) => {
    const id = typeof s.Sid === 'string' ? s.Sid : String(i + 1);
    if (!denying.has(id)) return s;
    const cond = { ...((s.Condition as Record<string, Record<string, unknown>>) ?? {}) };
    const arnNot = { ...(cond.ArnNotEquals ?? {}) };
    const current = asArray(arnNot['aws:PrincipalArn'] as string | string[] | undefined);
    arnNot['aws:PrincipalArn'] = current.length ? [...new Set([...current, input.roleArn])] : input.roleArn;
    cond.ArnNotEquals = arnNot;
    return { ...s, Condition: cond };
  });
  const fixedDoc = { ...doc, Statement: fixedStatements };
  files.set('bucket-policy.json', json(fixedDoc));
  commands.push({ step: 'Replace the bucket policy (the denying statements get an exception for the role; nothing else changes)', command: `aws s3api put-bucket-policy --bucket ${input.bucket} --policy file://bucket-policy.json` });
  const parts = [...denying.values()].map(({ ref, actions }) => {
    const network = JSON.stringify(ref.statement.Condition ?? {}).match(/aws:[A-Za-z]+/g)?.filter((k) => NETWORK_KEYS.test(k)) ?? [];
    return `statement ${ref.id} denies ${[...actions].join(', ')} to the role${network.length ? ` (its ${[...new Set(network)].join('/')} condition only lets requests from your own network through; the platform reads from outside it)` : ''}`;
  });
  const first = [...denying.keys()][0]!;
  const fixedFirst = fixedStatements.find((s, i) => (typeof s.Sid === 'string' ? s.Sid : String(i + 1)) === first)!;
  return {
    name: 'bucket_policy',
    status: 'failed',
    message: `The bucket policy explicitly denies the role: ${parts.join('; ')}. A Deny wins over any Allow; give the role an exception (bucket-policy.json).`,
    fix: { change: 'replace', statement: fixedFirst, file: 'bucket-policy.json' },
  };
}

// ---- the KMS key -----------------------------------------------------------------------------------

type KeyRead = Awaited<ReturnType<typeof getKey>>;

async function keyPolicyEval(roleArn: string, roleAccount: string, region: string | null, key: KeyRead | null): Promise<EvalOutcome | null> {
  if (!key?.ok || !key.value.policy.ok) return null;
  return evaluate({
    principal: roleArn,
    action: 'kms:Decrypt',
    resource: key.value.arn,
    resourceAccount: key.value.account,
    context: { 'aws:SecureTransport': 'true', 'aws:PrincipalArn': roleArn, 'aws:PrincipalAccount': roleAccount, 'kms:ViaService': `s3.${region ?? key.value.region}.amazonaws.com`, 'kms:CallerAccount': roleAccount },
    identity: 'any',
    resourcePolicy: key.value.policy.value,
  });
}

function keyPolicyCheck(
  roleArn: string,
  roleAccount: string,
  _region: string | null,
  keyId: string | null,
  key: KeyRead | null,
  files: Map<string, string>,
  commands: { step: string; command: string }[],
  out: EvalOutcome | null,
): CheckLine {
  if (!keyId) return { name: 'key_policy', status: 'could_not_check', message: 'The bucket uses SSE-KMS without naming a key (the AWS managed key aws/s3): it cannot be used by a role of another account.' };
  if (!key) return { name: 'key_policy', status: 'could_not_check', message: `The KMS key ${keyId} could not be read.` };
  if (!key.ok) return couldNot('key_policy', key, `The KMS key ${keyId}`);
  const k = key.value;
  if (k.state !== 'Enabled') return { name: 'key_policy', status: 'failed', message: `The KMS key ${k.arn} is ${k.state}: nothing can decrypt with it. Enable the key (or re-encrypt the files with an enabled one).` };
  if (k.manager === 'AWS') {
    return k.account === roleAccount
      ? { name: 'key_policy', status: 'passed', message: `The key is the AWS managed key for S3 in the role's account: its policy allows the account's principals through S3.` }
      : { name: 'key_policy', status: 'failed', message: `The key is an AWS managed key of account ${k.account}; it cannot be used from the role's account ${roleAccount}. Use a customer managed key.` };
  }
  if (!k.policy.ok) return couldNot('key_policy', k.policy, `The key policy of ${k.arn}`);
  if (!out) return { name: 'key_policy', status: 'could_not_check', message: 'The key policy was read but could not be evaluated (the local policy evaluator is not installed).' };
  if (out.result === 'Allowed') return { name: 'key_policy', status: 'passed', message: `The key policy of ${k.arn} lets the role decrypt (kms:Decrypt).` };
  const statement = { Sid: 'AllowDfiImportRoleToDecrypt', Effect: 'Allow', Principal: { AWS: roleArn }, Action: 'kms:Decrypt', Resource: '*' };
  const doc = k.policy.value;
  if (out.result === 'ExplicitlyDenied') {
    const d = out.denies[0];
    return {
      name: 'key_policy',
      status: 'failed',
      message: `The key policy of ${k.arn} explicitly denies the role kms:Decrypt${d ? ` (statement ${d.id})` : ''}. Remove or narrow that statement.`,
      ...(d ? { fix: { change: 'remove' as const, statement: d.statement } } : {}),
    };
  }
  files.set('key-policy.json', json({ ...doc, Statement: [...asArray(doc.Statement as Record<string, unknown>[]), statement] }));
  commands.push({ step: 'Let the role decrypt with the key (the key policy, with one statement added)', command: `aws kms put-key-policy --key-id ${k.arn} --policy-name default --policy file://key-policy.json` });
  return {
    name: 'key_policy',
    status: 'failed',
    message: `The key policy of ${k.arn} does not let the role use the key: it neither names the role nor delegates to the account's IAM policies (arn:aws:iam::${k.account}:root). The files are SSE-KMS encrypted, so reads would fail with AccessDenied. Add the statement.`,
    fix: { change: 'add', statement, file: 'key-policy.json' },
  };
}

/** The platform's principal and ExternalId, exactly as get_aws_trust_policy reads them. */
export async function platformTrust(client: { getAwsTrustPolicy(): Promise<unknown> }): Promise<{ principal: string; externalId: string; document: Record<string, unknown> }> {
  const report = checkTrustPolicy(await client.getAwsTrustPolicy());
  if (!report.document || !report.principal || report.principal === '*' || !report.externalId) {
    throw new UserFacingError('platform_trust_policy', "the platform's trust policy has no role principal or no ExternalId, so a role cannot be checked against it.", {
      hint: 'Call get_aws_trust_policy to see its checks, and contact General System support.',
    });
  }
  return { principal: report.principal, externalId: report.externalId, document: report.document };
}

export type { Policy };
