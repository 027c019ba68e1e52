import assert from "node:assert/strict";
import type { KubeObject } from "../types/meta_v1.ts";
import {
  customResourceDefinitionStrategy,
  defaultCustomResourceDefinition,
} from "./crd_strategy.ts";

function crd(): KubeObject {
  return {
    metadata: { name: "widgets.example.com" },
    spec: {
      group: "example.com",
      scope: "Cluster",
      names: { plural: "widgets", kind: "Widget" },
      versions: [{ name: "v1", served: true, storage: true }],
    },
  };
}

Deno.test("defaultCustomResourceDefinition() sets singular, listKind and conversion", () => {
  const obj = crd();
  defaultCustomResourceDefinition(obj);
  const spec = obj.spec as Record<string, unknown>;
  assert.deepEqual(spec.names, {
    plural: "widgets",
    kind: "Widget",
    singular: "widget",
    listKind: "WidgetList",
  });
  assert.deepEqual(spec.conversion, { strategy: "None" });
});

Deno.test("the CRD strategy starts the status, adds the cleanup finalizer and new storage versions", () => {
  const obj = crd();
  customResourceDefinitionStrategy.prepareForCreate!(obj);
  assert.deepEqual(obj.status, { acceptedNames: { plural: "", kind: "" }, storedVersions: ["v1"] });
  assert.deepEqual(obj.metadata?.finalizers, ["customresourcecleanup.apiextensions.k8s.io"]);
  const next = structuredClone(obj);
  (next.spec as { versions: unknown[] }).versions = [
    { name: "v1", served: true, storage: false },
    { name: "v2", served: true, storage: true },
  ];
  customResourceDefinitionStrategy.prepareForUpdate!(next, obj);
  assert.deepEqual((next.status as { storedVersions: string[] }).storedVersions, ["v1", "v2"]);
});
