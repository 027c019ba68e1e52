import assert from "node:assert/strict";
import {
  fromLabelSelectorObject,
  parseLabelSelector,
  SelectorParseError,
} from "./label_selector.ts";

Deno.test("parseLabelSelector() parses every operator", async (t) => {
  const cases: [string, Record<string, string>, boolean][] = [
    ["app=web", { app: "web" }, true],
    ["app==web", { app: "web" }, true],
    ["app=web", { app: "db" }, false],
    ["app!=web", { app: "db" }, true],
    ["app!=web", {}, true],
    ["app!=web", { app: "web" }, false],
    ["tier in (a, b)", { tier: "b" }, true],
    ["tier in (a,b)", { tier: "c" }, false],
    ["tier in (a,b)", {}, false],
    ["tier notin (a,b)", {}, true],
    ["tier notin (a,b)", { tier: "a" }, false],
    ["app", { app: "" }, true],
    ["app", {}, false],
    ["!app", {}, true],
    ["!app", { app: "x" }, false],
    ["n>3", { n: "4" }, true],
    ["n<3", { n: "4" }, false],
    ["app=web, tier in (a), !legacy", { app: "web", tier: "a" }, true],
    ["app=web,tier in (a),!legacy", { app: "web", tier: "a", legacy: "1" }, false],
    ["app.kubernetes.io/name=skiff", { "app.kubernetes.io/name": "skiff" }, true],
    ["app=", { app: "" }, true],
    ["", { any: "thing" }, true],
  ];
  for (const [sel, labels, want] of cases) {
    await t.step(`${sel} on ${JSON.stringify(labels)}`, () => {
      assert.equal(parseLabelSelector(sel).matches(labels), want);
    });
  }
});

Deno.test("parseLabelSelector() refuses malformed selectors", async (t) => {
  for (
    const bad of [
      "app=web=x",
      "tier in a",
      "tier in (a",
      "=x",
      "a b",
      "Bad Key=1",
      "a=b c",
      "n>x",
      "app=-x",
    ]
  ) {
    await t.step(bad, () => assert.throws(() => parseLabelSelector(bad), SelectorParseError));
  }
});

Deno.test("LabelMatcher.toString() renders the canonical form", () => {
  assert.equal(parseLabelSelector("a=1,b in (y,x),!c,d").toString(), "a=1,b in (x,y),!c,d");
});

Deno.test("fromLabelSelectorObject() follows LabelSelectorAsSelector", () => {
  assert.equal(fromLabelSelectorObject(null), null);
  assert.equal(fromLabelSelectorObject({})!.matches({ x: "y" }), true);
  const sel = fromLabelSelectorObject({
    matchLabels: { app: "web" },
    matchExpressions: [
      { key: "tier", operator: "In", values: ["front"] },
      { key: "old", operator: "DoesNotExist" },
    ],
  })!;
  assert.equal(sel.matches({ app: "web", tier: "front" }), true);
  assert.equal(sel.matches({ app: "web", tier: "front", old: "1" }), false);
  assert.throws(
    () => fromLabelSelectorObject({ matchExpressions: [{ key: "a", operator: "Gt" }] }),
    SelectorParseError,
  );
});
