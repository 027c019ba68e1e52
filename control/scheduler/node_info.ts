/**
 * What the scheduler knows about one node (upstream `framework.NodeInfo`): the Node, the pods
 * on it (bound or assumed) with their requests parsed once, the resources they request (as
 * requested, and "non-zero" for scoring, where a container without a CPU or memory request
 * counts as 100m / 200Mi), the node's allocatable resources, the host ports in use, its images
 * and a generation that grows with every change.
 *
 * A `NodeInfo` is immutable: `withPod`, `withoutPod` and `withNode` return a new one, so a
 * scheduling cycle (and a preemption dry run) can hold one while the cache moves on.
 *
 * @example A node with one pod
 * ```ts
 * import assert from "node:assert/strict";
 * import { newNodeInfo, newPodInfo } from "./node_info.ts";
 *
 * const node = { metadata: { name: "edge-1" }, status: { allocatable: { cpu: "4", pods: "110" } } };
 * const pod = {
 *   metadata: { name: "web", namespace: "default", uid: "u1" },
 *   spec: { nodeName: "edge-1", containers: [{ name: "c", resources: { requests: { cpu: "1" } } }] },
 * };
 * const info = newNodeInfo(node, [pod]);
 * assert.equal(info.requested.milliCpu, 1000);
 * assert.equal(info.nonZeroRequested.memoryBytes, 200 * 1024 * 1024);
 * assert.equal(info.allocatable.milliCpu, 4000);
 * assert.equal(info.withoutPod(newPodInfo(pod).key)?.pods.length, 0);
 * ```
 *
 * @module
 */
import type { Node } from "../api/types/core_v1_node.ts";
import type { Pod } from "../api/types/core_v1_pod.ts";
import { parsePodAffinityTerms, type PodAffinityTerms } from "./_affinity_terms.ts";
import { type HostPort, HostPortInfo, podHostPorts } from "./host_ports.ts";
import {
  addResources,
  EMPTY_RESOURCES,
  NON_ZERO_DEFAULTS,
  podRequests,
  type Resources,
  resourceValue,
  subtractResources,
  toResources,
} from "./resources.ts";

/** A pod as the scheduler keeps it (upstream `framework.PodInfo`), parsed once. */
export interface PodInfo {
  /** The pod. */
  readonly pod: Pod;
  /** Its identity in the cache: the UID, or `namespace/name` for a pod without one. */
  readonly key: string;
  /** Its effective requests, counting what an in-place resize allocated. */
  readonly requests: Resources;
  /** Its CPU request for scoring, a container without one counting as 100m. */
  readonly nonZeroMilliCpu: number;
  /** Its memory request for scoring, a container without one counting as 200Mi. */
  readonly nonZeroMemoryBytes: number;
  /** The host ports it uses. */
  readonly hostPorts: readonly HostPort[];
  /** Whether it has pod affinity or anti-affinity terms (required or preferred). */
  readonly hasAffinity: boolean;
  /** Whether it has required pod anti-affinity terms. */
  readonly hasRequiredAntiAffinity: boolean;
  /** Its pod (anti-)affinity terms, parsed once (shared empty terms when it has none). */
  readonly affinityTerms: PodAffinityTerms;
}

export type { AffinityTerm, PodAffinityTerms, WeightedAffinityTerm } from "./_affinity_terms.ts";

/** The cache key of `pod`: its UID, or `namespace/name`. */
export function podKey(pod: Pod): string {
  const meta = pod.metadata;
  return meta?.uid || `${meta?.namespace ?? ""}/${meta?.name ?? ""}`;
}

/** `pod` parsed for the cache (upstream `NewPodInfo` plus `calculateResource`). */
export function newPodInfo(pod: Pod): PodInfo {
  const requests = toResources(podRequests(pod, { useStatusResources: true }));
  const nonZero = podRequests(pod, {
    useStatusResources: true,
    nonMissingContainerRequests: NON_ZERO_DEFAULTS,
  });
  const affinity = pod.spec?.affinity;
  const anti = affinity?.podAntiAffinity;
  return {
    pod,
    key: podKey(pod),
    requests,
    nonZeroMilliCpu: resourceValue("cpu", nonZero.get("cpu")),
    nonZeroMemoryBytes: resourceValue("memory", nonZero.get("memory")),
    hostPorts: podHostPorts(pod),
    hasAffinity: affinity?.podAffinity !== undefined || anti !== undefined,
    hasRequiredAntiAffinity:
      (anti?.requiredDuringSchedulingIgnoredDuringExecution?.length ?? 0) > 0,
    affinityTerms: parsePodAffinityTerms(pod),
  };
}

function nonZeroOf(p: PodInfo): Resources {
  return { ...EMPTY_RESOURCES, milliCpu: p.nonZeroMilliCpu, memoryBytes: p.nonZeroMemoryBytes };
}

function imagesOf(node: Node | null): ReadonlyMap<string, number> {
  const images = new Map<string, number>();
  for (const image of node?.status?.images ?? []) {
    for (const name of image.names ?? []) images.set(name, image.sizeBytes ?? 0);
  }
  return images;
}

/** The parts of a {@linkcode NodeInfo}; build one with {@linkcode newNodeInfo} or the cache. */
export interface NodeInfoInit {
  readonly name: string;
  readonly node: Node | null;
  readonly pods: readonly PodInfo[];
  readonly podsWithAffinity: readonly PodInfo[];
  readonly podsWithRequiredAntiAffinity: readonly PodInfo[];
  readonly requested: Resources;
  readonly nonZeroRequested: Resources;
  readonly allocatable: Resources;
  readonly usedPorts: HostPortInfo;
  readonly images: ReadonlyMap<string, number>;
  readonly generation: number;
}

/** One node and the pods on it, immutable (upstream `framework.NodeInfo`). */
export class NodeInfo implements NodeInfoInit {
  /** The node's name (also set while only pods are known, before the Node arrives). */
  readonly name: string;
  /** The Node; `null` while pods bound to it are known but the Node is not (or was deleted). */
  readonly node: Node | null;
  /** The pods on the node, bound or assumed. */
  readonly pods: readonly PodInfo[];
  /** The pods with pod affinity or anti-affinity terms. */
  readonly podsWithAffinity: readonly PodInfo[];
  /** The pods with required pod anti-affinity terms. */
  readonly podsWithRequiredAntiAffinity: readonly PodInfo[];
  /** The sum of the pods' requests. */
  readonly requested: Resources;
  /** The sum of the pods' non-zero CPU and memory requests (only those two are set). */
  readonly nonZeroRequested: Resources;
  /** The node's allocatable resources (`status.allocatable`). */
  readonly allocatable: Resources;
  /** The host ports the pods use. */
  readonly usedPorts: HostPortInfo;
  /** The node's images: every name an image is known by → its size in bytes. */
  readonly images: ReadonlyMap<string, number>;
  /** Grows with every change (a cache-wide counter), so snapshots copy only what changed. */
  readonly generation: number;

  constructor(init: NodeInfoInit) {
    this.name = init.name;
    this.node = init.node;
    this.pods = init.pods;
    this.podsWithAffinity = init.podsWithAffinity;
    this.podsWithRequiredAntiAffinity = init.podsWithRequiredAntiAffinity;
    this.requested = init.requested;
    this.nonZeroRequested = init.nonZeroRequested;
    this.allocatable = init.allocatable;
    this.usedPorts = init.usedPorts;
    this.images = init.images;
    this.generation = init.generation;
  }

  /** A node with no pods yet; `node` may be `null` when only the name is known. */
  static empty(name: string, node: Node | null): NodeInfo {
    return new NodeInfo({
      name,
      node,
      pods: [],
      podsWithAffinity: [],
      podsWithRequiredAntiAffinity: [],
      requested: EMPTY_RESOURCES,
      nonZeroRequested: EMPTY_RESOURCES,
      allocatable: node === null ? EMPTY_RESOURCES : toResources(node.status?.allocatable),
      usedPorts: HostPortInfo.EMPTY,
      images: imagesOf(node),
      generation: 0,
    });
  }

  /** This node info with `podInfo` added (upstream `AddPodInfo`). */
  withPod(podInfo: PodInfo, generation = this.generation + 1): NodeInfo {
    return new NodeInfo({
      ...this,
      pods: [...this.pods, podInfo],
      podsWithAffinity: podInfo.hasAffinity
        ? [...this.podsWithAffinity, podInfo]
        : this.podsWithAffinity,
      podsWithRequiredAntiAffinity: podInfo.hasRequiredAntiAffinity
        ? [...this.podsWithRequiredAntiAffinity, podInfo]
        : this.podsWithRequiredAntiAffinity,
      requested: addResources(this.requested, podInfo.requests),
      nonZeroRequested: addResources(this.nonZeroRequested, nonZeroOf(podInfo)),
      usedPorts: this.usedPorts.withPorts(podInfo.hostPorts),
      generation,
    });
  }

  /** This node info without the pod with cache key `key`, or `null` if it has no such pod. */
  withoutPod(key: string, generation = this.generation + 1): NodeInfo | null {
    const podInfo = this.pods.find((p) => p.key === key);
    if (podInfo === undefined) return null;
    return new NodeInfo({
      ...this,
      pods: this.pods.filter((p) => p !== podInfo),
      podsWithAffinity: podInfo.hasAffinity
        ? this.podsWithAffinity.filter((p) => p !== podInfo)
        : this.podsWithAffinity,
      podsWithRequiredAntiAffinity: podInfo.hasRequiredAntiAffinity
        ? this.podsWithRequiredAntiAffinity.filter((p) => p !== podInfo)
        : this.podsWithRequiredAntiAffinity,
      requested: subtractResources(this.requested, podInfo.requests),
      nonZeroRequested: subtractResources(this.nonZeroRequested, nonZeroOf(podInfo)),
      usedPorts: this.usedPorts.withoutPorts(podInfo.hostPorts),
      generation,
    });
  }

  /** This node info for `node` (its allocatable resources and images), or without a Node. */
  withNode(node: Node | null, generation = this.generation + 1): NodeInfo {
    return new NodeInfo({
      ...this,
      node,
      allocatable: node === null ? EMPTY_RESOURCES : toResources(node.status?.allocatable),
      images: imagesOf(node),
      generation,
    });
  }
}

/** A node info for `node` with `pods` on it (pods are not checked against the node name). */
export function newNodeInfo(node: Node, pods: readonly Pod[] = []): NodeInfo {
  let info = NodeInfo.empty(node.metadata?.name ?? "", node);
  for (const pod of pods) info = info.withPod(newPodInfo(pod), 0);
  return info;
}
