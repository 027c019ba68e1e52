/**
 * The resource allocation scorer shared by NodeResourcesFit's scoring strategies and
 * NodeResourcesBalancedAllocation (upstream `resourceAllocationScorer`): for each configured
 * resource, the node's allocatable amount and what would be requested with the pod on it.
 *
 * @module
 */
import type { Pod } from "../../api/types/core_v1_pod.ts";
import type { NodeInfo } from "../node_info.ts";
import { isScalarResource, NON_ZERO_DEFAULTS, podRequests, resourceValue } from "../resources.ts";
import type { ResourceSpec } from "./_args.ts";

/** Turns per-resource requested and allocatable amounts into a 0–100 score. */
export type ResourceScorer = (
  requested: readonly number[],
  allocatable: readonly number[],
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

/**
 * The node's allocatable amount of `resource` and the amount requested with the pod on it;
 * `[0, 0]` for a scalar resource the pod does not request or a resource the node lacks.
 */
function allocatableAndRequested(
  nodeInfo: NodeInfo,
  query: { readonly resource: string; readonly podRequest: number; readonly useRequested: boolean },
): [number, number] {
  const { resource, podRequest, useRequested } = query;
  const requested = useRequested ? nodeInfo.requested : nodeInfo.nonZeroRequested;
  if (podRequest === 0 && isScalarResource(resource)) return [0, 0];
  switch (resource) {
    case "cpu":
      return [nodeInfo.allocatable.milliCpu, requested.milliCpu + podRequest];
    case "memory":
      return [nodeInfo.allocatable.memoryBytes, requested.memoryBytes + podRequest];
    case "ephemeral-storage":
      return [
        nodeInfo.allocatable.ephemeralStorageBytes,
        nodeInfo.requested.ephemeralStorageBytes + podRequest,
      ];
    default: {
      const alloc = nodeInfo.allocatable.scalarResources.get(resource);
      if (alloc === undefined) return [0, 0];
      return [alloc, (nodeInfo.requested.scalarResources.get(resource) ?? 0) + podRequest];
    }
  }
}

/** The score of `nodeInfo` for a pod requesting `podRequests` (ordered as `resources`). */
export function scoreNode(
  nodeInfo: NodeInfo,
  query: {
    readonly resources: readonly ResourceSpec[];
    readonly podRequests: readonly number[];
    readonly useRequested: boolean;
    readonly scorer: ResourceScorer;
  },
): number {
  const requested = new Array<number>(query.resources.length).fill(0);
  const allocatable = new Array<number>(query.resources.length).fill(0);
  query.resources.forEach((r, i) => {
    const [alloc, req] = allocatableAndRequested(nodeInfo, {
      resource: r.name,
      podRequest: query.podRequests[i] ?? 0,
      useRequested: query.useRequested,
    });
    if (alloc === 0) return;
    allocatable[i] = alloc;
    requested[i] = req;
  });
  return query.scorer(requested, allocatable);
}
