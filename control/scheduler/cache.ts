/**
 * The scheduler's in-memory model of the cluster (upstream `internal/cache`): node infos kept
 * current from Node and Pod events, plus pods the scheduler has assumed onto a node before their
 * binding is observed, so a scheduling cycle never reads storage and never double-books a node.
 *
 * {@linkcode SchedulerCache.snapshot} builds the per-cycle {@linkcode Snapshot} incrementally,
 * as upstream's `UpdateSnapshot`: every change gives the node info a new generation and moves it
 * to the front of a recency list, and a snapshot walks that list only until it reaches node
 * infos older than the previous snapshot. The node order is rebuilt only when nodes come, go or
 * change zone.
 *
 * @example Assume a pod, then observe its binding
 * ```ts
 * import assert from "node:assert/strict";
 * import { SchedulerCache } from "./cache.ts";
 *
 * const cache = new SchedulerCache();
 * cache.addNode({ metadata: { name: "edge-1" }, status: { allocatable: { cpu: "2", pods: "10" } } });
 * const pod = {
 *   metadata: { name: "web", namespace: "default", uid: "u1" },
 *   spec: { containers: [{ name: "c", resources: { requests: { cpu: "500m" } } }] },
 * };
 * cache.assumePod(pod, "edge-1");
 * assert.equal(cache.snapshot().get("edge-1")?.requested.milliCpu, 500);
 * cache.addPod({ ...pod, spec: { ...pod.spec, nodeName: "edge-1" } });
 * assert.ok(!cache.isAssumedPod(pod));
 * ```
 *
 * @module
 */
import type { Node } from "../api/types/core_v1_node.ts";
import type { Pod } from "../api/types/core_v1_pod.ts";
import { NodeTree } from "./_node_tree.ts";
import { newPodInfo, NodeInfo, type PodInfo, podKey } from "./node_info.ts";
import { indexNodes, Snapshot } from "./snapshot.ts";

interface NodeItem {
  info: NodeInfo;
  prev: NodeItem | null;
  next: NodeItem | null;
}

interface PodState {
  readonly pod: Pod;
  readonly podInfo: PodInfo;
  readonly nodeName: string;
  readonly assumed: boolean;
}

interface ImageState {
  readonly sizeBytes: number;
  readonly nodes: Set<string>;
}

function nameOf(obj: Node | Pod): string {
  const meta = obj.metadata;
  return meta?.namespace ? `${meta.namespace}/${meta.name ?? ""}` : meta?.name ?? "";
}

/** Whether two versions of a node list the same images (status updates mostly do). */
function sameImages(a: Node, b: Node): boolean {
  const x = a.status?.images ?? [];
  const y = b.status?.images ?? [];
  if (x === y) return true;
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) {
    const p = x[i]!;
    const q = y[i]!;
    if (p.sizeBytes !== q.sizeBytes) return false;
    const pn = p.names ?? [];
    const qn = q.names ?? [];
    if (pn.length !== qn.length || pn.some((n, j) => n !== qn[j])) return false;
  }
  return true;
}

/** Nodes and pods as the scheduler sees them, with assumed pods; see the module docs. */
export class SchedulerCache {
  readonly #nodes = new Map<string, NodeItem>();
  readonly #pods = new Map<string, PodState>();
  readonly #tree = new NodeTree();
  readonly #images = new Map<string, ImageState>();
  #head: NodeItem | null = null;
  #generation = 0;
  #nodeSetChanged = true;
  #imagesChanged = true;
  #last: Snapshot = new Snapshot({ nodes: [] });

  /** The number of Nodes known (not counting node infos that only hold pods). */
  get nodeCount(): number {
    return this.#tree.size;
  }

  /** The number of pods known, assumed ones included. */
  get podCount(): number {
    return this.#pods.size;
  }

  #nextGeneration(): number {
    return ++this.#generation;
  }

  #unlink(item: NodeItem): void {
    if (item.prev !== null) item.prev.next = item.next;
    if (item.next !== null) item.next.prev = item.prev;
    if (this.#head === item) this.#head = item.next;
    item.prev = null;
    item.next = null;
  }

  /** Stores `info` for its node and moves the node to the front of the recency list. */
  #put(info: NodeInfo): void {
    let item = this.#nodes.get(info.name);
    if (item === undefined) {
      item = { info, prev: null, next: null };
      this.#nodes.set(info.name, item);
    } else {
      item.info = info;
      this.#unlink(item);
    }
    item.next = this.#head;
    if (this.#head !== null) this.#head.prev = item;
    this.#head = item;
  }

  #drop(name: string): void {
    const item = this.#nodes.get(name);
    if (item === undefined) return;
    this.#unlink(item);
    this.#nodes.delete(name);
  }

  #addImages(node: Node): void {
    const name = node.metadata?.name ?? "";
    for (const image of node.status?.images ?? []) {
      for (const imageName of image.names ?? []) {
        let state = this.#images.get(imageName);
        if (state === undefined) {
          state = { sizeBytes: image.sizeBytes ?? 0, nodes: new Set() };
          this.#images.set(imageName, state);
        }
        state.nodes.add(name);
        this.#imagesChanged = true;
      }
    }
  }

  #removeImages(node: Node): void {
    const name = node.metadata?.name ?? "";
    for (const image of node.status?.images ?? []) {
      for (const imageName of image.names ?? []) {
        const state = this.#images.get(imageName);
        if (state === undefined) continue;
        state.nodes.delete(name);
        if (state.nodes.size === 0) this.#images.delete(imageName);
        this.#imagesChanged = true;
      }
    }
  }

  /** Adds or replaces `node` (upstream `AddNode`). */
  addNode(node: Node): void {
    const name = node.metadata?.name ?? "";
    const item = this.#nodes.get(name);
    const old = item?.info.node ?? null;
    if (old === null || !sameImages(old, node)) {
      if (old !== null) this.#removeImages(old);
      this.#addImages(node);
    }
    const base = item?.info ?? NodeInfo.empty(name, null);
    this.#put(base.withNode(node, this.#nextGeneration()));
    if (this.#tree.add(node)) this.#nodeSetChanged = true;
  }

  /** Replaces the stored Node with `node`, adding it if unknown (upstream `UpdateNode`). */
  updateNode(node: Node): void {
    this.addNode(node);
  }

  /**
   * Removes the node (upstream `RemoveNode`). Its pods stay counted until they are removed
   * too, as the pod deletions follow.
   *
   * @throws {Error} when the node is not in the cache.
   */
  removeNode(node: Node | string): void {
    const name = typeof node === "string" ? node : node.metadata?.name ?? "";
    const item = this.#nodes.get(name);
    if (item === undefined || item.info.node === null) {
      throw new Error(`Cannot remove node "${name}": it is not in the scheduler cache`);
    }
    this.#removeImages(item.info.node);
    if (item.info.pods.length === 0) this.#drop(name);
    else this.#put(item.info.withNode(null, this.#nextGeneration()));
    if (this.#tree.remove(name)) this.#nodeSetChanged = true;
  }

  #addPodToNode(pod: Pod, assumed: boolean): void {
    const nodeName = pod.spec?.nodeName ?? "";
    const podInfo = newPodInfo(pod);
    const info = this.#nodes.get(nodeName)?.info ?? NodeInfo.empty(nodeName, null);
    this.#put(info.withPod(podInfo, this.#nextGeneration()));
    this.#pods.set(podInfo.key, { pod, podInfo, nodeName, assumed });
  }

  #removePodFromNode(state: PodState): void {
    const item = this.#nodes.get(state.nodeName);
    this.#pods.delete(state.podInfo.key);
    if (item === undefined) return;
    const info = item.info.withoutPod(state.podInfo.key, this.#nextGeneration());
    if (info === null) return;
    if (info.node === null && info.pods.length === 0) this.#drop(state.nodeName);
    else this.#put(info);
  }

  /**
   * Counts `pod` on `nodeName` before its binding is observed (upstream `AssumePod`, after the
   * scheduler's `assume` set `spec.nodeName`). Returns the assumed pod.
   *
   * @throws {Error} when the pod is already in the cache.
   */
  assumePod(pod: Pod, nodeName: string): Pod {
    const key = podKey(pod);
    if (this.#pods.has(key)) {
      throw new Error(`Cannot assume pod "${nameOf(pod)}": it is already in the scheduler cache`);
    }
    const assumed: Pod = { ...pod, spec: { containers: [], ...pod.spec, nodeName } };
    this.#addPodToNode(assumed, true);
    return assumed;
  }

  /**
   * Drops an assumed pod whose binding failed (upstream `ForgetPod`).
   *
   * @throws {Error} when the pod is not assumed, or was assumed on another node than
   *   `pod.spec.nodeName` says.
   */
  forgetPod(pod: Pod): void {
    const state = this.#pods.get(podKey(pod));
    if (state === undefined || !state.assumed) {
      throw new Error(`Cannot forget pod "${nameOf(pod)}": it was not assumed`);
    }
    const nodeName = pod.spec?.nodeName;
    if (nodeName && nodeName !== state.nodeName) {
      throw new Error(
        `Cannot forget pod "${
          nameOf(pod)
        }": it was assumed on node "${state.nodeName}", not "${nodeName}"`,
      );
    }
    this.#removePodFromNode(state);
  }

  /** Whether `pod` is assumed and its binding not yet observed. */
  isAssumedPod(pod: Pod): boolean {
    return this.#pods.get(podKey(pod))?.assumed ?? false;
  }

  /** The pod the cache holds under `pod`'s key (the assumed copy, for an assumed pod). */
  getPod(pod: Pod): Pod | undefined {
    return this.#pods.get(podKey(pod))?.pod;
  }

  /**
   * Adds a pod observed bound to a node (upstream `AddPod`). An assumed pod becomes a bound one,
   * moved if it was bound elsewhere than assumed.
   *
   * @throws {Error} when the pod was already added.
   */
  addPod(pod: Pod): void {
    const state = this.#pods.get(podKey(pod));
    if (state !== undefined && !state.assumed) {
      throw new Error(`Cannot add pod "${nameOf(pod)}": it is already in the scheduler cache`);
    }
    if (state !== undefined) this.#removePodFromNode(state);
    this.#addPodToNode(pod, false);
  }

  /**
   * Replaces a bound pod (upstream `UpdatePod`).
   *
   * @throws {Error} when the pod is not in the cache, is only assumed, or moved to another node.
   */
  updatePod(oldPod: Pod, newPod: Pod): void {
    const state = this.#pods.get(podKey(oldPod));
    if (state === undefined || state.assumed) {
      throw new Error(
        `Cannot update pod "${nameOf(newPod)}": it was not added to the scheduler cache`,
      );
    }
    const nodeName = newPod.spec?.nodeName ?? "";
    if (nodeName !== state.nodeName) {
      throw new Error(
        `Cannot update pod "${
          nameOf(newPod)
        }": it moved from node "${state.nodeName}" to "${nodeName}"`,
      );
    }
    this.#removePodFromNode(state);
    this.#addPodToNode(newPod, false);
  }

  /**
   * Removes a pod, bound or assumed (upstream `RemovePod`).
   *
   * @throws {Error} when the pod is not in the cache.
   */
  removePod(pod: Pod): void {
    const state = this.#pods.get(podKey(pod));
    if (state === undefined) {
      throw new Error(`Cannot remove pod "${nameOf(pod)}": it is not in the scheduler cache`);
    }
    this.#removePodFromNode(state);
  }

  /**
   * The cluster as of now, for one scheduling cycle. Copies only the node infos changed since
   * the previous call (the node order is recomputed only when the set of nodes or their zones
   * changed); returns the previous snapshot when nothing changed.
   */
  snapshot(): Snapshot {
    const last = this.#last;
    if (last.generation === this.#generation && !this.#nodeSetChanged) return last;
    const changed: NodeInfo[] = [];
    for (let item = this.#head; item !== null; item = item.next) {
      if (item.info.generation <= last.generation) break;
      changed.push(item.info);
    }
    let nodes: NodeInfo[];
    let index: ReadonlyMap<string, number>;
    let affinityChanged = this.#nodeSetChanged;
    if (this.#nodeSetChanged) {
      nodes = this.#tree.list().map((name) => this.#nodes.get(name)!.info);
      index = indexNodes(nodes);
    } else {
      nodes = last.list().slice();
      index = last.index();
      for (const info of changed) {
        const i = index.get(info.name);
        if (i === undefined) continue;
        const before = nodes[i]!;
        if (before.podsWithAffinity.length > 0 || info.podsWithAffinity.length > 0) {
          affinityChanged = true;
        }
        nodes[i] = info;
      }
    }
    let imageNumNodes = last.imageCounts();
    if (this.#imagesChanged) {
      const counts = new Map<string, number>();
      for (const [name, state] of this.#images) counts.set(name, state.nodes.size);
      imageNumNodes = counts;
    }
    const snapshot = new Snapshot({
      nodes,
      index,
      imageNumNodes,
      generation: this.#generation,
      ...affinityChanged ? {} : {
        havePodsWithAffinity: last.havePodsWithAffinityList(),
        havePodsWithRequiredAntiAffinity: last.havePodsWithRequiredAntiAffinityList(),
      },
    });
    this.#nodeSetChanged = false;
    this.#imagesChanged = false;
    this.#last = snapshot;
    return snapshot;
  }
}
