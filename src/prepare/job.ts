/**
 * A preparation: a source, a recipe and a target. `dryRunPreparation` converts the first rows of the
 * first files and says what would happen; `PrepareJob` runs it in the background of the server:
 * several objects at once (bounded), each read once and streamed through the converter into the
 * target, skipping outputs that already record the same source ETag and recipe hash.
 */
import { randomBytes } from 'node:crypto';
import { describeError, UserFacingError } from '../errors.js';
import { log } from '../log.js';
import { PREPARED_MANIFEST } from '../import/ledger.js';
import { Cancelled, convertStream, type ConvertStats } from './convert.js';
import { fileFormatOf, type CompiledRecipe, type Recipe, type RejectCause } from './recipe.js';
import { ConvertPool, cores } from './pool.js';
import { outputPipe, SourceChanged, type OutputMeta, type SourceObject, type SourceStore, type TargetStore } from './stores.js';

/** The manifest beside the outputs (the import ledger reads it: import/ledger.ts). */
export const MANIFEST_NAME = PREPARED_MANIFEST;
export const OUTPUT_GLOB = '**/*.csv';
export const MAX_FILES = 100_000;

/**
 * This server's conversion throughput on AIS-like gzip CSV (decompressed MB per second and core),
 * measured by `npm run bench` on a shared 2-core machine; estimates scale from it.
 */
export const MEASURED_MB_PER_S_PER_CORE = 60;

export interface Preparation {
  source: SourceStore;
  /** The part of each source key the outputs do not repeat (the source prefix). */
  sourcePrefix: string;
  target: TargetStore;
  recipe: Recipe;
  compiled: CompiledRecipe;
  recipeHash: string;
  objects: SourceObject[];
}

/** `ais/2024/day-1.csv.gz` under prefix `ais/` -> `<target prefix>2024/day-1.csv`. */
export function outputKey(p: Pick<Preparation, 'sourcePrefix' | 'target'>, key: string): string {
  let rel = key.startsWith(p.sourcePrefix) ? key.slice(p.sourcePrefix.length) : key;
  rel = rel.replace(/^\/+/, '').replace(/^[a-z]+:\/\/[^/]+\//i, '');
  rel = rel.replace(/\.(gz|gzip)$/i, '');
  if (!/\.csv$/i.test(rel)) rel += '.csv';
  return `${p.target.prefix}${rel}`;
}

/**
 * Whether writing under the target could touch the source: the same prefix, one inside the other.
 * The one exception: a source of the whole bucket with a glob of top-level files only ("*.csv").
 */
export function targetOverlap(sourceBucket: string, sourcePrefix: string, glob: string, targetBucket: string, targetPrefix: string): string | null {
  if (sourceBucket !== targetBucket) return null;
  if (sourcePrefix.startsWith(targetPrefix)) return `the source s3://${sourceBucket}/${sourcePrefix} is inside the target s3://${targetBucket}/${targetPrefix}`;
  if (targetPrefix.startsWith(sourcePrefix)) {
    const reachesSubfolders = glob.includes('/') || glob.includes('**');
    if (sourcePrefix !== '' || reachesSubfolders) {
      return `the target s3://${targetBucket}/${targetPrefix} is inside the source s3://${sourceBucket}/${sourcePrefix}${sourcePrefix === '' ? ` (glob "${glob}" reaches it)` : ''}: prepared files could be read as sources`;
    }
  }
  return null;
}

/** What to pass to put_batch to import the prepared copy. */
export function putBatchHint(prep: Pick<Preparation, 'recipe' | 'target'>, sandbox: boolean) {
  const file_format = fileFormatOf(prep.recipe);
  const s3 = { bucket: prep.target.bucket, prefix: prep.target.prefix, glob: OUTPUT_GLOB };
  return {
    file_format,
    // The sandbox reads its buckets itself and takes any role; on the platform, presigned URLs work without a role.
    source: sandbox ? { s3: { ...s3, role_arn: 'arn:aws:iam::123456789012:role/sandbox' } } : { s3_presigned: s3 },
    role_route: {
      s3: { ...s3, role_arn: '<your role ARN>' },
      note: `The role needs read access to s3://${s3.bucket}/${s3.prefix}: get_aws_trust_policy with bucket "${s3.bucket}" and prefix "${s3.prefix}" gives its access policy.`,
    },
  };
}

/** Whether an output is complete for this source object and recipe (a URL's ETag is not known before reading: never). */
function isDone(meta: OutputMeta | null, obj: SourceObject, recipeHash: string): boolean {
  return meta !== null && obj.etag !== '' && meta.sourceEtag === obj.etag && meta.recipeHash === recipeHash && meta.sourceKey === obj.key;
}

const cap = (v: string) => (v.length > 60 ? `${v.slice(0, 60)}…` : v);

export interface DryRunReport {
  files: { checked: number; total: number; bytes: number; firstKeys: string[]; truncated: boolean };
  rows: { checked: number; written: number; skipped: number; rejected: Partial<Record<RejectCause, number>>; dropped: Record<string, number> };
  sideBySide: { file: string; line: number; before: string[]; after: string | null; rejected?: string }[];
  rejects: { file: string; line: number; cause: RejectCause; detail: string }[];
  outputs: { source: string; output: string; state: 'new' | 'done' | 'stale' }[];
  estimate: { sourceBytes: number; outputBytes: number | null; seconds: number | null; basis: string };
  compression: string;
}

export async function dryRunPreparation(p: Preparation, opts: { rows: number; files: number; parallel: number; signal?: AbortSignal }): Promise<DryRunReport> {
  const report: DryRunReport = {
    files: { checked: 0, total: p.objects.length, bytes: p.objects.reduce((a, o) => a + o.size, 0), firstKeys: p.objects.slice(0, 5).map((o) => o.key), truncated: false },
    rows: { checked: 0, written: 0, skipped: 0, rejected: {}, dropped: {} },
    sideBySide: [],
    rejects: [],
    outputs: [],
    estimate: { sourceBytes: 0, outputBytes: null, seconds: null, basis: '' },
    compression: 'none',
  };
  report.estimate.sourceBytes = report.files.bytes;
  let decodedPerStored = 1;
  let outPerDecoded = 0;
  for (const obj of p.objects.slice(0, opts.files)) {
    let consumed = 0;
    const stream = await p.source.open(obj, opts.signal);
    const stats = await convertStream(stream, p.compiled, {
      write: () => undefined,
      maxRows: opts.rows,
      ...(opts.signal ? { signal: opts.signal } : {}),
      onRow: (e) => {
        consumed += e.fields.reduce((a, f) => a + f.length + 1, 0);
        if (report.sideBySide.length < 8 || (e.output === null && report.sideBySide.filter((r) => r.after === null).length < 4 && report.sideBySide.length < 12)) {
          report.sideBySide.push({ file: obj.key, line: e.line, before: e.fields.slice(0, 30).map(cap), after: e.output, ...(e.output === null ? { rejected: e.dropped ? `dropped: ${e.dropped}` : `${e.cause}: ${e.detail}` } : {}) });
        }
      },
      onReject: (line, cause, detail) => void (report.rejects.length < 20 && report.rejects.push({ file: obj.key, line, cause, detail })),
    });
    report.files.checked++;
    report.compression = stats.compression;
    merge(report.rows, stats);
    if (consumed > 0) outPerDecoded = stats.bytesOut / consumed;
    if (stats.compression === 'gzip' && obj.size > 0 && stats.bytesIn > 0 && stats.bytesDecoded > 0) decodedPerStored = Math.max(1, stats.bytesDecoded / stats.bytesIn);
  }
  for (const obj of p.objects.slice(0, 20)) {
    const key = outputKey(p, obj.key);
    const meta = await p.target.head(key);
    report.outputs.push({ source: obj.key, output: key, state: !meta ? 'new' : isDone(meta, obj, p.recipeHash) ? 'done' : 'stale' });
  }
  const decoded = report.files.bytes * decodedPerStored;
  if (report.files.bytes > 0) {
    report.estimate.outputBytes = Math.round(decoded * outPerDecoded);
    const cores = Math.min(opts.parallel, p.objects.length, 2);
    report.estimate.seconds = Math.round(decoded / (MEASURED_MB_PER_S_PER_CORE * 1e6 * Math.max(1, cores)));
    report.estimate.basis = `${(decoded / 1e6).toFixed(1)} MB of CSV${decodedPerStored > 1 ? ` (gzip, ×${decodedPerStored.toFixed(1)} from the sample)` : ''} at this server's measured ${MEASURED_MB_PER_S_PER_CORE} MB/s per core, ${Math.max(1, cores)} at a time; output size from the sample's ratio; network time not included`;
  } else {
    report.estimate.basis = 'the source sizes are not known before reading (URLs)';
  }
  return report;
}

function merge(into: { written: number; skipped?: number; rejected: Partial<Record<RejectCause, number>>; dropped: Record<string, number>; checked?: number; rows?: number }, s: ConvertStats): void {
  if (into.checked !== undefined) into.checked += s.rows;
  if (into.rows !== undefined) into.rows += s.rows;
  into.written += s.written;
  if (into.skipped !== undefined) into.skipped += s.skipped;
  for (const [k, v] of Object.entries(s.rejected)) into.rejected[k as RejectCause] = (into.rejected[k as RejectCause] ?? 0) + v;
  for (const [k, v] of Object.entries(s.dropped)) into.dropped[k] = (into.dropped[k] ?? 0) + v;
}

// ---- the background job --------------------------------------------------------------------

export type JobStatus = 'running' | 'finished' | 'finished_with_errors' | 'failed' | 'cancelled';

/** Rows read, written, and left out by cause: what a file and a job count. */
export interface RowCounts {
  rows: number;
  written: number;
  rejected: Partial<Record<RejectCause, number>>;
  dropped: Record<string, number>;
}

export interface ManifestEntry extends RowCounts {
  sourceKey: string;
  sourceEtag: string;
  recipeHash: string;
  bytesIn: number;
  bytesOut: number;
  finishedAt: string;
}

export interface Manifest {
  kind: 'dfi-prepared';
  version: 1;
  source: string;
  recipeHash: string;
  recipe: Recipe;
  file_format: Record<string, number>;
  updatedAt: string;
  outputs: Record<string, ManifestEntry>;
}

export interface JobCounts extends RowCounts {
  files: { total: number; done: number; skipped: number; failed: number; running: number };
  bytesRead: number;
  bytesWritten: number;
  sourceBytes: number;
}

export class PrepareJob {
  readonly id = `prep-${randomBytes(6).toString('hex')}`;
  readonly startedAt = new Date().toISOString();
  endedAt: string | null = null;
  status: JobStatus = 'running';
  readonly counts: JobCounts;
  readonly errors: { key: string; code: string; message: string }[] = [];
  readonly changed: string[] = [];
  readonly #abort = new AbortController();
  readonly #listeners = new Set<() => void>();
  #manifest: Manifest;
  #manifestDirty = false;
  #manifestWrite: Promise<void> = Promise.resolve();
  #lastManifestAt = 0;
  readonly done: Promise<void>;
  /** Live bytes of files in flight, for progress between files. */
  readonly #inFlight = new Map<string, number>();

  /** The conversion threads (null: in this thread, when the worker script is not built or threads is 0). */
  readonly #pool: ConvertPool | null;

  /** `threads`: conversion threads (default: one per file in flight, at most the cores; 0: in this thread). */
  constructor(readonly prep: Preparation, readonly parallel: number, fileFormat: Record<string, number>, previous: Manifest | null, threads?: number) {
    this.#pool = ConvertPool.create(threads ?? Math.min(parallel, prep.objects.length, cores()));
    this.counts = {
      files: { total: prep.objects.length, done: 0, skipped: 0, failed: 0, running: 0 },
      rows: 0,
      written: 0,
      rejected: {},
      dropped: {},
      bytesRead: 0,
      bytesWritten: 0,
      sourceBytes: prep.objects.reduce((a, o) => a + o.size, 0),
    };
    this.#manifest = newManifest(prep, fileFormat, previous);
    this.done = this.#run();
  }

  get terminal(): boolean {
    return this.status !== 'running';
  }

  /** Bytes read so far, including files in flight. */
  get bytesRead(): number {
    let n = this.counts.bytesRead;
    for (const v of this.#inFlight.values()) n += v;
    return n;
  }

  cancel(): void {
    if (!this.terminal) this.#abort.abort();
  }

  /** Resolves on the next change of state (or after ms). */
  async changes(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.#listeners.add(done);
      void this.done.then(done);
    });
  }

  #notify(): void {
    const ls = [...this.#listeners];
    this.#listeners.clear();
    for (const l of ls) l();
  }

  async #run(): Promise<void> {
    const queue = [...this.prep.objects];
    const worker = async () => {
      for (;;) {
        const obj = queue.shift();
        if (!obj || this.#abort.signal.aborted) return;
        this.counts.files.running++;
        try {
          await this.#one(obj);
        } finally {
          this.counts.files.running--;
          this.#inFlight.delete(obj.key);
          this.#notify();
        }
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(this.parallel, Math.max(1, queue.length)) }, worker));
      this.status = this.#abort.signal.aborted ? 'cancelled' : this.errors.length ? 'finished_with_errors' : 'finished';
    } catch (err) {
      this.status = 'failed';
      this.errors.push({ key: '', code: 'job_failed', message: describeError(err) });
    }
    this.#manifestDirty = true;
    await this.#saveManifest(true);
    this.endedAt = new Date().toISOString();
    this.#pool?.close();
    this.prep.target.close();
    log('info', `prepare_files ${this.id}: ${this.status}: ${this.counts.files.done} done, ${this.counts.files.skipped} skipped, ${this.counts.files.failed} failed; ${this.counts.written} rows written`);
    this.#notify();
  }

  async #one(first: SourceObject): Promise<void> {
    const p = this.prep;
    const key = outputKey(p, first.key);
    let obj = first;
    const meta = await p.target.head(key).catch(() => null);
    if (isDone(meta, obj, p.recipeHash)) {
      this.counts.files.skipped++;
      const e = this.#manifest.outputs[key];
      if (e) {
        this.counts.rows += e.rows;
        this.counts.written += e.written;
      }
      return;
    }
    for (let attempt = 0; ; attempt++) {
      try {
        const stats = await this.#convertOne(obj, key);
        this.counts.files.done++;
        this.counts.bytesRead += stats.bytesIn;
        this.counts.bytesWritten += stats.bytesOut;
        merge(this.counts, stats);
        this.#manifest.outputs[key] = {
          sourceKey: obj.key,
          sourceEtag: obj.etag,
          recipeHash: p.recipeHash,
          rows: stats.rows,
          written: stats.written,
          rejected: stats.rejected,
          dropped: stats.dropped,
          bytesIn: stats.bytesIn,
          bytesOut: stats.bytesOut,
          finishedAt: new Date().toISOString(),
        };
        this.#manifestDirty = true;
        void this.#saveManifest(false);
        return;
      } catch (err) {
        if (err instanceof Cancelled || this.#abort.signal.aborted) return;
        if (err instanceof SourceChanged && attempt === 0) {
          // Changed since it was listed: do it again from the object as it is now.
          const now = await p.source.current(obj);
          if (now) {
            this.changed.push(obj.key);
            obj = now;
            continue;
          }
        }
        this.counts.files.failed++;
        this.errors.push({
          key: obj.key,
          code: err instanceof SourceChanged ? 'source_changed' : err instanceof UserFacingError ? err.kind : 'error',
          message: describeError(err),
        });
        return;
      }
    }
  }

  async #convertOne(obj: SourceObject, key: string): Promise<ConvertStats> {
    const p = this.prep;
    const out = outputPipe();
    const source = await p.source.open(obj, this.#abort.signal);
    // Part buffers: three (two parts in flight) when one or two files go at once; one per file when more
    // do (the files take turns on the network): 8 files in flight hold 8 x 5 MiB, whatever their size.
    const buffers = Math.min(this.parallel, p.objects.length) <= 2 ? 3 : 1;
    const writing = p.target.write(key, out.stream, { sourceKey: obj.key, sourceEtag: obj.etag, recipeHash: p.recipeHash }, this.#abort.signal, buffers);
    // If the write fails first (access denied, network), stop converting.
    let writeError: unknown;
    writing.catch((err: unknown) => {
      writeError = err;
      out.stream.destroy();
    });
    let stats: ConvertStats;
    const write = (chunk: Buffer) => {
      if (writeError) throw writeError;
      return out.write(chunk);
    };
    const onProgress = (bytesIn: number) => {
      this.#inFlight.set(obj.key, bytesIn);
      this.#notify();
    };
    try {
      stats = this.#pool
        ? await this.#pool.convert(source, p.recipe, { write, signal: this.#abort.signal, onProgress })
        : await convertStream(source, p.compiled, { write, signal: this.#abort.signal, onProgress: (s) => onProgress(s.bytesIn) });
    } catch (err) {
      // Never complete a half-written output: the upload is aborted, the temporary file removed.
      out.stream.destroy(err instanceof Error ? err : new Error(String(err)));
      await writing.catch(() => undefined);
      throw writeError ?? err;
    }
    out.stream.end();
    await writing;
    return stats;
  }

  async #saveManifest(force: boolean): Promise<void> {
    // At most one write every 2 s while running (one object per file would be quadratic), and at the end.
    if (!force && Date.now() - this.#lastManifestAt < 2_000) return;
    this.#lastManifestAt = Date.now();
    this.#manifestWrite = this.#manifestWrite.then(async () => {
      if (!this.#manifestDirty) return;
      this.#manifestDirty = false;
      this.#manifest.updatedAt = new Date().toISOString();
      await this.prep.target.putText(`${this.prep.target.prefix}${MANIFEST_NAME}`, JSON.stringify(this.#manifest, null, 1)).catch((err: unknown) => {
        log('warn', `prepare_files ${this.id}: the manifest could not be written: ${describeError(err)}`);
      });
    });
    await this.#manifestWrite;
  }
}

/** The manifest of a preparation: this source and recipe, with the outputs an earlier run finished. */
export function newManifest(prep: Pick<Preparation, 'source' | 'recipe' | 'recipeHash'>, fileFormat: Record<string, number>, previous: Manifest | null): Manifest {
  return {
    kind: 'dfi-prepared',
    version: 1,
    source: prep.source.where,
    recipeHash: prep.recipeHash,
    recipe: prep.recipe,
    file_format: fileFormat,
    updatedAt: new Date().toISOString(),
    outputs: previous?.outputs ?? {},
  };
}

export async function readManifest(target: TargetStore): Promise<Manifest | null> {
  const text = await target.getText(`${target.prefix}${MANIFEST_NAME}`);
  if (!text) return null;
  try {
    const m = JSON.parse(text) as Manifest;
    return m.kind === 'dfi-prepared' && m.outputs && typeof m.outputs === 'object' ? m : null;
  } catch {
    return null;
  }
}

/** The jobs of this server process. */
export const prepareJobs = new Map<string, PrepareJob>();

export function registerJob(job: PrepareJob): void {
  prepareJobs.set(job.id, job);
  if (prepareJobs.size > 100) {
    for (const [id, j] of prepareJobs) {
      if (j.terminal) {
        prepareJobs.delete(id);
        break;
      }
    }
  }
}
