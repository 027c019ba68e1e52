/**
 * {@linkcode readyNode}: the Node object tests register for a node with no agent behind it —
 * Ready, with room for a few pods, labelled with its hostname as a kubelet labels its node.
 *
 * @module
 */
import type { Taint } from "../../control/api/types/core_v1_common.ts";
import type { Node } from "../../control/api/types/core_v1_node.ts";

/** Options of {@linkcode readyNode}. */
export interface ReadyNodeOptions {
  /** Labels besides `kubernetes.io/hostname`. */
  readonly labels?: Readonly<Record<string, string>>;
  readonly taints?: readonly Taint[];
}

/** A Ready Node `name` of 4 CPUs, 8Gi of memory and 110 pods. */
export function readyNode(name: string, options: ReadyNodeOptions = {}): Node {
  const capacity = { cpu: "4", memory: "8Gi", pods: "110" };
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: { name, labels: { "kubernetes.io/hostname": name, ...options.labels } },
    ...(options.taints ? { spec: { taints: [...options.taints] } } : {}),
    status: {
      capacity,
      allocatable: { ...capacity },
      conditions: [{ type: "Ready", status: "True", reason: "KubeletReady" }],
    },
  };
}
