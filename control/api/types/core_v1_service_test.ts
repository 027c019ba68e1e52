import assert from "node:assert/strict";
import {
  EndpointAddress,
  EndpointPort,
  Endpoints,
  EndpointSubset,
  LoadBalancerIngress,
  PortStatus,
  Service,
  ServicePort,
  ServiceSpec,
  ServiceStatus,
} from "./core_v1_service.ts";

function protos(fields: Record<string, { proto?: number }>): Record<string, number | undefined> {
  return Object.fromEntries(Object.entries(fields).map(([k, f]) => [k, f.proto]));
}

Deno.test("ServiceSpec carries upstream field numbers, including the dual-stack ones", () => {
  assert.deepEqual(protos(ServiceSpec.fields), {
    ports: 1,
    selector: 2,
    clusterIP: 3,
    clusterIPs: 18,
    type: 4,
    externalIPs: 5,
    sessionAffinity: 7,
    loadBalancerIP: 8,
    loadBalancerSourceRanges: 9,
    externalName: 10,
    externalTrafficPolicy: 11,
    healthCheckNodePort: 12,
    publishNotReadyAddresses: 13,
    sessionAffinityConfig: 14,
    ipFamilies: 19,
    ipFamilyPolicy: 17,
    allocateLoadBalancerNodePorts: 20,
    loadBalancerClass: 21,
    internalTrafficPolicy: 22,
    trafficDistribution: 23,
  });
  assert.deepEqual(protos(ServicePort.fields), {
    name: 1,
    protocol: 2,
    appProtocol: 6,
    port: 3,
    targetPort: 4,
    nodePort: 5,
  });
});

Deno.test("Service ports are a map keyed by port and protocol, merged by port", () => {
  const ports = ServiceSpec.fields.ports;
  assert.deepEqual(ports.schema.listMapKeys, ["port", "protocol"]);
  assert.equal(ports.patchMergeKey, "port");
  assert.equal(ServiceSpec.fields.selector.schema.mapType, "atomic");
  assert.equal(ServiceSpec.fields.clusterIPs.schema.listType, "atomic");
  assert.equal(ServicePort.fields.targetPort.schema.type, "intOrString");
  assert.equal(ServicePort.fields.port.required, true);
});

Deno.test("Service schema defaults are the unconditional upstream ones", () => {
  assert.equal(ServicePort.fields.protocol.default, "TCP");
  assert.equal(ServiceSpec.fields.type.default, "ClusterIP");
  assert.equal(ServiceSpec.fields.sessionAffinity.default, "None");
  assert.equal(ServiceSpec.fields.externalTrafficPolicy.default, undefined);
  assert.deepEqual(ServiceSpec.fields.type.schema.enum, [
    "ClusterIP",
    "ExternalName",
    "LoadBalancer",
    "NodePort",
  ]);
});

Deno.test("Service status types carry upstream field numbers and list types", () => {
  assert.deepEqual(protos(ServiceStatus.fields), { loadBalancer: 1, conditions: 2 });
  assert.deepEqual(ServiceStatus.fields.conditions.schema.listMapKeys, ["type"]);
  assert.deepEqual(protos(LoadBalancerIngress.fields), { ip: 1, hostname: 2, ipMode: 3, ports: 4 });
  assert.deepEqual(
    Object.entries(PortStatus.fields).filter(([, f]) => f.required).map(([k]) => k),
    [
      "port",
      "protocol",
    ],
  );
  assert.deepEqual(Service.gvk, [{ group: "", version: "v1", kind: "Service" }]);
});

Deno.test("Endpoints types are atomic where upstream marks them so", () => {
  assert.equal(EndpointAddress.mapType, "atomic");
  assert.equal(EndpointPort.mapType, "atomic");
  assert.deepEqual(protos(EndpointAddress.fields), {
    ip: 1,
    hostname: 3,
    nodeName: 4,
    targetRef: 2,
  });
  assert.deepEqual(protos(EndpointSubset.fields), { addresses: 1, notReadyAddresses: 2, ports: 3 });
  assert.equal(EndpointPort.fields.protocol.default, "TCP");
  assert.equal(Endpoints.fields.subsets.schema.listType, "atomic");
});
