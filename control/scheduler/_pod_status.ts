/**
 * The status writes of a failed scheduling attempt, as kube-scheduler's `updatePod`: the
 * `PodScheduled` condition (`status: "False"`, reason `Unschedulable` or `SchedulerError`, the
 * failure message) and, when preemption nominated the pod or a failure clears the nomination,
 * `status.nominatedNodeName`. Nothing is written when neither changed, so a pod that stays
 * unschedulable for the same reason costs one write, not one per attempt.
 *
 * @module
 */
import type { Pod, PodCondition } from "../api/types/core_v1_pod.ts";

/** The reason of a pod that fits no node. */
export const REASON_UNSCHEDULABLE = "Unschedulable";
/** The reason of a pod whose attempt failed with an error. */
export const REASON_SCHEDULER_ERROR = "SchedulerError";

/** What a failed attempt sets. */
export interface PodScheduledFailure {
  /** {@linkcode REASON_UNSCHEDULABLE} or {@linkcode REASON_SCHEDULER_ERROR}. */
  readonly reason: string;
  readonly message: string;
  /** The nomination to write: a node, `""` to clear it, `undefined` to leave it. */
  readonly nominatedNodeName: string | undefined;
  /** Now, as an RFC 3339 time with seconds (`2026-05-01T10:00:00Z`). */
  readonly now: string;
}

/** `ms` since the epoch as a `metav1.Time` (whole seconds, UTC). */
export { formatTime as rfc3339Seconds } from "../util/k8s_time.ts";

/**
 * The strategic merge patch of `pod`'s status subresource for `failure`, or `null` when the pod
 * already says so. The transition time moves only when the condition's status changes.
 */
export function podScheduledFailurePatch(
  pod: Pod,
  failure: PodScheduledFailure,
): { status: Record<string, unknown> } | null {
  const current = (pod.status?.conditions ?? []).find((c) => c.type === "PodScheduled");
  const condition: PodCondition = {
    type: "PodScheduled",
    status: "False",
    lastTransitionTime: current?.status === "False" && current.lastTransitionTime
      ? current.lastTransitionTime
      : failure.now,
    reason: failure.reason,
    message: failure.message,
  };
  const conditionChanged = current === undefined || current.status !== condition.status ||
    (current.reason ?? "") !== condition.reason || (current.message ?? "") !== condition.message ||
    (current.lastProbeTime ?? null) !== null;
  const nominatedNow = pod.status?.nominatedNodeName ?? "";
  const nominationChanged = failure.nominatedNodeName !== undefined &&
    failure.nominatedNodeName !== nominatedNow;
  if (!conditionChanged && !nominationChanged) return null;
  const status: Record<string, unknown> = {};
  if (conditionChanged) status.conditions = [condition];
  if (nominationChanged) status.nominatedNodeName = failure.nominatedNodeName || null;
  return { status };
}
