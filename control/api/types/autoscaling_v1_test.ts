import assert from "node:assert/strict";
import { Scale, ScaleSpec, ScaleStatus } from "./autoscaling_v1.ts";

Deno.test("Scale is the autoscaling/v1 kind of the scale subresource", () => {
  assert.equal(Scale.name, "io.k8s.api.autoscaling.v1.Scale");
  assert.deepEqual(Scale.gvk, [{ group: "autoscaling", version: "v1", kind: "Scale" }]);
  assert.equal(Scale.fields.metadata.proto, 1);
  assert.equal(Scale.fields.spec.proto, 2);
  assert.equal(Scale.fields.status.proto, 3);
});

Deno.test("ScaleSpec and ScaleStatus carry upstream field numbers and required fields", () => {
  assert.equal(ScaleSpec.fields.replicas.proto, 1);
  assert.equal(ScaleSpec.fields.replicas.required, false);
  assert.equal(ScaleStatus.fields.replicas.proto, 1);
  assert.equal(ScaleStatus.fields.replicas.required, true);
  assert.equal(ScaleStatus.fields.selector.proto, 2);
  assert.equal(ScaleStatus.fields.selector.schema.type, "string");
});
