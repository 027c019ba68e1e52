/**
 * {@linkcode ProbeManager}: the kubelet's probe manager. It keeps one {@linkcode ProberWorker}
 * per (pod, container, probe kind) as pods come and go, caches the verdicts per container ID,
 * reports every change to a callback (the agent marks containers ready or restarts them), and
 * fills in `started` and `ready` of container statuses from them.
 *
 * @module
 */
import type {
  Container,
  ContainerStatus,
  Pod,
  PodStatus,
} from "../../control/api/types/core_v1_pod.ts";
import type { Clock } from "../../control/util/clock.ts";
import type { Logger } from "../../control/util/logger.ts";
import { type ContainerProbeResult, type ProbeKind, probeOf } from "./prober.ts";
import {
  type ProbeResultEntry,
  type ProbeResultStore,
  type ProbeRunner,
  ProberWorker,
} from "./prober_worker.ts";

/** A change of a container's probe verdict. */
export interface ProbeResultUpdate {
  readonly kind: ProbeKind;
  readonly podUid: string;
  readonly pod: Pod;
  readonly containerName: string;
  /** The runtime's container ID as the status has it (`containerd://…`). */
  readonly containerId: string;
  readonly result: ContainerProbeResult;
  /**
   * The probe's own `terminationGracePeriodSeconds`, for killing the container after a
   * liveness or startup failure instead of the pod's.
   */
  readonly terminationGracePeriodSeconds?: number;
}

/** What a {@linkcode ProbeManager} needs. */
export interface ProbeManagerDeps {
  readonly clock: Clock;
  /** Runs the probes (a {@linkcode Prober}). */
  readonly prober: ProbeRunner;
  /** The pod's latest status, by UID. */
  readonly getPodStatus: (podUid: string) => PodStatus | undefined;
  /** Receives every change of a verdict. */
  readonly onResult: (update: ProbeResultUpdate) => void;
  /** Picks the first run's jitter within a period after the agent starts (default Math.random). */
  readonly random?: () => number;
  readonly logger?: Logger;
}

const KINDS: readonly ProbeKind[] = ["startup", "readiness", "liveness"];

function workerKey(podUid: string, containerName: string, kind: ProbeKind): string {
  return `${podUid}/${containerName}/${kind}`;
}

/** The containers probed: app containers and restartable (sidecar) init containers. */
function probedContainers(pod: Pod): Container[] {
  const sidecars = (pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === "Always");
  return [...sidecars, ...(pod.spec?.containers ?? [])];
}

/** Runs the probes of the pods on this node. */
export class ProbeManager {
  readonly #deps: ProbeManagerDeps;
  readonly #startMs: number;
  readonly #workers = new Map<string, ProberWorker>();
  readonly #results: Record<ProbeKind, Map<string, ContainerProbeResult>> = {
    liveness: new Map(),
    readiness: new Map(),
    startup: new Map(),
  };
  readonly #store: ProbeResultStore;

  constructor(deps: ProbeManagerDeps) {
    this.#deps = deps;
    this.#startMs = deps.clock.now();
    this.#store = {
      set: (kind, entry) => this.#set(kind, entry),
      remove: (kind, containerId) => this.#results[kind].delete(containerId),
    };
  }

  /** The number of running workers. */
  get size(): number {
    return this.#workers.size;
  }

  /** Starts workers for `pod`'s probes not running yet; running ones see the newer pod. */
  addPod(pod: Pod): void {
    const podUid = pod.metadata?.uid ?? "";
    for (const container of probedContainers(pod)) {
      for (const kind of KINDS) {
        const spec = probeOf(container, kind);
        if (!spec) continue;
        const key = workerKey(podUid, container.name, kind);
        const existing = this.#workers.get(key);
        if (existing) {
          existing.updatePod(pod);
          continue;
        }
        const periodMs = Math.max(1, spec.periodSeconds ?? 10) * 1000;
        // Right after an agent start, spread the first runs over a period.
        const sinceStartMs = this.#deps.clock.now() - this.#startMs;
        const initialDelayMs = periodMs > sinceStartMs
          ? Math.floor((this.#deps.random ?? Math.random)() * periodMs)
          : 0;
        const worker: ProberWorker = new ProberWorker({
          kind,
          pod,
          container,
          clock: this.#deps.clock,
          prober: this.#deps.prober,
          results: this.#store,
          getPodStatus: this.#deps.getPodStatus,
          initialDelayMs,
          onStop: () => {
            if (this.#workers.get(key) === worker) this.#workers.delete(key);
          },
          ...(this.#deps.logger ? { logger: this.#deps.logger } : {}),
        });
        this.#workers.set(key, worker);
        worker.start();
      }
    }
  }

  /** Stops the workers of the pod with UID `podUid`. */
  removePod(podUid: string): void {
    for (const worker of [...this.#workers.values()]) {
      if (worker.podUid === podUid) worker.stop();
    }
  }

  /** Stops the workers of every pod whose UID is not in `desiredPodUids`. */
  cleanupPods(desiredPodUids: Iterable<string>): void {
    const keep = new Set(desiredPodUids);
    for (const worker of [...this.#workers.values()]) {
      if (!keep.has(worker.podUid)) worker.stop();
    }
  }

  /** Stops every worker. */
  stop(): void {
    for (const worker of [...this.#workers.values()]) worker.stop();
  }

  /** The cached verdict of `containerId`'s probe of `kind`. */
  result(kind: ProbeKind, containerId: string): ContainerProbeResult | undefined {
    return this.#results[kind].get(containerId);
  }

  /**
   * `status` with `started` and `ready` of its container statuses set from the verdicts, as the
   * kubelet's `UpdatePodStatus`: a running container without a startup probe has started, one
   * without a readiness probe is ready once started. A started container whose readiness is not
   * known yet gets its readiness probe run now.
   */
  updatePodStatus(pod: Pod, status: PodStatus): PodStatus {
    const podUid = pod.metadata?.uid ?? "";
    const update = (statuses: readonly ContainerStatus[] | undefined, sidecarsOnly: boolean) =>
      statuses?.map((c) => this.#updateContainer(pod, podUid, c, sidecarsOnly));
    const containerStatuses = update(status.containerStatuses, false);
    const initContainerStatuses = update(status.initContainerStatuses, true);
    return {
      ...status,
      ...(containerStatuses ? { containerStatuses } : {}),
      ...(initContainerStatuses ? { initContainerStatuses } : {}),
    };
  }

  #updateContainer(
    pod: Pod,
    podUid: string,
    c: ContainerStatus,
    sidecarsOnly: boolean,
  ): ContainerStatus {
    if (sidecarsOnly) {
      const spec = (pod.spec?.initContainers ?? []).find((i) => i.name === c.name);
      if (spec?.restartPolicy !== "Always") return c;
    }
    const id = c.containerID ?? "";
    let started: boolean;
    if (!c.state?.running) started = false;
    else {
      const result = this.#results.startup.get(id);
      started = result !== undefined
        ? result === "success"
        : !this.#workers.has(workerKey(podUid, c.name, "startup"));
    }
    if (!started) return { ...c, started, ready: false };
    let ready: boolean;
    if (this.#results.readiness.get(id) === "success") ready = true;
    else {
      const worker = this.#workers.get(workerKey(podUid, c.name, "readiness"));
      ready = worker === undefined;
      worker?.trigger();
    }
    return { ...c, started, ready };
  }

  #set(kind: ProbeKind, entry: ProbeResultEntry): void {
    const { containerId, result, pod, container } = entry;
    const results = this.#results[kind];
    if (results.get(containerId) === result) return;
    results.set(containerId, result);
    const grace = probeOf(container, kind)?.terminationGracePeriodSeconds;
    this.#deps.onResult({
      kind,
      podUid: pod.metadata?.uid ?? "",
      pod,
      containerName: container.name,
      containerId,
      result,
      ...(grace !== undefined && grace !== null
        ? { terminationGracePeriodSeconds: Number(grace) }
        : {}),
    });
  }
}
