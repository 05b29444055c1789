// The sandbox's Datasets and Query APIs over HTTP (a real server on 127.0.0.1): every route, the exact
// SSE framing, access lists, the Feather schema, DFI instances shared by datasets, and a restart.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_IDENTITY, startSandboxServer, type RunningSandbox } from '../../src/sandbox/server.js';
import { EXAMPLES_DATASETS, GUIDE_WIRE_FORMAT, ROLE_ARN } from '../helpers/paths.js';

const TOKEN = 'sandbox-api-test-token';
let base: string;
let stateDir: string;
let s3Root: string;
let sandbox: RunningSandbox;
const T0 = Date.UTC(2022, 0, 1);
/** entity, time, lon, lat, ... in the guide's ten columns. */
const ROWS = [
  ['veh-1', T0, -0.1, 51.5, '10.0.0.1', '30', '', '1', 'visa', 'walking'],
  ['veh-1', T0 + 60_000, -0.11, 51.51, '', '31', '', '1', '', 'walking'],
  ['veh-1', T0 + 86_400_000, -0.12, 51.52, '', '', '', '2', '', 'driving'],
  ['veh-2', T0 + 1000, 2.35, 48.85, '10.0.0.2', '40', '', '3', 'amex', 'cycling'],
  ['veh-2', T0 + 2000, 2.36, 48.86, '', '41', '', '3', '', 'cycling'],
  ['veh-3', T0 + 3000, 13.4, 52.52, '', '', '', '4', '', 'dwelling'],
  ['bad', 'not-a-time', 0, 0, '', '', '', '5', '', 'walking'],
];

const H = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', accept: 'application/json' };
async function call(method: string, p: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(sandbox.url + p, { method, headers: { ...H, ...headers }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type') ?? '', text, json: () => JSON.parse(text) as any };
}

interface Sse {
  events: { event: string; data: string }[];
  raw: string;
}
async function query(doc: object): Promise<Sse & { status: number; type: string }> {
  const res = await fetch(`${sandbox.url}/v1/query`, { method: 'POST', headers: { ...H, accept: 'text/event-stream' }, body: JSON.stringify(doc) });
  const raw = await res.text();
  if (!(res.headers.get('content-type') ?? '').startsWith('text/event-stream')) return { status: res.status, type: res.headers.get('content-type') ?? '', events: [], raw };
  const events = raw
    .split('\n\n')
    .filter((b) => b.length > 0)
    .map((block) => {
      const lines = block.split('\n');
      return { event: lines.find((l) => l.startsWith('event: '))!.slice(7), data: lines.filter((l) => l.startsWith('data:')).map((l) => l.replace(/^data: ?/, '')).join('\n') };
    });
  return { status: res.status, type: res.headers.get('content-type') ?? '', events, raw };
}
/** The messages of a well-framed stream (and checks the framing). */
function messages(s: Sse): unknown[] {
  expect(s.raw.endsWith('\n\n')).toBe(true);
  const finishes = s.events.filter((e) => e.event === 'finish');
  expect(finishes).toHaveLength(1);
  expect(s.events.at(-1)!.event).toBe('finish');
  for (const e of s.events) expect(['keepAlive', 'message', 'finish']).toContain(e.event);
  const msgs = s.events.filter((e) => e.event === 'message');
  expect(JSON.parse(finishes[0]!.data)).toEqual({ messageCount: msgs.length });
  return msgs.map((m) => JSON.parse(m.data));
}
const total = async (datasetId: string, filters: object = {}) => (messages(await query({ datasetId, filters, return: { type: 'count' } })) as number[]).reduce((a, b) => a + b, 0);

async function importInto(datasetId: string, prefix = 'in/'): Promise<{ status: string; insertCount: number }> {
  const r = await call('PUT', '/v1/import/batch?dryRun=false', { datasetId, source: { s3: { bucket: 'bucket', prefix, glob: '*.csv', credentials: { RoleArn: ROLE_ARN } } }, format: { csv: GUIDE_WIRE_FORMAT } });
  expect(r.status).toBe(200);
  const id = r.json().id as string;
  for (;;) {
    const j = (await call('GET', `/v1/import/batch/${id}`)).json();
    if (!['created', 'running'].includes(j.status)) return j;
    await new Promise((res) => setTimeout(res, 25));
  }
}
const start = () => startSandboxServer({ token: TOKEN, s3Root, datasetsFile: EXAMPLES_DATASETS, stateDir });

beforeAll(async () => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'dfi-sandbox-api-'));
  stateDir = path.join(base, 'state');
  s3Root = path.join(base, 's3');
  fs.mkdirSync(path.join(s3Root, 'bucket', 'in'), { recursive: true });
  fs.writeFileSync(path.join(s3Root, 'bucket', 'in', 'a.csv'), `${ROWS.map((r) => r.join(',')).join('\n')}\n`);
  sandbox = await start();
});
afterAll(async () => {
  await sandbox.close();
  fs.rmSync(base, { recursive: true, force: true });
});

describe('the sandbox Query API', () => {
  it('stores the valid rows of a finished import and counts them, framed as the notes say', async () => {
    // A dry run stores nothing.
    const dry = await call('PUT', '/v1/import/batch?dryRun=true', { datasetId: 'gs.dataset-1', source: { s3: { bucket: 'bucket', prefix: 'in/', glob: '*.csv', credentials: { RoleArn: ROLE_ARN } } }, format: { csv: GUIDE_WIRE_FORMAT } });
    expect(dry.json().status).toBe('success');
    expect(await total('gs.dataset-1')).toBe(0);

    const job = await importInto('gs.dataset-1');
    expect(job).toMatchObject({ status: 'finished', insertCount: 6, invalidCount: 1 });
    const s = await query({ datasetId: 'gs.dataset-1', filters: {}, return: { type: 'count' } });
    expect(s.status).toBe(200);
    expect(s.type).toMatch(/^text\/event-stream/);
    expect(s.events[0]!.event).toBe('keepAlive');
    expect(s.raw).toMatch(/^event: keepAlive\ndata: \n\n/);
    expect((messages(s) as number[]).reduce((a, b) => a + b, 0)).toBe(6);
  });

  it('filters by id, time, box, polygon and properties; counts per entity; records with extras; newest/oldest', async () => {
    const day = { minTime: new Date(T0).toISOString(), maxTime: new Date(T0 + 3_600_000).toISOString() };
    expect(await total('gs.dataset-1', { time: day })).toBe(5);
    expect(await total('gs.dataset-1', { time: { minTime: '2022-01-01T00:00:00+00:00', maxTime: null } })).toBe(6);
    expect(await total('gs.dataset-1', { id: ['veh-1'] })).toBe(3);
    expect(await total('gs.dataset-1', { geo: { type: 'BoundingBox', bounds: [-1, 51, 1, 52] } })).toBe(3);
    expect(await total('gs.dataset-1', { geo: { type: 'Polygon', coordinates: [[[2, 48], [3, 48], [3, 49], [2, 49], [2, 48]]] } })).toBe(2);
    expect(await total('gs.dataset-1', { fields: { age: { type: 'unsigned number', operation: 'gte', value: 31 } } })).toBe(3);
    expect(await total('gs.dataset-1', { fields: { transportation_mode: { eq: 'cycling' } } })).toBe(2);
    expect(await total('gs.dataset-1', { fields: { ipv4: { type: 'ip', operation: 'eq', value: '10.0.0.2' } } })).toBe(1);

    const groups = messages(await query({ datasetId: 'gs.dataset-1', filters: {}, return: { type: 'count', groupBy: { type: 'uniqueId' } } }));
    expect(Object.assign({}, ...(groups as object[]))).toEqual({ 'veh-1': 3, 'veh-2': 2, 'veh-3': 1 });

    const recs = (messages(await query({ datasetId: 'gs.dataset-1', filters: { id: ['veh-2'], time: day }, return: { type: 'records', include: ['fields', 'metadataId'] } })) as object[][]).flat();
    expect(recs).toEqual([
      { id: 'veh-2', coordinate: [2.35, 48.85], time: '2022-01-01T00:00:01.000Z', metadataId: null, fields: { ipv4: '10.0.0.2', age: 40, home_ipv4: null, route_id: 3, credit_card_provider: 'amex', transportation_mode: 'cycling' } },
      { id: 'veh-2', coordinate: [2.36, 48.86], time: '2022-01-01T00:00:02.000Z', metadataId: null, fields: { ipv4: null, age: 41, home_ipv4: null, route_id: 3, credit_card_provider: null, transportation_mode: 'cycling' } },
    ]);
    const plain = (messages(await query({ datasetId: 'gs.dataset-1', filters: { id: ['veh-3'] }, return: { type: 'records' } })) as object[][]).flat();
    expect(plain).toEqual([{ id: 'veh-3', coordinate: [13.4, 52.52], time: '2022-01-01T00:00:03.000Z' }]);
    const newest = (messages(await query({ datasetId: 'gs.dataset-1', filters: { only: 'newest', id: ['veh-1'] }, return: { type: 'records' } })) as { time: string }[][]).flat();
    expect(newest.map((r) => r.time)).toEqual(['2022-01-02T00:00:00.000Z']);
    const oldest = (messages(await query({ datasetId: 'gs.dataset-1', filters: { only: 'oldest' }, return: { type: 'records' } })) as { id: string; time: string }[][]).flat();
    expect(oldest.find((r) => r.id === 'veh-1')!.time).toBe('2022-01-01T00:00:00.000Z');
    expect(oldest).toHaveLength(3);
    // Nothing matches: no message, finish says 0.
    const none = await query({ datasetId: 'gs.dataset-1', filters: { id: ['nobody'] }, return: { type: 'records' } });
    expect(messages(none)).toEqual([]);
  });

  it('answers a bad document with 400, an unknown dataset with 404, a filter that does not fit with queryError', async () => {
    expect((await query({ datasetId: 'gs.dataset-1', filters: { time: { minTime: 'yesterday' } }, return: { type: 'count' } })).status).toBe(400);
    expect((await query({ datasetId: 'gs.dataset-1', filters: {}, return: { type: 'everything' } })).status).toBe(400);
    expect((await query({ datasetId: 'gs.dataset-1', filters: { only: 'newest' }, return: { type: 'count' } })).status).toBe(400);
    expect((await query({ datasetId: 'gs.dataset-1', filters: { geo: { type: 'BoundingBox', bounds: [1, 1, 0, 0] } }, return: { type: 'count' } })).status).toBe(400);
    expect((await query({ datasetId: 'gs.nope', filters: {}, return: { type: 'count' } })).status).toBe(404);
    const misfit = await query({ datasetId: 'gs.dataset-1', filters: { fields: { colour: { eq: 'red' } } }, return: { type: 'count' } });
    expect(misfit.status).toBe(200);
    expect(misfit.events.map((e) => e.event)).toEqual(['keepAlive', 'queryError']);
    expect(misfit.events[1]!.data).toContain('colour');
    const noAuth = await fetch(`${sandbox.url}/v1/query`, { method: 'POST', body: '{}' });
    expect(noAuth.status).toBe(401);
  });

  it('shares points between datasets on one DFI instance; truncate empties the instance', async () => {
    const storage = { dataStoreConnectionDetails: { host: 'dfi-7.internal', port: 7000 } };
    const schema = { dataDescription: { metadataSchema: (await call('GET', '/v1/datasets/gs.dataset-1')).json().dataDescription.metadataSchema } };
    const a = (await call('POST', '/v1/datasets', { name: 'shared A', storage, ...schema })).json();
    const b = (await call('POST', '/v1/datasets', { name: 'shared B', storage, ...schema })).json();
    expect(await importInto(a.id)).toMatchObject({ status: 'finished', insertCount: 6 });
    expect(await total(a.id)).toBe(6);
    expect(await total(b.id)).toBe(6);
    const t = await call('POST', '/v1/query/manage', { datasetId: b.id, operation: 'truncate' });
    expect(t.status).toBe(200);
    expect(t.json()).toEqual({ status: 'success' });
    expect(await total(a.id)).toBe(0);
    expect(await total('gs.dataset-1')).toBe(6); // another instance
    expect((await call('POST', '/v1/query/manage', { datasetId: a.id, operation: 'drop' })).status).toBe(400);
  });
});

describe('the sandbox Datasets API', () => {
  it('creates, reads, merges, lists by exact name and deletes datasets, answering JSON', async () => {
    const created = await call('POST', '/v1/datasets', {
      name: 'Vans of Leeds',
      description: 'first',
      tags: ['vans'],
      dataDescription: { metadataSchema: { speed: { type: 'number', nullable: true, signed: false }, kind: { type: 'enum', nullable: false, values: ['van'] } } },
    });
    expect(created.status).toBeGreaterThanOrEqual(200);
    expect(created.status).toBeLessThan(300);
    expect(created.type).toMatch(/application\/json/);
    const d = created.json();
    expect(d.id).toBe('gs.vans-of-leeds');
    expect((await call('POST', '/v1/datasets', { name: 'Vans of Leeds' })).json().id).toBe('gs.vans-of-leeds-2');
    expect((await call('POST', '/v1/datasets', { description: 'no name' })).status).toBe(400);

    const patched = await call('PATCH', `/v1/datasets/${d.id}`, { description: 'second', dataDescription: { minDatetime: '2022-01-01T00:00:00Z' } });
    expect(patched.json()).toMatchObject({ id: d.id, description: 'second', tags: ['vans'], dataDescription: { minDatetime: '2022-01-01T00:00:00Z', metadataSchema: { kind: { values: ['van'] } } } });
    expect((await call('GET', `/v1/datasets/${d.id}`)).json().description).toBe('second');

    const list = (await call('GET', `/v1/datasets?name=${encodeURIComponent('Vans of Leeds')}`)).json() as { id: string }[];
    expect(list.map((x) => x.id).sort()).toEqual(['gs.vans-of-leeds', 'gs.vans-of-leeds-2']);
    expect((await call('GET', `/v1/datasets?name=${encodeURIComponent('Vans of Leeds')}&limit=1`)).json()).toHaveLength(1);
    expect((await call('GET', '/v1/datasets?name=vans')).json()).toEqual([]);
    expect((await call('GET', `/v1/datasets?name=${encodeURIComponent('Vans of Leeds')}&before=2000-01-01T00:00:00Z`)).json()).toEqual([]);
    expect((await call('GET', '/v1/datasets?limit=0')).status).toBe(400);

    const del = await call('DELETE', '/v1/datasets/gs.vans-of-leeds-2');
    expect(del.status).toBe(204);
    expect((await call('GET', '/v1/datasets/gs.vans-of-leeds-2')).status).toBe(404);
  });

  it('keeps an access list: list, add, remove, and permissions/me follows it; the identity is the token holder', async () => {
    const me = (await call('GET', '/v1/identities/me')).json();
    expect(me.id).toBe(SANDBOX_IDENTITY);
    const d = (await call('POST', '/v1/datasets', { name: 'acl test' })).json();
    expect((await call('GET', `/v1/datasets/${d.id}/permissions`)).json()).toEqual([{ type: 'writer', scope: 'identity', identityId: me.id }]);
    expect((await call('GET', `/v1/datasets/${d.id}/permissions/me`)).json()).toMatchObject({ read: true, write: true });

    const reader = { type: 'reader', scope: 'all' };
    expect((await call('POST', `/v1/datasets/${d.id}/permissions`, [reader])).json()).toEqual([reader]);
    const removed = await call('DELETE', `/v1/datasets/${d.id}/permissions`, [{ type: 'writer', scope: 'identity', identityId: me.id }]);
    expect(removed.json()).toEqual([{ type: 'writer', scope: 'identity', identityId: me.id }]);
    expect((await call('GET', `/v1/datasets/${d.id}/permissions`)).json()).toEqual([reader]);
    expect((await call('GET', `/v1/datasets/${d.id}/permissions/me`)).json()).toMatchObject({ read: true, write: false });
    // Read-only now: no import, no schema change, but queries still answer.
    const put = await call('PUT', '/v1/import/batch?dryRun=true', { datasetId: d.id, source: { urls: ['http://127.0.0.1:9/x.csv'] }, format: { csv: { entityId: 0, timestamp: 1, longitude: 2, latitude: 3 } } });
    expect(put.status).toBe(403);
    expect((await call('PATCH', `/v1/datasets/${d.id}`, { description: 'x' })).status).toBe(403);
    expect(await total(d.id)).toBe(0);
    expect((await call('POST', `/v1/datasets/${d.id}/permissions`, [{ type: 'writer', scope: 'identity' }])).status).toBe(403);
    // The seed file's shorthand reads as an access list.
    expect((await call('GET', '/v1/datasets/gs.readonly-demo/permissions/me')).json()).toMatchObject({ read: true, write: false });
  });

  it('serves the schema by type as JSON and as Feather V2', async () => {
    const full = (await call('GET', '/v1/datasets/gs.dataset-1/schema?type=full')).json();
    expect(full.fields.map((f: { name: string }) => f.name)).toEqual(['id', 'time', 'longitude', 'latitude', 'metadataId', 'ipv4', 'age', 'home_ipv4', 'route_id', 'credit_card_provider', 'transportation_mode']);
    expect(full.metadataSchema.age).toMatchObject({ type: 'number' });
    const names = async (type: string) => ((await call('GET', `/v1/datasets/gs.dataset-1/schema?type=${type}`)).json().fields as { name: string }[]).map((f) => f.name);
    expect(await names('core')).toEqual(['id', 'time', 'longitude', 'latitude']);
    expect(await names('withMetadataId')).toEqual(['id', 'time', 'longitude', 'latitude', 'metadataId']);
    expect((await names('withFilterFields')).slice(4)).toEqual(['ipv4', 'age', 'home_ipv4', 'route_id', 'credit_card_provider', 'transportation_mode']);
    expect((await call('GET', '/v1/datasets/gs.dataset-1/schema?type=most')).status).toBe(400);

    for (const [type, n] of [['full', 11], ['core', 4], ['withMetadataId', 5], ['withFilterFields', 10]] as const) {
      const res = await fetch(`${sandbox.url}/v1/datasets/gs.dataset-1/schema?type=${type}`, { headers: { ...H, accept: 'application/feather' } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/feather');
      const bytes = new Uint8Array(await res.arrayBuffer());
      expect(Buffer.from(bytes.subarray(0, 6)).toString()).toBe('ARROW1');
      expect(Buffer.from(bytes.subarray(bytes.length - 6)).toString()).toBe('ARROW1');
      const table = tableFromIPC(bytes);
      expect(table.schema.fields).toHaveLength(n);
      expect(table.numRows).toBe(0);
    }
  });

  it('adds enum values in the public client\'s shape and in the plain-list shape, and answers the schema', async () => {
    const r = await call('POST', '/v1/datasets/gs.dataset-1/schema/values', { transportation_mode: { type: 'enum', values: ['sailing', 'walking'], nullable: false } });
    expect(r.status).toBe(200);
    expect(r.json().transportation_mode.values).toEqual(['dwelling', 'driving', 'cycling', 'walking', 'sailing']);
    const plain = await call('POST', '/v1/datasets/gs.dataset-1/schema/values', { credit_card_provider: ['jcb'] });
    expect(plain.json().credit_card_provider.values).toContain('jcb');
    expect((await call('POST', '/v1/datasets/gs.dataset-1/schema/values', { age: ['1'] })).status).toBe(400);
    expect((await call('POST', '/v1/datasets/gs.dataset-1/schema/values', { transportation_mode: { type: 'enum', values: [] } })).status).toBe(400);
  });

  it('keeps datasets, access lists and points across a restart', async () => {
    await sandbox.close();
    sandbox = await start();
    expect((await call('GET', '/v1/datasets/gs.vans-of-leeds')).json().description).toBe('second');
    expect((await call('GET', '/v1/datasets/gs.vans-of-leeds-2')).status).toBe(404);
    expect((await call('GET', '/v1/datasets/gs.acl-test/permissions/me')).json()).toMatchObject({ write: false });
    expect((await call('GET', '/v1/datasets/gs.dataset-1')).json().dataDescription.metadataSchema.transportation_mode.values).toContain('sailing');
    expect(await total('gs.dataset-1')).toBe(6);
    expect(await total('gs.dataset-1', { id: ['veh-1'] })).toBe(3);
  });
});
