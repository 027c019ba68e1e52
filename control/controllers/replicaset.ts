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
 * - The logic is {@linkcode ReplicatedPodsController}, generic over the kind it runs for (a
 *   {@linkcode ReplicatedKind}: the resource, the controllerRef kind and how to read the pod
 *   selector). {@linkcode ReplicaSetController} runs it for ReplicaSets; the
 *   `replicationcontroller` controller runs the same code for core/v1 ReplicationControllers,
 *   as upstream's replication manager runs the ReplicaSet controller through adapters.
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
import type { ReplicaSet, ReplicaSetCondition } from "../api/types/apps_v1.ts";
import type { Pod, PodTemplateSpec } from "../api/types/core_v1_pod.ts";
import type { KubeObject, LabelSelector } from "../api/types/meta_v1.ts";
import type { Client, ResourceClient } from "../client/client.ts";
import { isNotFound } from "../client/errors.ts";
import { type ApiResource, REPLICA_SETS } from "../client/resources.ts";
import {
  indexByOwnerUid,
  metaNamespaceKey,
  type ObjectStore,
  splitMetaNamespaceKey,
} from "../client/store.ts";
import type { WorkQueue } from "../client/workqueue.ts";
import type { Clock } from "../util/clock.ts";
import type { Logger } from "../util/logger.ts";
import { type CompiledLabelSelector, labelSelectorFromSet } from "../client/label_selector.ts";
import { availabilityRecheckMs, ownedObjectHandler, ownerHandler } from "./_controller_handlers.ts";
import { addMissingIndexers, ControllerLoop, type InformerLike } from "./_controller_loop.ts";
import { errorText } from "./_errors.ts";
import {
  claimOwnedPods,
  controlledBy,
  indexOrphansByNamespace,
  ORPHAN_NAMESPACE_INDEX,
  OWNER_UID_INDEX,
  recheckOwner,
} from "./_owner_adoption.ts";
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
} from "./controller_ref_manager.ts";
import { ControllerExpectations } from "./expectations.ts";
import { OwnerLookup } from "./owner_lookup.ts";
import {
  FAILED_CREATE_POD_REASON,
  FAILED_DELETE_POD_REASON,
  isNamespaceTerminating,
  type PodControl,
} from "./pod_control.ts";
import { slowStartBatch } from "./slow_start_batch.ts";

export type { InformerLike } from "./_controller_loop.ts";
export {
  indexOrphansByNamespace,
  ORPHAN_NAMESPACE_INDEX,
  OWNER_UID_INDEX,
} from "./_owner_adoption.ts";

/** The controller's name in logs and in the controller manager's list. */
export const REPLICASET_CONTROLLER_NAME = "replicaset";

/** The kind the controller manages. */
export const REPLICA_SET_KIND: ControllerKind = { apiVersion: "apps/v1", kind: "ReplicaSet" };

/** The most pods one sync creates or deletes (upstream `BurstReplicas`). */
export const BURST_REPLICAS = 500;

/** The condition a ReplicaSet gets while it cannot create or delete pods. */
export const REPLICA_FAILURE = "ReplicaFailure";

/** The status fields the controller writes (ReplicaSet's and ReplicationController's). */
export interface ReplicaCountStatus {
  replicas: number;
  fullyLabeledReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  observedGeneration?: number;
  conditions?: ReplicaSetCondition[];
}

/** An object that keeps `spec.replicas` pods of `spec.template` (ReplicaSet, ReplicationController). */
export interface ReplicatedPods extends KubeObject {
  spec?: {
    replicas?: number;
    minReadySeconds?: number;
    template?: PodTemplateSpec;
  };
  status?: ReplicaCountStatus;
}

/**
 * What {@linkcode ReplicatedPodsController} needs to know of the kind it runs for (upstream
 * `NewBaseController`'s group-version-kind and names, and the replication manager's adapters).
 */
export interface ReplicatedKind<T extends ReplicatedPods> {
  /** The controller's name in logs and its work queue (`replicaset`). */
  readonly name: string;
  /** The kind in controllerRefs (and in messages). */
  readonly kind: ControllerKind;
  /** Where the objects are read past the cache and their status written. */
  readonly resource: ApiResource<T>;
  /** The object's pod selector as a LabelSelector (absent or invalid: it selects nothing). */
  readonly selector: (owner: T) => LabelSelector | undefined;
}

/** ReplicaSets, as {@linkcode ReplicaSetController} runs for them. */
export const REPLICA_SET_REPLICATED_KIND: ReplicatedKind<ReplicaSet> = Object.freeze({
  name: REPLICASET_CONTROLLER_NAME,
  kind: REPLICA_SET_KIND,
  resource: REPLICA_SETS,
  selector: (rs: ReplicaSet) => rs.spec?.selector,
});

/** What {@linkcode ReplicatedPodsController} works with. */
export interface ReplicatedPodsControllerDeps<T extends ReplicatedPods> {
  readonly kind: ReplicatedKind<T>;
  /** Reads the owners past the cache (before adopting) and writes their status. */
  readonly client: Client;
  /** The owners' informer. */
  readonly informer: InformerLike<T>;
  readonly podInformer: InformerLike<Pod>;
  readonly podControl: PodControl;
  readonly clock: Clock;
  readonly logger: Logger;
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

/** Options of {@linkcode ReplicatedPodsController} and {@linkcode ReplicaSetController}. */
export interface ReplicaSetControllerOptions {
  /** @default {BURST_REPLICAS} */
  readonly burstReplicas?: number;
  /** Syncs at once (upstream `--concurrent-replicaset-syncs`). @default {5} */
  readonly workers?: number;
  /** @default {EXPECTATIONS_TIMEOUT_MS} */
  readonly expectationsTimeoutMs?: number;
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
 * The status a ReplicaSet (or ReplicationController) should have (upstream `calculateStatus`);
 * `observedGeneration` is left as it was (the writer sets it).
 */
export function calculateReplicaSetStatus(
  rs: ReplicatedPods,
  input: ReplicaSetStatusInput,
): ReplicaCountStatus {
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
  const status: ReplicaCountStatus = structuredClone(rs.status ?? { replicas: 0 });
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
export function replicaSetStatusUnchanged(rs: ReplicatedPods, next: ReplicaCountStatus): boolean {
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

/**
 * Keeps the pods of each object of one kind at the desired count: the ReplicaSet controller's
 * logic, for ReplicaSets and ReplicationControllers alike.
 */
export class ReplicatedPodsController<T extends ReplicatedPods> {
  readonly #deps: ReplicatedPodsControllerDeps<T>;
  readonly #kind: ReplicatedKind<T>;
  readonly #rsClient: ResourceClient<T>;
  readonly #podStore: ObjectStore<Pod>;
  readonly #loop: ControllerLoop;
  readonly #queue: WorkQueue<string>;
  readonly #expectations: ControllerExpectations;
  readonly #logger: Logger;
  readonly #burstReplicas: number;
  /** The owners of the cache, by controllerRef or selector. */
  readonly #owners: OwnerLookup<T>;

  constructor(deps: ReplicatedPodsControllerDeps<T>, options: ReplicaSetControllerOptions = {}) {
    this.#deps = deps;
    this.#kind = deps.kind;
    const kindName = deps.kind.kind.kind;
    this.#rsClient = deps.client.resource(deps.kind.resource);
    this.#logger = deps.logger.with({ controller: deps.kind.name });
    this.#burstReplicas = options.burstReplicas ?? BURST_REPLICAS;
    this.#loop = new ControllerLoop({
      name: deps.kind.name,
      workers: options.workers ?? 5,
      clock: deps.clock,
      logger: deps.logger,
    });
    this.#queue = this.#loop.queue;
    this.#expectations = new ControllerExpectations({
      clock: deps.clock,
      logger: this.#logger,
      timeoutMs: options.expectationsTimeoutMs,
    });
    addMissingIndexers(deps.informer, { [OWNER_UID_INDEX]: indexByOwnerUid });
    addMissingIndexers(deps.podInformer, {
      [OWNER_UID_INDEX]: indexByOwnerUid,
      [ORPHAN_NAMESPACE_INDEX]: indexOrphansByNamespace,
    });
    this.#podStore = deps.podInformer.store;
    this.#owners = new OwnerLookup<T>({
      store: deps.informer.store,
      kind: deps.kind.kind,
      selector: deps.kind.selector,
      overlapWarning: {
        logger: this.#logger,
        message: `More than one ${kindName} is selecting pods with these labels`,
        objectField: "pod",
        ownersField: `${kindName.charAt(0).toLowerCase()}${kindName.slice(1)}s`,
      },
    });
    this.#loop.handle(
      deps.informer,
      ownerHandler<T>({
        queue: this.#queue,
        expectations: this.#expectations,
        updated: (old, cur) => this.#logReplicasChange(old, cur),
      }),
    );
    this.#loop.handle(
      deps.podInformer,
      ownedObjectHandler<Pod, T>({
        owners: this.#owners,
        queue: this.#queue,
        expectations: this.#expectations,
        deletionStart: "deleteOldToo",
        recheckAfterMs: availabilityRecheckMs,
      }),
    );
  }

  /** The keys waiting to be synced. */
  get queue(): WorkQueue<string> {
    return this.#queue;
  }

  /** The creations and deletions each owner still expects to observe. */
  get expectations(): ControllerExpectations {
    return this.#expectations;
  }

  /** Waits for the caches, then syncs queued keys until `signal` aborts. Runs once. */
  async run(signal: AbortSignal): Promise<void> {
    await this.#loop.run(signal, {
      sync: (key) => this.sync(key),
      waitFor: [this.#deps.informer, this.#deps.podInformer],
    });
  }

  #logReplicasChange(old: T, cur: T): void {
    if ((old.spec?.replicas ?? 1) === (cur.spec?.replicas ?? 1)) return;
    this.#logger.debug(`${this.#kind.kind.kind} updated. Desired pod count change.`, {
      replicaSet: metaNamespaceKey(cur),
      oldReplicas: old.spec?.replicas ?? 1,
      newReplicas: cur.spec?.replicas ?? 1,
    });
  }

  // --- sync -----------------------------------------------------------------------------------

  /**
   * Converges the owner `key` (`namespace/name`) from the caches. Throws to be retried with
   * backoff (a failed claim, create, delete or status write).
   */
  async sync(key: string): Promise<void> {
    const rs = this.#owners.store.get(key);
    if (!rs) {
      this.#expectations.delete(key);
      return;
    }
    const needsSync = this.#expectations.satisfied(key);
    const selector = this.#owners.selectorOf(rs);
    if (selector === null) {
      this.#logger.error(`Cannot use the ${this.#kind.kind.kind}'s pod selector`, { key });
      return;
    }
    const { claimed, errors } = await this.#claimPods(rs, selector);
    if (errors.length > 0) {
      const kind = this.#kind.kind.kind;
      throw new Error(`Cannot claim pods of ${kind} "${key}": ${errorText(errors[0])}`, {
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

  /** The active pods this owner controls or could adopt, claimed. */
  async #claimPods(
    rs: T,
    selector: CompiledLabelSelector,
  ): Promise<{ claimed: Pod[]; errors: unknown[] }> {
    return await claimOwnedPods({
      podStore: this.#podStore,
      podControl: this.#deps.podControl,
      owner: rs,
      kind: this.#kind.kind,
      matches: (pod) => selector.matches(pod.metadata?.labels),
      canAdopt: () => recheckOwner(rs, { client: this.#rsClient, kind: this.#kind.kind }),
      candidates: filterActivePods,
    });
  }

  async #manageReplicas(rs: T, pods: readonly Pod[]): Promise<void> {
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
      const controllerRef = newControllerRef(rs, this.#kind.kind);
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
    rs: T,
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
   * The pods of every owner with the same controller as `rs` (a Deployment's old and new
   * ReplicaSets); none for an owner without a controller, as upstream.
   */
  #relatedPods(rs: T): Pod[] {
    const ref = getControllerOf(rs);
    if (!ref) return [];
    const related = controlledBy(this.#owners.store, ref.uid);
    const seen = new Set<string>();
    const out: Pod[] = [];
    for (const other of related) {
      const selector = this.#owners.selectorOf(other);
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
   * write, reads the owner again and retries once.
   */
  async #updateStatus(rs: T, status: ReplicaCountStatus): Promise<T> {
    if (replicaSetStatusUnchanged(rs, status)) return rs;
    const next: ReplicaCountStatus = { ...status };
    if (rs.metadata?.generation !== undefined) next.observedGeneration = rs.metadata.generation;
    let current = rs;
    for (let attempt = 0;; attempt++) {
      try {
        // Both kinds' statuses are ReplicaCountStatus's counters and conditions.
        return await this.#rsClient.updateStatus({ ...current, status: next } as T);
      } catch (err) {
        if (attempt >= STATUS_UPDATE_RETRIES) throw err;
        const { namespace, name } = splitMetaNamespaceKey(metaNamespaceKey(rs));
        current = await this.#rsClient.get(name, { namespace });
      }
    }
  }
}

/** Keeps ReplicaSets' pods at the desired count. */
export class ReplicaSetController extends ReplicatedPodsController<ReplicaSet> {
  constructor(deps: ReplicaSetControllerDeps, options: ReplicaSetControllerOptions = {}) {
    const { rsInformer, ...rest } = deps;
    super({ ...rest, informer: rsInformer, kind: REPLICA_SET_REPLICATED_KIND }, options);
  }
}
