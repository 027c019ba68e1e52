/**
 * The taint eviction controller, as kube-controller-manager's `taint-eviction-controller`
 * (upstream `pkg/controller/tainteviction`): deletes the pods of nodes with `NoExecute` taints
 * the pods do not tolerate.
 *
 * - A pod that does not tolerate every NoExecute taint of its node is deleted at once.
 * - A pod that tolerates them all, some with `tolerationSeconds`, is deleted after the
 *   smallest of those (counted from when this controller saw the taints; `<= 0` is at once);
 *   tolerations without `tolerationSeconds` keep it forever. Each such pod has one timer on
 *   the clock, cancelled when the taints go, the pod goes, or its tolerations come to cover
 *   the taints forever (a `TaintManagerEviction` event "Cancelling deletion of Pod ns/name").
 *   An eviction already scheduled keeps its time when the node's taints change (a not-ready
 *   taint swapped for unreachable does not restart the countdown), as upstream.
 * - A deletion records `TaintManagerEviction` "Marking for deletion Pod ns/name", sets the
 *   pod's `DisruptionTarget` condition (True, reason `DeletionByTaintManager`, "Taint manager:
 *   deleting due to NoExecute taint") with a status patch, and deletes the pod with its own
 *   grace period. A failure is retried with backoff.
 * - Pods already being deleted (`deletionTimestamp` set) are left alone: their deletion is
 *   under way (upstream would delete them again, to no effect).
 *
 * Events only enqueue keys: node names when a node's NoExecute taints change, pod keys when a
 * pod's node or tolerations change (or it goes). Node names never contain `/`, pod keys
 * always do, so both share one work queue.
 *
 * @example Run it in a controller manager
 * ```ts ignore
 * const registry = [{ name: TAINT_EVICTION_CONTROLLER_NAME, factory: taintEvictionController }];
 * ```
 *
 * @module
 */
import type { Taint } from "../api/types/core_v1_common.ts";
import type { Node } from "../api/types/core_v1_node.ts";
import type { Pod } from "../api/types/core_v1_pod.ts";
import type { Client, ResourceClient } from "../client/client.ts";
import { isNotFound } from "../client/errors.ts";
import type { EventRecorder } from "../client/event_recorder.ts";
import type { Informer } from "../client/informer.ts";
import { NODES, PODS } from "../client/resources.ts";
import type { SharedInformerFactory } from "../client/shared_informer_factory.ts";
import { indexByNodeName, metaNamespaceKey, splitMetaNamespaceKey } from "../client/store.ts";
import { matchingTolerations } from "../client/tolerations.ts";
import type { WorkQueue } from "../client/workqueue.ts";
import { type Clock, setTimeoutAt, type TimerHandle } from "../util/clock.ts";
import type { Logger } from "../util/logger.ts";
import { ControllerLoop } from "./_controller_loop.ts";
import { errorText } from "./_errors.ts";
import type { ControllerContext, RunnableController } from "./controller_manager.ts";
import { setPodCondition } from "./_pod_conditions.ts";
import { minTolerationMs } from "./_taint_tolerations.ts";

/** The controller's name in `--controllers`, in logs and as its events' source. */
export const TAINT_EVICTION_CONTROLLER_NAME = "taint-eviction-controller";
/** The reason of its events. */
export const TAINT_MANAGER_EVICTION = "TaintManagerEviction";
/** The pod condition set before the deletion. */
export const DISRUPTION_TARGET = "DisruptionTarget";
/** The reason of that condition. */
export const DELETION_BY_TAINT_MANAGER = "DeletionByTaintManager";

/** The pod index by `spec.nodeName` (the same name and function as the node controller's). */
const NODE_NAME_INDEX = "nodeName";

/** What {@linkcode TaintEvictionController} works with. */
export interface TaintEvictionControllerDeps {
  /** Pod reads, status patches and deletions. */
  readonly client: Client;
  /** The node and pod informers come from here (start it after constructing). */
  readonly informers: SharedInformerFactory;
  /** Records as `taint-eviction-controller`. */
  readonly recorder: EventRecorder;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** Options of {@linkcode TaintEvictionController}. */
export interface TaintEvictionControllerOptions {
  /** Keys synced at once (upstream `UpdateWorkerSize`). @default {8} */
  readonly workers?: number;
}

/** A scheduled deletion of one pod. */
interface Eviction {
  readonly createdAtMs: number;
  readonly fireAtMs: number;
  timer: TimerHandle | undefined;
  /** Deleted: kept so that the pod is not deleted again until its entry is cancelled. */
  done: boolean;
  /** The "Marking for deletion" event was recorded. */
  announced: boolean;
}

/** What {@linkcode TaintEvictionController.scheduled} tells of a pod. */
export interface ScheduledEviction {
  /** When the pod is (or was) to be deleted, on the controller's clock. */
  readonly fireAtMs: number;
  /** Whether it was deleted already. */
  readonly done: boolean;
}

function noExecuteTaints(node: Node | undefined): Taint[] {
  return (node?.spec?.taints ?? []).filter((t) => t.effect === "NoExecute");
}

/** Deletes pods from nodes with NoExecute taints they do not tolerate (long enough). */
export class TaintEvictionController implements RunnableController {
  readonly #deps: TaintEvictionControllerDeps;
  readonly #logger: Logger;
  readonly #nodes: Informer<Node>;
  readonly #pods: Informer<Pod>;
  readonly #podClient: ResourceClient<Pod>;
  readonly #loop: ControllerLoop;
  readonly #queue: WorkQueue<string>;
  /** Per tainted node: its NoExecute taints, as last synced. */
  readonly #tainted = new Map<string, Taint[]>();
  readonly #evictions = new Map<string, Eviction>();

  constructor(deps: TaintEvictionControllerDeps, options: TaintEvictionControllerOptions = {}) {
    const { workers = 8 } = options;
    if (!Number.isInteger(workers) || workers < 1) {
      throw new RangeError(`Cannot run the taint eviction controller with ${workers} workers`);
    }
    this.#deps = deps;
    this.#logger = deps.logger.with({ controller: TAINT_EVICTION_CONTROLLER_NAME });
    this.#podClient = deps.client.resource(PODS);
    this.#loop = new ControllerLoop({
      name: TAINT_EVICTION_CONTROLLER_NAME,
      workers,
      clock: deps.clock,
      logger: deps.logger,
    });
    this.#queue = this.#loop.queue;
    this.#nodes = deps.informers.informerFor(NODES);
    this.#pods = deps.informers.informerFor(PODS, {
      indexers: { [NODE_NAME_INDEX]: indexByNodeName },
    });
    this.#loop.handle(this.#nodes, {
      add: (node) => this.#queue.add(node.metadata?.name ?? ""),
      update: (old, node) => {
        if (JSON.stringify(noExecuteTaints(old)) === JSON.stringify(noExecuteTaints(node))) {
          return;
        }
        this.#queue.add(node.metadata?.name ?? "");
      },
      delete: (node) => this.#queue.add(node.metadata?.name ?? ""),
    });
    this.#loop.handle(this.#pods, {
      add: (pod) => this.#queue.add(metaNamespaceKey(pod)),
      update: (old, pod) => {
        if (
          old.spec?.nodeName === pod.spec?.nodeName &&
          JSON.stringify(old.spec?.tolerations ?? []) ===
            JSON.stringify(pod.spec?.tolerations ?? [])
        ) return;
        this.#queue.add(metaNamespaceKey(pod));
      },
      delete: (pod) => this.#queue.add(metaNamespaceKey(pod)),
    });
  }

  /** The keys waiting: node names and pod `namespace/name` keys. */
  get queue(): WorkQueue<string> {
    return this.#queue;
  }

  /** The deletion scheduled for the pod `key` (`namespace/name`), if any. */
  scheduled(key: string): ScheduledEviction | undefined {
    const e = this.#evictions.get(key);
    return e ? { fireAtMs: e.fireAtMs, done: e.done } : undefined;
  }

  /** Waits for the caches, then syncs until `signal` aborts; cancels every timer at the end. */
  async run(signal: AbortSignal): Promise<void> {
    try {
      await this.#loop.run(signal, {
        sync: (key) => this.sync(key),
        waitFor: [this.#nodes, this.#pods],
      });
    } finally {
      for (const e of this.#evictions.values()) e.timer?.cancel();
      this.#evictions.clear();
    }
  }

  /** Syncs the node `key` (a name) or the pod `key` (`namespace/name`); throws to retry. */
  async sync(key: string): Promise<void> {
    if (key.includes("/")) await this.#syncPod(key);
    else this.#syncNode(key);
  }

  #syncNode(name: string): void {
    const node = this.#nodes.store.get(name);
    const taints = noExecuteTaints(node);
    if (taints.length === 0) this.#tainted.delete(name);
    else this.#tainted.set(name, taints);
    if (!node) return;
    const pods = this.#pods.store.byIndex(NODE_NAME_INDEX, name);
    if (taints.length === 0) {
      for (const pod of pods) this.#cancel(metaNamespaceKey(pod));
      return;
    }
    const nowMs = this.#deps.clock.now();
    for (const pod of pods) {
      const key = metaNamespaceKey(pod);
      this.#schedule(pod, { taints, nowMs });
      const e = this.#evictions.get(key);
      // Due now: delete in the pod's own sync (in parallel, retried on its own).
      if (e && !e.done && e.fireAtMs <= nowMs) this.#queue.add(key);
    }
  }

  async #syncPod(key: string): Promise<void> {
    const pod = this.#pods.store.get(key);
    if (!pod) {
      this.#cancel(key);
      return;
    }
    const nodeName = pod.spec?.nodeName;
    if (!nodeName) return;
    const taints = this.#tainted.get(nodeName);
    // Untainted (or gone): the node's sync cancelled what there was.
    if (!taints) return;
    const nowMs = this.#deps.clock.now();
    this.#schedule(pod, { taints, nowMs });
    await this.#evictIfDue(pod, nowMs);
  }

  /** Schedules, keeps or cancels the pod's deletion (upstream `processPodOnNode`). */
  #schedule(pod: Pod, on: { readonly taints: readonly Taint[]; readonly nowMs: number }): void {
    const key = metaNamespaceKey(pod);
    if (pod.metadata?.deletionTimestamp) return;
    const { taints, nowMs } = on;
    const existing = this.#evictions.get(key);
    const { allTolerated, used } = matchingTolerations(taints, pod.spec?.tolerations);
    if (!allTolerated) {
      if (existing && (existing.done || existing.fireAtMs <= nowMs)) return;
      this.#logger.debug("Not all taints are tolerated after update for pod on node", {
        pod: key,
        node: pod.spec?.nodeName,
      });
      this.#cancel(key);
      this.#add(key, { createdAtMs: nowMs, fireAtMs: nowMs });
      return;
    }
    const tolerationMs = minTolerationMs(used);
    if (tolerationMs < 0) {
      this.#cancel(key);
      return;
    }
    if (existing) return;
    this.#add(key, { createdAtMs: nowMs, fireAtMs: nowMs + tolerationMs });
  }

  #add(key: string, at: { readonly createdAtMs: number; readonly fireAtMs: number }): void {
    const e: Eviction = { ...at, timer: undefined, done: false, announced: false };
    if (at.fireAtMs > at.createdAtMs) {
      e.timer = setTimeoutAt(this.#deps.clock, {
        atMs: at.fireAtMs,
        run: () => {
          e.timer = undefined;
          this.#queue.add(key);
        },
      });
    }
    this.#evictions.set(key, e);
  }

  /** Drops the pod's entry; an eviction still to come is announced as cancelled. */
  #cancel(key: string): void {
    const e = this.#evictions.get(key);
    if (!e) return;
    e.timer?.cancel();
    this.#evictions.delete(key);
    if (e.done) return;
    this.#logger.debug("Cancelling deletion of pod", { pod: key });
    const { namespace, name } = splitMetaNamespaceKey(key);
    this.#deps.recorder.event(
      { apiVersion: "v1", kind: "Pod", metadata: { namespace, name } },
      {
        type: "Normal",
        reason: TAINT_MANAGER_EVICTION,
        message: `Cancelling deletion of Pod ${key}`,
      },
    );
  }

  async #evictIfDue(pod: Pod, nowMs: number): Promise<void> {
    const key = metaNamespaceKey(pod);
    const e = this.#evictions.get(key);
    if (!e || e.done || e.fireAtMs > nowMs) return;
    if (pod.metadata?.deletionTimestamp) {
      e.done = true;
      return;
    }
    const { namespace, name } = splitMetaNamespaceKey(key);
    this.#logger.info("Deleting pod", { pod: key });
    if (!e.announced) {
      e.announced = true;
      this.#deps.recorder.event(
        { apiVersion: "v1", kind: "Pod", metadata: { namespace, name } },
        {
          type: "Normal",
          reason: TAINT_MANAGER_EVICTION,
          message: `Marking for deletion Pod ${key}`,
        },
      );
    }
    try {
      await this.#markAndDelete(namespace, name);
    } catch (err) {
      throw new Error(`Cannot delete pod "${key}": ${errorText(err)}`, { cause: err });
    }
    // Cancelled meanwhile (the taint or the pod went): nothing to remember.
    if (this.#evictions.get(key) === e) e.done = true;
  }

  /** Sets `DisruptionTarget` on the pod (if it changes) and deletes it. */
  async #markAndDelete(namespace: string, name: string): Promise<void> {
    let pod: Pod;
    try {
      pod = await this.#podClient.get(name, { namespace });
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    const status = structuredClone(pod.status ?? {});
    const changed = setPodCondition(status, {
      update: {
        type: DISRUPTION_TARGET,
        status: "True",
        reason: DELETION_BY_TAINT_MANAGER,
        message: "Taint manager: deleting due to NoExecute taint",
      },
      nowMs: this.#deps.clock.now(),
    });
    try {
      if (changed) {
        const condition = status.conditions?.find((c) => c.type === DISRUPTION_TARGET);
        await this.#podClient.patch(name, {
          namespace,
          type: "strategic",
          subresource: "status",
          body: { metadata: { uid: pod.metadata?.uid }, status: { conditions: [condition] } },
        });
      }
      await this.#podClient.delete(name, { namespace });
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
  }
}

/**
 * The factory the controller manager runs: a {@linkcode TaintEvictionController} on the shared
 * informers, recording as `taint-eviction-controller`.
 */
export function taintEvictionController(
  context: ControllerContext,
  options: TaintEvictionControllerOptions = {},
): RunnableController {
  return new TaintEvictionController({
    client: context.client,
    informers: context.informers,
    recorder: context.recorder(TAINT_EVICTION_CONTROLLER_NAME),
    clock: context.clock,
    logger: context.logger,
  }, options);
}
