/**
 * The pod garbage collector, as kube-controller-manager's `podgc` controller: force-deletes
 * pods nobody else will finish.
 *
 * - **Terminated pods** (phase neither Pending, Running nor Unknown) above
 *   `terminatedPodThreshold` (upstream `--terminated-pod-gc-threshold`, default 12500; 0 turns
 *   this off): the excess is deleted, evicted pods first, then oldest by creation time, then by
 *   name.
 * - **Orphaned pods**, bound to a node that does not exist: once a pod names a node missing
 *   from the cache, or a node is deleted, the node is quarantined for 40 s (the cache may lag),
 *   then read from the API; if it is really gone, each of its pods gets the
 *   `DisruptionTarget=True` condition (reason `DeletionByPodGC`, message `PodGC: node no
 *   longer exists`) and phase Failed, then is deleted.
 * - **Unscheduled terminating pods** (a deletionTimestamp and no node: finalizers hold them)
 *   are marked Failed and deleted.
 * - **Terminating pods on out-of-service nodes** (the node is not Ready and has the
 *   `node.kubernetes.io/out-of-service` taint) are marked Failed and deleted.
 *
 * "Deleted" is upstream's force delete: a non-terminal pod's status is first patched to Failed
 * (so it does not stay Running forever without a kubelet), then the pod is deleted with grace
 * period 0.
 *
 * Unlike upstream, which runs all four checks over every pod every 20 s, this controller is
 * driven by its informers and needs **no period**: a pod that becomes terminated is counted
 * (the excess is collected at once), a pod naming an unknown node or a deleted node schedules
 * that node's check after the quarantine, a pod that starts terminating is checked at once, a
 * node that turns not-ready or gets the out-of-service taint has its terminating pods checked.
 * Failed checks are retried with the queue's backoff. The initial list of the informers runs
 * every check once, so nothing is missed across restarts or leader changes. An idle cluster
 * costs no wake-ups at all.
 *
 * @example Run it on shared informers
 * ```ts ignore
 * const controller = podGcController(context, { terminatedPodThreshold: 100 });
 * informers.start(signal);
 * await controller.run(signal);
 * ```
 *
 * @module
 */
import type { Node } from "../api/types/core_v1_node.ts";
import type { Pod, PodCondition } from "../api/types/core_v1_pod.ts";
import type { Client, ResourceClient } from "../client/client.ts";
import { runController } from "../client/controller.ts";
import { isNotFound } from "../client/errors.ts";
import { NODES, PODS } from "../client/resources.ts";
import { indexByNodeName, metaNamespaceKey, splitMetaNamespaceKey } from "../client/store.ts";
import { WorkQueue } from "../client/workqueue.ts";
import type { Clock } from "../util/clock.ts";
import type { Logger } from "../util/logger.ts";
import { parseTime, rfc3339 } from "./_rfc3339.ts";
import type { ControllerContext, RunnableController } from "./controller_manager.ts";
import type { InformerLike } from "./replicaset.ts";

/** The controller's name in `--controllers` and in logs. */
export const POD_GC_CONTROLLER_NAME = "podgc";

/** Upstream's `--terminated-pod-gc-threshold` default. */
export const DEFAULT_TERMINATED_POD_GC_THRESHOLD = 12500;

/** How long a missing node is given to show up in the cache before it is read from the API. */
export const ORPHAN_QUARANTINE_MS = 40_000;

/** The taint that lets terminating pods of a not-ready node go. */
export const OUT_OF_SERVICE_TAINT = "node.kubernetes.io/out-of-service";

/** The reason of the `DisruptionTarget` condition orphaned pods get. */
export const DELETION_BY_POD_GC_REASON = "DeletionByPodGC";

/** The index of pods by `spec.nodeName`. */
export const POD_NODE_NAME_INDEX = "nodeName";

/** Pods force-deleted at once, at most. */
const DELETE_CONCURRENCY = 16;

const TERMINATED_KEY = "terminated";
const NODE_PREFIX = "node:";
const POD_PREFIX = "pod:";

/** What {@linkcode PodGcController} works with. */
export interface PodGcControllerDeps {
  /** Reads nodes past the cache, patches pod status and deletes pods. */
  readonly client: Client;
  readonly podInformer: InformerLike<Pod>;
  readonly nodeInformer: InformerLike<Node>;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** Options of {@linkcode PodGcController}. */
export interface PodGcControllerOptions {
  /** Terminated pods kept at most; 0 keeps them all. @default {DEFAULT_TERMINATED_POD_GC_THRESHOLD} */
  readonly terminatedPodThreshold?: number;
  /** @default {ORPHAN_QUARANTINE_MS} */
  readonly quarantineMs?: number;
}

/** Whether the pod has ended (upstream `isPodTerminated`: not Pending, Running nor Unknown). */
export function isPodTerminated(pod: Pick<Pod, "status">): boolean {
  const phase = pod.status?.phase ?? "";
  return phase !== "Pending" && phase !== "Running" && phase !== "Unknown";
}

/** Whether the node's `Ready` condition is True. */
function isNodeReady(node: Node): boolean {
  return node.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
}

function isOutOfService(node: Node): boolean {
  return !isNodeReady(node) &&
    (node.spec?.taints ?? []).some((t) => t.key === OUT_OF_SERVICE_TAINT);
}

function isEvicted(pod: Pod): boolean {
  return pod.status?.phase === "Failed" && pod.status.reason === "Evicted";
}

/**
 * The order terminated pods are collected in (upstream `byEvictionAndCreationTimestamp`):
 * evicted pods first, then by creation time, then by name.
 */
export function compareForCollection(a: Pod, b: Pod): number {
  const ae = isEvicted(a);
  const be = isEvicted(b);
  if (ae !== be) return ae ? -1 : 1;
  const at = Math.floor((parseTime(a.metadata?.creationTimestamp) ?? 0) / 1000);
  const bt = Math.floor((parseTime(b.metadata?.creationTimestamp) ?? 0) / 1000);
  if (at !== bt) return at - bt;
  const an = a.metadata?.name ?? "";
  const bn = b.metadata?.name ?? "";
  return an < bn ? -1 : an > bn ? 1 : 0;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Force-deletes terminated pods above a threshold, orphaned and stuck terminating pods. */
export class PodGcController implements RunnableController {
  readonly #deps: PodGcControllerDeps;
  readonly #logger: Logger;
  readonly #queue: WorkQueue<string>;
  readonly #pods: ResourceClient<Pod>;
  readonly #nodes: ResourceClient<Node>;
  readonly #threshold: number;
  readonly #quarantineMs: number;
  /** Keys of the terminated pods in the cache. */
  readonly #terminated = new Set<string>();
  readonly #registrations: { remove(): void }[] = [];

  /** @throws {RangeError} for a negative threshold or quarantine. */
  constructor(deps: PodGcControllerDeps, options: PodGcControllerOptions = {}) {
    this.#deps = deps;
    this.#logger = deps.logger.with({ controller: POD_GC_CONTROLLER_NAME });
    this.#threshold = options.terminatedPodThreshold ?? DEFAULT_TERMINATED_POD_GC_THRESHOLD;
    this.#quarantineMs = options.quarantineMs ?? ORPHAN_QUARANTINE_MS;
    if (!Number.isInteger(this.#threshold) || this.#threshold < 0) {
      throw new RangeError(
        `Cannot collect terminated pods above ${this.#threshold}: expected an integer >= 0`,
      );
    }
    if (!(this.#quarantineMs >= 0)) {
      throw new RangeError(`Cannot quarantine missing nodes for ${this.#quarantineMs} ms`);
    }
    this.#queue = new WorkQueue<string>({ clock: deps.clock });
    this.#pods = deps.client.resource(PODS);
    this.#nodes = deps.client.resource(NODES);
    if (!deps.podInformer.store.indexNames().includes(POD_NODE_NAME_INDEX)) {
      deps.podInformer.addIndexers({ [POD_NODE_NAME_INDEX]: indexByNodeName });
    }
    this.#registrations.push(
      deps.podInformer.addHandler({
        add: (pod) => this.#onPod(pod),
        update: (_old, pod) => this.#onPod(pod),
        delete: (pod) => void this.#terminated.delete(metaNamespaceKey(pod)),
      }),
      deps.nodeInformer.addHandler({
        update: (old, node) => this.#onNodeUpdate(old, node),
        delete: (node) =>
          this.#queue.addAfter(NODE_PREFIX + (node.metadata?.name ?? ""), this.#quarantineMs),
      }),
    );
  }

  /** The checks waiting to run (`terminated`, `node:<name>`, `pod:<namespace>/<name>`). */
  get queue(): WorkQueue<string> {
    return this.#queue;
  }

  /** Waits for the caches, then runs the checks that come due until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    try {
      await runController({
        name: POD_GC_CONTROLLER_NAME,
        queue: this.#queue,
        sync: (key) => this.sync(key),
        waitFor: [this.#deps.podInformer, this.#deps.nodeInformer],
        signal,
        logger: this.#deps.logger,
        clock: this.#deps.clock,
      });
    } finally {
      for (const r of this.#registrations.splice(0)) r.remove();
    }
  }

  // --- event handlers: only enqueue checks ---------------------------------------------------

  #onPod(pod: Pod): void {
    const key = metaNamespaceKey(pod);
    if (isPodTerminated(pod)) {
      this.#terminated.add(key);
      if (this.#threshold > 0 && this.#terminated.size > this.#threshold) {
        this.#queue.add(TERMINATED_KEY);
      }
    } else {
      this.#terminated.delete(key);
    }
    const nodeName = pod.spec?.nodeName ?? "";
    if (nodeName !== "" && !this.#deps.nodeInformer.store.get(nodeName)) {
      this.#queue.addAfter(NODE_PREFIX + nodeName, this.#quarantineMs);
    }
    if (pod.metadata?.deletionTimestamp) this.#queue.add(POD_PREFIX + key);
  }

  #onNodeUpdate(old: Node, node: Node): void {
    if (!isOutOfService(node) || isOutOfService(old)) return;
    const name = node.metadata?.name ?? "";
    for (const pod of this.#deps.podInformer.store.byIndex(POD_NODE_NAME_INDEX, name)) {
      if (pod.metadata?.deletionTimestamp) this.#queue.add(POD_PREFIX + metaNamespaceKey(pod));
    }
  }

  // --- checks ---------------------------------------------------------------------------------

  /** Runs one check (a queue key). Throws to be retried with backoff. */
  async sync(key: string): Promise<void> {
    if (key === TERMINATED_KEY) return await this.#gcTerminated();
    if (key.startsWith(NODE_PREFIX)) return await this.#gcOrphaned(key.slice(NODE_PREFIX.length));
    if (key.startsWith(POD_PREFIX)) return await this.#gcTerminating(key.slice(POD_PREFIX.length));
  }

  /** Deletes the terminated pods above the threshold (upstream `gcTerminated`). */
  async #gcTerminated(): Promise<void> {
    if (this.#threshold <= 0) return;
    const store = this.#deps.podInformer.store;
    const terminated: Pod[] = [];
    for (const key of this.#terminated) {
      const pod = store.get(key);
      if (pod && isPodTerminated(pod)) terminated.push(pod);
    }
    const deleteCount = terminated.length - this.#threshold;
    if (deleteCount <= 0) return;
    this.#logger.info("Garbage collecting pods", { numPods: deleteCount });
    terminated.sort(compareForCollection);
    await this.#forceDeleteAll(terminated.slice(0, deleteCount), null);
  }

  /**
   * Deletes the pods of `nodeName` if the node is really gone (upstream `gcOrphaned` after the
   * quarantine): not in the cache, and a read from the API says NotFound.
   */
  async #gcOrphaned(nodeName: string): Promise<void> {
    const pods = this.#deps.podInformer.store.byIndex(POD_NODE_NAME_INDEX, nodeName);
    if (pods.length === 0 || this.#deps.nodeInformer.store.get(nodeName)) return;
    try {
      await this.#nodes.get(nodeName);
      return; // The cache lags; the node exists.
    } catch (err) {
      if (!isNotFound(err)) {
        throw new Error(`Cannot get node "${nodeName}": ${errorText(err)}`, { cause: err });
      }
    }
    for (const pod of pods) {
      this.#logger.info("Found orphaned Pod assigned to the Node, deleting", {
        pod: metaNamespaceKey(pod),
        node: nodeName,
      });
    }
    await this.#forceDeleteAll(pods, {
      type: "DisruptionTarget",
      status: "True",
      reason: DELETION_BY_POD_GC_REASON,
      message: "PodGC: node no longer exists",
    });
  }

  /**
   * Deletes a terminating pod that no kubelet will finish: unscheduled (upstream
   * `gcUnscheduledTerminating`) or on a not-ready node with the out-of-service taint (upstream
   * `gcTerminating`).
   */
  async #gcTerminating(key: string): Promise<void> {
    const pod = this.#deps.podInformer.store.get(key);
    if (!pod?.metadata?.deletionTimestamp) return;
    const nodeName = pod.spec?.nodeName ?? "";
    if (nodeName === "") {
      this.#logger.info("Found unscheduled terminating Pod not assigned to any Node, deleting", {
        pod: key,
      });
    } else {
      const node = this.#deps.nodeInformer.store.get(nodeName);
      if (!node || !isOutOfService(node)) return;
      this.#logger.info("Garbage collecting pod that is terminating", {
        pod: key,
        phase: pod.status?.phase,
      });
    }
    await this.#forceDeleteAll([pod], null);
  }

  async #forceDeleteAll(pods: readonly Pod[], condition: PodCondition | null): Promise<void> {
    const errors: unknown[] = [];
    for (let i = 0; i < pods.length; i += DELETE_CONCURRENCY) {
      const batch = pods.slice(i, i + DELETE_CONCURRENCY);
      const results = await Promise.allSettled(
        batch.map((pod) => this.#markFailedAndDelete(pod, condition)),
      );
      for (const r of results) if (r.status === "rejected") errors.push(r.reason);
    }
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) {
      throw new AggregateError(
        errors,
        `Cannot delete ${errors.length} pods: ${errorText(errors[0])}`,
      );
    }
  }

  /**
   * Marks a non-terminal pod Failed (with `condition`, if any), then deletes it with grace
   * period 0 (upstream `markFailedAndDeletePodWithCondition`). A pod already gone is no error.
   */
  async #markFailedAndDelete(pod: Pod, condition: PodCondition | null): Promise<void> {
    const key = metaNamespaceKey(pod);
    const { namespace, name } = splitMetaNamespaceKey(key);
    const phase = pod.status?.phase;
    // Already force-deleted: deleting again changes nothing.
    if (
      (phase === "Succeeded" || phase === "Failed") && pod.metadata?.deletionTimestamp &&
      pod.metadata.deletionGracePeriodSeconds === 0
    ) return;
    this.#logger.info("PodGC is force deleting Pod", { pod: key });
    try {
      if (phase !== "Succeeded" && phase !== "Failed") {
        const status: Record<string, unknown> = { phase: "Failed" };
        if (condition) status.conditions = [this.#conditionFor(pod, condition)];
        await this.#pods.patch(name, {
          namespace,
          type: "strategic",
          subresource: "status",
          body: { metadata: { uid: pod.metadata?.uid }, status },
        });
      }
      await this.#pods.delete(name, { namespace, gracePeriodSeconds: 0 });
    } catch (err) {
      if (isNotFound(err)) return;
      throw new Error(`Cannot force delete pod "${key}": ${errorText(err)}`, { cause: err });
    }
  }

  /** `condition` as upstream's `UpdatePodCondition` sets it: the transition time kept if unchanged. */
  #conditionFor(pod: Pod, condition: PodCondition): PodCondition {
    const old = pod.status?.conditions?.find((c) => c.type === condition.type);
    const since = old && old.status === condition.status && old.lastTransitionTime
      ? old.lastTransitionTime
      : rfc3339(this.#deps.clock.now());
    return { ...condition, lastTransitionTime: since };
  }
}

/** Builds the pod garbage collector on the manager's shared informers. */
export function podGcController(
  context: ControllerContext,
  options: PodGcControllerOptions = {},
): RunnableController {
  return new PodGcController({
    client: context.client,
    podInformer: context.informers.informerFor(PODS),
    nodeInformer: context.informers.informerFor(NODES),
    clock: context.clock,
    logger: context.logger,
  }, options);
}
