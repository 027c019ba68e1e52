/**
 * The Node authorizer's graph, kept as reverse indexes so every question is answered in time
 * proportional to the object's references, never by scanning pods: which node each bound pod
 * runs on, and for every Secret, ConfigMap, PersistentVolumeClaim and ServiceAccount the nodes
 * whose pods reference it (with a count, so two pods on one node need two removals). Bound
 * PersistentVolumes add the edges `secret → pv → pvc` (upstream's `graph.go`: the same
 * relationships, without a general graph walk).
 *
 * @module
 */
import type { Pod } from "../types/core_v1_pod.ts";
import type { PersistentVolume } from "../types/core_v1_storage.ts";
import {
  isMirrorPod,
  podClaimNames,
  pvKubeletSecrets,
  visitPodConfigMapNames,
  visitPodSecretNames,
} from "./_pod_references.ts";

/** The kinds of object a node may reach through its pods. */
export type VertexKind = "pod" | "secret" | "configmap" | "pvc" | "pv" | "serviceaccount";

/** What the graph knows of one bound pod. */
interface PodEntry {
  readonly node: string;
  readonly uid: string;
  /** Ephemeral containers are the only references a bound pod may gain. */
  readonly ephemeral: number;
  /** Keys (`kind/namespace/name`) of the objects the pod references, deduplicated. */
  readonly refs: readonly string[];
}

/** What the graph knows of one bound PersistentVolume. */
interface PvEntry {
  /** `namespace/name` of the claim it is bound to. */
  readonly claim: string;
  /** Keys (`secret/namespace/name`) of the secrets the kubelet reads for it. */
  readonly secrets: readonly string[];
}

function key(kind: VertexKind, namespace: string, name: string): string {
  return `${kind}/${namespace}/${name}`;
}

function addTo<K, V>(map: Map<K, Set<V>>, k: K, v: V): void {
  let set = map.get(k);
  if (!set) map.set(k, set = new Set());
  set.add(v);
}

function removeFrom<K, V>(map: Map<K, Set<V>>, k: K, v: V): void {
  const set = map.get(k);
  if (!set) return;
  set.delete(v);
  if (set.size === 0) map.delete(k);
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** The references of a bound pod, deduplicated, in a stable order. */
export function podRefs(pod: Pod): string[] {
  // A node can create mirror pods; they must never grant it access to other objects.
  if (isMirrorPod(pod)) return [];
  const ns = pod.metadata?.namespace ?? "";
  const refs = new Set<string>();
  const sa = pod.spec?.serviceAccountName;
  if (sa) refs.add(key("serviceaccount", ns, sa));
  visitPodSecretNames(pod, (n) => !!refs.add(key("secret", ns, n)));
  visitPodConfigMapNames(pod, (n) => !!refs.add(key("configmap", ns, n)));
  for (const claim of podClaimNames(pod)) refs.add(key("pvc", ns, claim));
  return [...refs];
}

/** The graph of pods, the nodes they are bound to and the objects they use. */
export class NodeGraph {
  /** `namespace/name` of a bound pod → its node and references. */
  readonly #pods = new Map<string, PodEntry>();
  /**
   * Object key → the nodes whose pods reference it: a node name when exactly one pod does
   * (the common case, kept small), else node → how many of its pods do.
   */
  readonly #refNodes = new Map<string, string | Map<string, number>>();
  /** PV name → its claim and secrets. */
  readonly #pvs = new Map<string, PvEntry>();
  /** `namespace/name` of a claim → names of the PVs bound to it. */
  readonly #pvsByClaim = new Map<string, Set<string>>();
  /** Secret key → names of the PVs that use it. */
  readonly #pvsBySecret = new Map<string, Set<string>>();

  /** Adds, moves or refreshes `pod`; a pod without a node leaves the graph. */
  putPod(pod: Pod): void {
    const id = `${pod.metadata?.namespace ?? ""}/${pod.metadata?.name ?? ""}`;
    const node = pod.spec?.nodeName ?? "";
    if (!node) {
      this.deletePod(id);
      return;
    }
    const uid = pod.metadata?.uid ?? "";
    const ephemeral = pod.spec?.ephemeralContainers?.length ?? 0;
    const old = this.#pods.get(id);
    // A bound pod's references are immutable but for added ephemeral containers: a status
    // update of the same pod costs nothing (upstream skips such updates too).
    if (old && old.node === node && old.uid === uid && old.ephemeral === ephemeral) return;
    const refs = podRefs(pod);
    if (old && old.node === node && sameList(old.refs, refs)) {
      this.#pods.set(id, { ...old, uid, ephemeral });
      return;
    }
    if (old) this.#unlinkPod(old);
    const entry: PodEntry = { node, uid, ephemeral, refs };
    this.#pods.set(id, entry);
    for (const r of refs) {
      const nodes = this.#refNodes.get(r);
      if (nodes === undefined) {
        this.#refNodes.set(r, node);
      } else if (typeof nodes === "string") {
        const counts = new Map([[nodes, 1]]);
        counts.set(node, (counts.get(node) ?? 0) + 1);
        this.#refNodes.set(r, counts);
      } else {
        nodes.set(node, (nodes.get(node) ?? 0) + 1);
      }
    }
  }

  /** Removes the pod `namespace/name`. */
  deletePod(id: string): void {
    const old = this.#pods.get(id);
    if (!old) return;
    this.#pods.delete(id);
    this.#unlinkPod(old);
  }

  #unlinkPod(entry: PodEntry): void {
    for (const r of entry.refs) {
      const nodes = this.#refNodes.get(r);
      if (nodes === undefined) continue;
      if (typeof nodes === "string") {
        if (nodes === entry.node) this.#refNodes.delete(r);
        continue;
      }
      const n = (nodes.get(entry.node) ?? 0) - 1;
      if (n > 0) nodes.set(entry.node, n);
      else nodes.delete(entry.node);
      if (nodes.size === 0) this.#refNodes.delete(r);
    }
  }

  /** Adds or refreshes `pv`; a PV without a claim reference leaves the graph. */
  putPv(pv: PersistentVolume): void {
    const name = pv.metadata?.name ?? "";
    this.deletePv(name);
    const ref = pv.spec?.claimRef;
    if (!ref) return;
    const entry: PvEntry = {
      claim: `${ref.namespace ?? ""}/${ref.name ?? ""}`,
      secrets: [...new Set(pvKubeletSecrets(pv).map((s) => key("secret", s.namespace, s.name)))],
    };
    this.#pvs.set(name, entry);
    addTo(this.#pvsByClaim, entry.claim, name);
    for (const s of entry.secrets) addTo(this.#pvsBySecret, s, name);
  }

  /** Removes the PV `name`. */
  deletePv(name: string): void {
    const old = this.#pvs.get(name);
    if (!old) return;
    this.#pvs.delete(name);
    removeFrom(this.#pvsByClaim, old.claim, name);
    for (const s of old.secrets) removeFrom(this.#pvsBySecret, s, name);
  }

  /** The node the pod `namespace/name` is bound to, if the graph has it. */
  podNode(namespace: string, name: string): string | undefined {
    return this.#pods.get(`${namespace}/${name}`)?.node;
  }

  #referencedFrom(objectKey: string, node: string): boolean {
    const nodes = this.#refNodes.get(objectKey);
    if (nodes === undefined) return false;
    return typeof nodes === "string" ? nodes === node : (nodes.get(node) ?? 0) > 0;
  }

  #pvReachable(pvName: string, node: string): boolean {
    const pv = this.#pvs.get(pvName);
    return !!pv && this.#referencedFrom(`pvc/${pv.claim}`, node);
  }

  /** Whether `node` reaches the object through its pods (upstream's `hasPathFrom`). */
  hasPath(node: string, target: { kind: VertexKind; namespace: string; name: string }): boolean {
    const { kind, namespace, name } = target;
    switch (kind) {
      case "pod":
        return this.podNode(namespace, name) === node;
      case "pv":
        return this.#pvReachable(name, node);
      case "secret": {
        const k = key("secret", namespace, name);
        if (this.#referencedFrom(k, node)) return true;
        for (const pv of this.#pvsBySecret.get(k) ?? []) {
          if (this.#pvReachable(pv, node)) return true;
        }
        return false;
      }
      default:
        return this.#referencedFrom(key(kind, namespace, name), node);
    }
  }

  /** How many pods and PVs the graph holds (for tests and metrics). */
  get size(): { pods: number; pvs: number; objects: number } {
    return { pods: this.#pods.size, pvs: this.#pvs.size, objects: this.#refNodes.size };
  }
}
