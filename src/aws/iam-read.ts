/**
 * Read-only calls to IAM, STS and KMS with the person's own credentials, for check_aws_role.
 *
 * Every read returns a `Read<T>`: the value, or why it could not be read. "Denied" names the
 * permission the person lacks, so that the check can say "could not be checked: you need
 * iam:GetRole" instead of calling a role wrong. Nothing here writes: only Get/List/Describe and
 * iam:SimulatePrincipalPolicy (which evaluates, and changes nothing).
 *
 * The SDK clients are loaded on first use. Endpoints follow the SDK's own configuration
 * (AWS_ENDPOINT_URL_IAM, AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL_KMS), which the tests point at a
 * local stand-in.
 */
import type { IAMClient } from '@aws-sdk/client-iam';
import type { KMSClient } from '@aws-sdk/client-kms';
import type { STSClient } from '@aws-sdk/client-sts';
import { describeError, UserFacingError } from '../errors.js';
import { awsProxyAgents } from '../net/proxy.js';
import { s3Error, sendWithSignal } from './s3.js';

export type Read<T> =
  | { ok: true; value: T }
  | { ok: false; reason: 'denied'; permission: string; message: string }
  | { ok: false; reason: 'not_found'; message: string }
  | { ok: false; reason: 'error'; message: string };

export interface AwsReadOptions {
  profile?: string | undefined;
  region?: string | undefined;
  /** Every request carries it: the MCP call's signal. */
  signal?: AbortSignal | undefined;
}

export interface RoleClients {
  iam: IAMClient;
  sts: STSClient;
  kms(region: string): Promise<KMSClient>;
  destroy(): void;
}

/** Client settings; `endpoint` is where the requests go (the SDK's AWS_ENDPOINT_URL_<SERVICE>, or AWS's host), for the proxy decision. */
const common = async (opts: AwsReadOptions, endpoint: string) => ({
  ...(opts.profile ? { profile: opts.profile } : {}),
  maxAttempts: 3,
  requestHandler: { connectionTimeout: 5_000, requestTimeout: 20_000, ...(await awsProxyAgents(endpoint)) },
});
const endpointOf = (service: 'IAM' | 'STS' | 'KMS', awsHost: string) => process.env[`AWS_ENDPOINT_URL_${service}`] ?? process.env.AWS_ENDPOINT_URL ?? `https://${awsHost}`;

/** IAM and STS clients (global; us-east-1 unless a region is configured) and KMS clients per key region. */
export async function makeRoleClients(opts: AwsReadOptions): Promise<RoleClients> {
  const [iamSdk, stsSdk] = await Promise.all([import('@aws-sdk/client-iam'), import('@aws-sdk/client-sts')]);
  const region = opts.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
  const iam = sendWithSignal(new iamSdk.IAMClient({ ...(await common(opts, endpointOf('IAM', 'iam.amazonaws.com'))), region: 'us-east-1' }), opts.signal);
  const sts = sendWithSignal(new stsSdk.STSClient({ ...(await common(opts, endpointOf('STS', `sts.${region}.amazonaws.com`))), region }), opts.signal);
  const kmsClients = new Map<string, KMSClient>();
  return {
    iam,
    sts,
    async kms(keyRegion: string) {
      let c = kmsClients.get(keyRegion);
      if (!c) {
        const kmsSdk = await import('@aws-sdk/client-kms');
        c = sendWithSignal(new kmsSdk.KMSClient({ ...(await common(opts, endpointOf('KMS', `kms.${keyRegion}.amazonaws.com`))), region: keyRegion }), opts.signal);
        kmsClients.set(keyRegion, c);
      }
      return c;
    },
    destroy() {
      iam.destroy();
      sts.destroy();
      for (const c of kmsClients.values()) c.destroy();
    },
  };
}

const DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'UnauthorizedAccess', 'AuthorizationError', 'Forbidden']);
const NOT_FOUND = new Set(['NoSuchEntity', 'NoSuchEntityException', 'NotFoundException', 'NoSuchBucketPolicy', 'NoSuchBucket']);

/**
 * Runs one read. Credential problems (none, expired, SSO) end the whole check with what to fix;
 * a refusal becomes "denied" with the permission; anything else is an error kept on its line.
 */
export async function read<T>(permission: string, profile: string | undefined, call: () => Promise<T>): Promise<Read<T>> {
  try {
    return { ok: true, value: await call() };
  } catch (err) {
    const e = err as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } };
    const code = e.name ?? e.Code ?? '';
    const asS3 = s3Error(err, `calling ${permission}`, '', profile);
    if (asS3.kind === 'aws_credentials') throw asS3;
    if (code === 'InvalidClientTokenId' || code === 'UnrecognizedClientException') {
      throw new UserFacingError('aws_credentials', `calling ${permission}: AWS rejected the credentials (${code}).`, { hint: 'Check the access key and secret (or the profile) the server runs with.' });
    }
    if (DENIED.has(code) || e.$metadata?.httpStatusCode === 403) {
      return { ok: false, reason: 'denied', permission, message: `your AWS identity may not call ${permission}` };
    }
    if (NOT_FOUND.has(code) || e.$metadata?.httpStatusCode === 404) return { ok: false, reason: 'not_found', message: describeError(err) };
    return { ok: false, reason: 'error', message: `${permission}: ${code && !describeError(err).includes(code) ? `${code}: ` : ''}${describeError(err)}` };
  }
}

/** IAM returns policy documents URL-encoded (RFC 3986). */
export function decodePolicy(text: string | undefined): Record<string, unknown> | null {
  if (!text) return null;
  let raw = text;
  try {
    if (/%[0-9A-Fa-f]{2}/.test(text) && !text.trimStart().startsWith('{"')) raw = decodeURIComponent(text);
  } catch {
    /* already decoded */
  }
  try {
    const doc = JSON.parse(raw) as unknown;
    return doc && typeof doc === 'object' && !Array.isArray(doc) ? (doc as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

export interface RoleInfo {
  arn: string;
  name: string;
  account: string;
  trustPolicy: Record<string, unknown> | null;
  boundaryArn: string | null;
}

export async function getRole(c: RoleClients, roleName: string, profile?: string): Promise<Read<RoleInfo>> {
  const { GetRoleCommand } = await import('@aws-sdk/client-iam');
  return read('iam:GetRole', profile, async () => {
    const res = await c.iam.send(new GetRoleCommand({ RoleName: roleName }));
    const role = res.Role;
    if (!role?.Arn) throw new UserFacingError('aws_error', 'iam:GetRole returned no role');
    return {
      arn: role.Arn,
      name: role.RoleName ?? roleName,
      account: role.Arn.split(':')[4] ?? '',
      trustPolicy: decodePolicy(role.AssumeRolePolicyDocument),
      boundaryArn: role.PermissionsBoundary?.PermissionsBoundaryArn ?? null,
    };
  });
}

export interface NamedPolicy {
  /** e.g. "inline dfi-import-read" or "managed arn:aws:iam::...:policy/x". */
  name: string;
  kind: 'inline' | 'managed' | 'boundary';
  arn?: string;
  document: Record<string, unknown>;
}

/** A managed policy's default version. */
async function managedPolicy(c: RoleClients, arn: string, kind: 'managed' | 'boundary', profile?: string): Promise<Read<NamedPolicy>> {
  const { GetPolicyCommand, GetPolicyVersionCommand } = await import('@aws-sdk/client-iam');
  const meta = await read('iam:GetPolicy', profile, () => c.iam.send(new GetPolicyCommand({ PolicyArn: arn })));
  if (!meta.ok) return meta;
  const versionId = meta.value.Policy?.DefaultVersionId ?? 'v1';
  const ver = await read('iam:GetPolicyVersion', profile, () => c.iam.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: versionId })));
  if (!ver.ok) return ver;
  const document = decodePolicy(ver.value.PolicyVersion?.Document);
  if (!document) return { ok: false, reason: 'error', message: `the policy ${arn} is not a JSON document` };
  return { ok: true, value: { name: `${kind === 'boundary' ? 'permissions boundary' : 'managed'} ${arn}`, kind, arn, document } };
}

export interface RolePolicies {
  identity: NamedPolicy[];
  boundary: NamedPolicy | null;
  inlineNames: string[];
}

/** The role's inline and attached policies and its permissions boundary (every page). */
export async function getRolePolicies(c: RoleClients, role: RoleInfo, profile?: string): Promise<Read<RolePolicies>> {
  const iam = await import('@aws-sdk/client-iam');
  const inlineNames: string[] = [];
  let marker: string | undefined;
  do {
    const page = await read('iam:ListRolePolicies', profile, () => c.iam.send(new iam.ListRolePoliciesCommand({ RoleName: role.name, ...(marker ? { Marker: marker } : {}) })));
    if (!page.ok) return page;
    inlineNames.push(...(page.value.PolicyNames ?? []));
    marker = page.value.IsTruncated ? page.value.Marker : undefined;
  } while (marker);
  const identity: NamedPolicy[] = [];
  for (const name of inlineNames) {
    const p = await read('iam:GetRolePolicy', profile, () => c.iam.send(new iam.GetRolePolicyCommand({ RoleName: role.name, PolicyName: name })));
    if (!p.ok) return p;
    const document = decodePolicy(p.value.PolicyDocument);
    if (document) identity.push({ name: `inline ${name}`, kind: 'inline', document });
  }
  const attached: string[] = [];
  marker = undefined;
  do {
    const page = await read('iam:ListAttachedRolePolicies', profile, () =>
      c.iam.send(new iam.ListAttachedRolePoliciesCommand({ RoleName: role.name, ...(marker ? { Marker: marker } : {}) })),
    );
    if (!page.ok) return page;
    attached.push(...(page.value.AttachedPolicies ?? []).map((p) => p.PolicyArn ?? '').filter(Boolean));
    marker = page.value.IsTruncated ? page.value.Marker : undefined;
  } while (marker);
  for (const arn of attached) {
    const p = await managedPolicy(c, arn, 'managed', profile);
    if (!p.ok) return p;
    identity.push(p.value);
  }
  let boundary: NamedPolicy | null = null;
  if (role.boundaryArn) {
    const p = await managedPolicy(c, role.boundaryArn, 'boundary', profile);
    if (!p.ok) return p;
    boundary = p.value;
  }
  return { ok: true, value: { identity, boundary, inlineNames } };
}

export interface SimRequest {
  action: string;
  resources: string[];
  context: Record<string, string>;
}
export interface SimDecision {
  action: string;
  resource: string;
  decision: 'allowed' | 'explicitDeny' | 'implicitDeny';
  /** Statements AWS reports as matched (policy id and, when given, the statement's start line). */
  matched: string[];
  /** False when the permissions boundary does not allow it. */
  allowedByBoundary: boolean | null;
}

/** AWS's own policy simulator for the role's identity policies and boundary (and the account's SCPs). */
export async function simulatePrincipal(c: RoleClients, roleArn: string, req: SimRequest, profile?: string): Promise<Read<SimDecision[]>> {
  const { SimulatePrincipalPolicyCommand } = await import('@aws-sdk/client-iam');
  return read('iam:SimulatePrincipalPolicy', profile, async () => {
    const out: SimDecision[] = [];
    let marker: string | undefined;
    do {
      const res = await c.iam.send(
        new SimulatePrincipalPolicyCommand({
          PolicySourceArn: roleArn,
          ActionNames: [req.action],
          ResourceArns: req.resources,
          ContextEntries: Object.entries(req.context).map(([k, v]) => ({
            ContextKeyName: k,
            ContextKeyValues: [v],
            ContextKeyType: v === 'true' || v === 'false' ? 'boolean' : 'string',
          })),
          ...(marker ? { Marker: marker } : {}),
        }),
      );
      for (const r of res.EvaluationResults ?? []) {
        const perResource = r.ResourceSpecificResults ?? [];
        const base = {
          action: r.EvalActionName ?? req.action,
          matched: (r.MatchedStatements ?? []).map((s) => s.SourcePolicyId ?? '').filter(Boolean),
          allowedByBoundary: r.PermissionsBoundaryDecisionDetail?.AllowedByPermissionsBoundary ?? null,
        };
        if (perResource.length > 1) {
          for (const rr of perResource) {
            out.push({ ...base, resource: rr.EvalResourceName ?? '', decision: normaliseDecision(rr.EvalResourceDecision) });
          }
        } else {
          out.push({ ...base, resource: r.EvalResourceName ?? req.resources[0] ?? '*', decision: normaliseDecision(r.EvalDecision) });
        }
      }
      marker = res.IsTruncated ? res.Marker : undefined;
    } while (marker);
    return out;
  });
}

function normaliseDecision(d: string | undefined): SimDecision['decision'] {
  return d === 'allowed' ? 'allowed' : d === 'explicitDeny' ? 'explicitDeny' : 'implicitDeny';
}

/** Who is running the check (sts:GetCallerIdentity needs no permission). */
export async function callerIdentity(c: RoleClients, profile?: string): Promise<Read<{ arn: string; account: string }>> {
  const { GetCallerIdentityCommand } = await import('@aws-sdk/client-sts');
  return read('sts:GetCallerIdentity', profile, async () => {
    const r = await c.sts.send(new GetCallerIdentityCommand({}));
    return { arn: r.Arn ?? '', account: r.Account ?? '' };
  });
}

export interface KeyInfo {
  arn: string;
  account: string;
  region: string;
  manager: string;
  state: string;
  policy: Read<Record<string, unknown>>;
}

/** The KMS key's metadata and its key policy ("default", the only name KMS supports). */
export async function getKey(c: RoleClients, keyId: string, fallbackRegion: string, profile?: string): Promise<Read<KeyInfo>> {
  const { DescribeKeyCommand, GetKeyPolicyCommand } = await import('@aws-sdk/client-kms');
  const region = /^arn:aws[\w-]*:kms:([a-z0-9-]+):/.exec(keyId)?.[1] ?? fallbackRegion;
  const kms = await c.kms(region);
  const meta = await read('kms:DescribeKey', profile, () => kms.send(new DescribeKeyCommand({ KeyId: keyId })));
  if (!meta.ok) return meta;
  const m = meta.value.KeyMetadata;
  const arn = m?.Arn ?? keyId;
  const policy = await read('kms:GetKeyPolicy', profile, async () => {
    const r = await kms.send(new GetKeyPolicyCommand({ KeyId: arn, PolicyName: 'default' }));
    const doc = decodePolicy(r.Policy);
    if (!doc) throw new UserFacingError('aws_error', 'the key policy is not a JSON document');
    return doc;
  });
  return {
    ok: true,
    value: { arn, account: m?.AWSAccountId ?? arn.split(':')[4] ?? '', region, manager: String(m?.KeyManager ?? 'CUSTOMER'), state: String(m?.KeyState ?? 'Enabled'), policy },
  };
}
