import assert from "node:assert/strict";
import type { NodeSelectorTerm } from "../../api/types/core_v1_common.ts";
import type { Node } from "../../api/types/core_v1_node.ts";
import type { Affinity, Pod } from "../../api/types/core_v1_pod.ts";
import { CycleState } from "../cycle_state.ts";
import type { PluginStatus } from "../status.ts";
import { testNode, testPod } from "../_testing.ts";
import { checkPluginContract, filterStatus, scoreNodes } from "./_contract.ts";
import {
  ERR_REASON_CONFLICT,
  ERR_REASON_ENFORCED,
  ERR_REASON_POD,
  NAME,
  newNodeAffinity,
  pinnedNodeNames,
} from "./node_affinity.ts";

const HANDLE = { snapshot: () => undefined as never };

function required(...terms: NodeSelectorTerm[]): Affinity {
  return {
    nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } },
  };
}

const ZONE_A = testNode({ name: "a", labels: { zone: "a", disk: "ssd" } });

Deno.test("NodeAffinity filters by nodeSelector and required node affinity", async (t) => {
  const mismatch: PluginStatus = {
    code: "UnschedulableAndUnresolvable",
    reasons: [ERR_REASON_POD],
  };
  const cases: { name: string; pod: Pod; node: Node; want: PluginStatus | null }[] = [
    { name: "no constraints", pod: testPod(), node: ZONE_A, want: null },
    {
      name: "nodeSelector matching",
      pod: testPod({ nodeSelector: { zone: "a" } }),
      node: ZONE_A,
      want: null,
    },
    {
      name: "nodeSelector not matching",
      pod: testPod({ nodeSelector: { zone: "b" } }),
      node: ZONE_A,
      want: mismatch,
    },
    {
      name: "required In matching",
      pod: testPod({
        affinity: required({
          matchExpressions: [{ key: "zone", operator: "In", values: ["a", "b"] }],
        }),
      }),
      node: ZONE_A,
      want: null,
    },
    {
      name: "required terms are ORed",
      pod: testPod({
        affinity: required(
          { matchExpressions: [{ key: "zone", operator: "In", values: ["z"] }] },
          { matchExpressions: [{ key: "disk", operator: "Exists" }] },
        ),
      }),
      node: ZONE_A,
      want: null,
    },
    {
      name: "required DoesNotExist failing",
      pod: testPod({
        affinity: required({ matchExpressions: [{ key: "disk", operator: "DoesNotExist" }] }),
      }),
      node: ZONE_A,
      want: mismatch,
    },
    {
      name: "selector and affinity are ANDed",
      pod: testPod({
        nodeSelector: { zone: "b" },
        affinity: required({ matchExpressions: [{ key: "disk", operator: "Exists" }] }),
      }),
      node: ZONE_A,
      want: mismatch,
    },
    {
      name: "an empty term list matches nothing",
      pod: testPod({ affinity: required() }),
      node: ZONE_A,
      want: mismatch,
    },
    {
      name: "matchFields metadata.name narrows at PreFilter",
      pod: testPod({
        affinity: required({
          matchFields: [{ key: "metadata.name", operator: "In", values: ["b"] }],
        }),
      }),
      node: ZONE_A,
      want: { code: "UnschedulableAndUnresolvable", reasons: ["excluded by PreFilter"] },
    },
  ];
  const plugin = checkPluginContract(newNodeAffinity, {
    name: NAME,
    pods: cases.map((c) => c.pod),
    nodes: [ZONE_A, testNode({ name: "b" })],
  });
  for (const c of cases) {
    await t.step(c.name, () => assert.deepEqual(filterStatus(plugin, c), c.want));
  }
});

Deno.test("NodeAffinity PreFilter narrows to pinned node names, or rejects conflicting pins", async (t) => {
  const pin = (...names: string[]) => ({
    matchFields: [{ key: "metadata.name", operator: "In", values: names }],
  });
  const cases: { name: string; affinity: Affinity; want: string[] | null | PluginStatus }[] = [
    { name: "one term", affinity: required(pin("a", "b")), want: ["a", "b"] },
    { name: "terms are unioned", affinity: required(pin("a"), pin("c")), want: ["a", "c"] },
    {
      name: "requirements in a term are intersected",
      affinity: required({
        matchFields: [
          { key: "metadata.name", operator: "In", values: ["a", "b"] },
          { key: "metadata.name", operator: "In", values: ["b", "c"] },
        ],
      }),
      want: ["b"],
    },
    {
      name: "a term without pins allows all nodes",
      affinity: required(pin("a"), { matchExpressions: [{ key: "zone", operator: "Exists" }] }),
      want: null,
    },
    {
      name: "an empty intersection is a conflict",
      affinity: required({
        matchFields: [
          { key: "metadata.name", operator: "In", values: ["a"] },
          { key: "metadata.name", operator: "In", values: ["b"] },
        ],
      }),
      want: { code: "UnschedulableAndUnresolvable", reasons: [ERR_REASON_CONFLICT] },
    },
  ];
  const plugin = newNodeAffinity(undefined, HANDLE);
  for (const c of cases) {
    await t.step(c.name, () => {
      const out = plugin.preFilter(new CycleState(), testPod({ affinity: c.affinity }), []);
      if (out !== null && "nodeNames" in out) assert.deepEqual([...out.nodeNames].sort(), c.want);
      else assert.deepEqual(out, c.want);
    });
  }
  assert.equal(pinnedNodeNames(undefined), null);
});

Deno.test("NodeAffinity PreFilter skips pods without node constraints", () => {
  const plugin = newNodeAffinity(undefined, HANDLE);
  assert.deepEqual(plugin.preFilter(new CycleState(), testPod(), []), {
    code: "Skip",
    reasons: [],
  });
  assert.equal(plugin.preFilter(new CycleState(), testPod({ nodeSelector: {} }), []), null);
});

Deno.test("NodeAffinity enforces addedAffinity from its args", () => {
  const plugin = newNodeAffinity({
    addedAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [{ matchExpressions: [{ key: "zone", operator: "In", values: ["b"] }] }],
      },
    },
  }, HANDLE);
  assert.deepEqual(filterStatus(plugin, { pod: testPod(), node: ZONE_A }), {
    code: "UnschedulableAndUnresolvable",
    reasons: [ERR_REASON_ENFORCED],
  });
  assert.throws(
    () =>
      newNodeAffinity({
        addedAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchExpressions: [{ key: "zone", operator: "Near" }] }],
          },
        },
      }, HANDLE),
    /Invalid args for plugin "NodeAffinity": addedAffinity\.requiredDuringSchedulingIgnoredDuringExecution: .*Unsupported value: "Near"/,
  );
  assert.throws(
    () => newNodeAffinity({ addedAffinity: { nope: 1 } }, HANDLE),
    /Invalid args for plugin "NodeAffinity"/,
  );
});

Deno.test("NodeAffinity scores preferred terms by weight, normalized", async (t) => {
  const nodes = [
    testNode({ name: "ssd-a", labels: { disk: "ssd", zone: "a" } }),
    testNode({ name: "ssd-b", labels: { disk: "ssd", zone: "b" } }),
    testNode({ name: "hdd-a", labels: { disk: "hdd", zone: "a" } }),
  ];
  const preferred = (terms: { weight: number; key: string; value: string }[]): Affinity => ({
    nodeAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: terms.map((t) => ({
        weight: t.weight,
        preference: { matchExpressions: [{ key: t.key, operator: "In", values: [t.value] }] },
      })),
    },
  });
  const cases: { name: string; pod: Pod; want: Record<string, number> | null }[] = [
    { name: "no preferences: skipped", pod: testPod(), want: null },
    {
      name: "two weighted terms",
      pod: testPod({
        affinity: preferred([{ weight: 3, key: "disk", value: "ssd" }, {
          weight: 1,
          key: "zone",
          value: "a",
        }]),
      }),
      want: { "ssd-a": 100, "ssd-b": 75, "hdd-a": 25 },
    },
    {
      name: "nothing matches",
      pod: testPod({ affinity: preferred([{ weight: 5, key: "disk", value: "nvme" }]) }),
      want: { "ssd-a": 0, "ssd-b": 0, "hdd-a": 0 },
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.deepEqual(
        scoreNodes((h) => newNodeAffinity(undefined, h), { pod: c.pod, nodes }),
        c.want,
      );
    });
  }
});

Deno.test("NodeAffinity PreScore fails on an invalid preferred term", () => {
  const plugin = newNodeAffinity(undefined, HANDLE);
  const pod = testPod({
    affinity: {
      nodeAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [{
          weight: 1,
          preference: { matchExpressions: [{ key: "zone", operator: "In", values: [] }] },
        }],
      },
    },
  });
  const s = plugin.preScore(new CycleState(), pod, []);
  assert.equal(s?.code, "Error");
  assert.match(s!.reasons[0]!, /values set can't be empty/);
});
