import assert from "node:assert/strict";
import { FakeClock, MAX_TIMER_DELAY_MS, setTimeoutAt, systemClock } from "./clock.ts";

Deno.test("FakeClock.now() starts at the given time and only moves on advance()", () => {
  const clock = new FakeClock(5_000);
  assert.equal(clock.now(), 5_000);
  clock.advance(250);
  assert.equal(clock.now(), 5_250);
});

Deno.test("FakeClock.advance() fires due timers in due order, then scheduling order", () => {
  const clock = new FakeClock();
  const fired: string[] = [];
  clock.setTimeout(() => fired.push(`c@${clock.now()}`), 30);
  clock.setTimeout(() => fired.push(`a@${clock.now()}`), 10);
  clock.setTimeout(() => fired.push(`b@${clock.now()}`), 10);
  clock.setTimeout(() => fired.push(`late@${clock.now()}`), 31);
  clock.advance(30);
  assert.deepEqual(fired, ["a@10", "b@10", "c@30"]);
  assert.equal(clock.pendingTimers, 1);
  assert.equal(clock.now(), 30);
});

Deno.test("FakeClock.advance() fires timers scheduled by timers when they fall due", () => {
  const clock = new FakeClock();
  const fired: number[] = [];
  clock.setTimeout(() => {
    fired.push(clock.now());
    clock.setTimeout(() => fired.push(clock.now()), 5);
    clock.setTimeout(() => fired.push(clock.now()), 500);
  }, 10);
  clock.advance(100);
  assert.deepEqual(fired, [10, 15]);
  assert.equal(clock.pendingTimers, 1);
});

Deno.test("FakeClock.setTimeout() handle cancel() stops the timer", () => {
  const clock = new FakeClock();
  let fired = false;
  const handle = clock.setTimeout(() => fired = true, 10);
  handle.cancel();
  handle.cancel();
  clock.advance(20);
  assert.equal(fired, false);
  assert.equal(clock.pendingTimers, 0);
});

Deno.test("FakeClock.advance() refuses a negative or non-finite step", () => {
  const clock = new FakeClock();
  assert.throws(() => clock.advance(-1), RangeError);
  assert.throws(() => clock.advance(Number.NaN), RangeError);
});

Deno.test("FakeClock.runNext() jumps to the next timer", () => {
  const clock = new FakeClock();
  let fired = 0;
  clock.setTimeout(() => fired++, 1_000);
  assert.equal(clock.runNext(), true);
  assert.equal(fired, 1);
  assert.equal(clock.now(), 1_000);
  assert.equal(clock.runNext(), false);
});

Deno.test("FakeClock.sleep() resolves once the clock passes the delay", async () => {
  const clock = new FakeClock();
  let done = false;
  const slept = clock.sleep(100).then(() => done = true);
  clock.advance(99);
  await Promise.resolve();
  assert.equal(done, false);
  clock.advance(1);
  await slept;
  assert.equal(done, true);
});

Deno.test("FakeClock.sleep() rejects with the abort reason and cancels its timer", async () => {
  const clock = new FakeClock();
  const controller = new AbortController();
  const slept = clock.sleep(100, controller.signal);
  controller.abort(new Error("stop"));
  await assert.rejects(slept, { message: "stop" });
  assert.equal(clock.pendingTimers, 0);
});

Deno.test("FakeClock.sleep() rejects at once when the signal is already aborted", async () => {
  const clock = new FakeClock();
  await assert.rejects(clock.sleep(10, AbortSignal.abort(new Error("gone"))), { message: "gone" });
  assert.equal(clock.pendingTimers, 0);
});

Deno.test("systemClock.sleep() waits in real time and can be aborted", async () => {
  const start = systemClock.now();
  await systemClock.sleep(5);
  assert.ok(systemClock.now() - start >= 4);
  const controller = new AbortController();
  const slept = systemClock.sleep(60_000, controller.signal);
  controller.abort(new Error("cancelled"));
  await assert.rejects(slept, { message: "cancelled" });
});

Deno.test("systemClock.setTimeout() handle cancel() stops the timer", async () => {
  let fired = false;
  systemClock.setTimeout(() => fired = true, 1).cancel();
  await systemClock.sleep(5);
  assert.equal(fired, false);
});

Deno.test("setTimeoutAt() chains timers past the 32-bit limit and fires once, at the time", () => {
  const clock = new FakeClock(0);
  const year = 365 * 86_400_000;
  const fired: number[] = [];
  setTimeoutAt(clock, { atMs: year, run: () => fired.push(clock.now()) });
  let wakes = 0;
  while (clock.runNext()) wakes++;
  assert.deepEqual(fired, [year]);
  assert.equal(wakes, Math.ceil(year / MAX_TIMER_DELAY_MS));
});

Deno.test("setTimeoutAt() handle cancel() stops the chain at any link", () => {
  const clock = new FakeClock(0);
  let fired = false;
  const h = setTimeoutAt(clock, { atMs: 3 * MAX_TIMER_DELAY_MS, run: () => fired = true });
  clock.advance(MAX_TIMER_DELAY_MS + 1);
  h.cancel();
  clock.advance(3 * MAX_TIMER_DELAY_MS);
  assert.equal(fired, false);
});

Deno.test("setTimeoutAt() for a time already past fires on the next turn of the clock", () => {
  const clock = new FakeClock(1_000);
  let fired = false;
  setTimeoutAt(clock, { atMs: 10, run: () => fired = true });
  assert.equal(fired, false);
  clock.advance(0);
  assert.equal(fired, true);
});
