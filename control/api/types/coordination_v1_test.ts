import assert from "node:assert/strict";
import { Lease, LeaseSpec } from "./coordination_v1.ts";

Deno.test("Lease carries its group-version-kind and upstream field numbers", () => {
  assert.equal(Lease.name, "io.k8s.api.coordination.v1.Lease");
  assert.deepEqual(Lease.gvk, [{ group: "coordination.k8s.io", version: "v1", kind: "Lease" }]);
  assert.equal(Lease.fields.spec.proto, 2);
  const protos = Object.fromEntries(
    Object.entries(LeaseSpec.fields).map(([k, f]) => [k, f.proto]),
  );
  assert.deepEqual(protos, {
    holderIdentity: 1,
    leaseDurationSeconds: 2,
    acquireTime: 3,
    renewTime: 4,
    leaseTransitions: 5,
    strategy: 6,
    preferredHolder: 7,
  });
});

Deno.test("LeaseSpec times are MicroTime and strategy is a free string", () => {
  assert.deepEqual(LeaseSpec.fields.acquireTime.schema, { type: "time", micro: true });
  assert.deepEqual(LeaseSpec.fields.renewTime.schema, { type: "time", micro: true });
  assert.equal(LeaseSpec.fields.strategy.schema.type, "string");
  assert.equal("enum" in LeaseSpec.fields.strategy.schema, false);
  assert.equal(LeaseSpec.fields.leaseDurationSeconds.schema.format, "int32");
});
