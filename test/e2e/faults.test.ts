import { afterEach, describe, expect, it } from 'vitest';
import { startFaultServer, type Fault, type SeenRequest } from '../helpers/fault-server.js';
import { startMcp, structured, text, type McpSession } from '../helpers/mcp.js';
import { ROLE_ARN } from '../helpers/paths.js';
import { waitFor } from '../helpers/wait.js';
import { VERSION } from '../../src/version.js';

const MARKER = 'tok-FAULT-MARKER-5e8d1c7a3b9f2046';
const IMPORT_ARGS = {
  dataset_id: 'gs.dataset-1',
  source: { s3: { bucket: 'my-bucket', prefix: 'in/', glob: '*.csv', role_arn: ROLE_ARN } },
  file_format: { entity_id: 0, timestamp: 1, longitude: 2, latitude: 3, route_id: 4 },
};
const isRealImport = (r: SeenRequest) => r.method === 'PUT' && r.query.get('dryRun') === 'false';

const everything: string[] = [];
let open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const o of open.reverse()) await o.close();
  open = [];
});

async function setup(plan: (req: SeenRequest, n: number) => Fault | undefined, extraArgs: string[] = []) {
  const api = await startFaultServer(plan);
  const mcp = await startMcp(['--allow-unconfirmed-imports', '--timeout-ms', '1500', ...extraArgs], { DFI_API_URL: api.url, DFI_API_TOKEN: MARKER });
  open.push(api, { close: async () => (everything.push(mcp.stderr()), mcp.close()) });
  const call = async (name: string, args: Record<string, unknown>) => {
    const r = await mcp.call(name, args);
    everything.push(JSON.stringify(r));
    return r;
  };
  return { api, mcp: mcp as McpSession, call };
}

describe('a resilient client against a failing platform', () => {
  it('retries a GET after 429 and 503, honouring Retry-After', async () => {
    const { api, call } = await setup((r, n) =>
      r.path === '/v1/datasets/gs.dataset-1' && n < 2 ? { kind: 'json', status: n === 0 ? 429 : 503, body: { message: 'slow down' }, headers: { 'retry-after': '1' } } : undefined,
    );
    const r = structured(await call('get_dataset', { dataset_id: 'gs.dataset-1' }));
    expect(r.dataset.id).toBe('gs.dataset-1');
    expect(api.count('GET', '/v1/datasets/gs.dataset-1')).toBe(3);
    // Each retry came at least the second that Retry-After asked for after the answer before it (a
    // lower bound: a slow machine only makes the gaps longer).
    const at = api.seen.filter((s) => s.path === '/v1/datasets/gs.dataset-1').map((s) => s.at);
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(950);
    expect(at[2]! - at[1]!).toBeGreaterThanOrEqual(950);
  });

  it('gives up after a bounded number of attempts with a clear error', async () => {
    const { api, call } = await setup((r) => (r.path === '/v1/datasets/gs.dataset-1' ? { kind: 'json', status: 503, body: { message: 'maintenance' } } : undefined));
    const r = await call('get_dataset', { dataset_id: 'gs.dataset-1' });
    expect(r.isError).toBe(true);
    expect(text(r)).toMatch(/HTTP 503: maintenance \(after 4 attempts\)/);
    expect(text(r)).toMatch(/the platform failed/);
    expect(api.count('GET', '/v1/datasets/gs.dataset-1')).toBe(4);
  });

  it('does not wait an hour when Retry-After says so', async () => {
    const { call } = await setup((r) => (r.path === '/v1/datasets/gs.dataset-1' ? { kind: 'json', status: 429, body: {}, headers: { 'retry-after': '3600' } } : undefined));
    const r = await call('get_dataset', { dataset_id: 'gs.dataset-1' });
    expect(text(r)).toMatch(/asked to retry after 3600 s/);
  });

  it('names HTML error pages, non-JSON and empty bodies', async () => {
    const { call } = await setup((r) => {
      if (r.path === '/v1/datasets/gs.dataset-1') return { kind: 'raw', status: 502, contentType: 'text/html', body: '<html><title>502 Bad Gateway</title></html>' };
      if (r.path === '/v1/import/awsTrustPolicy') return { kind: 'raw', status: 200, contentType: 'text/html', body: '<!doctype html><p>login</p>' };
      if (r.path === '/v1/import/batch/empty') return { kind: 'raw', status: 200, contentType: 'application/json', body: '' };
      return undefined;
    });
    expect(text(await call('get_dataset', { dataset_id: 'gs.dataset-1' }))).toMatch(/HTML page titled "502 Bad Gateway" instead of JSON/);
    expect(text(await call('get_aws_trust_policy', {}))).toMatch(/which is not JSON \(content type "text\/html"\)/);
    expect(text(await call('get_batch', { batch_id: 'empty' }))).toMatch(/empty body where JSON was expected/);
  });

  it('redacts the token from errors that echo the Authorization header', async () => {
    const { call } = await setup((r) => (r.path === '/v1/datasets/gs.dataset-1' ? { kind: 'echo-auth', status: 400 } : undefined));
    const r = await call('get_dataset', { dataset_id: 'gs.dataset-1' });
    expect(text(r)).toMatch(/Authorization: Bearer \[REDACTED\]/);
    expect(JSON.stringify(r)).not.toContain(MARKER);
  });

  it('sends a real import exactly once when the connection is reset: outcome unknown', async () => {
    const { api, call } = await setup((r) => (isRealImport(r) ? { kind: 'reset' } : undefined));
    const r = await call('put_batch', { ...IMPORT_ARGS, dry_run: false });
    expect(r.isError).toBe(true);
    expect(text(r)).toMatch(/whether the import was created is unknown/);
    expect(text(r)).toMatch(/Do not send the import again yet/);
    expect(api.count('PUT', '/v1/import/batch', isRealImport)).toBe(1);
  });

  it('sends a real import exactly once when the platform stalls: outcome unknown after the timeout', async () => {
    const { api, call } = await setup((r) => (isRealImport(r) ? { kind: 'stall' } : undefined));
    const r = await call('put_batch', { ...IMPORT_ARGS, dry_run: false });
    expect(text(r)).toMatch(/unknown/);
    expect(api.count('PUT', '/v1/import/batch', isRealImport)).toBe(1);
  });

  it('sends a real import exactly once on a 503, and says to check before retrying', async () => {
    const { api, call } = await setup((r) => (isRealImport(r) ? { kind: 'json', status: 503, body: { message: 'busy' } } : undefined));
    const r = await call('put_batch', { ...IMPORT_ARGS, dry_run: false });
    expect(text(r)).toMatch(/HTTP 503: busy/);
    expect(text(r)).toMatch(/never sent twice.*check on the platform that no new batch was created/s);
    expect(api.count('PUT', '/v1/import/batch', isRealImport)).toBe(1);
  });

  it('retries a dry run, which imports nothing', async () => {
    const { api, call } = await setup((r, n) => (r.method === 'PUT' && n === 0 ? { kind: 'reset' } : undefined));
    const r = structured(await call('put_batch', IMPORT_ARGS));
    expect(r.job.status).toBe('success');
    expect(api.count('PUT', '/v1/import/batch')).toBe(2);
  });

  it('reports a platform that is down', async () => {
    const { api, call } = await setup(() => undefined);
    await api.close();
    const r = await call('get_dataset', { dataset_id: 'gs.dataset-1' });
    expect(text(r)).toMatch(/could not reach the platform at http:\/\/127\.0\.0\.1:\d+/);
  });

  it('sends the token only to the API origin', async () => {
    const { api, call } = await setup((r) => (r.path === '/v1/datasets/gs.dataset-1' ? { kind: 'json', status: 302, body: {}, headers: { location: 'http://127.0.0.2:1/steal' } } : undefined));
    const r = await call('get_dataset', { dataset_id: 'gs.dataset-1' });
    expect(text(r)).toMatch(/redirect .* not followed/);
    expect(api.seen.every((s) => s.authorization === `Bearer ${MARKER}`)).toBe(true);
  });

  it('sends User-Agent: dfi-ingest-mcp/<version>', async () => {
    const { api, call } = await setup(() => undefined);
    await call('get_dataset', { dataset_id: 'gs.dataset-1' });
    expect(api.seen.length).toBeGreaterThan(0);
    for (const s of api.seen) expect(s.userAgent).toBe(`dfi-ingest-mcp/${VERSION}`);
  });

  it('a cancelled call stops its HTTP request', async () => {
    const { api, mcp } = await setup((r) => (r.path === '/v1/datasets/gs.dataset-1' ? { kind: 'stall' } : undefined));
    const abort = new AbortController();
    const pending = mcp.client.callTool({ name: 'get_dataset', arguments: { dataset_id: 'gs.dataset-1' } }, undefined, { signal: abort.signal }).catch((e: unknown) => e);
    await waitFor(() => api.seen.length > 0, 'the request to reach the platform');
    abort.abort();
    expect(String(await pending)).toMatch(/abort/i);
    await waitFor(() => api.seen[0]!.abandoned, 'the server to drop the request');
    expect(api.count('GET', '/v1/datasets/gs.dataset-1')).toBe(1); // not retried either
  });

  it('reads answers as leniently as the platform client: no id, numeric ids, epoch times, null counts', async () => {
    const { call } = await setup((r) => {
      if (r.path === '/v1/import/batch' && r.method === 'PUT') return { kind: 'json', status: 200, body: { status: 'success', insertCount: 5, invalidCount: null } };
      if (r.path === '/v1/import/batch/42' && r.method === 'GET') return { kind: 'json', status: 200, body: { id: 42, status: 'running', addedAt: 1_700_000_000_000, insertCount: null } };
      if (r.path === '/v1/import/batch/42/status') return { kind: 'json', status: 200, body: [{ status: 'running', addedAt: 1_700_000_000 }] };
      if (r.path === '/v1/import/batch/43' && r.method === 'GET') return { kind: 'json', status: 200, body: { id: '43', status: 'running' } };
      if (r.path === '/v1/import/batch/43' && r.method === 'PATCH') return { kind: 'json', status: 200, body: { status: 'aborted' } };
      return undefined;
    });
    const dry = structured(await call('put_batch', IMPORT_ARGS));
    expect(dry.job.status).toBe('success');
    expect(dry.job.id).toBeUndefined();
    expect(dry.confirmation.token).toMatch(/^dryrun-/); // no id needed for the gate
    const got = structured(await call('get_batch', { batch_id: '42' }));
    expect(got.job).toMatchObject({ id: '42', status: 'running', addedAt: '2023-11-14T22:13:20.000Z' });
    expect(got.job.insertCount).toBeUndefined();
    expect(got.history[0].addedAt).toBe('2023-11-14T22:13:20.000Z');
    const aborted = await call('abort_batch', { batch_id: '43' });
    expect(aborted.isError).toBeFalsy();
    expect(structured(aborted).job.status).toBe('aborted');
  });

  it('never shows the marker token in any result or log', () => {
    expect(everything.length).toBeGreaterThan(10);
    for (const o of everything) expect(o).not.toContain(MARKER);
  });
});
