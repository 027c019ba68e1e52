/**
 * The delay before a Job replaces failed pods (upstream `backoff_utils.go`): after `n`
 * failures since the last success, new pods wait `10 s × 2^(n-1)` (at most 10 minutes) from the
 * last failure. The record lives in memory only, as upstream's: a restarted controller starts
 * without delays.
 *
 * @module
 */
import type { Pod } from "../api/types/core_v1_pod.ts";
import { parseTime } from "./_rfc3339.ts";

/** The first delay after a pod failure (upstream `DefaultJobPodFailureBackOff`). */
export const JOB_POD_FAILURE_BACKOFF_MS = 10_000;
/** The longest delay (upstream `MaxJobPodFailureBackOff`, 10 minutes since Kubernetes 1.27). */
export const JOB_POD_FAILURE_MAX_BACKOFF_MS = 10 * 60_000;

/** One Job's failures since its last success. */
export interface BackoffRecord {
  readonly failuresAfterLastSuccess: number;
  /** When the last of them finished (ms), or null without failures. */
  readonly lastFailureMs: number | null;
}

const EMPTY: BackoffRecord = Object.freeze({ failuresAfterLastSuccess: 0, lastFailureMs: null });

/**
 * When a pod finished (upstream `getFinishedTime`): the latest `finishedAt` of its containers
 * (when all have terminated), else when it became not Ready, else its deletion time minus the
 * grace period, else its creation.
 */
export function podFinishedMs(pod: Pod): number {
  const fromContainers = latestFinish(pod);
  if (fromContainers !== null) return fromContainers;
  const ready = pod.status?.conditions?.find((c) => c.type === "Ready");
  if (ready?.status === "False") {
    const ms = parseTime(ready.lastTransitionTime);
    if (ms !== null) return ms;
  }
  const deletion = parseTime(pod.metadata?.deletionTimestamp);
  if (deletion !== null) return deletion - (pod.metadata?.deletionGracePeriodSeconds ?? 0) * 1000;
  return parseTime(pod.metadata?.creationTimestamp) ?? 0;
}

function latestFinish(pod: Pod): number | null {
  let latest: number | null = null;
  const sidecars = new Set(
    (pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === "Always").map((c) => c.name),
  );
  const statuses = [
    ...(pod.status?.containerStatuses ?? []),
    ...(pod.status?.initContainerStatuses ?? []).filter((s) => sidecars.has(s.name)),
  ];
  for (const status of statuses) {
    const ms = parseTime(status.state?.terminated?.finishedAt);
    if (ms === null) return null;
    if (latest === null || ms > latest) latest = ms;
  }
  return latest;
}

function byFinish(pods: readonly Pod[]): number[] {
  return pods.map(podFinishedMs).sort((a, b) => a - b);
}

/** The record after `succeeded` and `failed` pods were newly seen (upstream `newBackoffRecord`). */
export function nextBackoffRecord(
  prev: BackoffRecord | undefined,
  seen: { readonly succeeded: readonly Pod[]; readonly failed: readonly Pod[] },
): BackoffRecord {
  const old = prev ?? EMPTY;
  const failed = byFinish(seen.failed);
  if (seen.succeeded.length === 0) {
    if (failed.length === 0) return old;
    return {
      failuresAfterLastSuccess: old.failuresAfterLastSuccess + failed.length,
      lastFailureMs: failed.at(-1)!,
    };
  }
  const lastSuccess = byFinish(seen.succeeded).at(-1)!;
  let failures = 0;
  let lastFailureMs: number | null = null;
  for (let i = failed.length - 1; i >= 0; i--) {
    if (failed[i]! <= lastSuccess) break;
    lastFailureMs ??= failed[i]!;
    failures++;
  }
  return { failuresAfterLastSuccess: failures, lastFailureMs };
}

/** How long new pods must still wait (0: create now). */
export function backoffRemainingMs(record: BackoffRecord, nowMs: number): number {
  if (record.failuresAfterLastSuccess === 0 || record.lastFailureMs === null) return 0;
  let delay = JOB_POD_FAILURE_BACKOFF_MS;
  for (let i = 1; i < record.failuresAfterLastSuccess; i++) {
    delay *= 2;
    if (delay >= JOB_POD_FAILURE_MAX_BACKOFF_MS) {
      delay = JOB_POD_FAILURE_MAX_BACKOFF_MS;
      break;
    }
  }
  const elapsed = nowMs - record.lastFailureMs;
  return delay < elapsed ? 0 : delay - elapsed;
}

/** The records of all Jobs, by key. */
export class BackoffStore {
  readonly #records = new Map<string, BackoffRecord>();

  get(key: string): BackoffRecord | undefined {
    return this.#records.get(key);
  }

  set(key: string, record: BackoffRecord): void {
    if (record.failuresAfterLastSuccess === 0) this.#records.delete(key);
    else this.#records.set(key, record);
  }

  delete(key: string): void {
    this.#records.delete(key);
  }
}
