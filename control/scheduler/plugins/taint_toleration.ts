/**
 * TaintToleration: a node with a `NoSchedule` or `NoExecute` taint the pod does not tolerate is
 * rejected; among the rest, nodes with fewer untolerated `PreferNoSchedule` taints score higher.
 *
 * @module
 */
import type { Taint, Toleration } from "../../api/types/core_v1_common.ts";
import type { Pod } from "../../api/types/core_v1_pod.ts";
import { stateKey } from "../cycle_state.ts";
import type { FilterPlugin, FrameworkHandle, PreScorePlugin, ScorePlugin } from "../framework.ts";
import type { NodeInfo } from "../node_info.ts";
import { defaultNormalizeScore } from "../normalize_score.ts";
import { type PluginStatus, unresolvable } from "../status.ts";
import { findUntoleratedTaint, tolerationsTolerateTaint } from "../../client/tolerations.ts";
import { NO_ARGS, parseArgs } from "./_args.ts";

/** The plugin's name. */
export const NAME = "TaintToleration";

/** The reason for a node whose `taint` the pod does not tolerate. */
export function errReason(taint: Pick<Taint, "key" | "value">): string {
  return `node(s) had untolerated taint {${taint.key}: ${taint.value ?? ""}}`;
}

/** `null` when `pod` tolerates every NoSchedule/NoExecute taint of the node, else the rejection. */
export function check(pod: Pod, nodeInfo: NodeInfo): PluginStatus | null {
  const taints = nodeInfo.node?.spec?.taints;
  if (taints === undefined || taints.length === 0) return null;
  const taint = findUntoleratedTaint(taints, pod.spec?.tolerations);
  return taint === undefined ? null : unresolvable(errReason(taint));
}

/** The tolerations that can tolerate `PreferNoSchedule` taints (that effect, or any). */
export function preferNoScheduleTolerations(pod: Pod): Toleration[] {
  return (pod.spec?.tolerations ?? []).filter((t) => !t.effect || t.effect === "PreferNoSchedule");
}

/** The number of `PreferNoSchedule` taints of the node none of `tolerations` tolerates. */
export function countIntolerableTaints(
  nodeInfo: NodeInfo,
  tolerations: readonly Toleration[],
): number {
  const taints = nodeInfo.node?.spec?.taints;
  if (taints === undefined) return 0;
  let count = 0;
  for (let i = 0; i < taints.length; i++) {
    const taint = taints[i]!;
    if (taint.effect !== "PreferNoSchedule") continue;
    if (!tolerationsTolerateTaint(tolerations, taint)) count++;
  }
  return count;
}

class PreScoreState {
  constructor(readonly tolerations: readonly Toleration[]) {}
  clone(): PreScoreState {
    return this;
  }
}

const PRE_SCORE_KEY = stateKey<PreScoreState>(`PreScore${NAME}`);

/** The TaintToleration plugin (takes no args). */
export function newTaintToleration(
  args: unknown,
  _handle: FrameworkHandle,
): FilterPlugin & PreScorePlugin & ScorePlugin {
  parseArgs(NAME, { schema: NO_ARGS, args });
  return {
    name: NAME,
    filter: (_state, pod, nodeInfo) => check(pod, nodeInfo),
    preScore(state, pod) {
      state.write(PRE_SCORE_KEY, new PreScoreState(preferNoScheduleTolerations(pod)));
      return null;
    },
    score(state, pod, nodeInfo) {
      const tolerations = state.read(PRE_SCORE_KEY)?.tolerations ??
        preferNoScheduleTolerations(pod);
      return countIntolerableTaints(nodeInfo, tolerations);
    },
    normalizeScore: (_state, _pod, scores) => defaultNormalizeScore(scores, true),
  };
}
