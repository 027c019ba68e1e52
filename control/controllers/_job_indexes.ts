/**
 * Completion indexes of Indexed Jobs: the sorted interval lists of `status.completedIndexes` and
 * `status.failedIndexes` (`"1,3-5,7"`, two neighbours printed as `"3,4"`), a pod's index (its
 * `batch.kubernetes.io/job-completion-index` annotation), and the indexes still waiting for a pod.
 *
 * @module
 */
import { JOB_COMPLETION_INDEX_ANNOTATION } from "../api/types/batch_v1.ts";
import type { Pod } from "../api/types/core_v1_pod.ts";

export { JOB_COMPLETION_INDEX_ANNOTATION } from "../api/types/batch_v1.ts";
/** The environment variable every container of an Indexed Job's pods reads its index from. */
export const JOB_COMPLETION_INDEX_ENV = "JOB_COMPLETION_INDEX";
/** What {@linkcode completionIndex} answers for a pod without a valid index. */
export const UNKNOWN_COMPLETION_INDEX = -1;

/** Indexes `first` to `last`, both included. */
export interface IndexInterval {
  readonly first: number;
  readonly last: number;
}

/** Disjoint, non-adjacent intervals in increasing order. */
export type OrderedIntervals = readonly IndexInterval[];

/**
 * Parses `"1,3-5"`, keeping indexes below `completions` only and joining adjacent intervals.
 * Unparsable parts are skipped (as upstream, which logs and goes on).
 */
export function parseIndexes(text: string | undefined, completions: number): IndexInterval[] {
  if (!text) return [];
  const out: { first: number; last: number }[] = [];
  for (const part of text.split(",")) {
    const limits = part.split("-");
    const first = parseIndex(limits[0]);
    if (first === null) continue;
    if (first >= completions) break;
    let last = first;
    if (limits.length > 1) {
      const parsed = parseIndex(limits[1]);
      if (parsed === null) continue;
      last = Math.min(parsed, completions - 1);
    }
    const prev = out.at(-1);
    if (prev && prev.last === first - 1) prev.last = last;
    else out.push({ first, last });
  }
  return out;
}

function parseIndex(text: string | undefined): number | null {
  if (text === undefined || !/^[+-]?\d+$/.test(text)) return null;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : null;
}

/** The intervals as upstream prints them: `"0-2,5,7,8"`. */
export function formatIndexes(intervals: OrderedIntervals): string {
  return intervals.map(({ first, last }) => {
    if (last <= first) return String(first);
    return `${first}${last === first + 1 ? "," : "-"}${last}`;
  }).join(",");
}

/** Both lists merged into one (overlapping and adjacent intervals joined). */
export function mergeIndexes(a: OrderedIntervals, b: OrderedIntervals): IndexInterval[] {
  const out: { first: number; last: number }[] = [];
  function push(next: IndexInterval): void {
    const prev = out.at(-1);
    if (!prev || next.first > prev.last + 1) out.push({ first: next.first, last: next.last });
    else if (prev.last < next.last) prev.last = next.last;
  }
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i]!.first < b[j]!.first) push(a[i++]!);
    else push(b[j++]!);
  }
  while (i < a.length) push(a[i++]!);
  while (j < b.length) push(b[j++]!);
  return out;
}

/** `intervals` with the (sorted) `indexes` added. */
export function withIndexes(
  intervals: OrderedIntervals,
  indexes: readonly number[],
): IndexInterval[] {
  return mergeIndexes(intervals, indexes.map((ix) => ({ first: ix, last: ix })));
}

/** How many indexes the intervals hold. */
export function countIndexes(intervals: OrderedIntervals): number {
  let total = 0;
  for (const { first, last } of intervals) total += last - first + 1;
  return total;
}

/** Whether `ix` is in one of the intervals (binary search). */
export function hasIndex(intervals: OrderedIntervals, ix: number): boolean {
  let lo = 0;
  let hi = intervals.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (intervals[mid]!.last >= ix) hi = mid;
    else lo = mid + 1;
  }
  const found = intervals[lo];
  return found !== undefined && found.first <= ix && ix <= found.last;
}

/** A pod's completion index from its annotation, or {@linkcode UNKNOWN_COMPLETION_INDEX}. */
export function completionIndex(pod: Pick<Pod, "metadata">): number {
  const text = pod.metadata?.annotations?.[JOB_COMPLETION_INDEX_ANNOTATION];
  if (text === undefined) return UNKNOWN_COMPLETION_INDEX;
  const ix = parseIndex(text);
  return ix === null || ix < 0 ? UNKNOWN_COMPLETION_INDEX : ix;
}

/** `pods` sorted by completion index, pods without one first (stable otherwise). */
export function sortByCompletionIndex<T extends Pick<Pod, "metadata">>(pods: readonly T[]): T[] {
  return [...pods].sort((a, b) => completionIndex(a) - completionIndex(b));
}

/** The sorted, distinct valid indexes of `pods`. */
export function indexesOf(pods: readonly Pick<Pod, "metadata">[]): number[] {
  const set = new Set<number>();
  for (const pod of pods) {
    const ix = completionIndex(pod);
    if (ix !== UNKNOWN_COMPLETION_INDEX) set.add(ix);
  }
  return [...set].sort((a, b) => a - b);
}

/** What {@linkcode firstPendingIndexes} looks at. */
export interface PendingIndexesInput {
  /** Indexes that are done or have a pod: none of them is pending. */
  readonly taken: OrderedIntervals;
  /** How many to return at most. */
  readonly count: number;
  readonly completions: number;
}

/** The lowest `count` indexes below `completions` that are not `taken`. */
export function firstPendingIndexes(input: PendingIndexesInput): number[] {
  const { taken, count, completions } = input;
  const out: number[] = [];
  if (count <= 0) return out;
  let candidate = 0;
  for (const { first, last } of taken) {
    for (; candidate < completions && out.length < count && candidate < first; candidate++) {
      out.push(candidate);
    }
    if (candidate < last + 1) candidate = last + 1;
  }
  for (; candidate < completions && out.length < count; candidate++) out.push(candidate);
  return out;
}

/**
 * The generateName of the pod for index `ix`: `<job>-<ix>-`, the job's name cut so the prefix
 * stays within 58 characters (a generated name adds 5).
 */
export function indexedPodGenerateName(jobName: string, ix: number): string {
  const suffix = `-${ix}-`;
  const prefix = `${jobName}${suffix}`;
  const max = 63 - 5;
  return prefix.length > max ? `${jobName.slice(0, max - suffix.length)}${suffix}` : prefix;
}
