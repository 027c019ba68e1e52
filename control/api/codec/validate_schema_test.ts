import assert from "node:assert/strict";
import {
  any,
  array,
  enumOf,
  field,
  int32,
  lazy,
  map,
  object,
  requiredField,
  type Schema,
  string,
} from "../types/schema.ts";
import { Condition, objectFields } from "../types/meta_v1.ts";
import { validateSchema } from "./validate_schema.ts";

const d = { description: "" };

const Port = object("io.k8s.api.core.v1.ContainerPort", {
  description: "",
  fields: {
    containerPort: requiredField(int32({ minimum: 1, maximum: 65535 }), d),
    hostPort: field(int32({ minimum: 0 }), d),
    weight: field(int32({ maximum: 100 }), d),
    protocol: field(enumOf(["TCP", "UDP", "SCTP"]), d),
  },
});
const Container = object("io.k8s.api.core.v1.Container", {
  description: "",
  fields: {
    name: requiredField(string({ maxLength: 10, pattern: "^[a-z0-9-]+$" }), d),
    ports: field(array(Port), d),
  },
});
const Thing = object("io.k8s.api.test.v1.Thing", {
  description: "",
  gvk: [{ group: "test", version: "v1", kind: "Thing" }],
  fields: {
    ...objectFields,
    spec: requiredField(
      object("io.k8s.api.test.v1.ThingSpec", {
        description: "",
        fields: {
          containers: requiredField(array(Container), d),
          selector: field(map(enumOf(["a", "b"])), d),
          conditions: field(array(Condition), d),
          raw: field(any(), d),
        },
      }),
      d,
    ),
  },
});

Deno.test("validateSchema() reports what the schema states, with upstream texts", async (t) => {
  const cases: { name: string; object: unknown; errors: string[] }[] = [
    {
      name: "valid",
      object: {
        spec: { containers: [{ name: "web", ports: [{ containerPort: 80, protocol: "TCP" }] }] },
      },
      errors: [],
    },
    { name: "missing spec", object: {}, errors: ["spec: Required value"] },
    { name: "null spec", object: { spec: null }, errors: ["spec: Required value"] },
    {
      name: "empty required list",
      object: { spec: { containers: [] } },
      errors: ["spec.containers: Required value"],
    },
    {
      name: "empty required string",
      object: { spec: { containers: [{ name: "" }] } },
      errors: ["spec.containers[0].name: Required value"],
    },
    {
      name: "enum",
      object: {
        spec: { containers: [{ name: "a", ports: [{ containerPort: 1, protocol: "tcp" }] }] },
      },
      errors: [
        'spec.containers[0].ports[0].protocol: Unsupported value: "tcp": supported values: "TCP", "UDP", "SCTP"',
      ],
    },
    {
      name: "ranges",
      object: {
        spec: {
          containers: [{ name: "a", ports: [{ containerPort: 0, hostPort: -1, weight: 101 }] }],
        },
      },
      errors: [
        "spec.containers[0].ports[0].containerPort: Invalid value: 0: must be between 1 and 65535, inclusive",
        "spec.containers[0].ports[0].hostPort: Invalid value: -1: must be greater than or equal to 0",
        "spec.containers[0].ports[0].weight: Invalid value: 101: must be less than or equal to 100",
      ],
    },
    {
      name: "length and pattern",
      object: { spec: { containers: [{ name: "Web_Server_01" }] } },
      errors: [
        "spec.containers[0].name: Too long: may not be more than 10 bytes",
        `spec.containers[0].name: Invalid value: "Web_Server_01": must match the regular expression '^[a-z0-9-]+$'`,
      ],
    },
    {
      name: "map entries",
      object: { spec: { containers: [{ name: "a" }], selector: { app: "c" } } },
      errors: ['spec.selector[app]: Unsupported value: "c": supported values: "a", "b"'],
    },
    {
      name: "meta schemas",
      object: {
        spec: { containers: [{ name: "a" }], conditions: [{ type: "Ready", status: "Maybe" }] },
      },
      errors: [
        'spec.conditions[0].status: Unsupported value: "Maybe": supported values: "True", "False", "Unknown"',
        "spec.conditions[0].lastTransitionTime: Required value",
        "spec.conditions[0].reason: Required value",
        // No message is fine: upstream checks only its length.
      ],
    },
    {
      name: "free-form values are not checked",
      object: { spec: { containers: [{ name: "a" }], raw: { anything: 1 } } },
      errors: [],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.deepEqual(validateSchema(Thing, c.object).map(String), c.errors);
    });
  }
});

Deno.test("validateSchema() gives field errors with reasons for Status causes", () => {
  const [err] = validateSchema(Thing, {});
  assert.equal(err?.reason, "FieldValueRequired");
  assert.equal(err?.field, "spec");
});

Deno.test("validateSchema() follows self-referencing schemas", () => {
  const Node: Schema = object("io.k8s.api.test.v1.Node", {
    description: "",
    fields: {
      name: requiredField(string(), d),
      children: field(array(lazy("io.k8s.api.test.v1.Node", () => Node)), d),
    },
  });
  assert.deepEqual(
    validateSchema(Node, { name: "a", children: [{ name: "b", children: [{}] }] }).map(String),
    ["children[0].children[0].name: Required value"],
  );
});

Deno.test("validateSchema() finds checks under fields that check nothing, in schema order", () => {
  // A recursive schema whose only check is a length, three levels down, under maps and lists
  // of objects without checks; and multi-byte text measured in bytes.
  const Leaf = object("io.k8s.api.test.v1.Leaf", {
    description: "",
    fields: { free: field(string(), d), short: field(string({ maxLength: 4 }), d) },
  });
  const Tree: Schema = object("io.k8s.api.test.v1.Tree", {
    description: "",
    fields: {
      label: field(string(), d),
      leaves: field(map(array(Leaf)), d),
      sub: field(lazy("io.k8s.api.test.v1.Tree", () => Tree), d),
      count: field(int32(), d),
    },
  });
  const got = validateSchema(Tree, {
    label: "x".repeat(100),
    leaves: { a: [{ free: "y".repeat(100), short: "ok" }] },
    sub: { sub: { leaves: { b: [{ short: "ééé" }, { short: "abcd" }] } }, count: 3 },
  }).map(String);
  assert.deepEqual(got, ["sub.sub.leaves[b][0].short: Too long: may not be more than 4 bytes"]);
});

Deno.test("validateSchema() accepts a zeroValid required field absent or empty", () => {
  const Status = object("io.k8s.api.test.v1.Status", {
    description: "",
    fields: {
      image: requiredField(string(), d),
      imageID: requiredField(string(), { ...d, zeroValid: true }),
    },
  });
  assert.deepEqual(validateSchema(Status, { image: "busybox", imageID: "" }).map(String), []);
  assert.deepEqual(validateSchema(Status, { image: "busybox" }).map(String), []);
  assert.deepEqual(validateSchema(Status, { image: "", imageID: "" }).map(String), [
    "image: Required value",
  ]);
});
