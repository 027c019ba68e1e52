import assert from "node:assert/strict";
import { compileSelector, hasLabels } from "./_label_selector.ts";

Deno.test("compileSelector() matches matchLabels and matchExpressions together", async (t) => {
  const selector = compileSelector({
    matchLabels: { app: "web" },
    matchExpressions: [
      { key: "tier", operator: "In", values: ["front", "edge"] },
      { key: "canary", operator: "DoesNotExist" },
      { key: "zone", operator: "NotIn", values: ["b"] },
      { key: "team", operator: "Exists" },
    ],
  });
  const cases: [string, Record<string, string> | undefined, boolean][] = [
    ["all hold", { app: "web", tier: "edge", team: "x" }, true],
    ["NotIn holds for another value", { app: "web", tier: "edge", team: "x", zone: "a" }, true],
    ["NotIn fails", { app: "web", tier: "edge", team: "x", zone: "b" }, false],
    ["In fails", { app: "web", tier: "back", team: "x" }, false],
    ["DoesNotExist fails", { app: "web", tier: "front", team: "x", canary: "" }, false],
    ["Exists fails", { app: "web", tier: "front" }, false],
    ["matchLabels fails", { app: "db", tier: "front", team: "x" }, false],
    ["no labels", undefined, false],
  ];
  for (const [name, labels, want] of cases) {
    await t.step(name, () => assert.equal(selector.matches(labels), want));
  }
  assert.equal(selector.empty, false);
});

Deno.test("compileSelector() of {} matches everything and of nothing matches nothing", () => {
  assert.equal(compileSelector({}).matches(undefined), true);
  assert.equal(compileSelector({}).empty, true);
  assert.equal(compileSelector(undefined).matches({ a: "b" }), false);
  assert.equal(compileSelector(null).empty, false);
});

Deno.test("compileSelector() refuses malformed expressions", async (t) => {
  const cases = [
    { expr: { key: "a", operator: "In", values: [] }, error: /"a" In needs at least one value/ },
    { expr: { key: "a", operator: "Exists", values: ["x"] }, error: /"a" Exists takes no values/ },
    { expr: { key: "a", operator: "Gt", values: ["1"] }, error: /"Gt" is not a valid/ },
  ];
  for (const c of cases) {
    await t.step(c.expr.operator, () => {
      assert.throws(() => compileSelector({ matchExpressions: [c.expr] }), c.error);
    });
  }
});

Deno.test("hasLabels() checks a subset of labels", () => {
  assert.equal(hasLabels({ a: "1", b: "2" }, { a: "1" }), true);
  assert.equal(hasLabels({ a: "1" }, { a: "1", b: "2" }), false);
  assert.equal(hasLabels(undefined, undefined), true);
  assert.equal(hasLabels({ a: "2" }, { a: "1" }), false);
});
