/**
 * The dry run's verdict: whether the import should be confirmed, in words that say what the counts
 * are. A confirmation is handed out only when the dry run shows that rows would be inserted; a large
 * share of rejected rows comes with a warning naming the top causes.
 */
import type { Job } from '../dfi/schemas.js';
import { summariseRejections, topCauses, type RejectionSummary } from './rejections.js';

/** Over this share of rejected rows among those checked, the confirmation comes with a warning. */
export const REJECTED_SHARE_WARNING = 0.05;

export type VerdictCode = 'rows_would_be_inserted' | 'no_row_would_be_inserted' | 'dry_run_failed';

export interface Verdict {
  code: VerdictCode;
  /** A confirmation may be issued. */
  confirm: boolean;
  checked: { rows: number; valid: number; invalid: number; files: number | null; label: string };
  rejectedShare: number | null;
  /** When the source's objects were listed: the whole import, estimated. */
  estimate?: Estimate;
  rejections: RejectionSummary;
  /** Over 5% rejected: what the person should know before approving. */
  warning?: string;
}

export type Estimate = {
  files: number;
  bytes: number;
  /** Rows in the whole source: bytes / mean row size of a sample. */
  rows: number;
  label: string;
}

export interface SourceSize {
  files: number;
  bytes: number;
  /** Mean bytes per row in a sample of the first file, when one was read. */
  meanRowBytes?: number | undefined;
  sampledKey?: string | undefined;
}

const n = (x: number) => x.toLocaleString('en-US');

export function dryRunVerdict(job: Job, opts: { files?: number | undefined; size?: SourceSize | undefined } = {}): Verdict {
  const valid = job.insertCount ?? 0;
  const invalid = job.invalidCount ?? 0;
  const rows = valid + invalid;
  const files = opts.files ?? opts.size?.files ?? null;
  const where = files === null ? '' : ` in ${n(files)} file${files === 1 ? '' : 's'}`;
  const label = `${n(valid)} would be inserted and ${n(invalid)} rejected, of ${n(rows)} row${rows === 1 ? '' : 's'} checked${where}`;
  const rejections = summariseRejections(job.log, job.invalidCount);
  const rejectedShare = rows > 0 ? invalid / rows : null;
  const verdict: Verdict = {
    code: 'rows_would_be_inserted',
    confirm: true,
    checked: { rows, valid, invalid, files, label },
    rejectedShare: rejectedShare === null ? null : Math.round(rejectedShare * 1000) / 1000,
    rejections,
  };
  if (opts.size && opts.size.meanRowBytes && opts.size.meanRowBytes > 0) {
    const total = Math.round(opts.size.bytes / opts.size.meanRowBytes);
    verdict.estimate = {
      files: opts.size.files,
      bytes: opts.size.bytes,
      rows: total,
      label: `about ${n(total)} rows in the whole import (${n(opts.size.bytes)} bytes in ${n(opts.size.files)} file(s) ÷ a mean row of ${Math.round(opts.size.meanRowBytes)} bytes in the first bytes of ${opts.size.sampledKey ?? 'the first file'}); at the checked rate, about ${n(Math.round(total * (rows > 0 ? valid / rows : 0)))} would be inserted`,
    };
  }
  if (job.status.toLowerCase() !== 'success') {
    verdict.code = 'dry_run_failed';
    verdict.confirm = false;
  } else if (valid === 0) {
    verdict.code = 'no_row_would_be_inserted';
    verdict.confirm = false;
  } else if (rejectedShare !== null && rejectedShare > REJECTED_SHARE_WARNING) {
    verdict.warning = `${Math.round(rejectedShare * 100)}% of the checked rows would be rejected: ${topCauses(rejections)}. Approve only if the person accepts losing those rows; otherwise fix the file_format or prepare the files first.`;
  }
  return verdict;
}

/** Mean bytes per row in the first bytes of a file: bytes up to the last newline ÷ lines. */
export function meanRowBytes(head: Buffer): number | undefined {
  const last = head.lastIndexOf(0x0a);
  if (last < 0) return undefined;
  let lines = 0;
  for (let i = 0; i <= last; i++) if (head[i] === 0x0a) lines++;
  return lines > 0 ? (last + 1) / lines : undefined;
}
