import assert from "node:assert/strict";
import { Endpoint, EndpointConditions, EndpointPort, EndpointSlice } from "./discovery_v1.ts";

Deno.test("EndpointSlice carries its group-version-kind and upstream field numbers", () => {
  assert.equal(EndpointSlice.name, "io.k8s.api.discovery.v1.EndpointSlice");
  assert.deepEqual(EndpointSlice.gvk, [
    { group: "discovery.k8s.io", version: "v1", kind: "EndpointSlice" },
  ]);
  assert.equal(EndpointSlice.fields.addressType.proto, 4);
  assert.equal(EndpointSlice.fields.endpoints.proto, 2);
  assert.equal(EndpointSlice.fields.ports.proto, 3);
  assert.equal(EndpointSlice.fields.addressType.required, true);
  assert.deepEqual(EndpointSlice.fields.addressType.schema.enum, ["FQDN", "IPv4", "IPv6"]);
  assert.equal(EndpointSlice.fields.endpoints.schema.listType, "atomic");
});

Deno.test("Endpoint and EndpointPort follow upstream", () => {
  assert.equal(Endpoint.fields.addresses.required, true);
  assert.equal(Endpoint.fields.addresses.schema.listType, "set");
  assert.deepEqual(
    Object.fromEntries(Object.entries(Endpoint.fields).map(([k, f]) => [k, f.proto])),
    {
      addresses: 1,
      conditions: 2,
      hostname: 3,
      targetRef: 4,
      deprecatedTopology: 5,
      nodeName: 6,
      zone: 7,
      hints: 8,
    },
  );
  assert.deepEqual(Object.keys(EndpointConditions.fields), ["ready", "serving", "terminating"]);
  assert.equal(EndpointPort.mapType, "atomic");
  assert.equal(EndpointPort.fields.protocol.default, "TCP");
  assert.equal(EndpointPort.fields.name.default, "");
  assert.equal(Endpoint.fields.targetRef.schema.name, "io.k8s.api.core.v1.ObjectReference");
});
