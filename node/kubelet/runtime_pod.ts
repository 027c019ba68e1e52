/**
 * {@linkcode readRuntimePod}: what the runtime has of one pod — its sandboxes (newest first),
 * the newest one's status, and every container instance with its status (newest first) — read
 * with ListPodSandbox and ListContainers filtered by the pod's UID label, then PodSandboxStatus
 * and ContainerStatus of each (the kubelet's `GetPodStatus`).
 *
 * @module
 */
import { isCriNotFound } from "../cri/errors.ts";
import type { ContainerStatus, PodSandbox, PodSandboxStatus } from "../cri/types.ts";
import { POD_UID_LABEL } from "../pods/sandbox_config.ts";
import type { PodRuntimeService } from "./runtime_service.ts";

/** One container instance of a pod. */
export interface RuntimeContainer {
  readonly sandboxId: string;
  readonly status: ContainerStatus;
}

/** What the runtime has of a pod. */
export interface RuntimePod {
  /** Newest first. */
  readonly sandboxes: readonly PodSandbox[];
  /** Status of the newest sandbox; null when there is none. */
  readonly sandboxStatus: PodSandboxStatus | null;
  /** Every instance, newest first. */
  readonly containers: readonly RuntimeContainer[];
}

/** A pod the runtime has nothing of. */
export const EMPTY_RUNTIME_POD: RuntimePod = { sandboxes: [], sandboxStatus: null, containers: [] };

function byCreatedDesc(a: { createdAt: string }, b: { createdAt: string }): number {
  const x = BigInt(a.createdAt || "0");
  const y = BigInt(b.createdAt || "0");
  return x === y ? 0 : x > y ? -1 : 1;
}

/** Reads what the runtime has of the pod with UID `podUid`. */
export async function readRuntimePod(
  runtime: Pick<
    PodRuntimeService,
    "listPodSandbox" | "podSandboxStatus" | "listContainers" | "containerStatus"
  >,
  podUid: string,
): Promise<RuntimePod> {
  const labelSelector = { [POD_UID_LABEL]: podUid };
  const [{ items }, { containers }] = await Promise.all([
    runtime.listPodSandbox({ filter: { labelSelector } }),
    runtime.listContainers({ filter: { labelSelector } }),
  ]);
  const sandboxes = [...items].sort(byCreatedDesc);
  let sandboxStatus: PodSandboxStatus | null = null;
  if (sandboxes[0] !== undefined) {
    try {
      sandboxStatus = (await runtime.podSandboxStatus({ podSandboxId: sandboxes[0].id })).status;
    } catch (err) {
      if (!isCriNotFound(err)) throw err;
    }
  }
  const statuses = await Promise.all(containers.map(async (c) => {
    try {
      const { status } = await runtime.containerStatus({ containerId: c.id });
      return status === null ? undefined : { sandboxId: c.podSandboxId, status };
    } catch (err) {
      if (isCriNotFound(err)) return undefined;
      throw err;
    }
  }));
  const list = statuses.filter((s) => s !== undefined);
  list.sort((a, b) => byCreatedDesc(a.status, b.status));
  return { sandboxes, sandboxStatus, containers: list };
}
