/**
 * The pods whose `batch.kubernetes.io/job-tracking` finalizer the Job controller asked to remove
 * and has not yet seen removed (upstream `uidTrackingExpectations`), per Job key. A sync skips
 * them: its pod cache may still show the finalizer of a pod it already counted.
 *
 * @module
 */

/** Pod uids with a finalizer removal in flight, per Job key. */
export class FinalizerExpectations {
  readonly #uids = new Map<string, Set<string>>();

  /** The uids still expected for `key` (a copy). */
  expected(key: string): Set<string> {
    return new Set(this.#uids.get(key));
  }

  /** Adds `uids` to what `key` expects. */
  expectRemoved(key: string, uids: readonly string[]): void {
    if (uids.length === 0) return;
    const set = this.#uids.get(key) ?? new Set<string>();
    for (const uid of uids) set.add(uid);
    this.#uids.set(key, set);
  }

  /** The pod `uid` no longer has the finalizer (or is gone, or the removal failed). */
  observed(key: string, uid: string): void {
    const set = this.#uids.get(key);
    if (!set) return;
    set.delete(uid);
    if (set.size === 0) this.#uids.delete(key);
  }

  /** Forgets `key` (its Job is gone). */
  delete(key: string): void {
    this.#uids.delete(key);
  }
}
