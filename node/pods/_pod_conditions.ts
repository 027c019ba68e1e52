/**
 * The conditions the kubelet owns (`pkg/kubelet/status/generate.go`): PodReadyToStartContainers,
 * Initialized, Ready, ContainersReady and PodScheduled.
 *
 * @module
 */
import type { ContainerStatus, Pod, PodCondition } from "../../control/api/types/core_v1_pod.ts";
import type { PodSandboxStatus } from "../cri/types.ts";
import { isRestartableInit } from "./_container_statuses.ts";
import { anyRegularContainerStarted, type PodPhase } from "./_pod_phase.ts";

/** Condition types the kubelet computes; all others are kept from the previous status. */
export const KUBELET_CONDITIONS: ReadonlySet<string> = new Set([
  "PodReadyToStartContainers",
  "Initialized",
  "Ready",
  "ContainersReady",
  "PodScheduled",
]);

/** A condition without its times. */
export type BareCondition = Pick<PodCondition, "type" | "status" | "reason" | "message">;

/** What Initialized and ContainersReady are computed from. */
export interface ConditionInput {
  readonly pod: Pod;
  /** Statuses of all containers, init ones included. */
  readonly statuses: readonly ContainerStatus[];
  readonly phase: PodPhase;
}

/** Go's `%s` of a `[]string`: `[a b]`. */
function goList(names: readonly string[]): string {
  return `[${names.join(" ")}]`;
}

function cond(type: string, ok: boolean, reason?: string, message?: string): BareCondition {
  return {
    type,
    status: ok ? "True" : "False",
    ...(reason === undefined ? {} : { reason }),
    ...(message === undefined || message === "" ? {} : { message }),
  };
}

/** True while the newest sandbox is ready and has its network (no new sandbox is needed). */
export function readyToStartContainers(pod: Pod, sandbox: PodSandboxStatus | null): BareCondition {
  const ok = sandbox !== null && sandbox.state === "SANDBOX_READY" &&
    (pod.spec?.hostNetwork === true || (sandbox.network?.ip ?? "") !== "");
  return cond("PodReadyToStartContainers", ok);
}

/**
 * Initialized: every regular init container succeeded and every sidecar started (reason
 * PodCompleted once the pod succeeded, init containers or not).
 */
export function initialized({ pod, statuses, phase }: ConditionInput): BareCondition {
  const inits = pod.spec?.initContainers ?? [];
  const byName = new Map(statuses.map((s) => [s.name, s]));
  const unknown: string[] = [];
  const incomplete: string[] = [];
  for (const c of inits) {
    const s = byName.get(c.name);
    if (s === undefined) unknown.push(c.name);
    else if (isRestartableInit(c)) {
      if (s.started !== true) incomplete.push(c.name);
    } else if (s.state?.terminated?.exitCode !== 0) incomplete.push(c.name);
  }
  if (phase === "Succeeded" && unknown.length === 0) {
    return cond("Initialized", true, "PodCompleted");
  }
  if (anyRegularContainerStarted(pod, statuses)) return cond("Initialized", true);
  const parts: string[] = [];
  if (unknown.length > 0) parts.push(`containers with unknown status: ${goList(unknown)}`);
  if (incomplete.length > 0) parts.push(`containers with incomplete status: ${goList(incomplete)}`);
  if (parts.length > 0) {
    return cond("Initialized", false, "ContainersNotInitialized", parts.join(", "));
  }
  return cond("Initialized", true);
}

/** ContainersReady: every container and sidecar is ready. */
export function containersReady({ pod, statuses, phase }: ConditionInput): BareCondition {
  const byName = new Map(statuses.map((s) => [s.name, s]));
  const unknown: string[] = [];
  const unready: string[] = [];
  const relevant = [
    ...(pod.spec?.initContainers ?? []).filter(isRestartableInit),
    ...(pod.spec?.containers ?? []),
  ];
  for (const c of relevant) {
    const s = byName.get(c.name);
    if (s === undefined) unknown.push(c.name);
    else if (!s.ready) unready.push(c.name);
  }
  if (phase === "Succeeded" && unknown.length === 0) {
    return cond("ContainersReady", false, "PodCompleted");
  }
  if (phase === "Failed") return cond("ContainersReady", false, "PodFailed");
  const parts: string[] = [];
  if (unknown.length > 0) parts.push(`containers with unknown status: ${goList(unknown)}`);
  if (unready.length > 0) parts.push(`containers with unready status: ${goList(unready)}`);
  if (parts.length > 0) {
    return cond("ContainersReady", false, "ContainersNotReady", parts.join(", "));
  }
  return cond("ContainersReady", true);
}

/** Ready: ContainersReady and every readiness gate's condition True. */
export function podReady(
  pod: Pod,
  { others, ready }: { readonly others: readonly PodCondition[]; readonly ready: BareCondition },
): BareCondition {
  if (ready.status !== "True") return { ...ready, type: "Ready" };
  const messages: string[] = [];
  for (const gate of pod.spec?.readinessGates ?? []) {
    const c = others.find((o) => o.type === gate.conditionType);
    if (c === undefined) {
      messages.push(
        `corresponding condition of pod readiness gate "${gate.conditionType}" does not exist.`,
      );
    } else if (c.status !== "True") {
      messages.push(
        `the status of pod readiness gate "${gate.conditionType}" is not "True", but ${c.status}`,
      );
    }
  }
  if (messages.length > 0) {
    return cond("Ready", false, "ReadinessGatesNotReady", messages.join(", "));
  }
  return cond("Ready", true);
}
