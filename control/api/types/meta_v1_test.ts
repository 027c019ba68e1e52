import assert from "node:assert/strict";
import { LabelSelector, objectFields, ObjectMeta, OwnerReference } from "./meta_v1.ts";

Deno.test("ObjectMeta carries the upstream field numbers and patch metadata", () => {
  assert.equal(ObjectMeta.name, "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta");
  assert.equal(ObjectMeta.fields.name.proto, 1);
  assert.equal(ObjectMeta.fields.managedFields.proto, 17);
  assert.equal(ObjectMeta.fields.ownerReferences.patchMergeKey, "uid");
  assert.equal(ObjectMeta.fields.finalizers.patchStrategy, "merge");
  assert.equal(ObjectMeta.fields.uid.readOnly, true);
});

Deno.test("OwnerReference and LabelSelector are atomic maps", () => {
  assert.equal(OwnerReference.mapType, "atomic");
  assert.equal(LabelSelector.mapType, "atomic");
  assert.equal(OwnerReference.fields.uid.required, true);
});

Deno.test("objectFields holds apiVersion, kind and metadata", () => {
  assert.deepEqual(Object.keys(objectFields), ["apiVersion", "kind", "metadata"]);
  assert.equal(objectFields.metadata.schema, ObjectMeta);
});
