import assert from "node:assert/strict";
import { Backoff } from "./backoff.ts";

Deno.test("Backoff.next() doubles from 0.8 s up to 30 s by default", () => {
  const backoff = new Backoff({ random: () => 0 });
  const delays = Array.from({ length: 8 }, () => backoff.next());
  assert.deepEqual(delays, [800, 1600, 3200, 6400, 12800, 25600, 30000, 30000]);
  assert.equal(backoff.failures, 8);
});

Deno.test("Backoff.next() adds up to one delay of jitter, capped at the maximum", async (t) => {
  const cases = [
    { random: 0.5, failures: 0, want: 1200 },
    { random: 0.999, failures: 0, want: 1599 },
    { random: 0.5, failures: 5, want: 30000 },
  ];
  for (const c of cases) {
    await t.step(`random ${c.random} after ${c.failures} failures`, () => {
      const backoff = new Backoff({ random: () => c.random });
      for (let i = 0; i < c.failures; i++) backoff.next();
      assert.equal(backoff.next(), c.want);
    });
  }
});

Deno.test("Backoff.reset() starts over from the first delay", () => {
  const backoff = new Backoff({ initialMs: 100, maxMs: 1000, random: () => 0 });
  backoff.next();
  backoff.next();
  backoff.reset();
  assert.equal(backoff.failures, 0);
  assert.equal(backoff.next(), 100);
});

Deno.test("Backoff() refuses delays that cannot grow", () => {
  assert.throws(() => new Backoff({ initialMs: 0 }), RangeError);
  assert.throws(() => new Backoff({ initialMs: 100, maxMs: 10 }), {
    name: "RangeError",
    message:
      "Cannot back off from 100 ms to 10 ms by 2: expected 0 < initial <= max and factor >= 1",
  });
});
