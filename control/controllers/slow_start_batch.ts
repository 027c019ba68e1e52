/**
 * Slow-start batching, as upstream's `slowStartBatch`: call a function `count` times in
 * batches of 1, 2, 4, 8, … (each batch concurrently), and stop before the next batch once a
 * call fails. A ReplicaSet of 500 pods whose namespace quota allows none thus costs one failed
 * request, not 500 — it matters on slow edge links, and it spares the event spam.
 *
 * @example Create 5 pods in batches of 1, 2 and 2
 * ```ts
 * import assert from "node:assert/strict";
 * import { slowStartBatch } from "./slow_start_batch.ts";
 *
 * let calls = 0;
 * const result = await slowStartBatch(5, { fn: () => void calls++ });
 * assert.deepEqual(result, { successes: 5 });
 * assert.equal(calls, 5);
 * ```
 *
 * @module
 */

/** The first batch size of pod creations (upstream `SlowStartInitialBatchSize`). */
export const SLOW_START_INITIAL_BATCH_SIZE = 1;

/** Options of {@linkcode slowStartBatch}. */
export interface SlowStartBatchOptions {
  /** One unit of work; throwing (or rejecting) counts as a failure. */
  readonly fn: () => Promise<unknown> | unknown;
  /** @default {SLOW_START_INITIAL_BATCH_SIZE} */
  readonly initialBatchSize?: number;
  /** Told each batch size as it starts (for tests and logs). */
  readonly onBatch?: (size: number) => void;
}

/** What {@linkcode slowStartBatch} achieved. */
export interface SlowStartBatchResult {
  /** How many calls succeeded. */
  readonly successes: number;
  /** The first failure of the batch that stopped the run. */
  readonly error?: unknown;
}

/**
 * Calls `options.fn` up to `count` times in doubling batches; the batch that sees a failure is
 * the last. Never rejects: failures are reported in the result.
 */
export async function slowStartBatch(
  count: number,
  options: SlowStartBatchOptions,
): Promise<SlowStartBatchResult> {
  let remaining = count;
  let successes = 0;
  let size = Math.min(remaining, options.initialBatchSize ?? SLOW_START_INITIAL_BATCH_SIZE);
  while (size > 0) {
    options.onBatch?.(size);
    const results = await Promise.allSettled(
      Array.from({ length: size }, async () => await options.fn()),
    );
    const failures = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    successes += size - failures.length;
    if (failures.length > 0) return { successes, error: failures[0]!.reason };
    remaining -= size;
    size = Math.min(2 * size, remaining);
  }
  return { successes };
}
