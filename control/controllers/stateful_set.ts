/**
 * The StatefulSet controller, as kube-controller-manager's `statefulset` controller: runs each
 * StatefulSet's pods with stable identities — `<set>-<ordinal>` (from `spec.ordinals.start`),
 * hostname and subdomain from `serviceName`, the `statefulset.kubernetes.io/pod-name`,
 * `apps.kubernetes.io/pod-index` and `controller-revision-hash` labels — and stable storage,
 * one PersistentVolumeClaim `<template>-<set>-<ordinal>` per volume claim template, made
 * before the pod.
 *
 * - Informer handlers only enqueue StatefulSet keys: a pod maps to its controller, an orphan
 *   to every StatefulSet whose selector matches it (to adopt it).
 * - `sync(key)` is level-triggered and reads only the caches: it adopts orphan
 *   ControllerRevisions, claims the pods that match the selector and are named for the set
 *   (`controller_ref_manager.ts`), then runs the control loop (`_stateful_set_control.ts`):
 *   revisions (`controller_history.ts`), OrderedReady or Parallel pod management, RollingUpdate
 *   (with `partition`) or OnDelete, the claim retention policy, status and history trimming.
 * - No expectations are needed: names are stable, so a create the cache has not shown yet is
 *   answered AlreadyExists and retried.
 * - With `minReadySeconds`, a set whose pods are not all available yet is synced again after
 *   that long.
 *
 * @example Wire it into a controller manager
 * ```ts ignore
 * const manager = new ControllerManager({
 *   client, clock, logger, identity,
 *   registry: [{ name: STATEFUL_SET_CONTROLLER_NAME, factory: statefulSetController }],
 * });
 * ```
 *
 * @module
 */
import type { ControllerRevision, StatefulSet, StatefulSetStatus } from "../api/types/apps_v1.ts";
import type { Pod } from "../api/types/core_v1_pod.ts";
import type { PersistentVolumeClaim } from "../api/types/core_v1_storage.ts";
import type { Client, ResourceClient } from "../client/client.ts";
import { isConflict } from "../client/errors.ts";
import type { EventRecorder } from "../client/event_recorder.ts";
import type { CompiledLabelSelector } from "../client/label_selector.ts";
import {
  CONTROLLER_REVISIONS,
  PERSISTENT_VOLUME_CLAIMS,
  PODS,
  STATEFUL_SETS,
} from "../client/resources.ts";
import {
  indexByOwnerUid,
  metaNamespaceKey,
  type ObjectStore,
  splitMetaNamespaceKey,
} from "../client/store.ts";
import type { WorkQueue } from "../client/workqueue.ts";
import type { Clock } from "../util/clock.ts";
import type { Logger } from "../util/logger.ts";
import { availabilityRecheckMs, ownedObjectHandler, ownerHandler } from "./_controller_handlers.ts";
import { addMissingIndexers, ControllerLoop, type InformerLike } from "./_controller_loop.ts";
import { errorText } from "./_errors.ts";
import {
  claimOwnedPods,
  indexOrphansByNamespace,
  ORPHAN_NAMESPACE_INDEX,
  OWNER_UID_INDEX,
  recheckOwner,
} from "./_owner_adoption.ts";
import { ApiStatefulPodControl, type StatefulPodControl } from "./_stateful_pod_control.ts";
import {
  type RevisionHistory,
  StatefulSetControl,
  type StatefulSetStatusUpdater,
} from "./_stateful_set_control.ts";
import { isMemberOf, replicasOf, STATEFUL_SET_KIND } from "./_stateful_set_utils.ts";
import { ControllerHistory } from "./controller_history.ts";
import type { ControllerContext, RunnableController } from "./controller_manager.ts";
import { getControllerOf } from "./controller_ref_manager.ts";
import { OwnerLookup } from "./owner_lookup.ts";
import { ApiPodControl, type PodControl } from "./pod_control.ts";

export {
  POD_INDEX_LABEL,
  STATEFUL_SET_KIND,
  STATEFUL_SET_POD_NAME_LABEL,
  STATEFUL_SET_REVISION_LABEL,
} from "./_stateful_set_utils.ts";

/** The controller's name in logs and in `--controllers`. */
export const STATEFUL_SET_CONTROLLER_NAME = "statefulset";

/** The events' source component (upstream's). */
export const STATEFUL_SET_COMPONENT = "statefulset-controller";

/** What {@linkcode StatefulSetController} works with. */
export interface StatefulSetControllerDeps {
  /** Reads sets past the cache (before adopting), writes status, pods, claims, revisions. */
  readonly client: Client;
  readonly setInformer: InformerLike<StatefulSet>;
  readonly podInformer: InformerLike<Pod>;
  readonly revisionInformer: InformerLike<ControllerRevision>;
  readonly claimInformer: InformerLike<PersistentVolumeClaim>;
  readonly recorder: EventRecorder;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Replaces the API pod and claim writes (tests). */
  readonly podControl?: StatefulPodControl;
  /** Replaces the API revision history (tests). */
  readonly history?: RevisionHistory;
}

/** Options of {@linkcode StatefulSetController}. */
export interface StatefulSetControllerOptions {
  /** Syncs at once (upstream `--concurrent-statefulset-syncs`). @default {5} */
  readonly workers?: number;
  /** The MaxUnavailableStatefulSet feature gate (off in v1.33). @default {false} */
  readonly maxUnavailableStatefulSet?: boolean;
}

/** Status writes tried (upstream `retry.DefaultRetry`'s steps). */
const STATUS_ATTEMPTS = 5;

/** Writes status through the API, reading the set again after a conflict. */
class ApiStatusUpdater implements StatefulSetStatusUpdater {
  readonly #sets: ResourceClient<StatefulSet>;

  constructor(sets: ResourceClient<StatefulSet>) {
    this.#sets = sets;
  }

  async updateStatefulSetStatus(set: StatefulSet, status: StatefulSetStatus): Promise<void> {
    let current = set;
    for (let attempt = 1;; attempt++) {
      try {
        await this.#sets.updateStatus({ ...current, status });
        return;
      } catch (err) {
        if (!isConflict(err) || attempt >= STATUS_ATTEMPTS) throw err;
        const { namespace, name } = splitMetaNamespaceKey(metaNamespaceKey(set));
        current = await this.#sets.get(name, { namespace });
      }
    }
  }
}

/** Keeps StatefulSets' pods, claims and revisions as their specs say. */
export class StatefulSetController {
  readonly #deps: StatefulSetControllerDeps;
  readonly #sets: ResourceClient<StatefulSet>;
  readonly #podStore: ObjectStore<Pod>;
  readonly #loop: ControllerLoop;
  readonly #queue: WorkQueue<string>;
  readonly #logger: Logger;
  readonly #control: StatefulSetControl;
  readonly #claimControl: PodControl;
  /** The StatefulSets of the cache, by controllerRef or selector. */
  readonly #owners: OwnerLookup<StatefulSet>;

  constructor(deps: StatefulSetControllerDeps, options: StatefulSetControllerOptions = {}) {
    this.#deps = deps;
    this.#sets = deps.client.resource(STATEFUL_SETS);
    this.#logger = deps.logger.with({ controller: STATEFUL_SET_CONTROLLER_NAME });
    this.#loop = new ControllerLoop({
      name: STATEFUL_SET_CONTROLLER_NAME,
      workers: options.workers ?? 5,
      clock: deps.clock,
      logger: deps.logger,
    });
    this.#queue = this.#loop.queue;
    addMissingIndexers(deps.podInformer, {
      [OWNER_UID_INDEX]: indexByOwnerUid,
      [ORPHAN_NAMESPACE_INDEX]: indexOrphansByNamespace,
    });
    this.#podStore = deps.podInformer.store;
    this.#owners = new OwnerLookup({
      store: deps.setInformer.store,
      kind: STATEFUL_SET_KIND,
      selector: (set) => set.spec?.selector,
      overlapWarning: {
        logger: this.#logger,
        message: "More than one StatefulSet is selecting pods with these labels",
        objectField: "pod",
        ownersField: "statefulSets",
      },
    });
    this.#claimControl = new ApiPodControl({
      client: deps.client,
      recorder: deps.recorder,
      logger: this.#logger,
    });
    this.#control = new StatefulSetControl({
      podControl: deps.podControl ?? new ApiStatefulPodControl({
        client: deps.client,
        podStore: deps.podInformer.store,
        claimStore: deps.claimInformer.store,
        recorder: deps.recorder,
        logger: this.#logger,
      }),
      history: deps.history ??
        new ControllerHistory({ client: deps.client, store: deps.revisionInformer.store }),
      statusUpdater: new ApiStatusUpdater(this.#sets),
      now: () => deps.clock.now(),
      logger: this.#logger,
      ...(options.maxUnavailableStatefulSet ? { maxUnavailableStatefulSet: true } : {}),
    });
    this.#loop.handle(
      deps.setInformer,
      ownerHandler<StatefulSet>({
        queue: this.#queue,
        updated: (old, cur) => this.#logReplicasChange(old, cur),
      }),
    );
    this.#loop.handle(
      deps.podInformer,
      ownedObjectHandler<Pod, StatefulSet>({
        owners: this.#owners,
        queue: this.#queue,
        recheckAfterMs: availabilityRecheckMs,
      }),
    );
    // Not upstream (which waits for a resync): a pod held back by a stale claim is made as
    // soon as the garbage collector has deleted that claim.
    this.#loop.handle(deps.claimInformer, {
      delete: (claim) => {
        for (const set of this.#owners.matching(claim)) this.#queue.add(metaNamespaceKey(set));
      },
    });
  }

  /** The keys waiting to be synced. */
  get queue(): WorkQueue<string> {
    return this.#queue;
  }

  /** Waits for the caches, then syncs queued keys until `signal` aborts. Runs once. */
  async run(signal: AbortSignal): Promise<void> {
    await this.#loop.run(signal, {
      sync: (key) => this.sync(key),
      waitFor: [
        this.#deps.setInformer,
        this.#deps.podInformer,
        this.#deps.revisionInformer,
        this.#deps.claimInformer,
      ],
    });
  }

  #logReplicasChange(old: StatefulSet, cur: StatefulSet): void {
    if ((old.status?.replicas ?? 0) === (cur.status?.replicas ?? 0)) return;
    this.#logger.debug("Observed updated replica count for StatefulSet", {
      statefulSet: metaNamespaceKey(cur),
      oldReplicas: old.status?.replicas ?? 0,
      newReplicas: cur.status?.replicas ?? 0,
    });
  }

  // --- sync -------------------------------------------------------------------------------------

  /**
   * Converges the StatefulSet `key` (`namespace/name`) from the caches. Throws to be retried
   * with backoff.
   */
  async sync(key: string): Promise<void> {
    const set = this.#owners.store.get(key);
    if (!set) {
      this.#logger.debug("StatefulSet has been deleted", { key });
      return;
    }
    const selector = this.#owners.selectorOf(set);
    if (selector === null) {
      // An invalid selector cannot be fixed by retrying.
      this.#logger.error("Error converting StatefulSet selector", { key });
      return;
    }
    await this.#adoptOrphanRevisions(set, selector);
    const pods = await this.#claimPods(set, selector);
    const status = await this.#control.updateStatefulSet(set, { pods, selector });
    const minReadySeconds = set.spec?.minReadySeconds ?? 0;
    if (minReadySeconds > 0 && (status.availableReplicas ?? 0) !== replicasOf(set)) {
      this.#queue.addAfter(key, minReadySeconds * 1000);
    }
  }

  async #adoptOrphanRevisions(set: StatefulSet, selector: CompiledLabelSelector): Promise<void> {
    const orphans = this.#control.listRevisions(set, selector).filter((r) => !getControllerOf(r));
    if (orphans.length === 0) return;
    await this.#canAdopt(set);
    await this.#control.adoptOrphanRevisions(set, orphans);
  }

  /** The pods this set controls or may adopt (matching, and named `<set>-<n>`), claimed. */
  async #claimPods(set: StatefulSet, selector: CompiledLabelSelector): Promise<Pod[]> {
    const { claimed, errors } = await claimOwnedPods({
      podStore: this.#podStore,
      podControl: this.#claimControl,
      owner: set,
      kind: STATEFUL_SET_KIND,
      matches: (pod) => selector.matches(pod.metadata?.labels) && isMemberOf(set, pod),
      canAdopt: () => this.#canAdopt(set),
    });
    if (errors.length > 0) {
      throw new Error(
        `Cannot claim pods of StatefulSet "${metaNamespaceKey(set)}": ${errorText(errors[0])}`,
        { cause: errors.length === 1 ? errors[0] : new AggregateError(errors) },
      );
    }
    return claimed;
  }

  /** Rejects unless an uncached read shows the same set, not being deleted. */
  async #canAdopt(set: StatefulSet): Promise<void> {
    await recheckOwner(set, { client: this.#sets, kind: STATEFUL_SET_KIND });
  }
}

/**
 * The StatefulSet controller on the manager's shared informers (StatefulSets, pods,
 * ControllerRevisions, PersistentVolumeClaims), with `statefulset-controller` events.
 */
export function statefulSetController(context: ControllerContext): RunnableController {
  return new StatefulSetController({
    client: context.client,
    setInformer: context.informers.informerFor(STATEFUL_SETS),
    podInformer: context.informers.informerFor(PODS),
    revisionInformer: context.informers.informerFor(CONTROLLER_REVISIONS),
    claimInformer: context.informers.informerFor(PERSISTENT_VOLUME_CLAIMS),
    recorder: context.recorder(STATEFUL_SET_COMPONENT),
    clock: context.clock,
    logger: context.logger,
  });
}
