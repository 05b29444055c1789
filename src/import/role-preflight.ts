/**
 * The cheap part of check_aws_role, for put_batch's dry run of an s3 source: with the person's own
 * credentials, may the platform assume the role (trust) and read the first keys with it
 * (s3:GetObject)? It warns and never blocks: the platform, not the person, assumes the role, and
 * the person's credentials may simply not see IAM.
 *
 * It is skipped when no credentials are at hand without a network round trip, and when IAM is not
 * pointed at an endpoint (AWS_ENDPOINT_URL_IAM) while S3 is not AWS's (an S3-compatible server has no
 * IAM behind it) or the backend is the sandbox (its trust policy names a made-up principal: a real
 * role checked against it would only mislead).
 */
import { describeError } from '../errors.js';
import type { PreflightWarning } from './preflight.js';
import { awsCredentialsAtHand } from './s3-preflight.js';

export interface RolePreflightResult {
  checks: { name: string; ok: boolean; message: string }[];
  warnings: PreflightWarning[];
}

export interface RolePreflightInput {
  roleArn: string;
  bucket: string;
  prefix: string | undefined;
  glob: string;
  /** The first matching keys, as the S3 preflight listed them (none: a key of the prefix is used). */
  keys: string[];
  s3Endpoint?: string | undefined;
  /** The embedded sandbox is the backend. */
  sandbox?: boolean;
  /** The platform's trust policy, as get_aws_trust_policy reads it. */
  trustPolicy: () => Promise<unknown>;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  /** The MCP call's signal. */
  signal?: AbortSignal | undefined;
}

/** Whether the check can run here: AWS credentials at hand, and an IAM that goes with the S3 and the platform in use. */
export function rolePreflightApplies(s3Endpoint: string | undefined, sandbox: boolean, env: NodeJS.ProcessEnv = process.env): boolean {
  const iamEndpoint = Boolean(env.AWS_ENDPOINT_URL_IAM || env.AWS_ENDPOINT_URL);
  if ((s3Endpoint || sandbox) && !iamEndpoint) return false;
  return awsCredentialsAtHand(env, s3Endpoint);
}

export async function rolePreflight(input: RolePreflightInput): Promise<RolePreflightResult> {
  if (!rolePreflightApplies(input.s3Endpoint, input.sandbox ?? false, input.env)) return { checks: [], warnings: [] };
  const ms = input.timeoutMs ?? 10_000;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms / 1000} s`)), ms);
    timer.unref();
  });
  try {
    const { checkRole, platformTrust } = await import('../aws/role-check.js');
    const platform = await Promise.race([platformTrust({ getAwsTrustPolicy: input.trustPolicy }), timeout]);
    const report = await Promise.race([
      checkRole({
        roleArn: input.roleArn,
        bucket: input.bucket,
        prefix: input.prefix,
        glob: input.glob,
        sampleKeys: 3,
        keys: input.keys,
        s3Endpoint: input.s3Endpoint,
        platform,
        scope: 'cheap',
        // The call's signal, and the time bound: a check that gives up stops its requests too.
        signal: AbortSignal.any([...(input.signal ? [input.signal] : []), AbortSignal.timeout(ms)]),
      }),
      timeout,
    ]);
    const checks = report.checks.filter((c) => c.status !== 'could_not_check').map((c) => ({ name: `role_${c.name}`, ok: c.status === 'passed', message: `${c.message} (checked with your own AWS credentials)` }));
    const warnings: PreflightWarning[] = report.checks
      .filter((c) => c.status === 'failed')
      .map((c) => ({ code: 'role_problem', text: `The role check found a problem the import would hit: ${c.message} check_aws_role gives the statement to fix it and the full check.` }));
    const lacking = [...new Set(report.checks.filter((c) => c.status === 'could_not_check' && c.missingPermission).map((c) => c.missingPermission!))];
    if (lacking.length) warnings.push({ code: 'role_not_fully_checked', text: `The role could not be fully checked with your AWS credentials (missing ${lacking.join('; ')}); this may be fine. check_aws_role says more.` });
    return { checks, warnings };
  } catch (err) {
    return { checks: [], warnings: [{ code: 'role_not_checked', text: `The role could not be checked with your own AWS credentials (${describeError(err).split('\n')[0]}); the platform assumes it, so this may be fine. check_aws_role says more.` }] };
  } finally {
    clearTimeout(timer);
  }
}
