/**
 * {@linkcode computePodActions}: what a pod worker must do to converge a running pod, as the
 * kubelet's `computePodActions`: (re)create the sandbox when there is none, it is not ready,
 * several are ready, or its network mode no longer matches (then every container restarts,
 * init containers first); run init containers strictly in order, keeping sidecars
 * (`restartPolicy: Always` init containers) running; start regular containers that the pod's
 * `restartPolicy` says must run again; restart running containers whose spec hash changed or
 * whose liveness or startup probe failed; and stop the sandbox once nothing is left to run.
 * Pure: it only reads the pod, the runtime's view and the probe verdicts.
 *
 * @module
 */
import type { Container, Pod } from "../../control/api/types/core_v1_pod.ts";
import type { ContainerStatus } from "../cri/types.ts";
import { CONTAINER_LABELS, containerHash } from "../pods/container_config.ts";
import type { RuntimeContainer, RuntimePod } from "./runtime_pod.ts";

/** Why a running container is killed. */
export type KillReason = "changed" | "liveness" | "startup" | "unknown-state" | "pod";

/** A container instance to stop. */
export interface ContainerToKill {
  readonly id: string;
  readonly name: string;
  /** The `Killing` event's message (`Container app failed liveness probe, will be restarted`). */
  readonly message: string;
  readonly reason: KillReason;
}

/** The actions of one sync. */
export interface PodActions {
  /** Stop every container and the sandbox (before re-creating it, or because the pod is done). */
  readonly killPod: boolean;
  readonly createSandbox: boolean;
  /** The attempt number of the sandbox to create. */
  readonly attempt: number;
  /** The ready sandbox containers start in (when not re-creating it). */
  readonly sandboxId: string | undefined;
  /** Init containers to start, in order (at most one non-sidecar). */
  readonly initContainersToStart: readonly Container[];
  readonly containersToStart: readonly Container[];
  readonly containersToKill: readonly ContainerToKill[];
}

/** Probe verdicts the decisions need, by bare container ID. */
export interface ProbeView {
  /** Which probe (liveness first) says the running container must be restarted, if any. */
  failed(containerId: string): "liveness" | "startup" | undefined;
  /** Whether the container passed its startup probe (true when it has none). */
  started(containerId: string, container: Container): boolean;
}

/** No probe has an opinion: nothing failed, everything started. */
export const NO_PROBES: ProbeView = {
  failed: () => undefined,
  started: () => true,
};

function isSidecar(c: Container): boolean {
  return c.restartPolicy === "Always";
}

function latestOf(
  name: string,
  containers: readonly RuntimeContainer[],
  sandboxId?: string,
): ContainerStatus | undefined {
  return containers.find((c) =>
    c.status.metadata?.name === name && (sandboxId === undefined || c.sandboxId === sandboxId)
  )?.status;
}

/** Whether the running instance was made from another spec than `container`'s. */
export function containerChanged(container: Container, status: ContainerStatus): boolean {
  const hash = status.annotations[CONTAINER_LABELS.containerHash];
  return hash !== undefined && hash !== containerHash(container);
}

/** Whether a regular container must run (again), as `ShouldContainerBeRestarted`. */
export function shouldContainerBeRestarted(
  pod: Pod,
  latest: ContainerStatus | undefined,
): boolean {
  if (pod.metadata?.deletionTimestamp) return false;
  if (latest === undefined) return true;
  if (latest.state === "CONTAINER_RUNNING") return false;
  if (latest.state === "CONTAINER_UNKNOWN" || latest.state === "CONTAINER_CREATED") return true;
  const policy = pod.spec?.restartPolicy ?? "Always";
  if (policy === "Never") return false;
  if (policy === "OnFailure" && latest.exitCode === 0) return false;
  return true;
}

interface SandboxDecision {
  readonly create: boolean;
  readonly attempt: number;
  readonly sandboxId: string | undefined;
}

/** Whether the pod needs a new sandbox (`podSandboxChanged`). */
export function podSandboxChanged(pod: Pod, runtime: RuntimePod): SandboxDecision {
  const [newest] = runtime.sandboxes;
  if (newest === undefined) return { create: true, attempt: 0, sandboxId: undefined };
  const attempt = (newest.metadata?.attempt ?? 0) + 1;
  const ready = runtime.sandboxes.filter((s) => s.state === "SANDBOX_READY").length;
  if (ready > 1 || newest.state !== "SANDBOX_READY") {
    return { create: true, attempt, sandboxId: newest.id };
  }
  const status = runtime.sandboxStatus;
  const hostNetwork = pod.spec?.hostNetwork === true;
  const mode = status?.linux?.namespaces?.options?.network;
  if (mode !== undefined && (mode === "NODE") !== hostNetwork) {
    return { create: true, attempt, sandboxId: newest.id };
  }
  if (!hostNetwork && status !== null && status.network !== null && status.network.ip === "") {
    return { create: true, attempt, sandboxId: newest.id };
  }
  return { create: false, attempt: newest.metadata?.attempt ?? 0, sandboxId: newest.id };
}

function killRunning(
  name: string,
  latest: ContainerStatus,
  message: string,
  reason: KillReason,
): ContainerToKill {
  return { id: latest.id, name, message, reason };
}

/** What must be done about the running (not terminating) `pod`. */
export function computePodActions(
  pod: Pod,
  { runtime, probes = NO_PROBES }: { readonly runtime: RuntimePod; readonly probes?: ProbeView },
): PodActions {
  const spec = pod.spec ?? { containers: [] };
  const inits = spec.initContainers ?? [];
  const regular = spec.containers ?? [];
  const policy = spec.restartPolicy ?? "Always";
  const sandbox = podSandboxChanged(pod, runtime);
  const none = { initContainersToStart: [], containersToStart: [], containersToKill: [] };

  if (sandbox.create) {
    const base = { killPod: true, attempt: sandbox.attempt, sandboxId: undefined, ...none };
    if (policy === "Never" && sandbox.attempt !== 0 && runtime.containers.length > 0) {
      return { ...base, createSandbox: false };
    }
    const toStart = regular.filter((c) => {
      if (policy !== "OnFailure") return true;
      const latest = latestOf(c.name, runtime.containers);
      return !(latest?.state === "CONTAINER_EXITED" && latest.exitCode === 0);
    });
    if (toStart.length === 0) return { ...base, createSandbox: false };
    if (inits[0] !== undefined) {
      return { ...base, createSandbox: true, initContainersToStart: [inits[0]] };
    }
    return { ...base, createSandbox: true, containersToStart: toStart };
  }

  const sandboxId = sandbox.sandboxId;
  const initToStart: Container[] = [];
  const toStart: Container[] = [];
  const toKill: ContainerToKill[] = [];
  const result = (killPod: boolean): PodActions => ({
    killPod,
    createSandbox: false,
    attempt: sandbox.attempt,
    sandboxId,
    initContainersToStart: initToStart,
    containersToStart: toStart,
    containersToKill: toKill,
  });

  /** A running container that must be restarted (probe failure, changed spec). */
  const checkRunning = (c: Container, latest: ContainerStatus, restartOnFailure: boolean) => {
    let message: string;
    let reason: KillReason;
    let restart = restartOnFailure;
    const failed = probes.failed(latest.id);
    if (containerChanged(c, latest)) {
      message = `Container ${c.name} definition changed`;
      reason = "changed";
      restart = true;
    } else if (failed !== undefined) {
      message = `Container ${c.name} failed ${failed} probe`;
      reason = failed;
    } else {
      return false;
    }
    toKill.push(
      killRunning(c.name, latest, restart ? `${message}, will be restarted` : message, reason),
    );
    return restart;
  };

  // Init containers: only instances in the current sandbox count.
  const initialized = regular.some((c) => latestOf(c.name, runtime.containers, sandboxId));
  let initDone = true;
  if (initialized) {
    for (const c of inits) {
      if (!isSidecar(c)) continue;
      const latest = latestOf(c.name, runtime.containers, sandboxId);
      if (latest?.state === "CONTAINER_RUNNING") {
        if (checkRunning(c, latest, true)) initToStart.push(c);
      } else {
        if (latest?.state === "CONTAINER_UNKNOWN") {
          toKill.push(killRunning(c.name, latest, "", "unknown-state"));
        }
        initToStart.push(c);
      }
    }
  } else {
    for (const c of inits) {
      const latest = latestOf(c.name, runtime.containers, sandboxId);
      if (isSidecar(c)) {
        if (latest?.state === "CONTAINER_RUNNING") {
          if (checkRunning(c, latest, true)) {
            initToStart.push(c);
            initDone = false;
            break;
          }
          if (!probes.started(latest.id, c)) {
            initDone = false;
            break;
          }
          continue;
        }
        if (latest?.state === "CONTAINER_UNKNOWN") {
          toKill.push(killRunning(c.name, latest, "", "unknown-state"));
        }
        initToStart.push(c);
        initDone = false;
        break;
      }
      if (latest === undefined || latest.state === "CONTAINER_CREATED") {
        initToStart.push(c);
        initDone = false;
        break;
      }
      if (latest.state === "CONTAINER_RUNNING") {
        initDone = false;
        break;
      }
      if (latest.state === "CONTAINER_UNKNOWN") {
        toKill.push(killRunning(c.name, latest, "", "unknown-state"));
        initToStart.push(c);
        initDone = false;
        break;
      }
      if (latest.exitCode === 0) continue;
      // A failed init container: the pod fails with Never, else it runs again (with backoff).
      initDone = false;
      if (policy === "Never") return result(true);
      initToStart.push(c);
      break;
    }
  }
  if (!initDone) return result(false);

  let keep = 0;
  for (const c of regular) {
    const latest = latestOf(c.name, runtime.containers);
    if (latest === undefined || latest.state !== "CONTAINER_RUNNING") {
      if (shouldContainerBeRestarted(pod, latest)) {
        // An instance in an unknown state is stopped first (one only created is pruned).
        if (latest?.state === "CONTAINER_UNKNOWN") {
          toKill.push(killRunning(c.name, latest, "", "unknown-state"));
        }
        toStart.push(c);
      }
      continue;
    }
    if (checkRunning(c, latest, policy !== "Never")) {
      toStart.push(c);
    } else if (!toKill.some((k) => k.id === latest.id)) {
      keep++;
    }
  }
  // Sidecars alone do not keep a pod alive.
  if (keep === 0 && toStart.length === 0) {
    return { ...result(true), initContainersToStart: [] };
  }
  return result(false);
}
