/**
 * What a kubelet writes to say it is alive, for node lifecycle tests: a Node with a Ready
 * condition and a heartbeat time, its Lease `kube-node-lease/<node>` with a `renewTime`, and
 * status updates with a fresh heartbeat — all stamped with the test's clock, so a fake clock
 * decides when a node was last heard of.
 *
 * @example A node that stays alive while the test advances the clock
 * ```ts ignore
 * await createHeartbeatNode(client, { name: "edge-1", clock });
 * clock.advance(10_000);
 * await renewNodeLease(client, { name: "edge-1", clock });
 * ```
 *
 * @module
 */
import {
  formatMicroTime as microTime,
  formatTime as rfc3339,
} from "../../control/util/k8s_time.ts";
import type { Lease } from "../../control/api/types/coordination_v1.ts";
import type { Node, NodeCondition } from "../../control/api/types/core_v1_node.ts";
import type { Client } from "../../control/client/client.ts";
import { isNotFound } from "../../control/client/errors.ts";
import { LEASES, NODES } from "../../control/client/resources.ts";
import type { Clock } from "../../control/util/clock.ts";

/** The namespace of node Leases. */
export const NODE_LEASE_NAMESPACE = "kube-node-lease";

export { microTime, rfc3339 };

/** What {@linkcode createHeartbeatNode} makes. */
export interface HeartbeatNode {
  readonly name: string;
  readonly clock: Clock;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  /** The Ready condition's status. @default {"True"} */
  readonly ready?: "True" | "False";
  /** Also create its Lease. @default {true} */
  readonly lease?: boolean;
}

function conditions(ready: string, nowMs: number, previous?: Node): NodeCondition[] {
  const now = rfc3339(nowMs);
  function keep(type: string, status: string, reason: string, message: string): NodeCondition {
    const old = previous?.status?.conditions?.find((c) => c.type === type);
    return {
      type,
      status,
      reason,
      message,
      lastHeartbeatTime: now,
      lastTransitionTime: old?.status === status && old.lastTransitionTime
        ? old.lastTransitionTime
        : now,
    };
  }
  return [
    keep(
      "MemoryPressure",
      "False",
      "KubeletHasSufficientMemory",
      "kubelet has sufficient memory available",
    ),
    keep("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
    keep("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
    ready === "True"
      ? keep("Ready", "True", "KubeletReady", "kubelet is posting ready status")
      : keep("Ready", "False", "KubeletNotReady", "container runtime network not ready"),
  ];
}

/** Creates a Node with the conditions a kubelet posts (and its Lease), heartbeat now. */
export async function createHeartbeatNode(client: Client, node: HeartbeatNode): Promise<Node> {
  const nowMs = node.clock.now();
  const created = await client.resource(NODES).create({
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name: node.name,
      labels: { "kubernetes.io/hostname": node.name, ...node.labels },
      ...(node.annotations ? { annotations: { ...node.annotations } } : {}),
    },
    status: {
      capacity: { cpu: "4", memory: "8Gi", pods: "110" },
      allocatable: { cpu: "4", memory: "8Gi", pods: "110" },
      conditions: conditions(node.ready ?? "True", nowMs),
    },
  });
  if (node.lease ?? true) await renewNodeLease(client, { name: node.name, clock: node.clock });
  return created;
}

/** Creates or renews the node's Lease with `renewTime` now; answers the Lease written. */
export async function renewNodeLease(
  client: Client,
  node: { readonly name: string; readonly clock: Clock },
): Promise<Lease> {
  const leases = client.resource(LEASES);
  const renewTime = microTime(node.clock.now());
  try {
    const lease = await leases.get(node.name, { namespace: NODE_LEASE_NAMESPACE });
    return await leases.update({ ...lease, spec: { ...lease.spec, renewTime } });
  } catch (err) {
    if (!isNotFound(err)) throw err;
    return await leases.create({
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: { namespace: NODE_LEASE_NAMESPACE, name: node.name },
      spec: { holderIdentity: node.name, leaseDurationSeconds: 40, renewTime },
    });
  }
}

/** Posts the node's status as its kubelet does: every condition with a heartbeat now. */
export async function postNodeStatus(
  client: Client,
  node: { readonly name: string; readonly clock: Clock; readonly ready?: "True" | "False" },
): Promise<Node> {
  const nodes = client.resource(NODES);
  const current = await nodes.get(node.name);
  return await nodes.updateStatus({
    ...current,
    status: {
      ...current.status,
      conditions: conditions(node.ready ?? "True", node.clock.now(), current),
    },
  });
}
