/**
 * How the Deno KV backend reads many log rows at once (a list's values): rows lying close
 * together in the log are read as one range, isolated rows by key (`getMany`, at most 10 keys a
 * call). Deno KV's SQLite thread spends about 35 µs on each key of a `getMany` but about 12
 * on each row of a range (with its 1 KiB value), so reading past one or two unwanted rows is
 * cheaper than a lookup.
 *
 * @module
 */

/** What to read for a set of log rows. */
export interface ReadPlan {
  /** Log ranges `[first, last]` (revisions, inclusive) to read whole. */
  readonly ranges: [first: number, last: number][];
  /** Revisions to read by key. */
  readonly singles: number[];
}

/** Costs measured on the development box (µs): one range read, each row it reads… */
const RANGE_CALL_COST = 150;
const RANGE_ROW_COST = 12;
/** …and each key read by `getMany` (amortized over its 10 keys a call). */
const KEY_COST = 36;
/** The most unwanted rows worth reading to reach the next wanted row of a range. */
const GAP_ROWS = Math.floor(KEY_COST / RANGE_ROW_COST) - 1;

/** The first index of sorted `revisions` not below `revision`, searching from `from`. */
function position(revisions: readonly number[], revision: number, from: number): number {
  let lo = from;
  let hi = revisions.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (revisions[mid]! < revision) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Plans reading the rows `wanted` (ascending, distinct revisions) given every row in the log
 * (`log`, ascending). A row missing from `log` is still read; the plan only changes cost.
 */
export function planRowReads(wanted: readonly number[], log: readonly number[]): ReadPlan {
  const ranges: [number, number][] = [];
  const singles: number[] = [];
  let start = 0;
  let startAt = 0;
  let at = 0;
  let prev = 0;
  /** Ends the run `wanted[start..end)`, whose rows span log positions `[startAt, prev]`. */
  const close = (end: number) => {
    const span = prev - startAt + 1;
    if (RANGE_CALL_COST + RANGE_ROW_COST * span < KEY_COST * (end - start)) {
      ranges.push([wanted[start]!, wanted[end - 1]!]);
    } else {
      for (let i = start; i < end; i++) singles.push(wanted[i]!);
    }
  };
  for (let i = 0; i < wanted.length; i++) {
    at = position(log, wanted[i]!, at);
    if (i > 0 && at - prev - 1 > GAP_ROWS) {
      close(i);
      start = i;
      startAt = at;
    }
    if (i === 0) startAt = at;
    prev = at;
  }
  if (wanted.length > 0) close(wanted.length);
  return { ranges, singles };
}
