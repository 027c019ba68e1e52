/**
 * Expiry of objects whose kind has a time to live — Events, one hour after their last write,
 * as kube-apiserver's `--event-ttl` does with etcd leases — on any storage backend.
 *
 * The sweeper follows the kind's storage prefix with a watch and keeps the pending expiries in
 * a min-heap; one timer is armed for the earliest, and none while nothing is pending (no timer
 * fires on an idle device). An expired object is deleted guarded by the revision that set its
 * expiry, so an object written again meanwhile lives on (its newer write has its own entry).
 * Objects already stored when the sweeper starts expire one TTL after the newest time they
 * record (`lastTimestamp`, `eventTime`, `series.lastObservedTime`, `creationTimestamp`).
 *
 * @module
 */
import { ConflictError, KeyNotFoundError } from "../../storage/errors.ts";
import type { Storage } from "../../storage/types.ts";
import type { Clock, TimerHandle } from "../../util/clock.ts";
import type { Logger } from "../../util/logger.ts";

interface Entry {
  readonly expiresMs: number;
  readonly key: string;
  readonly revision: number;
}

/** A binary min-heap of entries by expiry. */
class ExpiryHeap {
  readonly #a: Entry[] = [];

  get size(): number {
    return this.#a.length;
  }

  peek(): Entry | undefined {
    return this.#a[0];
  }

  push(e: Entry): void {
    const a = this.#a;
    a.push(e);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p]!.expiresMs <= e.expiresMs) break;
      a[i] = a[p]!;
      i = p;
    }
    a[i] = e;
  }

  pop(): Entry | undefined {
    const a = this.#a;
    const top = a[0];
    const last = a.pop();
    if (a.length === 0 || last === undefined) return top;
    // Sift `last` down from the root.
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let smallest = last.expiresMs;
      let m = -1;
      if (l < a.length && a[l]!.expiresMs < smallest) {
        m = l;
        smallest = a[l]!.expiresMs;
      }
      if (r < a.length && a[r]!.expiresMs < smallest) m = r;
      if (m < 0) break;
      a[i] = a[m]!;
      i = m;
    }
    a[i] = last;
    return top;
  }
}

/** The newest time an object records, in ms (0 when none parses). */
export function lastRecordedTimeMs(value: Uint8Array): number {
  let obj: Record<string, unknown>;
  try {
    obj = JSON.parse(new TextDecoder().decode(value));
  } catch {
    return 0;
  }
  const times = [
    obj.lastTimestamp,
    obj.eventTime,
    (obj.series as { lastObservedTime?: unknown } | undefined)?.lastObservedTime,
    (obj.metadata as { creationTimestamp?: unknown } | undefined)?.creationTimestamp,
  ];
  let best = 0;
  for (const t of times) {
    if (typeof t !== "string") continue;
    const ms = Date.parse(t);
    if (Number.isFinite(ms) && ms > best) best = ms;
  }
  return best;
}

/** Options of {@linkcode TtlSweeper}. */
export interface TtlSweeperOptions {
  readonly storage: Storage;
  /** The storage prefix of the kind (`/registry/events/`). */
  readonly prefix: string;
  readonly ttlMs: number;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** Deletes a kind's objects a TTL after their last write. */
export class TtlSweeper {
  readonly #o: TtlSweeperOptions;
  readonly #heap = new ExpiryHeap();
  #timer: TimerHandle | null = null;
  #timerDueMs = Infinity;
  #sweeping = false;

  constructor(options: TtlSweeperOptions) {
    this.#o = options;
  }

  /** Pending expiries (for tests and metrics). */
  get pending(): number {
    return this.#heap.size;
  }

  /** Lists what is stored, then follows changes until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    const { storage, prefix, ttlMs, clock } = this.#o;
    const page = await storage.list(prefix);
    const now = clock.now();
    for (const kv of page.items) {
      const written = lastRecordedTimeMs(kv.value) || now;
      this.#add({
        expiresMs: Math.max(written, now - ttlMs) + ttlMs,
        key: kv.key,
        revision: kv.modRevision,
      });
    }
    signal.addEventListener("abort", () => this.#disarm(), { once: true });
    try {
      for await (const ev of storage.watch(prefix, page.revision, signal)) {
        if (ev.type === "deleted") continue; // its entry finds nothing to delete
        this.#add({ expiresMs: clock.now() + ttlMs, key: ev.kv.key, revision: ev.kv.modRevision });
      }
    } finally {
      this.#disarm();
    }
  }

  #add(e: Entry): void {
    this.#heap.push(e);
    this.#arm();
  }

  #disarm(): void {
    this.#timer?.cancel();
    this.#timer = null;
    this.#timerDueMs = Infinity;
  }

  #arm(): void {
    const next = this.#heap.peek();
    if (!next || this.#sweeping) return;
    if (this.#timer && this.#timerDueMs <= next.expiresMs) return;
    this.#timer?.cancel();
    this.#timerDueMs = next.expiresMs;
    this.#timer = this.#o.clock.setTimeout(
      () => void this.#sweep(),
      Math.max(0, next.expiresMs - this.#o.clock.now()),
    );
  }

  async #sweep(): Promise<void> {
    this.#timer = null;
    this.#timerDueMs = Infinity;
    this.#sweeping = true;
    try {
      for (;;) {
        const next = this.#heap.peek();
        if (!next || next.expiresMs > this.#o.clock.now()) break;
        this.#heap.pop();
        try {
          await this.#o.storage.delete(next.key, next.revision);
        } catch (err) {
          // Written again (a newer entry exists) or already gone: nothing to do.
          if (err instanceof ConflictError || err instanceof KeyNotFoundError) continue;
          this.#o.logger.warn("Cannot expire object", { key: next.key, error: err });
        }
      }
    } finally {
      this.#sweeping = false;
      this.#arm();
    }
  }
}
