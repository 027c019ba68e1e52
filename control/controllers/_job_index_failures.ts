/**
 * `spec.backoffLimitPerIndex` of an Indexed Job (upstream's per-index backoff in
 * `indexed_job_utils.go`): each index may fail `backoffLimitPerIndex` times. A replacement pod
 * carries the failures of its index so far in the `batch.kubernetes.io/job-index-failure-count`
 * annotation (ignored ones in `…-ignored-failure-count`), so the last failed pod of an index
 * keeps its finalizer until its replacement exists. An index whose pod fails with the limit
 * reached — or matches a `FailIndex` rule of the `podFailurePolicy` — is failed for good and
 * listed in `status.failedIndexes`; replacements wait `10 s × 2^(failures of the index - 1)`.
 *
 * @module
 */
import type { Job } from "../api/types/batch_v1.ts";
import type { Pod } from "../api/types/core_v1_pod.ts";
import { backoffRemainingMs, podFinishedMs } from "./_job_backoff.ts";
import {
  completionIndex,
  hasIndex,
  indexesOf,
  type IndexInterval,
  type OrderedIntervals,
  parseIndexes,
  UNKNOWN_COMPLETION_INDEX,
  withIndexes,
} from "./_job_indexes.ts";
import { hasTrackingFinalizer } from "./_job_pod_control.ts";
import { matchPodFailurePolicy } from "./_job_pod_failure_policy.ts";

/** Failures of the pod's index counted before this pod. */
export const JOB_INDEX_FAILURE_COUNT_ANNOTATION = "batch.kubernetes.io/job-index-failure-count";
/** Failures of the pod's index that the pod failure policy ignored, before this pod. */
export const JOB_INDEX_IGNORED_FAILURE_COUNT_ANNOTATION =
  "batch.kubernetes.io/job-index-ignored-failure-count";

/** The reasons of `FailureTarget` and `Failed` under a per-index backoff limit. */
export const JOB_REASON_MAX_FAILED_INDEXES_EXCEEDED = "MaxFailedIndexesExceeded";
export const JOB_REASON_FAILED_INDEXES = "FailedIndexes";

function annotationCount(pod: Pod, name: string): number {
  const text = pod.metadata?.annotations?.[name];
  if (text === undefined || !/^\d+$/.test(text)) return 0;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : 0;
}

/** Counted failures of the pod's index before it. */
export function indexFailureCount(pod: Pod): number {
  return annotationCount(pod, JOB_INDEX_FAILURE_COUNT_ANNOTATION);
}

/** All failures (counted and ignored) of the pod's index before it. */
export function indexAbsoluteFailureCount(pod: Pod): number {
  return indexFailureCount(pod) + annotationCount(pod, JOB_INDEX_IGNORED_FAILURE_COUNT_ANNOTATION);
}

/** A pod and whether the Job considers it failed. */
export interface PodOutcome {
  readonly pod: Pod;
  readonly failed: boolean;
}

/** Whether the failed pod fails its index for good (upstream `isIndexFailed`). */
export function isIndexFailed(job: Job, outcome: PodOutcome): boolean {
  const { pod, failed } = outcome;
  if (!failed) return false;
  let counted = true;
  const policy = job.spec?.podFailurePolicy;
  if (policy) {
    const match = matchPodFailurePolicy(policy, pod);
    if (match.action === "FailIndex") return true;
    counted = match.countFailed;
  }
  return counted && indexFailureCount(pod) >= (job.spec?.backoffLimitPerIndex ?? 0);
}

function validIndex(job: Job, pod: Pod): number {
  const ix = completionIndex(pod);
  return ix !== UNKNOWN_COMPLETION_INDEX && ix < (job.spec?.completions ?? 0)
    ? ix
    : UNKNOWN_COMPLETION_INDEX;
}

/** The failed indexes: those in status plus those failed by uncounted pods. */
export function calculateFailedIndexes(
  job: Job,
  input: { readonly pods: readonly Pod[]; readonly podFailed: (pod: Pod) => boolean },
): IndexInterval[] {
  const completions = job.spec?.completions ?? 0;
  const prev = parseIndexes(job.status?.failedIndexes, completions);
  const fresh = new Set<number>();
  for (const pod of input.pods) {
    const ix = validIndex(job, pod);
    if (ix === UNKNOWN_COMPLETION_INDEX || !hasTrackingFinalizer(pod)) continue;
    if (isIndexFailed(job, { pod, failed: input.podFailed(pod) })) fresh.add(ix);
  }
  return withIndexes(prev, [...fresh].sort((a, b) => a - b));
}

/** What {@linkcode podsWithDelayedDeletion} looks at. */
export interface DelayedDeletionInput {
  readonly pods: readonly Pod[];
  readonly activePods: readonly Pod[];
  readonly succeededIndexes: OrderedIntervals;
  readonly failedIndexes: OrderedIntervals;
  /** Uids whose finalizer removal is in flight (already handled). */
  readonly expectedRmFinalizers: ReadonlySet<string>;
  readonly podFailed: (pod: Pod) => boolean;
}

/**
 * Per index still to run again: its last failed pod, which keeps its finalizer until the
 * replacement (carrying the failure count) is created (upstream
 * `getPodsWithDelayedDeletionPerIndex`).
 */
export function podsWithDelayedDeletion(job: Job, input: DelayedDeletionInput): Map<number, Pod> {
  const active = new Set(indexesOf(input.activePods));
  const out = new Map<number, Pod>();
  for (const pod of input.pods) {
    const uid = pod.metadata?.uid ?? "";
    if (!hasTrackingFinalizer(pod) || input.expectedRmFinalizers.has(uid)) continue;
    if (!input.podFailed(pod)) continue;
    const ix = validIndex(job, pod);
    if (ix === UNKNOWN_COMPLETION_INDEX) continue;
    if (hasIndex(input.succeededIndexes, ix) || hasIndex(input.failedIndexes, ix)) continue;
    if (active.has(ix)) continue;
    const last = out.get(ix);
    if (
      !last || (indexAbsoluteFailureCount(last) <= indexAbsoluteFailureCount(pod) &&
        podFinishedMs(pod) >= podFinishedMs(last))
    ) out.set(ix, pod);
  }
  return out;
}

/** The failure-count annotations of the pod replacing `replaced` (none: a first pod). */
export function replacementFailureCounts(
  job: Job,
  replaced: Pod | undefined,
): Record<string, string> {
  if (!replaced) return { [JOB_INDEX_FAILURE_COUNT_ANNOTATION]: "0" };
  let counted = indexFailureCount(replaced);
  let ignored = annotationCount(replaced, JOB_INDEX_IGNORED_FAILURE_COUNT_ANNOTATION);
  const policy = job.spec?.podFailurePolicy;
  if (policy && !matchPodFailurePolicy(policy, replaced).countFailed) ignored++;
  else counted++;
  const out: Record<string, string> = { [JOB_INDEX_FAILURE_COUNT_ANNOTATION]: String(counted) };
  if (ignored > 0) out[JOB_INDEX_IGNORED_FAILURE_COUNT_ANNOTATION] = String(ignored);
  return out;
}

/** How long the replacement of `lastFailed` must still wait (0: none to wait for). */
export function indexBackoffRemainingMs(lastFailed: Pod | undefined, nowMs: number): number {
  if (!lastFailed) return 0;
  return backoffRemainingMs({
    failuresAfterLastSuccess: indexAbsoluteFailureCount(lastFailed) + 1,
    lastFailureMs: podFinishedMs(lastFailed),
  }, nowMs);
}
