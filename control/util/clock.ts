/**
 * Time as a dependency. Code that reads the time or waits takes a {@linkcode Clock}, so tests
 * can drive it with a {@linkcode FakeClock} instead of sleeping in real time.
 *
 * @module
 */

/** A scheduled callback that can still be cancelled. */
export interface TimerHandle {
  /** Stops the callback from running; does nothing once it has run or was cancelled. */
  cancel(): void;
}

/** The source of time and timers. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Runs `fn` once after `ms` milliseconds. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  /**
   * Resolves after `ms` milliseconds. Rejects with `signal.reason` when `signal` aborts first
   * (or is already aborted).
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

function sleepWith(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    function onAbort(): void {
      timer.cancel();
      reject(signal?.reason);
    }
    const timer = clock.setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** The real clock: `Date.now()` and the runtime's timers. */
export class SystemClock implements Clock {
  now(): number {
    return Date.now();
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = setTimeout(fn, Math.max(0, ms));
    return { cancel: () => clearTimeout(id) };
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepWith(this, ms, signal);
  }
}

/** The longest delay one runtime timer can wait (a signed 32-bit count of milliseconds). */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/** What {@linkcode setTimeoutAt} runs, and when. */
export interface TimeoutAt {
  /** The clock time (milliseconds since the epoch) to run at. */
  readonly atMs: number;
  readonly run: () => void;
}

/**
 * Runs `timeout.run` once `clock` reaches `timeout.atMs`. Waits beyond {@linkcode MAX_TIMER_DELAY_MS} (about 24.8
 * days; a runtime timer would fire at once) are chained: a year is 15 wakes.
 */
export function setTimeoutAt(clock: Clock, timeout: TimeoutAt): TimerHandle {
  const { atMs, run } = timeout;
  let cancelled = false;
  let current: TimerHandle;
  const link = (): void => {
    const delayMs = Math.max(0, atMs - clock.now());
    current = delayMs > MAX_TIMER_DELAY_MS
      ? clock.setTimeout(link, MAX_TIMER_DELAY_MS)
      : clock.setTimeout(() => {
        if (!cancelled) run();
      }, delayMs);
  };
  link();
  return {
    cancel: () => {
      cancelled = true;
      current.cancel();
    },
  };
}

/** The shared real clock. */
export const systemClock: Clock = new SystemClock();

interface PendingTimer {
  readonly dueMs: number;
  readonly seq: number;
  readonly fn: () => void;
}

/**
 * A clock that only moves when told to. Timers fire inside {@linkcode FakeClock.advance}, in
 * order of due time (then of scheduling), each seeing {@linkcode FakeClock.now} at its due time.
 *
 * @example Fire a timer by advancing the clock
 * ```ts
 * import assert from "node:assert/strict";
 * import { FakeClock } from "./clock.ts";
 *
 * const clock = new FakeClock(1_000);
 * let fired = 0;
 * clock.setTimeout(() => fired = clock.now(), 50);
 * clock.advance(49);
 * assert.equal(fired, 0);
 * clock.advance(1);
 * assert.equal(fired, 1_050);
 * ```
 */
export class FakeClock implements Clock {
  #nowMs: number;
  #seq = 0;
  #timers: PendingTimer[] = [];

  /** Starts the clock at `startMs` milliseconds since the epoch (default 0). */
  constructor(startMs = 0) {
    this.#nowMs = startMs;
  }

  now(): number {
    return this.#nowMs;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer: PendingTimer = {
      dueMs: this.#nowMs + Math.max(0, ms),
      seq: this.#seq++,
      fn,
    };
    this.#timers.push(timer);
    return {
      cancel: () => {
        this.#timers = this.#timers.filter((t) => t !== timer);
      },
    };
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepWith(this, ms, signal);
  }

  /** The number of timers scheduled and not yet fired or cancelled. */
  get pendingTimers(): number {
    return this.#timers.length;
  }

  /**
   * Moves the clock forward by `ms` milliseconds, firing every timer that falls due on the way,
   * including timers those timers schedule.
   */
  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) {
      throw new RangeError(`Cannot advance clock by ${ms} ms: expected a finite number >= 0`);
    }
    const targetMs = this.#nowMs + ms;
    for (;;) {
      const next = this.#nextDue(targetMs);
      if (next === undefined) break;
      this.#timers = this.#timers.filter((t) => t !== next);
      this.#nowMs = next.dueMs;
      next.fn();
    }
    this.#nowMs = targetMs;
  }

  /** Advances to the next pending timer and fires it (and any due at the same time). */
  runNext(): boolean {
    const next = this.#nextDue(Infinity);
    if (next === undefined) return false;
    this.advance(next.dueMs - this.#nowMs);
    return true;
  }

  #nextDue(limitMs: number): PendingTimer | undefined {
    let best: PendingTimer | undefined;
    for (const t of this.#timers) {
      if (t.dueMs > limitMs) continue;
      if (!best || t.dueMs < best.dueMs || (t.dueMs === best.dueMs && t.seq < best.seq)) best = t;
    }
    return best;
  }
}
