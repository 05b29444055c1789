/**
 * A stand-in for AWS IAM, STS and KMS on 127.0.0.1, for check_aws_role's tests.
 *
 * This is a test double, not an emulator: no IAM emulator exists on npm (s3rver covers S3 only, and
 * moto/LocalStack are not Node packages). It answers the calls check_aws_role makes, in the wire
 * protocols the AWS SDK speaks: IAM and STS in the query protocol (form-encoded POST, XML answers
 * and <ErrorResponse> errors), KMS in JSON 1.1 (X-Amz-Target: TrentService.*, {"__type"} errors),
 * with the shapes of the AWS API references. The server under test reaches it through the SDK's own
 * endpoint settings (AWS_ENDPOINT_URL_IAM, _STS, _KMS).
 *
 * It also fronts s3rver (the real S3-compatible server the other S3 tests use) for the bucket side:
 * listings and objects go to s3rver unchanged; the bucket settings s3rver does not implement (policy,
 * policy status, Block Public Access, default encryption) are answered here from the scenario.
 *
 * What the caller may do is the scenario's `denied` set: a call named there gets AWS's AccessDenied.
 * SimulatePrincipalPolicy is answered by evaluating the role's stored policies with the same
 * maintained library the server uses locally (a double needs some evaluator; AWS's is not available).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { runSimulation } from '@cloud-copilot/iam-simulate';

export type Doc = Record<string, unknown>;

export interface StandinRole {
  trust: Doc;
  inline?: Record<string, Doc>;
  attached?: string[];
  boundary?: string;
}

export interface StandinKey {
  arn: string;
  policy: Doc;
  manager?: 'CUSTOMER' | 'AWS';
  state?: string;
}

export interface StandinBucket {
  policy?: Doc;
  /** Default encryption: 'AES256' (the AWS default since 2023), or a KMS key ARN for SSE-KMS. */
  encryption?: 'AES256' | { kmsKeyArn: string };
  /** true: all four Block Public Access settings on; false: all off; undefined: no configuration. */
  blockPublicAccess?: boolean;
  isPublic?: boolean;
}

export interface Scenario {
  account: string;
  caller: string;
  /** Calls the caller is refused, e.g. "iam:GetRole", "iam:SimulatePrincipalPolicy", "s3:GetBucketPolicy", "kms:GetKeyPolicy". */
  denied: Set<string>;
  roles: Record<string, StandinRole>;
  policies: Record<string, Doc>;
  keys: Record<string, StandinKey>;
  buckets: Record<string, StandinBucket>;
}

export interface AwsStandin {
  endpoint: string;
  scenario: Scenario;
  /** Every call received, as "service:Action" (S3 as "s3:METHOD ?subresource"). */
  calls: string[];
  env(): Record<string, string>;
  close(): Promise<void>;
}

const IAM_NS = 'https://iam.amazonaws.com/doc/2010-05-08/';
const STS_NS = 'https://sts.amazonaws.com/doc/2011-06-15/';
const S3_NS = 'http://s3.amazonaws.com/doc/2006-03-01/';
let requestCounter = 0;
const requestId = () => `00000000-0000-4000-8000-${String(++requestCounter).padStart(12, '0')}`;

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
/** Objects become elements; arrays become <member> lists, as the query protocol serialises them. */
function xml(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.map((v) => `<member>${xml(v)}</member>`).join('');
  if (typeof value === 'object') return Object.entries(value as Doc).map(([k, v]) => (v === undefined ? '' : `<${k}>${xml(v)}</${k}>`)).join('');
  return esc(String(value));
}
const policyText = (doc: Doc) => encodeURIComponent(JSON.stringify(doc));

function send(res: http.ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'x-amzn-requestid': requestId() });
  res.end(body);
}
function queryOk(res: http.ServerResponse, ns: string, action: string, result: Doc): void {
  send(res, 200, 'text/xml', `<${action}Response xmlns="${ns}"><${action}Result>${xml(result)}</${action}Result><ResponseMetadata><RequestId>${requestId()}</RequestId></ResponseMetadata></${action}Response>`);
}
function queryError(res: http.ServerResponse, ns: string, status: number, code: string, message: string): void {
  send(res, status, 'text/xml', `<ErrorResponse xmlns="${ns}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${esc(message)}</Message></Error><RequestId>${requestId()}</RequestId></ErrorResponse>`);
}
function jsonError(res: http.ServerResponse, type: string, message: string): void {
  send(res, 400, 'application/x-amz-json-1.1', JSON.stringify({ __type: type, message }));
}
function s3Error(res: http.ServerResponse, status: number, code: string, message: string): void {
  send(res, status, 'application/xml', `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${esc(message)}</Message><RequestId>${requestId()}</RequestId></Error>`);
}

/** `ActionNames.member.1=...` and `ContextEntries.member.1.ContextKeyName=...` -> lists. */
function members(params: URLSearchParams, name: string): string[] {
  const out: string[] = [];
  for (let i = 1; params.has(`${name}.member.${i}`); i++) out.push(params.get(`${name}.member.${i}`)!);
  return out;
}

async function body(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export function defaultScenario(): Scenario {
  return { account: '111122223333', caller: 'arn:aws:iam::111122223333:user/analyst', denied: new Set(), roles: {}, policies: {}, keys: {}, buckets: {} };
}

export async function startAwsStandin(s3Upstream: string, scenario: Scenario = defaultScenario()): Promise<AwsStandin> {
  const calls: string[] = [];
  const upstream = new URL(s3Upstream);
  const state = { scenario };
  const denied = (action: string, resource: string) =>
    `User: ${state.scenario.caller} is not authorized to perform: ${action} on resource: ${resource} because no identity-based policy allows the ${action} action`;

  async function iam(params: URLSearchParams, res: http.ServerResponse): Promise<void> {
    const sc = state.scenario;
    const action = params.get('Action') ?? '';
    calls.push(`iam:${action}`);
    if (sc.denied.has(`iam:${action}`)) return queryError(res, IAM_NS, 403, 'AccessDenied', denied(`iam:${action}`, params.get('RoleName') ?? params.get('PolicyArn') ?? params.get('PolicySourceArn') ?? '*'));
    const roleName = params.get('RoleName') ?? '';
    const role = sc.roles[roleName];
    const roleArn = `arn:aws:iam::${sc.account}:role/${roleName}`;
    const noRole = () => queryError(res, IAM_NS, 404, 'NoSuchEntity', `The role with name ${roleName} cannot be found.`);
    switch (action) {
      case 'GetRole':
        if (!role) return noRole();
        return queryOk(res, IAM_NS, action, {
          Role: {
            Path: '/',
            RoleName: roleName,
            RoleId: 'AROAEXAMPLEROLEID0001',
            Arn: roleArn,
            CreateDate: '2026-11-01T10:00:00Z',
            AssumeRolePolicyDocument: policyText(role.trust),
            MaxSessionDuration: 3600,
            ...(role.boundary ? { PermissionsBoundary: { PermissionsBoundaryType: 'Policy', PermissionsBoundaryArn: role.boundary } } : {}),
          },
        });
      case 'ListRolePolicies':
        if (!role) return noRole();
        return queryOk(res, IAM_NS, action, { PolicyNames: Object.keys(role.inline ?? {}), IsTruncated: false });
      case 'GetRolePolicy': {
        const doc = role?.inline?.[params.get('PolicyName') ?? ''];
        if (!role || !doc) return queryError(res, IAM_NS, 404, 'NoSuchEntity', `The role policy with name ${params.get('PolicyName')} cannot be found.`);
        return queryOk(res, IAM_NS, action, { RoleName: roleName, PolicyName: params.get('PolicyName'), PolicyDocument: policyText(doc) });
      }
      case 'ListAttachedRolePolicies':
        if (!role) return noRole();
        return queryOk(res, IAM_NS, action, { AttachedPolicies: (role.attached ?? []).map((arn) => ({ PolicyName: arn.slice(arn.lastIndexOf('/') + 1), PolicyArn: arn })), IsTruncated: false });
      case 'GetPolicy': {
        const arn = params.get('PolicyArn') ?? '';
        if (!sc.policies[arn]) return queryError(res, IAM_NS, 404, 'NoSuchEntity', `Policy ${arn} does not exist or is not attachable.`);
        return queryOk(res, IAM_NS, action, { Policy: { PolicyName: arn.slice(arn.lastIndexOf('/') + 1), PolicyId: 'ANPAEXAMPLEPOLICY0001', Arn: arn, Path: '/', DefaultVersionId: 'v2', AttachmentCount: 1, IsAttachable: true } });
      }
      case 'GetPolicyVersion': {
        const arn = params.get('PolicyArn') ?? '';
        const doc = sc.policies[arn];
        if (!doc || params.get('VersionId') !== 'v2') return queryError(res, IAM_NS, 404, 'NoSuchEntity', `Policy ${arn} version ${params.get('VersionId')} does not exist or is not attachable.`);
        return queryOk(res, IAM_NS, action, { PolicyVersion: { Document: policyText(doc), VersionId: 'v2', IsDefaultVersion: true, CreateDate: '2026-11-01T10:00:00Z' } });
      }
      case 'SimulatePrincipalPolicy': {
        const source = params.get('PolicySourceArn') ?? '';
        const name = source.slice(source.lastIndexOf('/') + 1);
        const r = sc.roles[name];
        if (!r) return queryError(res, IAM_NS, 404, 'NoSuchEntity', `The role with name ${name} cannot be found.`);
        const context: Record<string, string> = {};
        for (let i = 1; params.has(`ContextEntries.member.${i}.ContextKeyName`); i++) {
          context[params.get(`ContextEntries.member.${i}.ContextKeyName`)!] = params.get(`ContextEntries.member.${i}.ContextKeyValues.member.1`) ?? '';
        }
        const identity = [
          ...Object.entries(r.inline ?? {}).map(([n, policy]) => ({ name: n, policy })),
          ...(r.attached ?? []).map((arn) => ({ name: arn, policy: sc.policies[arn] })),
        ];
        const results = [];
        for (const actionName of members(params, 'ActionNames')) {
          for (const resource of members(params, 'ResourceArns')) {
            const out = await runSimulation(
              {
                request: { principal: source, action: actionName, resource: { resource, accountId: sc.account }, contextVariables: context },
                identityPolicies: identity,
                serviceControlPolicies: [],
                resourceControlPolicies: [],
                ...(r.boundary ? { permissionBoundaryPolicies: [{ name: r.boundary, policy: sc.policies[r.boundary] }] } : {}),
                // Given no resource policy, AWS's simulator judges the identity policies alone. The library
                // always asks a KMS key policy, so the double gives one that defers to IAM.
                ...(actionName.startsWith('kms:') ? { resourcePolicy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${sc.account}:root` }, Action: 'kms:*', Resource: '*' }] } } : {}),
              },
              {},
            );
            const overall = out.resultType === 'error' ? 'ImplicitlyDenied' : out.overallResult;
            const analysis = out.resultType === 'single' ? out.result.analysis : undefined;
            results.push({
              EvalActionName: actionName,
              EvalResourceName: resource,
              EvalDecision: overall === 'Allowed' ? 'allowed' : overall === 'ExplicitlyDenied' ? 'explicitDeny' : 'implicitDeny',
              MatchedStatements: (analysis?.identityAnalysis?.allowStatements ?? []).map((s) => ({ SourcePolicyId: s.policyId, SourcePolicyType: 'IAM Policy' })),
              MissingContextValues: [],
              ...(r.boundary ? { PermissionsBoundaryDecisionDetail: { AllowedByPermissionsBoundary: analysis?.permissionBoundaryAnalysis?.result === 'Allowed' } } : {}),
            });
          }
        }
        return queryOk(res, IAM_NS, action, { EvaluationResults: results, IsTruncated: false });
      }
      default:
        return queryError(res, IAM_NS, 400, 'InvalidAction', `The action ${action} is not valid for this web service (the stand-in answers read calls only).`);
    }
  }

  function sts(params: URLSearchParams, res: http.ServerResponse): void {
    const action = params.get('Action') ?? '';
    calls.push(`sts:${action}`);
    if (action !== 'GetCallerIdentity') return queryError(res, STS_NS, 400, 'InvalidAction', `The stand-in does not answer ${action}.`);
    queryOk(res, STS_NS, action, { UserId: 'AIDAEXAMPLEUSER000001', Account: state.scenario.account, Arn: state.scenario.caller });
  }

  function kms(target: string, payload: Doc, res: http.ServerResponse): void {
    const action = target.replace(/^TrentService\./, '');
    calls.push(`kms:${action}`);
    const sc = state.scenario;
    const id = String(payload.KeyId ?? '');
    if (sc.denied.has(`kms:${action}`)) return jsonError(res, 'AccessDeniedException', denied(`kms:${action}`, id));
    const key = Object.values(sc.keys).find((k) => k.arn === id || k.arn.endsWith(`/${id}`));
    if (!key) return jsonError(res, 'NotFoundException', `Key '${id}' does not exist`);
    switch (action) {
      case 'DescribeKey':
        return send(res, 200, 'application/x-amz-json-1.1', JSON.stringify({
          KeyMetadata: {
            AWSAccountId: key.arn.split(':')[4],
            KeyId: key.arn.slice(key.arn.lastIndexOf('/') + 1),
            Arn: key.arn,
            CreationDate: 1_761_991_200,
            Enabled: (key.state ?? 'Enabled') === 'Enabled',
            Description: '',
            KeyUsage: 'ENCRYPT_DECRYPT',
            KeyState: key.state ?? 'Enabled',
            Origin: 'AWS_KMS',
            KeyManager: key.manager ?? 'CUSTOMER',
            KeySpec: 'SYMMETRIC_DEFAULT',
            EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'],
            MultiRegion: false,
          },
        }));
      case 'GetKeyPolicy':
        return send(res, 200, 'application/x-amz-json-1.1', JSON.stringify({ Policy: JSON.stringify(key.policy), PolicyName: 'default' }));
      default:
        return jsonError(res, 'UnsupportedOperationException', `The stand-in does not answer ${action}.`);
    }
  }

  /** Bucket settings s3rver does not implement; true when answered here. */
  function s3Setting(req: http.IncomingMessage, url: URL, res: http.ServerResponse): boolean {
    const sub = ['policyStatus', 'policy', 'publicAccessBlock', 'encryption'].find((k) => url.searchParams.has(k));
    if (!sub || req.method !== 'GET') return false;
    const bucketName = url.pathname.split('/').filter(Boolean)[0] ?? '';
    const permission = { policy: 's3:GetBucketPolicy', policyStatus: 's3:GetBucketPolicyStatus', publicAccessBlock: 's3:GetBucketPublicAccessBlock', encryption: 's3:GetEncryptionConfiguration' }[sub]!;
    calls.push(`s3:GET ?${sub}`);
    if (state.scenario.denied.has(permission)) {
      s3Error(res, 403, 'AccessDenied', 'Access Denied');
      return true;
    }
    const b = state.scenario.buckets[bucketName] ?? {};
    if (sub === 'policy') {
      if (!b.policy) s3Error(res, 404, 'NoSuchBucketPolicy', 'The bucket policy does not exist');
      else send(res, 200, 'application/json', JSON.stringify(b.policy));
    } else if (sub === 'policyStatus') {
      if (!b.policy) s3Error(res, 404, 'NoSuchBucketPolicy', 'The bucket policy does not exist');
      else send(res, 200, 'application/xml', `<PolicyStatus xmlns="${S3_NS}"><IsPublic>${b.isPublic ? 'true' : 'false'}</IsPublic></PolicyStatus>`);
    } else if (sub === 'publicAccessBlock') {
      if (b.blockPublicAccess === undefined) s3Error(res, 404, 'NoSuchPublicAccessBlockConfiguration', 'The public access block configuration was not found');
      else {
        const v = b.blockPublicAccess ? 'true' : 'false';
        send(res, 200, 'application/xml', `<PublicAccessBlockConfiguration xmlns="${S3_NS}"><BlockPublicAcls>${v}</BlockPublicAcls><IgnorePublicAcls>${v}</IgnorePublicAcls><BlockPublicPolicy>${v}</BlockPublicPolicy><RestrictPublicBuckets>${v}</RestrictPublicBuckets></PublicAccessBlockConfiguration>`);
      }
    } else {
      const enc = b.encryption ?? 'AES256';
      const rule = enc === 'AES256' ? '<SSEAlgorithm>AES256</SSEAlgorithm>' : `<SSEAlgorithm>aws:kms</SSEAlgorithm><KMSMasterKeyID>${esc(enc.kmsKeyArn)}</KMSMasterKeyID>`;
      send(res, 200, 'application/xml', `<ServerSideEncryptionConfiguration xmlns="${S3_NS}"><Rule><ApplyServerSideEncryptionByDefault>${rule}</ApplyServerSideEncryptionByDefault><BucketKeyEnabled>${enc === 'AES256' ? 'false' : 'true'}</BucketKeyEnabled></Rule></ServerSideEncryptionConfiguration>`);
    }
    return true;
  }

  /** Everything else of S3 goes to s3rver as it came (the signature covers the Host header, kept as is). */
  function proxyS3(req: http.IncomingMessage, res: http.ServerResponse): void {
    calls.push(`s3:${req.method} ${req.url?.includes('?') ? `?${req.url.split('?')[1]!.split('&')[0]}` : 'object'}`);
    const up = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => s3Error(res, 502, 'InternalError', 'the stand-in could not reach s3rver'));
    req.pipe(up);
  }

  const server = http.createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const target = req.headers['x-amz-target'];
      if (typeof target === 'string' && target.startsWith('TrentService.')) return kms(target, JSON.parse((await body(req)) || '{}') as Doc, res);
      if (req.method === 'POST' && url.pathname === '/' && String(req.headers['content-type'] ?? '').includes('x-www-form-urlencoded')) {
        const params = new URLSearchParams(await body(req));
        return params.get('Version') === '2011-06-15' ? sts(params, res) : iam(params, res);
      }
      if (s3Setting(req, url, res)) return;
      proxyS3(req, res);
    })().catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, 'text/plain', String(err));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpoint,
    get scenario() {
      return state.scenario;
    },
    set scenario(s: Scenario) {
      state.scenario = s;
    },
    calls,
    env: () => ({
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL_S3: endpoint,
      AWS_ENDPOINT_URL_IAM: endpoint,
      AWS_ENDPOINT_URL_STS: endpoint,
      AWS_ENDPOINT_URL_KMS: endpoint,
      AWS_CONFIG_FILE: '/nonexistent/aws-config',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
      AWS_EC2_METADATA_DISABLED: 'true',
    }),
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  } as AwsStandin;
}
