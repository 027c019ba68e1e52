/**
 * Why a pod fits no node (upstream `framework.FitError` and `Diagnosis`), and the summary users
 * read in `FailedScheduling` events: `0/3 nodes are available: 1 Insufficient cpu, 2 node(s)
 * had untolerated taint {node-role.kubernetes.io/control-plane: }.` Each reason is counted
 * over the nodes that gave it, and the "count reason" strings are sorted as strings, as upstream
 * does. When a PreFilter plugin rejected the pod, its message stands alone instead. PostFilter
 * (preemption) appends its own sentence later through {@linkcode FitError.setPostFilterMessage}.
 *
 * @example The summary for three nodes
 * ```ts
 * import assert from "node:assert/strict";
 * import { Diagnosis, FitError } from "./fit_error.ts";
 * import { unresolvable, unschedulable } from "./status.ts";
 *
 * const diagnosis = new Diagnosis();
 * diagnosis.nodeToStatus.set("a", unschedulable("Insufficient cpu"));
 * const taint = "node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }";
 * diagnosis.nodeToStatus.set("b", unresolvable(taint));
 * diagnosis.nodeToStatus.set("c", unresolvable(taint));
 * const err = new FitError({ pod: {}, numAllNodes: 3, diagnosis });
 * assert.equal(err.message, `0/3 nodes are available: 1 Insufficient cpu, 2 ${taint}.`);
 * ```
 *
 * @module
 */
import type { Pod } from "../api/types/core_v1_pod.ts";
import { isRejected, type PluginStatus } from "./status.ts";

/** Upstream's `ErrNoNodesAvailable` text, used when the cluster has no nodes at all. */
export const NO_NODES_AVAILABLE_MESSAGE = "no nodes available to schedule pods";

/** Read access to the statuses of the nodes a pod was filtered out of. */
export interface NodeToStatusReader {
  /** The status of `node`: its own, or the status for nodes not examined. */
  get(node: string): PluginStatus;
  /** The status nodes without their own status have (upstream `AbsentNodesStatus`). */
  readonly absentNodesStatus: PluginStatus;
  /** The number of nodes with their own status. */
  readonly size: number;
  /** Every node with its own status. */
  entries(): IterableIterator<[string, PluginStatus]>;
}

const DEFAULT_ABSENT: PluginStatus = Object.freeze({
  code: "UnschedulableAndUnresolvable",
  reasons: Object.freeze([]),
});

/** Node name → the status that filtered the pod out (upstream `NodeToStatus`). */
export class NodeToStatus implements NodeToStatusReader {
  readonly #statuses = new Map<string, PluginStatus>();
  /** The status of nodes that were never examined (a PreFilter result excluded them). */
  absentNodesStatus: PluginStatus = DEFAULT_ABSENT;

  /** Records `status` for `node`. */
  set(node: string, status: PluginStatus): void {
    this.#statuses.set(node, status);
  }

  /** The status of `node`, or {@linkcode NodeToStatus.absentNodesStatus}. */
  get(node: string): PluginStatus {
    return this.#statuses.get(node) ?? this.absentNodesStatus;
  }

  /** The number of nodes with their own status. */
  get size(): number {
    return this.#statuses.size;
  }

  /** Every node with its own status, in the order they were recorded. */
  entries(): IterableIterator<[string, PluginStatus]> {
    return this.#statuses.entries();
  }
}

/** What went wrong in a scheduling cycle, node by node (upstream `Diagnosis`). */
export class Diagnosis {
  /** The status each rejected node gave. */
  readonly nodeToStatus: NodeToStatus = new NodeToStatus();
  /** The plugins that rejected the pod somewhere (for requeueing on the right events). */
  readonly unschedulablePlugins: Set<string> = new Set();
  /** The plugins that returned `Pending`. */
  readonly pendingPlugins: Set<string> = new Set();
  /** The message of the PreFilter status that rejected the pod, if one did. */
  preFilterMsg = "";
  /** The sentence PostFilter (preemption) adds, such as `preemption: 0/3 nodes are available: …`. */
  postFilterMsg = "";

  /** Notes the plugin of `status` as unschedulable or pending (upstream `AddPluginStatus`). */
  addPluginStatus(status: PluginStatus): void {
    if (status.plugin === undefined || status.plugin === "") return;
    if (isRejected(status)) this.unschedulablePlugins.add(status.plugin);
    if (status.code === "Pending") this.pendingPlugins.add(status.plugin);
  }
}

/** Compares strings by UTF-8 bytes, as Go's `sort.Strings`. */
function compareBytes(a: string, b: string): number {
  const len = Math.min(a.length, b.length);
  for (let i = 0; i < len; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x < y ? -1 : 1;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}

/** The options of the {@linkcode FitError} constructor. */
export interface FitErrorInit {
  /** The pod that fits nowhere. */
  readonly pod: Pod;
  /** The number of nodes in the snapshot. */
  readonly numAllNodes: number;
  /** Why. */
  readonly diagnosis: Diagnosis;
}

/**
 * The summary message of a fit error (upstream `FitError.Error()`); with no nodes at all,
 * {@linkcode NO_NODES_AVAILABLE_MESSAGE}.
 */
export function fitErrorMessage(numAllNodes: number, diagnosis: Diagnosis): string {
  if (numAllNodes === 0 && diagnosis.preFilterMsg === "" && diagnosis.nodeToStatus.size === 0) {
    return NO_NODES_AVAILABLE_MESSAGE;
  }
  let message = `0/${numAllNodes} nodes are available:`;
  if (diagnosis.preFilterMsg !== "") {
    message += ` ${diagnosis.preFilterMsg}.`;
  } else {
    const counts = new Map<string, number>();
    const statuses = diagnosis.nodeToStatus;
    for (const [, status] of statuses.entries()) {
      for (const reason of status.reasons) counts.set(reason, (counts.get(reason) ?? 0) + 1);
    }
    if (statuses.size < numAllNodes) {
      const absent = numAllNodes - statuses.size;
      for (const reason of statuses.absentNodesStatus.reasons) {
        counts.set(reason, (counts.get(reason) ?? 0) + absent);
      }
    }
    const histogram = [...counts].map(([reason, n]) => `${n} ${reason}`).sort(compareBytes);
    if (histogram.length > 0) message += ` ${histogram.join(", ")}.`;
  }
  if (diagnosis.postFilterMsg !== "") message += ` ${diagnosis.postFilterMsg}`;
  return message;
}

/** A pod fits no node; {@linkcode FitError.message} is the event summary. */
export class FitError extends Error {
  /** The pod. */
  readonly pod: Pod;
  /** The number of nodes in the snapshot. */
  readonly numAllNodes: number;
  /** Node by node, why. */
  readonly diagnosis: Diagnosis;

  constructor(init: FitErrorInit) {
    super(fitErrorMessage(init.numAllNodes, init.diagnosis));
    this.name = "FitError";
    this.pod = init.pod;
    this.numAllNodes = init.numAllNodes;
    this.diagnosis = init.diagnosis;
  }

  /** Sets PostFilter's sentence (`preemption: …`) and updates the message. */
  setPostFilterMessage(message: string): void {
    this.diagnosis.postFilterMsg = message;
    this.message = fitErrorMessage(this.numAllNodes, this.diagnosis);
  }
}
