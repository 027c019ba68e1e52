import assert from "node:assert/strict";
import type { JSONSchemaProps } from "../types/apiextensions_v1.ts";
import {
  applyDefaults,
  jsonTypeName,
  prune,
  validateListsAndEmbedded,
  validateSchemaValue,
} from "./cr_values.ts";

const SPEC: JSONSchemaProps = {
  type: "object",
  properties: {
    spec: {
      type: "object",
      properties: {
        replicas: { type: "integer", minimum: 0, maximum: 10 },
        ratio: { type: "number", exclusiveMinimum: true, minimum: 0, multipleOf: 0.5 },
        name: { type: "string", minLength: 2, maxLength: 5, pattern: "^[a-z]+$" },
        mode: { type: "string", enum: ["fast", "slow"] },
        when: { type: "string", format: "date-time" },
        id: { type: "string", format: "uuid" },
        port: { "x-kubernetes-int-or-string": true },
        tags: { type: "array", items: { type: "string" }, minItems: 1, maxItems: 2 },
        opt: { type: "string", nullable: true },
        labels: { type: "object", additionalProperties: { type: "string" }, maxProperties: 1 },
      },
      required: ["name"],
    },
  },
};

Deno.test("validateSchemaValue() reports kube-openapi's errors as upstream prints them", async (t) => {
  const cases: { name: string; spec: Record<string, unknown>; want: string[] }[] = [
    { name: "valid", spec: { name: "ab", port: "http", opt: null }, want: [] },
    {
      name: "wrong types",
      spec: { name: 1, replicas: "3", tags: "a", port: true },
      want: [
        'spec.name: Invalid value: "integer": spec.name in body must be of type string: "integer"',
        'spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"',
        'spec.tags: Invalid value: "string": spec.tags in body must be of type array: "string"',
        'spec.port: Invalid value: "boolean": spec.port in body must be of type integer,string: "boolean"',
      ],
    },
    {
      name: "null without nullable",
      spec: { name: null },
      want: [
        'spec.name: Invalid value: "null": spec.name in body must be of type string: "null"',
      ],
    },
    {
      name: "missing required",
      spec: {},
      want: ["spec.name: Required value"],
    },
    {
      name: "ranges",
      spec: { name: "ab", replicas: 11, ratio: 0 },
      want: [
        "spec.replicas: Invalid value: 11: spec.replicas in body should be less than or equal to 10",
        "spec.ratio: Invalid value: 0: spec.ratio in body should be greater than 0",
      ],
    },
    {
      name: "a multiple",
      spec: { name: "ab", ratio: 0.7 },
      want: ["spec.ratio: Invalid value: 0.7: spec.ratio in body should be a multiple of 0.5"],
    },
    {
      name: "string lengths and pattern",
      spec: { name: "ABCDEF" },
      want: [
        "spec.name: Too long: may not be more than 5 bytes",
        `spec.name: Invalid value: "ABCDEF": spec.name in body should match '^[a-z]+$'`,
      ],
    },
    {
      name: "too short",
      spec: { name: "a" },
      want: ['spec.name: Invalid value: "a": spec.name in body should be at least 2 chars long'],
    },
    {
      name: "enum",
      spec: { name: "ab", mode: "medium" },
      want: ['spec.mode: Unsupported value: "medium": supported values: "fast", "slow"'],
    },
    {
      name: "formats",
      spec: { name: "ab", when: "yesterday", id: "x" },
      want: [
        'spec.when: Invalid value: "yesterday": spec.when in body must be of type date-time: "yesterday"',
        'spec.id: Invalid value: "x": spec.id in body must be of type uuid: "x"',
      ],
    },
    {
      name: "item counts",
      spec: { name: "ab", tags: [] },
      want: ["spec.tags: Invalid value: 0: spec.tags in body should have at least 1 items"],
    },
    {
      name: "too many items and properties",
      spec: { name: "ab", tags: ["a", "b", "c"], labels: { a: "1", b: "2" } },
      want: [
        "spec.tags: Too many: 3: must have at most 2 items",
        "spec.labels: Too many: 2: must have at most 1 items",
      ],
    },
    {
      name: "map values and list items",
      spec: { name: "ab", tags: [1], labels: { a: 2 } },
      want: [
        'spec.tags[0]: Invalid value: "integer": spec.tags[0] in body must be of type string: "integer"',
        'spec.labels.a: Invalid value: "integer": spec.labels.a in body must be of type string: "integer"',
      ],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.deepEqual(validateSchemaValue({ spec: c.spec }, SPEC).map(String), c.want);
    });
  }
});

Deno.test("validateSchemaValue() checks allOf, anyOf, oneOf and not", async (t) => {
  const schema: JSONSchemaProps = {
    type: "object",
    properties: {
      a: { type: "integer", anyOf: [{ minimum: 5 }, { maximum: 1 }] },
      b: { type: "integer", oneOf: [{ minimum: 0 }, { maximum: 10 }] },
      c: { type: "string", not: { enum: ["x"] } },
    },
  };
  const cases = [
    { name: "all pass", value: { a: 6, b: 20, c: "y" }, want: [] },
    {
      name: "all fail",
      value: { a: 3, b: 5, c: "x" },
      want: [
        'a: Invalid value: "": a must validate at least one schema (anyOf)',
        'b: Invalid value: "": b must validate one and only one schema (oneOf)',
        'c: Invalid value: "": c must not validate the schema (not)',
      ],
    },
  ];
  for (const c of cases) {
    await t.step(
      c.name,
      () => assert.deepEqual(validateSchemaValue(c.value, schema).map(String), c.want),
    );
  }
});

Deno.test("prune() drops undeclared fields, keeps preserved ones and type metadata", async (t) => {
  const schema: JSONSchemaProps = {
    type: "object",
    properties: {
      spec: {
        type: "object",
        properties: {
          a: { type: "string" },
          list: { type: "array", items: { type: "object", properties: { x: { type: "string" } } } },
          free: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
          mixed: {
            type: "object",
            "x-kubernetes-preserve-unknown-fields": true,
            properties: { inner: { type: "object", properties: { k: { type: "string" } } } },
          },
          map: { type: "object", additionalProperties: { type: "object", properties: {} } },
          embedded: {
            type: "object",
            "x-kubernetes-embedded-resource": true,
            "x-kubernetes-preserve-unknown-fields": true,
          },
        },
      },
    },
  };
  const cases: { name: string; spec: unknown; want: unknown; pruned: string[] }[] = [
    {
      name: "unknown fields at several depths",
      spec: { a: "1", b: 2, list: [{ x: "1", y: 2 }] },
      want: { a: "1", list: [{ x: "1" }] },
      pruned: ["spec.b", "spec.list[0].y"],
    },
    {
      name: "preserved objects keep unknown fields; nested known properties still prune",
      spec: { free: { any: { thing: 1 } }, mixed: { other: 1, inner: { k: "v", z: 1 } } },
      want: { free: { any: { thing: 1 } }, mixed: { other: 1, inner: { k: "v" } } },
      pruned: ["spec.mixed.inner.z"],
    },
    {
      name: "map values prune by their schema",
      spec: { map: { one: { drop: true } } },
      want: { map: { one: {} } },
      pruned: ["spec.map.one.drop"],
    },
    {
      name: "embedded resources keep apiVersion and kind; metadata keeps ObjectMeta fields",
      spec: { embedded: { apiVersion: "v1", kind: "Pod", metadata: { name: "p", junk: 1 }, x: 1 } },
      want: { embedded: { apiVersion: "v1", kind: "Pod", metadata: { name: "p" }, x: 1 } },
      pruned: ["spec.embedded.metadata.junk"],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const obj = { apiVersion: "x/v1", kind: "X", metadata: { name: "n" }, spec: c.spec };
      assert.deepEqual(prune(obj, schema), c.pruned);
      assert.deepEqual(obj.spec, c.want);
      assert.deepEqual(obj.metadata, { name: "n" });
    });
  }
});

Deno.test("applyDefaults() fills absent and null non-nullable fields, top-down", async (t) => {
  const schema: JSONSchemaProps = {
    type: "object",
    properties: {
      spec: {
        type: "object",
        default: {},
        properties: {
          replicas: { type: "integer", default: 1 },
          mode: { type: "string", default: "fast", nullable: true },
          ports: {
            type: "array",
            items: {
              type: "object",
              properties: { protocol: { type: "string", default: "TCP" } },
            },
          },
          nested: {
            type: "object",
            default: { inner: {} },
            properties: {
              inner: { type: "object", properties: { x: { type: "integer", default: 7 } } },
            },
          },
        },
      },
    },
  };
  const cases = [
    {
      name: "absent spec gets its default, then its fields' defaults",
      obj: {},
      want: { spec: { replicas: 1, mode: "fast", nested: { inner: { x: 7 } } } },
    },
    {
      name: "null non-nullable is defaulted; null nullable stays",
      obj: { spec: { replicas: null, mode: null } },
      want: { spec: { replicas: 1, mode: null, nested: { inner: { x: 7 } } } },
    },
    {
      name: "list items are defaulted",
      obj: { spec: { ports: [{}, { protocol: "UDP" }] } },
      want: {
        spec: {
          replicas: 1,
          mode: "fast",
          ports: [{ protocol: "TCP" }, { protocol: "UDP" }],
          nested: { inner: { x: 7 } },
        },
      },
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const obj = structuredClone(c.obj) as Record<string, unknown>;
      applyDefaults(obj, schema);
      assert.deepEqual(obj, c.want);
    });
  }
});

Deno.test("validateListsAndEmbedded() finds duplicates in set and map lists", () => {
  const schema: JSONSchemaProps = {
    type: "object",
    properties: {
      set: { type: "array", "x-kubernetes-list-type": "set", items: { type: "string" } },
      map: {
        type: "array",
        "x-kubernetes-list-type": "map",
        "x-kubernetes-list-map-keys": ["name"],
        items: { type: "object", properties: { name: { type: "string" } } },
      },
      res: {
        type: "object",
        "x-kubernetes-embedded-resource": true,
        "x-kubernetes-preserve-unknown-fields": true,
      },
    },
  };
  const errs = validateListsAndEmbedded({
    set: ["a", "b", "a"],
    map: [{ name: "x" }, { name: "x", v: 1 }],
    res: { kind: "Pod" },
  }, schema);
  // Upstream checks embedded resources before the list invariants.
  assert.deepEqual(errs.map(String), [
    "res.apiVersion: Required value",
    'set[2]: Duplicate value: "a"',
    'map[1]: Duplicate value: {"name":"x"}',
  ]);
});

Deno.test("validateListsAndEmbedded() validates embedded resources' TypeMeta and ObjectMeta as upstream", async (t) => {
  const schema: JSONSchemaProps = {
    type: "object",
    properties: {
      template: {
        type: "object",
        "x-kubernetes-embedded-resource": true,
        "x-kubernetes-preserve-unknown-fields": true,
      },
      byName: {
        type: "object",
        additionalProperties: {
          type: "object",
          "x-kubernetes-embedded-resource": true,
          "x-kubernetes-preserve-unknown-fields": true,
        },
      },
    },
  };
  const cases: { name: string; value: Record<string, unknown>; want: string[] }[] = [
    {
      name: "a valid resource, with no name",
      value: { template: { apiVersion: "v1", kind: "Pod", metadata: { labels: { a: "b" } } } },
      want: [],
    },
    {
      name: "apiVersion and kind missing",
      value: { template: {} },
      want: ["template.apiVersion: Required value", "template.kind: Required value"],
    },
    {
      name: "apiVersion and kind empty or not strings",
      value: { template: { apiVersion: "", kind: 3 } },
      want: [
        "template.apiVersion: Required value",
        "template.kind: Invalid value: 3: must be a string",
      ],
    },
    {
      name: "a malformed apiVersion and kind",
      value: { template: { apiVersion: "a/b/c", kind: "Bad_Kind" } },
      want: [
        'template.apiVersion: Invalid value: "a/b/c": unexpected GroupVersion string: a/b/c',
        "template.kind: Invalid value: \"Bad_Kind\": may have mixed case, but should otherwise match: a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
      ],
    },
    {
      name: "metadata: name, namespace and labels",
      value: {
        template: {
          apiVersion: "v1",
          kind: "Pod",
          metadata: { name: "a/b", namespace: "Bad", labels: { "x/y/z": "v" } },
        },
      },
      want: [
        "template.metadata.name: Invalid value: \"a/b\": may not contain '/'",
        "template.metadata.namespace: Invalid value: \"Bad\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
        "template.metadata.labels: Invalid value: \"x/y/z\": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
      ],
    },
    {
      name: "resources under a map are reported at their key",
      value: { byName: { one: { kind: "Pod" } } },
      want: ["byName[one].apiVersion: Required value"],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.deepEqual(validateListsAndEmbedded(c.value, schema).map(String), c.want);
    });
  }
});

Deno.test("jsonTypeName() names values as kube-openapi does", () => {
  assert.deepEqual(
    [null, "s", true, 1, 1.5, [], {}].map(jsonTypeName),
    ["null", "string", "boolean", "integer", "number", "array", "object"],
  );
});
