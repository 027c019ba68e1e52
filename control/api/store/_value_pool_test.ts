import assert from "node:assert/strict";
import { ValuePool } from "./_value_pool.ts";

Deno.test("ValuePool.value() hands back the first of equal values, frozen", () => {
  const pool = new ValuePool();
  const first = { requests: { cpu: "100m" }, limits: [1, 2] };
  const second = { requests: { cpu: "100m" }, limits: [1, 2] };
  assert.equal(pool.value(first), first);
  assert.equal(pool.value(second), first);
  assert.ok(
    Object.isFrozen(first) && Object.isFrozen(first.requests) && Object.isFrozen(first.limits),
  );
  assert.equal(Object.isFrozen(second), false);
});

Deno.test("ValuePool.value() tells apart values that differ in keys, order or undefined", async (t) => {
  const cases: [string, unknown, unknown][] = [
    ["another value", { a: "x" }, { a: "y" }],
    ["another key order", { a: 1, b: 2 }, { b: 2, a: 1 }],
    ["an undefined property and a missing one", { a: undefined }, {}],
    ["an array and an object", [1], { 0: 1 }],
  ];
  for (const [name, a, b] of cases) {
    await t.step(name, () => {
      const pool = new ValuePool();
      assert.equal(pool.value(a), a);
      assert.equal(pool.value(b), b);
    });
  }
});

Deno.test("ValuePool.string() shares equal strings; primitives pass through", () => {
  const pool = new ValuePool();
  const a = ["kube", "system"].join("-");
  const b = ["kube", "system"].join("-");
  assert.equal(pool.string(a), a);
  assert.equal(pool.value(b), a);
  assert.equal(pool.value(3), 3);
  assert.equal(pool.value(null), null);
  assert.equal(pool.value(undefined), undefined);
  assert.deepEqual(pool.size, { strings: 1, values: 0 });
});

Deno.test("ValuePool stays within its bounds and skips values too long to key", () => {
  const pool = new ValuePool({ maxStrings: 2, maxValues: 2, maxValueChars: 20 });
  for (let i = 0; i < 10; i++) {
    pool.string(`s${i}`);
    pool.value({ i });
  }
  assert.ok(pool.size.strings <= 2 && pool.size.values <= 2);
  const long = { text: "x".repeat(30) };
  assert.equal(pool.value(long), long);
  assert.equal(pool.value({ text: "x".repeat(30) }) === long, false);
  assert.ok(Object.isFrozen(long));
});
