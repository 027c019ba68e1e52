/**
 * NodeUnschedulable: a cordoned node (`spec.unschedulable`) takes only pods that tolerate the
 * `node.kubernetes.io/unschedulable:NoSchedule` taint.
 *
 * @module
 */
import type { Pod } from "../../api/types/core_v1_pod.ts";
import type { FilterPlugin, FrameworkHandle } from "../framework.ts";
import type { NodeInfo } from "../node_info.ts";
import { type PluginStatus, unresolvable } from "../status.ts";
import { TAINT_NODE_UNSCHEDULABLE, tolerationsTolerateTaint } from "../../client/tolerations.ts";
import { NO_ARGS, parseArgs } from "./_args.ts";

/** The plugin's name. */
export const NAME = "NodeUnschedulable";

/** The reason a node without its Node object is rejected. */
export const ERR_REASON_UNKNOWN_CONDITION = "node(s) had unknown conditions";

/** The reason a cordoned node is rejected. */
export const ERR_REASON_UNSCHEDULABLE = "node(s) were unschedulable";

const UNSCHEDULABLE_TAINT = { key: TAINT_NODE_UNSCHEDULABLE, effect: "NoSchedule" } as const;

/** Whether `pod` tolerates `spec.unschedulable`. */
export function toleratesUnschedulable(pod: Pod): boolean {
  return tolerationsTolerateTaint(pod.spec?.tolerations, UNSCHEDULABLE_TAINT);
}

/** `null` when `pod` may run on `nodeInfo`, else the rejection. */
export function check(pod: Pod, nodeInfo: NodeInfo): PluginStatus | null {
  if (nodeInfo.node === null) return unresolvable(ERR_REASON_UNKNOWN_CONDITION);
  if (nodeInfo.node.spec?.unschedulable && !toleratesUnschedulable(pod)) {
    return unresolvable(ERR_REASON_UNSCHEDULABLE);
  }
  return null;
}

/** The NodeUnschedulable plugin (takes no args). */
export function newNodeUnschedulable(args: unknown, _handle: FrameworkHandle): FilterPlugin {
  parseArgs(NAME, { schema: NO_ARGS, args });
  return { name: NAME, filter: (_state, pod, nodeInfo) => check(pod, nodeInfo) };
}
