/**
 * The controllers' work queue, with client-go's `workqueue` semantics: stingy (an item added
 * several times before it is processed is processed once), never handing one item to two workers
 * at once (an item re-added while it is processed is queued again when it is done), FIFO
 * otherwise; with delayed adds and rate-limited retries on top.
 *
 * @module
 */
import { type Clock, setTimeoutAt, systemClock, type TimerHandle } from "../util/clock.ts";
import { DelayHeap } from "./_delay_heap.ts";
import { defaultControllerRateLimiter, type RateLimiter } from "./rate_limiter.ts";

/** A de-duplicating FIFO of items to process (client-go's `workqueue.TypedInterface`). */
export interface Queue<T> {
  /**
   * Marks `item` as needing processing. Does nothing if it is already queued or the queue is
   * shutting down; an item being processed is queued again once it is done.
   */
  add(item: T): void;
  /**
   * The next item to process, waiting for one if the queue is empty; `undefined` once the queue
   * is shut down and empty. The caller must call {@linkcode Queue.done} with the item when it
   * has finished. Rejects with `signal.reason` when `signal` aborts first.
   */
  get(signal?: AbortSignal): Promise<T | undefined>;
  /** Marks `item` as processed; if it was added again meanwhile, it is queued again. */
  done(item: T): void;
  /** The number of items queued (not counting items being processed or waiting for a delay). */
  len(): number;
  /**
   * Ignores every later add and wakes waiting getters: they get the items still queued, then
   * `undefined`. Also ends a {@linkcode Queue.shutDownWithDrain} that is waiting.
   */
  shutDown(): void;
  /** As {@linkcode Queue.shutDown}, then waits until every item being processed is done. */
  shutDownWithDrain(): Promise<void>;
  /** Whether the queue was shut down. */
  shuttingDown(): boolean;
}

/** A {@linkcode Queue} that can add an item later (client-go's `TypedDelayingInterface`). */
export interface DelayingQueue<T> extends Queue<T> {
  /**
   * Adds `item` after `delayMs` milliseconds (at once if `delayMs <= 0`). An item already waiting
   * keeps the earlier of its due times. Waiting items are dropped at shutdown.
   */
  addAfter(item: T, delayMs: number): void;
}

/** A {@linkcode DelayingQueue} whose retries a rate limiter spaces out. */
export interface RateLimitingQueue<T> extends DelayingQueue<T> {
  /** Adds `item` after the delay the rate limiter gives it. */
  addRateLimited(item: T): void;
  /** Makes the rate limiter forget `item` (it succeeded), resetting its backoff. */
  forget(item: T): void;
  /** How many times `item` has been requeued through {@linkcode RateLimitingQueue.addRateLimited}. */
  numRequeues(item: T): number;
}

/** Options of {@linkcode WorkQueue}. */
export interface WorkQueueOptions<T> {
  /**
   * The clock of delayed adds (and of the default rate limiter's bucket).
   *
   * @default {systemClock}
   */
  clock?: Clock;
  /**
   * The rate limiter of {@linkcode WorkQueue.addRateLimited}.
   *
   * @default {defaultControllerRateLimiter({ clock })}
   */
  rateLimiter?: RateLimiter<T>;
}

interface Getter<T> {
  readonly resolve: (item: T | undefined) => void;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: () => void;
}

/**
 * The work queue: a `dirty` set of items that need processing, a `processing` set of items handed
 * out and not yet done, and a FIFO of the dirty items not being processed. Delayed items wait in a
 * min-heap by due time with a single timer on the clock for the earliest (none when nothing
 * waits). Items are compared as `Map` keys do: keys are strings such as `"default/web"`.
 *
 * @example Stingy adds and one worker per item
 * ```ts
 * import assert from "node:assert/strict";
 * import { FakeClock } from "../util/clock.ts";
 * import { WorkQueue } from "./workqueue.ts";
 *
 * const queue = new WorkQueue<string>({ clock: new FakeClock() });
 * queue.add("default/web");
 * queue.add("default/web");
 * assert.equal(queue.len(), 1);
 * const key = await queue.get();
 * queue.add("default/web"); // re-added while processing: queued again on done()
 * assert.equal(queue.len(), 0);
 * queue.done(key!);
 * assert.equal(queue.len(), 1);
 * queue.shutDown();
 * ```
 */
export class WorkQueue<T extends NonNullable<unknown> = string> implements RateLimitingQueue<T> {
  #clock: Clock;
  #rateLimiter: RateLimiter<T>;
  /** The FIFO: `#queue[#head]` onwards; every item in it is dirty and not processing. */
  #queue: (T | undefined)[] = [];
  #head = 0;
  #dirty = new Set<T>();
  #processing = new Set<T>();
  #getters: Getter<T>[] = [];
  #shuttingDown = false;
  #drain = false;
  #drainWaiters: (() => void)[] = [];
  #delayed = new DelayHeap<T>();
  #timer: TimerHandle | undefined;

  constructor(options: WorkQueueOptions<T> = {}) {
    const { clock = systemClock } = options;
    this.#clock = clock;
    this.#rateLimiter = options.rateLimiter ?? defaultControllerRateLimiter<T>({ clock });
  }

  add(item: T): void {
    if (this.#shuttingDown || this.#dirty.has(item)) return;
    this.#dirty.add(item);
    if (this.#processing.has(item)) return;
    this.#queue.push(item);
    this.#dispatch();
  }

  get(signal?: AbortSignal): Promise<T | undefined> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.len() > 0) return Promise.resolve(this.#take());
    if (this.#shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve, reject) => {
      const getter: Getter<T> = {
        resolve,
        signal,
        onAbort: () => {
          const index = this.#getters.indexOf(getter);
          if (index >= 0) this.#getters.splice(index, 1);
          reject(signal?.reason);
        },
      };
      signal?.addEventListener("abort", getter.onAbort, { once: true });
      this.#getters.push(getter);
    });
  }

  done(item: T): void {
    // Unlike client-go, done() of an item not handed out is ignored: re-queueing a dirty item
    // that is already queued would hand it out twice.
    if (!this.#processing.delete(item)) return;
    if (this.#dirty.has(item)) {
      this.#queue.push(item);
      this.#dispatch();
    }
    this.#endDrain();
  }

  len(): number {
    return this.#queue.length - this.#head;
  }

  shutDown(): void {
    this.#drain = false;
    this.#shutDown();
    this.#endDrain();
  }

  shutDownWithDrain(): Promise<void> {
    this.#drain = true;
    this.#shutDown();
    if (this.#processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  addAfter(item: T, delayMs: number): void {
    if (!Number.isFinite(delayMs)) {
      throw new RangeError(`Cannot add an item after ${delayMs} ms: expected a finite number`);
    }
    if (this.#shuttingDown) return;
    if (delayMs <= 0) {
      this.add(item);
      return;
    }
    if (this.#delayed.push(item, this.#clock.now() + delayMs)) this.#arm();
  }

  addRateLimited(item: T): void {
    this.addAfter(item, this.#rateLimiter.when(item));
  }

  forget(item: T): void {
    this.#rateLimiter.forget(item);
  }

  numRequeues(item: T): number {
    return this.#rateLimiter.numRequeues(item);
  }

  /** Pops the head of the FIFO (which must not be empty) and marks it processing. */
  #take(): T {
    const item = this.#queue[this.#head]!;
    this.#queue[this.#head] = undefined;
    this.#head++;
    if (this.#head === this.#queue.length) {
      this.#queue = [];
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    this.#processing.add(item);
    this.#dirty.delete(item);
    return item;
  }

  /** Hands queued items to waiting getters, oldest getter first. */
  #dispatch(): void {
    while (this.#getters.length > 0 && this.len() > 0) {
      const getter = this.#getters.shift()!;
      getter.signal?.removeEventListener("abort", getter.onAbort);
      getter.resolve(this.#take());
    }
  }

  #shutDown(): void {
    if (this.#shuttingDown) return;
    this.#shuttingDown = true;
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#delayed.clear();
    // Getters wait only while the FIFO is empty, so each of them ends here.
    for (const getter of this.#getters.splice(0)) {
      getter.signal?.removeEventListener("abort", getter.onAbort);
      getter.resolve(undefined);
    }
  }

  #endDrain(): void {
    if (this.#drain && this.#processing.size > 0) return;
    for (const resolve of this.#drainWaiters.splice(0)) resolve();
  }

  /** (Re)sets the one timer for the earliest delayed item, or none when nothing waits. */
  #arm(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
    const atMs = this.#delayed.peekDueMs();
    if (atMs === undefined) return;
    this.#timer = setTimeoutAt(this.#clock, { atMs, run: () => this.#onTimer() });
  }

  #onTimer(): void {
    this.#timer = undefined;
    const nowMs = this.#clock.now();
    for (let item = this.#delayed.popDue(nowMs); item !== undefined;) {
      this.add(item);
      item = this.#delayed.popDue(nowMs);
    }
    this.#arm();
  }
}
