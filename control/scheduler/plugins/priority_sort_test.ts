import assert from "node:assert/strict";
import { testPod } from "../_testing.ts";
import { checkPluginContract } from "./_contract.ts";
import { less, NAME, newPrioritySort } from "./priority_sort.ts";

Deno.test("PrioritySort orders by priority, then by queue time", async (t) => {
  const cases: {
    name: string;
    a: [number | undefined, number];
    b: [number | undefined, number];
    want: boolean;
  }[] = [
    { name: "higher priority first", a: [10, 5], b: [1, 1], want: true },
    { name: "lower priority later", a: [1, 1], b: [10, 5], want: false },
    { name: "same priority, earlier first", a: [5, 1], b: [5, 2], want: true },
    { name: "same priority and time", a: [5, 1], b: [5, 1], want: false },
    { name: "no priority counts as 0", a: [undefined, 1], b: [-1, 0], want: true },
  ];
  checkPluginContract(newPrioritySort, { name: NAME, pods: [], nodes: [] });
  for (const c of cases) {
    await t.step(c.name, () => {
      const info = ([priority, timestampMs]: [number | undefined, number]) => ({
        pod: testPod(priority === undefined ? {} : { priority }),
        timestampMs,
      });
      assert.equal(less(info(c.a), info(c.b)), c.want);
    });
  }
});
