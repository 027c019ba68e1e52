import assert from "node:assert/strict";
import type { Pod } from "../../api/types/core_v1_pod.ts";
import { testNode, testPod } from "../_testing.ts";
import { checkPluginContract, scoreNodes } from "./_contract.ts";
import { balancedResourceScorer, NAME, newBalancedAllocation } from "./balanced_allocation.ts";

Deno.test("NodeResourcesBalancedAllocation favours even use of resources", async (t) => {
  const nodes = [
    testNode({
      name: "small",
      allocatable: { cpu: "4", memory: "10000", pods: "110", "example.com/gpu": "4" },
    }),
    testNode({ name: "large", allocatable: { cpu: "6", memory: "10000", pods: "110" } }),
  ];
  const pod = testPod({ requests: { cpu: "3", memory: "5000" } });
  const cases: {
    name: string;
    args?: unknown;
    pod: Pod;
    existingPods?: Pod[];
    want: Record<string, number> | null;
  }[] = [
    // small: cpu 3/4 = .75, memory .5 → std .125 → 87; large: .5 and .5 → 100.
    { name: "two resources", pod, want: { small: 87, large: 100 } },
    {
      name: "pods already on the node count as requested",
      pod,
      existingPods: [testPod({ name: "x", nodeName: "large", requests: { memory: "3000" } })],
      want: { small: 87, large: 85 },
    },
    { name: "a pod requesting nothing is not scored", pod: testPod(), want: null },
    {
      name: "three resources: the standard deviation of all fractions",
      args: {
        resources: [{ name: "cpu", weight: 1 }, { name: "memory", weight: 1 }, {
          name: "example.com/gpu",
          weight: 1,
        }],
      },
      pod: testPod({ requests: { cpu: "3", memory: "5000", "example.com/gpu": "1" } }),
      // small: .75, .5, .25 → std ≈ .204 → 79; large has no gpu: .5, .5 → 100.
      want: { small: 79, large: 100 },
    },
  ];
  checkPluginContract(newBalancedAllocation, { name: NAME, pods: cases.map((c) => c.pod), nodes });
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.deepEqual(
        scoreNodes((h) => newBalancedAllocation(c.args, h), {
          pod: c.pod,
          nodes,
          existingPods: c.existingPods ?? [],
        }),
        c.want,
      );
    });
  }
});

Deno.test("balancedResourceScorer() caps fractions at 1 and ignores missing resources", () => {
  assert.equal(balancedResourceScorer([8, 1], [4, 2]), 75);
  assert.equal(balancedResourceScorer([1, 0], [2, 0]), 100);
  assert.equal(balancedResourceScorer([], []), 100);
});
