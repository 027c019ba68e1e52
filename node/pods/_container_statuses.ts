/**
 * CRI container statuses → the `containerStatuses` / `initContainerStatuses` of a pod, as the
 * kubelet's `convertToAPIContainerStatuses` and the probe manager's `UpdatePodStatus` build them.
 *
 * @module
 */
import { formatTime } from "../../control/util/k8s_time.ts";
import type {
  Container,
  ContainerState,
  ContainerStatus,
  Pod,
} from "../../control/api/types/core_v1_pod.ts";
import type { ContainerStatus as CriContainerStatus } from "../cri/types.ts";

/** Probe results of one container instance; a missing member means "not run yet". */
export interface ContainerProbeResults {
  /**
   * ID of the instance the results belong to, bare (`abc…`) or as the status has it
   * (`containerd://abc…`); results of another instance are ignored.
   */
  readonly containerId: string;
  readonly ready?: boolean;
  readonly started?: boolean;
}

/** Why the last attempt to start a container failed (the kubelet's reason cache). */
export interface ContainerStartFailure {
  /** `CrashLoopBackOff`, `ErrImagePull`, `ImagePullBackOff`, `CreateContainerConfigError`… */
  readonly reason: string;
  readonly message?: string;
}

/** What {@linkcode containerStatuses} reads. */
export interface ContainerStatusesInput {
  readonly pod: Pod;
  readonly specs: readonly Container[];
  readonly init: boolean;
  readonly cri: readonly CriContainerStatus[];
  readonly previous: readonly ContainerStatus[] | undefined;
  readonly probes: ReadonlyMap<string, ContainerProbeResults>;
  readonly startFailures: ReadonlyMap<string, ContainerStartFailure>;
  readonly runtimeName: string;
}

/** Waiting reason of a container not created yet. */
export const CONTAINER_CREATING = "ContainerCreating";
/** Waiting reason of every container of a pod with init containers, before it is created. */
export const POD_INITIALIZING = "PodInitializing";
/** Terminated reason of an instance the runtime lost track of while it was running. */
export const CONTAINER_STATUS_UNKNOWN = "ContainerStatusUnknown";

const NAME_LABEL = "io.kubernetes.container.name";
const RESTART_COUNT_ANNOTATION = "io.kubernetes.container.restartCount";

/** Whether `c` is a sidecar: an init container with `restartPolicy: Always`. */
export function isRestartableInit(c: Container | undefined): boolean {
  return c?.restartPolicy === "Always";
}

/** The container name a CRI status belongs to. */
export function criContainerName(s: CriContainerStatus): string {
  return s.metadata?.name || s.labels[NAME_LABEL] || "";
}

/** CRI nanoseconds (a decimal string, `"0"` when unset) as `metav1.Time`; undefined when unset. */
export function criTime(ns: string): string | undefined {
  if (!/^\d+$/.test(ns) || /^0+$/.test(ns)) return undefined;
  const seconds = Number(BigInt(ns) / 1_000_000_000n);
  return formatTime(seconds * 1000);
}

function restartCountOf(s: CriContainerStatus): number {
  const raw = s.annotations[RESTART_COUNT_ANNOTATION];
  const n = raw === undefined ? NaN : Number.parseInt(raw, 10);
  return Number.isSafeInteger(n) && n >= 0 ? n : (s.metadata?.attempt ?? 0);
}

function compareCreatedDesc(a: CriContainerStatus, b: CriContainerStatus): number {
  const x = BigInt(/^\d+$/.test(a.createdAt) ? a.createdAt : "0");
  const y = BigInt(/^\d+$/.test(b.createdAt) ? b.createdAt : "0");
  return x === y ? 0 : x > y ? -1 : 1;
}

/**
 * The `volumeMounts` of a container's status. containerd 1.6 has no recursive read-only mounts,
 * so only `recursiveReadOnly: Enabled` (which it then could not have started) shows Enabled.
 */
function volumeMountStatuses(spec: Container): NonNullable<ContainerStatus["volumeMounts"]> {
  return (spec.volumeMounts ?? []).map((m) => ({
    name: m.name,
    mountPath: m.mountPath,
    ...(m.readOnly === true ? { readOnly: true } : {}),
    recursiveReadOnly: m.recursiveReadOnly === "Enabled" ? "Enabled" : "Disabled",
  }));
}

/** One CRI instance as an API status (the kubelet's `convertContainerStatus`). */
function convert(
  s: CriContainerStatus,
  spec: Container,
  old: ContainerStatus | undefined,
  runtimeName: string,
): ContainerStatus {
  const containerID = `${runtimeName}://${s.id}`;
  const status: ContainerStatus = {
    name: spec.name,
    state: {},
    ready: false,
    restartCount: restartCountOf(s),
    image: s.image?.image || spec.image || "",
    imageID: s.imageRef,
    containerID,
  };
  const mounts = old?.volumeMounts ?? volumeMountStatuses(spec);
  if (mounts.length > 0) status.volumeMounts = structuredClone(mounts);
  const startedAt = criTime(s.startedAt);
  switch (s.state) {
    case "CONTAINER_RUNNING":
      status.state = { running: startedAt === undefined ? {} : { startedAt } };
      break;
    case "CONTAINER_EXITED": {
      const finishedAt = criTime(s.finishedAt);
      status.state = {
        terminated: {
          exitCode: s.exitCode,
          ...(s.reason ? { reason: s.reason } : {}),
          ...(s.message ? { message: s.message } : {}),
          ...(startedAt === undefined ? {} : { startedAt }),
          ...(finishedAt === undefined ? {} : { finishedAt }),
          containerID,
        },
      };
      break;
    }
    case "CONTAINER_UNKNOWN":
      if (old?.state?.running !== undefined) {
        // It ran and the runtime lost it: it did not "never run", so it counts as a failed run.
        status.state = {
          terminated: {
            exitCode: 137,
            reason: CONTAINER_STATUS_UNKNOWN,
            message: "The container could not be located when the pod was terminated",
          },
        };
        status.restartCount = old.restartCount + 1;
      } else {
        status.state = { waiting: {} };
      }
      break;
    default:
      status.state = { waiting: {} };
  }
  return status;
}

/** Whether the next sync would (re)start the container (`ShouldContainerBeRestarted`). */
function shouldRestart(
  pod: Pod,
  spec: Container,
  latest: CriContainerStatus | undefined,
  init: boolean,
): boolean {
  if (pod.metadata?.deletionTimestamp) return false;
  if (latest === undefined) return true;
  if (latest.state === "CONTAINER_RUNNING") return false;
  if (latest.state === "CONTAINER_UNKNOWN" || latest.state === "CONTAINER_CREATED") return true;
  if (init && isRestartableInit(spec)) return true;
  const policy = pod.spec?.restartPolicy ?? "Always";
  if (policy === "Never") return false;
  if (policy === "OnFailure" && latest.exitCode === 0) return false;
  return true;
}

function isStarted(
  spec: Container,
  status: ContainerStatus,
  probe: ContainerProbeResults | undefined,
): boolean {
  if (status.state?.running === undefined) return false;
  if (probe?.started !== undefined) return probe.started;
  return spec.startupProbe === undefined; // a startup probe that has not run yet: not started
}

function isReady(
  spec: Container,
  status: ContainerStatus,
  probe: ContainerProbeResults | undefined,
): boolean {
  if (status.state?.running === undefined) return false;
  if (probe?.ready === true) return true;
  return spec.readinessProbe === undefined; // no readiness probe: ready once started
}

/** Sets `started` and `ready` from the probe results (the probe manager's `UpdatePodStatus`). */
function applyProbes(
  input: ContainerStatusesInput,
  spec: Container,
  status: ContainerStatus,
): void {
  const raw = input.probes.get(spec.name);
  const full = status.containerID ?? "";
  const bare = full.replace(/^[^:]*:\/\//, "");
  const probe =
    raw !== undefined && full !== "" && (raw.containerId === full || raw.containerId === bare)
      ? raw
      : undefined;
  const started = isStarted(spec, status, probe);
  status.started = started;
  if (input.init && !isRestartableInit(spec)) {
    status.ready = status.state?.terminated?.exitCode === 0;
    return;
  }
  status.ready = started && isReady(spec, status, probe);
}

function isDefaultWaiting(state: ContainerState | undefined, defaultReason: string): boolean {
  return state?.waiting?.reason === defaultReason;
}

/** The API statuses of `input.specs`: init containers in spec order, others sorted by name. */
export function containerStatuses(input: ContainerStatusesInput): ContainerStatus[] {
  const { pod, specs, init } = input;
  const defaultReason = (pod.spec?.initContainers?.length ?? 0) > 0
    ? POD_INITIALIZING
    : CONTAINER_CREATING;
  const previous = new Map((input.previous ?? []).map((s) => [s.name, s]));
  const byName = new Map<string, CriContainerStatus[]>();
  for (const s of [...input.cri].sort(compareCreatedDesc)) {
    const name = criContainerName(s);
    byName.set(name, [...(byName.get(name) ?? []), s]);
  }
  const out = new Map<string, ContainerStatus>();
  for (const spec of specs) {
    const old = previous.get(spec.name);
    let status: ContainerStatus;
    if (old?.state?.terminated !== undefined) {
      status = structuredClone(old);
    } else {
      status = {
        name: spec.name,
        state: { waiting: { reason: defaultReason } },
        ready: false,
        restartCount: old?.restartCount ?? 0,
        image: spec.image ?? "",
        imageID: "",
      };
      if (old?.lastState !== undefined) status.lastState = structuredClone(old.lastState);
    }
    const instances = byName.get(spec.name) ?? [];
    const [latest, prior] = instances;
    if (latest !== undefined) {
      const fresh = convert(latest, spec, old, input.runtimeName);
      if (prior !== undefined) {
        fresh.lastState = convert(prior, spec, undefined, input.runtimeName).state ?? {};
      } else if (old !== undefined && old.containerID === fresh.containerID) {
        if (old.lastState !== undefined) fresh.lastState = structuredClone(old.lastState);
      } else if (old?.state?.terminated !== undefined) {
        fresh.lastState = structuredClone(old.state); // the agent removed the older instance
      } else if (old?.lastState !== undefined) {
        fresh.lastState = structuredClone(old.lastState);
      }
      status = fresh;
    } else if (
      old?.state?.running !== undefined && isDefaultWaiting(status.state, defaultReason) &&
      status.lastState?.terminated === undefined
    ) {
      // It was running and vanished: show it stopped, not waiting, so the pod does not go Pending.
      status.lastState = {
        terminated: {
          exitCode: 137,
          reason: CONTAINER_STATUS_UNKNOWN,
          message:
            "The container could not be located when the pod was deleted.  The container used to be Running",
        },
      };
      if (!pod.metadata?.deletionTimestamp) status.restartCount += 1;
    }
    // A container the next sync will (re)start shows why its last start failed.
    const failure = input.startFailures.get(spec.name);
    const exitedOk = init && latest?.state === "CONTAINER_EXITED" && latest.exitCode === 0;
    if (failure !== undefined && !exitedOk && shouldRestart(pod, spec, latest, init)) {
      if (status.state?.terminated !== undefined) status.lastState = status.state;
      status.state = {
        waiting: {
          reason: failure.reason,
          ...(failure.message ? { message: failure.message } : {}),
        },
      };
    }
    if (status.lastState === undefined) status.lastState = {};
    applyProbes(input, spec, status);
    out.set(spec.name, status);
  }
  const list = specs.map((s) => out.get(s.name)).filter((s) => s !== undefined);
  return init ? list : list.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
