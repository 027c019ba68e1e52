/**
 * NodePorts: a pod's host ports must be free on the node, by IP and protocol (`0.0.0.0`
 * conflicts with every IP).
 *
 * @module
 */
import type { Pod } from "../../api/types/core_v1_pod.ts";
import { stateKey } from "../cycle_state.ts";
import type { FilterPlugin, FrameworkHandle, PreFilterPlugin } from "../framework.ts";
import { type HostPort, podHostPorts } from "../host_ports.ts";
import type { NodeInfo } from "../node_info.ts";
import { errorStatus, skip, unschedulable } from "../status.ts";
import { NO_ARGS, parseArgs } from "./_args.ts";

/** The plugin's name. */
export const NAME = "NodePorts";

/** The reason a node is rejected. */
export const ERR_REASON = "node(s) didn't have free ports for the requested pod ports";

/** Whether none of `ports` is in use on the node. */
export function fitsPorts(ports: readonly HostPort[], nodeInfo: NodeInfo): boolean {
  for (const p of ports) if (nodeInfo.usedPorts.conflicts(p)) return false;
  return true;
}

/** Whether the host ports `pod` asks for are free on the node. */
export function fits(pod: Pod, nodeInfo: NodeInfo): boolean {
  return fitsPorts(podHostPorts(pod), nodeInfo);
}

class PreFilterState {
  constructor(readonly ports: readonly HostPort[]) {}
  clone(): PreFilterState {
    return this;
  }
}

const PRE_FILTER_KEY = stateKey<PreFilterState>(`PreFilter${NAME}`);

/** The NodePorts plugin (takes no args). */
export function newNodePorts(
  args: unknown,
  _handle: FrameworkHandle,
): PreFilterPlugin & FilterPlugin {
  parseArgs(NAME, { schema: NO_ARGS, args });
  return {
    name: NAME,
    preFilter(state, pod) {
      const ports = podHostPorts(pod);
      if (ports.length === 0) return skip();
      state.write(PRE_FILTER_KEY, new PreFilterState(ports));
      return null;
    },
    filter(state, _pod, nodeInfo) {
      const s = state.read(PRE_FILTER_KEY);
      if (s === undefined) {
        return errorStatus(`reading "${PRE_FILTER_KEY.name}" from cycleState: not found`);
      }
      return fitsPorts(s.ports, nodeInfo) ? null : unschedulable(ERR_REASON);
    },
  };
}
