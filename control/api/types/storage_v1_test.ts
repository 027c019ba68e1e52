import assert from "node:assert/strict";
import { StorageClass } from "./storage_v1.ts";

Deno.test("StorageClass follows upstream", () => {
  assert.equal(StorageClass.name, "io.k8s.api.storage.v1.StorageClass");
  assert.deepEqual(StorageClass.gvk, [{
    group: "storage.k8s.io",
    version: "v1",
    kind: "StorageClass",
  }]);
  assert.deepEqual(
    Object.fromEntries(Object.entries(StorageClass.fields).map(([k, f]) => [k, f.proto])),
    {
      apiVersion: undefined,
      kind: undefined,
      metadata: 1,
      provisioner: 2,
      parameters: 3,
      reclaimPolicy: 4,
      mountOptions: 5,
      allowVolumeExpansion: 6,
      volumeBindingMode: 7,
      allowedTopologies: 8,
    },
  );
  assert.deepEqual(StorageClass.fields.reclaimPolicy.schema.enum, ["Delete", "Recycle", "Retain"]);
  assert.deepEqual(StorageClass.fields.volumeBindingMode.schema.enum, [
    "Immediate",
    "WaitForFirstConsumer",
  ]);
  assert.equal(
    StorageClass.fields.allowedTopologies.schema.items.name,
    "io.k8s.api.core.v1.TopologySelectorTerm",
  );
});
