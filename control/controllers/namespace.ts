/**
 * The Namespace controller (upstream `pkg/controller/namespace`): once a namespace is being
 * deleted (Terminating, `kubernetes` in `spec.finalizers`), it deletes every namespaced object
 * in it, reports on the namespace's conditions what is still there and why
 * (`NamespaceContentRemaining`, `NamespaceFinalizersRemaining`, discovery and deletion
 * failures), and when nothing is left removes its finalizer through
 * `PUT /api/v1/namespaces/<name>/finalize`, which lets the API server delete the namespace.
 *
 * Events only enqueue namespace names, after a short delay (other API servers must see the
 * deletion before content is removed); content that takes time to go (pods in their grace
 * period, objects held by finalizers) requeues the namespace after half the expected time.
 *
 * @example Run it in a controller manager
 * ```ts ignore
 * const controller = new NamespaceController({ client, informers, clock, logger });
 * informers.start(signal);
 * await controller.run(signal);
 * ```
 *
 * @module
 */
import type { Namespace } from "../api/types/core_v1_namespace.ts";
import type { Client } from "../client/client.ts";
import { runController } from "../client/controller.ts";
import type { Informer } from "../client/informer.ts";
import {
  BucketRateLimiter,
  ItemExponentialFailureRateLimiter,
  MaxOfRateLimiter,
  type RateLimiter,
} from "../client/rate_limiter.ts";
import { NAMESPACES } from "../client/resources.ts";
import type { SharedInformerFactory } from "../client/shared_informer_factory.ts";
import { metaNamespaceKey } from "../client/store.ts";
import { WorkQueue } from "../client/workqueue.ts";
import type { Clock } from "../util/clock.ts";
import type { Logger } from "../util/logger.ts";
import { NamespacedResourcesDeleter } from "./_namespace_deleter.ts";

/** The controller's name in logs and in the controller manager's list. */
export const NAMESPACE_CONTROLLER_NAME = "namespace";

/** What a {@linkcode NamespaceController} works with. */
export interface NamespaceControllerDeps {
  /** Discovery, deletes, lists and the namespace writes go through it. */
  readonly client: Client;
  /** The namespace informer comes from here (start the factory after constructing). */
  readonly informers: SharedInformerFactory;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** Options of {@linkcode NamespaceController}. */
export interface NamespaceControllerOptions {
  /**
   * Namespaces synced at once (kube-controller-manager's `--concurrent-namespace-syncs`).
   *
   * @default {10}
   */
  readonly workers?: number;
  /**
   * How long after a namespace event the namespace is synced, so that every API server sees the
   * deletion (and refuses new content) before the content is removed.
   *
   * @default {5000}
   */
  readonly deletionGracePeriodMs?: number;
  /**
   * How long objects held by finalizers are expected to take to go; the namespace is looked at
   * again after half of it.
   *
   * @default {15}
   */
  readonly finalizerEstimateSeconds?: number;
}

/**
 * Retries at least every minute (5 ms doubling to 60 s per namespace), under an overall bucket of
 * 10 qps with a burst of 100, as upstream's `nsControllerRateLimiter`.
 */
function namespaceRateLimiter(clock: Clock): RateLimiter<string> {
  return new MaxOfRateLimiter<string>(
    new ItemExponentialFailureRateLimiter({ baseDelayMs: 5, maxDelayMs: 60_000 }),
    new BucketRateLimiter({ qps: 10, burst: 100, clock }),
  );
}

/** Deletes the content of Terminating namespaces and finalizes them. */
export class NamespaceController {
  readonly #namespaces: Informer<Namespace>;
  readonly #queue: WorkQueue<string>;
  readonly #deleter: NamespacedResourcesDeleter;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #workers: number;
  readonly #graceMs: number;

  constructor(deps: NamespaceControllerDeps, options: NamespaceControllerOptions = {}) {
    const { workers = 10, deletionGracePeriodMs = 5000, finalizerEstimateSeconds = 15 } = options;
    if (!Number.isInteger(workers) || workers < 1) {
      throw new RangeError(`Cannot run the namespace controller with ${workers} workers`);
    }
    if (!Number.isFinite(deletionGracePeriodMs) || deletionGracePeriodMs < 0) {
      throw new RangeError(
        `Cannot use a namespace deletion grace period of ${deletionGracePeriodMs} ms: expected a finite number >= 0`,
      );
    }
    if (!Number.isFinite(finalizerEstimateSeconds) || finalizerEstimateSeconds < 0) {
      throw new RangeError(
        `Cannot use a finalizer estimate of ${finalizerEstimateSeconds} s: expected a finite number >= 0`,
      );
    }
    this.#clock = deps.clock;
    this.#logger = deps.logger.with({ controller: NAMESPACE_CONTROLLER_NAME });
    this.#workers = workers;
    this.#graceMs = deletionGracePeriodMs;
    this.#queue = new WorkQueue<string>({
      clock: deps.clock,
      rateLimiter: namespaceRateLimiter(deps.clock),
    });
    this.#deleter = new NamespacedResourcesDeleter({
      client: deps.client,
      clock: deps.clock,
      logger: this.#logger,
      finalizerEstimateSeconds,
    });
    this.#namespaces = deps.informers.informerFor(NAMESPACES);
    this.#namespaces.addHandler({
      add: (ns) => this.#enqueue(ns),
      update: (_old, ns) => this.#enqueue(ns),
    });
  }

  /**
   * Converges the namespace `key`: a pass of content deletion if it is being deleted, then its
   * finalizer removed once nothing is left. Content still going away requeues the key after half
   * the estimated time; failures throw (the key is retried with backoff).
   */
  async sync(key: string, signal?: AbortSignal): Promise<void> {
    const ns = this.#namespaces.store.get(key);
    if (!ns) {
      this.#logger.info("Namespace has been deleted", { namespace: key });
      return;
    }
    const estimateSeconds = await this.#deleter.delete(ns.metadata?.name ?? key, signal);
    if (estimateSeconds > 0) {
      const waitSeconds = Math.floor(estimateSeconds / 2) + 1;
      this.#logger.debug("Content remaining in namespace", { namespace: key, waitSeconds });
      this.#queue.addAfter(key, waitSeconds * 1000);
    }
  }

  /** Runs the workers until `signal` aborts (the informer factory must be started too). */
  run(signal: AbortSignal): Promise<void> {
    return runController({
      name: NAMESPACE_CONTROLLER_NAME,
      queue: this.#queue,
      sync: (key, s) => this.sync(key, s),
      workers: this.#workers,
      waitFor: [this.#namespaces],
      signal,
      logger: this.#logger,
      clock: this.#clock,
    });
  }

  #enqueue(ns: Namespace): void {
    // Only namespaces being deleted have work to do.
    if (!ns.metadata?.deletionTimestamp) return;
    this.#queue.addAfter(metaNamespaceKey(ns), this.#graceMs);
  }
}
