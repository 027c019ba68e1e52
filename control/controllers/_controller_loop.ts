/**
 * A controller's plumbing between its informers and its sync, as every controller here has
 * it: one work queue of keys, the handlers it registers with informers (removed again when it
 * stops), the indexes it needs on shared informers, and the run that waits for the caches and
 * syncs queued keys (`runController`).
 *
 * @example A controller's constructor and run
 * ```ts ignore
 * this.#loop = new ControllerLoop({ name: "replicaset", workers: 5, clock, logger });
 * addMissingIndexers(deps.podInformer, { [OWNER_UID_INDEX]: indexByOwnerUid });
 * this.#loop.handle(deps.podInformer, { add: (pod) => this.#loop.queue.add(keyOf(pod)) });
 * // …
 * await this.#loop.run(signal, { sync: (key) => this.sync(key), waitFor: [deps.podInformer] });
 * ```
 *
 * @module
 */
import type { KubeObject } from "../api/types/meta_v1.ts";
import { type CacheSyncWaiter, runController } from "../client/controller.ts";
import type { HandlerRegistration, InformerHandler } from "../client/informer.ts";
import type { IndexFn, ObjectStore } from "../client/store.ts";
import { WorkQueue } from "../client/workqueue.ts";
import type { Clock } from "../util/clock.ts";
import type { Logger } from "../util/logger.ts";

/** What a controller needs of an informer (an `Informer`, or a fake in tests). */
export interface InformerLike<T extends KubeObject> extends CacheSyncWaiter {
  readonly store: ObjectStore<T>;
  addHandler(handler: InformerHandler<T>): HandlerRegistration;
  addIndexers(indexers: Readonly<Record<string, IndexFn<T>>>): void;
}

/**
 * Adds to a shared informer the `indexers` it does not have yet (another controller on the
 * same informer may have added them already).
 */
export function addMissingIndexers<T extends KubeObject>(
  informer: Pick<InformerLike<T>, "store" | "addIndexers">,
  indexers: Readonly<Record<string, IndexFn<T>>>,
): void {
  const have = new Set(informer.store.indexNames());
  const missing = Object.entries(indexers).filter(([name]) => !have.has(name));
  if (missing.length > 0) informer.addIndexers(Object.fromEntries(missing));
}

/** Options of {@linkcode ControllerLoop}. */
export interface ControllerLoopOptions {
  /** The controller's name, in every log message of the run (`controller`). */
  readonly name: string;
  /** Keys synced at once. */
  readonly workers: number;
  readonly clock: Clock;
  /** The logger the run logs to (it adds `controller` itself). */
  readonly logger: Logger;
}

/** What {@linkcode ControllerLoop.run} runs. */
export interface ControllerLoopWork {
  /** Converges one key; throwing means "retry with backoff". */
  readonly sync: (key: string) => Promise<void> | void;
  /** The caches to wait for before the first sync. */
  readonly waitFor: readonly CacheSyncWaiter[];
}

/** One controller's work queue, informer handlers and run. */
export class ControllerLoop {
  readonly #options: ControllerLoopOptions;
  readonly #queue: WorkQueue<string>;
  readonly #registrations: HandlerRegistration[] = [];

  constructor(options: ControllerLoopOptions) {
    this.#options = options;
    this.#queue = new WorkQueue<string>({ clock: options.clock });
  }

  /** The keys waiting to be synced. */
  get queue(): WorkQueue<string> {
    return this.#queue;
  }

  /** Registers `handler` with `informer` until {@linkcode ControllerLoop.run} returns. */
  handle<T extends KubeObject>(
    informer: Pick<InformerLike<T>, "addHandler">,
    handler: InformerHandler<T>,
  ): void {
    this.#registrations.push(informer.addHandler(handler));
  }

  /**
   * Waits for the caches, then syncs queued keys until `signal` aborts; the handlers are
   * removed when it returns. Runs once.
   */
  async run(signal: AbortSignal, work: ControllerLoopWork): Promise<void> {
    const { name, workers, clock, logger } = this.#options;
    try {
      await runController({
        name,
        queue: this.#queue,
        sync: (key) => work.sync(key),
        workers,
        waitFor: work.waitFor,
        signal,
        logger,
        clock,
      });
    } finally {
      for (const r of this.#registrations.splice(0)) r.remove();
    }
  }
}
