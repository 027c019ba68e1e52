import assert from "node:assert/strict";
import { CONTAINER_BACKOFF, goDuration, KeyedBackoff } from "./crash_loop_backoff.ts";

Deno.test("goDuration() prints durations as Go's time.Duration", async (t) => {
  const cases: Array<[number, string]> = [
    [0, "0s"],
    [10_000, "10s"],
    [80_000, "1m20s"],
    [160_000, "2m40s"],
    [300_000, "5m0s"],
    [1_500, "1.5s"],
    [1_234, "1.234s"],
    [523, "523ms"],
    [3_600_000, "1h0m0s"],
  ];
  for (const [ms, want] of cases) {
    await t.step(want, () => assert.equal(goDuration(ms), want));
  }
});

Deno.test("KeyedBackoff.next() doubles from 10s to at most 5m", () => {
  let now = 0;
  const b = new KeyedBackoff({ ...CONTAINER_BACKOFF, now: () => now });
  const waits: string[] = [];
  for (let i = 0; i < 7; i++) {
    b.next("k", now);
    waits.push(goDuration(b.get("k")));
    now += 1000;
  }
  assert.deepEqual(waits, ["10s", "20s", "40s", "1m20s", "2m40s", "5m0s", "5m0s"]);
});

Deno.test("KeyedBackoff.isInBackoffSince() holds for the wait after the event", () => {
  let now = 1_000;
  const b = new KeyedBackoff({ ...CONTAINER_BACKOFF, now: () => now });
  assert.equal(b.isInBackoffSince("k", 1_000), false);
  b.next("k", 1_000);
  assert.equal(b.isInBackoffSince("k", 1_000), true);
  now = 10_999;
  assert.equal(b.isInBackoffSince("k", 1_000), true);
  now = 11_000;
  assert.equal(b.isInBackoffSince("k", 1_000), false);
});

Deno.test("KeyedBackoff.next() starts over after 10 minutes without failure", () => {
  let now = 0;
  const b = new KeyedBackoff({ ...CONTAINER_BACKOFF, now: () => now });
  b.next("k", 0);
  b.next("k", 0);
  b.next("k", 0);
  assert.equal(b.get("k"), 40_000);
  now = 700_000;
  assert.equal(b.isInBackoffSince("k", 690_000), false, "an expired entry does not hold");
  b.next("k", 690_000);
  assert.equal(b.get("k"), 10_000);
});

Deno.test("KeyedBackoff.isInBackoffSinceUpdate() measures from the last failure", () => {
  let now = 0;
  const b = new KeyedBackoff({ ...CONTAINER_BACKOFF, now: () => now });
  b.next("img", now);
  now = 9_000;
  assert.equal(b.isInBackoffSinceUpdate("img"), true);
  now = 10_000;
  assert.equal(b.isInBackoffSinceUpdate("img"), false);
  b.reset("img");
  assert.equal(b.get("img"), 0);
});

Deno.test("new KeyedBackoff() rejects an initial wait above the maximum", () => {
  assert.throws(() => new KeyedBackoff({ initialMs: 10, maxMs: 5, now: () => 0 }), RangeError);
});
