/**
 * An immutable view of the cluster for one scheduling cycle (upstream `cache.Snapshot`): the
 * nodes in the order the scheduler examines them (round-robin across zones), lookup by name,
 * the nodes that have pods with (required anti-)affinity, and how many nodes have each image.
 *
 * The {@linkcode SchedulerCache} builds one per cycle by copying only the node infos that
 * changed since the previous snapshot; node infos are immutable, so an older snapshot stays
 * valid for whoever still holds it.
 *
 * @example A snapshot of two nodes
 * ```ts
 * import assert from "node:assert/strict";
 * import { newSnapshot } from "./snapshot.ts";
 *
 * const snapshot = newSnapshot([{ metadata: { name: "a" } }, { metadata: { name: "b" } }]);
 * assert.equal(snapshot.numNodes, 2);
 * assert.equal(snapshot.get("b")?.name, "b");
 * ```
 *
 * @module
 */
import type { Node } from "../api/types/core_v1_node.ts";
import type { Pod } from "../api/types/core_v1_pod.ts";
import { newPodInfo, NodeInfo } from "./node_info.ts";

/** The parts of a {@linkcode Snapshot}. */
export interface SnapshotInit {
  /** The nodes (each with a Node), in examination order; the snapshot keeps this array. */
  readonly nodes: readonly NodeInfo[];
  /** Node name → index in `nodes`; built from `nodes` when absent. */
  readonly index?: ReadonlyMap<string, number>;
  /** The nodes with pods that have affinity terms; computed from `nodes` when absent. */
  readonly havePodsWithAffinity?: readonly NodeInfo[];
  /** The nodes with pods that have required anti-affinity; computed when absent. */
  readonly havePodsWithRequiredAntiAffinity?: readonly NodeInfo[];
  /** Image name → how many nodes have it; computed from `nodes` when absent. */
  readonly imageNumNodes?: ReadonlyMap<string, number>;
  /** The cache generation the snapshot reflects. */
  readonly generation?: number;
}

/** Node name → index in `nodes`. */
export function indexNodes(nodes: readonly NodeInfo[]): Map<string, number> {
  const index = new Map<string, number>();
  nodes.forEach((n, i) => index.set(n.name, i));
  return index;
}

function countImages(nodes: readonly NodeInfo[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const n of nodes) {
    for (const name of n.images.keys()) counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return counts;
}

/** The cluster as one scheduling cycle sees it; never changes. */
export class Snapshot {
  readonly #nodes: readonly NodeInfo[];
  readonly #index: ReadonlyMap<string, number>;
  readonly #withAffinity: readonly NodeInfo[];
  readonly #withRequiredAntiAffinity: readonly NodeInfo[];
  readonly #imageNumNodes: ReadonlyMap<string, number>;
  /** The cache generation this snapshot reflects. */
  readonly generation: number;

  constructor(init: SnapshotInit) {
    this.#nodes = init.nodes;
    this.#index = init.index ?? indexNodes(this.#nodes);
    this.#withAffinity = init.havePodsWithAffinity ??
      this.#nodes.filter((n) => n.podsWithAffinity.length > 0);
    this.#withRequiredAntiAffinity = init.havePodsWithRequiredAntiAffinity ??
      this.#nodes.filter((n) => n.podsWithRequiredAntiAffinity.length > 0);
    this.#imageNumNodes = init.imageNumNodes ?? countImages(this.#nodes);
    this.generation = init.generation ?? 0;
  }

  /** The number of nodes. */
  get numNodes(): number {
    return this.#nodes.length;
  }

  /** Every node, in the order a cycle examines them (round-robin across zones). */
  list(): readonly NodeInfo[] {
    return this.#nodes;
  }

  /** Node name → index in {@linkcode Snapshot.list}. */
  index(): ReadonlyMap<string, number> {
    return this.#index;
  }

  /** The node called `name`, if the snapshot has it. */
  get(name: string): NodeInfo | undefined {
    const i = this.#index.get(name);
    return i === undefined ? undefined : this.#nodes[i];
  }

  /** The nodes with at least one pod that has pod affinity or anti-affinity terms. */
  havePodsWithAffinityList(): readonly NodeInfo[] {
    return this.#withAffinity;
  }

  /** The nodes with at least one pod that has required pod anti-affinity terms. */
  havePodsWithRequiredAntiAffinityList(): readonly NodeInfo[] {
    return this.#withRequiredAntiAffinity;
  }

  /** How many nodes have an image known by `name` (for ImageLocality's spread). */
  imageNumNodes(name: string): number {
    return this.#imageNumNodes.get(name) ?? 0;
  }

  /** Image name → how many nodes have it. */
  imageCounts(): ReadonlyMap<string, number> {
    return this.#imageNumNodes;
  }
}

/**
 * A snapshot of `nodes`, in the given order, with `pods` placed on the node their
 * `spec.nodeName` names (others are ignored); for tests and one-off evaluations (upstream
 * `NewSnapshot`).
 */
export function newSnapshot(nodes: readonly Node[], pods: readonly Pod[] = []): Snapshot {
  const infos = nodes.map((n) => NodeInfo.empty(n.metadata?.name ?? "", n));
  const index = indexNodes(infos);
  for (const pod of pods) {
    const i = index.get(pod.spec?.nodeName ?? "");
    if (i !== undefined) infos[i] = infos[i]!.withPod(newPodInfo(pod), 0);
  }
  return new Snapshot({ nodes: infos, index });
}
