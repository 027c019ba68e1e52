/**
 * {@linkcode PodWorkers}: the kubelet's pod workers. Each pod bound to the node gets one
 * serialized worker that converges it on the CRI runtime, as upstream's `podWorkers` +
 * `kuberuntime.SyncPod`:
 *
 * - a running pod: {@linkcode computePodActions} decides; the worker (re)creates the sandbox
 *   (`SandboxChanged` when it died), sets up the volumes, runs init containers one by one and
 *   sidecars alongside, starts containers (image per `imagePullPolicy`, CRI config, create,
 *   start, postStart hook; `FailedPostStartHook` kills it), restarts crashed ones with the
 *   kubelet's CrashLoopBackOff (10 s doubling to 5 min, reset after 10 min of running), restarts
 *   ones whose liveness or startup probe failed or whose spec changed, and stops the sandbox
 *   once the pod has nothing left to run (a finished `Never`/`OnFailure` pod);
 * - a pod being deleted (or gone from the API): preStop hooks, then StopContainer with what is
 *   left of the grace period (`deletionGracePeriodSeconds`, else
 *   `terminationGracePeriodSeconds`, at least 2 s), regular containers before sidecars; then the
 *   sandbox is stopped, the final status reported, volumes torn down, containers and sandbox
 *   removed, and the {@linkcode PodStatusManager} deletes the API pod. A later update with a
 *   shorter grace period (a forced delete) cuts the wait short: preStop hooks are abandoned and
 *   the containers stopped within the new period.
 *
 * A pod past its `activeDeadlineSeconds` is stopped and fails with `DeadlineExceeded`; a pod the
 * API shows `Succeeded` or `Failed` never runs again. With a pods directory, containers get the
 * kubelet-managed `/etc/hosts` and a termination-message file; exited instances report their
 * termination message. Every sync ends by handing what the runtime has of the pod (containers
 * of earlier sandboxes included) to the status manager.
 *
 * **Adoption.** {@linkcode PodWorkers.start} lists the runtime's sandboxes and containers;
 * nothing is restarted: a pod's first sync finds its running containers, and one whose
 * `io.kubernetes.container.hash` still matches its spec keeps running with its restart count
 * (from its `io.kubernetes.container.restartCount` annotation). {@linkcode PodWorkers.stop}
 * stops the workers and leaves every container running.
 *
 * **Idle cost.** Nothing runs when nothing changes. Exits are detected by a relist (one
 * ListContainers, the kubelet's PLEG) every `relistPeriodMs` (1 s, upstream's PLEG period), armed
 * only while some pod of this node has a container created or running; a pod with all its
 * containers stopped costs nothing. containerd 1.6 has no CRI event stream
 * (`GetContainerEvents` came with CRI v0.26+ in containerd 1.7), so a relist is the only way to
 * see an exit. KeyedBackoff waits are one timer per pod, set to the end of the wait.
 *
 * @module
 */
import type { Container, Pod } from "../../control/api/types/core_v1_pod.ts";
import type { EventRecorder, EventType } from "../../control/client/event_recorder.ts";
import type { Clock, TimerHandle } from "../../control/util/clock.ts";
import type { Logger } from "../../control/util/logger.ts";
import { CriError } from "../cri/errors.ts";
import type { PodSandboxConfig } from "../cri/types.ts";
import {
  CONTAINER_LABELS,
  containerHash,
  CreateContainerConfigError,
  createTerminationMessageFile,
  generateContainerConfig,
} from "../pods/container_config.ts";
import type { ContainerStartFailure } from "../pods/pod_status.ts";
import {
  generatePodSandboxConfig,
  POD_NAME_LABEL,
  POD_NAMESPACE_LABEL,
  POD_UID_LABEL,
  podLogsDirectory,
  type SandboxConfigOptions,
} from "../pods/sandbox_config.ts";
import type { NodeResourceList } from "../status/node_resources.ts";
import type { ContainerProbeResult, ProbeKind } from "../probes/prober.ts";
import type { ConfigMapGetter, MountedVolume, SecretGetter } from "../volumes/volume_manager.ts";
import { VolumeSetUpError } from "../volumes/volume_manager.ts";
import { CONTAINER_BACKOFF, goDuration, KeyedBackoff } from "./crash_loop_backoff.ts";
import { grpcErrorText, ImagePuller, ImagePullError } from "./image_puller.ts";
import { podHostsFile, writePodHostsFile } from "./etc_hosts.ts";
import { terminationMessage } from "./termination_message.ts";
import { formatPod, runLifecycleHook } from "./lifecycle_hooks.ts";
import { computePodActions, type ContainerToKill, type ProbeView } from "./pod_actions.ts";
import type { ObservedPod } from "./pod_status_manager.ts";
import {
  EMPTY_RUNTIME_POD,
  readRuntimePod,
  type RuntimeContainer,
  type RuntimePod,
} from "./runtime_pod.ts";
import type { PodRuntimeService } from "./runtime_service.ts";

/** The status manager as the workers use it ({@linkcode PodStatusManager} is one). */
export interface PodStatusSink {
  setPodStatus(pod: Pod, observed: ObservedPod): unknown;
  podFinished(pod: Pod): void;
  removePod(podUid: string): void;
}

/** The volume manager as the workers use it ({@linkcode VolumeManager} is one). */
export interface PodVolumes {
  setUpPod(pod: Pod): Promise<ReadonlyMap<string, MountedVolume>>;
  tearDownPod(podUid: string): Promise<void>;
}

/** The probe manager as the workers use it ({@linkcode ProbeManager} is one). */
export interface PodProbes {
  addPod(pod: Pod): void;
  removePod(podUid: string): void;
  result(kind: ProbeKind, containerId: string): ContainerProbeResult | undefined;
}

/** The node facts containers are configured with. */
export interface PodWorkersNode {
  /** The node's hostname (host-network pods' hostname). */
  readonly hostname: string;
  /** The node's IPs, primary first. */
  readonly ips: () => readonly string[];
  /** The node's allocatable resources (`resourceFieldRef` defaults). */
  readonly allocatable: () => Readonly<NodeResourceList>;
  /** The machine's memory (Burstable OOM score). */
  readonly memoryCapacityBytes: bigint;
}

/** What {@linkcode PodWorkers} needs. */
export interface PodWorkersDeps {
  readonly runtime: PodRuntimeService;
  readonly statusManager: PodStatusSink;
  readonly volumes: PodVolumes;
  readonly configMaps: ConfigMapGetter;
  readonly secrets: SecretGetter;
  /** Records the pods' events (source component `kubelet`). */
  readonly recorder: EventRecorder;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly node: PodWorkersNode;
  readonly probes?: PodProbes;
}

/** Options of {@linkcode PodWorkers}. */
export interface PodWorkersOptions {
  /** Sandbox settings: DNS, resolv.conf, log root. */
  readonly sandbox: Omit<
    SandboxConfigOptions,
    "attempt" | "nodeHostname" | "nodeIps" | "recordEvent"
  >;
  /**
   * Where pod directories live (`<data-dir>/agent/pods`): the managed `/etc/hosts` and the
   * termination-message files go there. Without it containers keep their image's /etc/hosts.
   */
  readonly podsDir?: string;
  /** The node's hosts file, the base of host-network pods' one. @default {"/etc/hosts"} */
  readonly nodeHostsFile?: string;
  /** Exit detection period while containers run. @default {1000} */
  readonly relistPeriodMs?: number;
  /** Retry of a sync that failed or a start that cannot succeed yet. @default {10000} */
  readonly retryDelayMs?: number;
  /** Runtime name in container IDs. @default {"containerd"} */
  readonly runtimeName?: string;
  /** The node runs cgroup v2. @default {false} */
  readonly cgroupV2?: boolean;
  /** Sends httpGet hook requests. @default {globalThis.fetch} */
  readonly fetch?: typeof fetch;
}

/** A container of a pod as {@linkcode PodWorkers.runningPods} lists it. */
export interface RunningContainer {
  readonly name: string;
  readonly id: string;
  readonly restartCount: number;
  readonly logPath: string;
  readonly state: "created" | "running" | "exited" | "unknown";
}

/** A pod with what the runtime has of it. */
export interface RunningPod {
  readonly pod: Pod;
  readonly sandboxId?: string;
  readonly containers: readonly RunningContainer[];
}

/** Where a container instance is, for logs, exec, attach and port-forward. */
export interface FoundContainer {
  readonly podUid: string;
  readonly containerId: string;
  readonly logPath: string;
  readonly sandboxId: string;
}

type Phase = "running" | "finished" | "removed";

interface Worker {
  readonly uid: string;
  pod: Pod;
  /** The pod came from update() (not only found in the runtime). */
  known: boolean;
  forgotten: boolean;
  phase: Phase;
  dirty: boolean;
  loop: Promise<void> | undefined;
  wake: TimerHandle | undefined;
  wakeAtMs: number;
  runtime: RuntimePod;
  readonly startFailures: Map<string, ContainerStartFailure>;
  /** When the pod's termination began (grace periods count from there). */
  terminatingSinceMs: number | undefined;
  /** When the termination's grace period ends (a later, shorter one moves it earlier). */
  terminationDeadlineMs: number | undefined;
  /** Aborted when the grace period is cut short: preStop hooks stop being waited for. */
  shortened: AbortController;
  /** Termination messages of exited instances, by container ID (they never change). */
  readonly messages: Map<string, string | undefined>;
  /** Aborts the running sync's image pulls (the pod is deleted, the workers stop). */
  syncAbort: AbortController;
  /** When the workers first saw the pod (its start time when the API has none yet). */
  readonly firstSeenMs: number;
  /** Why the node failed the pod (its active deadline passed). */
  failed: { readonly reason: string; readonly message: string } | undefined;
  /** The containers the running sync stopped (their exits are its own doing). */
  readonly killed: Set<string>;
}

const STATE_NAMES = {
  CONTAINER_CREATED: "created",
  CONTAINER_RUNNING: "running",
  CONTAINER_EXITED: "exited",
  CONTAINER_UNKNOWN: "unknown",
} as const;

/** StopContainer's least grace period: containers always get 2 s to stop. */
export const MINIMUM_GRACE_PERIOD_SECONDS = 2;
/** The default `terminationGracePeriodSeconds`. */
const DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS = 30;
/** How long {@linkcode PodWorkers.stop} waits for syncs in flight. */
const STOP_WAIT_MS = 2_000;
/** How many instances of a container are kept (the running one and the previous one). */
const KEPT_INSTANCES = 2;

function nsToMs(ns: string): number {
  return /^\d+$/.test(ns) ? Number(BigInt(ns) / 1_000_000n) : 0;
}

function restartCountOf(annotations: Readonly<Record<string, string>>, attempt: number): number {
  const n = Number.parseInt(annotations[CONTAINER_LABELS.restartCount] ?? "", 10);
  return Number.isSafeInteger(n) && n >= 0 ? n : attempt;
}

function errorText(err: unknown): string {
  if (err instanceof CriError) return err.details;
  return err instanceof Error ? err.message : String(err);
}

function specOf(pod: Pod, name: string): Container | undefined {
  return [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].find((c) =>
    c.name === name
  );
}

function isSidecarName(pod: Pod, name: string): boolean {
  return (pod.spec?.initContainers ?? []).some((c) =>
    c.name === name && c.restartPolicy === "Always"
  );
}

function optionalInt(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number.parseInt(raw, 10);
  return Number.isSafeInteger(n) ? n : undefined;
}

function isExited(c: RuntimeContainer): boolean {
  return c.status.state === "CONTAINER_EXITED";
}

/** The IDs of the containers of `runtime` that exited. */
function exitedIds(runtime: RuntimePod): Set<string> {
  return new Set(runtime.containers.filter(isExited).map((c) => c.status.id));
}

/** A pod as far as the runtime's labels tell (an adopted pod before the API's copy arrives). */
function podFromLabels(uid: string, labels: Readonly<Record<string, string>>): Pod {
  return {
    metadata: {
      uid,
      name: labels[POD_NAME_LABEL] ?? "",
      namespace: labels[POD_NAMESPACE_LABEL] ?? "",
    },
    spec: { containers: [] },
  };
}

/** The kubelet's pod workers. */
export class PodWorkers {
  readonly #deps: PodWorkersDeps;
  readonly #options: PodWorkersOptions;
  readonly #workers = new Map<string, Worker>();
  readonly #backoff: KeyedBackoff;
  readonly #retryBackoff: KeyedBackoff;
  readonly #images: ImagePuller;
  readonly #log: Logger;
  #stopped = false;
  #started = false;
  #relistTimer: TimerHandle | undefined;
  #relisting: Promise<void> | undefined;
  /** Container states as last seen, by ID, with the pod UID they belong to. */
  #seen = new Map<string, { uid: string; state: string }>();

  constructor(deps: PodWorkersDeps, options: PodWorkersOptions) {
    this.#deps = deps;
    this.#options = options;
    const now = () => deps.clock.now();
    this.#backoff = new KeyedBackoff({ ...CONTAINER_BACKOFF, now });
    this.#retryBackoff = new KeyedBackoff({
      initialMs: options.retryDelayMs ?? 10_000,
      maxMs: Math.max(options.retryDelayMs ?? 10_000, CONTAINER_BACKOFF.maxMs),
      now,
    });
    this.#images = new ImagePuller({
      runtime: deps.runtime,
      secrets: deps.secrets,
      clock: deps.clock,
      logger: deps.logger,
    });
    this.#log = deps.logger.with({ component: "pod-workers" });
  }

  /**
   * Lists what the runtime runs and adopts it: each pod found gets a worker that waits for the
   * API's copy (nothing is started, stopped or restarted until then) and starts exit detection.
   */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    this.#log.info("Starting pod workers");
    const [{ items }, { containers }] = await Promise.all([
      this.#deps.runtime.listPodSandbox({}),
      this.#deps.runtime.listContainers({}),
    ]);
    const uids = new Set<string>();
    for (const item of [...items, ...containers]) {
      const uid = item.labels[POD_UID_LABEL];
      if (!uid || this.#workers.has(uid)) continue;
      uids.add(uid);
      this.#workers.set(uid, this.#newWorker(uid, podFromLabels(uid, item.labels), false));
    }
    for (const c of containers) {
      const uid = c.labels[POD_UID_LABEL];
      if (uid) this.#seen.set(c.id, { uid, state: c.state });
    }
    await Promise.all([...uids].map(async (uid) => {
      const w = this.#workers.get(uid);
      if (!w) return;
      try {
        w.runtime = await readRuntimePod(this.#deps.runtime, uid);
      } catch (err) {
        this.#log.warn("Cannot read adopted pod", { podUid: uid, err });
      }
    }));
    if (uids.size > 0) this.#log.info("Adopted pods from the runtime", { pods: uids.size });
    this.#armRelist();
  }

  /**
   * Stops every worker and timer; containers keep running. Waits at most 2 s for syncs in
   * flight (a termination still waiting out its grace period is left to the next start).
   */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#log.info("Shutting down pod workers");
    this.#relistTimer?.cancel();
    this.#relistTimer = undefined;
    for (const w of this.#workers.values()) {
      w.wake?.cancel();
      w.wake = undefined;
      w.syncAbort.abort();
    }
    // A termination in flight (a StopContainer waiting out a grace period) is not waited for
    // beyond a moment: the agent stops promptly, and the next start sees the pod still being
    // deleted and stops it then, with whatever grace period is left.
    let timer: { cancel(): void } | undefined;
    await Promise.race([
      Promise.all([...this.#workers.values()].map((w) => w.loop)).then(() => this.#relisting),
      new Promise<void>((resolve) => {
        timer = this.#deps.clock.setTimeout(resolve, STOP_WAIT_MS);
      }),
    ]);
    timer?.cancel();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  /** A pod bound to this node was added or changed (including one being deleted). */
  update(pod: Pod): void {
    const uid = pod.metadata?.uid;
    if (!uid || this.#stopped) return;
    let w = this.#workers.get(uid);
    if (w === undefined) {
      w = this.#newWorker(uid, pod, true);
      this.#workers.set(uid, w);
    } else {
      w.pod = pod;
      w.known = true;
      if (w.terminationDeadlineMs !== undefined && pod.metadata?.deletionTimestamp) {
        this.#shortenGracePeriod(w, this.#podGracePeriod(pod, true));
      }
      if (pod.metadata?.deletionTimestamp) w.syncAbort.abort(); // stop starting things
    }
    this.#schedule(w);
  }

  /**
   * A pod being terminated got a shorter grace period (`kubectl delete --grace-period=0
   * --force`): stop waiting for its preStop hooks and stop its containers within the new one.
   */
  #shortenGracePeriod(w: Worker, graceSeconds: number): void {
    const now = this.#deps.clock.now();
    const deadlineMs = now + graceSeconds * 1000;
    if (w.terminationDeadlineMs === undefined || deadlineMs >= w.terminationDeadlineMs) return;
    w.terminationDeadlineMs = deadlineMs;
    w.shortened.abort();
    const timeout = Math.max(MINIMUM_GRACE_PERIOD_SECONDS, graceSeconds);
    for (const c of w.runtime.containers) {
      if (c.status.state !== "CONTAINER_RUNNING") continue;
      this.#deps.runtime.stopContainer({ containerId: c.status.id, timeout }).catch((err) => {
        this.#log.warn("Cannot stop container", { containerId: c.status.id, err });
      });
    }
  }

  /** The pod with UID `podUid` is gone from the API: kill whatever still runs of it. */
  forget(podUid: string): void {
    if (this.#stopped) return;
    const w = this.#workers.get(podUid);
    if (w === undefined) return;
    w.forgotten = true;
    w.syncAbort.abort();
    this.#schedule(w);
  }

  /**
   * Kills what the runtime runs of pods that are not in `desiredPodUids` (pods deleted while the
   * agent was down). Call once the pod source has synced.
   */
  removeOrphans(desiredPodUids: Iterable<string>): void {
    const keep = new Set(desiredPodUids);
    for (const w of this.#workers.values()) {
      if (!keep.has(w.uid) && !w.known) this.forget(w.uid);
    }
  }

  /** A probe verdict changed: resync its pod (liveness and startup failures restart). */
  handleProbeResult(update: { readonly podUid: string }): void {
    const w = this.#workers.get(update.podUid);
    if (w !== undefined && w.phase === "running") this.#schedule(w);
  }

  /** Resolves once no worker has a sync running or due (for tests and shutdown). */
  async idle(): Promise<void> {
    for (;;) {
      const loops = [...this.#workers.values()].map((w) => w.loop).filter((l) => l !== undefined);
      if (loops.length === 0 && this.#relisting === undefined) return;
      await Promise.all([...loops, this.#relisting]);
    }
  }

  /** The pods bound to the node that the workers were given and have not finished removing. */
  desiredPods(): ReadonlyArray<Pod> {
    return [...this.#workers.values()]
      .filter((w) => w.known && !w.forgotten && w.phase !== "removed")
      .map((w) => w.pod);
  }

  /** The pods the workers know with what the runtime has of them. */
  runningPods(): ReadonlyArray<RunningPod> {
    const out: RunningPod[] = [];
    for (const w of this.#workers.values()) {
      if (w.phase === "removed") continue;
      const { sandboxes, containers } = w.runtime;
      if (sandboxes.length === 0 && containers.length === 0) continue;
      const latest = new Map<string, RunningContainer>();
      for (const c of containers) {
        const name = c.status.metadata?.name ?? "";
        if (latest.has(name)) continue;
        latest.set(name, {
          name,
          id: c.status.id,
          restartCount: restartCountOf(c.status.annotations, c.status.metadata?.attempt ?? 0),
          logPath: c.status.logPath,
          state: STATE_NAMES[c.status.state],
        });
      }
      out.push({
        pod: w.pod,
        ...(sandboxes[0] ? { sandboxId: sandboxes[0].id } : {}),
        containers: [...latest.values()],
      });
    }
    return out;
  }

  /**
   * The newest instance of a container (or, with `previous`, the one before it) of the pod
   * `namespace/podName`; the newest pod of that name when several are known.
   */
  findContainer(
    namespace: string,
    podName: string,
    containerName: string,
    options: { readonly previous?: boolean } = {},
  ): FoundContainer | undefined {
    const candidates = [...this.#workers.values()].filter((w) =>
      w.phase !== "removed" && w.pod.metadata?.namespace === namespace &&
      w.pod.metadata?.name === podName
    );
    candidates.sort((a, b) => (b.known ? 1 : 0) - (a.known ? 1 : 0));
    for (const w of candidates) {
      const instances = w.runtime.containers.filter((c) =>
        c.status.metadata?.name === containerName
      );
      const c = instances[options.previous ? 1 : 0];
      if (c === undefined) continue;
      return {
        podUid: w.uid,
        containerId: c.status.id,
        logPath: c.status.logPath,
        sandboxId: c.sandboxId,
      };
    }
    return undefined;
  }

  // ---- Scheduling --------------------------------------------------------------------------

  #newWorker(uid: string, pod: Pod, known: boolean): Worker {
    return {
      uid,
      pod,
      known,
      forgotten: false,
      phase: "running",
      dirty: false,
      loop: undefined,
      wake: undefined,
      wakeAtMs: Infinity,
      runtime: EMPTY_RUNTIME_POD,
      startFailures: new Map(),
      terminatingSinceMs: undefined,
      terminationDeadlineMs: undefined,
      shortened: new AbortController(),
      messages: new Map(),
      syncAbort: new AbortController(),
      firstSeenMs: this.#deps.clock.now(),
      failed: undefined,
      killed: new Set(),
    };
  }

  #schedule(w: Worker): void {
    if (this.#stopped) return;
    w.dirty = true;
    if (w.loop !== undefined) return;
    w.loop = this.#run(w).finally(() => {
      w.loop = undefined;
      // Asked again between the end of the loop and now.
      if (w.dirty) this.#schedule(w);
    });
  }

  /** Resyncs `w` at `atMs` (the earliest of the requested times wins). */
  #wakeAt(w: Worker, atMs: number): void {
    if (this.#stopped || atMs >= w.wakeAtMs) return;
    w.wake?.cancel();
    w.wakeAtMs = atMs;
    w.wake = this.#deps.clock.setTimeout(() => {
      w.wake = undefined;
      w.wakeAtMs = Infinity;
      this.#schedule(w);
    }, Math.max(0, atMs - this.#deps.clock.now()));
  }

  async #run(w: Worker): Promise<void> {
    while (w.dirty && !this.#stopped) {
      w.dirty = false;
      try {
        await this.#sync(w);
      } catch (err) {
        // A sync cut short by the agent stopping (the runtime connection closing) is no error.
        if (this.#stopped) break;
        this.#log.error("Error syncing pod, skipping", { pod: formatPod(w.pod), err });
        this.#wakeAt(w, this.#deps.clock.now() + (this.#options.retryDelayMs ?? 10_000));
      }
    }
    this.#armRelist();
  }

  // ---- Exit detection (PLEG relist) --------------------------------------------------------

  #needsRelist(): boolean {
    for (const w of this.#workers.values()) {
      if (w.phase !== "running") continue;
      if (
        w.runtime.containers.some((c) =>
          c.status.state === "CONTAINER_RUNNING" || c.status.state === "CONTAINER_CREATED"
        )
      ) return true;
    }
    return false;
  }

  #armRelist(): void {
    if (this.#stopped || this.#relisting) return;
    if (!this.#needsRelist()) {
      this.#relistTimer?.cancel();
      this.#relistTimer = undefined;
      return;
    }
    if (this.#relistTimer) return;
    this.#relistTimer = this.#deps.clock.setTimeout(() => {
      this.#relistTimer = undefined;
      this.#relisting = this.#relist().finally(() => {
        this.#relisting = undefined;
        this.#armRelist();
      });
    }, this.#options.relistPeriodMs ?? 1000);
  }

  async #relist(): Promise<void> {
    let containers;
    try {
      ({ containers } = await this.#deps.runtime.listContainers({}));
    } catch (err) {
      this.#log.warn("Cannot relist containers", { err });
      return;
    }
    const next = new Map<string, { uid: string; state: string }>();
    const changed = new Set<string>();
    for (const c of containers) {
      const uid = c.labels[POD_UID_LABEL];
      if (!uid) continue;
      next.set(c.id, { uid, state: c.state });
      if (this.#seen.get(c.id)?.state !== c.state) changed.add(uid);
    }
    for (const [id, old] of this.#seen) if (!next.has(id)) changed.add(old.uid);
    this.#seen = next;
    for (const uid of changed) {
      const w = this.#workers.get(uid);
      if (w !== undefined && w.phase === "running" && (w.known || w.forgotten)) this.#schedule(w);
    }
  }

  #remember(w: Worker): void {
    for (const [id, s] of [...this.#seen]) if (s.uid === w.uid) this.#seen.delete(id);
    for (const c of w.runtime.containers) {
      this.#seen.set(c.status.id, { uid: w.uid, state: c.status.state });
    }
  }

  // ---- Sync --------------------------------------------------------------------------------

  #record(pod: Pod, type: EventType, reason: string, message: string): void {
    // List items may come without kind: the event's involvedObject needs it.
    const ref = { apiVersion: "v1", kind: "Pod", metadata: pod.metadata ?? {} };
    this.#deps.recorder.event(ref, { type, reason, message });
  }

  #probeView(): ProbeView {
    const probes = this.#deps.probes;
    const runtimeName = this.#options.runtimeName ?? "containerd";
    if (!probes) return { failed: () => undefined, started: () => true };
    return {
      failed: (id) => {
        const full = `${runtimeName}://${id}`;
        if (probes.result("liveness", full) === "failure") return "liveness";
        if (probes.result("startup", full) === "failure") return "startup";
        return undefined;
      },
      started: (id, c) =>
        c.startupProbe === undefined ||
        probes.result("startup", `${runtimeName}://${id}`) === "success",
    };
  }

  #report(w: Worker, terminal: boolean): void {
    this.#remember(w);
    if (!w.known) return;
    const containers = w.runtime.containers.map((c) => c.status);
    this.#deps.statusManager.setPodStatus(w.pod, {
      sandbox: w.runtime.sandboxStatus,
      containers,
      startFailures: new Map(w.startFailures),
      terminal,
      ...(w.failed ? { failed: w.failed } : {}),
    });
  }

  async #refresh(w: Worker): Promise<void> {
    const runtime = await readRuntimePod(this.#deps.runtime, w.uid);
    // Exited instances carry their termination message (read once per instance).
    const ids = new Set(runtime.containers.map((c) => c.status.id));
    for (const id of [...w.messages.keys()]) if (!ids.has(id)) w.messages.delete(id);
    const containers = await Promise.all(runtime.containers.map(async (c) => {
      if (c.status.state !== "CONTAINER_EXITED" || c.status.message !== "") return c;
      let message = w.messages.get(c.status.id);
      if (!w.messages.has(c.status.id)) {
        message = await terminationMessage(c.status);
        w.messages.set(c.status.id, message);
      }
      return message === undefined ? c : { ...c, status: { ...c.status, message } };
    }));
    w.runtime = { ...runtime, containers };
  }

  async #sync(w: Worker): Promise<void> {
    if (w.phase === "removed") {
      if (w.forgotten) this.#drop(w);
      return;
    }
    if (!w.known && !w.forgotten) return; // adopted: wait for the API's copy
    if (w.syncAbort.signal.aborted) w.syncAbort = new AbortController();
    await this.#refresh(w);
    const exitedBefore = exitedIds(w.runtime);
    w.killed.clear();
    const pod = w.pod;
    if (w.forgotten || pod.metadata?.deletionTimestamp) {
      await this.#terminate(w);
      return;
    }
    if (w.phase === "finished") {
      this.#report(w, true);
      return;
    }
    const actions = computePodActions(pod, { runtime: w.runtime, probes: this.#probeView() });
    const nothingToStart = actions.initContainersToStart.length === 0 &&
      actions.containersToStart.length === 0;
    // A pod the API already shows finished never runs again (even if the runtime lost it).
    const terminalPhase = pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed";
    const deadlineExceeded = this.#activeDeadlineExceeded(w);
    if (
      terminalPhase || deadlineExceeded ||
      (actions.killPod && !actions.createSandbox && nothingToStart)
    ) {
      // The pod is done: nothing will run again.
      await this.#killPod(w, { gracePeriodSeconds: this.#podGracePeriod(pod, false) });
      await this.#refresh(w);
      w.phase = "finished";
      this.#report(w, true);
      this.#deps.probes?.removePod(w.uid);
      await this.#tearDownVolumes(w);
      return;
    }
    if (actions.killPod) {
      if (w.runtime.sandboxes.length > 0) {
        this.#record(
          pod,
          "Normal",
          "SandboxChanged",
          "Pod sandbox changed, it will be killed and re-created.",
        );
      }
      await this.#killPod(w, { gracePeriodSeconds: this.#podGracePeriod(pod, false) });
    }
    for (const kill of actions.containersToKill) await this.#killContainer(w, kill);

    let volumes: ReadonlyMap<string, MountedVolume>;
    try {
      volumes = await this.#deps.volumes.setUpPod(pod);
    } catch (err) {
      if (err instanceof VolumeSetUpError) {
        for (const f of err.failures) this.#record(pod, "Warning", "FailedMount", f.message);
      } else {
        this.#record(pod, "Warning", "FailedMount", errorText(err));
      }
      this.#report(w, false);
      this.#retry(w, "volumes");
      return;
    }
    this.#retryBackoff.reset(`${w.uid}/volumes`);
    this.#deps.probes?.addPod(pod);

    const nodeIps = this.#deps.node.ips();
    let generated: PodSandboxConfig;
    try {
      generated = generatePodSandboxConfig(pod, {
        ...this.#options.sandbox,
        attempt: actions.attempt,
        nodeHostname: this.#deps.node.hostname,
        nodeIps,
        recordEvent: (e) => {
          if (e.on === "pod") this.#record(pod, e.type, e.reason, e.message);
        },
      });
    } catch (err) {
      // A hostname or resolv.conf the sandbox cannot be made with: upstream's message.
      this.#record(
        pod,
        "Warning",
        "FailedCreatePodSandBox",
        `Failed to create pod sandbox: ${errorText(err)}`,
      );
      this.#report(w, false);
      this.#retry(w, "sandbox");
      return;
    }
    // A host-network sandbox shares the node's UTS namespace: runc refuses to set a hostname
    // there, and the kubelet sends none.
    const sandboxConfig = pod.spec?.hostNetwork === true
      ? { ...generated, hostname: "" }
      : generated;
    let sandboxId = actions.sandboxId;
    if (actions.createSandbox) {
      try {
        ({ podSandboxId: sandboxId } = await this.#deps.runtime.runPodSandbox({
          config: sandboxConfig,
        }));
      } catch (err) {
        this.#record(
          pod,
          "Warning",
          "FailedCreatePodSandBox",
          `Failed to create pod sandbox: ${grpcErrorText(err)}`,
        );
        await this.#refresh(w);
        this.#report(w, false);
        this.#retry(w, "sandbox");
        return;
      }
      this.#retryBackoff.reset(`${w.uid}/sandbox`);
      await this.#refresh(w);
    }
    if (sandboxId === undefined) return;
    const podIps = pod.spec?.hostNetwork === true ? [...nodeIps] : this.#podIps(w);
    const toStart = actions.initContainersToStart.length + actions.containersToStart.length;
    const etcHostsPath = toStart > 0 ? await this.#etcHosts(w, podIps) : undefined;
    const start = {
      sandboxId,
      sandboxConfig,
      volumes,
      podIps,
      nodeIps,
      ...(etcHostsPath !== undefined ? { etcHostsPath } : {}),
    };
    let started = false;
    for (const c of actions.initContainersToStart) {
      const ok = await this.#startContainer(w, c, start);
      started ||= ok;
      // A sidecar that runs lets the next init container (or the containers) start: sync again.
      if (ok && c.restartPolicy === "Always" && actions.containersToStart.length === 0) {
        w.dirty = true;
      }
      if (!ok && c.restartPolicy !== "Always") break;
    }
    for (const c of actions.containersToStart) {
      started = await this.#startContainer(w, c, start) || started;
    }
    await this.#refresh(w);
    if (started) await this.#pruneInstances(w);
    // A container that exited by itself while this sync ran (one that crashes at once may be
    // gone before the sync reads the runtime back) is recorded as seen by the report below, so
    // no relist will see its exit change: sync again to act on it (restart, back off, finish).
    const id = (c: RuntimeContainer) => c.status.id;
    if (
      w.runtime.containers.some((c) =>
        isExited(c) && !exitedBefore.has(id(c)) && !w.killed.has(id(c))
      )
    ) w.dirty = true;
    this.#report(w, false);
  }

  /** Writes the pod's managed /etc/hosts (with a pods directory); answers its path. */
  async #etcHosts(w: Worker, podIps: readonly string[]): Promise<string | undefined> {
    const podsDir = this.#options.podsDir;
    if (podsDir === undefined || podIps.length === 0) return undefined;
    const pod = w.pod;
    let nodeHostsText: string | undefined;
    if (pod.spec?.hostNetwork === true) {
      nodeHostsText = await Deno.readTextFile(this.#options.nodeHostsFile ?? "/etc/hosts").catch(
        () => "",
      );
    }
    const text = podHostsFile(pod, {
      podIps,
      ...(this.#options.sandbox.clusterDomain !== undefined
        ? { clusterDomain: this.#options.sandbox.clusterDomain }
        : {}),
      ...(nodeHostsText !== undefined ? { nodeHostsText } : {}),
    });
    try {
      return await writePodHostsFile(`${podsDir}/${w.uid}`, text);
    } catch (err) {
      this.#log.warn("Cannot write the pod's hosts file", { pod: formatPod(pod), err });
      return undefined;
    }
  }

  /**
   * Whether the pod ran longer than its `activeDeadlineSeconds` (then it fails with
   * `DeadlineExceeded`); otherwise a wake-up is set for when it will have.
   */
  #activeDeadlineExceeded(w: Worker): boolean {
    const pod = w.pod;
    const deadline = pod.spec?.activeDeadlineSeconds;
    if (deadline === undefined || deadline === null) return false;
    const started = Date.parse(pod.status?.startTime ?? "");
    const startMs = Number.isFinite(started) ? started : w.firstSeenMs;
    const endMs = startMs + Number(deadline) * 1000;
    if (this.#deps.clock.now() < endMs) {
      this.#wakeAt(w, endMs);
      return false;
    }
    if (w.failed === undefined) {
      const message = "Pod was active on the node longer than the specified deadline";
      w.failed = { reason: "DeadlineExceeded", message };
      this.#record(pod, "Normal", "DeadlineExceeded", message);
    }
    return true;
  }

  #podIps(w: Worker): string[] {
    const net = w.runtime.sandboxStatus?.network;
    if (!net || net.ip === "") return [];
    return [net.ip, ...net.additionalIps.map((a) => a.ip)];
  }

  #retry(w: Worker, what: string): void {
    const key = `${w.uid}/${what}`;
    const now = this.#deps.clock.now();
    if (!this.#retryBackoff.isInBackoffSinceUpdate(key)) this.#retryBackoff.next(key, now);
    this.#wakeAt(w, (this.#retryBackoff.lastUpdate(key) ?? now) + this.#retryBackoff.get(key));
  }

  /**
   * Removes exited instances beyond the newest two of each container, stale created ones, and
   * sandboxes of earlier attempts left without containers.
   */
  async #pruneInstances(w: Worker): Promise<void> {
    const count = new Map<string, number>();
    const gone = new Set<string>();
    let removed = false;
    for (const c of w.runtime.containers) {
      const name = c.status.metadata?.name ?? "";
      const n = (count.get(name) ?? 0) + 1;
      count.set(name, n);
      // An older instance that was only created (its start failed) never ran: remove it.
      const stale = n > 1 && c.status.state === "CONTAINER_CREATED";
      if (!stale && (n <= KEPT_INSTANCES || c.status.state !== "CONTAINER_EXITED")) continue;
      try {
        await this.#deps.runtime.removeContainer({ containerId: c.status.id });
        gone.add(c.status.id);
        removed = true;
      } catch (err) {
        this.#log.warn("Cannot remove old container", { containerId: c.status.id, err });
      }
    }
    // Sandboxes of earlier attempts go once none of their containers is kept.
    for (const sb of w.runtime.sandboxes.slice(1)) {
      const kept = w.runtime.containers.some((c) =>
        c.sandboxId === sb.id && !gone.has(c.status.id)
      );
      if (sb.state === "SANDBOX_READY" || kept) continue;
      try {
        await this.#deps.runtime.removePodSandbox({ podSandboxId: sb.id });
        removed = true;
      } catch (err) {
        this.#log.warn("Cannot remove old pod sandbox", { sandboxId: sb.id, err });
      }
    }
    if (removed) await this.#refresh(w);
  }

  // ---- Starting containers -----------------------------------------------------------------

  async #startContainer(
    w: Worker,
    container: Container,
    ctx: {
      readonly sandboxId: string;
      readonly sandboxConfig: PodSandboxConfig;
      readonly volumes: ReadonlyMap<string, MountedVolume>;
      readonly podIps: readonly string[];
      readonly nodeIps: readonly string[];
      readonly etcHostsPath?: string;
    },
  ): Promise<boolean> {
    const pod = w.pod;
    const m = pod.metadata ?? {};
    const name = container.name;
    const record = (type: EventType, reason: string, message: string) =>
      this.#record(pod, type, reason, message);
    const fail = (reason: string, message: string) => {
      w.startFailures.set(name, { reason, message });
      return false;
    };
    if (w.syncAbort.signal.aborted) return false; // being deleted: start nothing more
    const latest = w.runtime.containers.find((c) => c.status.metadata?.name === name)?.status;
    // CrashLoopBackOff: a container waits after the last of its instances that exited, as the
    // kubelet's doBackOff looks for the newest *exited* one: one killed in this same sync (a
    // failed liveness probe) is not seen as exited yet, and its predecessor's exit counts.
    const exited = w.runtime.containers.find((c) =>
      c.status.metadata?.name === name && c.status.state === "CONTAINER_EXITED"
    )?.status;
    if (exited) {
      const key = `${m.name}_${m.namespace}_${m.uid}_${name}_${containerHash(container)}`;
      const finishedMs = nsToMs(exited.finishedAt);
      if (this.#backoff.isInBackoffSince(key, finishedMs)) {
        const wait = this.#backoff.get(key);
        record(
          "Warning",
          "BackOff",
          `Back-off restarting failed container ${name} in pod ${formatPod(pod)}`,
        );
        this.#wakeAt(w, finishedMs + wait);
        return fail(
          "CrashLoopBackOff",
          `back-off ${goDuration(wait)} restarting failed container=${name} pod=${formatPod(pod)}`,
        );
      }
      this.#backoff.next(key, finishedMs);
    }

    let image;
    try {
      image = await this.#images.ensureImage(pod, {
        container,
        sandboxConfig: ctx.sandboxConfig,
        record,
        signal: w.syncAbort.signal,
      });
    } catch (err) {
      if (!(err instanceof ImagePullError)) throw err;
      record("Warning", "Failed", `Error: ${err.reason}`);
      const endsAt = this.#images.backoffEndsAt(pod, container.image ?? "");
      if (endsAt !== undefined) this.#wakeAt(w, endsAt);
      else this.#retry(w, `image/${name}`);
      return fail(err.reason, err.message);
    }

    const restartCount = latest
      ? restartCountOf(latest.annotations, latest.metadata?.attempt ?? 0) + 1
      : await this.#restartCountFromLogs(pod, name);
    let config;
    try {
      const podsDir = this.#options.podsDir;
      const terminationMessageHostPath = podsDir !== undefined && container.terminationMessagePath
        ? await createTerminationMessageFile(`${podsDir}/${w.uid}/containers/${name}`)
        : undefined;
      config = await generateContainerConfig({
        pod,
        container,
        restartCount,
        imageRef: image.imageRef,
        imageUser: image.imageUser,
        volumes: [...ctx.volumes.values()],
        configMaps: this.#deps.configMaps,
        secrets: this.#deps.secrets,
        nodeAllocatable: this.#deps.node.allocatable(),
        memoryCapacityBytes: this.#deps.node.memoryCapacityBytes,
        podIps: ctx.podIps,
        hostIps: ctx.nodeIps,
        recordEvent: (e) => record("Warning", e.reason, e.message),
        ...(terminationMessageHostPath !== undefined ? { terminationMessageHostPath } : {}),
        ...(ctx.etcHostsPath !== undefined ? { etcHostsPath: ctx.etcHostsPath } : {}),
        ...(this.#options.cgroupV2 !== undefined ? { cgroupV2: this.#options.cgroupV2 } : {}),
      });
    } catch (err) {
      const message = errorText(err);
      record("Warning", "Failed", `Error: ${message}`);
      this.#retry(w, `config/${name}`);
      return fail(
        err instanceof CreateContainerConfigError ? err.reason : "CreateContainerConfigError",
        message,
      );
    }
    this.#retryBackoff.reset(`${w.uid}/config/${name}`);
    this.#retryBackoff.reset(`${w.uid}/image/${name}`);

    let containerId: string;
    try {
      ({ containerId } = await this.#deps.runtime.createContainer({
        podSandboxId: ctx.sandboxId,
        config,
        sandboxConfig: ctx.sandboxConfig,
      }));
    } catch (err) {
      const message = errorText(err);
      record("Warning", "Failed", `Error: ${message}`);
      this.#retry(w, `create/${name}`);
      return fail("CreateContainerError", message);
    }
    record("Normal", "Created", `Created container: ${name}`);
    try {
      await this.#deps.runtime.startContainer({ containerId });
    } catch (err) {
      const message = errorText(err);
      record("Warning", "Failed", `Error: ${message}`);
      // The instance exists and exited (or never ran): the restart backoff applies to it.
      this.#wakeAt(w, this.#deps.clock.now() + CONTAINER_BACKOFF.initialMs);
      return fail("RunContainerError", message);
    }
    record("Normal", "Started", `Started container ${name}`);

    const postStart = container.lifecycle?.postStart;
    if (postStart) {
      const message = await runLifecycleHook(postStart, {
        pod,
        container,
        containerId,
        runtime: this.#deps.runtime,
        clock: this.#deps.clock,
        podIp: ctx.podIps[0] ?? "",
        timeoutSeconds: 0,
        ...(this.#options.fetch ? { fetch: this.#options.fetch } : {}),
      });
      if (message !== undefined) {
        this.#log.warn("Failed to execute PostStartHook", {
          pod: formatPod(pod),
          container: name,
          message,
        });
        record("Warning", "FailedPostStartHook", "PostStartHook failed");
        await this.#killContainer(w, {
          id: containerId,
          name,
          message: "FailedPostStartHook",
          reason: "changed",
        });
        return fail("PostStartHookError", message);
      }
    }
    w.startFailures.delete(name);
    return true;
  }

  /**
   * The restart count of a container the runtime has no instance of: one more than the newest
   * `<n>.log` in its log directory (the runtime lost its state, e.g. after a reboot), else 0.
   */
  async #restartCountFromLogs(pod: Pod, name: string): Promise<number> {
    const dir = `${podLogsDirectory(pod, this.#options.sandbox.podLogsRoot)}/${name}`;
    let newest = -1;
    try {
      for await (const entry of Deno.readDir(dir)) {
        const m = /^(\d+)\.log/.exec(entry.name);
        if (m) newest = Math.max(newest, Number(m[1]));
      }
    } catch {
      return 0;
    }
    return newest + 1;
  }

  // ---- Killing -----------------------------------------------------------------------------

  /** The pod-level grace period: the deletion's, else the spec's (30 s by default). */
  #podGracePeriod(pod: Pod, deleting: boolean): number {
    const deletion = pod.metadata?.deletionGracePeriodSeconds;
    if (deleting && deletion !== undefined && deletion !== null) return Number(deletion);
    const spec = pod.spec?.terminationGracePeriodSeconds;
    if (spec !== undefined && spec !== null) return Number(spec);
    return DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS;
  }

  /** Runs the preStop hook and stops one container instance. */
  async #killContainer(
    w: Worker,
    kill: ContainerToKill,
    gracePeriodOverride?: number,
  ): Promise<void> {
    const pod = w.pod;
    const status = w.runtime.containers.find((c) => c.status.id === kill.id)?.status;
    let spec = specOf(pod, kill.name);
    let grace: number;
    if (spec === undefined) {
      // The spec is gone (an orphan): what the container's annotations recorded.
      const a = status?.annotations ?? {};
      let preStop;
      try {
        const raw = a[CONTAINER_LABELS.preStopHandler];
        preStop = raw ? JSON.parse(raw) : undefined;
      } catch {
        preStop = undefined;
      }
      spec = { name: kill.name, ...(preStop ? { lifecycle: { preStop } } : {}) };
      grace = optionalInt(a[CONTAINER_LABELS.deletionGracePeriod]) ??
        optionalInt(a[CONTAINER_LABELS.terminationGracePeriod]) ??
        DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS;
    } else {
      grace = this.#podGracePeriod(pod, pod.metadata?.deletionTimestamp !== undefined);
      const probe = kill.reason === "liveness"
        ? spec.livenessProbe
        : kill.reason === "startup"
        ? spec.startupProbe
        : undefined;
      const probeGrace = probe?.terminationGracePeriodSeconds;
      if (probeGrace !== undefined && probeGrace !== null && !pod.metadata?.deletionTimestamp) {
        grace = Number(probeGrace);
      }
    }
    if (gracePeriodOverride !== undefined) grace = gracePeriodOverride;
    this.#record(pod, "Normal", "Killing", kill.message || `Stopping container ${kill.name}`);
    const preStop = spec.lifecycle?.preStop;
    if (preStop && grace > 0 && status?.state === "CONTAINER_RUNNING") {
      const startMs = this.#deps.clock.now();
      const abort = new AbortController();
      const hook = runLifecycleHook(preStop, {
        pod,
        container: spec,
        containerId: kill.id,
        runtime: this.#deps.runtime,
        clock: this.#deps.clock,
        podIp: pod.status?.podIP ?? this.#podIps(w)[0] ?? this.#deps.node.ips()[0] ?? "",
        timeoutSeconds: grace,
        signal: abort.signal,
        ...(this.#options.fetch ? { fetch: this.#options.fetch } : {}),
      });
      let timer: TimerHandle | undefined;
      const timeout = new Promise<"timeout">((resolve) => {
        timer = this.#deps.clock.setTimeout(() => resolve("timeout"), grace * 1000);
        w.shortened.signal.addEventListener("abort", () => resolve("timeout"), { once: true });
        if (w.shortened.signal.aborted) resolve("timeout");
      });
      const outcome = await Promise.race([hook, timeout]);
      timer?.cancel();
      abort.abort();
      if (outcome === "timeout") {
        this.#log.info("PreStop hook not completed in grace period", {
          pod: formatPod(pod),
          container: kill.name,
          gracePeriod: grace,
        });
      } else if (outcome !== undefined) {
        this.#log.warn("PreStop hook failed", {
          pod: formatPod(pod),
          container: kill.name,
          message: outcome,
        });
        // Not the hook's message: it may show secrets (as upstream).
        this.#record(pod, "Warning", "FailedPreStopHook", "PreStopHook failed");
      }
      grace -= Math.floor((this.#deps.clock.now() - startMs) / 1000);
    }
    if (w.terminationDeadlineMs !== undefined && w.shortened.signal.aborted) {
      grace = Math.min(
        grace,
        Math.floor((w.terminationDeadlineMs - this.#deps.clock.now()) / 1000),
      );
    }
    if (grace < MINIMUM_GRACE_PERIOD_SECONDS) grace = MINIMUM_GRACE_PERIOD_SECONDS;
    w.killed.add(kill.id);
    try {
      await this.#deps.runtime.stopContainer({ containerId: kill.id, timeout: grace });
    } catch (err) {
      if (!(err instanceof CriError && err.isNotFound)) throw err;
    }
  }

  /**
   * Stops every running container of the pod (regular ones first, then sidecars in reverse
   * order), then its ready sandboxes.
   */
  async #killPod(
    w: Worker,
    options: { readonly gracePeriodSeconds: number | undefined },
  ): Promise<void> {
    const pod = w.pod;
    const startMs = w.terminatingSinceMs ?? this.#deps.clock.now();
    const running = w.runtime.containers.filter((c) =>
      c.status.state === "CONTAINER_RUNNING" || c.status.state === "CONTAINER_CREATED" ||
      c.status.state === "CONTAINER_UNKNOWN"
    );
    const total = options.gracePeriodSeconds;
    const remaining = () =>
      total === undefined
        ? undefined
        : Math.max(0, total - Math.floor((this.#deps.clock.now() - startMs) / 1000));
    const toKill = (c: (typeof running)[number]): ContainerToKill => ({
      id: c.status.id,
      name: c.status.metadata?.name ?? "",
      message: "",
      reason: "pod",
    });
    const regular = running.filter((c) => !isSidecarName(pod, c.status.metadata?.name ?? ""));
    const sidecars = running.filter((c) => isSidecarName(pod, c.status.metadata?.name ?? ""));
    await Promise.all(regular.map((c) => this.#killContainer(w, toKill(c), remaining())));
    const order = (pod.spec?.initContainers ?? []).map((c) => c.name).reverse();
    sidecars.sort((a, b) =>
      order.indexOf(a.status.metadata?.name ?? "") - order.indexOf(b.status.metadata?.name ?? "")
    );
    for (const c of sidecars) await this.#killContainer(w, toKill(c), remaining());
    for (const sb of w.runtime.sandboxes) {
      if (sb.state !== "SANDBOX_READY") continue;
      await this.#deps.runtime.stopPodSandbox({ podSandboxId: sb.id });
    }
  }

  async #tearDownVolumes(w: Worker): Promise<void> {
    try {
      await this.#deps.volumes.tearDownPod(w.uid);
    } catch (err) {
      this.#log.warn("Cannot tear down pod volumes", { pod: formatPod(w.pod), err });
    }
  }

  /** Terminates a pod being deleted (or gone from the API) and cleans up after it. */
  async #terminate(w: Worker): Promise<void> {
    const pod = w.pod;
    w.wake?.cancel();
    w.wake = undefined;
    w.wakeAtMs = Infinity;
    w.terminatingSinceMs ??= this.#deps.clock.now();
    this.#deps.probes?.removePod(w.uid);
    // An orphan (its spec unknown) is killed with what its containers' annotations recorded.
    const grace = w.known ? this.#podGracePeriod(pod, true) : undefined;
    if (grace !== undefined) w.terminationDeadlineMs ??= w.terminatingSinceMs + grace * 1000;
    await this.#killPod(w, { gracePeriodSeconds: grace });
    await this.#refresh(w);
    this.#report(w, true);
    for (const sb of w.runtime.sandboxes) {
      try {
        await this.#deps.runtime.removePodSandbox({ podSandboxId: sb.id });
      } catch (err) {
        this.#log.warn("Cannot remove pod sandbox", { pod: formatPod(pod), sandboxId: sb.id, err });
      }
    }
    const removed = new Set(w.runtime.sandboxes.map((sb) => sb.id));
    for (const c of w.runtime.containers) {
      if (removed.has(c.sandboxId)) continue; // removed with its sandbox
      try {
        await this.#deps.runtime.removeContainer({ containerId: c.status.id });
      } catch {
        // removed with its sandbox
      }
    }
    await this.#removePodFiles(w);
    await this.#tearDownVolumes(w);
    w.runtime = EMPTY_RUNTIME_POD;
    w.phase = "removed";
    this.#remember(w);
    const m = pod.metadata ?? {};
    this.#backoff.resetWhere((k) => k.startsWith(`${m.name}_${m.namespace}_${m.uid}_`));
    this.#retryBackoff.resetWhere((k) => k.startsWith(`${w.uid}/`));
    this.#images.forgetPod(w.uid);
    if (w.known && !w.forgotten) this.#deps.statusManager.podFinished(pod);
    this.#log.info("Pod terminated", { pod: formatPod(pod) });
    if (w.forgotten) this.#drop(w);
  }

  /** Removes what the workers wrote for a pod that is gone: hosts file, messages, logs. */
  async #removePodFiles(w: Worker): Promise<void> {
    const paths = [podLogsDirectory(w.pod, this.#options.sandbox.podLogsRoot)];
    const podsDir = this.#options.podsDir;
    if (podsDir !== undefined) {
      paths.push(`${podsDir}/${w.uid}/etc-hosts`, `${podsDir}/${w.uid}/containers`);
    }
    for (const path of paths) {
      try {
        await Deno.remove(path, { recursive: true });
      } catch (err) {
        if (!(err instanceof Deno.errors.NotFound)) {
          this.#log.warn("Cannot remove pod files", { pod: formatPod(w.pod), path, err });
        }
      }
    }
  }

  #drop(w: Worker): void {
    if (this.#workers.get(w.uid) !== w) return;
    this.#workers.delete(w.uid);
    this.#deps.statusManager.removePod(w.uid);
  }
}
