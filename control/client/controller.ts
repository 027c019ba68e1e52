/**
 * The controller loop every skiff controller runs (client-go's `Run` / `processNextWorkItem`
 * pattern): wait for the informers' caches, then N workers take keys from a rate-limited work
 * queue and call a level-triggered `sync(key)`; a failed sync is retried with backoff.
 *
 * @module
 */
import { type Clock, systemClock } from "../util/clock.ts";
import type { Logger } from "../util/logger.ts";
import type { RateLimitingQueue } from "./workqueue.ts";

/** Something whose cache must be filled before workers start (an informer). */
export interface CacheSyncWaiter {
  /**
   * Resolves once the cache holds a full list: `true` (or nothing) when synced, `false` when
   * `signal` aborted first.
   */
  waitForSync(signal: AbortSignal): Promise<boolean | void>;
}

/** Options of {@linkcode runController}. */
export interface RunControllerOptions<T> {
  /** The controller's name, in every log message (`controller` field). */
  name: string;
  /** The queue event handlers add keys to. `runController` shuts it down when it returns. */
  queue: RateLimitingQueue<T>;
  /**
   * Converges the object named by `key` (read it from a lister; it may be gone). Throwing (or
   * rejecting) means "retry later with backoff"; for a condition that cannot succeed, log and
   * return. `signal` aborts when the controller stops. Never runs twice at once for one key.
   */
  sync(key: T, signal: AbortSignal): Promise<void> | void;
  /**
   * How many keys are synced at once.
   *
   * @default {1}
   */
  workers?: number;
  /** Caches to wait for before the first sync. */
  waitFor?: readonly CacheSyncWaiter[];
  /** Stops the controller: the queue shuts down and in-flight syncs finish. */
  signal: AbortSignal;
  /** Where the controller logs; every message carries `controller` and, per key, `key`. */
  logger: Logger;
  /**
   * Retries of a failing key before it is dropped (logged as an error). Without it a key is
   * retried forever with backoff, as most Kubernetes controllers do.
   */
  maxRetries?: number;
  /**
   * Times each sync for the debug log.
   *
   * @default {systemClock}
   */
  clock?: Clock;
}

function checkOptions<T>(options: RunControllerOptions<T>): void {
  const { workers = 1, maxRetries } = options;
  if (!Number.isInteger(workers) || workers < 1) {
    throw new RangeError(`Cannot run controller "${options.name}" with ${workers} workers`);
  }
  if (maxRetries !== undefined && (!Number.isInteger(maxRetries) || maxRetries < 0)) {
    throw new RangeError(
      `Cannot run controller "${options.name}" with ${maxRetries} retries: expected an integer >= 0`,
    );
  }
}

async function cachesSynced(
  waitFor: readonly CacheSyncWaiter[],
  signal: AbortSignal,
): Promise<boolean> {
  try {
    const results = await Promise.all(waitFor.map((w) => w.waitForSync(signal)));
    return !signal.aborted && results.every((synced) => synced !== false);
  } catch (err) {
    // A waiter may reject with the abort reason rather than resolve `false`.
    if (signal.aborted) return false;
    throw err;
  }
}

/**
 * Runs a controller until `options.signal` aborts: logs "Starting controller", waits for the
 * caches of `waitFor`, then starts `workers` workers. Each loops: take a key from the queue,
 * `sync(key)`; on success `queue.forget(key)`; on error log it with the key and
 * `queue.addRateLimited(key)` (or drop the key once `maxRetries` retries have failed); then
 * `queue.done(key)`. On abort it shuts the queue down, lets in-flight syncs finish (keys still
 * queued are not synced), logs "Shutting down controller" and resolves. If the caches never sync
 * it logs "Unable to sync caches" and resolves without syncing anything; it rejects only if a
 * cache waiter rejects while not aborted.
 *
 * @example A controller that syncs keys until stopped
 * ```ts
 * import assert from "node:assert/strict";
 * import { FakeClock } from "../util/clock.ts";
 * import { RecordingLogger } from "../util/logger.ts";
 * import { runController } from "./controller.ts";
 * import { WorkQueue } from "./workqueue.ts";
 *
 * const queue = new WorkQueue<string>({ clock: new FakeClock() });
 * const stop = new AbortController();
 * const synced: string[] = [];
 * queue.add("default/web");
 * const done = runController({
 *   name: "example",
 *   queue,
 *   sync: (key) => {
 *     synced.push(key);
 *     stop.abort();
 *   },
 *   signal: stop.signal,
 *   logger: new RecordingLogger(),
 * });
 * await done;
 * assert.deepEqual(synced, ["default/web"]);
 * ```
 */
export async function runController<T>(options: RunControllerOptions<T>): Promise<void> {
  checkOptions(options);
  const { name, queue, signal, workers = 1, waitFor = [], clock = systemClock } = options;
  const log = options.logger.with({ controller: name });
  log.info("Starting controller");
  const onAbort = (): void => queue.shutDown();
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    if (signal.aborted) return;
    if (waitFor.length > 0) {
      log.info("Waiting for caches to sync");
      if (!(await cachesSynced(waitFor, signal))) {
        // Stopped before the caches synced (a quick shutdown) is no error.
        if (signal.aborted) log.info("Stopped before the caches synced");
        else log.error("Unable to sync caches");
        return;
      }
      log.info("Caches are synced");
    }
    const loops = Array.from({ length: workers }, () => worker(options, log, clock));
    await Promise.all(loops);
  } finally {
    signal.removeEventListener("abort", onAbort);
    queue.shutDown();
    log.info("Shutting down controller");
  }
}

async function worker<T>(
  options: RunControllerOptions<T>,
  log: Logger,
  clock: Clock,
): Promise<void> {
  const { queue, signal } = options;
  for (;;) {
    const key = await queue.get();
    if (key === undefined) return;
    try {
      // After abort the queue still hands out what was queued: let it go unsynced.
      if (!signal.aborted) await processKey(options, { key, log, clock });
    } finally {
      queue.done(key);
    }
  }
}

interface ProcessContext<T> {
  readonly key: T;
  readonly log: Logger;
  readonly clock: Clock;
}

async function processKey<T>(
  options: RunControllerOptions<T>,
  context: ProcessContext<T>,
): Promise<void> {
  const { queue, signal, maxRetries } = options;
  const { key, log, clock } = context;
  const startMs = clock.now();
  try {
    await options.sync(key, signal);
  } catch (err) {
    if (signal.aborted) {
      log.debug("Sync stopped by shutdown", { key, error: err });
      return;
    }
    const requeues = queue.numRequeues(key);
    if (maxRetries !== undefined && requeues >= maxRetries) {
      queue.forget(key);
      log.error("Dropping key out of the queue", { key, error: err, retries: requeues });
      return;
    }
    log.error("Error syncing", { key, error: err, retries: requeues });
    queue.addRateLimited(key);
    return;
  }
  queue.forget(key);
  log.debug("Finished syncing", { key, durationMs: clock.now() - startMs });
}
