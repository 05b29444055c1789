/**
 * The sandbox's persistent point store: the valid rows of finished imports, per DFI instance.
 *
 * Layout under `<stateDir>/sandbox/points/`:
 *   <instance>/instance.json           {"key": "host:port" | "dataset:<id>"}
 *   <instance>/segments/<seq>-<id>.seg committed segments (see segment.ts), in commit order
 *   <instance>/pending/<batch>/*.seg   segments of an import still running (removed at start-up)
 * An import writes into its pending folder; when it finishes, its segments are renamed into
 * `segments/` and become visible. An import that ends in error or is aborted leaves nothing.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Segment, type SegmentSpec, type SegmentTarget } from './segment.js';

export interface Instance {
  key: string;
  dir: string;
  segments: Segment[];
}

export interface PendingBatch {
  target: SegmentTarget;
  commit(): Promise<number>;
  discard(): Promise<void>;
}

const dirName = (key: string) => `i-${createHash('sha256').update(key).digest('hex').slice(0, 20)}`;
let seq = 0;

export class PointStore {
  readonly #instances = new Map<string, Instance>();
  private constructor(readonly root: string) {}

  static async open(root: string): Promise<PointStore> {
    const store = new PointStore(root);
    // Folders are made on the first import, not here.
    const entries = await fs.promises.readdir(root, { withFileTypes: true }).catch(() => [] as fs.Dirent[]);
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      const dir = path.join(root, e.name);
      let key: string;
      try {
        key = (JSON.parse(await fs.promises.readFile(path.join(dir, 'instance.json'), 'utf8')) as { key: string }).key;
      } catch {
        continue;
      }
      await fs.promises.rm(path.join(dir, 'pending'), { recursive: true, force: true });
      const segDir = path.join(dir, 'segments');
      const names = (await fs.promises.readdir(segDir).catch(() => [] as string[])).filter((n) => n.endsWith('.seg')).sort();
      const segments: Segment[] = [];
      for (const n of names) {
        try {
          segments.push(await Segment.open(path.join(segDir, n)));
        } catch {
          // A damaged segment is left out rather than failing the whole sandbox.
        }
      }
      store.#instances.set(key, { key, dir, segments });
    }
    return store;
  }

  async #instance(key: string): Promise<Instance> {
    let inst = this.#instances.get(key);
    if (!inst) {
      const dir = path.join(this.root, dirName(key));
      await fs.promises.mkdir(path.join(dir, 'segments'), { recursive: true });
      await fs.promises.writeFile(path.join(dir, 'instance.json'), JSON.stringify({ key }));
      inst = { key, dir, segments: [] };
      this.#instances.set(key, inst);
    }
    return inst;
  }

  /** The committed segments of an instance (a snapshot: later commits do not change it). */
  segments(key: string): Segment[] {
    return [...(this.#instances.get(key)?.segments ?? [])];
  }

  /** Starts storing the points of one import into the instance `key`. */
  async begin(key: string, spec: SegmentSpec): Promise<PendingBatch> {
    const inst = await this.#instance(key);
    const dir = path.join(inst.dir, 'pending', spec.batchId.replace(/[^A-Za-z0-9-]/g, '_'));
    await fs.promises.mkdir(dir, { recursive: true });
    return {
      target: { dir, spec },
      commit: async () => {
        const names = (await fs.promises.readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.seg')).sort();
        const current = await this.#instance(key);
        let rows = 0;
        for (const n of names) {
          const to = path.join(current.dir, 'segments', `${String(Date.now()).padStart(15, '0')}-${String(seq++).padStart(6, '0')}-${n}`);
          await fs.promises.rename(path.join(dir, n), to);
          const s = await Segment.open(to);
          rows += s.header.rows;
          current.segments.push(s);
        }
        await fs.promises.rm(dir, { recursive: true, force: true });
        return rows;
      },
      discard: () => fs.promises.rm(dir, { recursive: true, force: true }),
    };
  }

  /** Removes every point of the instance (imports still running keep their pending points). */
  async truncate(key: string): Promise<void> {
    const inst = this.#instances.get(key);
    if (!inst) return;
    const old = inst.segments;
    inst.segments = [];
    for (const s of old) await fs.promises.rm(s.file, { force: true });
  }

  /** Points held by an instance. */
  count(key: string): number {
    return (this.#instances.get(key)?.segments ?? []).reduce((a, s) => a + s.header.rows, 0);
  }
}
