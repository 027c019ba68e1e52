/**
 * {@linkcode KeyedBackoff}: per-key exponential backoff as the kubelet's (client-go `flowcontrol`):
 * the first failure waits `initialMs`, each further one doubles the wait up to `maxMs`, and a
 * key that had no failure for twice `maxMs` (10 minutes with the kubelet's 5) starts over.
 * {@linkcode goDuration} prints a wait as Go's `time.Duration` does (`10s`, `2m40s`, `5m0s`),
 * which the kubelet's `back-off 40s restarting failed container=…` messages show.
 *
 * @example The kubelet's restart backoff
 * ```ts
 * import assert from "node:assert/strict";
 * import { KeyedBackoff, goDuration } from "./crash_loop_backoff.ts";
 *
 * let now = 0;
 * const backoff = new KeyedBackoff({ initialMs: 10_000, maxMs: 300_000, now: () => now });
 * backoff.next("web", 0);
 * assert.equal(backoff.isInBackoffSince("web", 0), true);
 * backoff.next("web", 0);
 * assert.equal(goDuration(backoff.get("web")), "20s");
 * now = 25_000;
 * assert.equal(backoff.isInBackoffSince("web", 0), false);
 * ```
 *
 * @module
 */

/** The kubelet's container restart backoff: 10 s doubling up to 5 minutes. */
export const CONTAINER_BACKOFF = { initialMs: 10_000, maxMs: 300_000 } as const;
/** The kubelet's image pull backoff: the same 10 s doubling up to 5 minutes. */
export const IMAGE_PULL_BACKOFF = { initialMs: 10_000, maxMs: 300_000 } as const;

/** Options of {@linkcode KeyedBackoff}. */
export interface KeyedBackoffOptions {
  readonly initialMs: number;
  readonly maxMs: number;
  /** The current time in ms (the agent's clock). */
  readonly now: () => number;
}

interface Entry {
  backoffMs: number;
  lastUpdateMs: number;
}

/** Exponential backoff per key. */
export class KeyedBackoff {
  readonly #initialMs: number;
  readonly #maxMs: number;
  readonly #now: () => number;
  readonly #entries = new Map<string, Entry>();

  constructor(options: KeyedBackoffOptions) {
    if (!(options.initialMs > 0) || !(options.maxMs >= options.initialMs)) {
      throw new RangeError(
        `Cannot create backoff from ${options.initialMs} ms to ${options.maxMs} ms: expected 0 < initial <= max`,
      );
    }
    this.#initialMs = options.initialMs;
    this.#maxMs = options.maxMs;
    this.#now = options.now;
  }

  /** The current wait of `key`; 0 when it has none. */
  get(key: string): number {
    return this.#entries.get(key)?.backoffMs ?? 0;
  }

  /** The time `key`'s wait was last extended; undefined when it has none. */
  lastUpdate(key: string): number | undefined {
    return this.#entries.get(key)?.lastUpdateMs;
  }

  #expired(entry: Entry, eventMs: number): boolean {
    return eventMs - entry.lastUpdateMs > 2 * this.#maxMs;
  }

  /** Records a failure at `eventMs`: starts (or, after a stable stretch, restarts) or doubles the wait. */
  next(key: string, eventMs: number): void {
    const entry = this.#entries.get(key);
    if (entry === undefined || this.#expired(entry, eventMs)) {
      this.#entries.set(key, { backoffMs: this.#initialMs, lastUpdateMs: this.#now() });
      return;
    }
    entry.backoffMs = Math.min(entry.backoffMs * 2, this.#maxMs);
    entry.lastUpdateMs = this.#now();
  }

  /** Whether `key` still waits after a failure that happened at `eventMs`. */
  isInBackoffSince(key: string, eventMs: number): boolean {
    const entry = this.#entries.get(key);
    if (entry === undefined || this.#expired(entry, eventMs)) return false;
    return this.#now() - eventMs < entry.backoffMs;
  }

  /** Whether `key` still waits since its wait was last extended (image pulls). */
  isInBackoffSinceUpdate(key: string): boolean {
    const entry = this.#entries.get(key);
    if (entry === undefined) return false;
    const now = this.#now();
    if (this.#expired(entry, now)) return false;
    return now - entry.lastUpdateMs < entry.backoffMs;
  }

  /** Forgets `key`. */
  reset(key: string): void {
    this.#entries.delete(key);
  }

  /** Forgets every key for which `match` holds. */
  resetWhere(match: (key: string) => boolean): void {
    for (const key of [...this.#entries.keys()]) if (match(key)) this.#entries.delete(key);
  }

  /** Drops the entries that expired (no failure for twice the maximum wait). */
  gc(): void {
    const now = this.#now();
    for (const [key, entry] of [...this.#entries]) {
      if (this.#expired(entry, now)) this.#entries.delete(key);
    }
  }
}

function trimFraction(digits: string): string {
  return digits.replace(/0+$/, "");
}

/** A duration in ms as Go's `time.Duration.String()`: `0s`, `500ms`, `1.5s`, `2m40s`, `1h0m0s`. */
export function goDuration(ms: number): string {
  if (ms === 0) return "0s";
  const sign = ms < 0 ? "-" : "";
  let rest = Math.abs(ms);
  if (rest < 1000) {
    const whole = Math.floor(rest);
    const frac = trimFraction(String(Math.round((rest - whole) * 1e6)).padStart(6, "0"));
    return `${sign}${whole}${frac === "" ? "" : `.${frac}`}ms`;
  }
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = Math.floor(rest / 1000);
  const frac = trimFraction(String(Math.round(rest - seconds * 1000)).padStart(3, "0"));
  const s = `${seconds}${frac === "" ? "" : `.${frac}`}s`;
  if (hours > 0) return `${sign}${hours}h${minutes}m${s}`;
  if (minutes > 0) return `${sign}${minutes}m${s}`;
  return `${sign}${s}`;
}
