/**
 * Periodic compaction, as kube-apiserver's compactor: each interval, discard the history older
 * than the revision seen one interval before, so about one interval of history stays watchable.
 * Idle clusters cost nothing: the timer is armed only after a write, never while nothing changes.
 *
 * @module
 */
import type { Clock } from "../util/clock.ts";
import type { Logger } from "../util/logger.ts";
import type { Storage } from "./types.ts";

/** What {@linkcode runCompactor} needs. */
export interface CompactorDeps {
  readonly storage: Storage;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** Options of {@linkcode runCompactor}. */
export interface CompactorOptions {
  /** Time between compactions, and so the history kept. @default 300000 (5 minutes) */
  readonly intervalMs?: number;
  /** Stops the compactor. */
  readonly signal: AbortSignal;
}

/** Resolves at the first write after `revision`, or when `signal` aborts. */
async function nextWrite(storage: Storage, revision: number, signal: AbortSignal): Promise<void> {
  const ac = new AbortController();
  const stop = AbortSignal.any([signal, ac.signal]);
  try {
    for await (const _ of storage.watch("/registry/", revision, stop)) break;
  } finally {
    ac.abort();
  }
}

/**
 * Runs until `options.signal` aborts. Compaction errors are logged and retried next interval.
 *
 * @example Compact every minute until stopped
 * ```ts
 * import { MemoryStorage, runCompactor } from "./mod.ts";
 * import { RecordingLogger, systemClock } from "../util/mod.ts";
 * await using storage = new MemoryStorage();
 * const ac = new AbortController();
 * const done = runCompactor({ storage, clock: systemClock, logger: new RecordingLogger() }, {
 *   intervalMs: 60_000,
 *   signal: ac.signal,
 * });
 * ac.abort();
 * await done;
 * ```
 */
export async function runCompactor(deps: CompactorDeps, options: CompactorOptions): Promise<void> {
  const { storage, clock, logger } = deps;
  const intervalMs = options.intervalMs ?? 300_000;
  const signal = options.signal;
  let keepFrom = await storage.currentRevision();
  while (!signal.aborted) {
    const now = await storage.currentRevision();
    if (now === keepFrom || now <= await storage.compactedRevision()) {
      await nextWrite(storage, now, signal);
      if (signal.aborted) return;
    }
    await clock.sleep(intervalMs, signal).catch(() => {});
    if (signal.aborted) return;
    try {
      if (keepFrom > await storage.compactedRevision()) {
        await storage.compact(keepFrom);
        logger.debug("Compacted storage", { revision: keepFrom });
      }
    } catch (err) {
      logger.warn("Cannot compact storage", { revision: keepFrom, error: String(err) });
    }
    keepFrom = await storage.currentRevision();
  }
}
