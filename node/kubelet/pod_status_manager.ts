/**
 * {@linkcode PodStatusManager}: the kubelet's status manager. The pod workers hand it what they
 * observed in the runtime; it computes the pod's status with {@linkcode generatePodStatus}
 * (probe verdicts included), keeps it for the probe workers and the agent, and writes
 * `pods/status` through the API only when {@linkcode podStatusChanged} says it differs from the
 * last one written: one write at a time per pod, the newest status wins, a conflict re-reads
 * the pod and tries again (conditions other components own are kept), other failures retry
 * after 10 s. Once a pod with a `deletionTimestamp` is finished on the node (its containers
 * stopped, volumes torn down), its final status is written and it is deleted with
 * `gracePeriodSeconds: 0` and a UID precondition, as the kubelet does.
 *
 * Static pods: {@linkcode PodStatusManagerDeps.statusTarget} maps a pod to the API pod its
 * status goes to (its mirror pod), or to nothing (no write, no final delete).
 *
 * @module
 */
import type { Pod, PodCondition, PodStatus } from "../../control/api/types/core_v1_pod.ts";
import type { Status } from "../../control/api/types/meta_v1.ts";
import { isConflict, isNotFound } from "../../control/client/errors.ts";
import type { Clock, TimerHandle } from "../../control/util/clock.ts";
import type { Logger } from "../../control/util/logger.ts";
import type { ContainerStatus as CriContainerStatus, PodSandboxStatus } from "../cri/types.ts";
import {
  type ContainerProbeResults,
  type ContainerStartFailure,
  generatePodStatus,
  podStatusChanged,
} from "../pods/pod_status.ts";
import type { ContainerProbeResult, ProbeKind } from "../probes/prober.ts";

/** The pod API calls the status manager makes ({@linkcode ResourceClient} of pods is one). */
export interface PodStatusApi {
  get(name: string, options: { readonly namespace?: string }): Promise<Pod>;
  updateStatus(obj: Pod, options?: { readonly namespace?: string }): Promise<Pod>;
  delete(
    name: string,
    options: {
      readonly namespace?: string;
      readonly gracePeriodSeconds?: number;
      readonly preconditions?: { readonly uid?: string };
    },
  ): Promise<Pod | Status>;
}

/** Probe verdicts by runtime container ID (`containerd://…`); a ProbeManager is one. */
export interface ProbeResults {
  result(kind: ProbeKind, containerId: string): ContainerProbeResult | undefined;
}

/** What a {@linkcode PodStatusManager} needs. */
export interface PodStatusManagerDeps {
  readonly pods: PodStatusApi;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The node's IPs, primary first. */
  readonly nodeIPs: () => readonly string[];
  readonly probes?: ProbeResults;
  /** Runtime name in container IDs. @default "containerd" */
  readonly runtimeName?: string;
  /**
   * The API pod `pod`'s status is written to: the pod itself by default; a static pod's mirror
   * pod; `undefined` to write nothing (a static pod without a mirror yet).
   */
  readonly statusTarget?: (pod: Pod) => Pod | undefined;
  /** Wait before retrying a failed write. @default {10000} */
  readonly retryDelayMs?: number;
  /** Conflicts retried at once before waiting. @default {5} */
  readonly conflictRetries?: number;
}

/** What the pod workers observed of a pod. */
export interface ObservedPod {
  readonly sandbox: PodSandboxStatus | null;
  readonly containers: readonly CriContainerStatus[];
  readonly startFailures?: ReadonlyMap<string, ContainerStartFailure>;
  /** The workers are done with the pod: stopped containers will not restart. */
  readonly terminal?: boolean;
  /**
   * The node failed the pod (its active deadline passed): phase `Failed` with this reason and
   * message, as the kubelet's pod sync handlers set them.
   */
  readonly failed?: { readonly reason: string; readonly message: string };
}

interface Entry {
  pod: Pod;
  status: PodStatus;
  /** The status last written (or read from the API). */
  written: PodStatus | undefined;
  dirty: boolean;
  finalDelete: boolean;
  deleted: boolean;
  writing: Promise<void> | undefined;
  retry: TimerHandle | undefined;
}

const KUBELET_OWNED = new Set([
  "PodReadyToStartContainers",
  "Initialized",
  "Ready",
  "ContainersReady",
  "PodScheduled",
]);

function keyOf(pod: Pod): string {
  return `${pod.metadata?.namespace ?? ""}/${pod.metadata?.name ?? ""}`;
}

/** Keeps the pods' statuses and writes them to the API. */
export class PodStatusManager {
  readonly #deps: PodStatusManagerDeps;
  readonly #entries = new Map<string, Entry>();
  #stopped = false;

  constructor(deps: PodStatusManagerDeps) {
    this.#deps = deps;
  }

  /** The status last computed for the pod with UID `podUid`. */
  getPodStatus(podUid: string): PodStatus | undefined {
    return this.#entries.get(podUid)?.status;
  }

  /** Writes still going on or due. */
  get pendingWrites(): number {
    let n = 0;
    for (const e of this.#entries.values()) if (e.dirty || e.writing) n++;
    return n;
  }

  #probeResults(observed: ObservedPod): Map<string, ContainerProbeResults> {
    const out = new Map<string, ContainerProbeResults>();
    const probes = this.#deps.probes;
    if (!probes) return out;
    const runtime = this.#deps.runtimeName ?? "containerd";
    const newest = new Map<string, CriContainerStatus>();
    for (const c of observed.containers) {
      const name = c.metadata?.name ?? "";
      const seen = newest.get(name);
      if (!seen || BigInt(c.createdAt || "0") > BigInt(seen.createdAt || "0")) newest.set(name, c);
    }
    for (const [name, c] of newest) {
      const containerId = `${runtime}://${c.id}`;
      const startup = probes.result("startup", containerId);
      const readiness = probes.result("readiness", containerId);
      out.set(name, {
        containerId,
        ...(startup !== undefined ? { started: startup === "success" } : {}),
        ...(readiness !== undefined ? { ready: readiness === "success" } : {}),
      });
    }
    return out;
  }

  /**
   * Computes `pod`'s status from what the workers observed, keeps it, and schedules a write if
   * it changed. Answers the status.
   */
  setPodStatus(pod: Pod, observed: ObservedPod): PodStatus {
    const uid = pod.metadata?.uid ?? "";
    let entry = this.#entries.get(uid);
    const generated = generatePodStatus({
      pod,
      sandbox: observed.sandbox,
      containers: observed.containers,
      probes: this.#probeResults(observed),
      ...(observed.startFailures ? { startFailures: observed.startFailures } : {}),
      ...(entry ? { previous: entry.status } : {}),
      nodeIPs: this.#deps.nodeIPs(),
      nowMs: this.#deps.clock.now(),
      terminal: observed.terminal ?? false,
      ...(this.#deps.runtimeName ? { runtimeName: this.#deps.runtimeName } : {}),
    });
    const status: PodStatus = observed.failed
      ? {
        ...generated,
        phase: "Failed",
        reason: observed.failed.reason,
        message: observed.failed.message,
      }
      : generated;
    if (entry === undefined) {
      entry = {
        pod,
        status,
        written: pod.status,
        dirty: false,
        finalDelete: false,
        deleted: false,
        writing: undefined,
        retry: undefined,
      };
      this.#entries.set(uid, entry);
    } else {
      entry.pod = pod;
      entry.status = status;
    }
    if (podStatusChanged(entry.written, status)) this.#kick(entry);
    return status;
  }

  /** Records a newer API copy of a pod (its resourceVersion and the others' conditions). */
  updatePod(pod: Pod): void {
    const entry = this.#entries.get(pod.metadata?.uid ?? "");
    if (entry) entry.pod = pod;
  }

  /**
   * The workers finished `pod` on this node. A pod being deleted gets its final status written,
   * then is deleted with grace period 0 and a UID precondition.
   */
  podFinished(pod: Pod): void {
    const entry = this.#entries.get(pod.metadata?.uid ?? "");
    if (!entry || !pod.metadata?.deletionTimestamp) return;
    entry.pod = pod;
    entry.finalDelete = true;
    this.#kick(entry);
  }

  /** Forgets the pod with UID `podUid` (gone from the API and the node). */
  removePod(podUid: string): void {
    const entry = this.#entries.get(podUid);
    entry?.retry?.cancel();
    this.#entries.delete(podUid);
  }

  /** Resolves once no write is going on or due (except ones waiting to retry). */
  async flush(): Promise<void> {
    for (;;) {
      const busy = [...this.#entries.values()].map((e) => e.writing).filter((w) => w);
      if (busy.length === 0) return;
      await Promise.all(busy);
    }
  }

  /** Stops writing; pending retries are dropped. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const e of this.#entries.values()) e.retry?.cancel();
    await this.flush();
  }

  #kick(entry: Entry): void {
    entry.dirty = true;
    if (entry.writing || entry.retry || this.#stopped) return;
    entry.writing = this.#drain(entry).finally(() => {
      entry.writing = undefined;
      // Asked again between the end of the loop and now.
      const current = this.#entries.get(entry.pod.metadata?.uid ?? "") === entry;
      if (entry.dirty && !entry.retry && current) this.#kick(entry);
    });
  }

  async #drain(entry: Entry): Promise<void> {
    while (
      entry.dirty && !this.#stopped && this.#entries.get(entry.pod.metadata?.uid ?? "") === entry
    ) {
      entry.dirty = false;
      try {
        await this.#sync(entry);
      } catch (err) {
        this.#deps.logger.warn("Cannot update pod status", { pod: keyOf(entry.pod), err });
        entry.dirty = true;
        const delayMs = this.#deps.retryDelayMs ?? 10_000;
        entry.retry = this.#deps.clock.setTimeout(() => {
          entry.retry = undefined;
          if (entry.dirty) this.#kick(entry);
        }, delayMs);
        return;
      }
    }
  }

  async #sync(entry: Entry): Promise<void> {
    if (entry.deleted) return;
    const target = this.#deps.statusTarget ? this.#deps.statusTarget(entry.pod) : entry.pod;
    if (target === undefined) return;
    const self = target.metadata?.uid === entry.pod.metadata?.uid;
    const status = entry.status;
    if (podStatusChanged(entry.written, status)) {
      await this.#write(target, status);
      entry.written = status;
    }
    if (entry.finalDelete && self) {
      const m = entry.pod.metadata ?? {};
      try {
        await this.#deps.pods.delete(m.name ?? "", {
          ...(m.namespace ? { namespace: m.namespace } : {}),
          gracePeriodSeconds: 0,
          preconditions: { uid: m.uid ?? "" },
        });
        this.#deps.logger.info("Pod fully terminated and removed from etcd", {
          pod: keyOf(entry.pod),
        });
      } catch (err) {
        if (!isNotFound(err) && !isConflict(err)) throw err;
      }
      entry.deleted = true;
    }
  }

  async #write(target: Pod, status: PodStatus): Promise<void> {
    const tries = (this.#deps.conflictRetries ?? 5) + 1;
    let current = target;
    const uid = target.metadata?.uid;
    for (let attempt = 1;; attempt++) {
      const conditions: PodCondition[] = [
        ...(current.status?.conditions ?? []).filter((c) => !KUBELET_OWNED.has(c.type)),
        ...(status.conditions ?? []).filter((c) => KUBELET_OWNED.has(c.type)),
      ];
      const body: Pod = {
        apiVersion: "v1",
        kind: "Pod",
        ...current,
        status: { ...status, conditions },
      };
      try {
        const written = await this.#deps.pods.updateStatus(body, {
          ...(current.metadata?.namespace ? { namespace: current.metadata.namespace } : {}),
        });
        this.updatePod(written);
        return;
      } catch (err) {
        if (isNotFound(err)) return; // gone: nothing to report to
        if (!isConflict(err) || attempt >= tries) throw err;
      }
      const m = current.metadata ?? {};
      try {
        current = await this.#deps.pods.get(m.name ?? "", {
          ...(m.namespace ? { namespace: m.namespace } : {}),
        });
      } catch (err) {
        if (isNotFound(err)) return;
        throw err;
      }
      if (current.metadata?.uid !== uid) return; // a new pod of the same name
    }
  }
}
