/**
 * Binary search over revision-ordered entries, shared by the backends that keep history in memory.
 *
 * @module
 */

/** The index of the first entry of `entries` (sorted by `revision`) whose revision is above `revision`. */
export function firstAbove(
  entries: readonly { readonly revision: number }[],
  revision: number,
): number {
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (entries[mid]!.revision <= revision) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
