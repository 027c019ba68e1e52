/**
 * The resource allocation scorer shared by NodeResourcesFit's scoring strategies and
 * NodeResourcesBalancedAllocation (upstream `resourceAllocationScorer`): for each configured
 * resource, the node's allocatable amount and what would be requested with the pod on it.
 *
 * Score runs once per feasible node per plugin, so {@linkcode ResourceAllocationScorer} works
 * out each resource's kind once and fills two buffers it reuses, allocating nothing per node.
 *
 * @module
 */
import type { Pod } from "../../api/types/core_v1_pod.ts";
import type { NodeInfo } from "../node_info.ts";
import { isScalarResource, NON_ZERO_DEFAULTS, podRequests, resourceValue } from "../resources.ts";
import type { ResourceSpec } from "./_args.ts";

/**
 * Turns per-resource requested and allocatable amounts (ordered as the configured resources;
 * 0 and 0 for a resource not counted) into a 0–100 score.
 */
export type ResourceScorer = (
  requested: ArrayLike<number>,
  allocatable: ArrayLike<number>,
) => number;

/**
 * The pod's request of each resource for scoring: with `useRequested` false, a container without
 * a CPU or memory request counts as 100m / 200Mi (upstream `calculatePodResourceRequest`).
 */
export function podRequestList(
  pod: Pod,
  options: { readonly resources: readonly ResourceSpec[]; readonly useRequested: boolean },
): number[] {
  const requests = podRequests(
    pod,
    options.useRequested ? {} : { nonMissingContainerRequests: NON_ZERO_DEFAULTS },
  );
  return options.resources.map((r) => resourceValue(r.name, requests.get(r.name)));
}

const CPU = 0;
const MEMORY = 1;
const EPHEMERAL_STORAGE = 2;
const SCALAR = 3;

function kindOf(resource: string): number {
  switch (resource) {
    case "cpu":
      return CPU;
    case "memory":
      return MEMORY;
    case "ephemeral-storage":
      return EPHEMERAL_STORAGE;
    default:
      return SCALAR;
  }
}

/** How {@linkcode ResourceAllocationScorer} scores. */
export interface ResourceAllocationOptions {
  /** Count the pods' requests as requested (`true`) or their non-zero requests (`false`). */
  readonly useRequested: boolean;
  /** The strategy's scorer. */
  readonly scorer: ResourceScorer;
}

/** Scores nodes for one plugin's configured resources (upstream `resourceAllocationScorer.score`). */
export class ResourceAllocationScorer {
  readonly #names: readonly string[];
  readonly #kinds: Uint8Array;
  /** Whether a resource is scalar, so skipped when the pod does not request it. */
  readonly #scalar: Uint8Array;
  readonly #useRequested: boolean;
  readonly #scorer: ResourceScorer;
  readonly #requested: Float64Array;
  readonly #allocatable: Float64Array;

  constructor(resources: readonly ResourceSpec[], options: ResourceAllocationOptions) {
    this.#names = resources.map((r) => r.name);
    this.#kinds = Uint8Array.from(this.#names, kindOf);
    this.#scalar = Uint8Array.from(this.#names, (n) => isScalarResource(n) ? 1 : 0);
    this.#useRequested = options.useRequested;
    this.#scorer = options.scorer;
    this.#requested = new Float64Array(resources.length);
    this.#allocatable = new Float64Array(resources.length);
  }

  /**
   * The score of `nodeInfo` for a pod requesting `podRequests` (ordered as the resources): for
   * each resource the node's allocatable amount and what would be requested with the pod on
   * it, both 0 for a scalar resource the pod does not request or a resource the node lacks.
   */
  score(nodeInfo: NodeInfo, podRequests: readonly number[]): number {
    const requestedBuf = this.#requested;
    const allocatableBuf = this.#allocatable;
    const alloc = nodeInfo.allocatable;
    const requested = this.#useRequested ? nodeInfo.requested : nodeInfo.nonZeroRequested;
    for (let i = 0; i < requestedBuf.length; i++) {
      const podRequest = podRequests[i] ?? 0;
      let a = 0;
      let r = 0;
      if (podRequest !== 0 || this.#scalar[i] === 0) {
        switch (this.#kinds[i]) {
          case CPU:
            a = alloc.milliCpu;
            r = requested.milliCpu + podRequest;
            break;
          case MEMORY:
            a = alloc.memoryBytes;
            r = requested.memoryBytes + podRequest;
            break;
          case EPHEMERAL_STORAGE:
            a = alloc.ephemeralStorageBytes;
            r = nodeInfo.requested.ephemeralStorageBytes + podRequest;
            break;
          default: {
            const name = this.#names[i]!;
            const scalar = alloc.scalarResources.get(name);
            if (scalar !== undefined) {
              a = scalar;
              r = (nodeInfo.requested.scalarResources.get(name) ?? 0) + podRequest;
            }
          }
        }
      }
      if (a === 0) r = 0;
      allocatableBuf[i] = a;
      requestedBuf[i] = r;
    }
    return this.#scorer(requestedBuf, allocatableBuf);
  }
}
