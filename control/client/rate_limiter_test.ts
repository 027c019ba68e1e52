import assert from "node:assert/strict";
import { FakeClock } from "../util/clock.ts";
import {
  BucketRateLimiter,
  type BucketRateLimiterOptions,
  defaultControllerRateLimiter,
  ItemExponentialFailureRateLimiter,
  ItemFastSlowRateLimiter,
  MaxOfRateLimiter,
  type RateLimiter,
} from "./rate_limiter.ts";

Deno.test("ItemExponentialFailureRateLimiter.when() doubles per failure of one item", async (t) => {
  const cases: {
    name: string;
    options: ConstructorParameters<typeof ItemExponentialFailureRateLimiter>[0];
    calls: number;
    want: number[];
  }[] = [
    {
      name: "defaults: 5 ms doubling",
      options: {},
      calls: 6,
      want: [5, 10, 20, 40, 80, 160],
    },
    {
      name: "capped at the max delay",
      options: { baseDelayMs: 1, maxDelayMs: 5 },
      calls: 5,
      want: [1, 2, 4, 5, 5],
    },
    { name: "zero base stays zero", options: { baseDelayMs: 0 }, calls: 3, want: [0, 0, 0] },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const limiter = new ItemExponentialFailureRateLimiter<string>(c.options);
      const got = Array.from({ length: c.calls }, () => limiter.when("a"));
      assert.deepEqual(got, c.want);
      assert.equal(limiter.numRequeues("a"), c.calls);
    });
  }
});

Deno.test("ItemExponentialFailureRateLimiter.when() reaches 1000 s and stays there", () => {
  const limiter = new ItemExponentialFailureRateLimiter<string>();
  let last = 0;
  for (let i = 0; i < 2_000; i++) last = limiter.when("a");
  assert.equal(last, 1_000_000);
  assert.equal(limiter.numRequeues("a"), 2_000);
});

Deno.test("ItemExponentialFailureRateLimiter tracks items apart and forget() resets one", () => {
  const limiter = new ItemExponentialFailureRateLimiter<string>();
  assert.equal(limiter.when("a"), 5);
  assert.equal(limiter.when("a"), 10);
  assert.equal(limiter.when("b"), 5);
  limiter.forget("a");
  assert.equal(limiter.numRequeues("a"), 0);
  assert.equal(limiter.numRequeues("b"), 1);
  assert.equal(limiter.when("a"), 5);
  assert.equal(limiter.when("b"), 10);
});

Deno.test("ItemExponentialFailureRateLimiter refuses bad delays", () => {
  assert.throws(
    () => new ItemExponentialFailureRateLimiter({ baseDelayMs: -1 }),
    { name: "RangeError", message: "Cannot use base delay -1 ms: expected a finite number >= 0" },
  );
  assert.throws(() => new ItemExponentialFailureRateLimiter({ maxDelayMs: NaN }), RangeError);
});

Deno.test("BucketRateLimiter.when() lets the burst through, then spaces items at 1 / qps", () => {
  const clock = new FakeClock();
  const limiter = new BucketRateLimiter<string>({ qps: 10, burst: 3, clock });
  assert.deepEqual(
    ["a", "b", "c", "d", "e"].map((item) => limiter.when(item)),
    [0, 0, 0, 100, 200],
  );
  // 150 ms refill 1.5 tokens against a debt of 2: the next token is due in 150 ms.
  clock.advance(150);
  assert.equal(limiter.when("f"), 150);
  assert.equal(limiter.numRequeues("f"), 0);
});

Deno.test("BucketRateLimiter refills to the burst and no further", () => {
  const clock = new FakeClock(1_000_000);
  const limiter = new BucketRateLimiter<string>({ qps: 10, burst: 2, clock });
  assert.deepEqual([limiter.when("a"), limiter.when("a"), limiter.when("a")], [0, 0, 100]);
  clock.advance(60_000);
  assert.deepEqual([limiter.when("a"), limiter.when("a"), limiter.when("a")], [0, 0, 100]);
});

Deno.test("BucketRateLimiter defaults to 10 qps with a burst of 100", () => {
  const limiter = new BucketRateLimiter<number>({ clock: new FakeClock() });
  const delays = Array.from({ length: 102 }, (_, i) => limiter.when(i));
  assert.ok(delays.slice(0, 100).every((d) => d === 0));
  assert.deepEqual(delays.slice(100), [100, 200]);
});

Deno.test("BucketRateLimiter refuses a bad rate or burst", async (t) => {
  const cases: BucketRateLimiterOptions[] = [
    { qps: 0 },
    { qps: -1 },
    { qps: Infinity },
    { burst: 0 },
    { burst: 1.5 },
  ];
  for (const options of cases) {
    await t.step(Object.entries(options).map(([k, v]) => `${k} ${v}`).join(), () => {
      assert.throws(() => new BucketRateLimiter(options), RangeError);
    });
  }
});

Deno.test("ItemFastSlowRateLimiter.when() is fast for maxFastAttempts, then slow", () => {
  const limiter = new ItemFastSlowRateLimiter<string>({
    fastDelayMs: 5,
    slowDelayMs: 10_000,
    maxFastAttempts: 3,
  });
  assert.deepEqual(
    [limiter.when("a"), limiter.when("a"), limiter.when("b"), limiter.when("a")],
    [5, 5, 5, 5],
  );
  assert.equal(limiter.when("a"), 10_000);
  assert.equal(limiter.numRequeues("a"), 4);
  limiter.forget("a");
  assert.equal(limiter.numRequeues("a"), 0);
  assert.equal(limiter.when("a"), 5);
  assert.equal(limiter.numRequeues("b"), 1);
});

Deno.test("ItemFastSlowRateLimiter refuses bad options", () => {
  assert.throws(
    () => new ItemFastSlowRateLimiter({ fastDelayMs: 1, slowDelayMs: 2, maxFastAttempts: -1 }),
    { name: "RangeError", message: "Cannot use -1 fast attempts: expected an integer >= 0" },
  );
  assert.throws(
    () => new ItemFastSlowRateLimiter({ fastDelayMs: -1, slowDelayMs: 2, maxFastAttempts: 1 }),
    RangeError,
  );
});

class RecordingLimiter implements RateLimiter<string> {
  calls: string[] = [];
  constructor(readonly delayMs: number, readonly requeues: number) {}
  when(item: string): number {
    this.calls.push(`when ${item}`);
    return this.delayMs;
  }
  forget(item: string): void {
    this.calls.push(`forget ${item}`);
  }
  numRequeues(_item: string): number {
    return this.requeues;
  }
}

Deno.test("MaxOfRateLimiter takes the longest delay and the most requeues of all", () => {
  const a = new RecordingLimiter(5, 7);
  const b = new RecordingLimiter(50, 2);
  const limiter = new MaxOfRateLimiter(a, b);
  assert.equal(limiter.when("x"), 50);
  assert.equal(limiter.numRequeues("x"), 7);
  limiter.forget("x");
  assert.deepEqual(a.calls, ["when x", "forget x"]);
  assert.deepEqual(b.calls, ["when x", "forget x"]);
  assert.equal(new MaxOfRateLimiter<string>().when("x"), 0);
});

Deno.test("defaultControllerRateLimiter() backs off per item under a 10 qps / 100 burst bucket", () => {
  const clock = new FakeClock();
  const limiter = defaultControllerRateLimiter<string>({ clock });
  assert.deepEqual([limiter.when("a"), limiter.when("a"), limiter.when("a")], [5, 10, 20]);
  assert.equal(limiter.numRequeues("a"), 3);
  // 97 tokens remain: other items' first failures wait 5 ms until the bucket is empty.
  for (let i = 0; i < 97; i++) assert.equal(limiter.when(`k${i}`), 5);
  assert.equal(limiter.when("b"), 100);
  limiter.forget("a");
  assert.equal(limiter.numRequeues("a"), 0);
  assert.equal(limiter.when("a"), 200);
});

Deno.test("defaultControllerRateLimiter() caps one item's backoff at 1000 s", () => {
  const clock = new FakeClock();
  const limiter = defaultControllerRateLimiter<string>({ clock });
  let last = 0;
  for (let i = 0; i < 30; i++) {
    last = limiter.when("a");
    clock.advance(1_000);
  }
  assert.equal(last, 1_000_000);
});
