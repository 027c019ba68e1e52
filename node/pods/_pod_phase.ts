/**
 * The phase of a pod from its container statuses, as the kubelet's `getPhase`.
 *
 * @module
 */
import type { ContainerStatus, Pod } from "../../control/api/types/core_v1_pod.ts";
import { isRestartableInit } from "./_container_statuses.ts";

/** A pod phase. */
export type PodPhase = "Pending" | "Running" | "Succeeded" | "Failed" | "Unknown";

/** Whether a regular container of `pod` has run (is running or has terminated). */
export function anyRegularContainerStarted(
  pod: Pod,
  statuses: readonly ContainerStatus[],
): boolean {
  const names = new Set((pod.spec?.containers ?? []).map((c) => c.name));
  return statuses.some((s) =>
    names.has(s.name) && (s.state?.running !== undefined || s.state?.terminated !== undefined)
  );
}

interface Counts {
  unknown: number;
  running: number;
  waiting: number;
  stopped: number;
  succeeded: number;
}

/**
 * The phase of `pod` given the statuses of all its containers (init ones included); `terminal`
 * says the agent has finished with the pod, so its stopped containers will not restart.
 */
export function podPhase(
  pod: Pod,
  { statuses, terminal }: {
    readonly statuses: readonly ContainerStatus[];
    readonly terminal: boolean;
  },
): PodPhase {
  const byName = new Map(statuses.map((s) => [s.name, s]));
  const restartPolicy = pod.spec?.restartPolicy ?? "Always";
  let pendingInit = 0;
  let pendingSidecars = 0;
  let failedInit = 0;
  const n: Counts = { unknown: 0, running: 0, waiting: 0, stopped: 0, succeeded: 0 };
  for (const c of pod.spec?.initContainers ?? []) {
    const s = byName.get(c.name);
    if (isRestartableInit(c)) {
      if (s === undefined) n.unknown++;
      else if (s.state?.running !== undefined) {
        if (s.started !== true) pendingSidecars++;
        n.running++;
      } else if (s.state?.terminated !== undefined) {
        // a stopped sidecar does not count towards the phase
      } else if (s.state?.waiting !== undefined) {
        if (s.lastState?.terminated === undefined) {
          pendingSidecars++;
          n.waiting++;
        }
      } else {
        pendingSidecars++;
        n.unknown++;
      }
      continue;
    }
    if (s === undefined || s.state?.running !== undefined) pendingInit++;
    else if (s.state?.terminated !== undefined) {
      if (s.state.terminated.exitCode !== 0) failedInit++;
    } else if (s.state?.waiting !== undefined && s.lastState?.terminated !== undefined) {
      if (s.lastState.terminated.exitCode !== 0) failedInit++;
    } else pendingInit++;
  }
  for (const c of pod.spec?.containers ?? []) {
    const s = byName.get(c.name);
    if (s === undefined) n.unknown++;
    else if (s.state?.running !== undefined) n.running++;
    else if (s.state?.terminated !== undefined) {
      n.stopped++;
      if (s.state.terminated.exitCode === 0) n.succeeded++;
    } else if (s.state?.waiting !== undefined) {
      if (s.lastState?.terminated !== undefined) n.stopped++;
      else n.waiting++;
    } else n.unknown++;
  }
  if (failedInit > 0 && restartPolicy === "Never") return "Failed";
  if (
    pendingInit > 0 || (pendingSidecars > 0 && !anyRegularContainerStarted(pod, statuses)) ||
    n.waiting > 0
  ) {
    return "Pending";
  }
  if (n.running > 0 && n.unknown === 0) return "Running";
  if (n.running === 0 && n.stopped > 0 && n.unknown === 0) {
    if (terminal) return n.stopped === n.succeeded ? "Succeeded" : "Failed";
    if (restartPolicy === "Always") return "Running"; // all restarting
    if (n.stopped === n.succeeded) return "Succeeded";
    if (restartPolicy === "Never") return "Failed";
    return "Running"; // OnFailure: the failed ones restart
  }
  return "Pending";
}
