import assert from "node:assert/strict";
import { fmt, medianRun, quantile, summarize } from "./stats.ts";

Deno.test("quantile() takes the nearest rank", () => {
  const xs = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(quantile(xs, 0.5), 50);
  assert.equal(quantile(xs, 0.99), 99);
  assert.equal(quantile([7], 0.99), 7);
});

Deno.test("summarize() reports throughput over the wall time", () => {
  const s = summarize([1, 2, 3, 4], 2000);
  assert.equal(s.opsPerSec, 2);
  assert.equal(s.mean, 2.5);
  assert.equal(medianRun([s, { ...s, p50: 9 }, { ...s, p50: 0 }]).p50, s.p50);
});

Deno.test("fmt() keeps three significant digits or so", async (t) => {
  const cases: [number, string][] = [[1234.5, "1235"], [100, "100"], [12.34, "12.3"], [
    0.1234,
    "0.123",
  ]];
  for (const [x, want] of cases) await t.step(String(x), () => assert.equal(fmt(x), want));
});
