/**
 * The Job controller, as kube-controller-manager's `job` controller (v1.33): runs a Job's pods
 * until enough of them succeed, and reports what it sees in the Job's `status`.
 *
 * - **Pods.** At most `parallelism` pods run, and never more than the completions still
 *   missing. Pods are created in slow-start batches (1, 2, 4, …, at most 500 per sync) with the
 *   `batch.kubernetes.io/job-tracking` finalizer. An Indexed Job gives each pod an index below
 *   `completions`: the `batch.kubernetes.io/job-completion-index` annotation and label, the
 *   `JOB_COMPLETION_INDEX` variable in every container, hostname `<job>-<index>` and the name
 *   prefix `<job>-<index>-`; pods with a duplicated or invalid index are removed.
 * - **Counting.** A finished pod keeps its finalizer until it is counted: the sync first writes
 *   its uid into `status.uncountedTerminatedPods` (Indexed Jobs: its index into
 *   `completedIndexes`), then removes the finalizer, then moves the uid into `succeeded` or
 *   `failed`. A controller that restarts at any point finds each finished pod either still
 *   holding the finalizer (not counted yet) or listed as uncounted (counted now): never twice,
 *   never lost. A pod deleted before it finished counts as failed (unless
 *   `podReplacementPolicy: Failed` or a `podFailurePolicy`).
 * - **Failures.** Replacement pods wait 10 s after a failure, doubling per failure since the
 *   last success up to 10 minutes. More than `backoffLimit` failures (for `restartPolicy:
 *   OnFailure`: as many container restarts), a `podFailurePolicy` `FailJob` rule, or running
 *   `activeDeadlineSeconds` past `startTime` fail the Job: first the interim `FailureTarget`
 *   condition (reason `BackoffLimitExceeded`, `DeadlineExceeded` or `PodFailurePolicy`) while the
 *   active pods are deleted, then `Failed` once none is left terminating, with a Warning event.
 * - **Success.** Once `completions` pods succeeded (without completions: one, and no pod still
 *   active), `SuccessCriteriaMet` (reason `CompletionsReached`), then `Complete` with
 *   `completionTime` once no pod is terminating, and the event `Completed` "Job completed".
 * - **Suspend.** A suspended Job's pods are deleted (their finalizers removed first, so they do
 *   not count as failures), it gets `Suspended=True` (event `Suspended`) and loses `startTime`;
 *   on resume `Suspended=False`, event `Resumed`, and a fresh `startTime`, so
 *   `activeDeadlineSeconds` counts only time not suspended.
 * - **Per index** (Indexed Jobs): with `backoffLimitPerIndex` each index is retried on its
 *   own (its failures so far in the `batch.kubernetes.io/job-index-failure-count` annotation,
 *   its own backoff) and failed for good past the limit or by a `FailIndex` rule, listed in
 *   `status.failedIndexes`; the Job fails (`FailedIndexes`, `MaxFailedIndexesExceeded`) when no
 *   index is left to run or too many failed. A `successPolicy` rule that holds ends the Job
 *   early (`SuccessCriteriaMet`, reason `SuccessPolicy`), its other pods removed.
 * - Handlers only enqueue: Job creations and spec changes at once, status changes and pod
 *   events batched by 1 s; expectations keep a sync from acting on a cache that has not shown
 *   its own creations and deletions yet; the only timers are those for something due (the
 *   batch, a backoff, the active deadline). Orphaned pods that still carry the finalizer (their
 *   Job is gone or finished) lose it through a second queue.
 *
 * @module
 */
import {
  type Job,
  JOB_MANAGED_BY_DEFAULT,
  type JobCondition,
  type JobStatus,
} from "../api/types/batch_v1.ts";
import type { Pod, PodTemplateSpec } from "../api/types/core_v1_pod.ts";
import type { Client, ResourceClient } from "../client/client.ts";
import { runController } from "../client/controller.ts";
import { isNotFound } from "../client/errors.ts";
import type { EventRecorder } from "../client/event_recorder.ts";
import type { HandlerRegistration } from "../client/informer.ts";
import { ItemExponentialFailureRateLimiter } from "../client/rate_limiter.ts";
import { JOBS, PODS } from "../client/resources.ts";
import {
  indexByOwnerUid,
  metaNamespaceKey,
  type ObjectStore,
  splitMetaNamespaceKey,
} from "../client/store.ts";
import { WorkQueue } from "../client/workqueue.ts";
import type { Clock } from "../util/clock.ts";
import type { Logger } from "../util/logger.ts";
import { addMissingIndexers, type InformerLike } from "./_controller_loop.ts";
import { errorText } from "./_errors.ts";
import {
  type BackoffRecord,
  backoffRemainingMs,
  BackoffStore,
  nextBackoffRecord,
} from "./_job_backoff.ts";
import {
  ensureJobCondition,
  findJobCondition,
  isJobFinished,
  JOB_COMPLETE,
  JOB_FAILED,
  JOB_FAILURE_TARGET,
  JOB_SUCCESS_CRITERIA_MET,
  JOB_SUSPENDED,
  newJobCondition,
} from "./_job_conditions.ts";
import { FinalizerExpectations } from "./_job_finalizer_expectations.ts";
import {
  completionIndex,
  countIndexes,
  firstPendingIndexes,
  formatIndexes,
  hasIndex,
  indexedPodGenerateName,
  indexesOf,
  type IndexInterval,
  JOB_COMPLETION_INDEX_ANNOTATION,
  JOB_COMPLETION_INDEX_ENV,
  mergeIndexes,
  parseIndexes,
  sortByCompletionIndex,
  UNKNOWN_COMPLETION_INDEX,
  withIndexes,
} from "./_job_indexes.ts";
import {
  ApiJobPodControl,
  hasTrackingFinalizer,
  JOB_TRACKING_FINALIZER,
  type JobPodControl,
  removeTrackingFinalizerPatch,
  trackingClaimControl,
} from "./_job_pod_control.ts";
import {
  calculateFailedIndexes,
  indexBackoffRemainingMs,
  JOB_REASON_FAILED_INDEXES,
  JOB_REASON_MAX_FAILED_INDEXES_EXCEEDED,
  podsWithDelayedDeletion,
  replacementFailureCounts,
} from "./_job_index_failures.ts";
import { matchPodFailurePolicy } from "./_job_pod_failure_policy.ts";
import { JOB_REASON_SUCCESS_POLICY, matchSuccessPolicy } from "./_job_success_policy.ts";
import { OWNER_UID_INDEX, recheckOwner } from "./_owner_adoption.ts";
import { parseTime, rfc3339 } from "./_rfc3339.ts";
import { filterActivePods, isPodReady, sortPodsForDeletion } from "./active_pods.ts";
import type { ControllerContext, RunnableController } from "./controller_manager.ts";
import {
  type ControllerKind,
  getControllerOf,
  newControllerRef,
  PodControllerRefManager,
} from "./controller_ref_manager.ts";
import { ControllerExpectations } from "./expectations.ts";
import { isNamespaceTerminating } from "./pod_control.ts";
import { OwnerLookup } from "./owner_lookup.ts";
import { slowStartBatch } from "./slow_start_batch.ts";

/** The controller's name in `--controllers` and in logs. */
export const JOB_CONTROLLER_NAME = "job";

/** The event source of the controller's events. */
export const JOB_CONTROLLER_COMPONENT = "job-controller";

/** The kind the controller manages. */
export const JOB_KIND: ControllerKind = { apiVersion: "batch/v1", kind: "Job" };

/** Pod events and status changes wait this long, so one sync handles a burst. */
export const JOB_SYNC_BATCH_PERIOD_MS = 1000;

/** The most uids a sync puts into `uncountedTerminatedPods` (keeps status under ~20 KB). */
export const MAX_UNCOUNTED_PODS = 500;

/** The most pods one sync creates or deletes. */
export const MAX_POD_CREATE_DELETE_PER_SYNC = 500;

/** The reasons of `FailureTarget` and `Failed`. */
export const JOB_REASON_BACKOFF_LIMIT_EXCEEDED = "BackoffLimitExceeded";
export const JOB_REASON_DEADLINE_EXCEEDED = "DeadlineExceeded";
export const JOB_REASON_POD_FAILURE_POLICY = "PodFailurePolicy";
/** The reason of `SuccessCriteriaMet` and `Complete` when enough pods succeeded. */
export const JOB_REASON_COMPLETIONS_REACHED = "CompletionsReached";

const BACKOFF_LIMIT_MESSAGE = "Job has reached the specified backoff limit";
const DEADLINE_MESSAGE = "Job was active longer than specified deadline";
const COMPLETIONS_REACHED_MESSAGE = "Reached expected number of succeeded pods";

/** The default `spec.backoffLimit` (the API server sets it; this covers objects without). */
const DEFAULT_BACKOFF_LIMIT = 6;

/** What {@linkcode JobController} works with. */
export interface JobControllerDeps {
  /** Reads Jobs past the cache (before adopting) and writes their status. */
  readonly client: Client;
  readonly jobInformer: InformerLike<Job>;
  readonly podInformer: InformerLike<Pod>;
  readonly podControl: JobPodControl;
  /** Records the Job events (`Completed`, `Suspended`, …). */
  readonly recorder: EventRecorder;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** Options of {@linkcode JobController}. */
export interface JobControllerOptions {
  /** Syncs at once (upstream `--concurrent-job-syncs`). @default {5} */
  readonly workers?: number;
  /** @default {EXPECTATIONS_TIMEOUT_MS} */
  readonly expectationsTimeoutMs?: number;
}

/** The state one sync works on (upstream `syncJobCtx`). */
interface SyncContext {
  job: Job;
  readonly key: string;
  readonly pods: readonly Pod[];
  readonly activePods: readonly Pod[];
  finishedCondition: JobCondition | null;
  succeeded: number;
  failed: number;
  prevSucceededIndexes: IndexInterval[];
  succeededIndexes: IndexInterval[];
  /** With `backoffLimitPerIndex`: the failed indexes; otherwise null. */
  failedIndexes: IndexInterval[] | null;
  /** With `backoffLimitPerIndex`: per index, the failed pod its replacement waits on. */
  delayedDeletion: Map<number, Pod>;
  newBackoffRecord: BackoffRecord;
  readonly expectedRmFinalizers: ReadonlySet<string>;
  readonly uncounted: {
    readonly succeeded: ReadonlySet<string>;
    readonly failed: ReadonlySet<string>;
  };
  terminating: number;
  ready: number;
}

/** What a sync's pod management did: the active pods after it, and its first failure. */
interface ManageResult {
  readonly active: number;
  readonly error?: unknown;
}

function isIndexed(job: Job): boolean {
  return job.spec?.completionMode === "Indexed";
}

function isSuspended(job: Job): boolean {
  return job.spec?.suspend === true;
}

function hasBackoffLimitPerIndex(job: Job): boolean {
  return isIndexed(job) && job.spec?.backoffLimitPerIndex !== undefined;
}

function backoffLimit(job: Job): number {
  return job.spec?.backoffLimit ?? DEFAULT_BACKOFF_LIMIT;
}

/** Whether another controller reconciles the Job (`spec.managedBy`). */
export function managedByExternalController(job: Job): boolean {
  const managedBy = job.spec?.managedBy;
  return managedBy !== undefined && managedBy !== JOB_MANAGED_BY_DEFAULT;
}

/** Replacement pods wait for failed ones to be fully gone (`podReplacementPolicy: Failed`). */
function onlyReplaceFailedPods(job: Job): boolean {
  return job.spec?.podReplacementPolicy === "Failed" || job.spec?.podFailurePolicy !== undefined;
}

/** Failed, or (unless only failed pods are replaced) deleted before it succeeded. */
export function isPodFailed(pod: Pod, job: Job): boolean {
  const phase = pod.status?.phase;
  if (phase === "Failed") return true;
  if (onlyReplaceFailedPods(job)) return false;
  return !!pod.metadata?.deletionTimestamp && phase !== "Succeeded";
}

function isTerminating(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return !!pod.metadata?.deletionTimestamp && phase !== "Succeeded" && phase !== "Failed";
}

/** For `restartPolicy: OnFailure`: whether the active pods' restarts reach `backoffLimit`. */
function pastBackoffLimitOnFailure(job: Job, pods: readonly Pod[]): boolean {
  if (job.spec?.template?.spec?.restartPolicy !== "OnFailure") return false;
  let restarts = 0;
  for (const pod of pods) {
    const phase = pod.status?.phase;
    if (phase !== "Running" && phase !== "Pending") continue;
    for (const s of pod.status?.initContainerStatuses ?? []) restarts += s.restartCount;
    for (const s of pod.status?.containerStatuses ?? []) restarts += s.restartCount;
  }
  const limit = backoffLimit(job);
  return limit === 0 ? restarts > 0 : restarts >= limit;
}

/** `template` with `JOB_COMPLETION_INDEX` in every container that lacks it. */
function withCompletionIndexEnv(template: PodTemplateSpec): void {
  const spec = template.spec;
  if (!spec) return;
  for (const container of [...(spec.initContainers ?? []), ...spec.containers]) {
    const env = container.env ??= [];
    if (env.some((v) => v.name === JOB_COMPLETION_INDEX_ENV)) continue;
    env.push({
      name: JOB_COMPLETION_INDEX_ENV,
      valueFrom: {
        fieldRef: { fieldPath: `metadata.annotations['${JOB_COMPLETION_INDEX_ANNOTATION}']` },
      },
    });
  }
}

/** The template of the pod for index `ix`: annotations, label and hostname. */
function indexedTemplate(
  base: PodTemplateSpec,
  options: { job: string; ix: number; failureCounts?: Record<string, string> },
) {
  const template = structuredClone(base);
  const meta = template.metadata ??= {};
  const annotations = meta.annotations ??= {};
  annotations[JOB_COMPLETION_INDEX_ANNOTATION] = String(options.ix);
  Object.assign(annotations, options.failureCounts ?? {});
  (meta.labels ??= {})[JOB_COMPLETION_INDEX_ANNOTATION] = String(options.ix);
  if (template.spec) template.spec.hostname = `${options.job}-${options.ix}`;
  return template;
}

/** Keeps Jobs' pods running until they complete, and tracks them in status. */
export class JobController {
  readonly #deps: JobControllerDeps;
  readonly #jobs: ResourceClient<Job>;
  readonly #jobStore: ObjectStore<Job>;
  readonly #podStore: ObjectStore<Pod>;
  readonly #queue: WorkQueue<string>;
  readonly #orphanQueue: WorkQueue<string>;
  readonly #expectations: ControllerExpectations;
  readonly #finalizerExpectations = new FinalizerExpectations();
  readonly #backoff = new BackoffStore();
  readonly #logger: Logger;
  readonly #workers: number;
  readonly #registrations: HandlerRegistration[] = [];
  /** The Jobs of the cache, by controllerRef; their compiled selectors. */
  readonly #owners: OwnerLookup<Job>;

  constructor(deps: JobControllerDeps, options: JobControllerOptions = {}) {
    this.#deps = deps;
    this.#jobs = deps.client.resource(JOBS);
    this.#logger = deps.logger.with({ controller: JOB_CONTROLLER_NAME });
    this.#workers = options.workers ?? 5;
    // Upstream's API backoff: 1 s doubling to 1 minute.
    const limiter = () =>
      new ItemExponentialFailureRateLimiter<string>({ baseDelayMs: 1000, maxDelayMs: 60_000 });
    this.#queue = new WorkQueue<string>({ clock: deps.clock, rateLimiter: limiter() });
    this.#orphanQueue = new WorkQueue<string>({ clock: deps.clock, rateLimiter: limiter() });
    this.#expectations = new ControllerExpectations({
      clock: deps.clock,
      logger: this.#logger,
      ...(options.expectationsTimeoutMs !== undefined
        ? { timeoutMs: options.expectationsTimeoutMs }
        : {}),
    });
    addMissingIndexers(deps.podInformer, { [OWNER_UID_INDEX]: indexByOwnerUid });
    this.#jobStore = deps.jobInformer.store;
    this.#owners = new OwnerLookup({
      store: this.#jobStore,
      kind: JOB_KIND,
      selector: (job) => job.spec?.selector,
    });
    this.#podStore = deps.podInformer.store;
    this.#registrations.push(
      deps.jobInformer.addHandler({
        add: (job) => this.#queue.add(metaNamespaceKey(job)),
        update: (old, cur) => this.#onJobUpdate(old, cur),
        delete: (job) => this.#onJobDelete(job),
      }),
      deps.podInformer.addHandler({
        add: (pod) => this.#onPodAdd(pod),
        update: (old, cur) => this.#onPodUpdate(old, cur),
        delete: (pod) => this.#onPodDelete(pod, true),
      }),
    );
  }

  /** The Job keys waiting to be synced. */
  get queue(): WorkQueue<string> {
    return this.#queue;
  }

  /** The keys of orphaned pods whose tracking finalizer is to be removed. */
  get orphanQueue(): WorkQueue<string> {
    return this.#orphanQueue;
  }

  /** The creations and deletions each Job still expects to observe. */
  get expectations(): ControllerExpectations {
    return this.#expectations;
  }

  /** Waits for the caches, then syncs Jobs and orphaned pods until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    const waitFor = [this.#deps.jobInformer, this.#deps.podInformer];
    const common = { waitFor, signal, logger: this.#deps.logger, clock: this.#deps.clock };
    try {
      await Promise.all([
        runController({
          name: JOB_CONTROLLER_NAME,
          queue: this.#queue,
          sync: (key) => this.sync(key),
          workers: this.#workers,
          ...common,
        }),
        runController({
          name: `${JOB_CONTROLLER_NAME}-orphan-pod`,
          queue: this.#orphanQueue,
          sync: (key) => this.syncOrphanPod(key),
          ...common,
        }),
      ]);
    } finally {
      for (const r of this.#registrations.splice(0)) r.remove();
    }
  }

  // --- event handlers: only enqueue keys (and lower expectations) ---------------------------

  #enqueueBatched(job: Job): void {
    this.#queue.addAfter(metaNamespaceKey(job), JOB_SYNC_BATCH_PERIOD_MS);
  }

  #enqueueAfter(key: string, delayMs: number): void {
    this.#queue.addAfter(key, Math.max(delayMs, JOB_SYNC_BATCH_PERIOD_MS));
  }

  #onJobUpdate(old: Job, cur: Job): void {
    const key = metaNamespaceKey(cur);
    if ((cur.metadata?.generation ?? 0) === (old.metadata?.generation ?? 0)) {
      this.#enqueueBatched(cur);
    } else {
      this.#queue.add(key);
    }
    // A backup: a finished Job's pods must not keep their finalizers.
    if (isJobFinished(cur)) this.#cleanupPodFinalizers(cur);
    const startMs = parseTime(cur.status?.startTime);
    const deadline = cur.spec?.activeDeadlineSeconds;
    if (startMs === null || deadline === undefined) return;
    if (old.spec?.activeDeadlineSeconds !== deadline) {
      this.#queue.addAfter(key, deadline * 1000 - (this.#deps.clock.now() - startMs));
    }
  }

  #onJobDelete(job: Job): void {
    this.#queue.add(metaNamespaceKey(job));
    this.#cleanupPodFinalizers(job);
  }

  #cleanupPodFinalizers(job: Job): void {
    const uid = job.metadata?.uid ?? "";
    for (const pod of this.#podStore.byIndex(OWNER_UID_INDEX, uid)) {
      if (getControllerOf(pod)?.uid === uid && hasTrackingFinalizer(pod)) {
        this.#orphanQueue.add(metaNamespaceKey(pod));
      }
    }
  }

  /** The Jobs whose selectors match an orphan pod (upstream `getPodJobs`). */
  #podJobs(pod: Pod): Job[] {
    const labels = pod.metadata?.labels;
    if (!labels || Object.keys(labels).length === 0) return [];
    const jobs = this.#jobStore.byIndex("namespace", pod.metadata?.namespace ?? "").filter(
      (job) => this.#owners.selectorOf(job)?.matches(labels) ?? false,
    );
    if (jobs.length > 1) {
      this.#logger.warn("More than one job is selecting pods with these labels", {
        pod: metaNamespaceKey(pod),
        labels,
      });
    }
    return jobs;
  }

  #onPodAdd(pod: Pod): void {
    if (pod.metadata?.deletionTimestamp) {
      // Seen for the first time already being deleted (a restart): not a creation.
      this.#onPodDelete(pod, false);
      return;
    }
    const ref = getControllerOf(pod);
    if (ref) {
      const job = this.#owners.resolve(pod.metadata?.namespace ?? "", ref);
      if (!job) {
        // Its Job may be gone (deleted while no controller ran): the finalizer must go.
        if (hasTrackingFinalizer(pod)) this.#orphanQueue.add(metaNamespaceKey(pod));
        return;
      }
      this.#expectations.creationObserved(metaNamespaceKey(job));
      this.#enqueueBatched(job);
      return;
    }
    if (hasTrackingFinalizer(pod)) this.#orphanQueue.add(metaNamespaceKey(pod));
    for (const job of this.#podJobs(pod)) this.#enqueueBatched(job);
  }

  #onPodUpdate(old: Pod, cur: Pod): void {
    if (cur.metadata?.resourceVersion === old.metadata?.resourceVersion) return;
    if (cur.metadata?.deletionTimestamp) {
      this.#onPodDelete(cur, false);
      return;
    }
    const finalizerRemoved = !hasTrackingFinalizer(cur);
    const curRef = getControllerOf(cur);
    const oldRef = getControllerOf(old);
    const refChanged = JSON.stringify(curRef ?? null) !== JSON.stringify(oldRef ?? null);
    const uid = cur.metadata?.uid ?? "";
    if (refChanged && oldRef) {
      const job = this.#owners.resolve(old.metadata?.namespace ?? "", oldRef);
      if (job) {
        if (finalizerRemoved) this.#finalizerExpectations.observed(metaNamespaceKey(job), uid);
        this.#enqueueBatched(job);
      }
    }
    if (curRef) {
      const job = this.#owners.resolve(cur.metadata?.namespace ?? "", curRef);
      if (!job) {
        if (hasTrackingFinalizer(cur)) this.#orphanQueue.add(metaNamespaceKey(cur));
        return;
      }
      if (finalizerRemoved) this.#finalizerExpectations.observed(metaNamespaceKey(job), uid);
      this.#enqueueBatched(job);
      return;
    }
    if (hasTrackingFinalizer(cur)) this.#orphanQueue.add(metaNamespaceKey(cur));
    const labelsChanged = JSON.stringify(cur.metadata?.labels ?? {}) !==
      JSON.stringify(old.metadata?.labels ?? {});
    if (labelsChanged || refChanged) {
      for (const job of this.#podJobs(cur)) this.#enqueueBatched(job);
    }
  }

  /** `final`: the pod is gone (not merely given a deletionTimestamp). */
  #onPodDelete(pod: Pod, final: boolean): void {
    const ref = getControllerOf(pod);
    const hasFinalizer = hasTrackingFinalizer(pod);
    if (!ref) {
      if (hasFinalizer) this.#orphanQueue.add(metaNamespaceKey(pod));
      return;
    }
    const job = this.#owners.resolve(pod.metadata?.namespace ?? "", ref);
    if (!job || isJobFinished(job)) {
      if (hasFinalizer) this.#orphanQueue.add(metaNamespaceKey(pod));
      return;
    }
    const key = metaNamespaceKey(job);
    this.#expectations.deletionObserved(key, metaNamespaceKey(pod));
    if (final || !hasFinalizer) {
      this.#finalizerExpectations.observed(key, pod.metadata?.uid ?? "");
    }
    this.#enqueueBatched(job);
  }

  // --- orphaned pods ----------------------------------------------------------------------

  /** Removes the tracking finalizer from the pod `key` if no unfinished Job owns it. */
  async syncOrphanPod(key: string): Promise<void> {
    const pod = this.#podStore.get(key);
    if (!pod) return;
    const ref = getControllerOf(pod);
    if (ref) {
      if (ref.kind !== JOB_KIND.kind || ref.apiVersion !== JOB_KIND.apiVersion) return;
      const job = this.#owners.resolve(pod.metadata?.namespace ?? "", ref);
      if (job && managedByExternalController(job)) return;
      if (job && !isJobFinished(job)) return;
    }
    if (!hasTrackingFinalizer(pod)) return;
    const { namespace, name } = splitMetaNamespaceKey(key);
    try {
      await this.#deps.podControl.patchPod({
        namespace,
        name,
        patch: removeTrackingFinalizerPatch(),
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  // --- sync -----------------------------------------------------------------------------------

  /**
   * Converges the Job `key` (`namespace/name`) from the caches (upstream `syncJob`). Throws to
   * be retried with backoff.
   */
  async sync(key: string): Promise<void> {
    const cached = this.#jobStore.get(key);
    if (!cached) {
      this.#expectations.delete(key);
      this.#finalizerExpectations.delete(key);
      this.#backoff.delete(key);
      return;
    }
    if (managedByExternalController(cached)) return;
    if (isJobFinished(cached)) {
      this.#backoff.delete(key);
      return;
    }
    const mode = cached.spec?.completionMode;
    if (mode !== undefined && mode !== "NonIndexed" && mode !== "Indexed") {
      this.#deps.recorder.event(cached, {
        type: "Warning",
        reason: "UnknownCompletionMode",
        message: "Skipped Job sync because completion mode is unknown",
      });
      return;
    }
    const job = structuredClone(cached) as Job;
    const status: JobStatus = job.status ??= {};
    status.uncountedTerminatedPods ??= {};
    const nowMs = this.#deps.clock.now();

    // Before reading pods: a pod that appears later only defers the sync to its own event.
    const satisfied = this.#expectations.satisfied(key);
    const pods = await this.#podsForJob(job);
    const activePods = filterActivePods(pods);
    const ctx: SyncContext = {
      job,
      key,
      pods,
      activePods,
      finishedCondition: null,
      succeeded: 0,
      failed: 0,
      prevSucceededIndexes: [],
      succeededIndexes: [],
      failedIndexes: null,
      delayedDeletion: new Map(),
      newBackoffRecord: { failuresAfterLastSuccess: 0, lastFailureMs: null },
      expectedRmFinalizers: this.#finalizerExpectations.expected(key),
      uncounted: {
        succeeded: new Set(status.uncountedTerminatedPods.succeeded ?? []),
        failed: new Set(status.uncountedTerminatedPods.failed ?? []),
      },
      terminating: pods.filter(isTerminating).length,
      ready: activePods.filter((p) => isPodReady(p)).length,
    };
    let active = activePods.length;
    const newSucceeded = this.#newFinishedPods(ctx, {
      uncounted: ctx.uncounted.succeeded,
      filter: (p) => p.status?.phase === "Succeeded",
    });
    const newFailed = this.#newFinishedPods(ctx, {
      uncounted: ctx.uncounted.failed,
      filter: (p) => isPodFailed(p, job),
    });
    const policy = job.spec?.podFailurePolicy;
    const countedNewFailed = policy
      ? newFailed.filter((p) => matchPodFailurePolicy(policy, p).countFailed).length
      : newFailed.length;
    ctx.succeeded = (status.succeeded ?? 0) + newSucceeded.length + ctx.uncounted.succeeded.size;
    ctx.failed = (status.failed ?? 0) + countedNewFailed + ctx.uncounted.failed.size;

    if (status.startTime === undefined && !isSuspended(job)) status.startTime = rfc3339(nowMs);
    ctx.newBackoffRecord = nextBackoffRecord(this.#backoff.get(key), {
      succeeded: newSucceeded,
      failed: newFailed,
    });

    const conditions = status.conditions;
    const successMet = findJobCondition(conditions, JOB_SUCCESS_CRITERIA_MET);
    if (successMet?.status === "True") ctx.finishedCondition = successMet;
    if (ctx.finishedCondition === null) {
      const failureTarget = findJobCondition(conditions, JOB_FAILURE_TARGET);
      if (failureTarget?.status === "True") {
        ctx.finishedCondition = this.#failedFromTarget(failureTarget, nowMs);
      } else {
        const message = this.#failJobMessage(job, pods);
        if (message !== undefined) {
          ctx.finishedCondition = newJobCondition({
            type: JOB_FAILURE_TARGET,
            status: "True",
            reason: JOB_REASON_POD_FAILURE_POLICY,
            message,
          }, nowMs);
        }
      }
    }
    if (ctx.finishedCondition === null) {
      const deadline = job.spec?.activeDeadlineSeconds;
      const startMs = parseTime(status.startTime);
      if (ctx.failed > backoffLimit(job) || pastBackoffLimitOnFailure(job, pods)) {
        ctx.finishedCondition = this.#failureTarget(JOB_REASON_BACKOFF_LIMIT_EXCEEDED, {
          message: BACKOFF_LIMIT_MESSAGE,
          nowMs,
        });
      } else if (
        deadline !== undefined && startMs !== null && !isSuspended(job) &&
        nowMs - startMs >= deadline * 1000
      ) {
        ctx.finishedCondition = this.#failureTarget(JOB_REASON_DEADLINE_EXCEEDED, {
          message: DEADLINE_MESSAGE,
          nowMs,
        });
      } else if (deadline !== undefined && startMs !== null && !isSuspended(job)) {
        const inMs = deadline * 1000 - (nowMs - startMs);
        this.#logger.debug(
          "Job has activeDeadlineSeconds configuration. Will sync this job again",
          {
            key,
            nextSyncInMs: inMs,
          },
        );
        this.#queue.addAfter(key, inMs);
      }
    }
    if (isIndexed(job)) {
      const completions = job.spec?.completions ?? 0;
      ctx.prevSucceededIndexes = parseIndexes(status.completedIndexes, completions);
      const fresh = new Set<number>();
      for (const pod of pods) {
        const ix = completionIndex(pod);
        if (
          pod.status?.phase === "Succeeded" && ix !== UNKNOWN_COMPLETION_INDEX &&
          ix < completions && hasTrackingFinalizer(pod)
        ) fresh.add(ix);
      }
      ctx.succeededIndexes = withIndexes(
        ctx.prevSucceededIndexes,
        [...fresh].sort((a, b) => a - b),
      );
      ctx.succeeded = countIndexes(ctx.succeededIndexes);
      this.#checkIndexes(ctx, nowMs);
    }

    let suspendChanged = false;
    let manageError: unknown = undefined;
    if (ctx.finishedCondition !== null) {
      const { deleted, deletedReady, error } = await this.#deleteActivePods(job, activePods);
      if (deleted !== active || !satisfied) {
        // Finalizers may remain, or pods the cache has not shown yet: not finished yet.
        ctx.finishedCondition = null;
      }
      active -= deleted;
      ctx.terminating += deleted;
      ctx.ready -= deletedReady;
      manageError = error;
    } else {
      let managed = false;
      if (satisfied && !job.metadata?.deletionTimestamp) {
        const result = await this.#manageJob(ctx);
        active = result.active;
        manageError = result.error;
        managed = true;
      }
      const completions = job.spec?.completions;
      const complete = completions === undefined
        ? ctx.succeeded > 0 && active === 0
        : ctx.succeeded >= completions && active === 0;
      if (complete) {
        ctx.finishedCondition = newJobCondition({
          type: JOB_SUCCESS_CRITERIA_MET,
          status: "True",
          reason: JOB_REASON_COMPLETIONS_REACHED,
          message: COMPLETIONS_REACHED_MESSAGE,
        }, nowMs);
      } else if (managed) {
        suspendChanged = this.#updateSuspendedCondition(job, nowMs);
      }
    }

    const needsUpdate = suspendChanged || status.startTime !== cached.status?.startTime ||
      active !== (status.active ?? 0) ||
      ctx.ready !== status.ready || ctx.terminating !== status.terminating;
    // As Go's JSON encoding of the counters (omitempty): no zero.
    if (active > 0) status.active = active;
    else delete status.active;
    status.ready = ctx.ready;
    status.terminating = ctx.terminating;
    try {
      await this.#trackStatusAndRemoveFinalizers(ctx, needsUpdate);
    } catch (err) {
      throw new Error(`Cannot track the status of Job "${key}": ${errorText(err)}`, {
        cause: err,
      });
    }
    if (manageError !== undefined) throw manageError;
  }

  /**
   * `Suspended=True` while suspended (and no startTime: the API server lets startTime change
   * only while suspended, and the time suspended must not count towards
   * `activeDeadlineSeconds`), `False` after a resume (with a fresh startTime).
   */
  #updateSuspendedCondition(job: Job, nowMs: number): boolean {
    const status = job.status!;
    if (isSuspended(job)) {
      delete status.startTime;
      const { conditions, changed } = ensureJobCondition(status.conditions, {
        type: JOB_SUSPENDED,
        status: "True",
        reason: "JobSuspended",
        message: "Job suspended",
        nowMs,
      });
      status.conditions = conditions;
      if (changed) {
        this.#deps.recorder.event(job, {
          type: "Normal",
          reason: "Suspended",
          message: "Job suspended",
        });
      }
      return changed;
    }
    const { conditions, changed } = ensureJobCondition(status.conditions, {
      type: JOB_SUSPENDED,
      status: "False",
      reason: "JobResumed",
      message: "Job resumed",
      nowMs,
    });
    if (changed) {
      status.conditions = conditions;
      this.#deps.recorder.event(job, { type: "Normal", reason: "Resumed", message: "Job resumed" });
      // activeDeadlineSeconds counts from the resume, as for a Job created suspended.
      status.startTime = rfc3339(nowMs);
    }
    return changed;
  }

  /**
   * Indexed Jobs: the failed indexes and the conditions they cause (with
   * `backoffLimitPerIndex`), then the success policy.
   */
  #checkIndexes(ctx: SyncContext, nowMs: number): void {
    const job = ctx.job;
    const spec = job.spec!;
    const completions = spec.completions ?? 0;
    const podFailed = (pod: Pod) => isPodFailed(pod, job);
    if (hasBackoffLimitPerIndex(job)) {
      ctx.failedIndexes = calculateFailedIndexes(job, { pods: ctx.pods, podFailed });
      const failedCount = countIndexes(ctx.failedIndexes);
      if (ctx.finishedCondition === null) {
        if (spec.maxFailedIndexes !== undefined && failedCount > spec.maxFailedIndexes) {
          ctx.finishedCondition = this.#failureTarget(JOB_REASON_MAX_FAILED_INDEXES_EXCEEDED, {
            message: "Job has exceeded the specified maximal number of failed indexes",
            nowMs,
          });
        } else if (
          failedCount > 0 && failedCount + countIndexes(ctx.succeededIndexes) >= completions
        ) {
          ctx.finishedCondition = this.#failureTarget(JOB_REASON_FAILED_INDEXES, {
            message: "Job has failed indexes",
            nowMs,
          });
        }
      }
      ctx.delayedDeletion = podsWithDelayedDeletion(job, {
        pods: ctx.pods,
        activePods: ctx.activePods,
        succeededIndexes: ctx.succeededIndexes,
        failedIndexes: ctx.failedIndexes,
        expectedRmFinalizers: ctx.expectedRmFinalizers,
        podFailed,
      });
    }
    if (ctx.finishedCondition === null) {
      const message = matchSuccessPolicy(spec.successPolicy, {
        completions,
        succeeded: ctx.succeededIndexes,
      });
      if (message !== null) {
        ctx.finishedCondition = newJobCondition({
          type: JOB_SUCCESS_CRITERIA_MET,
          status: "True",
          reason: JOB_REASON_SUCCESS_POLICY,
          message,
        }, nowMs);
      }
    }
  }

  #failureTarget(
    reason: string,
    options: { readonly message: string; readonly nowMs: number },
  ): JobCondition {
    return newJobCondition({
      type: JOB_FAILURE_TARGET,
      status: "True",
      reason,
      message: options.message,
    }, options.nowMs);
  }

  #failedFromTarget(target: JobCondition, nowMs: number): JobCondition {
    return newJobCondition({
      type: JOB_FAILED,
      status: "True",
      reason: target.reason ?? "",
      message: target.message ?? "",
    }, nowMs);
  }

  #failJobMessage(job: Job, pods: readonly Pod[]): string | undefined {
    const policy = job.spec?.podFailurePolicy;
    if (!policy) return undefined;
    for (const pod of pods) {
      if (!isPodFailed(pod, job)) continue;
      const match = matchPodFailurePolicy(policy, pod);
      if (match.failJobMessage !== undefined) return match.failJobMessage;
    }
    return undefined;
  }

  /** Finished pods not yet counted in status (upstream `getValidPodsWithFilter`). */
  #newFinishedPods(
    ctx: SyncContext,
    options: { readonly uncounted: ReadonlySet<string>; readonly filter: (pod: Pod) => boolean },
  ): Pod[] {
    const completions = ctx.job.spec?.completions ?? 0;
    return ctx.pods.filter((pod) => {
      const uid = pod.metadata?.uid ?? "";
      if (!hasTrackingFinalizer(pod) || options.uncounted.has(uid)) return false;
      if (ctx.expectedRmFinalizers.has(uid)) return false;
      if (isIndexed(ctx.job)) {
        const ix = completionIndex(pod);
        if (ix === UNKNOWN_COMPLETION_INDEX || ix >= completions) return false;
      }
      return options.filter(pod);
    });
  }

  /**
   * Every pod of the namespace the Job controls or can adopt, claimed (upstream
   * `getPodsForJob`). Adopted pods count as carrying the tracking finalizer (the adoption
   * patch added it).
   */
  async #podsForJob(job: Job): Promise<Pod[]> {
    const key = metaNamespaceKey(job);
    const selector = this.#owners.selectorOf(job);
    if (selector === null) throw new Error(`Cannot use the pod selector of Job "${key}"`);
    const uid = job.metadata?.uid ?? "";
    const candidates = this.#podStore.byIndex("namespace", job.metadata?.namespace ?? "");
    const manager = new PodControllerRefManager({
      podControl: trackingClaimControl(this.#deps.podControl),
      controller: job,
      controllerKind: JOB_KIND,
      matches: (pod) => selector.matches(pod.metadata?.labels),
      canAdopt: () => this.#canAdopt(job),
    });
    const { claimed, errors } = await manager.claimPods(candidates);
    if (errors.length > 0) {
      throw new Error(`Cannot claim pods of Job "${key}": ${errorText(errors[0])}`, {
        cause: errors.length === 1 ? errors[0] : new AggregateError(errors),
      });
    }
    return claimed.map((pod) => {
      const owned = (pod.metadata?.ownerReferences ?? []).some((r) => r.uid === uid);
      if (owned || hasTrackingFinalizer(pod)) return pod;
      const copy = structuredClone(pod) as Pod;
      copy.metadata!.finalizers = [...(copy.metadata?.finalizers ?? []), JOB_TRACKING_FINALIZER];
      return copy;
    });
  }

  /** Rejects unless an uncached read shows the same Job, not being deleted. */
  async #canAdopt(job: Job): Promise<void> {
    await recheckOwner(job, { client: this.#jobs, kind: JOB_KIND });
  }

  /**
   * Deletes the active pods of a finishing Job, keeping their finalizers (the status tracking
   * removes them). NotFound counts as deleted.
   */
  async #deleteActivePods(
    job: Job,
    pods: readonly Pod[],
  ): Promise<{ deleted: number; deletedReady: number; error?: unknown }> {
    const namespace = job.metadata?.namespace ?? "";
    let deleted = 0;
    let deletedReady = 0;
    let error: unknown = undefined;
    await Promise.all(pods.map(async (pod) => {
      try {
        await this.#deps.podControl.deletePod({
          namespace,
          name: pod.metadata?.name ?? "",
          owner: job,
        });
      } catch (err) {
        if (!isNotFound(err)) {
          error ??= err;
          return;
        }
      }
      deleted++;
      if (isPodReady(pod)) deletedReady++;
    }));
    return error === undefined ? { deleted, deletedReady } : { deleted, deletedReady, error };
  }

  /**
   * Deletes pods the Job does not want: their finalizer first, so they are not counted as
   * failures (upstream `deleteJobPods`). Returns how many went (ready ones too) and the first
   * error.
   */
  async #deleteJobPods(
    ctx: SyncContext,
    pods: readonly Pod[],
  ): Promise<{ removed: number; removedReady: number; error?: unknown }> {
    const { job, key } = ctx;
    const namespace = job.metadata?.namespace ?? "";
    this.#expectations.expectDeletions(key, pods.map(metaNamespaceKey));
    let removed = 0;
    let removedReady = 0;
    let error: unknown = undefined;
    await Promise.all(pods.map(async (pod) => {
      const name = pod.metadata?.name ?? "";
      try {
        if (hasTrackingFinalizer(pod)) {
          try {
            await this.#deps.podControl.patchPod({
              namespace,
              name,
              patch: removeTrackingFinalizerPatch(),
            });
          } catch (err) {
            throw isNotFound(err) ? err : new Error(
              `removing completion finalizer: ${errorText(err)}`,
              { cause: err },
            );
          }
        }
        await this.#deps.podControl.deletePod({ namespace, name, owner: job });
      } catch (err) {
        // The cache will not show this deletion.
        this.#expectations.deletionObserved(key, metaNamespaceKey(pod));
        if (!isNotFound(err)) {
          this.#logger.info("Failed to delete Pod", { job: key, pod: name, error: err });
          error ??= err;
          return;
        }
      }
      removed++;
      if (isPodReady(pod)) removedReady++;
    }));
    return error === undefined ? { removed, removedReady } : { removed, removedReady, error };
  }

  /**
   * Creates or deletes pods towards the wanted number of active ones (upstream `manageJob`).
   * Returns the number of active pods after it and the first failure.
   */
  async #manageJob(ctx: SyncContext): Promise<ManageResult> {
    const { job, key } = ctx;
    let active = ctx.activePods.length;
    const spec = job.spec!;
    const parallelism = spec.parallelism ?? 1;
    if (isSuspended(job)) {
      this.#logger.debug("Deleting all active pods in suspended job", { job: key, active });
      const toDelete = this.#podsForRemoval(job, { pods: ctx.activePods, count: active });
      const { removed, removedReady, error } = await this.#deleteJobPods(ctx, toDelete);
      ctx.terminating += removed;
      ctx.ready -= removedReady;
      active -= removed;
      return { active, error };
    }
    let want: number;
    if (spec.completions === undefined) {
      // Without completions, once a pod succeeded the others are left to finish.
      want = ctx.succeeded > 0 ? active : parallelism;
    } else {
      want = Math.max(0, Math.min(spec.completions - ctx.succeeded, parallelism));
    }
    const excess = Math.max(0, active - want);
    let toDelete = this.#podsForRemoval(job, { pods: ctx.activePods, count: excess });
    if (toDelete.length > MAX_POD_CREATE_DELETE_PER_SYNC) {
      toDelete = toDelete.slice(0, MAX_POD_CREATE_DELETE_PER_SYNC);
    }
    if (toDelete.length > 0) {
      this.#logger.debug("Too many pods running for job", {
        job: key,
        deleted: toDelete.length,
        target: want,
      });
      const { removed, removedReady, error } = await this.#deleteJobPods(ctx, toDelete);
      ctx.terminating += removed;
      ctx.ready -= removedReady;
      active -= removed;
      // Deletions and creations never in the same sync; deletions first.
      return { active, error };
    }
    const terminating = onlyReplaceFailedPods(job) ? ctx.terminating : 0;
    let diff = want - terminating - active;
    if (diff <= 0) return { active };
    const nowMs = this.#deps.clock.now();
    // With a per-index limit, each index has its own delay instead.
    const waitMs = hasBackoffLimitPerIndex(job)
      ? 0
      : backoffRemainingMs(ctx.newBackoffRecord, nowMs);
    if (waitMs > 0) {
      this.#enqueueAfter(key, waitMs);
      return { active };
    }
    diff = Math.min(diff, MAX_POD_CREATE_DELETE_PER_SYNC);
    let indexes: number[] = [];
    if (isIndexed(job)) {
      let taken = withIndexes(ctx.succeededIndexes, indexesOf(ctx.activePods));
      if (ctx.failedIndexes !== null) taken = mergeIndexes(taken, ctx.failedIndexes);
      if (onlyReplaceFailedPods(job)) {
        taken = withIndexes(taken, indexesOf(ctx.pods.filter(isTerminating)));
      }
      indexes = firstPendingIndexes({ taken, count: diff, completions: spec.completions ?? 0 });
      if (hasBackoffLimitPerIndex(job)) {
        // Only indexes whose own delay is over; else wake up when the first one is.
        const waits = indexes.map((ix) =>
          indexBackoffRemainingMs(ctx.delayedDeletion.get(ix), nowMs)
        );
        const due = indexes.filter((_ix, i) => waits[i] === 0);
        if (due.length === 0 && indexes.length > 0) {
          this.#enqueueAfter(key, Math.min(...waits));
          return { active };
        }
        indexes = due;
      }
      diff = indexes.length;
      if (diff === 0) return { active };
    }
    return await this.#createPods(ctx, { count: diff, indexes, active });
  }

  async #createPods(
    ctx: SyncContext,
    plan: { readonly count: number; readonly indexes: readonly number[]; readonly active: number },
  ): Promise<ManageResult> {
    const { job, key } = ctx;
    const namespace = job.metadata?.namespace ?? "";
    const name = job.metadata?.name ?? "";
    const { count } = plan;
    this.#expectations.expectCreations(key, count);
    this.#logger.debug("Too few pods running", { key, creating: count });
    const template = structuredClone(job.spec!.template) as PodTemplateSpec;
    if (isIndexed(job)) withCompletionIndexEnv(template);
    const meta = template.metadata ??= {};
    if (!(meta.finalizers ?? []).includes(JOB_TRACKING_FINALIZER)) {
      meta.finalizers = [...(meta.finalizers ?? []), JOB_TRACKING_FINALIZER];
    }
    const controllerRef = newControllerRef(job, JOB_KIND);
    const pending = [...plan.indexes];
    let failures = 0;
    const result = await slowStartBatch(count, {
      fn: async () => {
        const ix = pending.shift();
        const request = ix === undefined ? { namespace, template, owner: job, controllerRef } : {
          namespace,
          template: indexedTemplate(template, {
            job: name,
            ix,
            ...(hasBackoffLimitPerIndex(job)
              ? { failureCounts: replacementFailureCounts(job, ctx.delayedDeletion.get(ix)) }
              : {}),
          }),
          owner: job,
          controllerRef,
          generateName: indexedPodGenerateName(name, ix),
        };
        try {
          await this.#deps.podControl.createPods(request);
        } catch (err) {
          // In a namespace being deleted every creation fails: nothing to do.
          if (isNamespaceTerminating(err)) return;
          this.#logger.info("Failed creation, decrementing expectations", { job: key });
          this.#expectations.creationObserved(key);
          failures++;
          throw err;
        }
      },
    });
    let active = plan.active + count - failures;
    const skipped = count - result.successes - failures;
    if (result.error !== undefined && skipped > 0) {
      this.#logger.info("Slow-start failure. Skipping creating pods, decrementing expectations", {
        skippedCount: skipped,
        job: key,
      });
      active -= skipped;
      for (let i = 0; i < skipped; i++) this.#expectations.creationObserved(key);
    }
    return result.error === undefined ? { active } : { active, error: result.error };
  }

  /**
   * The `count` active pods to remove first, plus (Indexed Jobs) every pod with a duplicated
   * or invalid index (upstream `activePodsForRemoval`).
   */
  #podsForRemoval(job: Job, request: { readonly pods: readonly Pod[]; readonly count: number }) {
    const { pods, count } = request;
    const rm: Pod[] = [];
    let left: Pod[] = [...pods];
    if (isIndexed(job)) {
      left = [];
      const completions = job.spec?.completions ?? 0;
      const groups = new Map<number, Pod[]>();
      for (const pod of sortByCompletionIndex(pods)) {
        const ix = completionIndex(pod);
        if (ix === UNKNOWN_COMPLETION_INDEX || ix >= completions) {
          rm.push(pod);
          continue;
        }
        const group = groups.get(ix) ?? [];
        group.push(pod);
        groups.set(ix, group);
      }
      for (const group of groups.values()) {
        if (group.length === 1) {
          left.push(group[0]!);
          continue;
        }
        // Keep the most valuable pod of the index.
        const sorted = sortPodsForDeletion(group, { nowMs: 0 });
        rm.push(...sorted.slice(0, -1));
        left.push(sorted.at(-1)!);
      }
    }
    if (rm.length < count) {
      rm.push(...sortPodsForDeletion(left, { nowMs: 0 }).slice(0, count - rm.length));
    }
    return rm;
  }

  // --- status tracking --------------------------------------------------------------------------

  /** Whether the pod's finalizer may go now (upstream `canRemoveFinalizer`). */
  #canRemoveFinalizer(ctx: SyncContext, pod: Pod, failed: boolean): boolean {
    if (ctx.job.metadata?.deletionTimestamp || ctx.finishedCondition !== null) return true;
    if (pod.status?.phase === "Succeeded") return true;
    if (!failed) return false;
    // The last failure of an index waits for its replacement, which takes over its count.
    const ix = completionIndex(pod);
    return ctx.delayedDeletion.get(ix)?.metadata?.uid !== pod.metadata?.uid;
  }

  /**
   * Counts finished pods through `uncountedTerminatedPods`, removes their finalizers, adds the
   * interim and final conditions and writes status (upstream
   * `trackJobStatusAndRemoveFinalizers`).
   */
  async #trackStatusAndRemoveFinalizers(ctx: SyncContext, needsFlushIn: boolean): Promise<void> {
    let needsFlush = needsFlushIn;
    const job = ctx.job;
    const indexed = isIndexed(job);
    const completions = job.spec?.completions ?? 0;
    const status = job.status!;
    const uncounted = status.uncountedTerminatedPods!;
    const pods = indexed ? sortByCompletionIndex(ctx.pods) : [...ctx.pods];
    const withFinalizer = new Set<string>();
    for (const pod of pods) {
      const uid = pod.metadata?.uid ?? "";
      if (hasTrackingFinalizer(pod) && !ctx.expectedRmFinalizers.has(uid)) withFinalizer.add(uid);
    }
    if (countUncountedWithoutFinalizers(status, withFinalizer)) needsFlush = true;
    const toRemove: Pod[] = [];
    const newSucceededIndexes: number[] = [];
    let reachedMax = false;
    const failing = ctx.finishedCondition !== null &&
      ctx.finishedCondition.type !== JOB_SUCCESS_CRITERIA_MET;
    for (const pod of pods) {
      const uid = pod.metadata?.uid ?? "";
      if (!hasTrackingFinalizer(pod) || ctx.expectedRmFinalizers.has(uid)) continue;
      const failed = isPodFailed(pod, job);
      if (!this.#canRemoveFinalizer(ctx, pod, failed)) continue;
      toRemove.push(pod);
      if (pod.status?.phase === "Succeeded" && !ctx.uncounted.failed.has(uid)) {
        if (indexed) {
          const ix = completionIndex(pod);
          if (
            ix !== UNKNOWN_COMPLETION_INDEX && ix < completions &&
            !hasIndex(ctx.prevSucceededIndexes, ix)
          ) {
            newSucceededIndexes.push(ix);
            needsFlush = true;
          }
        } else if (!ctx.uncounted.succeeded.has(uid)) {
          uncounted.succeeded = [...(uncounted.succeeded ?? []), uid];
          needsFlush = true;
        }
      } else if (failed || failing) {
        // A finishing (failing) Job counts every pod that did not succeed as failed.
        const ix = completionIndex(pod);
        const validIndex = !indexed || (ix !== UNKNOWN_COMPLETION_INDEX && ix < completions);
        if (!ctx.uncounted.failed.has(uid) && validIndex) {
          const policy = job.spec?.podFailurePolicy;
          if (!policy || matchPodFailurePolicy(policy, pod).countFailed) {
            uncounted.failed = [...(uncounted.failed ?? []), uid];
            needsFlush = true;
          }
        }
      }
      const pendingCount = newSucceededIndexes.length + (uncounted.succeeded?.length ?? 0) +
        (uncounted.failed?.length ?? 0);
      if (pendingCount >= MAX_UNCOUNTED_PODS) {
        // Enough for one status write; the writes and pod updates bring the Job back.
        reachedMax = true;
        break;
      }
    }
    if (indexed) {
      ctx.succeededIndexes = withIndexes(
        ctx.succeededIndexes,
        [...newSucceededIndexes].sort((a, b) => a - b),
      );
      const text = formatIndexes(ctx.succeededIndexes);
      if (text !== (status.completedIndexes ?? "")) needsFlush = true;
      const succeeded = countIndexes(ctx.succeededIndexes);
      if (succeeded > 0) status.succeeded = succeeded;
      else delete status.succeeded;
      if (text !== "") status.completedIndexes = text;
      else delete status.completedIndexes;
      if (ctx.failedIndexes !== null) {
        const failedText = formatIndexes(ctx.failedIndexes);
        if (failedText !== status.failedIndexes) needsFlush = true;
        status.failedIndexes = failedText;
      }
    }
    const finished = ctx.finishedCondition;
    if (finished !== null && finished.type === JOB_FAILURE_TARGET) {
      // The interim condition goes out with the counts, before the finalizers are removed.
      status.conditions = [...(status.conditions ?? []), finished];
      needsFlush = true;
      ctx.finishedCondition = this.#failedFromTarget(finished, this.#deps.clock.now());
    }
    if (finished !== null && finished.type === JOB_SUCCESS_CRITERIA_MET) {
      const has = findJobCondition(status.conditions, JOB_SUCCESS_CRITERIA_MET);
      if (has?.status !== "True") {
        status.conditions = [...(status.conditions ?? []), finished];
        needsFlush = true;
      }
      ctx.finishedCondition = newJobCondition({
        type: JOB_COMPLETE,
        status: "True",
        reason: finished.reason ?? "",
        message: finished.message ?? "",
      }, this.#deps.clock.now());
    }
    needsFlush = await this.#flushAndRemoveFinalizers(ctx, {
      toRemove,
      withFinalizer,
      needsFlush,
    });
    const jobFinished = !reachedMax && this.#enactJobFinished(ctx);
    if (jobFinished) needsFlush = true;
    if (needsFlush) {
      ctx.job = await this.#writeStatus(ctx.job);
      if (jobFinished) this.#recordJobFinished(ctx.job, ctx.finishedCondition!);
    }
  }

  /**
   * Writes status if it changed (new uncounted uids, interim conditions), removes the
   * finalizers, and moves the uids of pods that lost them into the counters. Returns whether
   * status has unwritten changes.
   */
  async #flushAndRemoveFinalizers(
    ctx: SyncContext,
    work: {
      readonly toRemove: readonly Pod[];
      readonly withFinalizer: Set<string>;
      readonly needsFlush: boolean;
    },
  ): Promise<boolean> {
    let needsFlush = work.needsFlush;
    if (needsFlush) {
      ctx.job = await this.#writeStatus(ctx.job);
      this.#backoff.set(ctx.key, ctx.newBackoffRecord);
      needsFlush = false;
    }
    let removeError: unknown = undefined;
    if (work.toRemove.length > 0) {
      const { removed, error } = await this.#removeTrackingFinalizers(ctx.key, work.toRemove);
      for (const uid of removed) work.withFinalizer.delete(uid);
      removeError = error;
    }
    if (countUncountedWithoutFinalizers(ctx.job.status!, work.withFinalizer)) needsFlush = true;
    if (removeError !== undefined) {
      // Record what did go, then retry the rest.
      if (needsFlush) ctx.job = await this.#writeStatus(ctx.job);
      throw removeError;
    }
    return needsFlush;
  }

  /** Removes the tracking finalizer from `pods`; returns the uids that no longer have it. */
  async #removeTrackingFinalizers(
    key: string,
    pods: readonly Pod[],
  ): Promise<{ removed: string[]; error?: unknown }> {
    const uids = pods.map((p) => p.metadata?.uid ?? "");
    this.#finalizerExpectations.expectRemoved(key, uids);
    const removed: string[] = [];
    let error: unknown = undefined;
    await Promise.all(pods.map(async (pod, i) => {
      try {
        await this.#deps.podControl.patchPod({
          namespace: pod.metadata?.namespace ?? "",
          name: pod.metadata?.name ?? "",
          patch: removeTrackingFinalizerPatch(),
        });
      } catch (err) {
        // No pod update will show this removal.
        this.#finalizerExpectations.observed(key, uids[i]!);
        if (!isNotFound(err)) {
          this.#logger.error("Cannot remove tracking finalizer", {
            pod: metaNamespaceKey(pod),
            error: err,
          });
          error ??= err;
          return;
        }
      }
      removed.push(uids[i]!);
    }));
    return error === undefined ? { removed } : { removed, error };
  }

  /** Adds the final `Complete` or `Failed` condition once nothing is left to count or stop. */
  #enactJobFinished(ctx: SyncContext): boolean {
    const finished = ctx.finishedCondition;
    if (finished === null) return false;
    const status = ctx.job.status!;
    const uncounted = status.uncountedTerminatedPods;
    const pending = (uncounted?.succeeded?.length ?? 0) + (uncounted?.failed?.length ?? 0);
    if (pending > 0) {
      this.#logger.debug(
        "Delaying marking the Job as finished, because there are still uncounted pod(s)",
        {
          job: ctx.key,
          condition: finished.type,
          count: pending,
        },
      );
      return false;
    }
    if (ctx.terminating > 0) {
      this.#logger.debug(
        "Delaying marking the Job as finished, because there are still terminating pod(s)",
        {
          job: ctx.key,
          condition: finished.type,
          count: ctx.terminating,
        },
      );
      return false;
    }
    const { conditions } = ensureJobCondition(status.conditions, {
      type: finished.type,
      status: finished.status,
      reason: finished.reason ?? "",
      message: finished.message ?? "",
      nowMs: this.#deps.clock.now(),
    });
    status.conditions = conditions;
    if (finished.type === JOB_COMPLETE) status.completionTime = finished.lastTransitionTime!;
    return true;
  }

  #recordJobFinished(job: Job, finished: JobCondition): void {
    const recorder = this.#deps.recorder;
    if (finished.type === JOB_COMPLETE) {
      const completions = job.spec?.completions;
      if (completions !== undefined && (job.status?.succeeded ?? 0) > completions) {
        recorder.event(job, {
          type: "Warning",
          reason: "TooManySucceededPods",
          message: "Too many succeeded pods running after completion count reached",
        });
      }
      recorder.event(job, { type: "Normal", reason: "Completed", message: "Job completed" });
      return;
    }
    recorder.event(job, {
      type: "Warning",
      reason: finished.reason ?? "",
      message: finished.message ?? "",
    });
  }

  /** PUT status; returns the Job as written (a mutable copy). */
  async #writeStatus(job: Job): Promise<Job> {
    const written = await this.#jobs.updateStatus(job);
    const copy = structuredClone(written) as Job;
    const status = copy.status ??= {};
    status.uncountedTerminatedPods ??= {};
    return copy;
  }
}

/**
 * Moves the uids of `uncountedTerminatedPods` whose pods no longer carry the finalizer (or are
 * gone) into `succeeded` and `failed`. Returns whether anything moved.
 */
function countUncountedWithoutFinalizers(status: JobStatus, withFinalizer: Set<string>): boolean {
  const uncounted = status.uncountedTerminatedPods ??= {};
  let changed = false;
  for (const list of ["succeeded", "failed"] as const) {
    const before = uncounted[list] ?? [];
    const kept = before.filter((uid) => withFinalizer.has(uid));
    if (kept.length === before.length) continue;
    changed = true;
    status[list] = (status[list] ?? 0) + before.length - kept.length;
    if (kept.length > 0) uncounted[list] = kept;
    else delete uncounted[list];
  }
  return changed;
}

/** Builds the Job controller for the controller manager. */
export function jobController(context: ControllerContext): RunnableController {
  const recorder = context.recorder(JOB_CONTROLLER_COMPONENT);
  return new JobController({
    client: context.client,
    jobInformer: context.informers.informerFor(JOBS),
    podInformer: context.informers.informerFor(PODS),
    podControl: new ApiJobPodControl({
      client: context.client,
      recorder,
      logger: context.logger,
    }),
    recorder,
    clock: context.clock,
    logger: context.logger,
  });
}
