/**
 * NodeName: a pod that names its node in `spec.nodeName` fits only that node.
 *
 * @module
 */
import type { Pod } from "../../api/types/core_v1_pod.ts";
import type { FilterPlugin, FrameworkHandle } from "../framework.ts";
import type { NodeInfo } from "../node_info.ts";
import { unresolvable } from "../status.ts";
import { NO_ARGS, parseArgs } from "./_args.ts";

/** The plugin's name. */
export const NAME = "NodeName";

/** The reason a node is rejected. */
export const ERR_REASON = "node(s) didn't match the requested node name";

/** Whether `pod` may run on `nodeInfo`: it names no node, or this one. */
export function fits(pod: Pod, nodeInfo: NodeInfo): boolean {
  const wanted = pod.spec?.nodeName;
  return !wanted || wanted === nodeInfo.name;
}

/** The NodeName plugin (takes no args). */
export function newNodeName(args: unknown, _handle: FrameworkHandle): FilterPlugin {
  parseArgs(NAME, { schema: NO_ARGS, args });
  return {
    name: NAME,
    filter: (_state, pod, nodeInfo) => fits(pod, nodeInfo) ? null : unresolvable(ERR_REASON),
  };
}
