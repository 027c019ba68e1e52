import assert from "node:assert/strict";
import { DelayHeap } from "./_delay_heap.ts";

function drain<T>(heap: DelayHeap<T>, nowMs: number): T[] {
  const out: T[] = [];
  for (let item = heap.popDue(nowMs); item !== undefined; item = heap.popDue(nowMs)) {
    out.push(item);
  }
  return out;
}

Deno.test("DelayHeap.popDue() yields items by due time, then by first add", async (t) => {
  const cases: { name: string; pushes: [string, number][]; nowMs: number; want: string[] }[] = [
    { name: "empty", pushes: [], nowMs: 100, want: [] },
    {
      name: "by due time",
      pushes: [["c", 30], ["a", 10], ["b", 20]],
      nowMs: 100,
      want: ["a", "b", "c"],
    },
    {
      name: "ties in insertion order",
      pushes: [["x", 10], ["y", 10], ["z", 10], ["w", 5]],
      nowMs: 10,
      want: ["w", "x", "y", "z"],
    },
    {
      name: "only what is due",
      pushes: [["a", 10], ["b", 11], ["c", 9]],
      nowMs: 10,
      want: ["c", "a"],
    },
    {
      name: "re-adding earlier moves the item forward",
      pushes: [["a", 10], ["b", 20], ["b", 5]],
      nowMs: 100,
      want: ["b", "a"],
    },
    {
      name: "re-adding later keeps the earlier due time",
      pushes: [["a", 10], ["b", 20], ["a", 30]],
      nowMs: 20,
      want: ["a", "b"],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const heap = new DelayHeap<string>();
      for (const [item, dueMs] of c.pushes) heap.push(item, dueMs);
      assert.deepEqual(drain(heap, c.nowMs), c.want);
    });
  }
});

Deno.test("DelayHeap.push() reports when the earliest due time changes", () => {
  const heap = new DelayHeap<string>();
  assert.equal(heap.push("a", 10), true);
  assert.equal(heap.push("b", 20), false);
  assert.equal(heap.push("a", 15), false);
  assert.equal(heap.push("b", 5), true);
  assert.equal(heap.peekDueMs(), 5);
  assert.equal(heap.size, 2);
  assert.equal(heap.has("a"), true);
  heap.clear();
  assert.equal(heap.size, 0);
  assert.equal(heap.has("a"), false);
  assert.equal(heap.peekDueMs(), undefined);
});

Deno.test("DelayHeap keeps heap order over many mixed operations", () => {
  const heap = new DelayHeap<number>();
  // A fixed pseudo-random sequence (no Math.random in tests).
  let seed = 12345;
  function next(): number {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed;
  }
  const due = new Map<number, number>();
  for (let i = 0; i < 500; i++) {
    const item = next() % 200;
    const dueMs = next() % 10_000;
    heap.push(item, dueMs);
    due.set(item, Math.min(due.get(item) ?? Infinity, dueMs));
  }
  const out = drain(heap, Infinity);
  assert.equal(out.length, due.size);
  const times = out.map((item) => due.get(item)!);
  assert.deepEqual(times, [...times].sort((a, b) => a - b));
});
