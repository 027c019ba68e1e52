import assert from "node:assert/strict";
import type { Lease } from "../api/types/coordination_v1.ts";
import type { Node } from "../api/types/core_v1_node.ts";
import {
  healthExpired,
  type HealthInput,
  observeNodeHealth,
  unknownConditions,
} from "./_node_health.ts";

const T0 = Date.parse("2025-01-01T00:00:00Z");
function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

function node(heartbeatMs?: number, extra: Partial<Node> = {}): Node {
  return {
    metadata: { name: "edge-1", creationTimestamp: iso(T0 - 3_600_000) },
    status: heartbeatMs === undefined ? {} : {
      conditions: [{
        type: "Ready",
        status: "True",
        reason: "KubeletReady",
        lastHeartbeatTime: iso(heartbeatMs),
        lastTransitionTime: iso(T0 - 3_600_000),
      }, {
        type: "MemoryPressure",
        status: "False",
        lastHeartbeatTime: iso(heartbeatMs),
        lastTransitionTime: iso(T0 - 3_600_000),
      }],
    },
    ...extra,
  };
}

function lease(renewMs: number): Lease {
  return {
    metadata: { namespace: "kube-node-lease", name: "edge-1" },
    spec: { renewTime: new Date(renewMs).toISOString().replace("Z", "000Z") },
  };
}

function input(n: Node, nowMs: number, l?: Lease): HealthInput {
  return {
    node: n,
    lease: l,
    nowMs,
    monitorGracePeriodMs: 40_000,
    startupGracePeriodMs: 60_000,
  };
}

Deno.test("observeNodeHealth() stamps heartbeats with the controller's clock when seen", () => {
  // The node's own clock is an hour behind: only the controller's clock counts.
  let o = observeNodeHealth(undefined, input(node(T0 - 3_600_000), T0));
  assert.equal(o.health.probeMs, T0);
  assert.equal(o.gracePeriodMs, 40_000);
  o = observeNodeHealth(o.health, input(node(T0 - 3_600_000), T0 + 30_000));
  assert.equal(o.health.probeMs, T0, "the same heartbeat is no news");
  assert.equal(healthExpired(o, T0 + 40_000), false);
  assert.equal(healthExpired(o, T0 + 40_001), true);
  o = observeNodeHealth(o.health, input(node(T0 - 3_590_000), T0 + 35_000));
  assert.equal(o.health.probeMs, T0 + 35_000, "a new lastHeartbeatTime is");
});

Deno.test("observeNodeHealth() counts a newer Lease renewTime as a heartbeat", () => {
  let o = observeNodeHealth(undefined, input(node(T0), T0, lease(T0)));
  assert.equal(o.health.probeMs, T0);
  o = observeNodeHealth(o.health, input(node(T0), T0 + 10_000, lease(T0)));
  assert.equal(o.health.probeMs, T0);
  o = observeNodeHealth(o.health, input(node(T0), T0 + 20_000, lease(T0 + 10_000)));
  assert.equal(o.health.probeMs, T0 + 20_000);
  o = observeNodeHealth(o.health, input(node(T0), T0 + 30_000, lease(T0 + 5_000)));
  assert.equal(o.health.probeMs, T0 + 20_000, "an older renewTime is not");
});

Deno.test("observeNodeHealth() gives a node that never posted status the startup grace from its creation", () => {
  const created = T0 - 30_000;
  const n = node(undefined, { metadata: { name: "edge-1", creationTimestamp: iso(created) } });
  const o = observeNodeHealth(undefined, input(n, T0));
  assert.equal(o.gracePeriodMs, 60_000);
  assert.equal(o.health.probeMs, created);
  assert.equal(healthExpired(o, created + 60_001), true);
  const posted = observeNodeHealth(o.health, input(node(T0), T0 + 1000));
  assert.equal(posted.health.probeMs, T0 + 1000, "its first Ready condition is a heartbeat");
  assert.equal(posted.gracePeriodMs, 40_000);
});

Deno.test("unknownConditions() sets the four conditions Unknown as upstream writes them", () => {
  const now = T0 + 41_000;
  const { conditions, readyChanged } = unknownConditions(node(T0), now);
  assert.ok(readyChanged);
  const byType = Object.fromEntries(conditions.map((c) => [c.type, c]));
  assert.deepEqual(byType.Ready, {
    type: "Ready",
    status: "Unknown",
    reason: "NodeStatusUnknown",
    message: "Kubelet stopped posting node status.",
    lastHeartbeatTime: iso(T0),
    lastTransitionTime: iso(now),
  });
  assert.equal(byType.MemoryPressure?.reason, "NodeStatusUnknown");
  for (const type of ["DiskPressure", "PIDPressure"]) {
    assert.deepEqual(byType[type], {
      type,
      status: "Unknown",
      reason: "NodeStatusNeverUpdated",
      message: "Kubelet never posted node status.",
      lastHeartbeatTime: iso(T0 - 3_600_000),
      lastTransitionTime: iso(now),
    });
  }
  const again = unknownConditions({ ...node(T0), status: { conditions } }, now + 5000);
  assert.equal(again.readyChanged, false, "already Unknown: nothing to write");
  assert.deepEqual(again.conditions, conditions);
});

Deno.test("unknownConditions() adds a Ready condition a node never posted", () => {
  const { conditions, readyChanged } = unknownConditions(node(), T0);
  assert.ok(readyChanged);
  assert.equal(conditions.length, 4);
  assert.equal(conditions.find((c) => c.type === "Ready")?.reason, "NodeStatusNeverUpdated");
});
