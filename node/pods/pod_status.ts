/**
 * The status the agent reports for a pod, computed from CRI state as the kubelet's
 * `generateAPIPodStatus` and status manager do: phase, the kubelet-owned conditions (their
 * `lastTransitionTime` kept while their status holds), container and init container statuses
 * (state, lastState, restartCount, ready, started, imageID, `containerd://` IDs), pod and host
 * IPs, QoS class and start time. {@linkcode podStatusChanged} tells whether a new status is worth
 * writing.
 *
 * @example A pod whose sandbox is being created
 * ```ts
 * import assert from "node:assert/strict";
 * import { generatePodStatus } from "./pod_status.ts";
 *
 * const status = generatePodStatus({
 *   pod: { metadata: { name: "web" }, spec: { containers: [{ name: "app", image: "busybox" }] } },
 *   sandbox: null,
 *   containers: [],
 *   nodeIPs: ["10.0.0.5"],
 *   nowMs: Date.UTC(2026, 0, 1),
 * });
 * assert.equal(status.phase, "Pending");
 * assert.equal(status.containerStatuses?.[0]?.state?.waiting?.reason, "ContainerCreating");
 * ```
 *
 * @module
 */
import { formatTime as rfc3339 } from "../../control/util/k8s_time.ts";
import type { Pod, PodCondition, PodStatus } from "../../control/api/types/core_v1_pod.ts";
import { qosClassOf } from "../../control/api/types/pod_qos.ts";
import type { ContainerStatus as CriContainerStatus, PodSandboxStatus } from "../cri/types.ts";
import {
  type ContainerProbeResults,
  type ContainerStartFailure,
  containerStatuses,
} from "./_container_statuses.ts";
import {
  type BareCondition,
  containersReady,
  initialized,
  KUBELET_CONDITIONS,
  podReady,
  readyToStartContainers,
} from "./_pod_conditions.ts";
import { podPhase } from "./_pod_phase.ts";

export type { ContainerProbeResults, ContainerStartFailure } from "./_container_statuses.ts";

/** What {@linkcode generatePodStatus} computes a status from. */
export interface PodStatusInput {
  /** The pod as the agent last saw it from the API (its `status` is the API's). */
  readonly pod: Pod;
  /** Status of the pod's newest sandbox; null when none exists. */
  readonly sandbox: PodSandboxStatus | null;
  /** CRI statuses of the pod's containers, every instance the runtime still has. */
  readonly containers: readonly CriContainerStatus[];
  /** Probe results by container name. */
  readonly probes?: ReadonlyMap<string, ContainerProbeResults>;
  /** Why the last start of a container failed, by container name (the kubelet's reason cache). */
  readonly startFailures?: ReadonlyMap<string, ContainerStartFailure>;
  /** The status the agent last computed for the pod; defaults to `pod.status`. */
  readonly previous?: PodStatus;
  /** The node's IPs, primary first. */
  readonly nodeIPs: readonly string[];
  /** The current time (ms since the epoch). */
  readonly nowMs: number;
  /** The agent is done with the pod: stopped containers will not restart. @default false */
  readonly terminal?: boolean;
  /** Runtime name in container IDs. @default "containerd" */
  readonly runtimeName?: string;
}

function isIPv6(ip: string): boolean {
  return ip.includes(":");
}

/** At most one IP per family, the family of `primaryFamilyOf` first. */
function sortIPs(ips: readonly string[], primaryFamilyOf: string | undefined): string[] {
  const v6First = primaryFamilyOf === undefined ? isIPv6(ips[0] ?? "") : isIPv6(primaryFamilyOf);
  const first = ips.find((ip) => isIPv6(ip) === v6First);
  const second = ips.find((ip) => isIPv6(ip) !== v6First);
  return [first, second].filter((ip) => ip !== undefined);
}

/** Keeps `lastTransitionTime` of a condition whose status did not change. */
function stamp(c: BareCondition, previous: readonly PodCondition[], now: string): PodCondition {
  const old = previous.find((p) => p.type === c.type);
  const lastTransitionTime = old !== undefined && old.status === c.status && old.lastTransitionTime
    ? old.lastTransitionTime
    : now;
  const out: PodCondition = { type: c.type, status: c.status };
  if (old?.lastProbeTime !== undefined) out.lastProbeTime = old.lastProbeTime;
  out.lastTransitionTime = lastTransitionTime;
  if (c.reason !== undefined) out.reason = c.reason;
  if (c.message !== undefined) out.message = c.message;
  return out;
}

function isTerminalPhase(phase: string | undefined): boolean {
  return phase === "Succeeded" || phase === "Failed";
}

/**
 * The status to report for `input.pod`. Pure: the same input gives the same status.
 */
export function generatePodStatus(input: PodStatusInput): PodStatus {
  const { pod } = input;
  const previous = input.previous ?? pod.status ?? {};
  const api = pod.status ?? {};
  const now = rfc3339(input.nowMs);
  const common = {
    pod,
    cri: input.containers,
    probes: input.probes ?? new Map<string, ContainerProbeResults>(),
    startFailures: input.startFailures ?? new Map<string, ContainerStartFailure>(),
    runtimeName: input.runtimeName ?? "containerd",
  };
  const initStatuses = containerStatuses({
    ...common,
    specs: pod.spec?.initContainers ?? [],
    init: true,
    previous: previous.initContainerStatuses,
  });
  const statuses = containerStatuses({
    ...common,
    specs: pod.spec?.containers ?? [],
    init: false,
    previous: previous.containerStatuses,
  });
  const all = [...initStatuses, ...statuses];

  let phase = podPhase(pod, { statuses: all, terminal: input.terminal ?? false });
  if (!isTerminalPhase(phase)) {
    // A terminal phase is never left.
    if (isTerminalPhase(previous.phase)) phase = previous.phase as typeof phase;
    else if (isTerminalPhase(api.phase)) phase = api.phase as typeof phase;
  }

  const status: PodStatus = { phase };
  if (phase === previous.phase) {
    if (previous.reason !== undefined) status.reason = previous.reason;
    if (previous.message !== undefined) status.message = previous.message;
  }

  const oldConditions = previous.conditions ?? [];
  const kept = (api.conditions ?? oldConditions).filter((c) => !KUBELET_CONDITIONS.has(c.type));
  const view = { pod, statuses: all, phase };
  const ready = containersReady(view);
  const owned: BareCondition[] = [
    readyToStartContainers(pod, input.sandbox),
    initialized(view),
    podReady(pod, { others: kept, ready }),
    ready,
    { type: "PodScheduled", status: "True" },
  ];
  status.conditions = [
    ...kept.map((c) => structuredClone(c)),
    ...owned.map((c) => stamp(c, oldConditions, now)),
  ];

  const hostIPs = sortIPs(input.nodeIPs, input.nodeIPs[0]);
  if (hostIPs[0] !== undefined) {
    status.hostIP = hostIPs[0];
    status.hostIPs = hostIPs.map((ip) => ({ ip }));
  }
  let podIPs: string[] = [];
  if (pod.spec?.hostNetwork === true) {
    podIPs = hostIPs;
  } else if (input.sandbox?.state === "SANDBOX_READY" && input.sandbox.network?.ip) {
    const { ip, additionalIps } = input.sandbox.network;
    podIPs = sortIPs([ip, ...additionalIps.map((a) => a.ip)], input.nodeIPs[0]);
  } else if (isTerminalPhase(phase) && previous.podIPs !== undefined) {
    podIPs = previous.podIPs.map((p) => p.ip); // a finished pod keeps the IPs it had
  }
  if (podIPs[0] !== undefined) {
    status.podIP = podIPs[0];
    status.podIPs = podIPs.map((ip) => ({ ip }));
  }

  status.startTime = previous.startTime ?? api.startTime ?? now;
  if (initStatuses.length > 0) status.initContainerStatuses = initStatuses;
  status.containerStatuses = statuses;
  status.qosClass = api.qosClass ?? qosClassOf(pod);
  return status;
}

/** A condition with its times left out. */
function withoutTimes(c: PodCondition): BareCondition {
  return {
    type: c.type,
    status: c.status,
    ...(c.reason ? { reason: c.reason } : {}),
    ...(c.message ? { message: c.message } : {}),
  };
}

/** JSON text with object keys sorted and undefined members dropped. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== "object" || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k];
    return sorted;
  });
}

/**
 * Whether `next` differs from `old` in anything worth a write: conditions compare by type,
 * status, reason and message (not their probe or transition times, as the kubelet's status
 * manager); every other field compares by value.
 */
export function podStatusChanged(old: PodStatus | undefined, next: PodStatus): boolean {
  if (old === undefined) return true;
  const strip = (s: PodStatus) => {
    const { conditions, ...rest } = s;
    const conds = [...(conditions ?? [])].map(withoutTimes).sort((a, b) =>
      a.type < b.type ? -1 : a.type > b.type ? 1 : 0
    );
    return { ...rest, conditions: conds };
  };
  return canonical(strip(old)) !== canonical(strip(next));
}
