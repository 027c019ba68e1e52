import assert from "node:assert/strict";
import type { NodeSelectorRequirement, NodeSelectorTerm } from "../api/types/core_v1_common.ts";
import {
  CompiledNodeSelector,
  preferredSchedulingTerms,
  requiredNodeAffinity,
} from "./node_selector.ts";
import type { Node } from "../api/types/core_v1_node.ts";
import type { Affinity } from "../api/types/core_v1_pod.ts";

const NODE: Node = {
  metadata: {
    name: "edge-1",
    labels: { "kubernetes.io/hostname": "edge-1", zone: "a", cores: "8", empty: "", arch: "arm64" },
  },
};

function testPod(spec: { nodeSelector?: Record<string, string>; affinity?: Affinity } = {}) {
  return { metadata: { name: "pod", namespace: "default" }, spec: { containers: [], ...spec } };
}

function expr(key: string, operator: string, values?: string[]): NodeSelectorRequirement {
  return { key, operator, ...values === undefined ? {} : { values } };
}

Deno.test("node selector requirements match as upstream's operators", async (t) => {
  const cases: { name: string; term: NodeSelectorTerm; want: boolean }[] = [
    {
      name: "In, label value listed",
      term: { matchExpressions: [expr("zone", "In", ["a", "b"])] },
      want: true,
    },
    {
      name: "In, value not listed",
      term: { matchExpressions: [expr("zone", "In", ["b"])] },
      want: false,
    },
    {
      name: "In, label missing",
      term: { matchExpressions: [expr("rack", "In", ["1"])] },
      want: false,
    },
    {
      name: "NotIn, value listed",
      term: { matchExpressions: [expr("zone", "NotIn", ["a"])] },
      want: false,
    },
    {
      name: "NotIn, label missing",
      term: { matchExpressions: [expr("rack", "NotIn", ["1"])] },
      want: true,
    },
    { name: "Exists", term: { matchExpressions: [expr("empty", "Exists")] }, want: true },
    { name: "Exists, missing", term: { matchExpressions: [expr("rack", "Exists")] }, want: false },
    {
      name: "DoesNotExist",
      term: { matchExpressions: [expr("rack", "DoesNotExist")] },
      want: true,
    },
    { name: "Gt", term: { matchExpressions: [expr("cores", "Gt", ["4"])] }, want: true },
    { name: "Gt, equal", term: { matchExpressions: [expr("cores", "Gt", ["8"])] }, want: false },
    { name: "Lt", term: { matchExpressions: [expr("cores", "Lt", ["16"])] }, want: true },
    {
      name: "Gt, label not an integer",
      term: { matchExpressions: [expr("zone", "Gt", ["1"])] },
      want: false,
    },
    {
      name: "requirements are ANDed",
      term: { matchExpressions: [expr("zone", "In", ["a"]), expr("arch", "In", ["amd64"])] },
      want: false,
    },
    {
      name: "matchFields metadata.name In",
      term: { matchFields: [expr("metadata.name", "In", ["edge-1"])] },
      want: true,
    },
    {
      name: "matchFields metadata.name NotIn",
      term: { matchFields: [expr("metadata.name", "NotIn", ["edge-1"])] },
      want: false,
    },
    {
      name: "matchFields with two values is invalid",
      term: { matchFields: [expr("metadata.name", "In", ["edge-1", "edge-2"])] },
      want: false,
    },
    {
      name: "an unknown operator makes the term match nothing",
      term: { matchExpressions: [expr("zone", "Equals", ["a"])] },
      want: false,
    },
    {
      name: "In without values is invalid",
      term: { matchExpressions: [expr("zone", "In", [])] },
      want: false,
    },
    {
      name: "Exists with values is invalid",
      term: { matchExpressions: [expr("zone", "Exists", ["a"])] },
      want: false,
    },
    {
      name: "Gt with a non-integer value is invalid",
      term: { matchExpressions: [expr("cores", "Gt", ["4.5"])] },
      want: false,
    },
    {
      name: "an invalid label key is invalid",
      term: { matchExpressions: [expr("bad key", "Exists")] },
      want: false,
    },
    { name: "an empty term matches nothing", term: {}, want: false },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.equal(new CompiledNodeSelector({ nodeSelectorTerms: [c.term] }).match(NODE), c.want);
    });
  }
});

Deno.test("CompiledNodeSelector ORs its terms and keeps the errors of invalid ones", () => {
  const selector = new CompiledNodeSelector({
    nodeSelectorTerms: [
      { matchExpressions: [expr("zone", "Bogus", ["a"])] },
      { matchExpressions: [expr("zone", "In", ["a"])] },
    ],
  });
  assert.ok(selector.match(NODE));
  assert.equal(selector.errors.length, 1);
  assert.match(
    selector.errors[0]!,
    /nodeSelectorTerms\[0\]\.matchExpressions\[0\]\.operator: Unsupported value: "Bogus"/,
  );
});

Deno.test("requiredNodeAffinity() ANDs nodeSelector with required node affinity", async (t) => {
  const required = {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [{ matchExpressions: [expr("zone", "In", ["a"])] }],
      },
    },
  };
  const cases: { name: string; pod: ReturnType<typeof testPod>; want: boolean }[] = [
    { name: "no constraints", pod: testPod(), want: true },
    {
      name: "nodeSelector matching",
      pod: testPod({ nodeSelector: { arch: "arm64" } }),
      want: true,
    },
    {
      name: "nodeSelector not matching",
      pod: testPod({ nodeSelector: { arch: "amd64" } }),
      want: false,
    },
    {
      name: "nodeSelector with an empty value needs the label",
      pod: testPod({ nodeSelector: { empty: "" } }),
      want: true,
    },
    {
      name: "nodeSelector key inherited from Object.prototype",
      pod: testPod({ nodeSelector: { constructor: "x" } }),
      want: false,
    },
    { name: "affinity matching", pod: testPod({ affinity: required }), want: true },
    {
      name: "both, selector failing",
      pod: testPod({ affinity: required, nodeSelector: { arch: "x" } }),
      want: false,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => assert.equal(requiredNodeAffinity(c.pod).match(NODE), c.want));
  }
});

Deno.test("requiredNodeAffinity() reads a pod template's terms: ORed, requirements ANDed", async (t) => {
  const required = (...nodeSelectorTerms: NodeSelectorTerm[]) => ({
    affinity: {
      nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms } },
    },
  });
  const cases: { name: string; spec: ReturnType<typeof required> | undefined; want: boolean }[] = [
    { name: "no spec", spec: undefined, want: true },
    {
      name: "a label term or a field term",
      spec: required(
        { matchExpressions: [expr("zone", "In", ["z"])] },
        { matchFields: [expr("metadata.name", "In", ["edge-1"])] },
      ),
      want: true,
    },
    {
      name: "labels and fields in one term",
      spec: required({
        matchExpressions: [expr("zone", "In", ["a"])],
        matchFields: [expr("metadata.name", "In", ["edge-2"])],
      }),
      want: false,
    },
    {
      name: "a field other than metadata.name reads as empty",
      spec: required({ matchFields: [expr("spec.unschedulable", "NotIn", ["true"])] }),
      want: true,
    },
    {
      name: "matchFields with an unsupported operator is invalid",
      spec: required({ matchFields: [expr("metadata.name", "Exists")] }),
      want: false,
    },
    { name: "no terms match nothing", spec: required(), want: false },
    { name: "only empty terms match nothing", spec: required({}, {}), want: false },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const pod = c.spec === undefined ? {} : { spec: c.spec };
      assert.equal(requiredNodeAffinity(pod).match(NODE), c.want);
    });
  }
  await t.step("a node without a name skips the field requirements", () => {
    const spec = required({ matchFields: [expr("metadata.name", "In", ["edge-1"])] });
    const anonymous: Node = { metadata: { labels: { zone: "a" } } };
    assert.ok(requiredNodeAffinity({ spec }).match(anonymous));
  });
});

Deno.test("preferredSchedulingTerms() sums the weights of matching terms", () => {
  const terms = preferredSchedulingTerms([
    { weight: 10, preference: { matchExpressions: [expr("zone", "In", ["a"])] } },
    { weight: 5, preference: { matchExpressions: [expr("arch", "In", ["arm64"])] } },
    { weight: 7, preference: { matchExpressions: [expr("arch", "In", ["amd64"])] } },
    { weight: 0, preference: { matchExpressions: [expr("zone", "In", ["a"])] } },
    { weight: 3, preference: {} },
  ]);
  assert.equal(terms.score(NODE), 15);
  assert.throws(
    () =>
      preferredSchedulingTerms([{
        weight: 1,
        preference: { matchExpressions: [expr("zone", "Nope")] },
      }]),
    /Invalid preferred scheduling terms: \[0\]\.preference\.matchExpressions\[0\]\.operator: Unsupported value: "Nope"/,
  );
});
