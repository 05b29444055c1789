/**
 * The batch's status updates, newest first, whatever order the API uses: dfipy's tests read [0] as
 * the latest while its docstring says "chronological".
 */
import type { StatusUpdate } from '../dfi/schemas.js';

export function newestFirst(updates: StatusUpdate[], currentStatus: string): StatusUpdate[] {
  if (updates.length < 2) return [...updates];
  const times = updates.map((u) => (u.addedAt ? Date.parse(u.addedAt) : NaN));
  if (times.every((t) => !Number.isNaN(t)) && times[0] !== times[times.length - 1]) {
    // Put the list newest-first by its ends, then a stable sort keeps equal times in that order.
    const list = updates.map((u, i) => ({ u, t: times[i]! }));
    if (list[0]!.t < list[list.length - 1]!.t) list.reverse();
    return list.sort((a, b) => b.t - a.t).map((x) => x.u);
  }
  // No usable times: the end that holds the job's current status is the newest; a job starts "created".
  const first = updates[0]!.status;
  const last = updates[updates.length - 1]!.status;
  if (last === currentStatus && first !== currentStatus) return [...updates].reverse();
  if (first === 'created' && last !== 'created') return [...updates].reverse();
  return [...updates];
}
