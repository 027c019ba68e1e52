import assert from "node:assert/strict";
import type { NodeSelectorTerm, Taint } from "../api/types/core_v1_common.ts";
import type { Node } from "../api/types/core_v1_node.ts";
import type { Pod, PodSpec } from "../api/types/core_v1_pod.ts";
import {
  nodeShouldRunDaemonPod,
  targetNodeName,
  withDaemonPodTolerations,
  withNodeNameAffinity,
} from "./_daemon_set_node_fit.ts";

function node(name: string, taints?: Taint[]): Node {
  const labels = { role: "edge", cores: "4", zone: "a" };
  return { metadata: { name, labels }, ...(taints ? { spec: { taints } } : {}) };
}

function required(...terms: NodeSelectorTerm[]): Pick<PodSpec, "affinity"> {
  return {
    affinity: {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms },
      },
    },
  };
}

Deno.test("withDaemonPodTolerations() adds the daemon tolerations, replacing matching ones", () => {
  const mine = { key: "dedicated", operator: "Exists" };
  const finite = {
    key: "node.kubernetes.io/not-ready",
    operator: "Exists",
    effect: "NoExecute",
    tolerationSeconds: 300,
  };
  const out = withDaemonPodTolerations({ tolerations: [mine, finite], hostNetwork: true });
  assert.deepEqual(out, [
    mine,
    { key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute" },
    { key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute" },
    { key: "node.kubernetes.io/disk-pressure", operator: "Exists", effect: "NoSchedule" },
    { key: "node.kubernetes.io/memory-pressure", operator: "Exists", effect: "NoSchedule" },
    { key: "node.kubernetes.io/pid-pressure", operator: "Exists", effect: "NoSchedule" },
    { key: "node.kubernetes.io/unschedulable", operator: "Exists", effect: "NoSchedule" },
    { key: "node.kubernetes.io/network-unavailable", operator: "Exists", effect: "NoSchedule" },
  ]);
  // Applying twice changes nothing.
  assert.deepEqual(withDaemonPodTolerations({ tolerations: out, hostNetwork: true }), out);
});

Deno.test("nodeShouldRunDaemonPod() tells new placement from staying", async (t) => {
  const spec: PodSpec = { containers: [] };
  const cases: { name: string; node: Node; spec?: PodSpec; want: [boolean, boolean] }[] = [
    { name: "a plain node", node: node("n"), want: [true, true] },
    {
      name: "another node named in the template",
      node: node("n"),
      spec: { ...spec, nodeName: "m" },
      want: [false, false],
    },
    {
      name: "untolerated NoSchedule",
      node: node("n", [{ key: "k", effect: "NoSchedule" }]),
      want: [false, true],
    },
    {
      name: "untolerated NoExecute",
      node: node("n", [{ key: "k", effect: "NoExecute" }]),
      want: [false, false],
    },
    {
      name: "tolerated by an Exists with no key",
      node: node("n", [{ key: "k", value: "v", effect: "NoExecute" }]),
      spec: { ...spec, tolerations: [{ operator: "Exists" }] },
      want: [true, true],
    },
    {
      name: "Equal needs the same value",
      node: node("n", [{ key: "k", value: "v", effect: "NoSchedule" }]),
      spec: { ...spec, tolerations: [{ key: "k", operator: "Equal", value: "w" }] },
      want: [false, true],
    },
    {
      name: "node selector mismatch",
      node: node("n"),
      spec: { ...spec, nodeSelector: { a: "b" } },
      want: [false, false],
    },
    {
      name: "required node affinity pins another node",
      node: node("n"),
      spec: {
        ...spec,
        ...required({ matchFields: [{ key: "metadata.name", operator: "In", values: ["m"] }] }),
      },
      want: [false, false],
    },
    {
      name: "required node affinity matching",
      node: node("n"),
      spec: {
        ...spec,
        ...required({ matchExpressions: [{ key: "cores", operator: "Gt", values: ["2"] }] }),
      },
      want: [true, true],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const got = nodeShouldRunDaemonPod(c.node, c.spec ?? spec);
      assert.deepEqual([got.shouldRun, got.shouldContinueRunning], c.want);
    });
  }
});

Deno.test("withNodeNameAffinity() replaces the required terms and keeps the rest", () => {
  const affinity = {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [{ matchExpressions: [{ key: "a", operator: "Exists" }] }],
      },
      preferredDuringSchedulingIgnoredDuringExecution: [{
        weight: 1,
        preference: { matchExpressions: [{ key: "b", operator: "Exists" }] },
      }],
    },
  };
  const out = withNodeNameAffinity(affinity, "edge-1");
  assert.deepEqual(out.nodeAffinity!.requiredDuringSchedulingIgnoredDuringExecution, {
    nodeSelectorTerms: [{
      matchFields: [{ key: "metadata.name", operator: "In", values: ["edge-1"] }],
    }],
  });
  assert.equal(out.nodeAffinity!.preferredDuringSchedulingIgnoredDuringExecution!.length, 1);
  assert.equal(
    affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]!
      .matchExpressions!.length,
    1,
    "the input is not changed",
  );
  assert.deepEqual(withNodeNameAffinity(undefined, "n").nodeAffinity, {
    requiredDuringSchedulingIgnoredDuringExecution: {
      nodeSelectorTerms: [{
        matchFields: [{ key: "metadata.name", operator: "In", values: ["n"] }],
      }],
    },
  });
});

Deno.test("targetNodeName() reads nodeName, else the affinity, else throws upstream's errors", async (t) => {
  const pod = (spec: Partial<PodSpec>): Pod => ({
    metadata: { namespace: "ns", name: "p" },
    spec: { containers: [], ...spec },
  });
  await t.step("bound", () => assert.equal(targetNodeName(pod({ nodeName: "n1" })), "n1"));
  await t.step("pinned", () => {
    const spec = { affinity: withNodeNameAffinity(undefined, "n2") };
    assert.equal(targetNodeName(pod(spec)), "n2");
  });
  const errors: { name: string; spec: Partial<PodSpec>; error: RegExp }[] = [
    {
      name: "no affinity",
      spec: {},
      error:
        /^no spec\.affinity\.nodeAffinity\.requiredDuringSchedulingIgnoredDuringExecution for pod ns\/p$/,
    },
    {
      name: "no terms",
      spec: required(),
      error:
        /^no nodeSelectorTerms in requiredDuringSchedulingIgnoredDuringExecution of pod ns\/p$/,
    },
    {
      name: "two names",
      spec: required({
        matchFields: [{ key: "metadata.name", operator: "In", values: ["a", "b"] }],
      }),
      error: /^the matchFields value of 'metadata\.name' is not unique for pod ns\/p$/,
    },
    {
      name: "no name field",
      spec: required({ matchExpressions: [{ key: "a", operator: "Exists" }] }),
      error: /^no node name found for pod ns\/p$/,
    },
  ];
  for (const c of errors) {
    await t.step(
      c.name,
      () =>
        assert.throws(() => targetNodeName(pod(c.spec)), { name: "TypeError", message: c.error }),
    );
  }
});
