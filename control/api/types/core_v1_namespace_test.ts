import assert from "node:assert/strict";
import {
  Namespace,
  NamespaceCondition,
  NamespaceSpec,
  NamespaceStatus,
} from "./core_v1_namespace.ts";

Deno.test("Namespace schemas carry upstream names, field numbers and list types", () => {
  assert.equal(Namespace.name, "io.k8s.api.core.v1.Namespace");
  assert.deepEqual(Namespace.gvk, [{ group: "", version: "v1", kind: "Namespace" }]);
  assert.equal(Namespace.fields.spec.proto, 2);
  assert.equal(Namespace.fields.status.proto, 3);
  assert.equal(NamespaceSpec.fields.finalizers.schema.listType, "atomic");
  assert.equal(NamespaceStatus.fields.conditions.patchMergeKey, "type");
  assert.deepEqual(NamespaceStatus.fields.conditions.schema.listMapKeys, ["type"]);
  assert.deepEqual(
    Object.fromEntries(Object.entries(NamespaceCondition.fields).map(([k, f]) => [k, f.proto])),
    { type: 1, status: 2, lastTransitionTime: 4, reason: 5, message: 6 },
  );
});

Deno.test("NamespaceStatus.phase defaults to Active and only takes the two phases", () => {
  assert.equal(NamespaceStatus.fields.phase.default, "Active");
  assert.deepEqual(NamespaceStatus.fields.phase.schema.enum, ["Active", "Terminating"]);
});
