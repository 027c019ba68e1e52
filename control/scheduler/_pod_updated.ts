/**
 * Change detection for the scheduling queue: whether an update of a pending pod may make it
 * schedulable (upstream `isPodUpdated`), compared as JSON values.
 *
 * @module
 */
import type { Pod } from "../api/types/core_v1_pod.ts";

/** Whether two JSON-like values are equal, member by member (`undefined` members ignored). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(ra), ...Object.keys(rb)]);
  for (const k of keys) if (!jsonEqual(ra[k], rb[k])) return false;
  return true;
}

/**
 * `pod` without what cannot make it schedulable: `resourceVersion`, `generation`,
 * `managedFields`, `finalizers`, and the status except `resourceClaimStatuses`.
 */
function stripped(pod: Pod): Record<string, unknown> {
  const { resourceVersion: _rv, generation: _g, managedFields: _mf, finalizers: _f, ...meta } =
    pod.metadata ?? {};
  const claims = pod.status?.resourceClaimStatuses;
  return {
    ...pod,
    metadata: meta,
    status: claims === undefined ? undefined : { resourceClaimStatuses: claims },
  };
}

/** Whether `newPod` differs from `oldPod` in a way that may make it schedulable. */
export function isPodUpdated(oldPod: Pod | undefined, newPod: Pod): boolean {
  if (oldPod === undefined) return true;
  return !jsonEqual(stripped(oldPod), stripped(newPod));
}
