import assert from "node:assert/strict";
import type { CustomResourceDefinition } from "../types/apiextensions_v1.ts";
import { customResourceDefs, customResourceStrategy } from "./custom_resource_defs.ts";

function crd(): CustomResourceDefinition {
  const schema = {
    openAPIV3Schema: {
      type: "object",
      properties: {
        spec: {
          type: "object",
          properties: {
            size: { type: "integer", default: 1 },
            color: { type: "string" },
            ready: { type: "boolean" },
          },
        },
      },
    },
  };
  return {
    metadata: { name: "widgets.example.com" },
    spec: {
      group: "example.com",
      scope: "Namespaced",
      names: { plural: "widgets", singular: "widget", kind: "Widget", listKind: "WidgetList" },
      versions: [
        { name: "v1alpha1", served: false, storage: false, schema },
        { name: "v1beta1", served: true, storage: false, schema },
        {
          name: "v1",
          served: true,
          storage: true,
          schema,
          subresources: {
            status: {},
            scale: { specReplicasPath: ".spec.size", statusReplicasPath: ".status.size" },
          },
          selectableFields: [{ jsonPath: ".spec.color" }, { jsonPath: ".spec.ready" }],
        },
      ],
    },
    status: {
      acceptedNames: { plural: "widgets", singular: "widget", kind: "Widget", shortNames: ["wd"] },
      storedVersions: ["v1"],
    },
  } as CustomResourceDefinition;
}

Deno.test("customResourceDefs() serves every served version", () => {
  const defs = customResourceDefs(crd());
  assert.deepEqual(defs.map((d) => d.version), ["v1beta1", "v1"]);
  const v1 = defs[1]!;
  assert.equal(v1.kind, "Widget");
  assert.equal(v1.resource, "widgets");
  assert.equal(v1.namespaced, true);
  assert.deepEqual(v1.shortNames, ["wd"]);
  assert.equal(v1.custom, true);
  assert.equal(v1.statusSubresource, true);
  assert.deepEqual(v1.scale, {
    specReplicasPath: ".spec.size",
    statusReplicasPath: ".status.size",
    labelSelectorPath: "",
  });
  assert.equal(defs[0]!.statusSubresource, undefined);
  assert.equal(v1.conversion?.storageResource, "example.com/widgets");
});

Deno.test("customResourceDefs() stores in the storage version and reads in the requested one", () => {
  const [beta, v1] = customResourceDefs(crd());
  const stored = beta!.conversion!.toStorage({
    apiVersion: "example.com/v1beta1",
    kind: "Widget",
    spec: {},
  });
  assert.equal(stored.apiVersion, "example.com/v1");
  const read = beta!.conversion!.fromStorage(structuredClone(stored));
  assert.equal(read.apiVersion, "example.com/v1beta1");
  assert.deepEqual(read.spec, { size: 1 }, "defaults are applied on read");
  assert.equal(v1!.conversion!.fromStorage(structuredClone(stored)).apiVersion, "example.com/v1");
});

Deno.test("customResourceDefs() selects by selectableFields", () => {
  const v1 = customResourceDefs(crd())[1]!;
  const fields = v1.fieldSelectors!;
  assert.deepEqual(Object.keys(fields), ["spec.color", "spec.ready"]);
  const obj = { spec: { color: "red", ready: false } };
  assert.equal(fields["spec.color"]!(obj), "red");
  assert.equal(fields["spec.ready"]!(obj), "false");
});

Deno.test("customResourceDefs() refuses creates of a terminating CRD", () => {
  const defs = customResourceDefs(crd(), { terminating: true });
  assert.equal(defs[0]!.verbs?.includes("create"), false);
  assert.equal(defs[0]!.verbs?.includes("delete"), true);
});

Deno.test("the custom resource strategy prunes, defaults and drops status on create", () => {
  const v1 = customResourceDefs(crd())[1]!;
  const obj = {
    apiVersion: "example.com/v1",
    kind: "Widget",
    metadata: { name: "w" },
    spec: { junk: true },
    status: { size: 1 },
  };
  v1.strategy.default!(obj);
  v1.strategy.prepareForCreate!(obj);
  assert.deepEqual(obj, {
    apiVersion: "example.com/v1",
    kind: "Widget",
    metadata: { name: "w" },
    spec: { size: 1 },
  });
  const bad = { ...obj, spec: { size: "x" } };
  assert.deepEqual(
    v1.strategy.validateCreate!(bad).map(String),
    ['spec.size: Invalid value: "string": spec.size in body must be of type integer: "string"'],
  );
  const required = customResourceStrategy(
    {
      schema: { type: "object", properties: { spec: { type: "object", required: ["a"] } } },
      rules: null,
      defaults: false,
    },
    { statusSubresource: false },
  );
  const before = { metadata: { name: "w" }, spec: { b: 1 } };
  assert.deepEqual(
    required.validateUpdate!({ ...before, metadata: { name: "w", labels: {} } }, before),
    [],
  );
  assert.deepEqual(
    required.validateUpdate!({ ...before, spec: { b: 2 } }, before).map(String),
    ["spec.a: Required value"],
  );
});

Deno.test("the custom resource strategy ratchets errors of unchanged values on update", () => {
  const v1 = customResourceDefs(crd())[1]!;
  const old = { metadata: { name: "w" }, spec: { size: "x", color: "red" } };
  assert.deepEqual(
    v1.strategy.validateUpdate!({ ...old, spec: { size: "x", color: "blue" } }, old).map(String),
    [],
  );
  assert.deepEqual(
    v1.strategy.validateUpdate!({ ...old, spec: { size: "y", color: "red" } }, old).map(String),
    ['spec.size: Invalid value: "string": spec.size in body must be of type integer: "string"'],
  );
});
