import assert from "node:assert/strict";
import type { NodeCondition, NodeStatus } from "../../control/api/types/core_v1_node.ts";
import { nodeStatusEventMessage, setNodeConditions } from "./node_conditions.ts";

const CAPACITY = { cpu: "2", memory: "2Gi", pods: "110", "ephemeral-storage": "10Gi" };
const NONE = { memory: false, disk: false, pid: false };
const T0 = Date.parse("2025-05-01T10:00:00.400Z");
const T0S = "2025-05-01T10:00:00Z";
const T1 = T0 + 10_000;
const T1S = "2025-05-01T10:00:10Z";

function byType(status: NodeStatus): Record<string, NodeCondition> {
  return Object.fromEntries((status.conditions ?? []).map((c) => [c.type, c]));
}

Deno.test("setNodeConditions() adds the four conditions to a fresh node, Ready last", () => {
  const status: NodeStatus = { capacity: { ...CAPACITY } };
  const events = setNodeConditions(status, { nowMs: T0, pressure: NONE, notReady: [] });
  assert.deepEqual(events, [
    "NodeHasSufficientMemory",
    "NodeHasNoDiskPressure",
    "NodeHasSufficientPID",
  ]);
  assert.deepEqual(status.conditions, [
    {
      type: "MemoryPressure",
      status: "False",
      reason: "KubeletHasSufficientMemory",
      message: "kubelet has sufficient memory available",
      lastHeartbeatTime: T0S,
      lastTransitionTime: T0S,
    },
    {
      type: "DiskPressure",
      status: "False",
      reason: "KubeletHasNoDiskPressure",
      message: "kubelet has no disk pressure",
      lastHeartbeatTime: T0S,
      lastTransitionTime: T0S,
    },
    {
      type: "PIDPressure",
      status: "False",
      reason: "KubeletHasSufficientPID",
      message: "kubelet has sufficient PID available",
      lastHeartbeatTime: T0S,
      lastTransitionTime: T0S,
    },
    {
      type: "Ready",
      status: "True",
      reason: "KubeletReady",
      message: "kubelet is posting ready status",
      lastHeartbeatTime: T0S,
      lastTransitionTime: T0S,
    },
  ]);
});

Deno.test("setNodeConditions() moves heartbeats every time and transition times only on change", async (t) => {
  const status: NodeStatus = { capacity: { ...CAPACITY } };
  setNodeConditions(status, { nowMs: T0, pressure: NONE, notReady: [] });

  await t.step("same state: heartbeat only, no events", () => {
    assert.deepEqual(setNodeConditions(status, { nowMs: T1, pressure: NONE, notReady: [] }), []);
    for (const c of status.conditions ?? []) {
      assert.equal(c.lastHeartbeatTime, T1S, c.type);
      assert.equal(c.lastTransitionTime, T0S, c.type);
    }
  });

  await t.step("memory pressure and not ready", () => {
    const events = setNodeConditions(status, {
      nowMs: T1 + 10_000,
      pressure: { ...NONE, memory: true },
      notReady: ["container runtime is down"],
    });
    assert.deepEqual(events, ["NodeHasInsufficientMemory", "NodeNotReady"]);
    const c = byType(status);
    assert.deepEqual(
      [c.MemoryPressure?.status, c.MemoryPressure?.reason, c.MemoryPressure?.message],
      ["True", "KubeletHasInsufficientMemory", "kubelet has insufficient memory available"],
    );
    assert.deepEqual(
      [c.Ready?.status, c.Ready?.reason, c.Ready?.message, c.Ready?.lastTransitionTime],
      ["False", "KubeletNotReady", "container runtime is down", "2025-05-01T10:00:20Z"],
    );
    assert.equal(c.DiskPressure?.lastTransitionTime, T0S);
  });

  await t.step("several problems are aggregated", () => {
    setNodeConditions(status, {
      nowMs: T1 + 20_000,
      pressure: { ...NONE, memory: true },
      notReady: ["container runtime is down", "container runtime network not ready: no CNI"],
    });
    const ready = byType(status).Ready!;
    assert.equal(
      ready.message,
      "[container runtime is down, container runtime network not ready: no CNI]",
    );
    assert.equal(ready.lastTransitionTime, "2025-05-01T10:00:20Z");
  });
});

Deno.test("setNodeConditions() takes back conditions another writer set to Unknown", () => {
  const unknown = (type: string): NodeCondition => ({
    type,
    status: "Unknown",
    reason: "NodeStatusUnknown",
    message: "Kubelet stopped posting node status.",
    lastHeartbeatTime: "2025-05-01T09:00:00Z",
    lastTransitionTime: "2025-05-01T09:30:00Z",
  });
  const status: NodeStatus = {
    capacity: { ...CAPACITY },
    conditions: ["Ready", "MemoryPressure", "DiskPressure", "PIDPressure"].map(unknown)
      .concat([{ type: "NetworkUnavailable", status: "False", reason: "RouteCreated" }]),
  };
  const events = setNodeConditions(status, { nowMs: T0, pressure: NONE, notReady: [] });
  assert.deepEqual(events, [
    "NodeHasSufficientMemory",
    "NodeHasNoDiskPressure",
    "NodeHasSufficientPID",
    "NodeReady",
  ]);
  const c = byType(status);
  for (const type of ["Ready", "MemoryPressure", "DiskPressure", "PIDPressure"]) {
    assert.equal(c[type]?.lastTransitionTime, T0S, type);
    assert.notEqual(c[type]?.reason, "NodeStatusUnknown", type);
  }
  // The existing order is kept, and other writers' conditions stay.
  assert.deepEqual(status.conditions?.map((x) => x.type), [
    "Ready",
    "MemoryPressure",
    "DiskPressure",
    "PIDPressure",
    "NetworkUnavailable",
  ]);
  assert.deepEqual(c.NetworkUnavailable, {
    type: "NetworkUnavailable",
    status: "False",
    reason: "RouteCreated",
  });
});

Deno.test("setNodeConditions() keeps a node without the required capacity not ready", () => {
  const status: NodeStatus = { capacity: { cpu: "1", pods: "110" } };
  setNodeConditions(status, { nowMs: T0, pressure: NONE, notReady: [] });
  const ready = byType(status).Ready!;
  assert.equal(ready.status, "False");
  assert.equal(ready.message, "missing node capacity for resources: memory, ephemeral-storage");
});

Deno.test("nodeStatusEventMessage() reads as the kubelet's", () => {
  assert.equal(
    nodeStatusEventMessage("edge-1", "NodeReady"),
    "Node edge-1 status is now: NodeReady",
  );
});
