/**
 * Wakes waiting watchers when a backend has written something new. No timers, no polling.
 *
 * A watcher may wait for writes under its key prefix only: a write elsewhere leaves it asleep
 * and tells it, when it wakes, the revision up to which nothing it watches was written (so it
 * skips those writes instead of reading them). A server holds a dozen storage watches (each
 * resource's watch cache and view, the TTL sweeper), and every write used to wake all of them.
 *
 * @module
 */

/** What a backend just published: writes to `keys`, the last at `revision`. */
export interface Written {
  readonly keys: readonly string[];
  readonly revision: number;
}

interface Waiter {
  readonly prefix: string;
  /** Writes up to this revision since the wait began were all outside `prefix`. */
  skipTo: number;
  readonly wake: () => void;
}

/** A broadcast wake-up with a sequence number, so a waiter never misses a notify. */
export class Notifier {
  #waiters = new Set<Waiter>();
  #seq = 0;

  /** Increases with every `notify()`; read it before checking for new data. */
  get seq(): number {
    return this.#seq;
  }

  /**
   * Wakes the waiters whose prefix one of `written.keys` starts with; the others stay asleep
   * and note `written.revision`. Without `written`, wakes every current waiter.
   */
  notify(written?: Written): void {
    this.#seq++;
    for (const waiter of this.#waiters) {
      if (written === undefined || written.keys.some((k) => k.startsWith(waiter.prefix))) {
        waiter.wake();
      } else if (written.revision > waiter.skipTo) {
        waiter.skipTo = written.revision;
      }
    }
  }

  /**
   * Withdraws what waiters noted so far: a write published out of revision order may be below
   * it, so they must not skip anything.
   */
  forgetSkips(): void {
    for (const waiter of this.#waiters) waiter.skipTo = -1;
  }

  /**
   * Resolves at the next `notify()` after sequence `since` that concerns a key under `prefix`
   * (at once if any notify already happened), or when `signal` aborts. The result is a
   * revision up to which every write published while waiting was outside `prefix` (`-1` when
   * there is none); the waiter may skip them.
   */
  wait(since: number, signal: AbortSignal, prefix = ""): Promise<number> {
    if (signal.aborted || this.#seq !== since) return Promise.resolve(-1);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        prefix,
        skipTo: -1,
        wake: () => {
          signal.removeEventListener("abort", waiter.wake);
          this.#waiters.delete(waiter);
          resolve(waiter.skipTo);
        },
      };
      this.#waiters.add(waiter);
      signal.addEventListener("abort", waiter.wake, { once: true });
    });
  }
}
