import assert from "node:assert/strict";
import type { Node } from "../../api/types/core_v1_node.ts";
import type { Pod } from "../../api/types/core_v1_pod.ts";
import { newSnapshot } from "../snapshot.ts";
import type { PluginStatus } from "../status.ts";
import { testNode, testPod } from "../_testing.ts";
import { checkPluginContract, filterStatus, scoreNodes } from "./_contract.ts";
import {
  fits,
  leastRequestedScore,
  mostRequestedScore,
  NAME,
  newNodeResourcesFit,
} from "./node_resources_fit.ts";

const HANDLE = { snapshot: () => undefined as never };
const NODE = testNode({
  name: "n",
  allocatable: {
    cpu: "2",
    memory: "4Gi",
    pods: "3",
    "ephemeral-storage": "10Gi",
    "example.com/gpu": "2",
  },
});
const BUSY = [
  testPod({
    name: "x",
    nodeName: "n",
    requests: { cpu: "1", memory: "1Gi", "example.com/gpu": "1" },
  }),
];

Deno.test("NodeResourcesFit rejects nodes without room, with upstream's reasons", async (t) => {
  const cases: {
    name: string;
    pod: Pod;
    node: Node;
    existingPods: Pod[];
    want: PluginStatus | null;
  }[] = [
    {
      name: "fits",
      pod: testPod({ requests: { cpu: "1", memory: "3Gi" } }),
      node: NODE,
      existingPods: BUSY,
      want: null,
    },
    {
      name: "not enough cpu left",
      pod: testPod({ requests: { cpu: "1500m" } }),
      node: NODE,
      existingPods: BUSY,
      want: { code: "Unschedulable", reasons: ["Insufficient cpu"] },
    },
    {
      name: "more cpu than the node has at all",
      pod: testPod({ requests: { cpu: "3" } }),
      node: NODE,
      existingPods: [],
      want: { code: "UnschedulableAndUnresolvable", reasons: ["Insufficient cpu"] },
    },
    {
      name: "cpu and memory, in that order",
      pod: testPod({ requests: { cpu: "1500m", memory: "3500Mi" } }),
      node: NODE,
      existingPods: BUSY,
      want: { code: "Unschedulable", reasons: ["Insufficient cpu", "Insufficient memory"] },
    },
    {
      name: "ephemeral storage",
      pod: testPod({ requests: { "ephemeral-storage": "11Gi" } }),
      node: NODE,
      existingPods: [],
      want: { code: "UnschedulableAndUnresolvable", reasons: ["Insufficient ephemeral-storage"] },
    },
    {
      name: "an extended resource",
      pod: testPod({ requests: { "example.com/gpu": "2" } }),
      node: NODE,
      existingPods: BUSY,
      want: { code: "Unschedulable", reasons: ["Insufficient example.com/gpu"] },
    },
    {
      name: "an extended resource the node lacks",
      pod: testPod({ requests: { "example.com/fpga": "1" } }),
      node: NODE,
      existingPods: [],
      want: { code: "UnschedulableAndUnresolvable", reasons: ["Insufficient example.com/fpga"] },
    },
    {
      name: "too many pods, even for a pod requesting nothing",
      pod: testPod(),
      node: NODE,
      existingPods: [0, 1, 2].map((i) => testPod({ name: `p${i}`, nodeName: "n" })),
      want: { code: "Unschedulable", reasons: ["Too many pods"] },
    },
    {
      name: "an init container larger than the node",
      pod: testPod({
        initContainers: [{ name: "init", resources: { requests: { memory: "5Gi" } } }],
        requests: { memory: "1Gi" },
      }),
      node: NODE,
      existingPods: [],
      want: { code: "UnschedulableAndUnresolvable", reasons: ["Insufficient memory"] },
    },
    {
      name: "the overhead counts",
      pod: testPod({ requests: { cpu: "900m" }, overhead: { cpu: "200m" } }),
      node: NODE,
      existingPods: BUSY,
      want: { code: "Unschedulable", reasons: ["Insufficient cpu"] },
    },
  ];
  const plugin = checkPluginContract(newNodeResourcesFit, {
    name: NAME,
    pods: cases.map((c) => c.pod),
    nodes: [NODE],
    existingPods: BUSY,
  });
  for (const c of cases) {
    await t.step(c.name, () => assert.deepEqual(filterStatus(plugin, c), c.want));
  }
});

Deno.test("NodeResourcesFit ignores the extended resources its args name", () => {
  const pod = testPod({ requests: { "example.com/gpu": "5", "vendor.io/fpga": "1" } });
  const byName = newNodeResourcesFit({ ignoredResources: ["example.com/gpu"] }, HANDLE);
  assert.deepEqual(filterStatus(byName, { pod, node: NODE }), {
    code: "UnschedulableAndUnresolvable",
    reasons: ["Insufficient vendor.io/fpga"],
  });
  const byGroup = newNodeResourcesFit(
    { ignoredResourceGroups: ["example.com", "vendor.io"] },
    HANDLE,
  );
  assert.equal(filterStatus(byGroup, { pod, node: NODE }), null);
  assert.throws(
    () => newNodeResourcesFit({ ignoredResourceGroups: ["a/b"] }, HANDLE),
    /Invalid args for plugin "NodeResourcesFit": ignoredResourceGroups\.0: must not contain '\/'/,
  );
  assert.throws(
    () => newNodeResourcesFit({ scoringStrategy: { type: "Random" } }, HANDLE),
    /Invalid args for plugin "NodeResourcesFit": scoringStrategy\.type/,
  );
});

Deno.test("fits() lists every insufficient resource", () => {
  const missing = fits(
    testPod({ requests: { cpu: "3", memory: "8Gi" } }),
    newSnapshot([NODE]).get("n")!,
  );
  assert.deepEqual(missing.map((m) => [m.reason, m.requested, m.capacity]), [
    ["Insufficient cpu", 3000, 2000],
    ["Insufficient memory", 8 * 1024 ** 3, 4 * 1024 ** 3],
  ]);
});

Deno.test("NodeResourcesFit scores by LeastAllocated or MostAllocated", async (t) => {
  // Upstream's "differently sized nodes" case: 4000m/10000 and 6000m/10000, the pod asks 3000m/5000.
  const nodes = [
    testNode({ name: "small", allocatable: { cpu: "4", memory: "10000", pods: "110" } }),
    testNode({ name: "large", allocatable: { cpu: "6", memory: "10000", pods: "110" } }),
  ];
  const pod = testPod({
    containers: [
      { name: "a", resources: { requests: { cpu: "1", memory: "2000" } } },
      { name: "b", resources: { requests: { cpu: "2", memory: "3000" } } },
    ],
  });
  const cases: { name: string; args?: unknown; pod: Pod; want: Record<string, number> }[] = [
    { name: "LeastAllocated (default)", pod, want: { small: 37, large: 50 } },
    {
      name: "MostAllocated",
      args: { scoringStrategy: { type: "MostAllocated" } },
      pod,
      want: { small: 62, large: 50 },
    },
    {
      name: "LeastAllocated with cpu weighing 3",
      args: {
        scoringStrategy: { resources: [{ name: "cpu", weight: 3 }, { name: "memory", weight: 1 }] },
      },
      pod,
      want: { small: 31, large: 50 },
    },
    {
      // cpu: (4000-100)/4000 → 97 and (6000-100)/6000 → 98; 200Mi exceeds the 10000 bytes → 0.
      name: "a pod without requests counts as 100m and 200Mi",
      pod: testPod(),
      want: { small: 48, large: 49 },
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.deepEqual(
        scoreNodes((h) => newNodeResourcesFit(c.args, h), { pod: c.pod, nodes }),
        c.want,
      );
    });
  }
});

Deno.test("leastRequestedScore() and mostRequestedScore() follow upstream's formulas", () => {
  assert.equal(leastRequestedScore(0, 0), 0);
  assert.equal(leastRequestedScore(5, 4), 0);
  assert.equal(leastRequestedScore(1, 3), 66);
  assert.equal(mostRequestedScore(5, 4), 100);
  assert.equal(mostRequestedScore(1, 3), 33);
  assert.equal(mostRequestedScore(1, 0), 0);
});
