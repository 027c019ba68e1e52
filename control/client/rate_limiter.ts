/**
 * Rate limiters for the work queue: how long an item waits before it is retried. They follow
 * client-go's `workqueue` rate limiters: a per-item exponential backoff, a token bucket shared by
 * all items, a fast-then-slow per-item delay, and the maximum of several limiters.
 *
 * @module
 */
import { type Clock, systemClock } from "../util/clock.ts";

/** Decides how long an item waits before it is added back to a queue. */
export interface RateLimiter<T> {
  /** Records one more retry of `item` and returns how many milliseconds it should wait. */
  when(item: T): number;
  /** Stops tracking `item` (it succeeded): its next failure starts from the first delay again. */
  forget(item: T): void;
  /** How many times `item` has been retried since it was last forgotten. */
  numRequeues(item: T): number;
}

function checkDelay(name: string, ms: number): void {
  if (!Number.isFinite(ms) || ms < 0) {
    throw new RangeError(`Cannot use ${name} ${ms} ms: expected a finite number >= 0`);
  }
}

/** Options of {@linkcode ItemExponentialFailureRateLimiter}. */
export interface ItemExponentialFailureRateLimiterOptions {
  /**
   * The delay after an item's first failure; each further failure doubles it.
   *
   * @default {5}
   */
  baseDelayMs?: number;
  /**
   * The longest delay.
   *
   * @default {1_000_000}
   */
  maxDelayMs?: number;
}

/**
 * Per-item exponential backoff: an item that failed `n` times before waits
 * `baseDelayMs * 2 ** n`, at most `maxDelayMs` (client-go's `ItemExponentialFailureRateLimiter`).
 *
 * @example Delays double per failure of one item
 * ```ts
 * import assert from "node:assert/strict";
 * import { ItemExponentialFailureRateLimiter } from "./rate_limiter.ts";
 *
 * const limiter = new ItemExponentialFailureRateLimiter<string>({ baseDelayMs: 5 });
 * assert.deepEqual([limiter.when("a"), limiter.when("a"), limiter.when("b")], [5, 10, 5]);
 * ```
 */
export class ItemExponentialFailureRateLimiter<T> implements RateLimiter<T> {
  #failures = new Map<T, number>();
  #baseDelayMs: number;
  #maxDelayMs: number;

  constructor(options: ItemExponentialFailureRateLimiterOptions = {}) {
    const { baseDelayMs = 5, maxDelayMs = 1_000_000 } = options;
    checkDelay("base delay", baseDelayMs);
    checkDelay("max delay", maxDelayMs);
    this.#baseDelayMs = baseDelayMs;
    this.#maxDelayMs = maxDelayMs;
  }

  when(item: T): number {
    const failures = this.#failures.get(item) ?? 0;
    this.#failures.set(item, failures + 1);
    // 2 ** failures grows to Infinity, never to NaN (unless the base is 0: 0 * Infinity).
    const backoffMs = this.#baseDelayMs === 0 ? 0 : this.#baseDelayMs * 2 ** failures;
    return Math.min(backoffMs, this.#maxDelayMs);
  }

  forget(item: T): void {
    this.#failures.delete(item);
  }

  numRequeues(item: T): number {
    return this.#failures.get(item) ?? 0;
  }
}

/** Options of {@linkcode BucketRateLimiter}. */
export interface BucketRateLimiterOptions {
  /**
   * Tokens added per second: the sustained rate of retries over all items.
   *
   * @default {10}
   */
  qps?: number;
  /**
   * The bucket's size: how many retries may go at once before the rate applies.
   *
   * @default {100}
   */
  burst?: number;
  /**
   * The clock the bucket refills by.
   *
   * @default {systemClock}
   */
  clock?: Clock;
}

/**
 * A token bucket over all items (client-go's `BucketRateLimiter` over `x/time/rate`): the bucket
 * starts full with `burst` tokens and refills at `qps` tokens a second; each call takes a token,
 * reserving one in the future when the bucket is empty, and returns the wait until then. It
 * tracks no items: {@linkcode BucketRateLimiter.numRequeues} is always 0.
 *
 * @example The burst goes at once, then one item every 1 / qps seconds
 * ```ts
 * import assert from "node:assert/strict";
 * import { FakeClock } from "../util/clock.ts";
 * import { BucketRateLimiter } from "./rate_limiter.ts";
 *
 * const limiter = new BucketRateLimiter<string>({ qps: 10, burst: 2, clock: new FakeClock() });
 * assert.deepEqual([limiter.when("a"), limiter.when("b"), limiter.when("c")], [0, 0, 100]);
 * ```
 */
export class BucketRateLimiter<T> implements RateLimiter<T> {
  #qps: number;
  #burst: number;
  #clock: Clock;
  #tokens = 0;
  #lastMs: number | undefined;

  constructor(options: BucketRateLimiterOptions = {}) {
    const { qps = 10, burst = 100, clock = systemClock } = options;
    if (!Number.isFinite(qps) || qps <= 0) {
      throw new RangeError(`Cannot use ${qps} qps: expected a finite number > 0`);
    }
    if (!Number.isInteger(burst) || burst < 1) {
      throw new RangeError(`Cannot use burst ${burst}: expected an integer >= 1`);
    }
    this.#qps = qps;
    this.#burst = burst;
    this.#clock = clock;
  }

  when(_item: T): number {
    const nowMs = this.#clock.now();
    // A clock that went back refills nothing (as x/time/rate).
    const elapsedMs = this.#lastMs === undefined ? Infinity : Math.max(0, nowMs - this.#lastMs);
    const tokens = Math.min(this.#burst, this.#tokens + (elapsedMs * this.#qps) / 1000) - 1;
    this.#tokens = tokens;
    this.#lastMs = nowMs;
    return tokens < 0 ? (-tokens * 1000) / this.#qps : 0;
  }

  forget(_item: T): void {}

  numRequeues(_item: T): number {
    return 0;
  }
}

/** Options of {@linkcode ItemFastSlowRateLimiter}. */
export interface ItemFastSlowRateLimiterOptions {
  /** The delay of an item's first `maxFastAttempts` retries. */
  fastDelayMs: number;
  /** The delay of every later retry. */
  slowDelayMs: number;
  /** How many retries of one item use the fast delay. */
  maxFastAttempts: number;
}

/**
 * Per item: `fastDelayMs` for the first `maxFastAttempts` retries, then `slowDelayMs`
 * (client-go's `ItemFastSlowRateLimiter`).
 *
 * @example Two fast retries, then slow ones
 * ```ts
 * import assert from "node:assert/strict";
 * import { ItemFastSlowRateLimiter } from "./rate_limiter.ts";
 *
 * const limiter = new ItemFastSlowRateLimiter<string>({
 *   fastDelayMs: 5,
 *   slowDelayMs: 10_000,
 *   maxFastAttempts: 2,
 * });
 * assert.deepEqual([limiter.when("a"), limiter.when("a"), limiter.when("a")], [5, 5, 10_000]);
 * ```
 */
export class ItemFastSlowRateLimiter<T> implements RateLimiter<T> {
  #attempts = new Map<T, number>();
  #fastDelayMs: number;
  #slowDelayMs: number;
  #maxFastAttempts: number;

  constructor(options: ItemFastSlowRateLimiterOptions) {
    const { fastDelayMs, slowDelayMs, maxFastAttempts } = options;
    checkDelay("fast delay", fastDelayMs);
    checkDelay("slow delay", slowDelayMs);
    if (!Number.isInteger(maxFastAttempts) || maxFastAttempts < 0) {
      throw new RangeError(
        `Cannot use ${maxFastAttempts} fast attempts: expected an integer >= 0`,
      );
    }
    this.#fastDelayMs = fastDelayMs;
    this.#slowDelayMs = slowDelayMs;
    this.#maxFastAttempts = maxFastAttempts;
  }

  when(item: T): number {
    const attempts = (this.#attempts.get(item) ?? 0) + 1;
    this.#attempts.set(item, attempts);
    return attempts <= this.#maxFastAttempts ? this.#fastDelayMs : this.#slowDelayMs;
  }

  forget(item: T): void {
    this.#attempts.delete(item);
  }

  numRequeues(item: T): number {
    return this.#attempts.get(item) ?? 0;
  }
}

/**
 * Several limiters at once: the longest of their delays and the highest of their requeue counts;
 * {@linkcode MaxOfRateLimiter.when} and {@linkcode MaxOfRateLimiter.forget} reach every limiter
 * (client-go's `MaxOfRateLimiter`).
 *
 * @example Per-item backoff under an overall bucket
 * ```ts
 * import assert from "node:assert/strict";
 * import { FakeClock } from "../util/clock.ts";
 * import {
 *   BucketRateLimiter,
 *   ItemExponentialFailureRateLimiter,
 *   MaxOfRateLimiter,
 * } from "./rate_limiter.ts";
 *
 * const limiter = new MaxOfRateLimiter<string>(
 *   new ItemExponentialFailureRateLimiter({ baseDelayMs: 5 }),
 *   new BucketRateLimiter({ qps: 10, burst: 1, clock: new FakeClock() }),
 * );
 * assert.deepEqual([limiter.when("a"), limiter.when("a")], [5, 100]);
 * ```
 */
export class MaxOfRateLimiter<T> implements RateLimiter<T> {
  #limiters: readonly RateLimiter<T>[];

  constructor(...limiters: RateLimiter<T>[]) {
    this.#limiters = limiters;
  }

  when(item: T): number {
    let delayMs = 0;
    for (const limiter of this.#limiters) delayMs = Math.max(delayMs, limiter.when(item));
    return delayMs;
  }

  forget(item: T): void {
    for (const limiter of this.#limiters) limiter.forget(item);
  }

  numRequeues(item: T): number {
    let requeues = 0;
    for (const limiter of this.#limiters) requeues = Math.max(requeues, limiter.numRequeues(item));
    return requeues;
  }
}

/** Options of {@linkcode defaultControllerRateLimiter}. */
export interface DefaultControllerRateLimiterOptions {
  /**
   * The clock of the token bucket.
   *
   * @default {systemClock}
   */
  clock?: Clock;
}

/**
 * The rate limiter controllers use (client-go's `DefaultTypedControllerRateLimiter`): per-item
 * exponential backoff from 5 ms to 1000 s, under an overall token bucket of 10 qps with a burst
 * of 100.
 */
export function defaultControllerRateLimiter<T>(
  options: DefaultControllerRateLimiterOptions = {},
): RateLimiter<T> {
  const { clock = systemClock } = options;
  return new MaxOfRateLimiter<T>(
    new ItemExponentialFailureRateLimiter({ baseDelayMs: 5, maxDelayMs: 1_000_000 }),
    new BucketRateLimiter({ qps: 10, burst: 100, clock }),
  );
}
