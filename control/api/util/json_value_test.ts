import assert from "node:assert/strict";
import { isJsonObject, jsonClone, jsonEqual } from "./json_value.ts";

Deno.test("jsonEqual() ignores key order and undefined members, not array order", () => {
  assert.equal(jsonEqual({ a: 1, b: { c: [1, 2] } }, { b: { c: [1, 2] }, a: 1 }), true);
  assert.equal(jsonEqual({ a: 1, x: undefined }, { a: 1 }), true);
  assert.equal(jsonEqual([1, 2], [2, 1]), false);
  assert.equal(jsonEqual({ a: 1 }, { a: 1, b: 2 }), false);
  assert.equal(jsonEqual({ a: [] }, { a: {} }), false);
  assert.equal(jsonEqual(null, {}), false);
  assert.equal(jsonEqual("1", 1), false);
});

Deno.test("jsonClone() copies deeply and isJsonObject() tells objects from arrays", () => {
  const a = { x: { y: [1] } };
  const b = jsonClone(a);
  b.x.y.push(2);
  assert.deepEqual(a.x.y, [1]);
  assert.equal(isJsonObject({}), true);
  assert.equal(isJsonObject([]), false);
  assert.equal(isJsonObject(null), false);
});
