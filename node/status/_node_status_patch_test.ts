import assert from "node:assert/strict";
import type { Node } from "../../control/api/types/core_v1_node.ts";
import { nodeStatusChanged, nodeStatusPatch } from "./_node_status_patch.ts";

function node(): Node {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: { name: "edge-1", resourceVersion: "7", labels: { a: "1", b: "2" } },
    spec: { podCIDR: "10.42.0.0/24" },
    status: {
      capacity: { cpu: "4", memory: "4Gi" },
      conditions: [
        { type: "MemoryPressure", status: "False", lastHeartbeatTime: "2025-01-01T00:00:00Z" },
        { type: "Ready", status: "True", lastHeartbeatTime: "2025-01-01T00:00:00Z" },
      ],
      addresses: [{ type: "InternalIP", address: "10.0.0.1" }, {
        type: "Hostname",
        address: "edge-1",
      }],
      images: [{ names: ["a"], sizeBytes: 1 }],
    },
  };
}

Deno.test("nodeStatusPatch() is empty for equal nodes and never patches the spec", () => {
  assert.deepEqual(nodeStatusPatch(node(), node()), {});
  const b = node();
  b.spec = { unschedulable: true };
  assert.deepEqual(nodeStatusPatch(node(), b), {});
});

Deno.test("nodeStatusPatch() sends changed keys, deletions and merge-keyed conditions", () => {
  const b = node();
  b.metadata!.labels = { a: "1", c: "3" };
  b.status!.capacity = { cpu: "4", memory: "8Gi" };
  b.status!.conditions = [
    { type: "Ready", status: "False", lastHeartbeatTime: "2025-01-01T00:00:10Z" },
    { type: "PIDPressure", status: "False" },
  ];
  b.status!.addresses = [{ type: "InternalIP", address: "10.0.0.2" }, {
    type: "Hostname",
    address: "edge-1",
  }];
  b.status!.images = [{ names: ["b"], sizeBytes: 2 }];
  assert.deepEqual(nodeStatusPatch(node(), b), {
    metadata: { labels: { b: null, c: "3" } },
    status: {
      capacity: { memory: "8Gi" },
      "$setElementOrder/conditions": [{ type: "Ready" }, { type: "PIDPressure" }],
      conditions: [
        { type: "Ready", status: "False", lastHeartbeatTime: "2025-01-01T00:00:10Z" },
        { type: "PIDPressure", status: "False" },
        { type: "MemoryPressure", $patch: "delete" },
      ],
      addresses: [
        { type: "InternalIP", address: "10.0.0.2" },
        { type: "Hostname", address: "edge-1" },
        { $patch: "replace" },
      ],
      images: [{ names: ["b"], sizeBytes: 2 }],
    },
  });
});

Deno.test("nodeStatusChanged() ignores heartbeats and compares quantities by value", async (t) => {
  const cases: [string, (n: Node) => void, boolean][] = [
    ["nothing", () => {}, false],
    [
      "a heartbeat",
      (n) => n.status!.conditions![1]!.lastHeartbeatTime = "2025-01-01T00:01:00Z",
      false,
    ],
    ["an equal quantity", (n) => n.status!.capacity!.memory = "4096Mi", false],
    ["a capacity", (n) => n.status!.capacity!.cpu = "2", true],
    ["a removed capacity", (n) => delete n.status!.capacity!.cpu, true],
    ["a condition's status", (n) => n.status!.conditions![1]!.status = "Unknown", true],
    ["an address", (n) => n.status!.addresses![0]!.address = "10.0.0.9", true],
    ["labels (not status)", (n) => n.metadata!.labels = {}, false],
  ];
  for (const [name, change, want] of cases) {
    await t.step(name, () => {
      const b = node();
      change(b);
      assert.equal(nodeStatusChanged(node().status, b.status), want);
    });
  }
  assert.equal(nodeStatusChanged(undefined, undefined), false);
  assert.equal(nodeStatusChanged(undefined, {}), true);
});
