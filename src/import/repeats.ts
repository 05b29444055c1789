/**
 * "Was this already imported?": a planned import compared with the ledger's earlier imports into
 * the same dataset, with each earlier batch's live status. An earlier import counts when it finished,
 * is still running, or its outcome is unknown; one that ended in error or was aborted does not.
 */
import type { ListedObject } from '../aws/presign-limits.js';
import { ImportLedger, overlapWith, type LedgerEntry, type Overlap, type PlannedImport } from './ledger.js';

export const NOT_COUNTING = new Set(['error', 'aborted', 'failed', 'cancelled']);

/** The live status of a batch, or undefined when it cannot be read now. */
export type LiveStatus = (batchId: string) => Promise<string | undefined>;

export interface EarlierImport extends Overlap {
  /** The batch's live status, "unknown" when it could not be read or was never known. */
  status: string;
}

/** An earlier import into the dataset that still counts, with its live status. */
export interface CountingImport {
  entry: LedgerEntry;
  status: string;
}

/** The ledger's imports into `datasetId` that still count (finished, running, or outcome unknown), newest first. */
export async function countingImports(ledger: ImportLedger, datasetId: string, live: LiveStatus): Promise<CountingImport[]> {
  const out: CountingImport[] = [];
  for (const entry of ledger.entries()) {
    if (entry.datasetId !== datasetId || entry.outcome === 'refused') continue;
    const status = entry.batchId ? ((await live(entry.batchId).catch(() => undefined)) ?? 'unknown') : 'unknown';
    if (NOT_COUNTING.has(status.toLowerCase())) continue;
    out.push({ entry, status });
  }
  return out.reverse();
}

/** The counting imports that read some of the same objects as `planned`. */
export function earlierImports(counting: CountingImport[], planned: PlannedImport): EarlierImport[] {
  return counting.flatMap((c) => {
    const o = overlapWith(planned, c.entry);
    return o ? [{ ...o, status: c.status }] : [];
  });
}

/** Whether one object was read by a counting import (only_new leaves it out). */
export function alreadyImported(counting: CountingImport[], planned: Omit<PlannedImport, 'objects'>, object: ListedObject): boolean {
  return counting.some((c) => overlapWith({ ...planned, objects: [object] }, c.entry) !== undefined);
}

/** The objects of `objects` that none of the earlier imports read. */
export function notYetImported(objects: ListedObject[], earlier: EarlierImport[]): ListedObject[] {
  return objects.filter(
    (o) => !earlier.some((e) => e.objects === 'source' || e.objects.some((x) => x.key === o.key && (x.etag === undefined || o.etag === undefined || x.etag === o.etag))),
  );
}

/** One line per earlier import, for messages: "batch 6f6d… (finished, 2026-11-27T03:12Z): 3 of the same files". */
export function describeEarlier(earlier: EarlierImport[], max = 5): string {
  const one = (e: EarlierImport) => {
    const what = e.objects === 'source' ? 'the same source' : `${e.objects.length} of the same file(s) (${e.objects.slice(0, 3).map((o) => o.key).join(', ')}${e.objects.length > 3 ? ', …' : ''})`;
    return `${e.entry.batchId ? `batch ${e.entry.batchId}` : 'an import whose batch id is unknown'} (${e.status}${e.entry.outcome === 'unknown' ? ', outcome unknown' : ''}, sent ${e.entry.at}): ${what}`;
  };
  return earlier.slice(0, max).map(one).join('; ') + (earlier.length > max ? `; and ${earlier.length - max} more` : '');
}

export type { LedgerEntry };

/** The ledger of this server's backend: imports into the sandbox never count against the platform's. */
export function ledgerFor(config: { stateDir: string; backend: 'platform' | 'sandbox'; apiUrl?: string | undefined }): ImportLedger {
  return new ImportLedger(config.stateDir, config.backend === 'platform' ? new URL(config.apiUrl!).origin : 'sandbox');
}
