import assert from "node:assert/strict";
import { Overhead, RuntimeClass, Scheduling } from "./node_v1.ts";

Deno.test("RuntimeClass follows upstream", () => {
  assert.equal(RuntimeClass.name, "io.k8s.api.node.v1.RuntimeClass");
  assert.deepEqual(RuntimeClass.gvk, [{
    group: "node.k8s.io",
    version: "v1",
    kind: "RuntimeClass",
  }]);
  assert.equal(RuntimeClass.fields.handler.required, true);
  assert.equal(RuntimeClass.fields.handler.proto, 2);
  assert.equal(RuntimeClass.fields.overhead.proto, 3);
  assert.equal(RuntimeClass.fields.scheduling.proto, 4);
  assert.deepEqual(Overhead.fields.podFixed.schema, { type: "map", values: { type: "quantity" } });
  assert.equal(Scheduling.fields.nodeSelector.schema.mapType, "atomic");
  assert.equal(Scheduling.fields.tolerations.schema.listType, "atomic");
  assert.equal(Scheduling.fields.tolerations.schema.items.name, "io.k8s.api.core.v1.Toleration");
});
