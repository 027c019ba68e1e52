/**
 * Per-key mutual exclusion for the Deno KV backend's writes: a write to a key waits for every
 * earlier write to that key, in arrival order, so it checks and updates the key directory with
 * no other write to the key in between. Writes to other keys are not held up.
 *
 * @module
 */

/** A FIFO lock per key, held only while a holder or waiter exists. */
export class KeyLocks {
  /** For each locked key, the release of its last holder or waiter. */
  #tails = new Map<string, Promise<void>>();

  /** Runs `fn` once every earlier `run` for `key` has settled; releases the key after `fn`. */
  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const before = this.#tails.get(key);
    let release!: () => void;
    const mine = new Promise<void>((resolve) => release = resolve);
    this.#tails.set(key, mine);
    try {
      if (before) await before;
      return await fn();
    } finally {
      if (this.#tails.get(key) === mine) this.#tails.delete(key);
      release();
    }
  }

  /** Number of keys locked or waited for. */
  get size(): number {
    return this.#tails.size;
  }
}
