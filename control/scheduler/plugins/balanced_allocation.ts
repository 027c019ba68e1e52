/**
 * NodeResourcesBalancedAllocation: favours nodes whose resources would be used evenly with the
 * pod on them — score `(1 - std) × 100`, `std` being the standard deviation of the requested
 * fractions (each capped at 1) of the configured resources (cpu and memory by default). Pods
 * requesting nothing are not scored by it, so they do not all pile onto one node.
 *
 * @module
 */
import { z } from "zod";
import { stateKey } from "../cycle_state.ts";
import {
  type FrameworkHandle,
  MAX_NODE_SCORE,
  type PreScorePlugin,
  type ScorePlugin,
} from "../framework.ts";
import { skip } from "../status.ts";
import { DEFAULT_RESOURCE_SPECS, parseArgs, ResourceSpecSchema } from "./_args.ts";
import { podRequestList, ResourceAllocationScorer } from "./_resource_allocation.ts";

/** The plugin's name. */
export const NAME = "NodeResourcesBalancedAllocation";

/** `NodeResourcesBalancedAllocationArgs`. */
export const ArgsSchema = z.object({
  resources: z.array(ResourceSpecSchema).min(1).optional(),
}).strict().optional();

/** The plugin's args. */
export type BalancedAllocationArgs = z.infer<typeof ArgsSchema>;

/** Upstream `balancedResourceScorer`. */
export function balancedResourceScorer(
  requested: ArrayLike<number>,
  allocatable: ArrayLike<number>,
): number {
  // The fractions are computed again in the second pass rather than kept in an array: this
  // runs for every feasible node.
  let count = 0;
  let total = 0;
  let first = 0;
  let second = 0;
  for (let i = 0; i < requested.length; i++) {
    const capacity = allocatable[i]!;
    if (capacity === 0) continue;
    const fraction = Math.min(requested[i]! / capacity, 1);
    total += fraction;
    if (count === 0) first = fraction;
    else if (count === 1) second = fraction;
    count++;
  }
  let std = 0;
  if (count === 2) {
    std = Math.abs((first - second) / 2);
  } else if (count > 2) {
    const mean = total / count;
    let sum = 0;
    for (let i = 0; i < requested.length; i++) {
      const capacity = allocatable[i]!;
      if (capacity === 0) continue;
      const fraction = Math.min(requested[i]! / capacity, 1);
      sum += (fraction - mean) * (fraction - mean);
    }
    std = Math.sqrt(sum / count);
  }
  return Math.trunc((1 - std) * MAX_NODE_SCORE);
}

class PreScoreState {
  constructor(readonly podRequests: readonly number[]) {}
  clone(): PreScoreState {
    return this;
  }
}

const PRE_SCORE_KEY = stateKey<PreScoreState>(`PreScore${NAME}`);

/** The NodeResourcesBalancedAllocation plugin; args: `{ resources? }`. */
export function newBalancedAllocation(
  args: unknown,
  _handle: FrameworkHandle,
): PreScorePlugin & ScorePlugin {
  const parsed = parseArgs(NAME, { schema: ArgsSchema, args });
  const resources = parsed?.resources ?? DEFAULT_RESOURCE_SPECS;
  const allocation = new ResourceAllocationScorer(resources, {
    useRequested: true,
    scorer: balancedResourceScorer,
  });
  return {
    name: NAME,
    preScore(state, pod) {
      const podRequests = podRequestList(pod, { resources, useRequested: true });
      if (podRequests.every((r) => r === 0)) return skip();
      state.write(PRE_SCORE_KEY, new PreScoreState(podRequests));
      return null;
    },
    score(state, pod, nodeInfo) {
      let podRequests = state.read(PRE_SCORE_KEY)?.podRequests;
      if (podRequests === undefined) {
        podRequests = podRequestList(pod, { resources, useRequested: true });
        if (podRequests.every((r) => r === 0)) return 0;
      }
      return allocation.score(nodeInfo, podRequests);
    },
  };
}
