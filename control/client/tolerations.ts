/**
 * Taints and tolerations (upstream `Toleration.ToleratesTaint` and the `v1helper` taint
 * helpers): which taints a pod's tolerations cover, the first one they do not, and which
 * tolerations cover a set of taints. The scheduler's plugins, the DaemonSet controller and the
 * taint eviction controller all match with these.
 *
 * @example A pod tolerating the control-plane taint
 * ```ts
 * import assert from "node:assert/strict";
 * import { findUntoleratedTaint, toleratesTaint } from "./tolerations.ts";
 *
 * const taint = { key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" as const };
 * assert.ok(toleratesTaint({ key: "node-role.kubernetes.io/control-plane", operator: "Exists" }, taint));
 * assert.equal(findUntoleratedTaint([taint], [])?.key, "node-role.kubernetes.io/control-plane");
 * ```
 *
 * @module
 */
import type { Taint, Toleration } from "../api/types/core_v1_common.ts";

/** The taint key `spec.unschedulable` stands for. */
export const TAINT_NODE_UNSCHEDULABLE = "node.kubernetes.io/unschedulable";

/** A taint as far as matching goes (`timeAdded` plays no part). */
export type TaintLike = Pick<Taint, "key" | "effect"> & { readonly value?: string };

/**
 * Whether `toleration` tolerates `taint` (upstream `ToleratesTaint`): the effects match (an
 * empty effect matches all), the keys match (an empty key matches all), and with `Equal` (the
 * default) the values are equal, with `Exists` any value matches.
 */
export function toleratesTaint(toleration: Toleration, taint: TaintLike): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  if (toleration.key && toleration.key !== taint.key) return false;
  switch (toleration.operator ?? "") {
    case "":
    case "Equal":
      return (toleration.value ?? "") === (taint.value ?? "");
    case "Exists":
      return true;
    default:
      return false;
  }
}

/** Whether any of `tolerations` tolerates `taint`. */
export function tolerationsTolerateTaint(
  tolerations: readonly Toleration[] | undefined,
  taint: TaintLike,
): boolean {
  return (tolerations ?? []).some((t) => toleratesTaint(t, taint));
}

/** Whether `taint` keeps pods off a node: its effect is `NoSchedule` or `NoExecute`. */
export function isDoNotScheduleTaint(taint: TaintLike): boolean {
  return taint.effect === "NoSchedule" || taint.effect === "NoExecute";
}

/**
 * The first `NoSchedule` or `NoExecute` taint of `taints` that none of `tolerations`
 * tolerates, or `undefined` (upstream `FindMatchingUntoleratedTaint` with
 * `DoNotScheduleTaintsFilterFunc`).
 */
export function findUntoleratedTaint(
  taints: readonly Taint[] | undefined,
  tolerations: readonly Toleration[] | undefined,
): Taint | undefined {
  for (const taint of taints ?? []) {
    if (isDoNotScheduleTaint(taint) && !tolerationsTolerateTaint(tolerations, taint)) return taint;
  }
  return undefined;
}

/** What {@linkcode matchingTolerations} answers. */
export interface MatchingTolerations {
  /** Every taint is tolerated by at least one toleration. */
  readonly allTolerated: boolean;
  /**
   * For each taint in order, the first toleration that tolerates it (so one toleration may
   * stand more than once); empty when not all are tolerated.
   */
  readonly used: readonly Toleration[];
}

/**
 * Whether every one of `taints` is tolerated, and by which of `tolerations` (upstream
 * `GetMatchingTolerations`): a taint counts only the first toleration that tolerates it, so a
 * later one with a shorter `tolerationSeconds` does not shorten the pod's stay.
 */
export function matchingTolerations(
  taints: readonly TaintLike[],
  tolerations: readonly Toleration[] | undefined,
): MatchingTolerations {
  const used: Toleration[] = [];
  for (const taint of taints) {
    const first = (tolerations ?? []).find((t) => toleratesTaint(t, taint));
    if (first === undefined) return { allTolerated: false, used: [] };
    used.push(first);
  }
  return { allTolerated: true, used };
}
