/**
 * How long the tolerations that cover a node's NoExecute taints let a pod stay (the taint
 * eviction controller's `getMinTolerationTime`). Which tolerations those are is
 * `matchingTolerations` of `control/client/tolerations.ts`, shared with the scheduler.
 *
 * @example A pod tolerating unreachable nodes for five minutes
 * ```ts
 * import assert from "node:assert/strict";
 * import { matchingTolerations } from "../client/tolerations.ts";
 * import { minTolerationMs } from "./_taint_tolerations.ts";
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
import type { Toleration } from "../api/types/core_v1_common.ts";

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
