import assert from "node:assert/strict";
import { FakeClock, MAX_TIMER_DELAY_MS } from "../util/clock.ts";
import { ItemFastSlowRateLimiter } from "./rate_limiter.ts";
import { WorkQueue } from "./workqueue.ts";

/** Whether `promise` has settled, after letting pending callbacks run. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  promise.then(() => done = true, () => done = true);
  for (let i = 0; i < 5; i++) await Promise.resolve();
  return done;
}

type Op =
  | { add: string }
  | { get: string | undefined }
  | { done: string }
  | { shutDown: true };

Deno.test("WorkQueue add/get/done follow client-go's dirty and processing sets", async (t) => {
  const cases: { name: string; ops: Op[]; len: number }[] = [
    {
      name: "FIFO for distinct items",
      ops: [{ add: "a" }, { add: "b" }, { add: "c" }, { get: "a" }, { get: "b" }, { get: "c" }],
      len: 0,
    },
    {
      name: "an item added several times before processing is processed once",
      ops: [{ add: "a" }, { add: "b" }, { add: "a" }, { add: "a" }, { get: "a" }, { get: "b" }],
      len: 0,
    },
    {
      name: "re-adding a queued item keeps its place",
      ops: [{ add: "a" }, { add: "b" }, { add: "a" }, { get: "a" }],
      len: 1,
    },
    {
      name: "an item added while processing waits for done()",
      ops: [{ add: "a" }, { get: "a" }, { add: "a" }, { add: "a" }],
      len: 0,
    },
    {
      name: "done() requeues an item added while processing, behind others",
      ops: [
        { add: "a" },
        { get: "a" },
        { add: "a" },
        { add: "b" },
        { done: "a" },
        { get: "b" },
        { get: "a" },
      ],
      len: 0,
    },
    {
      name: "done() of an item not re-added drops it",
      ops: [{ add: "a" }, { get: "a" }, { done: "a" }],
      len: 0,
    },
    {
      name: "done() of an item never handed out changes nothing",
      ops: [{ add: "a" }, { done: "a" }, { done: "b" }, { get: "a" }, { shutDown: true }, {
        get: undefined,
      }],
      len: 0,
    },
    {
      name: "after shutDown the queued items are still handed out, then undefined",
      ops: [{ add: "a" }, { add: "b" }, { shutDown: true }, { get: "a" }, { get: "b" }, {
        get: undefined,
      }],
      len: 0,
    },
    {
      name: "add() after shutDown is ignored",
      ops: [{ shutDown: true }, { add: "a" }, { get: undefined }],
      len: 0,
    },
    {
      name: "done() after shutDown still requeues an item re-added before it",
      ops: [
        { add: "a" },
        { get: "a" },
        { add: "a" },
        { shutDown: true },
        { done: "a" },
        { get: "a" },
        { get: undefined },
      ],
      len: 0,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      const queue = new WorkQueue<string>({ clock: new FakeClock() });
      for (const op of c.ops) {
        if ("add" in op) queue.add(op.add);
        else if ("done" in op) queue.done(op.done);
        else if ("shutDown" in op) queue.shutDown();
        else assert.equal(await queue.get(), op.get);
      }
      assert.equal(queue.len(), c.len);
      queue.shutDown();
    });
  }
});

Deno.test("WorkQueue.get() waits for an add and serves waiting getters in order", async () => {
  const queue = new WorkQueue<string>({ clock: new FakeClock() });
  const first = queue.get();
  const second = queue.get();
  assert.equal(await settled(first), false);
  queue.add("a");
  queue.add("b");
  assert.equal(await first, "a");
  assert.equal(await second, "b");
  assert.equal(queue.len(), 0);
  queue.shutDown();
});

Deno.test("WorkQueue never hands one item to two getters at once", async () => {
  const queue = new WorkQueue<string>({ clock: new FakeClock() });
  queue.add("a");
  const worker1 = await queue.get();
  assert.equal(worker1, "a");
  queue.add("a");
  const worker2 = queue.get();
  assert.equal(await settled(worker2), false, "a is being processed: the second getter waits");
  queue.done("a");
  assert.equal(await worker2, "a");
  queue.done("a");
  assert.equal(queue.len(), 0);
  queue.shutDown();
});

Deno.test("WorkQueue with concurrent workers processes each add at most once at a time", async () => {
  const queue = new WorkQueue<string>({ clock: new FakeClock() });
  const active = new Set<string>();
  const processed: string[] = [];
  let overlaps = 0;
  const enough = Promise.withResolvers<void>();
  async function worker(): Promise<void> {
    for (let item = await queue.get(); item !== undefined; item = await queue.get()) {
      if (active.has(item)) overlaps++;
      active.add(item);
      processed.push(item);
      // Re-add while processing, and yield so that other workers run meanwhile.
      if (processed.length < 20) queue.add(item);
      else enough.resolve();
      for (let i = 0; i < 3; i++) await Promise.resolve();
      active.delete(item);
      queue.done(item);
    }
  }
  queue.add("a");
  queue.add("b");
  const workers = [worker(), worker(), worker(), worker()];
  await enough.promise;
  await queue.shutDownWithDrain();
  await Promise.all(workers);
  assert.equal(overlaps, 0);
  assert.ok(processed.filter((i) => i === "a").length >= 5);
  assert.ok(processed.filter((i) => i === "b").length >= 5);
});

Deno.test("WorkQueue.shutDown() wakes every waiting getter with undefined", async () => {
  const queue = new WorkQueue<string>({ clock: new FakeClock() });
  const getters = [queue.get(), queue.get(), queue.get()];
  assert.equal(await settled(getters[0]!), false);
  queue.shutDown();
  assert.deepEqual(await Promise.all(getters), [undefined, undefined, undefined]);
  assert.equal(queue.shuttingDown(), true);
  assert.equal(await queue.get(), undefined);
  queue.shutDown();
});

Deno.test("WorkQueue.get() rejects when its signal aborts and loses no item", async () => {
  const queue = new WorkQueue<string>({ clock: new FakeClock() });
  const controller = new AbortController();
  const aborted = queue.get(controller.signal);
  const other = queue.get();
  controller.abort(new Error("stop"));
  await assert.rejects(aborted, { message: "stop" });
  queue.add("a");
  assert.equal(await other, "a");
  await assert.rejects(queue.get(AbortSignal.abort(new Error("already"))), { message: "already" });
  queue.add("b");
  assert.equal(await queue.get(controller.signal).catch(() => "rejected"), "rejected");
  assert.equal(queue.len(), 1, "b stays queued for the next getter");
  queue.shutDown();
});

Deno.test("WorkQueue.shutDownWithDrain() waits for in-flight items to be done", async () => {
  const queue = new WorkQueue<string>({ clock: new FakeClock() });
  queue.add("a");
  queue.add("b");
  const a = await queue.get();
  const b = await queue.get();
  const drained = queue.shutDownWithDrain();
  assert.equal(queue.shuttingDown(), true);
  queue.add("c");
  assert.equal(queue.len(), 0, "adds are ignored while draining");
  queue.done(a!);
  assert.equal(await settled(drained), false);
  queue.done(b!);
  assert.equal(await settled(drained), true);
  await drained;
});

Deno.test("WorkQueue.shutDownWithDrain() resolves at once when nothing is in flight", async () => {
  const queue = new WorkQueue<string>({ clock: new FakeClock() });
  queue.add("a");
  await queue.shutDownWithDrain();
  assert.equal(await queue.get(), "a");
  assert.equal(await queue.get(), undefined);
});

Deno.test("WorkQueue.shutDown() ends a waiting shutDownWithDrain()", async () => {
  const queue = new WorkQueue<string>({ clock: new FakeClock() });
  queue.add("a");
  await queue.get();
  const drained = queue.shutDownWithDrain();
  assert.equal(await settled(drained), false);
  queue.shutDown();
  assert.equal(await settled(drained), true);
});

Deno.test("WorkQueue.addAfter() adds items when they fall due, earliest first", async (t) => {
  const cases: { name: string; adds: [string, number][]; steps: [number, string[]][] }[] = [
    {
      name: "ordered by due time, not by call",
      adds: [["c", 30], ["a", 10], ["b", 20]],
      steps: [[9, []], [1, ["a"]], [15, ["b"]], [100, ["c"]]],
    },
    {
      name: "a duplicate add keeps the earlier due time (earlier first)",
      adds: [["a", 10], ["a", 100]],
      steps: [[10, ["a"]], [200, []]],
    },
    {
      name: "a duplicate add keeps the earlier due time (later first)",
      adds: [["a", 100], ["a", 10]],
      steps: [[10, ["a"]], [200, []]],
    },
    {
      name: "same due time in call order",
      adds: [["x", 10], ["y", 10], ["z", 10]],
      steps: [[10, ["x", "y", "z"]]],
    },
    {
      name: "zero and negative delays add at once",
      adds: [["now", 0], ["past", -5], ["later", 1]],
      steps: [[0, ["now", "past"]], [1, ["later"]]],
    },
    {
      name: "beyond the longest runtime timer",
      adds: [["month", MAX_TIMER_DELAY_MS + 86_400_000], ["soon", 1]],
      steps: [[1, ["soon"]], [MAX_TIMER_DELAY_MS, []], [86_400_000, ["month"]]],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      const clock = new FakeClock();
      const queue = new WorkQueue<string>({ clock });
      for (const [item, delayMs] of c.adds) queue.addAfter(item, delayMs);
      for (const [advanceMs, want] of c.steps) {
        clock.advance(advanceMs);
        const got: string[] = [];
        while (queue.len() > 0) {
          const item = (await queue.get())!;
          got.push(item);
          queue.done(item);
        }
        assert.deepEqual(got, want, `after ${clock.now()} ms`);
      }
      assert.equal(clock.pendingTimers, 0);
      queue.shutDown();
    });
  }
});

Deno.test("WorkQueue keeps at most one timer, and none when nothing is delayed", () => {
  const clock = new FakeClock();
  const queue = new WorkQueue<string>({ clock });
  queue.add("a");
  queue.addAfter("b", 0);
  assert.equal(clock.pendingTimers, 0, "no timer without delayed items");
  for (let i = 0; i < 50; i++) queue.addAfter(`k${i}`, 1_000 - i);
  assert.equal(clock.pendingTimers, 1, "one timer for 50 delayed items");
  clock.advance(960);
  assert.equal(queue.len(), 2 + 10);
  assert.equal(clock.pendingTimers, 1);
  clock.advance(40);
  assert.equal(queue.len(), 2 + 50);
  assert.equal(clock.pendingTimers, 0, "no timer once every delayed item is added");
  queue.addAfter("late", 5_000);
  assert.equal(clock.pendingTimers, 1);
  queue.shutDown();
  assert.equal(clock.pendingTimers, 0, "shutDown cancels the timer");
  queue.addAfter("after", 10);
  assert.equal(clock.pendingTimers, 0, "addAfter after shutDown is ignored");
  clock.advance(10_000);
  assert.equal(queue.len(), 52);
});

Deno.test("WorkQueue.addAfter() of a queued item still processes it once", async () => {
  const clock = new FakeClock();
  const queue = new WorkQueue<string>({ clock });
  queue.add("a");
  queue.addAfter("a", 10);
  clock.advance(10);
  assert.equal(queue.len(), 1);
  assert.equal(await queue.get(), "a");
  queue.shutDown();
});

Deno.test("WorkQueue.addAfter() drops delayed items at shutdown", async () => {
  const clock = new FakeClock();
  const queue = new WorkQueue<string>({ clock });
  queue.addAfter("a", 10);
  const drained = queue.shutDownWithDrain();
  clock.advance(20);
  await drained;
  assert.equal(await queue.get(), undefined);
  assert.equal(clock.pendingTimers, 0);
});

Deno.test("WorkQueue.addAfter() refuses a delay that is not a finite number", () => {
  const queue = new WorkQueue<string>({ clock: new FakeClock() });
  for (const delayMs of [NaN, Infinity]) {
    assert.throws(() => queue.addAfter("a", delayMs), {
      name: "RangeError",
      message: `Cannot add an item after ${delayMs} ms: expected a finite number`,
    });
  }
  queue.shutDown();
});

Deno.test("WorkQueue.addRateLimited() waits as the rate limiter says; forget() resets", async () => {
  const clock = new FakeClock();
  const queue = new WorkQueue<string>({
    clock,
    rateLimiter: new ItemFastSlowRateLimiter({
      fastDelayMs: 10,
      slowDelayMs: 1_000,
      maxFastAttempts: 1,
    }),
  });
  queue.addRateLimited("a");
  assert.equal(queue.numRequeues("a"), 1);
  clock.advance(9);
  assert.equal(queue.len(), 0);
  clock.advance(1);
  assert.equal(await queue.get(), "a");
  queue.done("a");
  queue.addRateLimited("a");
  assert.equal(queue.numRequeues("a"), 2);
  clock.advance(999);
  assert.equal(queue.len(), 0);
  clock.advance(1);
  assert.equal(queue.len(), 1);
  queue.forget("a");
  assert.equal(queue.numRequeues("a"), 0);
  queue.shutDown();
});

Deno.test("WorkQueue uses the default controller rate limiter: 5 ms, doubling", async () => {
  const clock = new FakeClock();
  const queue = new WorkQueue<string>({ clock });
  const delays: number[] = [];
  for (let i = 0; i < 4; i++) {
    const start = clock.now();
    queue.addRateLimited("a");
    while (queue.len() === 0) assert.ok(clock.runNext());
    delays.push(clock.now() - start);
    queue.done((await queue.get())!);
  }
  assert.deepEqual(delays, [5, 10, 20, 40]);
  assert.equal(queue.numRequeues("a"), 4);
  queue.shutDown();
});
