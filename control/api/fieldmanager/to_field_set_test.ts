import assert from "node:assert/strict";
import { Deployment } from "../types/apps_v1.ts";
import { ConfigMap } from "../types/core_v1_config.ts";
import { OpenWidget, Widget } from "./_test_schemas.ts";
import { atomOf } from "./schema_atoms.ts";
import { toFieldSet, validationErrorsText } from "./to_field_set.ts";

const widget = atomOf(Widget);

Deno.test("toFieldSet() owns what a configuration sets, by relationship", async (t) => {
  const cases: { name: string; spec: Record<string, unknown>; fields: Record<string, unknown> }[] =
    [
      {
        name: "scalars are leaves",
        spec: { replicas: 2, paused: false },
        fields: { "f:paused": {}, "f:replicas": {} },
      },
      {
        name: "an atomic struct is a leaf",
        spec: { selector: { match: { a: "b" } } },
        fields: { "f:selector": {} },
      },
      {
        name: "map entries are members",
        spec: { labels: { a: "1", b: "2" } },
        fields: { "f:labels": { "f:a": {}, "f:b": {} } },
      },
      { name: "an atomic map is a leaf", spec: { flags: { a: "1" } }, fields: { "f:flags": {} } },
      {
        name: "a map entry holding a map is a member with children",
        spec: { nested: { x: { y: "1" } } },
        fields: { "f:nested": { "f:x": { ".": {}, "f:y": {} } } },
      },
      {
        name: "set items by value",
        spec: { tags: ["b", "a"] },
        fields: { "f:tags": { 'v:"a"': {}, 'v:"b"': {} } },
      },
      { name: "an atomic list is a leaf", spec: { args: ["x"] }, fields: { "f:args": {} } },
      {
        name: "keyed items and their fields",
        spec: { items: [{ name: "a", value: "1" }] },
        fields: { "f:items": { 'k:{"name":"a"}': { ".": {}, "f:name": {}, "f:value": {} } } },
      },
      {
        name: "a key field defaulted by the schema",
        spec: { items: [{ name: "a", ports: [{ port: 80 }] }] },
        fields: {
          "f:items": {
            'k:{"name":"a"}': {
              ".": {},
              "f:name": {},
              "f:ports": { 'k:{"port":80,"protocol":"TCP"}': { ".": {}, "f:port": {} } },
            },
          },
        },
      },
      {
        name: "a list keyed by its patch merge key",
        spec: { merged: [{ name: "a" }] },
        fields: { "f:merged": { 'k:{"name":"a"}': { ".": {}, "f:name": {} } } },
      },
      {
        name: "a merge list of scalars is a set",
        spec: { finalizers: ["x"] },
        fields: { "f:finalizers": { 'v:"x"': {} } },
      },
      {
        name: "a list without tags is atomic",
        spec: { plain: [{ name: "a" }] },
        fields: { "f:plain": {} },
      },
      {
        name: "untyped maps are granular, lists atomic",
        spec: { raw: { a: { b: 1 }, c: [1, 2] } },
        fields: { "f:raw": { "f:a": { ".": {}, "f:b": {} }, "f:c": {} } },
      },
      { name: "an empty struct is a member", spec: { labels: {} }, fields: { "f:labels": {} } },
      { name: "null is a member", spec: { replicas: null }, fields: { "f:replicas": {} } },
      { name: "an empty keyed list owns nothing", spec: { items: [] }, fields: {} },
    ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const { set, errors } = toFieldSet({ spec: c.spec }, { atom: widget });
      assert.deepEqual(errors, []);
      assert.deepEqual(
        set.toFieldsV1(),
        Object.keys(c.fields).length ? { "f:spec": c.fields } : {},
      );
    });
  }
});

Deno.test("toFieldSet() of the server-side apply documentation's ConfigMap", () => {
  const { set } = toFieldSet({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "test-cm", namespace: "default", labels: { "test-label": "test" } },
    data: { key: "some value" },
  }, { atom: atomOf(ConfigMap) });
  // apiVersion, kind, name and namespace are members too; the field manager strips them.
  assert.deepEqual(set.toFieldsV1(), {
    "f:apiVersion": {},
    "f:data": { "f:key": {} },
    "f:kind": {},
    "f:metadata": { "f:labels": { "f:test-label": {} }, "f:name": {}, "f:namespace": {} },
  });
});

Deno.test("toFieldSet() reports what upstream's typed conversion refuses", async (t) => {
  const cases: { name: string; value: unknown; errors: string[] }[] = [
    {
      name: "an undeclared field",
      value: { spec: { replicaz: 1 } },
      errors: [".spec.replicaz: field not declared in schema"],
    },
    {
      name: "an undeclared field in a keyed item",
      value: { spec: { items: [{ name: "a", valu: "x" }] } },
      errors: ['.spec.items[name="a"].valu: field not declared in schema'],
    },
    {
      name: "a string for a number",
      value: { spec: { replicas: "2" } },
      errors: [".spec.replicas: expected numeric (int or float), got string"],
    },
    {
      name: "a number for a string",
      value: { spec: { items: [{ name: "a", value: 1 }] } },
      errors: [
        '.spec.items[name="a"].value: expected string, got &value.valueUnstructured{Value:1}',
      ],
    },
    {
      name: "duplicate keys",
      value: { spec: { items: [{ name: "a" }, { name: "a" }] } },
      errors: ['.spec.items: duplicate entries for key [name="a"]'],
    },
    {
      name: "a missing key field",
      value: { spec: { items: [{ value: "x" }] } },
      errors: [
        '.spec.items: element 0: associative list with keys has an element that omits key field "name" (and doesn\'t have default value)',
      ],
    },
    {
      name: "a map in a set",
      value: { spec: { tags: [{}] } },
      errors: [
        ".spec.tags: element 0: associative list without keys has an element that's a map type",
      ],
    },
    {
      name: "a list for a map",
      value: { spec: { labels: [] } },
      errors: [".spec.labels: expected map, got &{[]}"],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.deepEqual(toFieldSet(c.value, { atom: widget }).errors, c.errors);
    });
  }
  await t.step("several errors print as upstream's list", () => {
    const { errors } = toFieldSet({ spec: { replicas: "x", paused: 1 } }, { atom: widget });
    assert.equal(
      validationErrorsText(errors),
      "errors:\n  .spec.replicas: expected numeric (int or float), got string\n  .spec.paused: expected boolean, got &{1}",
    );
  });
  await t.step("a kind preserving unknown fields owns them untyped", () => {
    const { set, errors } = toFieldSet({ spec: { a: [1], b: { c: 1 } } }, {
      atom: atomOf(OpenWidget),
    });
    assert.deepEqual(errors, []);
    assert.deepEqual(set.toFieldsV1(), {
      "f:spec": { ".": {}, "f:a": {}, "f:b": { ".": {}, "f:c": {} } },
    });
  });
});

Deno.test("toFieldSet() of a Deployment manifest is what kubectl apply --server-side owns", () => {
  const { set, errors } = toFieldSet({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "nginx" },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: "nginx" } },
      template: {
        metadata: { labels: { app: "nginx" } },
        spec: {
          containers: [{ name: "nginx", image: "nginx:1.14.2", ports: [{ containerPort: 80 }] }],
        },
      },
    },
  }, { atom: atomOf(Deployment) });
  assert.deepEqual(errors, []);
  assert.deepEqual(set.toFieldsV1()["f:spec"], {
    "f:replicas": {},
    "f:selector": {},
    "f:template": {
      "f:metadata": { "f:labels": { "f:app": {} } },
      "f:spec": {
        "f:containers": {
          'k:{"name":"nginx"}': {
            ".": {},
            "f:image": {},
            "f:name": {},
            "f:ports": {
              'k:{"containerPort":80,"protocol":"TCP"}': { ".": {}, "f:containerPort": {} },
            },
          },
        },
      },
    },
  });
});
