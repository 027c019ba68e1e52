import assert from "node:assert/strict";
import { Widget } from "./_test_schemas.ts";
import { compareValues } from "./compare.ts";
import { atomOf } from "./schema_atoms.ts";

const widget = atomOf(Widget);

Deno.test("compareValues() tells added, modified and removed fields apart", async (t) => {
  const cases: {
    name: string;
    before: Record<string, unknown>;
    after: Record<string, unknown>;
    added?: unknown;
    modified?: unknown;
    removed?: unknown;
  }[] = [
    {
      name: "a changed scalar is modified",
      before: { replicas: 1 },
      after: { replicas: 2 },
      modified: { "f:replicas": {} },
    },
    { name: "an equal scalar is nothing", before: { replicas: 1 }, after: { replicas: 1 } },
    {
      name: "a new map is added with its entries",
      before: {},
      after: { labels: { a: "1" } },
      added: { "f:labels": { ".": {}, "f:a": {} } },
    },
    {
      name: "an entry of an existing map is added alone",
      before: { labels: { a: "1" } },
      after: { labels: { a: "1", b: "2" } },
      added: { "f:labels": { "f:b": {} } },
    },
    {
      name: "a map that was null gains entries but is not added itself",
      before: { labels: null },
      after: { labels: { a: "1" } },
      added: { "f:labels": { "f:a": {} } },
    },
    {
      name: "an empty map that appears is a leaf",
      before: {},
      after: { labels: {} },
      added: { "f:labels": {} },
    },
    {
      name: "null and empty are different leaves",
      before: { labels: null },
      after: { labels: {} },
      modified: { "f:labels": {} },
    },
    {
      name: "an atomic struct changes as a whole",
      before: { selector: { match: { a: "1" } } },
      after: { selector: { match: { a: "2" } } },
      modified: { "f:selector": {} },
    },
    {
      name: "an atomic list changes as a whole",
      before: { args: ["a"] },
      after: { args: ["a", "b"] },
      modified: { "f:args": {} },
    },
    {
      name: "set items come and go by value",
      before: { tags: ["a", "b"] },
      after: { tags: ["b", "c"] },
      added: { "f:tags": { 'v:"c"': {} } },
      removed: { "f:tags": { 'v:"a"': {} } },
    },
    {
      name: "keyed items compare field by field",
      before: { items: [{ name: "a", value: "1" }, { name: "b" }] },
      after: { items: [{ name: "b" }, { name: "a", value: "2" }, { name: "c" }] },
      added: { "f:items": { 'k:{"name":"c"}': { ".": {}, "f:name": {} } } },
      modified: { "f:items": { 'k:{"name":"a"}': { "f:value": {} } } },
    },
    {
      name: "a removed item goes with its fields",
      before: { items: [{ name: "a", value: "1" }] },
      after: {},
      removed: {
        "f:items": { ".": {}, 'k:{"name":"a"}': { ".": {}, "f:name": {}, "f:value": {} } },
      },
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const r = compareValues({ before: { spec: c.before }, after: { spec: c.after } }, widget);
      const wrap = (x: unknown) => (x === undefined ? {} : { "f:spec": x });
      assert.deepEqual(r.added.toFieldsV1(), wrap(c.added));
      assert.deepEqual(r.modified.toFieldsV1(), wrap(c.modified));
      assert.deepEqual(r.removed.toFieldsV1(), wrap(c.removed));
    });
  }
});

Deno.test("compareValues() of a create: a new object is added field by field, not as a whole", () => {
  const r = compareValues({ before: undefined, after: { spec: { replicas: 1 } } }, widget);
  assert.deepEqual(r.added.toFieldsV1(), { "f:spec": { ".": {}, "f:replicas": {} } });
});
