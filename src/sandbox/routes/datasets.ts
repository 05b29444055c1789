/**
 * The Datasets API (shared/dfi-import-api.md, "Datasets API") and `GET /v1/identities/me`.
 * Every answer is JSON except DELETE of a dataset (204) and the schema as Feather.
 */
import type { Hono } from 'hono';
import type { DataType } from 'apache-arrow';
import { z } from 'zod';
import { MetadataSchemaSchema, type MetadataSchema } from '../../dfi/schemas.js';
import { PermissionSchema, SandboxDatasetSchema, permissionsOf, samePermission, type Permission, type SandboxDataset } from '../datasets.js';
import { HttpError, dataset, instanceKey, readJson, type SandboxContext, type SandboxEnv } from '../http.js';

export const SCHEMA_TYPES = ['full', 'core', 'withMetadataId', 'withFilterFields'] as const;
type SchemaType = (typeof SCHEMA_TYPES)[number];

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Objects merged key by key; anything else (arrays included) replaced. */
function merge(into: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...into };
  for (const [k, v] of Object.entries(patch)) {
    if (k === '__proto__' || k === 'constructor' || k === 'prototype') continue;
    out[k] = isObj(v) && isObj(out[k]) ? merge(out[k] as Record<string, unknown>, v) : v;
  }
  return out;
}

function issueText(e: z.ZodError): string {
  const i = e.issues[0]!;
  return `${i.path.join('.') || '(root)'}: ${i.message}`;
}

function checkSchema(schema: unknown): MetadataSchema {
  const parsed = MetadataSchemaSchema.safeParse(schema ?? {});
  if (!parsed.success) throw new HttpError(400, `dataDescription.metadataSchema is invalid at ${issueText(parsed.error)}`);
  for (const [name, p] of Object.entries(parsed.data)) {
    if (p.type === 'enum' && !Array.isArray(p.values)) throw new HttpError(400, `dataDescription.metadataSchema.${name}: an enum property needs "values" (a list of strings)`);
  }
  return parsed.data;
}

function validDataset(doc: Record<string, unknown>): SandboxDataset {
  checkSchema((doc.dataDescription as { metadataSchema?: unknown } | undefined)?.metadataSchema);
  const parsed = SandboxDatasetSchema.safeParse(doc);
  if (!parsed.success) throw new HttpError(400, `invalid dataset at ${issueText(parsed.error)}`);
  if (!Array.isArray(parsed.data.permissions)) throw new HttpError(400, 'permissions must be a list of {"type", "scope", "identityId"?}');
  return parsed.data as SandboxDataset;
}

function permissionList(body: unknown): Permission[] {
  const parsed = z.array(PermissionSchema).safeParse(Array.isArray(body) ? body : isObj(body) && Array.isArray(body.permissions) ? body.permissions : body);
  if (!parsed.success) throw new HttpError(400, `the body must be a list of permissions [{"type": "reader"|"writer", "scope": "all"|"identity", "identityId"?}]: ${issueText(parsed.error)}`);
  for (const p of parsed.data) if (p.scope === 'identity' && !p.identityId) throw new HttpError(400, 'a permission with scope "identity" needs an identityId');
  return parsed.data;
}

const slug = (name: string) =>
  name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60) || 'dataset';

type Arrow = typeof import('apache-arrow');
/** apache-arrow, loaded on the first Feather request (it is large, and most sessions never ask). */
let arrow: Promise<Arrow> | undefined;
const loadArrow = () => (arrow ??= import('apache-arrow'));

/** The fields of a dataset's schema by type, as (name, Arrow type, nullable, metadata). */
type SchemaField = { name: string; arrow: (A: Arrow) => DataType; nullable: boolean; meta: Record<string, string>; json: Record<string, unknown> };
function schemaFields(d: SandboxDataset, type: SchemaType): SchemaField[] {
  type F = SchemaField;
  const core: F[] = [
    { name: 'id', arrow: (A) => new A.Utf8(), nullable: false, meta: {}, json: { name: 'id', type: 'string', nullable: false } },
    { name: 'time', arrow: (A) => new A.TimestampMillisecond(), nullable: false, meta: {}, json: { name: 'time', type: 'timestamp[ms]', nullable: false } },
    { name: 'longitude', arrow: (A) => new A.Float64(), nullable: false, meta: {}, json: { name: 'longitude', type: 'double', nullable: false } },
    { name: 'latitude', arrow: (A) => new A.Float64(), nullable: false, meta: {}, json: { name: 'latitude', type: 'double', nullable: false } },
  ];
  const out: F[] = [...core];
  if (type === 'full' || type === 'withMetadataId') out.push({ name: 'metadataId', arrow: (A) => new A.Uint64(), nullable: true, meta: {}, json: { name: 'metadataId', type: 'uint64', nullable: true } });
  if (type === 'full' || type === 'withFilterFields') {
    for (const [name, p] of Object.entries(d.dataDescription?.metadataSchema ?? {})) {
      const nullable = p.nullable !== false;
      const arrow = (A: Arrow) => (p.type === 'number' ? (p.signed === true ? new A.Int32() : new A.Uint32()) : p.type === 'ip' ? new A.Uint32() : new A.Utf8());
      const meta: Record<string, string> = { 'dfi.type': p.type, ...(p.values ? { 'dfi.values': JSON.stringify(p.values) } : {}) };
      out.push({ name, arrow, nullable, meta, json: { name, ...p, nullable } });
    }
  }
  return out;
}

export function datasetRoutes(app: Hono<SandboxEnv>, ctx: SandboxContext): void {
  const writable = (d: SandboxDataset) => {
    if (!permissionsOf(d, ctx.identityId).write) throw new HttpError(403, `no write permission on dataset ${d.id}`);
  };

  app.get('/v1/identities/me', (c) => c.json({ id: ctx.identityId, type: 'user', name: 'Sandbox user' }));

  app.get('/v1/datasets', (c) => {
    const name = c.req.query('name');
    const beforeText = c.req.query('before');
    const before = beforeText === undefined ? Infinity : Date.parse(beforeText);
    if (Number.isNaN(before)) throw new HttpError(400, `before must be an ISO 8601 time, not ${JSON.stringify(beforeText)}`);
    const limitText = c.req.query('limit');
    const limit = limitText === undefined ? 100 : Number(limitText);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new HttpError(400, `limit must be a whole number from 1 to 1000, not ${JSON.stringify(limitText)}`);
    const created = (d: SandboxDataset) => Date.parse(String((d as { createdAt?: unknown }).createdAt ?? '')) || 0;
    const list = ctx.datasets
      .all()
      .filter((d) => (name === undefined || d.name === name) && created(d) < before)
      .sort((a, b) => created(b) - created(a) || (a.id < b.id ? -1 : 1))
      .slice(0, limit);
    return c.json(list);
  });

  app.post('/v1/datasets', async (c) => {
    const body = await readJson(c);
    if (!isObj(body)) throw new HttpError(400, 'the body must be a dataset document: {"name": ..., "dataDescription": {"metadataSchema": {...}}, ...}');
    if (typeof body.name !== 'string' || !body.name.trim()) throw new HttpError(400, 'name is required (a non-empty string)');
    const base = `gs.${slug(body.name)}`;
    let id = base;
    for (let n = 2; ctx.datasets.has(id); n++) id = `${base}-${n}`;
    const permissions = body.permissions === undefined ? [{ type: 'writer', scope: 'identity', identityId: ctx.identityId }] : permissionList(body.permissions);
    const { id: _ignored, ...rest } = body;
    const d = validDataset({ ...rest, id, permissions, createdAt: new Date().toISOString(), dataDescription: { metadataSchema: {}, ...(isObj(body.dataDescription) ? body.dataDescription : {}) } });
    ctx.datasets.put(d);
    return c.json(d, 201);
  });

  app.get('/v1/datasets/:id', (c) => c.json(dataset(ctx, c.req.param('id'))));

  app.patch('/v1/datasets/:id', async (c) => {
    const d = dataset(ctx, c.req.param('id'));
    writable(d);
    const body = await readJson(c);
    if (!isObj(body)) throw new HttpError(400, 'the body must be an object of the fields to change');
    if (body.id !== undefined && body.id !== d.id) throw new HttpError(400, "a dataset's id cannot be changed");
    if (body.permissions !== undefined) permissionList(body.permissions);
    const next = validDataset(merge(d as Record<string, unknown>, body));
    ctx.datasets.put(next);
    return c.json(next);
  });

  app.delete('/v1/datasets/:id', async (c) => {
    const d = dataset(ctx, c.req.param('id'));
    writable(d);
    ctx.datasets.delete(d.id);
    // Its points go with it, unless another dataset shares its DFI instance.
    const key = instanceKey(d);
    if (!ctx.datasets.all().some((o) => instanceKey(o) === key)) await ctx.points.truncate(key);
    return c.body(null, 204);
  });

  app.get('/v1/datasets/:id/permissions', (c) => c.json(dataset(ctx, c.req.param('id')).permissions));
  app.get('/v1/datasets/:id/permissions/me', (c) => {
    const mine = permissionsOf(dataset(ctx, c.req.param('id')), ctx.identityId);
    return c.json({ identityId: ctx.identityId, ...mine });
  });
  app.post('/v1/datasets/:id/permissions', async (c) => {
    const d = dataset(ctx, c.req.param('id'));
    writable(d);
    const add = permissionList(await readJson(c));
    const next = [...d.permissions];
    for (const p of add) if (!next.some((q) => samePermission(p, q))) next.push(p);
    ctx.datasets.put({ ...d, permissions: next });
    return c.json(add);
  });
  app.delete('/v1/datasets/:id/permissions', async (c) => {
    const d = dataset(ctx, c.req.param('id'));
    writable(d);
    const remove = permissionList(await readJson(c));
    const removed = d.permissions.filter((p) => remove.some((q) => samePermission(p, q)));
    ctx.datasets.put({ ...d, permissions: d.permissions.filter((p) => !remove.some((q) => samePermission(p, q))) });
    return c.json(removed);
  });

  app.get('/v1/datasets/:id/schema', async (c) => {
    const d = dataset(ctx, c.req.param('id'));
    const type = (c.req.query('type') ?? 'full') as SchemaType;
    if (!SCHEMA_TYPES.includes(type)) throw new HttpError(400, `type must be one of ${SCHEMA_TYPES.join(', ')}, not ${JSON.stringify(type)}`);
    const feather = (c.req.header('accept') ?? '').toLowerCase().includes('application/feather');
    const fields = schemaFields(d, type);
    if (feather) {
      const A = await loadArrow();
      const schema = new A.Schema(fields.map((f) => new A.Field(f.name, f.arrow(A), f.nullable, new Map(Object.entries(f.meta)))));
      const bytes = A.tableToIPC(new A.Table(schema), 'file');
      return c.body(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer, 200, { 'content-type': 'application/feather' });
    }
    const props = type === 'full' || type === 'withFilterFields' ? (d.dataDescription?.metadataSchema ?? {}) : {};
    return c.json({ type, fields: fields.map((f) => f.json), metadataSchema: props });
  });

  app.post('/v1/datasets/:id/schema/values', async (c) => {
    const d = dataset(ctx, c.req.param('id'));
    writable(d);
    const body = await readJson(c);
    if (!isObj(body) || Object.keys(body).length === 0) throw new HttpError(400, 'the body must name enum properties and their new values: {"prop": {"type": "enum", "values": ["a", "b"]}}');
    const schema: MetadataSchema = structuredClone(d.dataDescription?.metadataSchema ?? {});
    for (const [name, spec] of Object.entries(body)) {
      const prop = Object.hasOwn(schema, name) ? schema[name] : undefined;
      if (!prop || prop.type !== 'enum') throw new HttpError(400, `${JSON.stringify(name)} is not an enum property of dataset ${d.id}`);
      // The public client's shape {"type": "enum", "values": [...], "nullable"?}, or a plain list.
      const values = Array.isArray(spec) ? spec : isObj(spec) ? spec.values : undefined;
      if (isObj(spec) && spec.type !== undefined && spec.type !== 'enum') throw new HttpError(400, `${name}: only enum values can be added (type "enum"), not ${JSON.stringify(spec.type)}`);
      if (!Array.isArray(values) || values.length === 0 || !values.every((v) => typeof v === 'string' && v.length > 0)) throw new HttpError(400, `values for ${name} must be a non-empty list of non-empty strings`);
      prop.values = [...new Set([...(prop.values ?? []), ...values])];
    }
    ctx.datasets.put({ ...d, dataDescription: { ...(d.dataDescription ?? {}), metadataSchema: schema } });
    return c.json(schema);
  });
}
