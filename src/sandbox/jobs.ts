/**
 * The sandbox's job runner: really reads every matched file, validates every row, and moves the
 * job through created -> running -> finished (or error, aborted) with true counts and a log.
 *
 * Sandbox rules where the platform's behaviour is unknown (documented in the README):
 * - A dry run checks the first N rows (default 100) of every file and answers synchronously:
 *   `success` when every file could be read and parsed with the format, even with invalid rows
 *   (counted in invalidCount, shown in log); `error` when nothing matches, a file cannot be read, or
 *   a mapped column lies beyond the width of most rows. Its insertCount is the number of checked rows
 *   that would be inserted.
 * - A real import counts every valid row in insertCount and every invalid one in invalidCount; a
 *   file that cannot be read ends the job in `error` after the other files were processed.
 * - The log holds file-level notes, the first rejected rows, then one exact tally line per cause
 *   (`cause <code>: <n> row(s), ...`; the format's home is src/rules/rejection-tally.ts).
 * - With a state folder, every job and its history are saved in `<stateDir>/sandbox/jobs/<id>.json`
 *   at each change of status, so that a restarted sandbox still answers for them. An import that was
 *   running when the process stopped is run again from the start, as the platform's own jobs go on
 *   whatever happens to the client.
 */
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { RejectionTally } from '../rules/rejection-tally.js';
import { log } from '../log.js';
import type { BatchRequest, MetadataSchema, StatusUpdate } from '../dfi/schemas.js';
import { describeError } from '../errors.js';
import { compileRowValidator, type RowProblem } from '../csv/validate.js';
import { validateFile, validateStream, type FileOutcome } from '../csv/bulk.js';
import type { SourceFile } from '../sources/files.js';
import type { PendingBatch } from './store/points.js';
import { segmentSink } from './store/segment.js';

export const MAX_LOG_LINES = 20;
export const MAX_FILE_NOTES = 50;
export const DEFAULT_DRY_RUN_ROWS = 100;

export interface SandboxJob {
  id: string;
  datasetId: string;
  format: BatchRequest['format'];
  source: unknown;
  status: string;
  insertCount: number;
  invalidCount: number;
  log: string | null;
  addedAt: string;
  deletedAt: string | null;
  dryRun: boolean | number;
}

interface JobState {
  job: SandboxJob;
  history: StatusUpdate[];
  /** File-level notes (a file that cannot be read, a format that does not fit): always kept. */
  fileNotes: string[];
  /** The first rejected rows. */
  logLines: string[];
  extraLogLines: number;
  tally: RejectionTally;
  abort: AbortController;
}

/** Jobs kept in memory: the oldest ended ones are forgotten beyond this (GET then answers 404). */
export const MAX_KEPT_JOBS = 1_000;
/**
 * A session policy (or list of managed policy ARNs) larger than this is kept with its job as its
 * size and SHA-256 only: STS takes 2,048 characters at most, and 300 dry runs with an 879 KB policy
 * held 290 MB of memory (and as much on disk). The sandbox never uses the policy to read files.
 */
export const MAX_KEPT_POLICY_CHARS = 2_048;

/** The source as kept with the job (and answered by GET): large policies as their size and hash. */
export function keptSource(source: BatchRequest['source']): BatchRequest['source'] | Record<string, unknown> {
  if (!('s3' in source)) return source;
  const credentials: Record<string, unknown> = { ...source.s3.credentials };
  for (const key of ['Policy', 'PolicyArns'] as const) {
    if (credentials[key] === undefined) continue;
    const json = JSON.stringify(credentials[key]);
    if (json.length <= MAX_KEPT_POLICY_CHARS) continue;
    credentials[key] = { keptAs: `size and SHA-256 of its JSON (over ${MAX_KEPT_POLICY_CHARS} characters)`, characters: json.length, sha256: createHash('sha256').update(json).digest('hex') };
  }
  return { s3: { ...source.s3, credentials } };
}

/** Imports validated at once; the others wait in `created`, whatever their number. */
export const MAX_RUNNING_IMPORTS = 2;

interface SavedJob {
  job: SandboxJob;
  history: StatusUpdate[];
  fileNotes: string[];
  logLines: string[];
  extraLogLines: number;
}

export class JobStore {
  readonly #jobs = new Map<string, JobState>();
  #running = 0;
  readonly #waiting: (() => void)[] = [];

  /** Runs an import when a slot is free: memory and threads stay bounded whatever the number of jobs. */
  async runQueued<T>(work: () => Promise<T>): Promise<T> {
    if (this.#running >= MAX_RUNNING_IMPORTS) await new Promise<void>((r) => this.#waiting.push(r));
    this.#running++;
    try {
      return await work();
    } finally {
      this.#running--;
      this.#waiting.shift()?.();
    }
  }

  /** Forgets the oldest ended jobs beyond MAX_KEPT_JOBS (a Map iterates in insertion order), saved files included. */
  #evict(): void {
    if (this.#jobs.size <= MAX_KEPT_JOBS) return;
    for (const [id, s] of this.#jobs) {
      if (this.#jobs.size <= MAX_KEPT_JOBS) break;
      if (['created', 'running'].includes(s.job.status)) continue;
      this.#jobs.delete(id);
      if (this.dir) fs.rmSync(path.join(this.dir, `${id}.json`), { force: true });
    }
  }

  /** `dir`: where jobs are saved (`<stateDir>/sandbox/jobs`); absent, they live in memory only. */
  constructor(private readonly dir?: string) {
    if (dir) this.#load(dir);
  }

  #load(dir: string): void {
    let names: string[];
    try {
      names = fs.readdirSync(dir).filter((n) => n.endsWith('.json'));
    } catch {
      return; // nothing saved yet
    }
    const loaded: SavedJob[] = [];
    for (const name of names) {
      try {
        const saved = JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')) as SavedJob;
        if (typeof saved?.job?.id === 'string') loaded.push(saved);
      } catch {
        log('warn', `sandbox: the saved job ${name} could not be read; it is left out`);
      }
    }
    // Oldest first, as they were created: eviction forgets the oldest ended jobs.
    loaded.sort((a, b) => String(a.job.addedAt).localeCompare(String(b.job.addedAt)));
    for (const saved of loaded) this.#jobs.set(saved.job.id, { ...saved, tally: new RejectionTally(), abort: new AbortController() });
    this.#evict();
  }

  #save(s: JobState): void {
    if (!this.dir) return;
    const saved: SavedJob = { job: s.job, history: s.history, fileNotes: s.fileNotes, logLines: s.logLines, extraLogLines: s.extraLogLines };
    const file = path.join(this.dir, `${s.job.id}.json`);
    try {
      fs.mkdirSync(this.dir, { recursive: true });
      fs.writeFileSync(`${file}.tmp`, JSON.stringify(saved));
      fs.renameSync(`${file}.tmp`, file);
    } catch (err) {
      log('warn', `sandbox: job ${s.job.id} could not be saved in ${this.dir}: ${describeError(err)}`);
    }
  }

  /** Real imports that were running when the process stopped: to be run again. */
  interrupted(): JobState[] {
    return [...this.#jobs.values()].filter((s) => s.job.dryRun === false && ['created', 'running'].includes(s.job.status));
  }

  /** Ends a job in error, with the reason in its log. */
  fail(s: JobState, why: string): void {
    this.#note(s, why);
    this.#setStatus(s, 'error');
  }

  /** Starts an interrupted import again from the beginning (counts and log reset). */
  restart(s: JobState): void {
    s.job.insertCount = 0;
    s.job.invalidCount = 0;
    s.fileNotes = ['the sandbox was restarted while this import ran: it was started again from the first file'];
    s.logLines = [];
    s.extraLogLines = 0;
    s.tally = new RejectionTally();
    this.#setStatus(s, 'created');
  }

  get(id: string): JobState | undefined {
    return this.#jobs.get(id);
  }

  #setStatus(s: JobState, status: string): void {
    s.job.status = status;
    s.job.log = this.#renderLog(s);
    // Newest first, as dfipy's integration tests read it.
    s.history.unshift({ status, insertCount: s.job.insertCount, invalidCount: s.job.invalidCount, addedAt: new Date().toISOString() });
    this.#save(s);
  }

  #renderLog(s: JobState): string | null {
    if (s.logLines.length === 0 && s.fileNotes.length === 0) return null;
    const more = s.extraLogLines > 0 ? [`... and ${s.extraLogLines} more rejected rows`] : [];
    return [...s.fileNotes, ...s.logLines, ...more, ...s.tally.render()].join('\n');
  }

  #rejected(s: JobState, file: string, line: number, problem: RowProblem): void {
    s.tally.add(file, line, problem);
    if (s.logLines.length < MAX_LOG_LINES) s.logLines.push(`${file} line ${line}: ${problem.text}`);
    else s.extraLogLines++;
  }

  #note(s: JobState, line: string): void {
    if (s.fileNotes.length < MAX_FILE_NOTES) s.fileNotes.push(line);
  }

  /** Creates the job record; the caller runs it with `run` (dry runs synchronously, imports in the background). */
  create(req: BatchRequest, dryRun: boolean | number): JobState {
    const job: SandboxJob = {
      id: randomUUID(),
      datasetId: req.datasetId,
      format: req.format,
      source: keptSource(req.source),
      status: 'created',
      insertCount: 0,
      invalidCount: 0,
      log: null,
      addedAt: new Date().toISOString(),
      deletedAt: null,
      dryRun,
    };
    const state: JobState = { job, history: [], fileNotes: [], logLines: [], extraLogLines: 0, tally: new RejectionTally(), abort: new AbortController() };
    this.#setStatus(state, 'created');
    this.#jobs.set(job.id, state);
    this.#evict();
    return state;
  }

  /**
   * Runs the job to its end. Never throws: every failure ends in status `error` with a log line.
   * With `store`, the valid rows are written as point segments and committed when the job finishes
   * (before it says `finished`); a job that ends otherwise leaves no points.
   */
  async run(s: JobState, files: () => Promise<SourceFile[]>, schema: MetadataSchema, store?: PendingBatch): Promise<void> {
    const dry = s.job.dryRun !== false;
    const maxRows = s.job.dryRun === true ? DEFAULT_DRY_RUN_ROWS : typeof s.job.dryRun === 'number' ? s.job.dryRun : undefined;
    // Aborted while it waited for a slot: nothing to run.
    if (s.abort.signal.aborted) {
      await store?.discard().catch(() => undefined);
      return;
    }
    if (!dry) this.#setStatus(s, 'running');
    let failed = false;
    try {
      const list = await files();
      if (list.length === 0) {
        this.#note(s, 'no file matched the source (check the prefix and the glob)');
        failed = true;
      }
      const validator = compileRowValidator(s.job.format.csv, schema);
      for (const file of list) {
        if (s.abort.signal.aborted) break;
        const base = { insert: s.job.insertCount, invalid: s.job.invalidCount };
        let outcome: FileOutcome;
        try {
          const opts = {
            ...(maxRows !== undefined ? { maxRows } : {}),
            signal: s.abort.signal,
            ...(store ? { sink: segmentSink(store.target) } : {}),
            onInvalid: (line: number, problem: RowProblem) => this.#rejected(s, file.name, line, problem),
            onProgress: (valid: number, invalid: number) => {
              s.job.insertCount = base.insert + valid;
              s.job.invalidCount = base.invalid + invalid;
            },
          };
          outcome = file.path
            ? await validateFile(file.path, file.name, s.job.format.csv, schema, opts)
            : await validateStream(await file.open(), file.name, (f) => validator.validate(f), opts);
        } catch (err) {
          outcome = { name: file.name, rows: 0, valid: 0, invalid: 0, tooNarrow: 0, error: describeError(err) };
        }
        // Aborted: the counts so far stand (an aborted file's outcome is empty, not a count).
        if (s.abort.signal.aborted) break;
        s.job.insertCount = base.insert + outcome.valid;
        s.job.invalidCount = base.invalid + outcome.invalid;
        if (outcome.error) {
          failed = true;
          this.#note(s, `${file.name}: could not be read: ${outcome.error}`);
        } else if (outcome.rows > 0 && outcome.tooNarrow * 2 > outcome.rows) {
          if (dry) failed = true;
          this.#note(s, `${file.name}: most rows have fewer columns than the format maps (${validator.width}): the format does not fit this file`);
        }
      }
    } catch (err) {
      failed = true;
      this.#note(s, `the source could not be listed: ${describeError(err)}`);
    }
    if (store) {
      if (failed || s.abort.signal.aborted) await store.discard().catch(() => undefined);
      else {
        try {
          await store.commit();
        } catch (err) {
          failed = true;
          this.#note(s, `the points could not be stored: ${describeError(err)}`);
          await store.discard().catch(() => undefined);
        }
      }
    }
    if (s.abort.signal.aborted) return; // `abort` already recorded the status
    if (dry) this.#setStatus(s, failed ? 'error' : 'success');
    else this.#setStatus(s, failed ? 'error' : 'finished');
  }

  /** Aborts every job that has not ended (the sandbox is closing). */
  abortAll(): void {
    for (const s of this.#jobs.values()) this.abort(s);
  }

  abort(s: JobState): 'aborted' | 'already-terminal' {
    if (!['created', 'running'].includes(s.job.status)) return 'already-terminal';
    s.abort.abort();
    this.#setStatus(s, 'aborted');
    return 'aborted';
  }
}
