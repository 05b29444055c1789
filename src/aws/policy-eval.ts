/**
 * Local IAM policy evaluation, for when the person may not call AWS's own simulator
 * (iam:SimulatePrincipalPolicy) and for the resource side (trust, bucket and key policies), which
 * that simulator does not judge the way the platform's request meets them.
 *
 * The evaluation itself is a maintained library's, @cloud-copilot/iam-simulate: condition operators,
 * wildcards, cross-account rules, permission boundaries and the KMS/trust-policy special cases are
 * its job, not ours. It is AGPL-3.0 (this package is MIT), so it is not installed with the server:
 * a person who wants it installs it beside the server (README). Without it, checks that need a
 * local evaluation say "could not be checked" and name iam:SimulatePrincipalPolicy.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

type Lib = typeof import('@cloud-copilot/iam-simulate');
let libPromise: Promise<Lib | null> | undefined;

export function loadEvaluator(): Promise<Lib | null> {
  libPromise ??= import('@cloud-copilot/iam-simulate').catch(() => null);
  return libPromise;
}

/** "@cloud-copilot/iam-simulate 0.1.173": the copy that is installed, for results that say which evaluation was used. */
export function evaluatorName(): string {
  const name = '@cloud-copilot/iam-simulate';
  try {
    // Its package.json, found upwards from its entry point (its exports may hide the file).
    let dir = path.dirname(fileURLToPath(import.meta.resolve(name)));
    for (let i = 0; i < 6; i++, dir = path.dirname(dir)) {
      const file = path.join(dir, 'package.json');
      if (!fs.existsSync(file)) continue;
      const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === name) return `${name} ${pkg.version ?? ''}`.trim();
    }
  } catch {
    // Not installed: the caller has already said so.
  }
  return name;
}

export type Policy = Record<string, unknown>;

export interface EvalRequest {
  principal: string;
  action: string;
  resource: string;
  /** The account that owns the resource (decides same- or cross-account evaluation). */
  resourceAccount: string;
  context: Record<string, string>;
  /** The principal's identity policies; 'any' stands for "whatever the principal's own account grants it". */
  identity: { name: string; policy: Policy }[] | 'any';
  boundary?: { name: string; policy: Policy } | null;
  resourcePolicy?: Policy | null;
}

export interface StatementRef {
  /** Where it is: the policy's name. */
  policy: string;
  /** The statement's Sid, or its 1-based position. */
  id: string;
  statement: Record<string, unknown>;
  /** For statements that did not apply: the conditions the request did not meet (key and operator). */
  unmetConditions?: { operator: string; key: string; missing: boolean }[];
  principalMatch?: string;
}

export interface EvalOutcome {
  result: 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied';
  identity: string | null;
  boundary: string | null;
  resource: string | null;
  /** Deny statements that matched, by policy. */
  denies: StatementRef[];
  /** Resource-policy statements that did not match (to explain a trust or key policy that does not allow). */
  unmatchedResource: StatementRef[];
}

const ANY_IDENTITY = (action: string) => [{ name: 'the principal\'s own permissions', policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: action, Resource: '*' }] } }];

function ref(s: { policyId: string; statement: unknown; explain?: { identifier?: string; conditions?: unknown; principalMatch?: string } }): StatementRef {
  const statement = JSON.parse(JSON.stringify(s.statement)) as Record<string, unknown>;
  const conditions = (s.explain?.conditions ?? []) as { operator: string; conditionKeyValue: string; matches: boolean; failedBecauseMissing?: boolean }[];
  const unmet = conditions.filter((c) => !c.matches).map((c) => ({ operator: c.operator, key: c.conditionKeyValue, missing: c.failedBecauseMissing === true }));
  return {
    policy: s.policyId,
    id: typeof statement.Sid === 'string' ? statement.Sid : String(s.explain?.identifier ?? '?'),
    statement,
    ...(unmet.length ? { unmetConditions: unmet } : {}),
    ...(s.explain?.principalMatch ? { principalMatch: s.explain.principalMatch } : {}),
  };
}

/** Evaluates one request; null when the library is not installed; throws a readable error for invalid policies. */
export async function evaluate(req: EvalRequest): Promise<EvalOutcome | null> {
  const lib = await loadEvaluator();
  if (!lib) return null;
  const identity = req.identity === 'any' ? ANY_IDENTITY(req.action) : req.identity;
  const res = await lib.runSimulation(
    {
      request: { principal: req.principal, action: req.action, resource: { resource: req.resource, accountId: req.resourceAccount }, contextVariables: req.context },
      identityPolicies: identity.map((p) => ({ name: p.name, policy: p.policy })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(req.resourcePolicy ? { resourcePolicy: req.resourcePolicy } : {}),
      ...(req.boundary ? { permissionBoundaryPolicies: [{ name: req.boundary.name, policy: req.boundary.policy }] } : {}),
    },
    {},
  );
  if (res.resultType === 'error') throw new Error(`a policy could not be evaluated: ${res.errors.message}`);
  const analysis = res.resultType === 'single' ? res.result.analysis : res.results[0]?.analysis;
  const denies = [
    ...(analysis?.identityAnalysis?.denyStatements ?? []),
    ...(analysis?.permissionBoundaryAnalysis?.denyStatements ?? []),
    ...(analysis?.resourceAnalysis?.denyStatements ?? []),
  ].map(ref);
  return {
    result: res.overallResult,
    identity: req.identity === 'any' ? null : (analysis?.identityAnalysis?.result ?? null),
    boundary: analysis?.permissionBoundaryAnalysis?.result ?? null,
    resource: analysis?.resourceAnalysis?.result ?? null,
    denies,
    unmatchedResource: (analysis?.resourceAnalysis?.unmatchedStatements ?? []).map(ref),
  };
}
