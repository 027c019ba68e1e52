/**
 * Per-key exponential backoff for replacing failed daemon pods (upstream `flowcontrol.Backoff`
 * as the DaemonSet controller uses it: 1 s doubling to 15 min, no jitter). A kubelet that keeps
 * rejecting a pod would otherwise have the controller delete and recreate it in a hot loop.
 *
 * An entry untouched for twice the maximum is forgotten; expired entries are dropped whenever
 * another is recorded, so no timer runs.
 *
 * @module
 */

/** Options of {@linkcode FailedPodsBackoff}. */
export interface FailedPodsBackoffOptions {
  /** @default {1000} */
  readonly initialMs?: number;
  /** @default {900000} (15 minutes) */
  readonly maxMs?: number;
}

interface Entry {
  backoffMs: number;
  lastUpdateMs: number;
}

/** Delays between failed-pod replacements, per key. */
export class FailedPodsBackoff {
  readonly #initialMs: number;
  readonly #maxMs: number;
  readonly #entries = new Map<string, Entry>();

  constructor(options: FailedPodsBackoffOptions = {}) {
    this.#initialMs = options.initialMs ?? 1000;
    this.#maxMs = options.maxMs ?? 15 * 60 * 1000;
  }

  /** The keys with an entry (for tests). */
  get size(): number {
    return this.#entries.size;
  }

  #expired(entry: Entry, nowMs: number): boolean {
    return nowMs - entry.lastUpdateMs > 2 * this.#maxMs;
  }

  /** The current delay of `key` (0 without an entry). */
  get(key: string): number {
    return this.#entries.get(key)?.backoffMs ?? 0;
  }

  /** Whether `key` was recorded less than its delay ago (upstream `IsInBackOffSinceUpdate`). */
  isInBackOffSinceUpdate(key: string, nowMs: number): boolean {
    const entry = this.#entries.get(key);
    if (!entry || this.#expired(entry, nowMs)) return false;
    return nowMs - entry.lastUpdateMs < entry.backoffMs;
  }

  /** Records an attempt for `key`: the first delay, or the last one doubled (capped). */
  next(key: string, nowMs: number): void {
    for (const [k, e] of this.#entries) if (this.#expired(e, nowMs)) this.#entries.delete(k);
    const entry = this.#entries.get(key);
    if (!entry) {
      this.#entries.set(key, { backoffMs: this.#initialMs, lastUpdateMs: nowMs });
      return;
    }
    entry.backoffMs = Math.min(entry.backoffMs * 2, this.#maxMs);
    entry.lastUpdateMs = nowMs;
  }
}
