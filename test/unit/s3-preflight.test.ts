import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { awsCredentialsAtHand } from '../../src/import/s3-preflight.js';

const none = { AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/c', AWS_CONFIG_FILE: '/nonexistent/f' };

describe('when the S3 preflight runs', () => {
  it('only when credentials are found without a network round trip', () => {
    expect(awsCredentialsAtHand(none)).toBe(false);
    expect(awsCredentialsAtHand({ ...none, AWS_ACCESS_KEY_ID: 'AKIA...' })).toBe(true);
    expect(awsCredentialsAtHand({ ...none, AWS_PROFILE: 'dev' })).toBe(true);
    expect(awsCredentialsAtHand({ ...none, AWS_WEB_IDENTITY_TOKEN_FILE: '/var/run/token' })).toBe(true);
    const config = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'dfi-aws-')), 'config');
    fs.writeFileSync(config, '[default]\nregion = eu-west-1\n');
    expect(awsCredentialsAtHand({ ...none, AWS_CONFIG_FILE: config })).toBe(true); // an existing config file
    fs.rmSync(path.dirname(config), { recursive: true });
    expect(awsCredentialsAtHand(none, 'http://127.0.0.1:4569')).toBe(true);
  });
});
