/**
 * Exponential backoff with jitter, as client-go's reflector waits between failed list/watch
 * attempts (0.8 s doubling to 30 s). Only computes delays: the caller waits on its own
 * injected `Clock`.
 *
 * @example Delays grow, then reset after a success
 * ```ts
 * import assert from "node:assert/strict";
 * import { Backoff } from "./backoff.ts";
 *
 * const backoff = new Backoff({ initialMs: 800, maxMs: 30_000, random: () => 0 });
 * assert.deepEqual([backoff.next(), backoff.next(), backoff.next()], [800, 1600, 3200]);
 * backoff.reset();
 * assert.equal(backoff.next(), 800);
 * ```
 *
 * @module
 */

/** Options of {@linkcode Backoff}. */
export interface BackoffOptions {
  /** The first delay. @default {800} */
  readonly initialMs?: number;
  /** No delay is longer. @default {30000} */
  readonly maxMs?: number;
  /** Each delay is this many times the last. @default {2} */
  readonly factor?: number;
  /** A delay `d` becomes a random value in `[d, d × (1 + jitter))`, capped at `maxMs`. @default {1} */
  readonly jitter?: number;
  /** A random number in `[0, 1)`. @default {Math.random} */
  readonly random?: () => number;
}

/** Delays for consecutive failures. */
export class Backoff {
  readonly #initialMs: number;
  readonly #maxMs: number;
  readonly #factor: number;
  readonly #jitter: number;
  readonly #random: () => number;
  #failures = 0;

  constructor(options: BackoffOptions = {}) {
    this.#initialMs = options.initialMs ?? 800;
    this.#maxMs = options.maxMs ?? 30_000;
    this.#factor = options.factor ?? 2;
    this.#jitter = options.jitter ?? 1;
    this.#random = options.random ?? Math.random;
    if (!(this.#initialMs > 0) || !(this.#maxMs >= this.#initialMs) || !(this.#factor >= 1)) {
      throw new RangeError(
        `Cannot back off from ${this.#initialMs} ms to ${this.#maxMs} ms by ${this.#factor}: expected 0 < initial <= max and factor >= 1`,
      );
    }
  }

  /** Consecutive failures since the last {@linkcode Backoff.reset}. */
  get failures(): number {
    return this.#failures;
  }

  /** The delay before the next attempt; counts one more failure. */
  next(): number {
    const base = Math.min(this.#maxMs, this.#initialMs * this.#factor ** this.#failures);
    this.#failures++;
    return Math.min(this.#maxMs, Math.round(base * (1 + this.#jitter * this.#random())));
  }

  /** After a success: the next delay is the first again. */
  reset(): void {
    this.#failures = 0;
  }
}
