/**
 * The sandbox's datasets: seeded from a JSON file (default: examples/datasets.json), changed through
 * the Datasets API and persisted, one JSON file per changed dataset, in `<stateDir>/sandbox/datasets/`
 * (a deleted seed dataset leaves a `{"id": ..., "deleted": true}` file). The seed file is never written.
 *
 * Access lists: a dataset's `permissions` is a list `[{"type": "reader"|"writer"|..., "scope":
 * "all"|"identity", "identityId"?}]`. The seed file may also use the sandbox's older shorthand
 * `{"read": bool, "write": bool}`, read as `writer`/`reader` for scope `all`; no permissions at all
 * means `writer` for everyone.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { DatasetSchema, type Dataset } from '../dfi/schemas.js';
import { UserFacingError } from '../errors.js';

export const PermissionSchema = z.looseObject({ type: z.string().min(1), scope: z.string().min(1), identityId: z.string().optional() });
export type Permission = z.infer<typeof PermissionSchema>;

export const SandboxDatasetSchema = DatasetSchema.extend({
  permissions: z.union([z.array(PermissionSchema), z.looseObject({ write: z.boolean().optional(), read: z.boolean().optional() })]).optional(),
});
export type SandboxDataset = Dataset & { permissions: Permission[] };

const FileSchema = z.object({ datasets: z.array(SandboxDatasetSchema) });

/** Permission types that allow writing (importing, changing the schema). */
export const WRITE_TYPES = new Set(['writer', 'owner', 'admin', 'manager']);

function normalise(d: z.infer<typeof SandboxDatasetSchema>): SandboxDataset {
  const p = d.permissions;
  const permissions: Permission[] = Array.isArray(p) ? p : p ? [{ type: p.write === false ? 'reader' : 'writer', scope: 'all' }] : [{ type: 'writer', scope: 'all' }];
  return { ...(d as Dataset), permissions };
}

export function loadDatasets(file: string): Map<string, SandboxDataset> {
  let raw: string;
  try {
    raw = fs.readFileSync(file, 'utf8');
  } catch {
    throw new UserFacingError('config_error', `the sandbox datasets file ${file} cannot be read.`, {
      hint: 'Give an existing file with --sandbox-datasets, or leave it out to use the bundled example.',
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (err) {
    throw new UserFacingError('config_error', `the sandbox datasets file ${file} is not valid JSON: ${(err as Error).message}`);
  }
  const parsed = FileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UserFacingError('config_error', `the sandbox datasets file ${file} is not of the expected shape at ${issue?.path.join('.') || '(root)'}: ${issue?.message}`, {
      hint: 'It must be {"datasets": [{"id": ..., "dataDescription": {"metadataSchema": {...}}}]}.',
    });
  }
  return new Map(parsed.data.datasets.map((d) => [d.id, normalise(d)]));
}

/** What the API answers for a dataset. */
export function publicDataset(d: SandboxDataset): Dataset {
  return d;
}

/** The permissions of the list that apply to an identity. */
export function permissionsOf(d: SandboxDataset, identityId: string): { read: boolean; write: boolean; permissions: Permission[] } {
  const mine = d.permissions.filter((p) => p.scope === 'all' || (p.scope === 'identity' && p.identityId === identityId));
  return { read: mine.length > 0, write: mine.some((p) => WRITE_TYPES.has(p.type)), permissions: mine };
}

export const samePermission = (a: Permission, b: Permission) => a.type === b.type && a.scope === b.scope && (a.identityId ?? null) === (b.identityId ?? null);

const fileFor = (dir: string, id: string) => path.join(dir, `${createHash('sha256').update(id).digest('hex').slice(0, 24)}.json`);

export class DatasetStore {
  readonly #map: Map<string, SandboxDataset>;
  private constructor(
    readonly dir: string | undefined,
    map: Map<string, SandboxDataset>,
  ) {
    this.#map = map;
  }

  /** The seed file, then the persisted changes in `dir` (when given) over it. */
  static open(seedFile: string, dir?: string): DatasetStore {
    const map = loadDatasets(seedFile);
    if (dir && fs.existsSync(dir)) {
      for (const name of fs.readdirSync(dir).filter((n) => n.endsWith('.json')).sort()) {
        try {
          const json = JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')) as { id?: unknown; deleted?: unknown };
          if (json.deleted === true && typeof json.id === 'string') {
            map.delete(json.id);
            continue;
          }
          const parsed = SandboxDatasetSchema.safeParse(json);
          if (parsed.success) map.set(parsed.data.id, normalise(parsed.data));
        } catch {
          // A file that cannot be read is skipped: the sandbox still starts.
        }
      }
    }
    return new DatasetStore(dir, map);
  }

  get(id: string): SandboxDataset | undefined {
    return this.#map.get(id);
  }
  has(id: string): boolean {
    return this.#map.has(id);
  }
  all(): SandboxDataset[] {
    return [...this.#map.values()];
  }

  /** Stores (and persists) a dataset. */
  put(d: SandboxDataset): void {
    this.#map.set(d.id, d);
    this.#write(d.id, d);
  }

  delete(id: string): boolean {
    if (!this.#map.delete(id)) return false;
    this.#write(id, { id, deleted: true });
    return true;
  }

  #write(id: string, body: unknown): void {
    if (!this.dir) return;
    fs.mkdirSync(this.dir, { recursive: true });
    const file = fileFor(this.dir, id);
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, `${JSON.stringify(body, null, 1)}\n`);
    fs.renameSync(tmp, file);
  }
}
