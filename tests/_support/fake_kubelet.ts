/**
 * A stand-in kubelet for controller tests: for a set of fake nodes it does, through the API,
 * what a kubelet's status manager does for the pods bound to them — no containers are run.
 *
 * - Registers the nodes (Ready, with an InternalIP and some capacity) unless told not to.
 * - Marks each pod bound to one of them Running, with `Initialized`, `ContainersReady`,
 *   `Ready` and `PodScheduled` conditions, a pod IP, a host IP and running container statuses
 *   (status subresource writes, only when something changes). Readiness can be turned off per
 *   pod ({@linkcode FakeKubelet.setReady}) or by a rule (`ready`).
 * - Finishes graceful deletions at once: a pod with a `deletionTimestamp` on one of its nodes
 *   is deleted with grace period 0 (and a uid precondition), as a kubelet does once the
 *   containers have stopped.
 * - Optionally binds unscheduled pods round-robin to its nodes (a stand-in scheduler), which
 *   can be paused ({@linkcode FakeKubelet.binding}).
 * - Optionally ends pods, as their containers would exit: by a rule (`finish`, asked once per
 *   pod when it first runs) or for one pod ({@linkcode FakeKubelet.finishPod}), after a delay,
 *   the pod goes to phase `Succeeded` or `Failed` with its containers terminated with an exit
 *   code (0 → reason `Completed`, else `Error`) and `Ready=False`. Without either, pods run
 *   forever, as before.
 *
 * @example Pods of a ReplicaSet become ready
 * ```ts ignore
 * await using kubelet = await FakeKubelet.start({ client, nodes: ["node-1", "node-2"], bindUnscheduled: true });
 * ```
 *
 * @module
 */
import { formatTime as rfc3339 } from "../../control/util/k8s_time.ts";
import type { Node } from "../../control/api/types/core_v1_node.ts";
import type { Pod, PodCondition, PodStatus } from "../../control/api/types/core_v1_pod.ts";
import type { Client } from "../../control/client/client.ts";
import { runController } from "../../control/client/controller.ts";
import { isAlreadyExists, isNotFound } from "../../control/client/errors.ts";
import { Informer } from "../../control/client/informer.ts";
import { NODES, PODS } from "../../control/client/resources.ts";
import { metaNamespaceKey, splitMetaNamespaceKey } from "../../control/client/store.ts";
import { WorkQueue } from "../../control/client/workqueue.ts";
import { type Clock, systemClock, type TimerHandle } from "../../control/util/clock.ts";
import { type Logger, RecordingLogger } from "../../control/util/logger.ts";

/** How a pod ends (its containers exit). */
export interface PodExit {
  readonly phase: "Succeeded" | "Failed";
  /** Every container's exit code. @default {0 for Succeeded, 1 for Failed} */
  readonly exitCode?: number;
  /** How long after the pod first runs. @default {0} */
  readonly afterMs?: number;
}

/** Options of {@linkcode FakeKubelet.start}. */
export interface FakeKubeletOptions {
  readonly client: Client;
  /** The fake nodes' names. */
  readonly nodes: readonly string[];
  /** @default {systemClock} */
  readonly clock?: Clock;
  /** @default {a RecordingLogger} */
  readonly logger?: Logger;
  /** Create the Node objects (Ready) when missing. @default {true} */
  readonly registerNodes?: boolean;
  /** Bind pods that have no node to the fake nodes, round-robin. @default {false} */
  readonly bindUnscheduled?: boolean;
  /** Whether a pod is reported ready (unless {@linkcode FakeKubelet.setReady} says). */
  readonly ready?: (pod: Pod) => boolean;
  /**
   * How a pod ends, or `undefined` to keep it running; asked once per pod (by uid), when it is
   * first marked Running (unless {@linkcode FakeKubelet.finishPod} said).
   */
  readonly finish?: (pod: Pod) => PodExit | undefined;
}

function condition(pod: Pod, type: string): PodCondition | undefined {
  return pod.status?.conditions?.find((c) => c.type === type);
}

/** Marks pods on fake nodes Running/Ready and finishes their deletions. */
export class FakeKubelet implements AsyncDisposable {
  /** Whether unscheduled pods are bound (when the kubelet was started with `bindUnscheduled`). */
  binding: boolean;
  readonly #options: FakeKubeletOptions;
  readonly #client: Client;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #nodes: readonly string[];
  readonly #pods: Informer<Pod>;
  readonly #queue: WorkQueue<string>;
  readonly #stop = new AbortController();
  readonly #readiness = new Map<string, boolean>();
  readonly #podIps = new Map<string, string>();
  /** Per pod uid: how and when it ends (`null`: it runs on). */
  readonly #exits = new Map<string, { readonly exit: PodExit; readonly atMs: number } | null>();
  /** Per pod key: an exit told by {@linkcode FakeKubelet.finishPod}. */
  readonly #exitOverrides = new Map<string, PodExit>();
  readonly #exitTimers = new Map<string, TimerHandle>();
  #nextNode = 0;
  #nextIp = 0;
  #running: Promise<void>[] = [];

  /** Registers the nodes, starts watching pods and resolves once the pod cache is synced. */
  static async start(options: FakeKubeletOptions): Promise<FakeKubelet> {
    const kubelet = new FakeKubelet(options);
    await kubelet.#start();
    return kubelet;
  }

  constructor(options: FakeKubeletOptions) {
    this.#options = options;
    this.#client = options.client;
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? new RecordingLogger();
    this.#nodes = options.nodes;
    this.binding = options.bindUnscheduled ?? false;
    this.#queue = new WorkQueue<string>({ clock: this.#clock });
    this.#pods = new Informer(this.#client.resource(PODS), {
      clock: this.#clock,
      logger: this.#logger,
    });
    this.#pods.addHandler({
      add: (pod) => this.#queue.add(metaNamespaceKey(pod)),
      update: (_old, pod) => this.#queue.add(metaNamespaceKey(pod)),
    });
  }

  /** The pods the kubelet's cache has (frozen). */
  pods(): readonly Pod[] {
    return this.#pods.store.list();
  }

  /** Reports the pod `namespace/name` ready or not from now on (overrides the `ready` rule). */
  setReady(key: string, ready: boolean): void {
    this.#readiness.set(key, ready);
    this.#queue.add(key);
  }

  /**
   * Ends the pod `namespace/name` as told (after `exit.afterMs` from now, or from when it first
   * runs), whatever the `finish` rule says.
   */
  finishPod(key: string, exit: PodExit): void {
    this.#exitOverrides.set(key, exit);
    const pod = this.#pods.store.get(key);
    if (pod?.metadata?.uid) this.#exits.delete(pod.metadata.uid);
    this.#queue.add(key);
  }

  /** Binds waiting pods again (after `binding = false`), and looks at every pod once more. */
  resync(): void {
    for (const key of this.#pods.store.keys()) this.#queue.add(key);
  }

  /** Stops watching and working. */
  async stop(): Promise<void> {
    this.#stop.abort();
    for (const timer of this.#exitTimers.values()) timer.cancel();
    this.#exitTimers.clear();
    await Promise.allSettled(this.#running);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  async #start(): Promise<void> {
    if (this.#options.registerNodes ?? true) {
      for (const [i, name] of this.#nodes.entries()) await this.#registerNode(name, i);
    }
    const signal = this.#stop.signal;
    this.#running.push(this.#pods.run(signal));
    this.#running.push(runController({
      name: "fake-kubelet",
      queue: this.#queue,
      sync: (key) => this.#sync(key),
      workers: 2,
      waitFor: [this.#pods],
      signal,
      logger: this.#logger,
      clock: this.#clock,
    }));
    await this.#pods.waitForSync(signal);
  }

  async #registerNode(name: string, index: number): Promise<void> {
    const now = rfc3339(this.#clock.now());
    const node: Node = {
      apiVersion: "v1",
      kind: "Node",
      metadata: { name, labels: { "kubernetes.io/hostname": name } },
      status: {
        capacity: { cpu: "4", memory: "8Gi", pods: "110" },
        allocatable: { cpu: "4", memory: "8Gi", pods: "110" },
        addresses: [{ type: "InternalIP", address: `192.0.2.${index + 1}` }],
        conditions: [{
          type: "Ready",
          status: "True",
          reason: "KubeletReady",
          message: "kubelet is posting ready status",
          lastHeartbeatTime: now,
          lastTransitionTime: now,
        }],
      },
    };
    try {
      await this.#client.resource(NODES).create(node);
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
  }

  #wantReady(pod: Pod): boolean {
    const override = this.#readiness.get(metaNamespaceKey(pod));
    if (override !== undefined) return override;
    return this.#options.ready?.(pod) ?? true;
  }

  async #sync(key: string): Promise<void> {
    const pod = this.#pods.store.get(key);
    if (!pod) return;
    const nodeName = pod.spec?.nodeName ?? "";
    if (nodeName === "") {
      if (this.binding && !pod.metadata?.deletionTimestamp) await this.#bind(pod);
      return;
    }
    const nodeIndex = this.#nodes.indexOf(nodeName);
    if (nodeIndex < 0) return;
    const { namespace, name } = splitMetaNamespaceKey(key);
    const pods = this.#client.resource(PODS);
    if (pod.metadata?.deletionTimestamp) {
      try {
        await pods.delete(name, {
          namespace,
          gracePeriodSeconds: 0,
          preconditions: { uid: pod.metadata.uid ?? "" },
        });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      return;
    }
    const phase = pod.status?.phase;
    if (phase === "Succeeded" || phase === "Failed") return;
    if (phase === "Running" && pod.status?.podIP) {
      const exit = this.#exitOf(pod);
      if (exit && exit.atMs <= this.#clock.now()) {
        await pods.updateStatus({ ...pod, status: this.#exitStatus(pod, exit.exit) });
        return;
      }
      if (exit) this.#wakeAt(key, exit.atMs);
    }
    const ready = this.#wantReady(pod);
    const readyStatus = ready ? "True" : "False";
    if (
      phase === "Running" && pod.status?.podIP && condition(pod, "Ready")?.status === readyStatus
    ) return;
    await pods.updateStatus({ ...pod, status: this.#status(pod, { ready, nodeIndex }) });
  }

  /** How and when the pod ends (decided once per pod), or null. */
  #exitOf(pod: Pod): { readonly exit: PodExit; readonly atMs: number } | null {
    const uid = pod.metadata?.uid ?? metaNamespaceKey(pod);
    const known = this.#exits.get(uid);
    if (known !== undefined) return known;
    const exit = this.#exitOverrides.get(metaNamespaceKey(pod)) ?? this.#options.finish?.(pod);
    const decided = exit ? { exit, atMs: this.#clock.now() + (exit.afterMs ?? 0) } : null;
    this.#exits.set(uid, decided);
    return decided;
  }

  #wakeAt(key: string, atMs: number): void {
    if (this.#exitTimers.has(key) || this.#stop.signal.aborted) return;
    this.#exitTimers.set(
      key,
      this.#clock.setTimeout(() => {
        this.#exitTimers.delete(key);
        this.#queue.add(key);
      }, atMs - this.#clock.now()),
    );
  }

  #exitStatus(pod: Pod, exit: PodExit): PodStatus {
    const now = rfc3339(this.#clock.now());
    const code = exit.exitCode ?? (exit.phase === "Succeeded" ? 0 : 1);
    const reason = exit.phase === "Succeeded" ? "PodCompleted" : undefined;
    function notReady(type: string): PodCondition {
      return { type, status: "False", lastTransitionTime: now, ...(reason ? { reason } : {}) };
    }
    const startedAt = pod.status?.startTime ?? now;
    return {
      ...pod.status,
      phase: exit.phase,
      conditions: [
        { type: "Initialized", status: "True", lastTransitionTime: startedAt },
        notReady("Ready"),
        notReady("ContainersReady"),
        { type: "PodScheduled", status: "True", lastTransitionTime: startedAt },
      ],
      containerStatuses: (pod.spec?.containers ?? []).map((c) => ({
        name: c.name,
        image: c.image ?? "",
        imageID: `fake://${c.image ?? ""}`,
        containerID: `fake://${pod.metadata?.uid ?? ""}/${c.name}`,
        ready: false,
        started: false,
        restartCount: pod.status?.containerStatuses?.find((s) => s.name === c.name)
          ?.restartCount ?? 0,
        state: {
          terminated: {
            exitCode: code,
            reason: code === 0 ? "Completed" : "Error",
            startedAt,
            finishedAt: now,
            containerID: `fake://${pod.metadata?.uid ?? ""}/${c.name}`,
          },
        },
      })),
    };
  }

  #status(pod: Pod, at: { readonly ready: boolean; readonly nodeIndex: number }): PodStatus {
    const now = rfc3339(this.#clock.now());
    const key = metaNamespaceKey(pod);
    let podIP = this.#podIps.get(key);
    if (!podIP) {
      podIP = `10.42.${at.nodeIndex}.${2 + (this.#nextIp++ % 250)}`;
      this.#podIps.set(key, podIP);
    }
    const readyStatus = at.ready ? "True" : "False";
    function keep(type: string, status: "True" | "False"): PodCondition {
      const old = condition(pod, type);
      return {
        type,
        status,
        lastTransitionTime: old?.status === status && old.lastTransitionTime
          ? old.lastTransitionTime
          : now,
      };
    }
    const startedAt = pod.status?.startTime ?? now;
    return {
      ...pod.status,
      phase: "Running",
      hostIP: `192.0.2.${at.nodeIndex + 1}`,
      hostIPs: [{ ip: `192.0.2.${at.nodeIndex + 1}` }],
      podIP,
      podIPs: [{ ip: podIP }],
      startTime: startedAt,
      conditions: [
        keep("Initialized", "True"),
        keep("Ready", readyStatus),
        keep("ContainersReady", readyStatus),
        keep("PodScheduled", "True"),
      ],
      containerStatuses: (pod.spec?.containers ?? []).map((c) => ({
        name: c.name,
        image: c.image ?? "",
        imageID: `fake://${c.image ?? ""}`,
        containerID: `fake://${pod.metadata?.uid ?? key}/${c.name}`,
        ready: at.ready,
        started: true,
        restartCount: pod.status?.containerStatuses?.find((s) => s.name === c.name)
          ?.restartCount ?? 0,
        state: { running: { startedAt } },
      })),
    };
  }

  async #bind(pod: Pod): Promise<void> {
    if (this.#nodes.length === 0) return;
    const scheduler = pod.spec?.schedulerName ?? "default-scheduler";
    if (scheduler !== "default-scheduler") return;
    const node = this.#nodes[this.#nextNode++ % this.#nodes.length]!;
    const { namespace, name } = splitMetaNamespaceKey(metaNamespaceKey(pod));
    try {
      await this.#client.resource(PODS).createSubresource(name, {
        namespace,
        subresource: "binding",
        body: {
          apiVersion: "v1",
          kind: "Binding",
          metadata: { name, namespace, uid: pod.metadata?.uid },
          target: { apiVersion: "v1", kind: "Node", name: node },
        },
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
