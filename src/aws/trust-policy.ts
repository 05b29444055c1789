/**
 * Checks of the platform's trust policy before the person attaches it to a role.
 * The user guide's own example has trailing commas, so "is it valid JSON" is a real question.
 */
export type PolicyCheck = {
  name: 'valid_json' | 'assume_role' | 'external_id' | 'role_principal' | 'no_resource';
  ok: boolean;
  severity: 'error' | 'warning' | 'info';
  message: string;
};

export interface TrustPolicyReport {
  /** The policy as an object, when it is (or could be repaired into) JSON. */
  document: Record<string, unknown> | null;
  checks: PolicyCheck[];
  externalId: string | null;
  principal: string | null;
}

function asArray<T>(v: T | T[] | undefined): T[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** Removes trailing commas before } or ] (outside strings), the guide's mistake. */
export function stripTrailingCommas(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      out += c;
      if (c === '\\') out += text[++i] ?? '';
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    if (c === ',') {
      const rest = text.slice(i + 1).trimStart();
      if (rest.startsWith('}') || rest.startsWith(']')) continue;
    }
    out += c;
  }
  return out;
}

export function checkTrustPolicy(policy: unknown): TrustPolicyReport {
  const checks: PolicyCheck[] = [];
  let doc: Record<string, unknown> | null = null;
  if (typeof policy === 'string') {
    try {
      doc = JSON.parse(policy) as Record<string, unknown>;
      checks.push({ name: 'valid_json', ok: true, severity: 'info', message: 'The policy is valid JSON.' });
    } catch {
      try {
        doc = JSON.parse(stripTrailingCommas(policy)) as Record<string, unknown>;
        checks.push({
          name: 'valid_json',
          ok: false,
          severity: 'error',
          message: 'The policy as sent is not valid JSON (trailing commas); AWS would reject it. Save trustPolicyDocument instead: the same policy with the trailing commas removed, nothing else changed.',
        });
      } catch (err) {
        checks.push({ name: 'valid_json', ok: false, severity: 'error', message: `The policy is not valid JSON and could not be repaired: ${(err as Error).message}. Ask General System support for the policy.` });
      }
    }
  } else if (policy && typeof policy === 'object' && !Array.isArray(policy)) {
    doc = policy as Record<string, unknown>;
    checks.push({ name: 'valid_json', ok: true, severity: 'info', message: 'The policy is valid JSON.' });
  } else {
    checks.push({ name: 'valid_json', ok: false, severity: 'error', message: 'The platform did not return a policy document (expected a JSON object).' });
  }

  const statements = asArray(doc?.Statement as Record<string, unknown> | Record<string, unknown>[] | undefined);
  const allows = statements.filter((s) => s?.Effect === 'Allow');
  const assume = allows.filter((s) => asArray(s.Action as string | string[]).some((a) => a === 'sts:AssumeRole'));
  checks.push(
    assume.length > 0
      ? { name: 'assume_role', ok: true, severity: 'info', message: 'It allows sts:AssumeRole.' }
      : { name: 'assume_role', ok: false, severity: 'error', message: 'No statement allows sts:AssumeRole: the platform could not assume your role. Ask General System support for a correct policy.' },
  );

  let externalId: string | null = null;
  for (const s of assume) {
    const cond = s.Condition as Record<string, Record<string, unknown>> | undefined;
    for (const op of ['StringEquals', 'StringLike']) {
      const v = cond?.[op]?.['sts:ExternalId'];
      if (typeof v === 'string') externalId = v;
      else if (Array.isArray(v) && typeof v[0] === 'string') externalId = v[0];
    }
  }
  checks.push(
    externalId
      ? { name: 'external_id', ok: true, severity: 'info', message: `It requires the ExternalId "${externalId}", so only your General System account can use the role.` }
      : {
          name: 'external_id',
          ok: false,
          severity: 'error',
          message: 'DANGER: no sts:ExternalId condition. Without it, anyone who can act as the principal (any customer of the platform) could make the platform read your bucket. Do not attach this policy; ask General System support.',
        },
  );

  let principal: string | null = null;
  for (const s of assume) {
    const p = s.Principal as { AWS?: string | string[] } | string | undefined;
    const arns = typeof p === 'string' ? [p] : asArray(p?.AWS);
    principal = arns.find((a) => /^arn:aws[\w-]*:iam::\d{12}:role\//.test(a)) ?? principal;
    if (!principal && arns.includes('*')) principal = '*';
  }
  checks.push(
    principal && principal !== '*'
      ? { name: 'role_principal', ok: true, severity: 'info', message: `The principal is the platform's role ${principal}.` }
      : {
          name: 'role_principal',
          ok: false,
          severity: 'error',
          message: principal === '*' ? 'The principal is "*" (everyone): do not attach this policy.' : 'The principal is not an IAM role ARN; the platform expects to assume your role from one of its roles.',
        },
  );

  const withResource = statements.filter((s) => s && 'Resource' in s);
  checks.push(
    withResource.length === 0
      ? { name: 'no_resource', ok: true, severity: 'info', message: 'No Resource key (trust policies must not have one).' }
      : { name: 'no_resource', ok: false, severity: 'error', message: 'A statement has a Resource key; IAM rejects trust policies with one (MalformedPolicyDocument). Remove it.' },
  );
  return { document: doc, checks, externalId, principal };
}
