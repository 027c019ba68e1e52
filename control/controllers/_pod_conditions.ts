/**
 * Setting one condition of a pod's status, as upstream's `podutil.UpdatePodCondition`: a new
 * condition, or one whose status changes, gets `lastTransitionTime` now; an unchanged status
 * keeps its transition time. Tells whether anything changed, so callers write only then.
 *
 * @module
 */
import type { PodCondition, PodStatus } from "../api/types/core_v1_pod.ts";
import { rfc3339 } from "./_rfc3339.ts";

/** What {@linkcode setPodCondition} writes. */
export interface PodConditionUpdate {
  readonly type: string;
  readonly status: "True" | "False" | "Unknown";
  readonly reason?: string;
  readonly message?: string;
}

/**
 * Sets `update` in `status.conditions` (in place; `status` must be a mutable copy), at clock
 * time `nowMs`. Returns whether the conditions changed.
 */
export function setPodCondition(
  status: PodStatus,
  change: { readonly update: PodConditionUpdate; readonly nowMs: number },
): boolean {
  const { update, nowMs } = change;
  const conditions = status.conditions ?? [];
  const index = conditions.findIndex((c) => c.type === update.type);
  const old = index >= 0 ? conditions[index] : undefined;
  const next: PodCondition = {
    ...(old ?? {}),
    type: update.type,
    status: update.status,
    lastTransitionTime: old && old.status === update.status && old.lastTransitionTime
      ? old.lastTransitionTime
      : rfc3339(nowMs),
  };
  if (update.reason !== undefined) next.reason = update.reason;
  if (update.message !== undefined) next.message = update.message;
  if (
    old && old.status === next.status && old.reason === next.reason &&
    old.message === next.message && old.lastTransitionTime === next.lastTransitionTime
  ) return false;
  status.conditions = index >= 0
    ? conditions.map((c, i) => i === index ? next : c)
    : [...conditions, next];
  return true;
}

/** The pod's condition of `type`, if it has one. */
export function podCondition(
  status: PodStatus | undefined,
  type: string,
): PodCondition | undefined {
  return status?.conditions?.find((c) => c.type === type);
}
