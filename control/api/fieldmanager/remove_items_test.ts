import assert from "node:assert/strict";
import { Widget } from "./_test_schemas.ts";
import { FieldSet } from "./field_set.ts";
import { fieldElement as f, keyElement, valueElement } from "./path_element.ts";
import { ensureNamedFieldsAreMembers, removeItems } from "./remove_items.ts";
import { atomOf } from "./schema_atoms.ts";

const atom = atomOf(Widget);
const spec = f("spec");

Deno.test("removeItems() drops members with what is below them", async (t) => {
  const value = {
    spec: {
      replicas: 1,
      labels: { a: "1", b: "2" },
      tags: ["x", "y"],
      items: [{ name: "a", value: "1" }, { name: "b", value: "2" }],
    },
  };
  const cases: { name: string; set: FieldSet; out: unknown }[] = [
    {
      name: "a scalar",
      set: FieldSet.of([spec, f("replicas")]),
      out: { spec: { ...value.spec, replicas: undefined } },
    },
    {
      name: "a map entry",
      set: FieldSet.of([spec, f("labels"), f("a")]),
      out: { spec: { ...value.spec, labels: { b: "2" } } },
    },
    {
      name: "a set item",
      set: FieldSet.of([spec, f("tags"), valueElement("x")]),
      out: { spec: { ...value.spec, tags: ["y"] } },
    },
    {
      name: "a keyed item",
      set: FieldSet.of([spec, f("items"), keyElement([["name", "a"]])]),
      out: { spec: { ...value.spec, items: [{ name: "b", value: "2" }] } },
    },
    {
      name: "a field of a keyed item",
      set: FieldSet.of([spec, f("items"), keyElement([["name", "b"]]), f("value")]),
      out: { spec: { ...value.spec, items: [{ name: "a", value: "1" }, { name: "b" }] } },
    },
    {
      name: "a map emptied of its entries becomes null",
      set: FieldSet.of([spec, f("labels"), f("a")], [spec, f("labels"), f("b")]),
      out: { spec: { ...value.spec, labels: null } },
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.deepEqual(removeItems(value, { set: c.set, atom }), JSON.parse(JSON.stringify(c.out)));
    });
  }
  await t.step("the value itself is left alone", () => {
    assert.deepEqual(value.spec.labels, { a: "1", b: "2" });
  });
});

Deno.test("ensureNamedFieldsAreMembers() makes struct fields leading to members members", () => {
  const set = FieldSet.of(
    [spec, f("labels"), f("a")],
    [spec, f("items"), keyElement([["name", "a"]]), f("value")],
    [spec, f("raw"), f("x"), f("y")],
  );
  assert.deepEqual(ensureNamedFieldsAreMembers(set, atom).toFieldsV1(), {
    "f:spec": {
      ".": {},
      // labels is a struct field; its keys are map keys, not named fields.
      "f:labels": { ".": {}, "f:a": {} },
      "f:items": { ".": {}, 'k:{"name":"a"}': { "f:value": {} } },
      "f:raw": { ".": {}, "f:x": { "f:y": {} } },
    },
  });
});
