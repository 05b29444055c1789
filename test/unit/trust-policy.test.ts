import { describe, expect, it } from 'vitest';
import { checkTrustPolicy } from '../../src/aws/trust-policy.js';

// The user guide's policy, verbatim, trailing commas included.
const GUIDE_POLICY = `{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Action": "sts:AssumeRole",
            "Effect": "Allow",
            "Condition": {"StringEquals": {"sts:ExternalId": "test_data"}},
            "Principal": {"AWS": "arn:aws:iam::123456789012:role/dfi/dfi-eks-import-api-12345678901234567890123456"},
        }
    ],
}`;

const byName = (r: ReturnType<typeof checkTrustPolicy>) => Object.fromEntries(r.checks.map((c) => [c.name, c]));

describe('trust policy checks', () => {
  it("catches the guide's trailing commas and still reads the policy", () => {
    const r = checkTrustPolicy(GUIDE_POLICY);
    const c = byName(r);
    expect(c.valid_json!.ok).toBe(false);
    expect(c.valid_json!.message).toMatch(/trailing commas/);
    expect(r.externalId).toBe('test_data');
    expect(r.principal).toBe('arn:aws:iam::123456789012:role/dfi/dfi-eks-import-api-12345678901234567890123456');
    expect(c.assume_role!.ok && c.external_id!.ok && c.role_principal!.ok && c.no_resource!.ok).toBe(true);
  });

  it('warns loudly when there is no ExternalId condition', () => {
    const c = byName(checkTrustPolicy({ Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { AWS: 'arn:aws:iam::123456789012:role/x' } }] }));
    expect(c.external_id!.ok).toBe(false);
    expect(c.external_id!.message).toMatch(/DANGER/);
  });

  it('flags a Resource key, a wildcard principal and a missing AssumeRole', () => {
    const c = byName(checkTrustPolicy({ Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Principal: '*', Resource: '*' }] }));
    expect(c.no_resource!.ok).toBe(false);
    expect(c.assume_role!.ok).toBe(false);
    expect(c.role_principal!.ok).toBe(false);
  });

  it('reports a policy that is not JSON at all', () => {
    expect(byName(checkTrustPolicy('<html>')).valid_json!.ok).toBe(false);
    expect(byName(checkTrustPolicy(42)).valid_json!.message).toMatch(/did not return a policy/);
  });
});
