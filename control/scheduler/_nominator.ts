/**
 * The scheduling queue's record of nominated pods (upstream `nominator`): which pending pods are
 * nominated to which node, from `status.nominatedNodeName` or set in memory by preemption before
 * the API is told, so later cycles leave room for them.
 *
 * @module
 */
import type { Pod } from "../api/types/core_v1_pod.ts";

/** The answer for a node without nominated pods (asked for every node Filter examines). */
const NO_PODS: readonly Pod[] = Object.freeze([]);

/** The UID of `pod`, or `namespace/name` for a pod without one. */
export function podUid(pod: Pod): string {
  const meta = pod.metadata;
  return meta?.uid || `${meta?.namespace ?? ""}/${meta?.name ?? ""}`;
}

/** Nominated pods by node, each pod on at most one node. */
export class Nominator {
  /** node name → (pod uid → pod), in nomination order. */
  #byNode = new Map<string, Map<string, Pod>>();
  /** pod uid → node name. */
  #nodeOf = new Map<string, string>();

  /**
   * Nominates `pod` to `nodeName` when given (an in-memory override; `""` clears), else to its
   * `status.nominatedNodeName`. A pod already bound (`spec.nodeName`) is not nominated.
   */
  add(pod: Pod, nodeName?: string): void {
    this.delete(pod);
    const node = nodeName ?? pod.status?.nominatedNodeName ?? "";
    if (node === "" || (pod.spec?.nodeName ?? "") !== "") return;
    const uid = podUid(pod);
    this.#nodeOf.set(uid, node);
    let pods = this.#byNode.get(node);
    if (pods === undefined) {
      pods = new Map();
      this.#byNode.set(node, pods);
    }
    pods.set(uid, pod);
  }

  /**
   * Replaces `oldPod` with `newPod`. When neither carries a nominated node but the pod is
   * nominated in memory (preemption ran and the API update has not arrived yet), the nomination
   * is kept.
   */
  update(oldPod: Pod | undefined, newPod: Pod): void {
    const old = oldPod ?? newPod;
    let keep: string | undefined;
    if (!old.status?.nominatedNodeName && !newPod.status?.nominatedNodeName) {
      keep = this.#nodeOf.get(podUid(old));
    }
    this.delete(old);
    this.add(newPod, keep);
  }

  /** Removes the nomination of `pod`, if any. */
  delete(pod: Pod): void {
    const uid = podUid(pod);
    const node = this.#nodeOf.get(uid);
    if (node === undefined) return;
    this.#nodeOf.delete(uid);
    const pods = this.#byNode.get(node);
    pods?.delete(uid);
    if (pods?.size === 0) this.#byNode.delete(node);
  }

  /** The node `pod` is nominated to, if any. */
  nodeOf(pod: Pod): string | undefined {
    return this.#nodeOf.get(podUid(pod));
  }

  /** The pods nominated to `nodeName`, in nomination order. */
  podsFor(nodeName: string): readonly Pod[] {
    const pods = this.#byNode.get(nodeName);
    return pods === undefined ? NO_PODS : [...pods.values()];
  }

  clear(): void {
    this.#byNode.clear();
    this.#nodeOf.clear();
  }
}
