import assert from "node:assert/strict";
import type { Node } from "../../api/types/core_v1_node.ts";
import type { Pod } from "../../api/types/core_v1_pod.ts";
import { NodeInfo } from "../node_info.ts";
import type { PluginStatus } from "../status.ts";
import { testNode, testPod } from "../_testing.ts";
import { checkPluginContract, filterStatus } from "./_contract.ts";
import {
  check,
  ERR_REASON_UNKNOWN_CONDITION,
  ERR_REASON_UNSCHEDULABLE,
  NAME,
  newNodeUnschedulable,
} from "./node_unschedulable.ts";

Deno.test("NodeUnschedulable keeps pods off cordoned nodes unless they tolerate it", async (t) => {
  const cordoned = testNode({ name: "a", unschedulable: true });
  const cases: { name: string; pod: Pod; node: Node; want: PluginStatus | null }[] = [
    { name: "a schedulable node", pod: testPod(), node: testNode({ name: "a" }), want: null },
    {
      name: "a cordoned node",
      pod: testPod(),
      node: cordoned,
      want: { code: "UnschedulableAndUnresolvable", reasons: [ERR_REASON_UNSCHEDULABLE] },
    },
    {
      name: "a cordoned node, the pod tolerating the unschedulable taint",
      pod: testPod({
        tolerations: [{
          key: "node.kubernetes.io/unschedulable",
          operator: "Exists",
          effect: "NoSchedule",
        }],
      }),
      node: cordoned,
      want: null,
    },
    {
      name: "a cordoned node, the pod tolerating everything",
      pod: testPod({ tolerations: [{ operator: "Exists" }] }),
      node: cordoned,
      want: null,
    },
    {
      name: "a cordoned node, a NoExecute-only toleration does not help",
      pod: testPod({
        tolerations: [{
          key: "node.kubernetes.io/unschedulable",
          operator: "Exists",
          effect: "NoExecute",
        }],
      }),
      node: cordoned,
      want: { code: "UnschedulableAndUnresolvable", reasons: [ERR_REASON_UNSCHEDULABLE] },
    },
  ];
  const plugin = checkPluginContract(newNodeUnschedulable, {
    name: NAME,
    pods: cases.map((c) => c.pod),
    nodes: [cordoned, testNode({ name: "b" })],
  });
  for (const c of cases) {
    await t.step(c.name, () => assert.deepEqual(filterStatus(plugin, c), c.want));
  }
});

Deno.test("NodeUnschedulable rejects a node info without its Node", () => {
  assert.deepEqual(check(testPod(), NodeInfo.empty("ghost", null)), {
    code: "UnschedulableAndUnresolvable",
    reasons: [ERR_REASON_UNKNOWN_CONDITION],
  });
});
