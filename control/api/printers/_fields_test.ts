import assert from "node:assert/strict";
import {
  arr,
  bool,
  dig,
  int,
  nameOf,
  obj,
  optBool,
  optInt,
  optStr,
  present,
  str,
  stringMap,
} from "./_fields.ts";

Deno.test("field readers return Go zero values for missing or mistyped fields", () => {
  assert.deepEqual(obj([1]), {});
  assert.deepEqual(obj(null), {});
  assert.deepEqual(obj({ a: 1 }), { a: 1 });
  assert.deepEqual(arr("x"), []);
  assert.deepEqual(arr([1, 2]), [1, 2]);
  assert.equal(str(5), "");
  assert.equal(str("x"), "x");
  assert.equal(optStr(5), undefined);
  assert.equal(int("3"), 0);
  assert.equal(int(3.9), 3);
  assert.equal(int(Number.NaN), 0);
  assert.equal(optInt(undefined), undefined);
  assert.equal(optInt(0), 0);
  assert.equal(bool("true"), false);
  assert.equal(bool(true), true);
  assert.equal(optBool(false), false);
  assert.equal(optBool(null), undefined);
  assert.equal(present(null), false);
  assert.equal(present(0), true);
});

Deno.test("dig() walks nested objects and stops at missing steps", () => {
  const o = { spec: { template: { spec: { nodeName: "n1" } } }, list: [1] };
  assert.equal(dig(o, "spec", "template", "spec", "nodeName"), "n1");
  assert.equal(dig(o, "spec", "missing", "x"), undefined);
  assert.equal(dig(o, "list", "0"), undefined);
  assert.equal(dig(o, "toString"), undefined);
});

Deno.test("stringMap() keeps string values and nameOf() reads metadata.name", () => {
  assert.deepEqual(stringMap({ a: "1", b: 2 }), { a: "1" });
  assert.equal(nameOf({ metadata: { name: "web" } }), "web");
  assert.equal(nameOf({}), "");
});
