/**
 * Wakes waiting watchers when a backend has written something new. No timers, no polling.
 *
 * @module
 */

/** A broadcast wake-up with a sequence number, so a waiter never misses a notify. */
export class Notifier {
  #waiters = new Set<() => void>();
  #seq = 0;

  /** Increases with every `notify()`; read it before checking for new data. */
  get seq(): number {
    return this.#seq;
  }

  /** Wakes every current waiter. */
  notify(): void {
    this.#seq++;
    const waiters = this.#waiters;
    this.#waiters = new Set();
    for (const wake of waiters) wake();
  }

  /**
   * Resolves at the next `notify()` after sequence `since` (at once if one already happened),
   * or when `signal` aborts.
   */
  wait(since: number, signal: AbortSignal): Promise<void> {
    if (signal.aborted || this.#seq !== since) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        signal.removeEventListener("abort", wake);
        this.#waiters.delete(wake);
        resolve();
      };
      this.#waiters.add(wake);
      signal.addEventListener("abort", wake, { once: true });
    });
  }
}
