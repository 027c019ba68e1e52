import assert from "node:assert/strict";
import { decodeObject } from "../codec/decode.ts";
import type { JSONSchemaProps } from "../types/apiextensions_v1.ts";
import type { ArraySchema, MapSchema, ObjectSchema } from "../types/schema.ts";
import { buildOpenApiV3 } from "../openapi/v3.ts";
import { startCrdTestServer } from "./_test_server.ts";
import { compileSchemaRules, evaluateRules } from "./cel_rules.ts";
import { convertCustomResourceSchema, definitionName } from "./schema_conversion.ts";

const SCHEMA: JSONSchemaProps = {
  type: "object",
  description: "A widget.",
  properties: {
    spec: {
      type: "object",
      description: "The spec.",
      required: ["size"],
      properties: {
        size: { type: "integer", format: "int32", minimum: 1, default: 2 },
        mode: { type: "string", enum: ["a", "b"] },
        port: { "x-kubernetes-int-or-string": true },
        items: {
          type: "array",
          "x-kubernetes-list-type": "map",
          "x-kubernetes-list-map-keys": ["name"],
          items: { type: "object", properties: { name: { type: "string" } } },
        },
        labels: {
          type: "object",
          additionalProperties: { type: "string" },
          "x-kubernetes-map-type": "atomic",
        },
        raw: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
      },
    },
  },
};
const KIND = { group: "example.com", version: "v1", kind: "Widget" };

Deno.test("definitionName() reverses the group as upstream names CRD definitions", () => {
  assert.equal(
    definitionName({ group: "stable.example.com", version: "v1", kind: "CronTab" }),
    "com.example.stable.v1.CronTab",
  );
});

Deno.test("convertCustomResourceSchema() keeps list and map types for server-side apply", () => {
  const { decode, published } = convertCustomResourceSchema(SCHEMA, KIND);
  for (const root of [decode, published]) {
    const spec = root.fields.spec!.schema as ObjectSchema;
    const items = spec.fields.items!.schema as ArraySchema;
    assert.equal(items.listType, "map");
    assert.deepEqual(items.listMapKeys, ["name"]);
    const labels = spec.fields.labels!.schema as MapSchema;
    assert.equal(labels.type, "map");
    assert.equal(labels.mapType, "atomic");
  }
  assert.deepEqual(decode.gvk, [{ group: "example.com", version: "v1", kind: "Widget" }]);
  assert.deepEqual(Object.keys(decode.fields), ["apiVersion", "kind", "metadata", "spec"]);
});

Deno.test("convertCustomResourceSchema() publishes types, enums, ranges, required fields and defaults", () => {
  const { published } = convertCustomResourceSchema(SCHEMA, KIND);
  assert.equal(published.description, "A widget.");
  const spec = published.fields.spec!.schema as ObjectSchema;
  assert.equal(spec.name, "", "nested objects are published inline");
  assert.deepEqual(spec.fields.size, {
    schema: { type: "integer", format: "int32", minimum: 1 },
    required: true,
    description: "",
    default: 2,
  });
  assert.deepEqual(spec.fields.mode!.schema, { type: "string", enum: ["a", "b"] });
  assert.deepEqual(spec.fields.port!.schema, { type: "intOrString" });
  assert.deepEqual(spec.fields.raw!.schema, { type: "any", shape: "object" });
});

Deno.test("convertCustomResourceSchema() decodes mistyped scalars and prunes unknown fields", () => {
  const { decode } = convertCustomResourceSchema(SCHEMA, KIND);
  const r = decodeObject(decode, {
    fieldValidation: "Strict",
    value: {
      apiVersion: "example.com/v1",
      kind: "Widget",
      spec: { size: "big", items: [], extra: 1, raw: { any: 1 } },
    },
  });
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.strictErrors, ['unknown field "spec.extra"']);
  assert.deepEqual(r.object, {
    apiVersion: "example.com/v1",
    kind: "Widget",
    spec: { size: "big", items: [], raw: { any: 1 } },
  });
});

Deno.test("convertCustomResourceSchema(): OpenAPI v3 publishes nested objects inline, as upstream", () => {
  const { published } = convertCustomResourceSchema(SCHEMA, KIND);
  const docs = buildOpenApiV3([{
    ...KIND,
    resource: "widgets",
    namespaced: true,
    verbs: ["get", "list", "patch"],
    schema: published,
    subresources: [],
  }], { gitVersion: "v1.33.0" });
  const doc = docs.get("apis/example.com/v1") as {
    components: {
      schemas: Record<string, { properties: Record<string, Record<string, unknown>> }>;
    };
  };
  const names = Object.keys(doc.components.schemas).filter((n) => n.startsWith("com.example"));
  assert.deepEqual(names, ["com.example.v1.Widget", "com.example.v1.WidgetList"]);
  const spec = doc.components.schemas["com.example.v1.Widget"]!.properties.spec!;
  assert.equal(spec.type, "object");
  assert.equal(spec.description, "The spec.");
  assert.deepEqual(spec.required, ["size"]);
  assert.deepEqual((spec.properties as Record<string, unknown>).mode, {
    type: "string",
    enum: ["a", "b"],
  });
});

const NULLS_CRD = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: "gadgets.nulls.example.com" },
  spec: {
    group: "nulls.example.com",
    scope: "Namespaced",
    names: { plural: "gadgets", kind: "Gadget" },
    versions: [{
      name: "v1",
      served: true,
      storage: true,
      schema: {
        openAPIV3Schema: {
          type: "object",
          properties: {
            spec: {
              type: "object",
              properties: {
                opt: { type: "string", nullable: true },
                plain: { type: "string" },
                defaulted: { type: "string", default: "d" },
                both: { type: "string", nullable: true, default: "d" },
                obj: { type: "object", nullable: true, properties: { a: { type: "string" } } },
                tags: { type: "array", items: { type: "string", nullable: true } },
                strict: { type: "array", items: { type: "string" } },
                labels: { type: "object", additionalProperties: { type: "string" } },
                nullableLabels: {
                  type: "object",
                  additionalProperties: { type: "string", nullable: true },
                },
                raw: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
              },
            },
          },
        },
      },
    }],
  },
};
const GADGETS = "/apis/nulls.example.com/v1/namespaces/default/gadgets";

function gadget(name: string, spec: Record<string, unknown>) {
  return { apiVersion: "nulls.example.com/v1", kind: "Gadget", metadata: { name }, spec };
}

Deno.test("custom resources keep, prune and default nulls as upstream's structural defaulting", async (t) => {
  await using s = await startCrdTestServer();
  await s.establish(NULLS_CRD);

  await t.step("create: nullable nulls stay, others are pruned or defaulted", async () => {
    const res = await s.json("POST", GADGETS, {
      body: gadget("a", {
        opt: null,
        plain: null,
        defaulted: null,
        both: null,
        obj: null,
        tags: ["x", null],
        labels: { a: null, b: "1" },
        nullableLabels: { a: null },
        raw: { kept: null },
      }),
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const want = {
      opt: null,
      defaulted: "d",
      both: null,
      obj: null,
      tags: ["x", null],
      labels: { b: "1" },
      nullableLabels: { a: null },
      raw: { kept: null },
    };
    assert.deepEqual(res.body.spec, want);
    assert.deepEqual((await s.json("GET", `${GADGETS}/a`)).body.spec, want);
  });

  await t.step("a null item of a non-nullable list is a validation error", async () => {
    const res = await s.json("POST", GADGETS, { body: gadget("b", { strict: ["x", null] }) });
    assert.equal(res.status, 422);
    assert.equal(
      res.body.message,
      'Gadget.nulls.example.com "b" is invalid: spec.strict[1]: Invalid value: "null": spec.strict[1] in body must be of type string: "null"',
    );
  });

  await t.step("update: a null is kept or pruned the same way", async () => {
    const current = (await s.json("GET", `${GADGETS}/a`)).body;
    const res = await s.json("PUT", `${GADGETS}/a`, {
      body: { ...current, spec: { opt: "set", plain: null, defaulted: null } },
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    // An absent field with a default gets it (a nullable one too).
    assert.deepEqual(res.body.spec, { opt: "set", defaulted: "d", both: "d" });
  });

  await t.step("a merge patch's null deletes, even a nullable field", async () => {
    const res = await s.json("PATCH", `${GADGETS}/a`, {
      body: { spec: { opt: null, defaulted: null } },
      contentType: "application/merge-patch+json",
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    // The patch removes both; decoding then defaults the one with a default.
    assert.deepEqual(res.body.spec, { defaulted: "d", both: "d" });
  });

  await t.step("a JSON patch sets an explicit null, kept where nullable", async () => {
    const res = await s.json("PATCH", `${GADGETS}/a`, {
      body: [
        { op: "add", path: "/spec/opt", value: null },
        { op: "add", path: "/spec/plain", value: null },
      ],
      contentType: "application/json-patch+json",
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body.spec, { defaulted: "d", both: "d", opt: null });
  });

  await t.step("CEL rules see a nullable null as null", () => {
    const { tree } = compileSchemaRules({
      type: "object",
      properties: {
        spec: {
          type: "object",
          "x-kubernetes-validations": [{ rule: "has(self.opt) && self.opt == null" }],
          properties: { opt: { type: "string", nullable: true } },
        },
      },
    });
    assert.deepEqual(evaluateRules(tree!, { value: { spec: { opt: null } } }).map(String), []);
  });
});
