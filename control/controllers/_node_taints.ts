/**
 * The node controller's taints (upstream `nodelifecycle` and `controllerutil`): which
 * `NoSchedule` taints a node's conditions call for (TaintNodesByCondition), its zone key, and
 * {@linkcode swapNodeTaints}, which adds and removes taints in one write.
 *
 * A swap is one JSON merge patch of `spec.taints` (an atomic list, so the whole list is sent)
 * carrying the `resourceVersion` it was computed from: a concurrent change makes it fail with
 * a conflict, and the node is read again and the swap recomputed (upstream `PatchNodeTaints`).
 * A taint that is already there (same key and effect) is kept as it is, `timeAdded` included.
 *
 * @module
 */
import type { Taint } from "../api/types/core_v1_common.ts";
import type { Node, NodeCondition } from "../api/types/core_v1_node.ts";
import type { ResourceClient } from "../client/client.ts";
import { isConflict } from "../client/errors.ts";
import { TAINT_NODE_UNSCHEDULABLE } from "../client/tolerations.ts";
import { rfc3339 } from "./_rfc3339.ts";

/** The node's Ready condition is False. */
export const TAINT_NODE_NOT_READY = "node.kubernetes.io/not-ready";
/** The node's Ready condition is Unknown: it stopped reporting. */
export const TAINT_NODE_UNREACHABLE = "node.kubernetes.io/unreachable";
/** `spec.unschedulable` is set (cordoned); the scheduler shares this key. */
export { TAINT_NODE_UNSCHEDULABLE };
/** MemoryPressure is True. */
export const TAINT_NODE_MEMORY_PRESSURE = "node.kubernetes.io/memory-pressure";
/** DiskPressure is True. */
export const TAINT_NODE_DISK_PRESSURE = "node.kubernetes.io/disk-pressure";
/** PIDPressure is True. */
export const TAINT_NODE_PID_PRESSURE = "node.kubernetes.io/pid-pressure";
/** NetworkUnavailable is True. */
export const TAINT_NODE_NETWORK_UNAVAILABLE = "node.kubernetes.io/network-unavailable";

/** The NoExecute taint of a node that reports not ready. */
export const NOT_READY_NO_EXECUTE: TaintKeyEffect = {
  key: TAINT_NODE_NOT_READY,
  effect: "NoExecute",
};
/** The NoExecute taint of a node that stopped reporting. */
export const UNREACHABLE_NO_EXECUTE: TaintKeyEffect = {
  key: TAINT_NODE_UNREACHABLE,
  effect: "NoExecute",
};

/** A taint's identity: two taints with the same key and effect are the same taint. */
export interface TaintKeyEffect {
  readonly key: string;
  readonly effect: Taint["effect"];
}

/** Condition type → status → the NoSchedule taint key it calls for. */
const CONDITION_TAINTS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  Ready: { False: TAINT_NODE_NOT_READY, Unknown: TAINT_NODE_UNREACHABLE },
  MemoryPressure: { True: TAINT_NODE_MEMORY_PRESSURE },
  DiskPressure: { True: TAINT_NODE_DISK_PRESSURE },
  NetworkUnavailable: { True: TAINT_NODE_NETWORK_UNAVAILABLE },
  PIDPressure: { True: TAINT_NODE_PID_PRESSURE },
};

/** The taint keys the NoSchedule pass owns (it adds and removes only these). */
const NO_SCHEDULE_KEYS: ReadonlySet<string> = new Set([
  TAINT_NODE_NOT_READY,
  TAINT_NODE_UNREACHABLE,
  TAINT_NODE_MEMORY_PRESSURE,
  TAINT_NODE_DISK_PRESSURE,
  TAINT_NODE_NETWORK_UNAVAILABLE,
  TAINT_NODE_PID_PRESSURE,
  TAINT_NODE_UNSCHEDULABLE,
]);

/** Whether `taints` has one with `t`'s key and effect (upstream `TaintExists`). */
export function hasTaint(taints: readonly Taint[] | undefined, t: TaintKeyEffect): boolean {
  return (taints ?? []).some((x) => x.key === t.key && x.effect === t.effect);
}

/** The node's condition of `type`, if it has one. */
export function nodeCondition(node: Node, type: string): NodeCondition | undefined {
  return node.status?.conditions?.find((c) => c.type === type);
}

/** The taints to add and remove to bring a node to some desired set. */
export interface TaintChange {
  readonly add: readonly TaintKeyEffect[];
  readonly remove: readonly TaintKeyEffect[];
}

/**
 * The NoSchedule taints the node's conditions and `spec.unschedulable` call for, against the
 * ones of those keys it has (upstream `doNoScheduleTaintingPass`). Other taints are left alone.
 */
export function noScheduleTaintChange(node: Node): TaintChange {
  const want: TaintKeyEffect[] = [];
  for (const c of node.status?.conditions ?? []) {
    const key = CONDITION_TAINTS[c.type]?.[c.status];
    if (key !== undefined) want.push({ key, effect: "NoSchedule" });
  }
  if (node.spec?.unschedulable) want.push({ key: TAINT_NODE_UNSCHEDULABLE, effect: "NoSchedule" });
  const have = (node.spec?.taints ?? []).filter((t) =>
    t.effect === "NoSchedule" && NO_SCHEDULE_KEYS.has(t.key)
  );
  return {
    add: want.filter((t) => !hasTaint(have, t)),
    remove: have.filter((t) => !want.some((w) => w.key === t.key)).map((t) => ({
      key: t.key,
      effect: t.effect,
    })),
  };
}

/** The taints after removing `change.remove` and adding `change.add` (with `timeAdded`). */
export function applyTaintChange(
  taints: readonly Taint[] | undefined,
  change: TaintChange & { readonly nowMs: number },
): Taint[] {
  const kept = (taints ?? []).filter((t) =>
    !change.remove.some((r) => r.key === t.key && r.effect === t.effect)
  );
  for (const t of change.add) {
    if (hasTaint(kept, t)) continue;
    kept.push({ key: t.key, effect: t.effect, timeAdded: rfc3339(change.nowMs) });
  }
  return kept;
}

function sameTaints(a: readonly Taint[], b: readonly Taint[]): boolean {
  return a.length === b.length && a.every((t, i) => JSON.stringify(t) === JSON.stringify(b[i]));
}

/** What {@linkcode swapNodeTaints} works on. */
export interface NodeTaintSwap extends TaintChange {
  /** The node as the caller last saw it (the first attempt patches against it). */
  readonly node: Node;
  readonly nowMs: number;
}

/** Tries of a swap that keeps conflicting (upstream `UpdateTaintBackoff` steps). */
const SWAP_ATTEMPTS = 5;

/**
 * Adds `swap.add` and removes `swap.remove` in one patch; returns the node as written (or as
 * read, when nothing had to change). Rethrows the last error.
 */
export async function swapNodeTaints(
  nodes: ResourceClient<Node>,
  swap: NodeTaintSwap,
): Promise<Node> {
  const name = swap.node.metadata?.name ?? "";
  let current = swap.node;
  for (let attempt = 1;; attempt++) {
    const before = current.spec?.taints ?? [];
    const after = applyTaintChange(before, swap);
    if (sameTaints(before, after)) return current;
    try {
      return await nodes.patch(name, {
        type: "merge",
        body: {
          metadata: { resourceVersion: current.metadata?.resourceVersion },
          spec: { taints: after.length > 0 ? after : null },
        },
      });
    } catch (err) {
      if (!isConflict(err) || attempt >= SWAP_ATTEMPTS) throw err;
      current = await nodes.get(name);
    }
  }
}

/** The region label and its deprecated beta spelling. */
const REGION_LABELS = ["topology.kubernetes.io/region", "failure-domain.beta.kubernetes.io/region"];
/** The zone label and its deprecated beta spelling. */
const ZONE_LABELS = ["topology.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/zone"];

function firstLabel(node: Node, keys: readonly string[]): string {
  const labels = node.metadata?.labels ?? {};
  for (const key of keys) {
    const value = labels[key];
    if (value) return value;
  }
  return "";
}

/**
 * The node's zone key (upstream `GetZoneKey`): `<region>:\0:<zone>` from the topology labels
 * (or their beta forms), `""` when the node has neither.
 */
export function zoneKeyOf(node: Node): string {
  const region = firstLabel(node, REGION_LABELS);
  const zone = firstLabel(node, ZONE_LABELS);
  return region === "" && zone === "" ? "" : `${region}:\u0000:${zone}`;
}
