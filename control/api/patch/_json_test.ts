import assert from "node:assert/strict";
import { cloneJson, deeperThan, jsonByteLength, jsonEqual, setOwn } from "./_json.ts";

Deno.test("cloneJson() copies deeply without sharing", () => {
  const v = { a: [1, { b: "c" }], d: null, e: { f: true } };
  const c = cloneJson(v) as typeof v;
  assert.deepEqual(c, v);
  assert.notEqual(c.a, v.a);
  assert.notEqual(c.a[1], v.a[1]);
  assert.notEqual(c.e, v.e);
});

Deno.test("cloneJson() copies a document nested 100000 deep", () => {
  let v: unknown = 1;
  for (let i = 0; i < 100_000; i++) v = { a: [v] };
  const c = cloneJson(v);
  assert.notEqual(c, v);
  assert.equal(deeperThan(c, 199_999), true);
  assert.equal(deeperThan(c, 200_000), false);
});

Deno.test("cloneJson() and setOwn() keep __proto__ a plain key", () => {
  const c = cloneJson(JSON.parse('{"__proto__":{"x":1}}')) as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(c), Object.prototype);
  assert.deepEqual(Object.getOwnPropertyDescriptor(c, "__proto__")?.value, { x: 1 });
  const o: Record<string, unknown> = {};
  setOwn(o, ["__proto__", 2]);
  assert.equal(Object.getPrototypeOf(o), Object.prototype);
  assert.equal(Object.getOwnPropertyDescriptor(o, "__proto__")?.value, 2);
});

Deno.test("deeperThan() counts objects and arrays, not scalars", async (t) => {
  const cases: [unknown, number, boolean][] = [
    [1, 0, false],
    [{}, 0, true],
    [{}, 1, false],
    [{ a: [{}] }, 2, true],
    [{ a: [{}] }, 3, false],
  ];
  for (const [v, limit, want] of cases) {
    await t.step(`${JSON.stringify(v)} > ${limit}`, () => assert.equal(deeperThan(v, limit), want));
  }
});

Deno.test("jsonEqual() compares structurally, ignoring key order", () => {
  assert.equal(jsonEqual({ a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1 }), true);
  assert.equal(jsonEqual({ a: 1 }, { a: 1, b: 2 }), false);
  assert.equal(jsonEqual([1, 2], [2, 1]), false);
  assert.equal(jsonEqual({}, []), false);
  assert.equal(jsonEqual(null, {}), false);
  assert.equal(jsonEqual({ hasOwnProperty: 1 }, { hasOwnProperty: 1 }), true);
});

Deno.test("jsonByteLength() counts UTF-8 bytes of the JSON text", () => {
  assert.equal(jsonByteLength({ a: "x" }), 9);
  assert.equal(jsonByteLength("é"), 4);
  assert.equal(jsonByteLength("😀"), 6);
  assert.equal(jsonByteLength(null), 4);
});
