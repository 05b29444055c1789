/**
 * The import ledger: every real import this server sends, kept in the state folder
 * (`<stateDir>/ledger/imports.jsonl`), so that the same files are not imported twice into one dataset,
 * also across restarts and chats.
 *
 * Crash-safe by construction: one append-only JSON Lines file, each event one line written with a
 * single append and fsync'd. The intent is written before the request is sent; the outcome (sent,
 * unknown, refused) after. An intent without an outcome (the process died in between) reads as
 * "outcome unknown". A torn last line is skipped. Nothing in it is a secret: URLs are kept without
 * their query strings, and presigned URLs never.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { UserFacingError } from '../errors.js';
import { statePath } from '../state/paths.js';
import type { ListedObject } from '../aws/presign-limits.js';
import type { Config } from '../config.js';
import { globMatcher } from '../aws/glob.js';

export const LEDGER_FILE = 'imports.jsonl';

/** What an import read: the objects when they were listed, otherwise the source's description. */
export type LedgerSource =
  | { route: 's3'; bucket: string; prefix: string; glob: string; roleArn: string }
  | { route: 's3_presigned'; bucket: string; prefix: string; glob: string }
  | { route: 'urls'; urls: string[] };

export type LedgerOutcome = 'sent' | 'unknown' | 'refused';

/** The manifest prepare_files writes beside a prepared copy (src/prepare/job.ts). */
export const PREPARED_MANIFEST = '_dfi-manifest.json';

/**
 * A prepared copy (prepare_files' output) is what an import reads: the ledger records where it was
 * prepared from, with which recipe, and the original objects, so that the same rows are recognised
 * whether they are imported raw, prepared, or prepared again with another recipe or target.
 */
export interface PreparedCopy {
  /** The source prepare_files read: `s3://bucket/prefix`, a folder, or "N URL(s)". */
  from: string;
  recipeHash: string;
  /** The original objects (key and ETag), from the manifest. */
  sources: { key: string; etag: string }[];
}

/**
 * The prepared copy an S3 source is, read from the manifest at its prefix (the sandbox's bucket
 * folder, or S3 with the person's credentials); undefined for other sources, or when there is none
 * or it cannot be read (the import goes on as for any source).
 */
export async function readPreparedCopy(source: LedgerSource, config: Config, opts: { signal?: AbortSignal; profile?: string | undefined; region?: string | undefined } = {}): Promise<PreparedCopy | undefined> {
  if (source.route === 'urls') return undefined;
  const key = `${source.prefix && !source.prefix.endsWith('/') ? `${source.prefix}/` : source.prefix}${PREPARED_MANIFEST}`;
  try {
    if (config.backend === 'sandbox' && !config.sandbox.s3Endpoint) {
      return preparedCopyOf(await fs.promises.readFile(path.join(config.sandbox.s3Root, source.bucket, ...key.split('/')), 'utf8'));
    }
    const { loadSdk, makeS3Client } = await import('../aws/s3.js');
    const sdk = await loadSdk();
    const client = await makeS3Client({ endpoint: config.s3Endpoint, profile: opts.profile, region: opts.region, signal: opts.signal });
    try {
      const res = await client.send(new sdk.GetObjectCommand({ Bucket: source.bucket, Key: key }));
      return preparedCopyOf(await (res.Body as { transformToString(): Promise<string> }).transformToString());
    } finally {
      client.destroy();
    }
  } catch {
    return undefined;
  }
}

/** The prepared copy a manifest describes, or undefined when the text is not prepare_files' manifest. */
export function preparedCopyOf(manifestText: string | null | undefined): PreparedCopy | undefined {
  if (!manifestText) return undefined;
  try {
    const m = JSON.parse(manifestText) as { kind?: string; source?: string; recipeHash?: string; outputs?: Record<string, { sourceKey?: string; sourceEtag?: string }> };
    if (m.kind !== 'dfi-prepared' || typeof m.source !== 'string' || typeof m.recipeHash !== 'string' || !m.outputs) return undefined;
    const sources = Object.values(m.outputs)
      .filter((o) => typeof o?.sourceKey === 'string')
      .slice(0, 100_000)
      .map((o) => ({ key: o.sourceKey!, etag: String(o.sourceEtag ?? '') }));
    return { from: m.source, recipeHash: m.recipeHash, sources };
  } catch {
    return undefined;
  }
}

export interface LedgerEntry {
  id: string;
  /** "sandbox" or the platform's origin: imports into one backend never count against another. */
  backend: string;
  datasetId: string;
  at: string;
  source: LedgerSource;
  /** Listed with the person's own credentials (presigned route, or the dry run's listing); absent otherwise. */
  objects?: ListedObject[];
  /** Column map as sent (wire names). */
  format: Record<string, number>;
  /** Set when the source is a prepared copy (prepare_files). */
  prepared?: PreparedCopy;
  outcome: LedgerOutcome;
  batchId?: string;
  /** Why the outcome is unknown or refused. */
  detail?: string;
  outcomeAt?: string;
}

type Event =
  | ({ type: 'intent' } & Omit<LedgerEntry, 'outcome' | 'batchId' | 'detail' | 'outcomeAt'>)
  | { type: 'outcome'; id: string; at: string; outcome: LedgerOutcome; batchId?: string; detail?: string };

/** A URL as the ledger keeps it: without its query string (presigned signatures) or fragment. */
export function ledgerUrl(u: string): string {
  try {
    const url = new URL(u);
    return `${url.origin}${url.pathname}`;
  } catch {
    return u.replace(/[?#].*$/, '');
  }
}

/** The identity of one object for "already imported": key and ETag when both sides know it. */
function sameObject(a: ListedObject, b: ListedObject): boolean {
  return a.key === b.key && (a.etag === undefined || b.etag === undefined || a.etag === b.etag);
}

/** Do two S3 locations overlap (one prefix inside the other, same bucket)? */
function prefixesOverlap(a: { bucket: string; prefix: string }, b: { bucket: string; prefix: string }): boolean {
  return a.bucket === b.bucket && (a.prefix.startsWith(b.prefix) || b.prefix.startsWith(a.prefix));
}

/** What a new import would read, for the overlap check. */
export interface PlannedImport {
  datasetId: string;
  source: LedgerSource;
  objects?: ListedObject[] | undefined;
  prepared?: PreparedCopy | undefined;
}

/** `s3://bucket/prefix` -> its bucket and prefix. */
function s3Where(where: string): { bucket: string; prefix: string } | undefined {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(where);
  return m ? { bucket: m[1]!, prefix: m[2]! } : undefined;
}

/**
 * The original objects two imports share when either is a prepared copy: both prepared from the same
 * source (whatever the recipe or staging prefix), or one raw and the other prepared from it.
 */
function preparedOverlap(planned: PlannedImport, earlier: LedgerEntry): ListedObject[] | undefined {
  const a = planned.prepared;
  const b = earlier.prepared;
  if (a && b) {
    if (a.from !== b.from) return undefined;
    const both = a.sources.filter((s) => b.sources.some((x) => x.key === s.key && x.etag === s.etag));
    return both.length ? both.map((s) => ({ key: s.key, size: 0, etag: s.etag })) : undefined;
  }
  const prep = a ?? b;
  if (!prep) return undefined;
  const raw = a ? earlier : planned;
  const from = s3Where(prep.from);
  if (!from || raw.source.route === 'urls' || raw.source.bucket !== from.bucket) return undefined;
  const rawSource = raw.source;
  const matches = globMatcher(rawSource.glob);
  const both = prep.sources.filter((s) =>
    raw.objects ? raw.objects.some((o) => o.key === s.key && (o.etag === undefined || s.etag === '' || o.etag === s.etag)) : s.key.startsWith(rawSource.prefix) && matches(s.key.slice(rawSource.prefix.length)),
  );
  return both.length ? both.map((s) => ({ key: s.key, size: 0, etag: s.etag })) : undefined;
}

export interface Overlap {
  entry: LedgerEntry;
  /** The objects both imports read, when both were listed; otherwise the whole source overlaps. */
  objects: ListedObject[] | 'source';
}

/** The keys of a planned import compared with an earlier one: undefined when they do not overlap. */
export function overlapWith(planned: PlannedImport, earlier: LedgerEntry): Overlap | undefined {
  if (earlier.datasetId !== planned.datasetId) return undefined;
  const original = planned.prepared || earlier.prepared ? preparedOverlap(planned, earlier) : undefined;
  if (original) return { entry: earlier, objects: original };
  const p = planned.source;
  const e = earlier.source;
  if (p.route === 'urls' || e.route === 'urls') {
    const mine = p.route === 'urls' ? p.urls : undefined;
    const theirs = e.route === 'urls' ? e.urls : undefined;
    if (mine && theirs) {
      const set = new Set(theirs);
      const both = mine.filter((u) => set.has(u));
      return both.length ? { entry: earlier, objects: both.map((key) => ({ key, size: 0 })) } : undefined;
    }
    // A URL list against an S3 source: the same object when the URL names the bucket and key.
    const urls = mine ?? theirs!;
    const s3 = (mine ? e : p) as Extract<LedgerSource, { bucket: string }>;
    const listed = mine ? earlier.objects : planned.objects;
    const both = urls.filter((u) => {
      const key = s3KeyOfUrl(u, s3.bucket);
      return key !== undefined && (listed ? listed.some((o) => o.key === key) : key.startsWith(s3.prefix));
    });
    return both.length ? { entry: earlier, objects: both.map((key) => ({ key, size: 0 })) } : undefined;
  }
  if (planned.objects && earlier.objects) {
    const both = planned.objects.filter((o) => earlier.objects!.some((x) => sameObject(o, x)));
    return both.length ? { entry: earlier, objects: both } : undefined;
  }
  if (!prefixesOverlap(p, e)) return undefined;
  const listed = planned.objects ?? earlier.objects;
  if (listed) {
    // One side was listed: its keys under the other's prefix overlap.
    const other = planned.objects ? e : p;
    const matches = globMatcher(other.glob);
    const both = listed.filter((o) => o.key.startsWith(other.prefix) && matches(o.key.slice(other.prefix.length)));
    return both.length ? { entry: earlier, objects: both } : undefined;
  }
  return globsMayOverlap(p, e) ? { entry: earlier, objects: 'source' } : undefined;
}

const LITERAL = (glob: string) => !/[*?[\]{}()!+@]/.test(glob);

/**
 * Whether two unlisted S3 sources may read the same key: certainly not when one glob names a single
 * file that the other does not match; otherwise (two patterns), assume they may.
 */
function globsMayOverlap(a: { prefix: string; glob: string }, b: { prefix: string; glob: string }): boolean {
  if (a.prefix === b.prefix && a.glob === b.glob) return true;
  const test = (lit: { prefix: string; glob: string }, other: { prefix: string; glob: string }) => {
    const key = `${lit.prefix}${lit.glob.replace(/^\/+/, '')}`;
    return key.startsWith(other.prefix) && globMatcher(other.glob)(key.slice(other.prefix.length));
  };
  if (LITERAL(a.glob)) return test(a, b);
  if (LITERAL(b.glob)) return test(b, a);
  return true;
}

/** The key of a virtual-hosted or path-style S3 URL in `bucket`, or undefined. */
function s3KeyOfUrl(u: string, bucket: string): string | undefined {
  try {
    const url = new URL(u);
    const p = decodeURIComponent(url.pathname);
    if (url.hostname.startsWith(`${bucket}.`)) return p.slice(1);
    if (p.startsWith(`/${bucket}/`)) return p.slice(bucket.length + 2);
  } catch {
    // not a URL
  }
  return undefined;
}

export class ImportLedger {
  readonly file: string;

  constructor(
    stateDir: string,
    readonly backend: string,
  ) {
    this.file = path.join(statePath(stateDir, 'ledger'), LEDGER_FILE);
  }

  #append(event: Event): void {
    try {
      fs.mkdirSync(path.dirname(this.file), { recursive: true });
      const fd = fs.openSync(this.file, 'a', 0o600);
      try {
        fs.writeSync(fd, `${JSON.stringify(event)}\n`);
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
    } catch (err) {
      throw new UserFacingError('ledger_unwritable', `the import could not be recorded in the import ledger (${this.file}): ${(err as Error).message}. Nothing was sent.`, {
        hint: 'Make the state folder writable, or choose another with --state-dir (DFI_STATE_DIR).',
      });
    }
  }

  /** Every entry of this backend, oldest first. A torn or foreign line is skipped. */
  entries(): LedgerEntry[] {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new UserFacingError('ledger_unreadable', `the import ledger (${this.file}) could not be read: ${(err as Error).message}.`, {
        hint: 'Check the state folder (--state-dir, DFI_STATE_DIR) and its permissions.',
      });
    }
    const byId = new Map<string, LedgerEntry>();
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      let ev: Event;
      try {
        ev = JSON.parse(line) as Event;
      } catch {
        continue; // a line torn by a crash
      }
      if (ev.type === 'intent') {
        if (ev.backend !== this.backend) continue;
        const { type: _t, ...rest } = ev;
        byId.set(ev.id, { ...rest, outcome: 'unknown', detail: 'the server stopped before the outcome was recorded' });
      } else if (ev.type === 'outcome') {
        const e = byId.get(ev.id);
        if (!e) continue;
        e.outcome = ev.outcome;
        e.outcomeAt = ev.at;
        if (ev.batchId) e.batchId = ev.batchId;
        if (ev.detail) e.detail = ev.detail;
        else delete e.detail;
      }
    }
    return [...byId.values()];
  }

  /** Writes the intent, before the request is sent. Returns the entry's id. */
  recordIntent(planned: PlannedImport & { format: Record<string, number> }): string {
    const id = randomUUID();
    this.#append({
      type: 'intent',
      id,
      backend: this.backend,
      datasetId: planned.datasetId,
      at: new Date().toISOString(),
      source: planned.source,
      ...(planned.objects ? { objects: planned.objects } : {}),
      format: planned.format,
      ...(planned.prepared ? { prepared: planned.prepared } : {}),
    });
    return id;
  }

  /** Writes the outcome, after the request. Never throws: the import was already sent. */
  recordOutcome(id: string, outcome: LedgerOutcome, extra: { batchId?: string; detail?: string } = {}): void {
    try {
      this.#append({ type: 'outcome', id, at: new Date().toISOString(), outcome, ...extra });
    } catch {
      // The intent stays: it reads as "outcome unknown", which is the truth.
    }
  }
}
