import assert from "node:assert/strict";
import type { KubeObject } from "../api/types/meta_v1.ts";
import { stripManagedFields } from "./strip_managed_fields.ts";

Deno.test("stripManagedFields() drops managedFields and keeps every other field", () => {
  const metadata = {
    name: "a",
    namespace: "default",
    resourceVersion: "7",
    labels: { app: "web" },
    managedFields: [{ manager: "kubectl", operation: "Apply" as const }],
  };
  const pod: KubeObject = Object.freeze({
    apiVersion: "v1",
    kind: "Pod",
    metadata: Object.freeze(metadata),
    spec: { nodeName: "n1" },
  });
  const out = stripManagedFields(pod);
  assert.deepEqual(out, {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "a", namespace: "default", resourceVersion: "7", labels: { app: "web" } },
    spec: { nodeName: "n1" },
  });
  assert.equal("managedFields" in out.metadata!, false);
  assert.equal(out.spec, pod.spec, "the rest is shared, not copied");
  assert.equal(metadata.managedFields.length, 1, "the frozen input is unchanged");
});

Deno.test("stripManagedFields() returns the object itself when there is nothing to drop", async (t) => {
  const cases: [string, KubeObject][] = [
    ["no metadata", { kind: "Pod" }],
    ["metadata without managedFields", { metadata: { name: "a" } }],
  ];
  for (const [name, obj] of cases) {
    await t.step(name, () => assert.equal(stripManagedFields(obj), obj));
  }
});
