import { describe, expect, it } from 'vitest';
import { parseCommand } from '../../src/config.js';
import { UserFacingError } from '../../src/errors.js';
import { defaultStateDir, statePath } from '../../src/state/paths.js';
import path from 'node:path';

const serve = (argv: string[], env: NodeJS.ProcessEnv = {}) => {
  const c = parseCommand(argv, env, '/tmp');
  if (c.kind !== 'serve') throw new Error(`expected serve, got ${c.kind}`);
  return c.config;
};

describe('configuration', () => {
  it('uses the sandbox when nothing is configured', () => {
    expect(serve([]).backend).toBe('sandbox');
  });

  it('uses the platform with a URL and a token from the environment', () => {
    const c = serve([], { DFI_API_URL: 'https://api.example.com/', DFI_API_TOKEN: 'secret-token-123' });
    expect(c.backend).toBe('platform');
    expect(c.apiUrl).toBe('https://api.example.com');
    expect(c.apiToken).toBe('secret-token-123');
  });

  it('--sandbox wins over a configured platform', () => {
    expect(serve(['--sandbox'], { DFI_API_URL: 'https://api.example.com', DFI_API_TOKEN: 'secret-token-123' }).backend).toBe('sandbox');
  });

  it('refuses a URL without a token, and a token without a URL, saying what to set', () => {
    expect(() => serve(['--api-url', 'https://api.example.com'])).toThrow(/DFI_API_TOKEN is not/);
    expect(() => serve([], { DFI_API_TOKEN: 'secret-token-123' })).toThrow(/no API URL/);
  });

  it('refuses unknown flags and bad values with a clear error', () => {
    expect(() => serve(['--api-token', 'x'])).toThrow(UserFacingError);
    expect(() => serve(['--log-level', 'loud'])).toThrow(/debug, info, warn or error/);
    expect(() => serve(['--api-url', 'ftp://x'], { DFI_API_TOKEN: 'secret-token-123' })).toThrow(/http or https/);
  });

  it('reads every setting from flags and from the environment', () => {
    const f = serve(['--read-only', '--allow-unconfirmed-imports', '--sample-root', 'a', '--sample-root', '/b', '--s3-endpoint', 'http://127.0.0.1:4569']);
    expect([f.readOnly, f.allowUnconfirmedImports, f.sampleRoots, f.s3Endpoint]).toEqual([true, true, ['/tmp/a', '/b'], 'http://127.0.0.1:4569']);
    const e = serve([], { DFI_READ_ONLY: '1', DFI_ALLOW_UNCONFIRMED_IMPORTS: 'true', DFI_SAMPLE_ROOTS: '/x:/y', AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:4569' });
    expect([e.readOnly, e.allowUnconfirmedImports, e.sampleRoots, e.s3Endpoint]).toEqual([true, true, ['/x', '/y'], 'http://127.0.0.1:4569']);
    expect(serve([]).sampleRoots).toEqual(['/tmp']);
  });

  it('points the sandbox at an S3-compatible endpoint when one is configured, unless a folder is given', () => {
    expect(serve([], { AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:4569' }).sandbox.s3Endpoint).toBe('http://127.0.0.1:4569');
    expect(serve(['--sandbox-s3-root', 'buckets'], { AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:4569', DFI_STATE_DIR: '/s' }).sandbox).toEqual({
      s3Root: '/tmp/buckets',
      datasetsFile: expect.stringMatching(/examples\/datasets\.json$/),
      stateDir: '/s',
      allowPrivateUrls: false,
    });
    expect(serve([]).sandbox.s3Endpoint).toBeUndefined();
    expect(serve(['--allow-private-urls']).sandbox.allowPrivateUrls).toBe(true);
  });

  it('takes the state folder from --state-dir or DFI_STATE_DIR, else from the OS conventions', () => {
    expect(serve(['--state-dir', 'state']).stateDir).toBe('/tmp/state');
    expect(serve([], { DFI_STATE_DIR: '/var/dfi' }).stateDir).toBe('/var/dfi');
    expect(serve(['--state-dir', '/flag'], { DFI_STATE_DIR: '/env' }).stateDir).toBe('/flag');
    expect(serve([], { DFI_STATE_DIR: '  ' }).stateDir).toBe(defaultStateDir());
    expect(path.isAbsolute(defaultStateDir())).toBe(true);
    expect(path.basename(defaultStateDir())).toMatch(/^dfi-ingest-mcp$|^Data$/);
    // The sandbox gets the same folder, and the sandbox command takes the flag too.
    expect(serve(['--state-dir', '/s']).sandbox.stateDir).toBe('/s');
    expect(parseCommand(['sandbox', '--state-dir', '/s'], {}, '/tmp')).toMatchObject({ kind: 'sandbox', sandbox: { stateDir: '/s' } });
    expect(() => serve(['--state-dir', ''])).toThrow(/--state-dir/);
  });

  it('lays out the state folder: one sub-folder per owner', () => {
    expect(statePath('/s', 'ledger')).toBe('/s/ledger');
    expect(statePath('/s', 'sandboxJobs')).toBe('/s/sandbox/jobs');
    expect(statePath('/s', 'sandboxPoints')).toBe('/s/sandbox/points');
  });

  it('parses the sandbox command', () => {
    const c = parseCommand(['sandbox', '--port', '0'], {}, '/tmp');
    expect(c).toMatchObject({ kind: 'sandbox', port: 0, host: '127.0.0.1' });
    expect(() => parseCommand(['sandbox', '--port', '70000'], {}, '/tmp')).toThrow(/0 to 65535/);
    expect(() => parseCommand(['serve'], {}, '/tmp')).toThrow(/unknown command/);
  });
});
