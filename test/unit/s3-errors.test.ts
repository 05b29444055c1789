import { describe, expect, it } from 'vitest';
import { s3Error } from '../../src/aws/s3.js';

const aws = (name: string, status?: number, message = `${name} happened`) => Object.assign(new Error(message), { name, ...(status ? { $metadata: { httpStatusCode: status } } : {}) });

describe('AWS errors, mapped to what to fix', () => {
  it.each([
    [aws('AccessDenied', 403), /access denied on bucket "b"/, /s3:ListBucket and s3:GetObject/],
    [aws('NoSuchBucket', 404), /the bucket "b" does not exist/, /bucket name/],
    [aws('PermanentRedirect', 301), /in another region/, /Pass region/],
    [aws('AuthorizationHeaderMalformed', 400), /in another region/, /AWS_REGION/],
    [aws('CredentialsProviderError', undefined, 'Could not load credentials from any providers'), /no AWS credentials were found/, /aws configure/],
    [aws('TokenProviderError', undefined, 'The SSO session associated with this profile has expired or is otherwise invalid'), /SSO session has expired/, /aws sso login --profile dev/],
    [aws('ExpiredToken', 400), /session token has expired/, /Refresh the credentials/],
    [aws('InvalidAccessKeyId', 403), /rejected the credentials \(InvalidAccessKeyId\)/, /access key/],
    [aws('SlowDown', 503), /SlowDown/, /try again/],
  ])('%s', (err, message, hint) => {
    const e = s3Error(err, 'listing s3://b/', 'b', 'dev');
    expect(e.message).toMatch(message);
    expect(e.hint).toMatch(hint);
  });
});
