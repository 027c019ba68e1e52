import assert from "node:assert/strict";
import { slowStartBatch } from "./slow_start_batch.ts";

Deno.test("slowStartBatch() doubles the batch size up to the count", async (t) => {
  const cases = [
    { count: 0, batches: [] },
    { count: 1, batches: [1] },
    { count: 7, batches: [1, 2, 4] },
    { count: 10, batches: [1, 2, 4, 3] },
  ];
  for (const c of cases) {
    await t.step(`${c.count} calls`, async () => {
      const batches: number[] = [];
      let calls = 0;
      const result = await slowStartBatch(c.count, {
        fn: () => void calls++,
        onBatch: (size) => batches.push(size),
      });
      assert.deepEqual(batches, c.batches);
      assert.equal(calls, c.count);
      assert.deepEqual(result, { successes: c.count });
    });
  }
});

Deno.test("slowStartBatch() runs a batch concurrently and stops after the batch that failed", async () => {
  let calls = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const result = await slowStartBatch(20, {
    initialBatchSize: 2,
    fn: async () => {
      const n = ++calls;
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 0));
      inFlight--;
      // The third batch (calls 7-14) has two failures.
      if (n === 9 || n === 12) throw new Error(`call ${n} failed`);
    },
  });
  assert.equal(calls, 14);
  assert.equal(maxInFlight, 8);
  assert.equal(result.successes, 12);
  assert.equal((result.error as Error).message, "call 9 failed");
});
