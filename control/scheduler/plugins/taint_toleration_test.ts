import assert from "node:assert/strict";
import type { Node } from "../../api/types/core_v1_node.ts";
import type { Pod } from "../../api/types/core_v1_pod.ts";
import type { PluginStatus } from "../status.ts";
import { testNode, testPod } from "../_testing.ts";
import { checkPluginContract, filterStatus, scoreNodes } from "./_contract.ts";
import { NAME, newTaintToleration } from "./taint_toleration.ts";

const CONTROL_PLANE = testNode({
  name: "cp",
  taints: [{ key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" }],
});

Deno.test("TaintToleration rejects nodes with untolerated NoSchedule/NoExecute taints", async (t) => {
  const cases: { name: string; pod: Pod; node: Node; want: PluginStatus | null }[] = [
    { name: "no taints", pod: testPod(), node: testNode(), want: null },
    {
      name: "an untolerated NoSchedule taint, printed with an empty value",
      pod: testPod(),
      node: CONTROL_PLANE,
      want: {
        code: "UnschedulableAndUnresolvable",
        reasons: ["node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }"],
      },
    },
    {
      name: "an untolerated NoExecute taint with a value",
      pod: testPod(),
      node: testNode({ taints: [{ key: "dedicated", value: "gpu", effect: "NoExecute" }] }),
      want: {
        code: "UnschedulableAndUnresolvable",
        reasons: ["node(s) had untolerated taint {dedicated: gpu}"],
      },
    },
    {
      name: "a tolerated taint",
      pod: testPod({
        tolerations: [{ key: "node-role.kubernetes.io/control-plane", operator: "Exists" }],
      }),
      node: CONTROL_PLANE,
      want: null,
    },
    {
      name: "PreferNoSchedule never rejects",
      pod: testPod(),
      node: testNode({ taints: [{ key: "soft", effect: "PreferNoSchedule" }] }),
      want: null,
    },
  ];
  const plugin = checkPluginContract(newTaintToleration, {
    name: NAME,
    pods: cases.map((c) => c.pod),
    nodes: cases.map((c, i) => ({ ...c.node, metadata: { ...c.node.metadata, name: `n${i}` } })),
  });
  for (const c of cases) {
    await t.step(c.name, () => assert.deepEqual(filterStatus(plugin, c), c.want));
  }
});

Deno.test("TaintToleration scores fewer untolerated PreferNoSchedule taints higher", async (t) => {
  const soft = (name: string, keys: string[]) =>
    testNode({ name, taints: keys.map((key) => ({ key, effect: "PreferNoSchedule" as const })) });
  const nodes = [
    soft("none", []),
    soft("one", ["a"]),
    soft("two", ["a", "b"]),
    testNode({
      name: "hard",
      taints: [{ key: "c", effect: "NoSchedule" }],
    }),
  ];
  const cases: { name: string; pod: Pod; want: Record<string, number> }[] = [
    { name: "no tolerations", pod: testPod(), want: { none: 100, one: 50, two: 0, hard: 100 } },
    {
      name: "tolerating a",
      pod: testPod({ tolerations: [{ key: "a", operator: "Exists", effect: "PreferNoSchedule" }] }),
      want: { none: 100, one: 100, two: 0, hard: 100 },
    },
    {
      name: "a NoSchedule toleration does not count",
      pod: testPod({ tolerations: [{ key: "a", operator: "Exists", effect: "NoSchedule" }] }),
      want: { none: 100, one: 50, two: 0, hard: 100 },
    },
    {
      name: "tolerating everything",
      pod: testPod({ tolerations: [{ operator: "Exists" }] }),
      want: { none: 100, one: 100, two: 100, hard: 100 },
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.deepEqual(
        scoreNodes((h) => newTaintToleration(undefined, h), { pod: c.pod, nodes }),
        c.want,
      );
    });
  }
});
