/**
 * The ReplicaSet controller, as kube-controller-manager's `replicaset` controller: keeps
 * `spec.replicas` active pods matching each ReplicaSet's selector, and reports what it sees in
 * `status`.
 *
 * - Informer handlers only enqueue ReplicaSet keys: a pod maps to its controller (its owner
 *   reference with `controller: true`), an orphan to every ReplicaSet whose selector matches it
 *   (so one can adopt it). They also lower the **expectations** (`expectations.ts`): the
 *   creations and deletions a sync asked for and the cache has not shown yet. While those are
 *   outstanding (for at most 5 minutes) a sync only updates status: acting on a lagging cache
 *   would create or delete twice.
 * - `sync(key)` is level-triggered: it reads the ReplicaSet and its pods from the caches,
 *   claims pods (adopts matching orphans, releases pods that no longer match), then creates
 *   the missing pods in slow-start batches (1, 2, 4, …, at most `burstReplicas` per sync,
 *   stopping at the first failure) or deletes the excess, least valuable first
 *   (`active_pods.ts`), and writes `status` (replicas, fullyLabeledReplicas, readyReplicas,
 *   availableReplicas after `minReadySeconds`, observedGeneration, the `ReplicaFailure`
 *   condition) only when it changed.
 *
 * @example Run it on shared informers
 * ```ts ignore
 * const controller = new ReplicaSetController({
 *   client,
 *   rsInformer: informers.informerFor(REPLICA_SETS),
 *   podInformer: informers.informerFor(PODS),
 *   podControl: new ApiPodControl({ client, recorder }),
 *   clock,
 *   logger,
 * });
 * informers.start(signal);
 * await controller.run(signal);
 * ```
 *
 * @module
 */
import type { ReplicaSet, ReplicaSetCondition, ReplicaSetStatus } from "../api/types/apps_v1.ts";
import type { Pod } from "../api/types/core_v1_pod.ts";
import type { KubeObject, OwnerReference } from "../api/types/meta_v1.ts";
import type { Client, ResourceClient } from "../client/client.ts";
import type { CacheSyncWaiter } from "../client/controller.ts";
import { runController } from "../client/controller.ts";
import { isNotFound } from "../client/errors.ts";
import type { HandlerRegistration, InformerHandler } from "../client/informer.ts";
import { REPLICA_SETS } from "../client/resources.ts";
import {
  indexByOwnerUid,
  type IndexFn,
  metaNamespaceKey,
  type ObjectStore,
  splitMetaNamespaceKey,
} from "../client/store.ts";
import { WorkQueue } from "../client/workqueue.ts";
import type { Clock } from "../util/clock.ts";
import type { Logger } from "../util/logger.ts";
import {
  type CompiledLabelSelector,
  compileLabelSelector,
  labelSelectorFromSet,
} from "../client/label_selector.ts";
import { rfc3339 } from "./_rfc3339.ts";
import {
  filterActivePods,
  isPodActive,
  isPodAvailable,
  isPodReady,
  sortPodsForDeletion,
} from "./active_pods.ts";
import {
  type ControllerKind,
  getControllerOf,
  newControllerRef,
  PodControllerRefManager,
} from "./controller_ref_manager.ts";
import { ControllerExpectations } from "./expectations.ts";
import {
  FAILED_CREATE_POD_REASON,
  FAILED_DELETE_POD_REASON,
  isNamespaceTerminating,
  type PodControl,
} from "./pod_control.ts";
import { slowStartBatch } from "./slow_start_batch.ts";

/** The controller's name in logs and in the controller manager's list. */
export const REPLICASET_CONTROLLER_NAME = "replicaset";

/** The kind the controller manages. */
export const REPLICA_SET_KIND: ControllerKind = { apiVersion: "apps/v1", kind: "ReplicaSet" };

/** The most pods one sync creates or deletes (upstream `BurstReplicas`). */
export const BURST_REPLICAS = 500;

/** Index of objects by the uids of their owners (shared with other controllers). */
export const OWNER_UID_INDEX = "ownerUid";
/** Index of pods without a controller, by namespace (orphans to adopt). */
export const ORPHAN_NAMESPACE_INDEX = "orphanNamespace";

/** The orphans' index: a pod with no controllerRef is filed under its namespace. */
export function indexOrphansByNamespace(obj: KubeObject): readonly string[] {
  return getControllerOf(obj) ? [] : [obj.metadata?.namespace ?? ""];
}

/** The condition a ReplicaSet gets while it cannot create or delete pods. */
export const REPLICA_FAILURE = "ReplicaFailure";

/** What the controller needs of an informer (an `Informer`, or a fake in tests). */
export interface InformerLike<T extends KubeObject> extends CacheSyncWaiter {
  readonly store: ObjectStore<T>;
  addHandler(handler: InformerHandler<T>): HandlerRegistration;
  addIndexers(indexers: Readonly<Record<string, IndexFn<T>>>): void;
}

/** What {@linkcode ReplicaSetController} works with. */
export interface ReplicaSetControllerDeps {
  /** Reads ReplicaSets past the cache (before adopting) and writes their status. */
  readonly client: Client;
  readonly rsInformer: InformerLike<ReplicaSet>;
  readonly podInformer: InformerLike<Pod>;
  readonly podControl: PodControl;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** Options of {@linkcode ReplicaSetController}. */
export interface ReplicaSetControllerOptions {
  /** @default {BURST_REPLICAS} */
  readonly burstReplicas?: number;
  /** Syncs at once (upstream `--concurrent-replicaset-syncs`). @default {5} */
  readonly workers?: number;
  /** @default {EXPECTATIONS_TIMEOUT_MS} */
  readonly expectationsTimeoutMs?: number;
}

function addMissingIndexers<T extends KubeObject>(
  informer: InformerLike<T>,
  indexers: Readonly<Record<string, IndexFn<T>>>,
): void {
  const have = new Set(informer.store.indexNames());
  const missing = Object.entries(indexers).filter(([name]) => !have.has(name));
  if (missing.length > 0) informer.addIndexers(Object.fromEntries(missing));
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** What {@linkcode calculateReplicaSetStatus} needs besides the ReplicaSet. */
export interface ReplicaSetStatusInput {
  /** The active pods the ReplicaSet owns. */
  readonly pods: readonly Pod[];
  /** What went wrong creating or deleting pods in this sync, if anything. */
  readonly manageError?: unknown;
  readonly nowMs: number;
}

/**
 * The status a ReplicaSet should have (upstream `calculateStatus`); `observedGeneration` is
 * left as it was (the writer sets it).
 */
export function calculateReplicaSetStatus(
  rs: ReplicaSet,
  input: ReplicaSetStatusInput,
): ReplicaSetStatus {
  const minReadySeconds = rs.spec?.minReadySeconds ?? 0;
  const templateLabels = rs.spec?.template?.metadata?.labels;
  let fullyLabeled = 0;
  let ready = 0;
  let available = 0;
  const fullLabels = labelSelectorFromSet(templateLabels ?? {});
  for (const pod of input.pods) {
    if (fullLabels.matches(pod.metadata?.labels)) fullyLabeled++;
    if (isPodReady(pod)) {
      ready++;
      if (isPodAvailable(pod, { minReadySeconds, nowMs: input.nowMs })) available++;
    }
  }
  const status: ReplicaSetStatus = structuredClone(rs.status ?? { replicas: 0 });
  const failure = status.conditions?.find((c) => c.type === REPLICA_FAILURE);
  if (input.manageError !== undefined && !failure) {
    const diff = input.pods.length - (rs.spec?.replicas ?? 1);
    const reason = diff < 0 ? FAILED_CREATE_POD_REASON : diff > 0 ? FAILED_DELETE_POD_REASON : "";
    const condition: ReplicaSetCondition = {
      type: REPLICA_FAILURE,
      status: "True",
      lastTransitionTime: rfc3339(input.nowMs),
      reason,
      message: errorText(input.manageError),
    };
    status.conditions = [...(status.conditions ?? []), condition];
  } else if (input.manageError === undefined && failure) {
    status.conditions = status.conditions!.filter((c) => c.type !== REPLICA_FAILURE);
    if (status.conditions.length === 0) delete status.conditions;
  }
  status.replicas = input.pods.length;
  status.fullyLabeledReplicas = fullyLabeled;
  status.readyReplicas = ready;
  status.availableReplicas = available;
  return status;
}

function sameConditions(
  a: readonly ReplicaSetCondition[] | undefined,
  b: readonly ReplicaSetCondition[] | undefined,
): boolean {
  return JSON.stringify(a ?? []) === JSON.stringify(b ?? []);
}

/** Whether writing `next` would change nothing (upstream's steady-state check). */
export function replicaSetStatusUnchanged(rs: ReplicaSet, next: ReplicaSetStatus): boolean {
  const cur = rs.status;
  return (cur?.replicas ?? 0) === next.replicas &&
    (cur?.fullyLabeledReplicas ?? 0) === (next.fullyLabeledReplicas ?? 0) &&
    (cur?.readyReplicas ?? 0) === (next.readyReplicas ?? 0) &&
    (cur?.availableReplicas ?? 0) === (next.availableReplicas ?? 0) &&
    (rs.metadata?.generation ?? 0) === (cur?.observedGeneration ?? 0) &&
    sameConditions(cur?.conditions, next.conditions);
}

/** Status writes retried after a fresh read (upstream `statusUpdateRetries`). */
const STATUS_UPDATE_RETRIES = 1;

/** Keeps ReplicaSets' pods at the desired count. */
export class ReplicaSetController {
  readonly #deps: ReplicaSetControllerDeps;
  readonly #rsClient: ResourceClient<ReplicaSet>;
  readonly #rsStore: ObjectStore<ReplicaSet>;
  readonly #podStore: ObjectStore<Pod>;
  readonly #queue: WorkQueue<string>;
  readonly #expectations: ControllerExpectations;
  readonly #logger: Logger;
  readonly #burstReplicas: number;
  readonly #workers: number;
  readonly #registrations: HandlerRegistration[] = [];
  /** Compiled selectors of cached ReplicaSet objects (frozen, so safe to key by identity). */
  readonly #selectors = new WeakMap<ReplicaSet, CompiledLabelSelector | null>();

  constructor(deps: ReplicaSetControllerDeps, options: ReplicaSetControllerOptions = {}) {
    this.#deps = deps;
    this.#rsClient = deps.client.resource(REPLICA_SETS);
    this.#logger = deps.logger.with({ controller: REPLICASET_CONTROLLER_NAME });
    this.#burstReplicas = options.burstReplicas ?? BURST_REPLICAS;
    this.#workers = options.workers ?? 5;
    this.#queue = new WorkQueue<string>({ clock: deps.clock });
    this.#expectations = new ControllerExpectations({
      clock: deps.clock,
      logger: this.#logger,
      ...(options.expectationsTimeoutMs !== undefined
        ? { timeoutMs: options.expectationsTimeoutMs }
        : {}),
    });
    addMissingIndexers(deps.rsInformer, { [OWNER_UID_INDEX]: indexByOwnerUid });
    addMissingIndexers(deps.podInformer, {
      [OWNER_UID_INDEX]: indexByOwnerUid,
      [ORPHAN_NAMESPACE_INDEX]: indexOrphansByNamespace,
    });
    this.#rsStore = deps.rsInformer.store;
    this.#podStore = deps.podInformer.store;
    this.#registrations.push(
      deps.rsInformer.addHandler({
        add: (rs) => this.#enqueue(rs),
        update: (old, cur) => this.#onRsUpdate(old, cur),
        delete: (rs) => this.#onRsDelete(rs),
      }),
      deps.podInformer.addHandler({
        add: (pod) => this.#onPodAdd(pod),
        update: (old, cur) => this.#onPodUpdate(old, cur),
        delete: (pod) => this.#onPodDelete(pod),
      }),
    );
  }

  /** The keys waiting to be synced. */
  get queue(): WorkQueue<string> {
    return this.#queue;
  }

  /** The creations and deletions each ReplicaSet still expects to observe. */
  get expectations(): ControllerExpectations {
    return this.#expectations;
  }

  /** Waits for the caches, then syncs queued keys until `signal` aborts. Runs once. */
  async run(signal: AbortSignal): Promise<void> {
    try {
      await runController({
        name: REPLICASET_CONTROLLER_NAME,
        queue: this.#queue,
        sync: (key) => this.sync(key),
        workers: this.#workers,
        waitFor: [this.#deps.rsInformer, this.#deps.podInformer],
        signal,
        logger: this.#deps.logger,
        clock: this.#deps.clock,
      });
    } finally {
      for (const r of this.#registrations.splice(0)) r.remove();
    }
  }

  // --- event handlers: only enqueue keys (and lower expectations) ---------------------------

  #enqueue(rs: ReplicaSet): void {
    this.#queue.add(metaNamespaceKey(rs));
  }

  #onRsUpdate(old: ReplicaSet, cur: ReplicaSet): void {
    if (old.metadata?.uid !== cur.metadata?.uid) this.#onRsDelete(old);
    if ((old.spec?.replicas ?? 1) !== (cur.spec?.replicas ?? 1)) {
      this.#logger.debug("ReplicaSet updated. Desired pod count change.", {
        replicaSet: metaNamespaceKey(cur),
        oldReplicas: old.spec?.replicas ?? 1,
        newReplicas: cur.spec?.replicas ?? 1,
      });
    }
    this.#enqueue(cur);
  }

  #onRsDelete(rs: ReplicaSet): void {
    const key = metaNamespaceKey(rs);
    // A new ReplicaSet of the same name starts with clean expectations.
    this.#expectations.delete(key);
    this.#queue.add(key);
  }

  #resolveControllerRef(namespace: string, ref: OwnerReference): ReplicaSet | undefined {
    if (ref.kind !== REPLICA_SET_KIND.kind) return undefined;
    const rs = this.#rsStore.get(`${namespace}/${ref.name}`);
    return rs && rs.metadata?.uid === ref.uid ? rs : undefined;
  }

  #selectorOf(rs: ReplicaSet): CompiledLabelSelector | null {
    if (this.#selectors.has(rs)) return this.#selectors.get(rs)!;
    let selector: CompiledLabelSelector | null;
    try {
      selector = compileLabelSelector(rs.spec?.selector);
    } catch {
      selector = null;
    }
    if (Object.isFrozen(rs)) this.#selectors.set(rs, selector);
    return selector;
  }

  /** The ReplicaSets whose selectors match an orphan pod (upstream `GetPodReplicaSets`). */
  #podReplicaSets(pod: Pod): ReplicaSet[] {
    const labels = pod.metadata?.labels;
    if (!labels || Object.keys(labels).length === 0) return [];
    const matched = this.#rsStore.byIndex("namespace", pod.metadata?.namespace ?? "").filter(
      (rs) => {
        const selector = this.#selectorOf(rs);
        // A nil or empty selector must match nothing here, not everything.
        return selector !== null && !selector.isEmpty && selector.matches(labels);
      },
    );
    if (matched.length > 1) {
      this.#logger.warn("More than one ReplicaSet is selecting pods with these labels", {
        pod: metaNamespaceKey(pod),
        labels,
        replicaSets: matched.map(metaNamespaceKey),
      });
    }
    return matched;
  }

  #onPodAdd(pod: Pod): void {
    if (pod.metadata?.deletionTimestamp) {
      // Seen for the first time already being deleted: not a creation to observe.
      this.#onPodDelete(pod);
      return;
    }
    const ref = getControllerOf(pod);
    if (ref) {
      const rs = this.#resolveControllerRef(pod.metadata?.namespace ?? "", ref);
      if (!rs) return;
      const key = metaNamespaceKey(rs);
      this.#expectations.creationObserved(key);
      this.#queue.add(key);
      return;
    }
    // An orphan: every matching ReplicaSet may want to adopt it. No creation is observed.
    for (const rs of this.#podReplicaSets(pod)) this.#enqueue(rs);
  }

  #onPodUpdate(old: Pod, cur: Pod): void {
    // A resync (same version): nothing changed.
    if (cur.metadata?.resourceVersion === old.metadata?.resourceVersion) return;
    const labelsChanged = JSON.stringify(cur.metadata?.labels ?? {}) !==
      JSON.stringify(old.metadata?.labels ?? {});
    if (cur.metadata?.deletionTimestamp) {
      // A graceful delete began: count it now and replace the pod without waiting for the
      // kubelet to finish.
      this.#onPodDelete(cur);
      if (labelsChanged) this.#onPodDelete(old);
      return;
    }
    const curRef = getControllerOf(cur);
    const oldRef = getControllerOf(old);
    const refChanged = JSON.stringify(curRef ?? null) !== JSON.stringify(oldRef ?? null);
    if (refChanged && oldRef) {
      const rs = this.#resolveControllerRef(old.metadata?.namespace ?? "", oldRef);
      if (rs) this.#enqueue(rs);
    }
    if (curRef) {
      const rs = this.#resolveControllerRef(cur.metadata?.namespace ?? "", curRef);
      if (!rs) return;
      this.#enqueue(rs);
      const minReadySeconds = rs.spec?.minReadySeconds ?? 0;
      if (!isPodReady(old) && isPodReady(cur) && minReadySeconds > 0) {
        // Check availability once the pod has been ready long enough (+1 s against skew).
        this.#queue.addAfter(metaNamespaceKey(rs), minReadySeconds * 1000 + 1000);
      }
      return;
    }
    if (labelsChanged || refChanged) {
      for (const rs of this.#podReplicaSets(cur)) this.#enqueue(rs);
    }
  }

  #onPodDelete(pod: Pod): void {
    const ref = getControllerOf(pod);
    if (!ref) return;
    const rs = this.#resolveControllerRef(pod.metadata?.namespace ?? "", ref);
    if (!rs) return;
    const key = metaNamespaceKey(rs);
    this.#expectations.deletionObserved(key, metaNamespaceKey(pod));
    this.#queue.add(key);
  }

  // --- sync -----------------------------------------------------------------------------------

  /**
   * Converges the ReplicaSet `key` (`namespace/name`) from the caches. Throws to be retried
   * with backoff (a failed claim, create, delete or status write).
   */
  async sync(key: string): Promise<void> {
    const rs = this.#rsStore.get(key);
    if (!rs) {
      this.#expectations.delete(key);
      return;
    }
    const needsSync = this.#expectations.satisfied(key);
    const selector = this.#selectorOf(rs);
    if (selector === null) {
      this.#logger.error("Cannot use the ReplicaSet's pod selector", { key });
      return;
    }
    const { claimed, errors } = await this.#claimPods(rs, selector);
    if (errors.length > 0) {
      throw new Error(`Cannot claim pods of ReplicaSet "${key}": ${errorText(errors[0])}`, {
        cause: errors.length === 1 ? errors[0] : new AggregateError(errors),
      });
    }
    let manageError: unknown = undefined;
    if (needsSync && !rs.metadata?.deletionTimestamp) {
      try {
        await this.#manageReplicas(rs, claimed);
      } catch (err) {
        manageError = err;
      }
    }
    const status = calculateReplicaSetStatus(rs, {
      pods: claimed,
      ...(manageError !== undefined ? { manageError } : {}),
      nowMs: this.#deps.clock.now(),
    });
    const updated = await this.#updateStatus(rs, status);
    const replicas = updated.spec?.replicas ?? 1;
    const minReadySeconds = updated.spec?.minReadySeconds ?? 0;
    if (
      manageError === undefined && minReadySeconds > 0 &&
      (updated.status?.readyReplicas ?? 0) === replicas &&
      (updated.status?.availableReplicas ?? 0) !== replicas
    ) {
      // A last check of availability, should a pod's update be missed.
      this.#queue.addAfter(key, minReadySeconds * 1000);
    }
    if (manageError !== undefined) throw manageError;
  }

  /** The active pods this ReplicaSet controls or could adopt, claimed. */
  async #claimPods(
    rs: ReplicaSet,
    selector: CompiledLabelSelector,
  ): Promise<{ claimed: Pod[]; errors: unknown[] }> {
    const uid = rs.metadata?.uid ?? "";
    const namespace = rs.metadata?.namespace ?? "";
    const candidates = [
      ...this.#podStore.byIndex(OWNER_UID_INDEX, uid).filter((pod) =>
        getControllerOf(pod)?.uid === uid
      ),
      ...this.#podStore.byIndex(ORPHAN_NAMESPACE_INDEX, namespace),
    ];
    const manager = new PodControllerRefManager({
      podControl: this.#deps.podControl,
      controller: rs,
      controllerKind: REPLICA_SET_KIND,
      matches: (pod) => selector.matches(pod.metadata?.labels),
      canAdopt: () => this.#canAdopt(rs),
    });
    return await manager.claimPods(filterActivePods(candidates));
  }

  /** Rejects unless an uncached read shows the same ReplicaSet, not being deleted. */
  async #canAdopt(rs: ReplicaSet): Promise<void> {
    const { namespace, name } = splitMetaNamespaceKey(metaNamespaceKey(rs));
    let fresh: ReplicaSet;
    try {
      fresh = await this.#rsClient.get(name, { namespace });
    } catch (err) {
      throw new Error(`Cannot recheck deletionTimestamp: ${errorText(err)}`, { cause: err });
    }
    if (fresh.metadata?.uid !== rs.metadata?.uid) {
      throw new Error(
        `Original ReplicaSet "${namespace}/${name}" is gone: got uid ${fresh.metadata?.uid}, wanted ${rs.metadata?.uid}`,
      );
    }
    if (fresh.metadata?.deletionTimestamp) {
      throw new Error(
        `ReplicaSet "${namespace}/${name}" has just been deleted at ${fresh.metadata.deletionTimestamp}`,
      );
    }
  }

  async #manageReplicas(rs: ReplicaSet, pods: readonly Pod[]): Promise<void> {
    const key = metaNamespaceKey(rs);
    const namespace = rs.metadata?.namespace ?? "";
    const want = rs.spec?.replicas ?? 1;
    let diff = pods.length - want;
    if (diff < 0) {
      const count = Math.min(-diff, this.#burstReplicas);
      // Expect them all before the first create: the informer may show a pod before the
      // create call returns.
      this.#expectations.expectCreations(key, count);
      this.#logger.info("Too few replicas", { replicaSet: key, need: want, creating: count });
      const template = rs.spec?.template ?? {};
      const controllerRef = newControllerRef(rs, REPLICA_SET_KIND);
      const result = await slowStartBatch(count, {
        fn: async () => {
          try {
            await this.#deps.podControl.createPods({
              namespace,
              template,
              owner: rs,
              controllerRef,
            });
          } catch (err) {
            // In a namespace being deleted every creation fails: nothing to do.
            if (!isNamespaceTerminating(err)) throw err;
          }
        },
      });
      // The informer will never show the pods that were not created (failed or skipped).
      const skipped = count - result.successes;
      if (skipped > 0) {
        this.#logger.info(
          "Slow-start failure. Skipping creation of pods, decrementing expectations",
          {
            podsSkipped: skipped,
            replicaSet: key,
          },
        );
        for (let i = 0; i < skipped; i++) this.#expectations.creationObserved(key);
      }
      if (result.error !== undefined) throw result.error;
      return;
    }
    if (diff > 0) {
      diff = Math.min(diff, this.#burstReplicas);
      this.#logger.info("Too many replicas", { replicaSet: key, need: want, deleting: diff });
      const toDelete = this.#podsToDelete(rs, { pods, count: diff });
      this.#expectations.expectDeletions(key, toDelete.map(metaNamespaceKey));
      const results = await Promise.allSettled(toDelete.map(async (pod) => {
        try {
          await this.#deps.podControl.deletePod({
            namespace,
            name: pod.metadata?.name ?? "",
            owner: rs,
          });
        } catch (err) {
          // The informer will never show this deletion.
          this.#expectations.deletionObserved(key, metaNamespaceKey(pod));
          if (isNotFound(err)) return;
          this.#logger.info("Failed to delete pod, decremented expectations", {
            pod: metaNamespaceKey(pod),
            replicaSet: key,
          });
          throw err;
        }
      }));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
      if (failed) throw failed.reason;
    }
  }

  /** The `count` least valuable of `pods` (upstream `getPodsToDelete`). */
  #podsToDelete(
    rs: ReplicaSet,
    request: { readonly pods: readonly Pod[]; readonly count: number },
  ): Pod[] {
    const { pods, count } = request;
    if (count >= pods.length) return [...pods];
    const perNode = new Map<string, number>();
    for (const pod of this.#relatedPods(rs)) {
      if (!isPodActive(pod)) continue;
      const node = pod.spec?.nodeName ?? "";
      perNode.set(node, (perNode.get(node) ?? 0) + 1);
    }
    const sorted = sortPodsForDeletion(pods, {
      nowMs: this.#deps.clock.now(),
      rank: (pod) => perNode.get(pod.spec?.nodeName ?? "") ?? 0,
    });
    return sorted.slice(0, count);
  }

  /**
   * The pods of every ReplicaSet with the same controller as `rs` (a Deployment's old and new
   * ReplicaSets); none for a ReplicaSet without a controller, as upstream.
   */
  #relatedPods(rs: ReplicaSet): Pod[] {
    const ref = getControllerOf(rs);
    if (!ref) return [];
    const related = this.#rsStore.byIndex(OWNER_UID_INDEX, ref.uid).filter((r) =>
      getControllerOf(r)?.uid === ref.uid
    );
    const seen = new Set<string>();
    const out: Pod[] = [];
    for (const other of related) {
      const selector = this.#selectorOf(other);
      if (selector === null) continue;
      for (const pod of this.#podStore.byIndex("namespace", other.metadata?.namespace ?? "")) {
        const uid = pod.metadata?.uid ?? metaNamespaceKey(pod);
        if (seen.has(uid) || !selector.matches(pod.metadata?.labels)) continue;
        seen.add(uid);
        out.push(pod);
      }
    }
    return out;
  }

  /**
   * Writes `status` unless nothing changed (upstream `updateReplicaSetStatus`): on a failed
   * write, reads the ReplicaSet again and retries once.
   */
  async #updateStatus(rs: ReplicaSet, status: ReplicaSetStatus): Promise<ReplicaSet> {
    if (replicaSetStatusUnchanged(rs, status)) return rs;
    const next: ReplicaSetStatus = { ...status };
    if (rs.metadata?.generation !== undefined) next.observedGeneration = rs.metadata.generation;
    let current = rs;
    for (let attempt = 0;; attempt++) {
      try {
        return await this.#rsClient.updateStatus({ ...current, status: next });
      } catch (err) {
        if (attempt >= STATUS_UPDATE_RETRIES) throw err;
        const { namespace, name } = splitMetaNamespaceKey(metaNamespaceKey(rs));
        current = await this.#rsClient.get(name, { namespace });
      }
    }
  }
}
