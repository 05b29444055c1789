import { describe, expect, it } from 'vitest';
import { rolePreflightApplies } from '../../src/import/role-preflight.js';

const keys = { AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE', AWS_CONFIG_FILE: '/nonexistent/c', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/s' };

describe("put_batch's role check runs only where it can tell the truth", () => {
  it('runs against AWS with credentials at hand', () => {
    expect(rolePreflightApplies(undefined, false, keys)).toBe(true);
  });
  it('does not run without credentials at hand (never the metadata service)', () => {
    expect(rolePreflightApplies(undefined, false, { AWS_CONFIG_FILE: '/nonexistent/c', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/s', HOME: '/nonexistent' })).toBe(false);
  });
  it('does not run against an S3-compatible endpoint or the sandbox, unless IAM is pointed somewhere too', () => {
    expect(rolePreflightApplies('http://127.0.0.1:9000', false, keys)).toBe(false);
    expect(rolePreflightApplies(undefined, true, keys)).toBe(false);
    expect(rolePreflightApplies('http://127.0.0.1:9000', true, { ...keys, AWS_ENDPOINT_URL_IAM: 'http://127.0.0.1:9001' })).toBe(true);
  });
});
