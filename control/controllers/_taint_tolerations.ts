/**
 * Which of a pod's tolerations cover a node's NoExecute taints, and for how long (upstream
 * `v1helper.GetMatchingTolerations` and the taint eviction controller's
 * `getMinTolerationTime`). Controllers may not import the scheduler, so the matching rule
 * (`Toleration.ToleratesTaint`) is written here once more for them.
 *
 * @example A pod tolerating unreachable nodes for five minutes
 * ```ts
 * import assert from "node:assert/strict";
 * import { matchingTolerations, minTolerationMs } from "./_taint_tolerations.ts";
 *
 * const taints = [{ key: "node.kubernetes.io/unreachable", effect: "NoExecute" as const }];
 * const match = matchingTolerations(taints, [{
 *   key: "node.kubernetes.io/unreachable",
 *   operator: "Exists",
 *   effect: "NoExecute",
 *   tolerationSeconds: 300,
 * }]);
 * assert.ok(match.allTolerated);
 * assert.equal(minTolerationMs(match.used), 300_000);
 * ```
 *
 * @module
 */
import type { Taint, Toleration } from "../api/types/core_v1_common.ts";

/** A taint as far as matching goes. */
export type TaintLike = Pick<Taint, "key" | "effect"> & { readonly value?: string };

/**
 * Whether `toleration` tolerates `taint`: the effects match (an empty effect matches all), the
 * keys match (an empty key matches all), and with `Equal` (the default) the values are equal;
 * with `Exists` any value matches. Any other operator matches nothing.
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

/** What {@linkcode matchingTolerations} answers. */
export interface MatchingTolerations {
  /** Every taint is tolerated by at least one toleration. */
  readonly allTolerated: boolean;
  /** The tolerations that tolerate some taint (empty when not all are tolerated). */
  readonly used: readonly Toleration[];
}

/** Whether every one of `taints` is tolerated, and by which of `tolerations`. */
export function matchingTolerations(
  taints: readonly TaintLike[],
  tolerations: readonly Toleration[] | undefined,
): MatchingTolerations {
  const used: Toleration[] = [];
  for (const taint of taints) {
    const matching = (tolerations ?? []).filter((t) => toleratesTaint(t, taint));
    if (matching.length === 0) return { allTolerated: false, used: [] };
    for (const t of matching) if (!used.includes(t)) used.push(t);
  }
  return { allTolerated: true, used };
}

/**
 * How long the pod may stay: the smallest `tolerationSeconds` of `tolerations` in
 * milliseconds, `0` when there are none or one is `<= 0`, `-1` (forever) when none of them
 * has `tolerationSeconds`.
 */
export function minTolerationMs(tolerations: readonly Toleration[]): number {
  if (tolerations.length === 0) return 0;
  let min = Infinity;
  for (const t of tolerations) {
    if (t.tolerationSeconds === undefined || t.tolerationSeconds === null) continue;
    const seconds = Number(t.tolerationSeconds);
    if (seconds <= 0) return 0;
    if (seconds < min) min = seconds;
  }
  return min === Infinity ? -1 : min * 1000;
}
