import assert from "node:assert/strict";
import type { Node } from "../api/types/core_v1_node.ts";
import { applyTaintChange, noScheduleTaintChange, zoneKeyOf } from "./_node_taints.ts";

function node(conditions: Record<string, string>, spec: Node["spec"] = {}): Node {
  return {
    metadata: { name: "n" },
    spec,
    status: { conditions: Object.entries(conditions).map(([type, status]) => ({ type, status })) },
  };
}

Deno.test("noScheduleTaintChange() derives the NoSchedule taints from conditions", async (t) => {
  const cases: { name: string; node: Node; add: string[]; remove: string[] }[] = [
    {
      name: "healthy",
      node: node({ Ready: "True", MemoryPressure: "False" }),
      add: [],
      remove: [],
    },
    {
      name: "not ready",
      node: node({ Ready: "False" }),
      add: ["node.kubernetes.io/not-ready"],
      remove: [],
    },
    {
      name: "unknown",
      node: node({ Ready: "Unknown" }),
      add: ["node.kubernetes.io/unreachable"],
      remove: [],
    },
    {
      name: "pressures and network",
      node: node({
        Ready: "True",
        MemoryPressure: "True",
        DiskPressure: "True",
        PIDPressure: "True",
        NetworkUnavailable: "True",
      }),
      add: [
        "node.kubernetes.io/memory-pressure",
        "node.kubernetes.io/disk-pressure",
        "node.kubernetes.io/pid-pressure",
        "node.kubernetes.io/network-unavailable",
      ],
      remove: [],
    },
    {
      name: "cordoned",
      node: node({ Ready: "True" }, { unschedulable: true }),
      add: ["node.kubernetes.io/unschedulable"],
      remove: [],
    },
    {
      name: "swap unreachable for not-ready, leave others alone",
      node: node({ Ready: "False" }, {
        taints: [
          { key: "node.kubernetes.io/unreachable", effect: "NoSchedule" },
          { key: "node.kubernetes.io/unreachable", effect: "NoExecute" },
          { key: "dedicated", effect: "NoSchedule" },
        ],
      }),
      add: ["node.kubernetes.io/not-ready"],
      remove: ["node.kubernetes.io/unreachable"],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const change = noScheduleTaintChange(c.node);
      assert.deepEqual(change.add.map((x) => x.key).sort(), [...c.add].sort());
      assert.ok(change.add.every((x) => x.effect === "NoSchedule"));
      assert.deepEqual(change.remove.map((x) => x.key), c.remove);
      assert.ok(change.remove.every((x) => x.effect === "NoSchedule"));
    });
  }
});

Deno.test("applyTaintChange() keeps existing taints as they are and stamps new ones", () => {
  const now = Date.parse("2025-01-01T00:00:00Z");
  const taints = applyTaintChange([
    { key: "node.kubernetes.io/not-ready", effect: "NoExecute", timeAdded: "2024-12-31T00:00:00Z" },
    { key: "node.kubernetes.io/unreachable", effect: "NoSchedule" },
    { key: "dedicated", value: "gpu", effect: "NoSchedule" },
  ], {
    add: [
      { key: "node.kubernetes.io/unreachable", effect: "NoExecute" },
      { key: "dedicated", effect: "NoSchedule" },
    ],
    remove: [{ key: "node.kubernetes.io/not-ready", effect: "NoExecute" }],
    nowMs: now,
  });
  assert.deepEqual(taints, [
    { key: "node.kubernetes.io/unreachable", effect: "NoSchedule" },
    { key: "dedicated", value: "gpu", effect: "NoSchedule" },
    {
      key: "node.kubernetes.io/unreachable",
      effect: "NoExecute",
      timeAdded: "2025-01-01T00:00:00Z",
    },
  ]);
});

Deno.test("zoneKeyOf() joins region and zone, beta labels as a fallback", () => {
  const labelled = (labels: Record<string, string>): Node => ({ metadata: { name: "n", labels } });
  assert.equal(zoneKeyOf(labelled({})), "");
  assert.equal(
    zoneKeyOf(
      labelled({ "topology.kubernetes.io/region": "eu", "topology.kubernetes.io/zone": "a" }),
    ),
    "eu:\u0000:a",
  );
  assert.equal(zoneKeyOf(labelled({ "failure-domain.beta.kubernetes.io/zone": "b" })), ":\u0000:b");
});
