/**
 * The TTL-after-finished controller, as kube-controller-manager's `ttl-after-finished`
 * controller: deletes a finished Job (`Complete` or `Failed`) `spec.ttlSecondsAfterFinished`
 * seconds after it finished (the `lastTransitionTime` of that condition), with foreground
 * propagation so its pods go first, and a uid precondition so a new Job of the same name is
 * never hit.
 *
 * - Only finished Jobs with a TTL are queued; a Job not yet expired is queued again for the
 *   moment it expires (one timer, nothing polls).
 * - Before deleting, the Job is read again past the cache: a TTL changed in the meantime is
 *   honoured.
 *
 * @module
 */
import type { Job } from "../api/types/batch_v1.ts";
import type { Client, ResourceClient } from "../client/client.ts";
import type { CacheSyncWaiter } from "../client/controller.ts";
import { runController } from "../client/controller.ts";
import { isNotFound } from "../client/errors.ts";
import type { HandlerRegistration, InformerHandler } from "../client/informer.ts";
import { JOBS } from "../client/resources.ts";
import { metaNamespaceKey, type ObjectStore, splitMetaNamespaceKey } from "../client/store.ts";
import { WorkQueue } from "../client/workqueue.ts";
import type { Clock } from "../util/clock.ts";
import type { Logger } from "../util/logger.ts";
import { jobFinishedCondition } from "./_job_conditions.ts";
import { parseTime } from "./_rfc3339.ts";
import type { ControllerContext, RunnableController } from "./controller_manager.ts";

/** The controller's name in `--controllers` and in logs. */
export const TTL_AFTER_FINISHED_CONTROLLER_NAME = "ttl-after-finished";

/** What the controller needs of the Job informer. */
export interface JobInformerLike extends CacheSyncWaiter {
  readonly store: ObjectStore<Job>;
  addHandler(handler: InformerHandler<Job>): HandlerRegistration;
}

/** What {@linkcode TtlAfterFinishedController} works with. */
export interface TtlAfterFinishedControllerDeps {
  /** Reads Jobs past the cache and deletes them. */
  readonly client: Client;
  readonly jobInformer: JobInformerLike;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** Options of {@linkcode TtlAfterFinishedController}. */
export interface TtlAfterFinishedControllerOptions {
  /** Syncs at once (upstream `--concurrent-ttl-after-finished-syncs`). @default {5} */
  readonly workers?: number;
}

/** Whether the Job has a TTL and is finished (upstream `needsCleanup`). */
export function needsCleanup(job: Job): boolean {
  return job.spec?.ttlSecondsAfterFinished !== undefined && jobFinishedCondition(job) !== undefined;
}

/**
 * When the finished Job expires (ms since the epoch).
 *
 * @throws {Error} when the Job is not finished or its condition has no time.
 */
export function jobExpiresAtMs(job: Job): number {
  const key = metaNamespaceKey(job);
  if (!needsCleanup(job)) throw new Error(`job ${key} should not be cleaned up`);
  const finishedMs = parseTime(jobFinishedCondition(job)!.lastTransitionTime);
  if (finishedMs === null) throw new Error(`unable to find the time when the Job ${key} finished`);
  return finishedMs + job.spec!.ttlSecondsAfterFinished! * 1000;
}

/** Deletes finished Jobs once their TTL has passed. */
export class TtlAfterFinishedController {
  readonly #deps: TtlAfterFinishedControllerDeps;
  readonly #jobs: ResourceClient<Job>;
  readonly #store: ObjectStore<Job>;
  readonly #queue: WorkQueue<string>;
  readonly #logger: Logger;
  readonly #workers: number;
  readonly #registration: HandlerRegistration;

  constructor(
    deps: TtlAfterFinishedControllerDeps,
    options: TtlAfterFinishedControllerOptions = {},
  ) {
    this.#deps = deps;
    this.#jobs = deps.client.resource(JOBS);
    this.#store = deps.jobInformer.store;
    this.#queue = new WorkQueue<string>({ clock: deps.clock });
    this.#logger = deps.logger.with({ controller: TTL_AFTER_FINISHED_CONTROLLER_NAME });
    this.#workers = options.workers ?? 5;
    this.#registration = deps.jobInformer.addHandler({
      add: (job) => this.#enqueueIfNeeded(job),
      update: (_old, job) => this.#enqueueIfNeeded(job),
    });
  }

  /** The Job keys waiting to be looked at. */
  get queue(): WorkQueue<string> {
    return this.#queue;
  }

  /** Waits for the cache, then processes Jobs until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    try {
      await runController({
        name: TTL_AFTER_FINISHED_CONTROLLER_NAME,
        queue: this.#queue,
        sync: (key) => this.sync(key),
        workers: this.#workers,
        waitFor: [this.#deps.jobInformer],
        signal,
        logger: this.#deps.logger,
        clock: this.#deps.clock,
      });
    } finally {
      this.#registration.remove();
    }
  }

  #enqueueIfNeeded(job: Job): void {
    if (!job.metadata?.deletionTimestamp && needsCleanup(job)) {
      this.#queue.add(metaNamespaceKey(job));
    }
  }

  /** Whether `job`'s TTL has passed; one not expired yet is queued for when it does. */
  #expired(job: Job): boolean {
    if (job.metadata?.deletionTimestamp || !needsCleanup(job)) return false;
    const nowMs = this.#deps.clock.now();
    const expiresAt = jobExpiresAtMs(job);
    const finishedMs = expiresAt - job.spec!.ttlSecondsAfterFinished! * 1000;
    if (finishedMs > nowMs) {
      this.#logger.info(
        "Warning: Found Job finished in the future. This is likely due to time skew in the cluster. Job cleanup will be deferred.",
        { job: metaNamespaceKey(job) },
      );
    }
    const leftMs = expiresAt - nowMs;
    if (leftMs <= 0) return true;
    this.#queue.addAfter(metaNamespaceKey(job), leftMs);
    return false;
  }

  /**
   * Deletes the Job `key` if its TTL has passed, checked on the cached and then on a fresh
   * copy (upstream `processJob`). Throws to be retried.
   */
  async sync(key: string): Promise<void> {
    const cached = this.#store.get(key);
    if (!cached || !this.#expired(cached)) return;
    const { namespace, name } = splitMetaNamespaceKey(key);
    let fresh: Job;
    try {
      fresh = await this.#jobs.get(name, { namespace });
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    if (!this.#expired(fresh)) return;
    this.#logger.info("Cleaning up Job", { job: key });
    try {
      await this.#jobs.delete(name, {
        namespace,
        propagationPolicy: "Foreground",
        preconditions: { uid: fresh.metadata?.uid ?? "" },
      });
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
  }
}

/** Builds the ttl-after-finished controller for the controller manager. */
export function ttlAfterFinishedController(context: ControllerContext): RunnableController {
  return new TtlAfterFinishedController({
    client: context.client,
    jobInformer: context.informers.informerFor(JOBS),
    clock: context.clock,
    logger: context.logger,
  });
}
