import assert from "node:assert/strict";
import {
  AttachedVolume,
  ContainerImage,
  DaemonEndpoint,
  Node,
  NodeAddress,
  NodeCondition,
  NodeSpec,
  NodeStatus,
  NodeSystemInfo,
} from "./core_v1_node.ts";

function protos(fields: Record<string, { proto?: number }>): Record<string, number | undefined> {
  return Object.fromEntries(Object.entries(fields).map(([k, f]) => [k, f.proto]));
}

function requiredOf(fields: Record<string, { required: boolean }>): string[] {
  return Object.entries(fields).filter(([, f]) => f.required).map(([k]) => k);
}

Deno.test("NodeSpec and NodeStatus carry upstream field numbers", () => {
  assert.deepEqual(protos(NodeSpec.fields), {
    podCIDR: 1,
    podCIDRs: 7,
    providerID: 3,
    unschedulable: 4,
    taints: 5,
    configSource: 6,
    externalID: 2,
  });
  assert.deepEqual(protos(NodeStatus.fields), {
    capacity: 1,
    allocatable: 2,
    phase: 3,
    conditions: 4,
    addresses: 5,
    daemonEndpoints: 6,
    nodeInfo: 7,
    images: 8,
    volumesInUse: 9,
    volumesAttached: 10,
    config: 11,
    runtimeHandlers: 12,
    features: 13,
  });
});

Deno.test("Node list types and patch strategies are upstream's", () => {
  assert.equal(NodeSpec.fields.podCIDRs.schema.listType, "set");
  assert.equal(NodeSpec.fields.podCIDRs.patchStrategy, "merge");
  assert.equal(NodeSpec.fields.taints.schema.listType, "atomic");
  assert.equal(NodeStatus.fields.addresses.patchMergeKey, "type");
  assert.deepEqual(NodeStatus.fields.conditions.schema.listMapKeys, ["type"]);
  assert.equal(NodeStatus.fields.capacity.schema.values.type, "quantity");
  assert.equal(Node.fields.status.proto, 3);
});

Deno.test("Node status types require what upstream's OpenAPI requires", () => {
  assert.deepEqual(requiredOf(NodeSystemInfo.fields), [
    "machineID",
    "systemUUID",
    "bootID",
    "kernelVersion",
    "osImage",
    "containerRuntimeVersion",
    "kubeletVersion",
    "kubeProxyVersion",
    "operatingSystem",
    "architecture",
  ]);
  assert.deepEqual(requiredOf(NodeCondition.fields), ["type", "status"]);
  assert.deepEqual(requiredOf(NodeAddress.fields), ["type", "address"]);
  assert.deepEqual(requiredOf(AttachedVolume.fields), ["name", "devicePath"]);
  assert.deepEqual(requiredOf(ContainerImage.fields), []);
  assert.deepEqual(Object.keys(DaemonEndpoint.fields), ["Port"]);
});
