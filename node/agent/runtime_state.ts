/**
 * What the node reports about its container runtime, read over CRI: why it cannot run pods
 * (the kubelet's Ready condition messages), its version, and its images.
 *
 * @module
 */
import type { ContainerImage } from "../../control/api/types/core_v1_node.ts";
import type { cri } from "../cri/mod.ts";

/** The CRI calls {@linkcode runtimeReadiness} and friends use. */
export interface RuntimeStatusSource {
  status(): Promise<cri.StatusResponse>;
  version(): Promise<cri.VersionResponse>;
  listImages(): Promise<cri.ListImagesResponse>;
}

function describe(condition: cri.RuntimeCondition): string {
  return `${condition.type}=${condition.status} reason:${condition.reason} ` +
    `message:${condition.message}`;
}

/**
 * Why the node cannot run pods, as the kubelet words it: `container runtime is down` when the
 * runtime does not answer, `container runtime not ready: RuntimeReady=false reason:… message:…`,
 * `container runtime network not ready: NetworkReady=false reason:… message:…`; empty when
 * it can.
 */
export async function runtimeReadiness(runtime: RuntimeStatusSource): Promise<string[]> {
  let status: cri.StatusResponse;
  try {
    status = await runtime.status();
  } catch {
    return ["container runtime is down"];
  }
  const conditions = status.status?.conditions ?? [];
  const problems: string[] = [];
  const runtimeReady = conditions.find((c) => c.type === "RuntimeReady");
  if (!runtimeReady) {
    problems.push("container runtime status check may not have completed yet");
  } else if (!runtimeReady.status) {
    problems.push(`container runtime not ready: ${describe(runtimeReady)}`);
  }
  const networkReady = conditions.find((c) => c.type === "NetworkReady");
  if (networkReady && !networkReady.status) {
    problems.push(`container runtime network not ready: ${describe(networkReady)}`);
  }
  return problems;
}

/** `nodeInfo.containerRuntimeVersion`: `containerd://1.6.20`. */
export async function runtimeVersion(runtime: RuntimeStatusSource): Promise<string> {
  const version = await runtime.version();
  return `${version.runtimeName}://${version.runtimeVersion}`;
}

/** The node's images as `status.images` lists them: digests and tags, and the size. */
export async function runtimeImages(runtime: RuntimeStatusSource): Promise<ContainerImage[]> {
  const { images } = await runtime.listImages();
  return images.map((image) => ({
    names: [...image.repoDigests, ...image.repoTags],
    sizeBytes: Number(image.size),
  }));
}
