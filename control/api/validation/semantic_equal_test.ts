import assert from "node:assert/strict";
import { semanticEqual, zeroValueEqual } from "./semantic_equal.ts";

Deno.test("semanticEqual() treats absent, empty lists and empty maps alike", () => {
  assert.equal(semanticEqual(undefined, []), true);
  assert.equal(semanticEqual({}, null), true);
  assert.equal(semanticEqual({ a: [1] }, { a: [1], b: undefined }), true);
  assert.equal(semanticEqual({ a: 1 }, { a: 2 }), false);
  assert.equal(semanticEqual("", undefined), false);
});

Deno.test("semanticEqual() compares lists in order and scalars exactly", async (t) => {
  const cases: [string, unknown, unknown, boolean][] = [
    ["same list", [1, { a: "x" }], [1, { a: "x" }], true],
    ["reordered list", [1, 2], [2, 1], false],
    ["list and map", [], { 0: 1 }, false],
    ["absent pointer and zero", { replicas: 0 }, {}, false],
    ["nested empty map", { spec: { labels: {} } }, { spec: {} }, true],
    ["false and absent", { suspend: false }, {}, false],
  ];
  for (const [name, a, b, want] of cases) {
    await t.step(name, () => {
      assert.equal(semanticEqual(a, b), want);
      assert.equal(semanticEqual(b, a), want);
    });
  }
});

Deno.test("zeroValueEqual() also equates absent fields with their zero values", async (t) => {
  const cases: [string, unknown, unknown, boolean][] = [
    ["zero number", { minReadySeconds: 0 }, {}, true],
    ["empty string", { serviceName: "" }, {}, true],
    ["false", { suspend: false }, {}, true],
    ["struct of zero values", { template: { spec: { hostNetwork: false } } }, {}, true],
    ["a set value", { replicas: 1 }, {}, false],
    ["different strings", { a: "x" }, { a: "y" }, false],
  ];
  for (const [name, a, b, want] of cases) {
    await t.step(name, () => {
      assert.equal(zeroValueEqual(a, b), want);
      assert.equal(zeroValueEqual(b, a), want);
    });
  }
});
