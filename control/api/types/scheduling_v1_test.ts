import assert from "node:assert/strict";
import { PriorityClass } from "./scheduling_v1.ts";

Deno.test("PriorityClass follows upstream", () => {
  assert.equal(PriorityClass.name, "io.k8s.api.scheduling.v1.PriorityClass");
  assert.deepEqual(PriorityClass.gvk, [
    { group: "scheduling.k8s.io", version: "v1", kind: "PriorityClass" },
  ]);
  assert.equal(PriorityClass.fields.value.proto, 2);
  assert.equal(PriorityClass.fields.value.schema.format, "int32");
  assert.equal(PriorityClass.fields.globalDefault.proto, 3);
  assert.equal(PriorityClass.fields.description.proto, 4);
  assert.equal(PriorityClass.fields.preemptionPolicy.proto, 5);
  assert.deepEqual(PriorityClass.fields.preemptionPolicy.schema.enum, [
    "PreemptLowerPriority",
    "Never",
  ]);
});
