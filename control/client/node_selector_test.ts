import assert from "node:assert/strict";
import type { NodeSelectorRequirement, NodeSelectorTerm } from "../api/types/core_v1_common.ts";
import {
  CompiledNodeSelector,
  preferredSchedulingTerms,
  requiredNodeAffinity,
} from "./node_selector.ts";
import { testNode, testPod } from "./_testing.ts";

const NODE = testNode({
  name: "edge-1",
  labels: { zone: "a", cores: "8", empty: "", arch: "arm64" },
});

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
