/**
 * Node health as the node lifecycle controller sees it (upstream `tryUpdateNodeHealth`): the
 * last heartbeat it observed — a new `lastHeartbeatTime` on the node's Ready condition or a
 * newer `renewTime` on its Lease — stamped with the controller's own clock when observed (the
 * "probe" time), so that clock skew between nodes and the control plane plays no part.
 *
 * - {@linkcode observeNodeHealth} folds one look at the node and its Lease into the saved
 *   health and says which grace period applies: `nodeMonitorGracePeriod` once the node has a
 *   Ready condition, `nodeStartupGracePeriod` (counted from its creation) before.
 * - {@linkcode unknownConditions} is what the controller writes once the grace period has run
 *   out: Ready, MemoryPressure, DiskPressure and PIDPressure `Unknown` (NetworkUnavailable is
 *   left alone, as upstream).
 *
 * @module
 */
import type { Lease } from "../api/types/coordination_v1.ts";
import type { Node, NodeCondition } from "../api/types/core_v1_node.ts";
import { parseTime, rfc3339 } from "./_rfc3339.ts";
import { nodeCondition } from "./_node_taints.ts";

/** What the controller remembers of a node between looks. */
export interface NodeHealth {
  /** The controller's clock time when it last observed a heartbeat. */
  readonly probeMs: number;
  /** The Ready condition it last took note of (none: the node never posted one). */
  readonly ready: NodeCondition | undefined;
  /** The Lease `renewTime` it last took note of. */
  readonly leaseRenewTime: string | undefined;
}

/** What {@linkcode observeNodeHealth} looks at. */
export interface HealthInput {
  readonly node: Node;
  /** `kube-node-lease/<node>`, if there is one. */
  readonly lease: Lease | undefined;
  readonly nowMs: number;
  readonly monitorGracePeriodMs: number;
  readonly startupGracePeriodMs: number;
}

/** The updated health and the grace period that applies to the node now. */
export interface HealthObservation {
  readonly health: NodeHealth;
  readonly gracePeriodMs: number;
}

function renewedAfter(observed: string | undefined, saved: string | undefined): boolean {
  if (!observed) return false;
  if (!saved) return true;
  const a = parseTime(observed);
  const b = parseTime(saved);
  // Microseconds are lost in milliseconds: a different text that is not older counts.
  return a !== null && b !== null ? a > b || (a === b && observed !== saved) : observed !== saved;
}

/** Folds a look at the node and its Lease into `saved` (`undefined`: first look). */
export function observeNodeHealth(
  saved: NodeHealth | undefined,
  input: HealthInput,
): HealthObservation {
  const { node, lease, nowMs } = input;
  const ready = nodeCondition(node, "Ready");
  let health: NodeHealth | undefined = saved;
  let gracePeriodMs = input.monitorGracePeriodMs;
  if (!ready) {
    // Never posted: give it the startup grace period from its creation.
    gracePeriodMs = input.startupGracePeriodMs;
    const createdMs = parseTime(node.metadata?.creationTimestamp) ?? nowMs;
    health = health
      ? { ...health, ready: undefined }
      : { probeMs: createdMs, ready: undefined, leaseRenewTime: undefined };
  }
  const savedReady = health?.ready;
  if (health === undefined) {
    health = { probeMs: nowMs, ready, leaseRenewTime: undefined };
  } else if (savedReady === undefined && ready) {
    health = { probeMs: nowMs, ready, leaseRenewTime: health.leaseRenewTime };
  } else if (savedReady && ready && savedReady.lastHeartbeatTime !== ready.lastHeartbeatTime) {
    health = { probeMs: nowMs, ready, leaseRenewTime: health.leaseRenewTime };
  }
  // A renewed Lease always counts: a kubelet that renews its Lease but never posts status is
  // taken as healthy, as upstream.
  const renewTime = lease?.spec?.renewTime ?? undefined;
  if (renewedAfter(renewTime, health.leaseRenewTime)) {
    health = { ...health, probeMs: nowMs, leaseRenewTime: renewTime };
  }
  return { health, gracePeriodMs };
}

/** Whether the grace period has run out since the last heartbeat. */
export function healthExpired(observation: HealthObservation, nowMs: number): boolean {
  return nowMs > observation.health.probeMs + observation.gracePeriodMs;
}

/** The conditions the controller sets to Unknown when a node stops reporting. */
export const UNKNOWN_CONDITION_TYPES: readonly string[] = [
  "Ready",
  "MemoryPressure",
  "DiskPressure",
  "PIDPressure",
];

/** The reason of a condition set Unknown because the node stopped reporting. */
export const NODE_STATUS_UNKNOWN = "NodeStatusUnknown";
/** The reason of a condition set Unknown because the node never reported it. */
export const NODE_STATUS_NEVER_UPDATED = "NodeStatusNeverUpdated";

/** What {@linkcode unknownConditions} answers. */
export interface UnknownConditions {
  /** The node's conditions with those of {@linkcode UNKNOWN_CONDITION_TYPES} Unknown. */
  readonly conditions: NodeCondition[];
  /** Whether the Ready condition changed (only then is the status written, as upstream). */
  readonly readyChanged: boolean;
}

/**
 * The node's conditions once it stopped reporting: each of {@linkcode UNKNOWN_CONDITION_TYPES}
 * that is not Unknown yet becomes Unknown (`NodeStatusUnknown`, "Kubelet stopped posting node
 * status.", transition now, heartbeat kept); a missing one is added (`NodeStatusNeverUpdated`,
 * "Kubelet never posted node status.", heartbeat at the node's creation).
 */
export function unknownConditions(node: Node, nowMs: number): UnknownConditions {
  const now = rfc3339(nowMs);
  const conditions = (node.status?.conditions ?? []).map((c) => ({ ...c }));
  for (const type of UNKNOWN_CONDITION_TYPES) {
    const index = conditions.findIndex((c) => c.type === type);
    const current = index >= 0 ? conditions[index] : undefined;
    if (!current) {
      conditions.push({
        type,
        status: "Unknown",
        reason: NODE_STATUS_NEVER_UPDATED,
        message: "Kubelet never posted node status.",
        ...(node.metadata?.creationTimestamp
          ? { lastHeartbeatTime: node.metadata.creationTimestamp }
          : {}),
        lastTransitionTime: now,
      });
    } else if (current.status !== "Unknown") {
      conditions[index] = {
        ...current,
        status: "Unknown",
        reason: NODE_STATUS_UNKNOWN,
        message: "Kubelet stopped posting node status.",
        lastTransitionTime: now,
      };
    }
  }
  const before = nodeCondition(node, "Ready");
  const after = conditions.find((c) => c.type === "Ready");
  return {
    conditions,
    readyChanged: before === undefined || JSON.stringify(before) !== JSON.stringify(after),
  };
}
