/**
 * What one step of a DaemonSet's RollingUpdate does (upstream `rollingUpdate` in
 * `pkg/controller/daemon/update.go`), as a pure plan over the pods on each node:
 *
 * - **maxSurge 0**: delete old pods — every unavailable old pod, plus available ones while the
 *   nodes without an available updated pod stay within `maxUnavailable`; the main loop then
 *   creates the new pods on the emptied nodes.
 * - **maxSurge > 0**: create an updated pod next to the old one — at once where the old pod is
 *   unavailable, elsewhere on at most `maxSurge` nodes at a time — and delete the old pod once
 *   the new one is available. Old pods on nodes the DaemonSet no longer fits are deleted only
 *   while more pods are available than nodes want one.
 *
 * A node with more than one old or one new pod is left to the main loop (it counts as
 * unavailable, or as surging).
 *
 * @module
 */
import type { DaemonSet } from "../api/types/apps_v1.ts";
import type { Pod } from "../api/types/core_v1_pod.ts";
import { isPodAvailable } from "./active_pods.ts";
import {
  type DaemonPodTemplateOptions,
  isPodUpdated,
  surgeCount,
  unavailableCount,
} from "./_daemon_set_pods.ts";

/** The new and the old pod on one node (not being deleted), or `ok: false` for more. */
export interface UpdatedPodsOnNode {
  readonly ok: boolean;
  readonly newPod?: Pod;
  readonly oldPod?: Pod;
}

/** Splits a node's pods into the updated one and the old one (upstream `findUpdatedPodsOnNode`). */
export function findUpdatedPodsOnNode(
  pods: readonly Pod[],
  revision: DaemonPodTemplateOptions,
): UpdatedPodsOnNode {
  let newPod: Pod | undefined;
  let oldPod: Pod | undefined;
  for (const pod of pods) {
    if (pod.metadata?.deletionTimestamp) continue;
    if (isPodUpdated(pod, revision)) {
      if (newPod) return { ok: false };
      newPod = pod;
    } else {
      if (oldPod) return { ok: false };
      oldPod = pod;
    }
  }
  return { ok: true, ...(newPod ? { newPod } : {}), ...(oldPod ? { oldPod } : {}) };
}

/** The rolling update's limits as node counts (upstream `updatedDesiredNodeCounts`). */
export interface RollingUpdateCounts {
  readonly maxSurge: number;
  readonly maxUnavailable: number;
  readonly desiredNumberScheduled: number;
}

/**
 * `maxSurge`, `maxUnavailable` and the nodes that want a pod; both limits 0 (which validation
 * refuses) falls back to one unavailable node.
 *
 * @throws {Error} for a limit that is neither an integer nor a percentage.
 */
export function rollingUpdateCounts(ds: DaemonSet, desired: number): RollingUpdateCounts {
  let maxUnavailable: number;
  let maxSurge: number;
  try {
    maxUnavailable = unavailableCount(ds, desired);
  } catch (err) {
    throw new Error(`invalid value for MaxUnavailable: ${(err as Error).message}`, { cause: err });
  }
  try {
    maxSurge = surgeCount(ds, desired);
  } catch (err) {
    throw new Error(`invalid value for MaxSurge: ${(err as Error).message}`, { cause: err });
  }
  if (desired > 0 && maxUnavailable === 0 && maxSurge === 0) maxUnavailable = 1;
  return { maxSurge, maxUnavailable, desiredNumberScheduled: desired };
}

/** What {@linkcode planRollingUpdate} works from. */
export interface RollingUpdateInput {
  /** The daemon pods by node, every node that wants one included (with `[]` if it has none). */
  readonly nodeToDaemonPods: ReadonlyMap<string, readonly Pod[]>;
  readonly counts: RollingUpdateCounts;
  readonly revision: DaemonPodTemplateOptions;
  readonly minReadySeconds: number;
  readonly nowMs: number;
  /** Whether a new daemon pod should run on the node; `undefined` for a node that is gone. */
  readonly shouldRun: (nodeName: string) => boolean | undefined;
}

/** The pods to delete (by name) and the nodes to create pods on. */
export interface RollingUpdatePlan {
  readonly podsToDelete: string[];
  readonly nodesToCreate: string[];
}

function planWithoutSurge(input: RollingUpdateInput): RollingUpdatePlan {
  const { counts, revision, minReadySeconds, nowMs } = input;
  const available = (pod: Pod) => isPodAvailable(pod, { minReadySeconds, nowMs });
  let numUnavailable = 0;
  const replacements: string[] = [];
  const candidates: string[] = [];
  for (const pods of input.nodeToDaemonPods.values()) {
    const { ok, newPod, oldPod } = findUpdatedPodsOnNode(pods, revision);
    if (!ok) {
      // The main loop prunes the extra pods; meanwhile the node counts as unavailable.
      numUnavailable++;
      continue;
    }
    if ((oldPod === undefined) === (newPod === undefined)) {
      // Nothing there yet, or an old and a new pod: the main loop acts.
      numUnavailable++;
    } else if (newPod) {
      if (!available(newPod)) numUnavailable++;
    } else if (!available(oldPod!)) {
      // An old pod that is down anyway may be replaced at once.
      replacements.push(oldPod!.metadata?.name ?? "");
      numUnavailable++;
    } else if (numUnavailable < counts.maxUnavailable) {
      candidates.push(oldPod!.metadata?.name ?? "");
    }
  }
  const room = Math.min(Math.max(counts.maxUnavailable - numUnavailable, 0), candidates.length);
  return { podsToDelete: [...replacements, ...candidates.slice(0, room)], nodesToCreate: [] };
}

function planWithSurge(input: RollingUpdateInput): RollingUpdatePlan {
  const { counts, revision, minReadySeconds, nowMs } = input;
  const available = (pod: Pod) => isPodAvailable(pod, { minReadySeconds, nowMs });
  const shouldRun = (nodeName: string): boolean => {
    const answer = input.shouldRun(nodeName);
    if (answer === undefined) {
      throw new Error(`couldn't get node for nodeName "${nodeName}": node "${nodeName}" not found`);
    }
    return answer;
  };
  const podsToDelete: string[] = [];
  const shouldNotRun: string[] = [];
  const candidates: string[] = [];
  const allowed: string[] = [];
  let numSurge = 0;
  let numAvailable = 0;
  for (const [nodeName, pods] of input.nodeToDaemonPods) {
    const { ok, newPod, oldPod } = findUpdatedPodsOnNode(pods, revision);
    if (!ok) {
      // The main loop prunes the extra pods; meanwhile the node counts as surging.
      numSurge++;
      continue;
    }
    // Availability counts every node, also those the DaemonSet is leaving.
    const current = oldPod ?? newPod;
    if (current && available(current)) numAvailable++;
    if (oldPod === undefined) continue;
    if (newPod === undefined) {
      if (!available(oldPod)) {
        if (!shouldRun(nodeName)) podsToDelete.push(oldPod.metadata?.name ?? "");
        else allowed.push(nodeName);
        continue;
      }
      if (!shouldRun(nodeName)) {
        shouldNotRun.push(oldPod.metadata?.name ?? "");
        continue;
      }
      if (numSurge < counts.maxSurge) candidates.push(nodeName);
      continue;
    }
    // Surged here already: wait for the new pod, then retire the old one.
    if (!available(newPod)) {
      numSurge++;
      continue;
    }
    podsToDelete.push(oldPod.metadata?.name ?? "");
  }
  // Pods on nodes being left go only while others keep the DaemonSet fully available.
  const deletable = Math.min(numAvailable - counts.desiredNumberScheduled, shouldNotRun.length);
  if (deletable > 0) podsToDelete.push(...shouldNotRun.slice(0, deletable));
  const room = Math.min(Math.max(counts.maxSurge - numSurge, 0), candidates.length);
  return { podsToDelete, nodesToCreate: [...allowed, ...candidates.slice(0, room)] };
}

/** The deletions and creations of one rolling-update step. */
export function planRollingUpdate(input: RollingUpdateInput): RollingUpdatePlan {
  return input.counts.maxSurge === 0 ? planWithoutSurge(input) : planWithSurge(input);
}
