/**
 * ImageLocality: favours nodes that already have the pod's images, by image size scaled by how
 * widely the image is spread (an image on every node says little), between 23 MiB and 1000 MiB
 * per container.
 *
 * @module
 */
import type { Pod } from "../../api/types/core_v1_pod.ts";
import type { CycleState } from "../cycle_state.ts";
import { type FrameworkHandle, MAX_NODE_SCORE, type ScorePlugin } from "../framework.ts";
import type { NodeInfo } from "../node_info.ts";
import type { Snapshot } from "../snapshot.ts";
import { NO_ARGS, parseArgs } from "./_args.ts";

/** The plugin's name. */
export const NAME = "ImageLocality";

const MB = 1024 * 1024;
/** Image scores below this sum count as none. */
export const MIN_THRESHOLD = 23 * MB;
/** The image score sum counted at most, per container. */
export const MAX_CONTAINER_THRESHOLD = 1000 * MB;

/** `name` with `:latest` added when it has no tag (upstream `normalizedImageName`). */
export function normalizedImageName(name: string): string {
  return name.lastIndexOf(":") <= name.lastIndexOf("/") ? `${name}:latest` : name;
}

/** The normalized image names of the pod's init containers, then its containers. */
function podImageNames(pod: Pod): string[] {
  const names: string[] = [];
  for (const c of pod.spec?.initContainers ?? []) names.push(normalizedImageName(c.image ?? ""));
  for (const c of pod.spec?.containers ?? []) names.push(normalizedImageName(c.image ?? ""));
  return names;
}

function sumScores(
  names: readonly string[],
  view: { readonly nodeInfo: NodeInfo; readonly snapshot: Snapshot },
): number {
  const total = view.snapshot.numNodes;
  if (total === 0) return 0;
  const images = view.nodeInfo.images;
  if (images.size === 0) return 0;
  let sum = 0;
  for (const name of names) {
    const size = images.get(name);
    if (size === undefined) continue;
    const spread = view.snapshot.imageNumNodes(name) / total;
    sum += Math.trunc(size * spread);
  }
  return sum;
}

/** The sum of the pod's image sizes on the node, each scaled by its spread over all nodes. */
export function sumImageScores(
  pod: Pod,
  view: { readonly nodeInfo: NodeInfo; readonly snapshot: Snapshot },
): number {
  return sumScores(podImageNames(pod), view);
}

/** Upstream `calculatePriority`: the clamped sum mapped onto 0–100. */
export function calculatePriority(sumScores: number, numContainers: number): number {
  const maxThreshold = MAX_CONTAINER_THRESHOLD * numContainers;
  let sum = sumScores;
  if (sum < MIN_THRESHOLD) sum = MIN_THRESHOLD;
  else if (sum > maxThreshold) sum = maxThreshold;
  if (maxThreshold <= MIN_THRESHOLD) return 0;
  return Math.trunc(MAX_NODE_SCORE * (sum - MIN_THRESHOLD) / (maxThreshold - MIN_THRESHOLD));
}

/** The ImageLocality plugin (takes no args). */
export function newImageLocality(args: unknown, handle: FrameworkHandle): ScorePlugin {
  parseArgs(NAME, { schema: NO_ARGS, args });
  // Score runs for every feasible node: the pod's image names are worked out once per cycle,
  // and when no node of the snapshot has any image (fake or fresh nodes), no node is read.
  let cycle: CycleState | undefined;
  let cyclePod: Pod | undefined;
  let names: readonly string[] = [];
  return {
    name: NAME,
    score(state, pod, nodeInfo) {
      if (state !== cycle || pod !== cyclePod) {
        cycle = state;
        cyclePod = pod;
        names = podImageNames(pod);
      }
      const snapshot = handle.snapshot();
      const sum = snapshot.imageCounts().size === 0 || nodeInfo.images.size === 0
        ? 0
        : sumScores(names, { nodeInfo, snapshot });
      return calculatePriority(sum, names.length);
    },
  };
}
