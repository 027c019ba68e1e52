import assert from "node:assert/strict";
import { Diagnosis, FitError, fitErrorMessage, NodeToStatus } from "./fit_error.ts";
import { type PluginStatus, unresolvable, unschedulable, withPlugin } from "./status.ts";

const TAINT = "node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }";

function diagnosisOf(statuses: Record<string, PluginStatus>): Diagnosis {
  const d = new Diagnosis();
  for (const [node, s] of Object.entries(statuses)) d.nodeToStatus.set(node, s);
  return d;
}

Deno.test("fitErrorMessage() summarizes reasons as kube-scheduler", async (t) => {
  const cases: { name: string; numAllNodes: number; diagnosis: Diagnosis; want: string }[] = [
    {
      name: "mixed reasons, counted and sorted",
      numAllNodes: 3,
      diagnosis: diagnosisOf({
        a: unschedulable("Insufficient cpu"),
        b: unresolvable(TAINT),
        c: unresolvable(TAINT),
      }),
      want: `0/3 nodes are available: 1 Insufficient cpu, 2 ${TAINT}.`,
    },
    {
      name: "several reasons from one node are each counted",
      numAllNodes: 2,
      diagnosis: diagnosisOf({
        a: unschedulable("Insufficient cpu", "Insufficient memory"),
        b: unschedulable("Insufficient memory"),
      }),
      want: "0/2 nodes are available: 1 Insufficient cpu, 2 Insufficient memory.",
    },
    {
      name: "sorting is by string, so 10 comes before 2",
      numAllNodes: 12,
      diagnosis: diagnosisOf(Object.fromEntries([
        ...Array.from({ length: 10 }, (_, i) => [`x${i}`, unschedulable("Too many pods")]),
        ["y0", unschedulable("Insufficient cpu")],
        ["y1", unschedulable("Insufficient cpu")],
      ])),
      want: "0/12 nodes are available: 10 Too many pods, 2 Insufficient cpu.",
    },
    {
      name: "nodes PreFilter excluded count with the absent status",
      numAllNodes: 5,
      diagnosis: (() => {
        const d = diagnosisOf({
          a: unresolvable("node(s) didn't match Pod's node affinity/selector"),
        });
        d.nodeToStatus.absentNodesStatus = unresolvable(
          "node(s) didn't satisfy plugin(s) [NodeAffinity]",
        );
        return d;
      })(),
      want:
        "0/5 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 4 node(s) didn't satisfy plugin(s) [NodeAffinity].",
    },
    {
      name: "a PreFilter rejection stands alone",
      numAllNodes: 3,
      diagnosis: (() => {
        const d = new Diagnosis();
        d.preFilterMsg = "pod affinity terms conflict";
        return d;
      })(),
      want: "0/3 nodes are available: pod affinity terms conflict.",
    },
    {
      name: "no nodes at all",
      numAllNodes: 0,
      diagnosis: new Diagnosis(),
      want: "no nodes available to schedule pods",
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => assert.equal(fitErrorMessage(c.numAllNodes, c.diagnosis), c.want));
  }
});

Deno.test("FitError.setPostFilterMessage() appends PostFilter's sentence", () => {
  const err = new FitError({
    pod: {},
    numAllNodes: 1,
    diagnosis: diagnosisOf({ a: unschedulable("Insufficient cpu") }),
  });
  assert.equal(err.name, "FitError");
  err.setPostFilterMessage(
    "preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.",
  );
  assert.equal(
    err.message,
    "0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.",
  );
});

Deno.test("Diagnosis.addPluginStatus() records rejecting and pending plugins", () => {
  const d = new Diagnosis();
  d.addPluginStatus(withPlugin(unschedulable("x"), "NodeResourcesFit"));
  d.addPluginStatus(withPlugin({ code: "Pending", reasons: [] }, "DynamicResources"));
  d.addPluginStatus(unschedulable("no plugin"));
  assert.deepEqual([...d.unschedulablePlugins].sort(), ["DynamicResources", "NodeResourcesFit"]);
  assert.deepEqual([...d.pendingPlugins], ["DynamicResources"]);
});

Deno.test("NodeToStatus.get() falls back to the absent nodes' status", () => {
  const m = new NodeToStatus();
  assert.equal(m.get("x").code, "UnschedulableAndUnresolvable");
  m.set("x", unschedulable("Insufficient cpu"));
  assert.equal(m.get("x").code, "Unschedulable");
  assert.equal(m.size, 1);
});
