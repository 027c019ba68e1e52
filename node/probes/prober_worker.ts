/**
 * {@linkcode ProberWorker}: probes one container of one pod with one kind of probe, as
 * upstream's prober worker: a first run after an optional jitter, then one run per
 * `periodSeconds` on the injected clock (one timer at a time, none once stopped); nothing before
 * `initialDelaySeconds` after the container started; liveness and readiness wait until the
 * startup probe passed; `successThreshold`/`failureThreshold` consecutive results flip the
 * state; a liveness or startup failure holds the worker until a new container appears.
 *
 * @module
 */
import type { Container, Pod, PodStatus, Probe } from "../../control/api/types/core_v1_pod.ts";
import type { Clock, TimerHandle } from "../../control/util/clock.ts";
import type { Logger } from "../../control/util/logger.ts";
import { type ContainerProbeResult, type ProbeKind, probeOf, type ProbeTarget } from "./prober.ts";

/** Where a worker keeps its verdicts (the manager's result caches). */
export interface ProbeResultStore {
  /** Sets the verdict of `containerId`'s probe of `kind`. */
  set(kind: ProbeKind, update: ProbeResultEntry): void;
  /** Forgets the verdict of `containerId`'s probe of `kind`. */
  remove(kind: ProbeKind, containerId: string): void;
}

/** A verdict a worker stores. */
export interface ProbeResultEntry {
  readonly containerId: string;
  readonly result: ContainerProbeResult;
  readonly pod: Pod;
  readonly container: Container;
}

/** What runs one probe (a {@linkcode Prober}). */
export interface ProbeRunner {
  probe(kind: ProbeKind, target: ProbeTarget): Promise<"success" | "failure" | undefined>;
}

/** What a {@linkcode ProberWorker} probes and needs. */
export interface ProberWorkerOptions {
  readonly kind: ProbeKind;
  readonly pod: Pod;
  readonly container: Container;
  readonly clock: Clock;
  readonly prober: ProbeRunner;
  readonly results: ProbeResultStore;
  /** The pod's latest status (from the status manager); `undefined` while there is none. */
  readonly getPodStatus: (podUid: string) => PodStatus | undefined;
  /** How long to wait before the first run (the manager's jitter after an agent start). */
  readonly initialDelayMs?: number;
  /** Runs once when the worker stops, by itself or by {@linkcode ProberWorker.stop}. */
  readonly onStop?: () => void;
  readonly logger?: Logger;
}

/** The value a probe's verdict has before its first result. */
export function initialProbeResult(kind: ProbeKind): ContainerProbeResult {
  return kind === "readiness" ? "failure" : kind === "liveness" ? "success" : "unknown";
}

/** The probe's timing with the API defaults filled in. */
function timing(spec: Probe | undefined): {
  initialDelaySeconds: number;
  periodMs: number;
  successThreshold: number;
  failureThreshold: number;
} {
  return {
    initialDelaySeconds: spec?.initialDelaySeconds ?? 0,
    periodMs: Math.max(1, spec?.periodSeconds ?? 10) * 1000,
    successThreshold: Math.max(1, spec?.successThreshold ?? 1),
    failureThreshold: Math.max(1, spec?.failureThreshold ?? 3),
  };
}

/** Probes one container with one probe until stopped. */
export class ProberWorker {
  readonly kind: ProbeKind;
  readonly container: Container;
  readonly #options: ProberWorkerOptions;
  readonly #timing: ReturnType<typeof timing>;
  #pod: Pod;
  #timer: TimerHandle | undefined;
  #nextTickMs = 0;
  #started = false;
  #running = false;
  #triggered = false;
  #stopped = false;
  #containerId = "";
  #onHold = false;
  #lastResult: ContainerProbeResult = "unknown";
  #resultRun = 0;

  constructor(options: ProberWorkerOptions) {
    this.kind = options.kind;
    this.container = options.container;
    this.#options = options;
    this.#pod = options.pod;
    this.#timing = timing(probeOf(options.container, options.kind));
  }

  /** The pod's UID. */
  get podUid(): string {
    return this.#pod.metadata?.uid ?? "";
  }

  /** Whether the worker has stopped. */
  get stopped(): boolean {
    return this.#stopped;
  }

  /** Uses a newer copy of the pod (its deletionTimestamp ends liveness and startup probing). */
  updatePod(pod: Pod): void {
    this.#pod = pod;
  }

  /** Starts probing: the first run after `initialDelayMs`, or now. */
  start(): void {
    if (this.#started || this.#stopped) return;
    this.#started = true;
    const delayMs = this.#options.initialDelayMs ?? 0;
    if (delayMs > 0) {
      this.#running = true; // a trigger while waiting runs right after the first probe
      this.#timer = this.#options.clock.setTimeout(() => {
        this.#timer = undefined;
        this.#running = false;
        this.#beginTicker();
      }, delayMs);
    } else {
      this.#beginTicker();
    }
  }

  /** Runs a probe now (or right after the one running), keeping the period's rhythm. */
  trigger(): void {
    if (this.#stopped || !this.#started) return;
    if (this.#running) {
      this.#triggered = true;
      return;
    }
    this.#timer?.cancel();
    this.#timer = undefined;
    // Run after the caller's turn, so the probe sees the status it is about to store.
    this.#running = true;
    queueMicrotask(() => {
      this.#running = false;
      void this.#run();
    });
  }

  /** Stops probing and forgets this worker's verdict. Idempotent. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#timer?.cancel();
    this.#timer = undefined;
    if (this.#containerId !== "") this.#options.results.remove(this.kind, this.#containerId);
    this.#options.onStop?.();
  }

  #beginTicker(): void {
    this.#nextTickMs = this.#options.clock.now() + this.#timing.periodMs;
    void this.#run();
  }

  async #run(): Promise<void> {
    if (this.#stopped) return;
    this.#running = true;
    let keepGoing = true;
    try {
      keepGoing = await this.#doProbe();
    } catch (err) {
      this.#options.logger?.error("Probe worker failed", {
        probeType: this.kind,
        podUid: this.podUid,
        containerName: this.container.name,
        err,
      });
    }
    this.#running = false;
    if (this.#stopped) return;
    if (!keepGoing) {
      this.stop();
      return;
    }
    if (this.#triggered) {
      this.#triggered = false;
      void this.#run();
      return;
    }
    this.#scheduleTick();
  }

  /** Waits for the next tick; a tick that passed while probing runs at once (as a Go ticker). */
  #scheduleTick(): void {
    const clock = this.#options.clock;
    const now = clock.now();
    const periodMs = this.#timing.periodMs;
    if (now >= this.#nextTickMs) {
      const missed = Math.floor((now - this.#nextTickMs) / periodMs) + 1;
      this.#nextTickMs += missed * periodMs;
      void this.#run();
      return;
    }
    this.#timer = clock.setTimeout(() => {
      this.#timer = undefined;
      this.#nextTickMs += periodMs;
      void this.#run();
    }, this.#nextTickMs - now);
  }

  #set(result: ContainerProbeResult): void {
    this.#options.results.set(this.kind, {
      containerId: this.#containerId,
      result,
      pod: this.#pod,
      container: this.container,
    });
  }

  /** One round; false when the worker should stop (as upstream's `doProbe`). */
  async #doProbe(): Promise<boolean> {
    const status = this.#options.getPodStatus(this.podUid);
    if (!status) return true; // not created yet, or already gone
    if (status.phase === "Failed" || status.phase === "Succeeded") return false;
    const c = [...(status.containerStatuses ?? []), ...(status.initContainerStatuses ?? [])]
      .find((s) => s.name === this.container.name);
    if (!c || !c.containerID) return true; // wait for the container
    if (c.containerID !== this.#containerId) {
      if (this.#containerId !== "") this.#options.results.remove(this.kind, this.#containerId);
      this.#containerId = c.containerID;
      this.#set(initialProbeResult(this.kind));
      this.#onHold = false; // a new container: probe again
    }
    if (this.#onHold) return true;
    const running = c.state?.running;
    if (!running) {
      this.#set("failure");
      // Stop unless the container may be restarted.
      return c.state?.terminated === undefined || this.#pod.spec?.restartPolicy !== "Never";
    }
    if (this.#pod.metadata?.deletionTimestamp && this.kind !== "readiness") {
      this.#set("success");
      return false;
    }
    const startedAtMs = running.startedAt === undefined ? 0 : Date.parse(running.startedAt);
    const sinceStartS = Math.trunc((this.#options.clock.now() - (startedAtMs || 0)) / 1000);
    if (sinceStartS < this.#timing.initialDelaySeconds) return true;
    if (c.started === true) {
      if (this.kind === "startup") return true; // done; kept for a restarted container
    } else if (this.kind !== "startup") {
      return true; // wait for the startup probe
    }
    const containerId = this.#containerId;
    const result = await this.#options.prober.probe(this.kind, {
      pod: this.#pod,
      status,
      container: this.container,
      containerId,
    });
    // A probe that errored is dropped; one whose container changed meanwhile too.
    if (result === undefined || this.#stopped || containerId !== this.#containerId) return true;
    if (this.#lastResult === result) {
      this.#resultRun++;
    } else {
      this.#lastResult = result;
      this.#resultRun = 1;
    }
    if (
      (result === "failure" && this.#resultRun < this.#timing.failureThreshold) ||
      (result === "success" && this.#resultRun < this.#timing.successThreshold)
    ) {
      return true; // below the threshold: the verdict stays
    }
    this.#set(result);
    if (result === "failure" && this.kind !== "readiness") {
      // The container will be restarted: hold until a new container ID shows up.
      this.#onHold = true;
      this.#resultRun = 0;
    }
    return true;
  }
}
