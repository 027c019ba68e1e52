import assert from "node:assert/strict";
import type { Node } from "../../api/types/core_v1_node.ts";
import type { Pod } from "../../api/types/core_v1_pod.ts";
import type { PluginStatus } from "../status.ts";
import { testNode, testPod } from "../_testing.ts";
import { checkPluginContract, filterStatus } from "./_contract.ts";
import { ERR_REASON, NAME, newNodeName } from "./node_name.ts";

Deno.test("NodeName filters nodes by spec.nodeName", async (t) => {
  const cases: { name: string; pod: Pod; node: Node; want: PluginStatus | null }[] = [
    {
      name: "no node name fits any node",
      pod: testPod(),
      node: testNode({ name: "a" }),
      want: null,
    },
    {
      name: "the named node",
      pod: testPod({ nodeName: "a" }),
      node: testNode({ name: "a" }),
      want: null,
    },
    {
      name: "another node",
      pod: testPod({ nodeName: "b" }),
      node: testNode({ name: "a" }),
      want: { code: "UnschedulableAndUnresolvable", reasons: [ERR_REASON] },
    },
  ];
  const plugin = checkPluginContract(newNodeName, {
    name: NAME,
    pods: cases.map((c) => c.pod),
    nodes: [testNode({ name: "a" })],
  });
  for (const c of cases) {
    await t.step(c.name, () => assert.deepEqual(filterStatus(plugin, c), c.want));
  }
});

Deno.test("newNodeName() refuses args", () => {
  assert.throws(
    () => newNodeName({ foo: 1 }, { snapshot: () => undefined as never }),
    /Invalid args for plugin "NodeName"/,
  );
});
