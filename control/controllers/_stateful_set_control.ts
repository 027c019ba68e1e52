/**
 * One StatefulSet's control loop (upstream `defaultStatefulSetControl`): given the set and the
 * pods it has claimed, it settles the current and update ControllerRevisions, creates,
 * repairs and deletes pods, writes status and trims the revision history.
 *
 * - OrderedReady (monotonic): pods are made in ordinal order, each waiting for its
 *   predecessors to be Running, Ready and available for `minReadySeconds`; nothing is made
 *   or deleted while a pod is unhealthy; scale-down removes the highest ordinal first, one at
 *   a time. Parallel: all at once, in slow-start batches.
 * - A Failed or Succeeded pod is deleted, and made again once it is gone.
 * - RollingUpdate replaces the highest ordinal not at the update revision, down to the
 *   partition, one pod at a time and only while every pod is available (with the
 *   MaxUnavailableStatefulSet gate, up to `maxUnavailable` at once); OnDelete only makes
 *   pods deleted by someone else at the update revision.
 * - Claims come before their pod; under `whenScaled: Delete` a condemned pod's claims are
 *   given the pod as controller before it is deleted, so the garbage collector takes them.
 *
 * @module
 */
import type { ControllerRevision, StatefulSet, StatefulSetStatus } from "../api/types/apps_v1.ts";
import type { Pod } from "../api/types/core_v1_pod.ts";
import type { KubeObject } from "../api/types/meta_v1.ts";
import { isNotFound } from "../client/errors.ts";
import type { CompiledLabelSelector } from "../client/label_selector.ts";
import type { Logger } from "../util/logger.ts";
import { aggregateErrors } from "./_errors.ts";
import type { StatefulPodControl } from "./_stateful_pod_control.ts";
import {
  allowsBurst,
  applyRevision,
  completeRollingUpdate,
  countReplicas,
  endOrdinal,
  identityMatches,
  inconsistentStatus,
  isCreated,
  isFailed,
  isPending,
  isRunningAndAvailable,
  isRunningAndReady,
  isSucceeded,
  isTerminating,
  isUnavailable,
  maxUnavailable,
  newStatefulSetRevision,
  newVersionedStatefulSetPod,
  ordinalOf,
  podInOrdinalRange,
  podRevision,
  replicasOf,
  startOrdinal,
  STATEFUL_SET_KIND,
  storageMatches,
} from "./_stateful_set_utils.ts";
import {
  type CreateRevisionRequest,
  type CreateRevisionResult,
  equalRevision,
  findEqualRevisions,
  nextRevision,
  sortControllerRevisions,
} from "./controller_history.ts";
import type { ControllerKind } from "./controller_ref_manager.ts";
import { slowStartBatch } from "./slow_start_batch.ts";

/** What the control loop needs of a revision history ({@linkcode ControllerHistory}). */
export interface RevisionHistory {
  listControllerRevisions(
    parent: KubeObject,
    selector: CompiledLabelSelector,
  ): ControllerRevision[];
  createControllerRevision(
    parent: KubeObject,
    request: CreateRevisionRequest,
  ): Promise<CreateRevisionResult>;
  updateControllerRevision(
    revision: ControllerRevision,
    newRevision: number,
  ): Promise<ControllerRevision>;
  deleteControllerRevision(revision: ControllerRevision): Promise<void>;
  adoptControllerRevision(
    parent: KubeObject,
    request: { readonly kind: ControllerKind; readonly revision: ControllerRevision },
  ): Promise<ControllerRevision>;
}

/** Writes a StatefulSet's status (upstream `StatefulSetStatusUpdater`). */
export interface StatefulSetStatusUpdater {
  updateStatefulSetStatus(set: StatefulSet, status: StatefulSetStatus): Promise<void>;
}

/** What {@linkcode StatefulSetControl} works with. */
export interface StatefulSetControlDeps {
  readonly podControl: StatefulPodControl;
  readonly history: RevisionHistory;
  readonly statusUpdater: StatefulSetStatusUpdater;
  /** The current time in ms (the controller's clock). */
  readonly now: () => number;
  readonly logger: Logger;
  /**
   * The MaxUnavailableStatefulSet feature gate (alpha, off in v1.33): rolling updates take
   * down up to `maxUnavailable` pods at once instead of one.
   */
  readonly maxUnavailableStatefulSet?: boolean;
}

/** What {@linkcode StatefulSetControl.updateStatefulSet} does with one set. */
export interface UpdateStatefulSetRequest {
  /** The set's pods (claimed: controlled by it, named `<set>-<n>`). */
  readonly pods: readonly Pod[];
  readonly selector: CompiledLabelSelector;
}

/** A pass over pods stopped (monotonic: blocked; any: a write failed). */
interface PassResult {
  readonly exit: boolean;
  readonly error?: unknown;
}

interface PodsPass {
  readonly set: StatefulSet;
  readonly currentSet: StatefulSet;
  readonly updateSet: StatefulSet;
  readonly monotonic: boolean;
  readonly replicas: Pod[];
  readonly condemned: Pod[];
  readonly firstUnavailable: Pod | undefined;
  /** `minReadySeconds` and the time the pass judges availability at. */
  readonly availability: { readonly minReadySeconds: number; readonly nowMs: number };
}

/** The StatefulSet control loop. */
export class StatefulSetControl {
  readonly #deps: StatefulSetControlDeps;

  constructor(deps: StatefulSetControlDeps) {
    this.#deps = deps;
  }

  /** The set's revisions (owned ones and orphans), sorted. */
  listRevisions(set: StatefulSet, selector: CompiledLabelSelector): ControllerRevision[] {
    return sortControllerRevisions(this.#deps.history.listControllerRevisions(set, selector));
  }

  /** Makes the set the controller of each orphan revision. */
  async adoptOrphanRevisions(
    set: StatefulSet,
    revisions: readonly ControllerRevision[],
  ): Promise<void> {
    for (const revision of revisions) {
      await this.#deps.history.adoptControllerRevision(set, { kind: STATEFUL_SET_KIND, revision });
    }
  }

  /**
   * Converges one set: revisions, pods, status, history (upstream `UpdateStatefulSet`).
   * Returns the status written; rejects when something must be retried.
   */
  async updateStatefulSet(
    set: StatefulSet,
    request: UpdateStatefulSetRequest,
  ): Promise<StatefulSetStatus> {
    const revisions = this.listRevisions(set, request.selector);
    let current: ControllerRevision | undefined;
    let update: ControllerRevision | undefined;
    let status: StatefulSetStatus | undefined;
    let failure: unknown = undefined;
    try {
      const revs = await this.#revisions(set, revisions);
      current = revs.current;
      update = revs.update;
      const result = await this.#updatePods(set, { ...revs, pods: request.pods });
      status = result.status;
      try {
        await this.#writeStatus(set, status);
      } catch (err) {
        if (result.error === undefined) throw err;
        this.#deps.logger.error("Could not update status", {
          statefulSet: `${set.metadata?.namespace}/${set.metadata?.name}`,
          error: err,
        });
      }
      if (result.error !== undefined) throw result.error;
    } catch (err) {
      failure = err;
    }
    try {
      await this.#truncateHistory(set, { pods: request.pods, revisions, current, update });
    } catch (err) {
      throw failure === undefined ? err : aggregateErrors([failure, err]);
    }
    if (failure !== undefined) throw failure;
    return status!;
  }

  /**
   * The current and update revisions (upstream `getStatefulSetRevisions`): the update revision
   * is the latest if its template is the set's, an older equal one renumbered to the next
   * revision (a rollback), or a new one; the current one is `status.currentRevision`'s, or the
   * update revision for a new set.
   */
  async #revisions(
    set: StatefulSet,
    revisions: readonly ControllerRevision[],
  ): Promise<{ current: ControllerRevision; update: ControllerRevision; collisionCount: number }> {
    let collisionCount = set.status?.collisionCount ?? 0;
    const draft = newStatefulSetRevision(set, {
      revision: nextRevision(revisions),
      collisionCount,
    });
    const equal = findEqualRevisions(revisions, draft);
    let update: ControllerRevision;
    const last = revisions.at(-1);
    if (equal.length > 0 && equalRevision(last, equal.at(-1))) {
      update = last!;
    } else if (equal.length > 0) {
      update = await this.#deps.history.updateControllerRevision(equal.at(-1)!, draft.revision);
    } else {
      const created = await this.#deps.history.createControllerRevision(set, {
        revision: draft,
        collisionCount,
      });
      update = created.revision;
      collisionCount = created.collisionCount;
    }
    const currentName = set.status?.currentRevision;
    const current = revisions.find((r) => r.metadata?.name === currentName) ?? update;
    return { current, update, collisionCount };
  }

  /** Deletes non-live revisions beyond `revisionHistoryLimit`, oldest first. */
  async #truncateHistory(
    set: StatefulSet,
    at: {
      readonly pods: readonly Pod[];
      readonly revisions: readonly ControllerRevision[];
      readonly current: ControllerRevision | undefined;
      readonly update: ControllerRevision | undefined;
    },
  ): Promise<void> {
    const live = new Set<string>();
    if (at.current) live.add(at.current.metadata?.name ?? "");
    if (at.update) live.add(at.update.metadata?.name ?? "");
    for (const pod of at.pods) live.add(podRevision(pod));
    const old = at.revisions.filter((r) => !live.has(r.metadata?.name ?? ""));
    const limit = set.spec?.revisionHistoryLimit ?? 10;
    if (limit < 0 || old.length <= limit) return;
    for (const revision of old.slice(0, old.length - limit)) {
      await this.#deps.history.deleteControllerRevision(revision);
    }
  }

  /**
   * Creates, repairs and deletes the set's pods (upstream `updateStatefulSet`); returns the
   * status to write and, when something failed, the error (the status is still written).
   */
  async #updatePods(
    set: StatefulSet,
    at: {
      readonly current: ControllerRevision;
      readonly update: ControllerRevision;
      readonly collisionCount: number;
      readonly pods: readonly Pod[];
    },
  ): Promise<{ status: StatefulSetStatus; error?: unknown }> {
    const nowMs = this.#deps.now();
    const minReadySeconds = set.spec?.minReadySeconds ?? 0;
    const currentName = at.current.metadata?.name ?? "";
    const updateName = at.update.metadata?.name ?? "";
    const currentSet = applyRevision(set, at.current);
    const updateSet = applyRevision(set, at.update);
    const counting = {
      minReadySeconds,
      nowMs,
      currentRevision: currentName,
      updateRevision: updateName,
    };
    const status: StatefulSetStatus = {
      ...(set.status?.conditions ? { conditions: structuredClone(set.status.conditions) } : {}),
      ...(set.metadata?.generation !== undefined
        ? { observedGeneration: set.metadata.generation }
        : {}),
      currentRevision: currentName,
      updateRevision: updateName,
      collisionCount: at.collisionCount,
      ...countReplicas(at.pods, counting),
    };
    const recount = (pass: PodsPass) =>
      Object.assign(status, countReplicas([...pass.replicas, ...pass.condemned], counting));

    const start = startOrdinal(set);
    const end = endOrdinal(set);
    const slots: (Pod | undefined)[] = Array.from({ length: Math.max(0, replicasOf(set)) });
    const condemned: Pod[] = [];
    for (const pod of at.pods) {
      if (podInOrdinalRange(pod, set)) slots[ordinalOf(pod) - start] = pod;
      else if (ordinalOf(pod) >= 0) condemned.push(pod);
    }
    for (let ord = start; ord <= end; ord++) {
      slots[ord - start] ??= newVersionedStatefulSetPod({
        currentSet,
        updateSet,
        currentRevision: currentName,
        updateRevision: updateName,
        ordinal: ord,
      });
    }
    const replicas = slots as Pod[];
    condemned.sort((a, b) => ordinalOf(b) - ordinalOf(a));
    const availability = { minReadySeconds, nowMs };
    let firstUnavailable: Pod | undefined = replicas.find((p) => isUnavailable(p, availability));
    let unavailable = replicas.filter((p) => isUnavailable(p, availability)).length;
    for (let i = condemned.length - 1; i >= 0; i--) {
      if (isUnavailable(condemned[i]!, availability)) {
        unavailable++;
        firstUnavailable ??= condemned[i];
      }
    }
    if (unavailable > 0) {
      this.#deps.logger.debug("StatefulSet has unavailable Pods", {
        statefulSet: `${set.metadata?.namespace}/${set.metadata?.name}`,
        unavailableReplicas: unavailable,
        pod: firstUnavailable?.metadata?.name,
      });
    }
    if (set.metadata?.deletionTimestamp) return { status };

    const pass: PodsPass = {
      set,
      currentSet,
      updateSet,
      monotonic: !allowsBurst(set),
      replicas,
      condemned,
      firstUnavailable,
      availability,
    };
    let result = await this.#runForAll(pass, {
      count: replicas.length,
      fn: (i) => this.#processReplica(pass, i),
    });
    if (result.exit) return { status: recount(pass), ...errorOf(result) };
    result = await this.#runForAll(pass, {
      count: condemned.length,
      fn: async (i) => {
        const pod = condemned[i]!;
        if (!this.#deps.podControl.claimsMatchRetentionPolicy(updateSet, pod)) {
          await this.#deps.podControl.updatePodClaimForRetentionPolicy(updateSet, pod);
        }
        return false;
      },
    });
    if (result.exit) return { status: recount(pass), ...errorOf(result) };
    result = await this.#runForAll(pass, {
      count: condemned.length,
      fn: (i) => this.#processCondemned(pass, i),
    });
    if (result.exit) return { status: recount(pass), ...errorOf(result) };
    recount(pass);

    if (set.spec?.updateStrategy?.type === "OnDelete") return { status };
    try {
      if (this.#deps.maxUnavailableStatefulSet) {
        await this.#rollWithMaxUnavailable(pass, { status, updateName });
      } else {
        await this.#rollOneAtATime(pass, { status, updateName });
      }
    } catch (err) {
      return { status, error: err };
    }
    return { status };
  }

  /** Runs `fn` on each pod: in order, stopping at the first block (monotonic), or in batches. */
  async #runForAll(
    pass: PodsPass,
    work: { readonly count: number; readonly fn: (i: number) => Promise<boolean> },
  ): Promise<PassResult> {
    if (pass.monotonic) {
      for (let i = 0; i < work.count; i++) {
        try {
          if (await work.fn(i)) return { exit: true };
        } catch (err) {
          return { exit: true, error: err };
        }
      }
      return { exit: false };
    }
    let next = 0;
    const errors: unknown[] = [];
    await slowStartBatch(work.count, {
      fn: async () => {
        try {
          await work.fn(next++);
        } catch (err) {
          errors.push(err);
          throw err;
        }
      },
    });
    return errors.length > 0 ? { exit: true, error: aggregateErrors(errors) } : { exit: false };
  }

  /** One wanted pod (upstream `processReplica`); `true` stops a monotonic pass. */
  async #processReplica(pass: PodsPass, i: number): Promise<boolean> {
    const { set, updateSet, monotonic, availability } = pass;
    const control = this.#deps.podControl;
    const pod = pass.replicas[i]!;
    if (isFailed(pod) || isSucceeded(pod)) {
      // Made again by a later sync, once this one is gone.
      if (!isTerminating(pod)) await control.deleteStatefulPod(set, pod);
      return true;
    }
    if (!isCreated(pod)) {
      if (control.podClaimIsStale(set, pod)) return true;
      await control.createStatefulPod(set, pod);
      if (monotonic) return true;
    }
    if (isPending(pod)) await control.createMissingPersistentVolumeClaims(set, pod);
    if (isTerminating(pod) && monotonic) return true;
    if (!isRunningAndReady(pod) && monotonic) return true;
    if (!isRunningAndAvailable(pod, availability) && monotonic) return true;
    const retentionMatch = control.claimsMatchRetentionPolicy(updateSet, pod);
    if (identityMatches(set, pod) && storageMatches(set, pod) && retentionMatch) return false;
    await control.updateStatefulPod(updateSet, structuredClone(pod));
    return false;
  }

  /** One pod beyond the wanted ordinals (upstream `processCondemned`). */
  async #processCondemned(pass: PodsPass, i: number): Promise<boolean> {
    const { set, monotonic, availability } = pass;
    const pod = pass.condemned[i]!;
    if (isTerminating(pod)) return monotonic;
    if (!isRunningAndReady(pod) && monotonic && pod !== pass.firstUnavailable) return true;
    if (!isRunningAndAvailable(pod, availability) && monotonic && pod !== pass.firstUnavailable) {
      return true;
    }
    this.#deps.logger.info("Pod of StatefulSet is terminating for scale down", {
      statefulSet: `${set.metadata?.namespace}/${set.metadata?.name}`,
      pod: pod.metadata?.name,
    });
    await this.#deps.podControl.deleteStatefulPod(set, pod);
    return true;
  }

  /** RollingUpdate without the gate: the highest outdated ordinal, once all are available. */
  async #rollOneAtATime(
    pass: PodsPass,
    at: { readonly status: StatefulSetStatus; readonly updateName: string },
  ): Promise<void> {
    const { set, replicas, availability } = pass;
    const updateMin = set.spec?.updateStrategy?.rollingUpdate?.partition ?? 0;
    for (let target = replicas.length - 1; target >= updateMin; target--) {
      const pod = replicas[target]!;
      if (podRevision(pod) !== at.updateName && !isTerminating(pod)) {
        this.#deps.logger.info("Pod of StatefulSet is terminating for update", {
          statefulSet: `${set.metadata?.namespace}/${set.metadata?.name}`,
          pod: pod.metadata?.name,
        });
        await this.#deleteOutdated(set, { pod, status: at.status });
        return;
      }
      if (isUnavailable(pod, availability)) return;
    }
  }

  /** RollingUpdate with the gate: up to `maxUnavailable` outdated pods at once. */
  async #rollWithMaxUnavailable(
    pass: PodsPass,
    at: { readonly status: StatefulSetStatus; readonly updateName: string },
  ): Promise<void> {
    const { set, replicas, availability } = pass;
    const updateMin = set.spec?.updateStrategy?.rollingUpdate?.partition ?? 0;
    const allowed = set.spec?.updateStrategy?.rollingUpdate ? maxUnavailable(set) : 1;
    const unavailable = replicas.filter((p) => isUnavailable(p, availability)).length;
    if (unavailable > allowed) return;
    let budget = allowed - unavailable;
    for (let target = replicas.length - 1; target >= updateMin && budget > 0; target--) {
      const pod = replicas[target]!;
      if (podRevision(pod) === at.updateName || isTerminating(pod)) continue;
      await this.#deleteOutdated(set, { pod, status: at.status });
      budget--;
    }
  }

  /** Deletes a pod of an outdated revision (gone already is fine): one current replica less. */
  async #deleteOutdated(
    set: StatefulSet,
    at: { readonly pod: Pod; readonly status: StatefulSetStatus },
  ): Promise<void> {
    try {
      await this.#deps.podControl.deleteStatefulPod(set, at.pod);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    at.status.currentReplicas = (at.status.currentReplicas ?? 0) - 1;
  }

  /** Completes a finished rollout in `status` and writes it when it changed. */
  async #writeStatus(set: StatefulSet, status: StatefulSetStatus): Promise<void> {
    completeRollingUpdate(set, status);
    if (!inconsistentStatus(set, status)) return;
    await this.#deps.statusUpdater.updateStatefulSetStatus(set, status);
  }
}

function errorOf(result: PassResult): { error?: unknown } {
  return result.error !== undefined ? { error: result.error } : {};
}
