/**
 * NodeResourcesFit: the node must have room for the pod's requests — `Insufficient cpu`,
 * `Insufficient memory`, `Insufficient ephemeral-storage`, `Insufficient <extended resource>`,
 * `Too many pods` — and scores nodes by a strategy: `LeastAllocated` (the default: most free
 * room wins) or `MostAllocated` (bin packing), over weighted resources (cpu and memory, weight 1
 * each, by default).
 *
 * A request larger than the node's whole allocatable amount is
 * `UnschedulableAndUnresolvable` (preemption cannot help); otherwise `Unschedulable`.
 *
 * @module
 */
import { z } from "zod";
import type { Pod } from "../../api/types/core_v1_pod.ts";
import { stateKey } from "../cycle_state.ts";
import {
  type FilterPlugin,
  type FrameworkHandle,
  MAX_NODE_SCORE,
  type PreFilterPlugin,
  type PreScorePlugin,
  type ScorePlugin,
} from "../framework.ts";
import type { NodeInfo } from "../node_info.ts";
import { isExtendedResource, podRequests, type Resources, toResources } from "../resources.ts";
import { errorStatus, newStatus } from "../status.ts";
import {
  DEFAULT_RESOURCE_SPECS,
  parseArgs,
  type ResourceSpec,
  ResourceSpecSchema,
} from "./_args.ts";
import {
  podRequestList,
  ResourceAllocationScorer,
  type ResourceScorer,
} from "./_resource_allocation.ts";

/** The plugin's name. */
export const NAME = "NodeResourcesFit";

/** The scoring strategies upstream offers; skiff implements the first two. */
export const SCORING_STRATEGIES = ["LeastAllocated", "MostAllocated"] as const;

/** `NodeResourcesFitArgs`. */
export const ArgsSchema = z.object({
  ignoredResources: z.array(z.string()).optional(),
  ignoredResourceGroups: z.array(
    z.string().refine((g) => !g.includes("/"), {
      message: "must not contain '/'",
    }),
  ).optional(),
  scoringStrategy: z.object({
    type: z.enum(SCORING_STRATEGIES).default("LeastAllocated"),
    resources: z.array(ResourceSpecSchema).min(1).optional(),
  }).strict().optional(),
}).strict().optional();

/** The plugin's args. */
export type NodeResourcesFitArgs = z.infer<typeof ArgsSchema>;

/** A resource the node lacks for the pod (upstream `InsufficientResource`). */
export interface InsufficientResource {
  readonly resourceName: string;
  /** The reason users read: `Insufficient cpu`, `Too many pods`… */
  readonly reason: string;
  readonly requested: number;
  readonly used: number;
  readonly capacity: number;
  /** Whether the request exceeds the node's whole allocatable amount (preemption cannot help). */
  readonly unresolvable: boolean;
}

/** Which requests {@linkcode fitsRequest} leaves unchecked. */
export interface IgnoredResources {
  /** Extended resources ignored by name. */
  readonly names?: ReadonlySet<string>;
  /** Extended resources ignored by the group before `/` (`example.com`). */
  readonly groups?: ReadonlySet<string>;
}

/** The pod's requests as Filter checks them (upstream `computePodResourceRequest`). */
export function computePodResourceRequest(pod: Pod): Resources {
  return toResources(podRequests(pod));
}

function insufficient(
  resourceName: string,
  amounts: { requested: number; used: number; capacity: number },
): InsufficientResource {
  return {
    resourceName,
    reason: `Insufficient ${resourceName}`,
    ...amounts,
    unresolvable: amounts.requested > amounts.capacity,
  };
}

/**
 * What the node lacks for a pod requesting `request` (upstream `fitsRequest`); empty when it
 * fits. Pod count first, then cpu, memory, ephemeral storage and scalar resources by name.
 */
export function fitsRequest(
  request: Resources,
  options: { readonly nodeInfo: NodeInfo; readonly ignored?: IgnoredResources },
): InsufficientResource[] {
  const { nodeInfo } = options;
  const out: InsufficientResource[] = [];
  const alloc = nodeInfo.allocatable;
  const used = nodeInfo.requested;
  if (nodeInfo.pods.length + 1 > alloc.allowedPodNumber) {
    out.push({
      resourceName: "pods",
      reason: "Too many pods",
      requested: 1,
      used: nodeInfo.pods.length,
      capacity: alloc.allowedPodNumber,
      unresolvable: false,
    });
  }
  if (
    request.milliCpu === 0 && request.memoryBytes === 0 && request.ephemeralStorageBytes === 0 &&
    request.scalarResources.size === 0
  ) return out;
  if (request.milliCpu > 0 && request.milliCpu > alloc.milliCpu - used.milliCpu) {
    out.push(insufficient("cpu", {
      requested: request.milliCpu,
      used: used.milliCpu,
      capacity: alloc.milliCpu,
    }));
  }
  if (request.memoryBytes > 0 && request.memoryBytes > alloc.memoryBytes - used.memoryBytes) {
    out.push(insufficient("memory", {
      requested: request.memoryBytes,
      used: used.memoryBytes,
      capacity: alloc.memoryBytes,
    }));
  }
  if (
    request.ephemeralStorageBytes > 0 &&
    request.ephemeralStorageBytes > alloc.ephemeralStorageBytes - used.ephemeralStorageBytes
  ) {
    out.push(insufficient("ephemeral-storage", {
      requested: request.ephemeralStorageBytes,
      used: used.ephemeralStorageBytes,
      capacity: alloc.ephemeralStorageBytes,
    }));
  }
  if (request.scalarResources.size === 0) return out;
  const names = [...request.scalarResources.keys()].sort();
  for (const name of names) {
    const quantity = request.scalarResources.get(name)!;
    if (quantity === 0) continue;
    if (isExtendedResource(name)) {
      const group = name.split("/")[0]!;
      if (options.ignored?.names?.has(name) || options.ignored?.groups?.has(group)) continue;
    }
    const capacity = alloc.scalarResources.get(name) ?? 0;
    const inUse = used.scalarResources.get(name) ?? 0;
    if (quantity > capacity - inUse) {
      out.push(insufficient(name, { requested: quantity, used: inUse, capacity }));
    }
  }
  return out;
}

/**
 * Whether the node has room for `request` by pod count, cpu, memory and ephemeral storage,
 * checked without allocating; `false` also for a request of scalar resources, which
 * {@linkcode fitsRequest} must judge. `true` means `fitsRequest` finds nothing missing.
 */
function fitsWithoutScalars(request: Resources, nodeInfo: NodeInfo): boolean {
  const alloc = nodeInfo.allocatable;
  const used = nodeInfo.requested;
  if (nodeInfo.pods.length + 1 > alloc.allowedPodNumber) return false;
  if (request.scalarResources.size > 0) return false;
  if (request.milliCpu > 0 && request.milliCpu > alloc.milliCpu - used.milliCpu) return false;
  if (request.memoryBytes > 0 && request.memoryBytes > alloc.memoryBytes - used.memoryBytes) {
    return false;
  }
  return !(request.ephemeralStorageBytes > 0 &&
    request.ephemeralStorageBytes > alloc.ephemeralStorageBytes - used.ephemeralStorageBytes);
}

/** What the node lacks for `pod`, with nothing ignored (upstream `Fits`). */
export function fits(pod: Pod, nodeInfo: NodeInfo): InsufficientResource[] {
  return fitsRequest(computePodResourceRequest(pod), { nodeInfo });
}

/** Upstream `leastRequestedScore`: the free share of `capacity`, 0–100. */
export function leastRequestedScore(requested: number, capacity: number): number {
  if (capacity === 0 || requested > capacity) return 0;
  return Math.trunc((capacity - requested) * MAX_NODE_SCORE / capacity);
}

/** Upstream `mostRequestedScore`: the used share of `capacity`, 0–100. */
export function mostRequestedScore(requested: number, capacity: number): number {
  if (capacity === 0) return 0;
  return Math.trunc(Math.min(requested, capacity) * MAX_NODE_SCORE / capacity);
}

/** A scorer averaging `perResource` over the resources the node has, by weight. */
export function weightedScorer(
  resources: readonly ResourceSpec[],
  perResource: (requested: number, capacity: number) => number,
): ResourceScorer {
  return (requested, allocatable) => {
    let nodeScore = 0;
    let weightSum = 0;
    for (let i = 0; i < requested.length; i++) {
      const capacity = allocatable[i]!;
      if (capacity === 0) continue;
      const weight = resources[i]!.weight;
      nodeScore += perResource(requested[i]!, capacity) * weight;
      weightSum += weight;
    }
    return weightSum === 0 ? 0 : Math.trunc(nodeScore / weightSum);
  };
}

class PreFilterState {
  constructor(readonly request: Resources) {}
  clone(): PreFilterState {
    return this;
  }
}

class PreScoreState {
  constructor(readonly podRequests: readonly number[]) {}
  clone(): PreScoreState {
    return this;
  }
}

const PRE_FILTER_KEY = stateKey<PreFilterState>(`PreFilter${NAME}`);
const PRE_SCORE_KEY = stateKey<PreScoreState>(`PreScore${NAME}`);

/**
 * The NodeResourcesFit plugin; args: `{ ignoredResources?, ignoredResourceGroups?,
 * scoringStrategy?: { type?, resources? } }` (upstream `NodeResourcesFitArgs`).
 */
export function newNodeResourcesFit(
  args: unknown,
  _handle: FrameworkHandle,
): PreFilterPlugin & FilterPlugin & PreScorePlugin & ScorePlugin {
  const parsed = parseArgs(NAME, { schema: ArgsSchema, args });
  const ignored: IgnoredResources = {
    names: new Set(parsed?.ignoredResources ?? []),
    groups: new Set(parsed?.ignoredResourceGroups ?? []),
  };
  const strategy = parsed?.scoringStrategy?.type ?? "LeastAllocated";
  const resources = parsed?.scoringStrategy?.resources ?? DEFAULT_RESOURCE_SPECS;
  const scorer = weightedScorer(
    resources,
    strategy === "MostAllocated" ? mostRequestedScore : leastRequestedScore,
  );
  const allocation = new ResourceAllocationScorer(resources, { useRequested: false, scorer });
  const requestsOf = (pod: Pod) => podRequestList(pod, { resources, useRequested: false });
  return {
    name: NAME,
    preFilter(state, pod) {
      state.write(PRE_FILTER_KEY, new PreFilterState(computePodResourceRequest(pod)));
      return null;
    },
    filter(state, _pod, nodeInfo) {
      const s = state.read(PRE_FILTER_KEY);
      if (s === undefined) {
        return errorStatus(`error reading "${PRE_FILTER_KEY.name}" from cycleState: not found`);
      }
      if (fitsWithoutScalars(s.request, nodeInfo)) return null;
      const missing = fitsRequest(s.request, { nodeInfo, ignored });
      if (missing.length === 0) return null;
      const code = missing.some((m) => m.unresolvable)
        ? "UnschedulableAndUnresolvable"
        : "Unschedulable";
      return newStatus(code, ...missing.map((m) => m.reason));
    },
    preScore(state, pod) {
      state.write(PRE_SCORE_KEY, new PreScoreState(requestsOf(pod)));
      return null;
    },
    score(state, pod, nodeInfo) {
      const podRequests = state.read(PRE_SCORE_KEY)?.podRequests ?? requestsOf(pod);
      return allocation.score(nodeInfo, podRequests);
    },
  };
}
