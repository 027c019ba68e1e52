import assert from "node:assert/strict";
import { decodeObject } from "../codec/decode.ts";
import type { JSONSchemaProps } from "../types/apiextensions_v1.ts";
import type { ArraySchema, MapSchema, ObjectSchema } from "../types/schema.ts";
import { buildOpenApiV3 } from "../openapi/v3.ts";
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
