import assert from "node:assert/strict";
import type { LabelSelector } from "../api/types/meta_v1.ts";
import {
  CompiledLabelSelector,
  compileLabelSelector,
  labelSelectorErrors,
  labelSelectorFromSet,
  type LabelSet,
} from "./label_selector.ts";

Deno.test("compileLabelSelector() matches as upstream's LabelSelectorAsSelector", async (t) => {
  const cases: {
    name: string;
    selector: LabelSelector | null | undefined;
    labels: LabelSet | undefined;
    want: boolean;
  }[] = [
    { name: "null matches nothing", selector: null, labels: { a: "1" }, want: false },
    { name: "absent matches nothing", selector: undefined, labels: {}, want: false },
    { name: "empty matches everything", selector: {}, labels: { a: "1" }, want: true },
    { name: "empty matches no labels", selector: {}, labels: undefined, want: true },
    {
      name: "empty lists match everything",
      selector: { matchLabels: {}, matchExpressions: [] },
      labels: {},
      want: true,
    },
    {
      name: "matchLabels equal",
      selector: { matchLabels: { a: "1" } },
      labels: { a: "1" },
      want: true,
    },
    {
      name: "matchLabels other value",
      selector: { matchLabels: { a: "1" } },
      labels: { a: "2" },
      want: false,
    },
    { name: "matchLabels absent", selector: { matchLabels: { a: "1" } }, labels: {}, want: false },
    {
      name: "matchLabels are ANDed",
      selector: { matchLabels: { a: "1", b: "2" } },
      labels: { a: "1", b: "3" },
      want: false,
    },
    {
      name: "In with several values",
      selector: { matchExpressions: [{ key: "a", operator: "In", values: ["1", "2"] }] },
      labels: { a: "2" },
      want: true,
    },
    {
      name: "In with the label absent",
      selector: { matchExpressions: [{ key: "a", operator: "In", values: ["1"] }] },
      labels: { b: "1" },
      want: false,
    },
    {
      name: "NotIn with another value",
      selector: { matchExpressions: [{ key: "a", operator: "NotIn", values: ["1", "2"] }] },
      labels: { a: "3" },
      want: true,
    },
    {
      name: "NotIn with a listed value",
      selector: { matchExpressions: [{ key: "a", operator: "NotIn", values: ["1"] }] },
      labels: { a: "1" },
      want: false,
    },
    {
      name: "NotIn with the label absent",
      selector: { matchExpressions: [{ key: "a", operator: "NotIn", values: ["1"] }] },
      labels: undefined,
      want: true,
    },
    {
      name: "Exists",
      selector: { matchExpressions: [{ key: "a", operator: "Exists" }] },
      labels: { a: "" },
      want: true,
    },
    {
      name: "Exists absent",
      selector: { matchExpressions: [{ key: "a", operator: "Exists" }] },
      labels: {},
      want: false,
    },
    {
      name: "DoesNotExist",
      selector: { matchExpressions: [{ key: "a", operator: "DoesNotExist", values: [] }] },
      labels: { b: "1" },
      want: true,
    },
    {
      name: "DoesNotExist present",
      selector: { matchExpressions: [{ key: "a", operator: "DoesNotExist" }] },
      labels: { a: "1" },
      want: false,
    },
    {
      name: "matchLabels and matchExpressions are ANDed",
      selector: {
        matchLabels: { app: "web" },
        matchExpressions: [{ key: "tier", operator: "Exists" }],
      },
      labels: { app: "web" },
      want: false,
    },
    {
      name: "inherited object keys are not labels",
      selector: { matchExpressions: [{ key: "constructor", operator: "Exists" }] },
      labels: {},
      want: false,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.equal(compileLabelSelector(c.selector).matches(c.labels), c.want);
    });
  }
});

Deno.test("compileLabelSelector() refuses invalid selectors with a TypeError", async (t) => {
  const cases: { name: string; selector: LabelSelector; error: RegExp }[] = [
    {
      name: "unknown operator",
      selector: { matchExpressions: [{ key: "a", operator: "Gt", values: ["1"] }] },
      error: /matchExpressions\[0\]\.operator: "Gt" is not a valid label selector operator/,
    },
    {
      name: "In without values",
      selector: { matchExpressions: [{ key: "a", operator: "In", values: [] }] },
      error: /values set can't be empty/,
    },
    {
      name: "Exists with values",
      selector: { matchExpressions: [{ key: "a", operator: "Exists", values: ["x"] }] },
      error: /values set must be empty for exists and does not exist/,
    },
    {
      name: "invalid key",
      selector: { matchExpressions: [{ key: "a b", operator: "Exists" }] },
      error: /matchExpressions\[0\]\.key: Invalid value: "a b"/,
    },
    {
      name: "invalid matchLabels value",
      selector: { matchLabels: { a: "-x-" } },
      error: /matchLabels\[a\]: Invalid value: "-x-"/,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.throws(() => compileLabelSelector(c.selector), TypeError);
      assert.throws(() => compileLabelSelector(c.selector), c.error);
      assert.ok(labelSelectorErrors(c.selector).length > 0);
    });
  }
  assert.deepEqual(labelSelectorErrors({ matchLabels: { "example.com/a": "b" } }), []);
});

Deno.test("CompiledLabelSelector tells empty from nothing, as upstream's Empty()", () => {
  assert.ok(compileLabelSelector({}).isEmpty);
  assert.ok(!compileLabelSelector(null).isEmpty);
  assert.ok(compileLabelSelector(null).isNothing);
  assert.ok(!compileLabelSelector({ matchLabels: { a: "1" } }).isEmpty);
  assert.equal(compileLabelSelector({}), CompiledLabelSelector.EVERYTHING, "compiled once");
});

Deno.test("CompiledLabelSelector.withRequirements() ANDs requirements once", () => {
  const base = compileLabelSelector({ matchLabels: { app: "web" } });
  const extra = [{ key: "hash", operator: "In" as const, values: ["abc"] }];
  const merged = base.withRequirements(extra);
  assert.equal(merged.requirements.length, 2);
  assert.ok(merged.matches({ app: "web", hash: "abc" }));
  assert.ok(!merged.matches({ app: "web", hash: "def" }));
  assert.equal(merged.withRequirements(extra), merged, "an existing requirement is not repeated");
  assert.equal(
    CompiledLabelSelector.NOTHING.withRequirements(extra),
    CompiledLabelSelector.NOTHING,
  );
  assert.ok(CompiledLabelSelector.EVERYTHING.withRequirements(extra).matches({ hash: "abc" }));
});

Deno.test("labelSelectorFromSet() requires every label of the set", () => {
  const selector = labelSelectorFromSet({ app: "web", tier: "front" });
  assert.ok(selector.matches({ app: "web", tier: "front", x: "y" }));
  assert.ok(!selector.matches({ app: "web" }));
  assert.ok(labelSelectorFromSet({}).isEmpty);
});
