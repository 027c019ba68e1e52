import assert from "node:assert/strict";
import type { DaemonSet } from "../api/types/apps_v1.ts";
import type { Pod } from "../api/types/core_v1_pod.ts";
import { REVISION_HASH_LABEL } from "./_daemon_set_pods.ts";
import {
  findUpdatedPodsOnNode,
  planRollingUpdate,
  type RollingUpdateCounts,
  rollingUpdateCounts,
} from "./_daemon_set_rolling_update.ts";

const NOW = Date.UTC(2025, 0, 1);
const REVISION = { hash: "new" };

/** `o`/`n` old/new, uppercase available; `x` suffix: being deleted. */
function pods(spec: string, node: string): Pod[] {
  return spec.split(",").filter((s) => s !== "").map((s, i) => ({
    metadata: {
      name: `${node}-${s}${i}`,
      labels: { [REVISION_HASH_LABEL]: s[0]!.toLowerCase() === "n" ? "new" : "old" },
      ...(s.endsWith("x") ? { deletionTimestamp: "2025-01-01T00:00:00Z" } : {}),
    },
    spec: { containers: [], nodeName: node },
    status: {
      phase: "Running",
      conditions: [{ type: "Ready", status: s[0] === s[0]!.toUpperCase() ? "True" : "False" }],
    },
  }));
}

function layout(nodes: Record<string, string>): Map<string, Pod[]> {
  return new Map(Object.entries(nodes).map(([node, spec]) => [node, pods(spec, node)]));
}

function plan(
  nodes: Record<string, string>,
  counts: Partial<RollingUpdateCounts>,
  shouldRun: (node: string) => boolean | undefined = () => true,
) {
  return planRollingUpdate({
    nodeToDaemonPods: layout(nodes),
    counts: {
      maxSurge: 0,
      maxUnavailable: 1,
      desiredNumberScheduled: Object.keys(nodes).length,
      ...counts,
    },
    revision: REVISION,
    minReadySeconds: 0,
    nowMs: NOW,
    shouldRun,
  });
}

Deno.test("findUpdatedPodsOnNode() splits new from old, refusing doubles", () => {
  assert.equal(findUpdatedPodsOnNode(pods("O,N", "a"), REVISION).ok, true);
  assert.equal(findUpdatedPodsOnNode(pods("O,o", "a"), REVISION).ok, false);
  const r = findUpdatedPodsOnNode(pods("Ox,N", "a"), REVISION);
  assert.equal(r.oldPod, undefined, "pods being deleted do not count");
  assert.equal(r.newPod?.metadata?.name, "a-N1");
});

Deno.test("planRollingUpdate() without surge keeps within maxUnavailable", async (t) => {
  const cases: {
    name: string;
    nodes: Record<string, string>;
    maxUnavailable: number;
    deletes: string[];
  }[] = [
    {
      name: "one at a time",
      nodes: { a: "O", b: "O", c: "O" },
      maxUnavailable: 1,
      deletes: ["a-O0"],
    },
    {
      name: "two at a time",
      nodes: { a: "O", b: "O", c: "O" },
      maxUnavailable: 2,
      deletes: ["a-O0", "b-O0"],
    },
    {
      name: "an unavailable new pod uses the budget",
      nodes: { a: "n", b: "O", c: "O" },
      maxUnavailable: 1,
      deletes: [],
    },
    {
      name: "a node without pods uses the budget",
      nodes: { a: "", b: "O" },
      maxUnavailable: 1,
      deletes: [],
    },
    {
      name: "unavailable old pods go at once, beyond the budget",
      nodes: { a: "o", b: "o", c: "O" },
      maxUnavailable: 1,
      deletes: ["a-o0", "b-o0"],
    },
    {
      name: "a node with two old pods is left to the main loop",
      nodes: { a: "O,O", b: "O" },
      maxUnavailable: 1,
      deletes: [],
    },
    { name: "done", nodes: { a: "N", b: "N" }, maxUnavailable: 1, deletes: [] },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const got = plan(c.nodes, { maxUnavailable: c.maxUnavailable });
      assert.deepEqual(got, { podsToDelete: c.deletes, nodesToCreate: [] });
    });
  }
});

Deno.test("planRollingUpdate() with surge creates beside old pods and retires them", async (t) => {
  const cases: {
    name: string;
    nodes: Record<string, string>;
    maxSurge: number;
    shouldRun?: (node: string) => boolean;
    want: { podsToDelete: string[]; nodesToCreate: string[] };
  }[] = [
    {
      name: "surge on one node",
      nodes: { a: "O", b: "O" },
      maxSurge: 1,
      want: { podsToDelete: [], nodesToCreate: ["a"] },
    },
    {
      name: "a surge still starting holds the slot",
      nodes: { a: "O,n", b: "O" },
      maxSurge: 1,
      want: { podsToDelete: [], nodesToCreate: [] },
    },
    {
      name: "the new pod is available: the old one goes",
      nodes: { a: "O,N", b: "O" },
      maxSurge: 1,
      want: { podsToDelete: ["a-O0"], nodesToCreate: ["b"] },
    },
    {
      name: "an unavailable old pod gets its new pod beyond maxSurge",
      nodes: { a: "o", b: "o", c: "O" },
      maxSurge: 1,
      want: { podsToDelete: [], nodesToCreate: ["a", "b", "c"] },
    },
    {
      name: "an unavailable old pod on a node left behind goes",
      nodes: { a: "o", b: "N" },
      maxSurge: 1,
      shouldRun: (n) => n !== "a",
      want: { podsToDelete: ["a-o0"], nodesToCreate: [] },
    },
    {
      name: "an available old pod on a node left behind goes only when others cover it",
      nodes: { a: "O", b: "N", c: "N" },
      maxSurge: 1,
      shouldRun: (n) => n !== "a",
      want: { podsToDelete: ["a-O0"], nodesToCreate: [] },
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const desired = Object.keys(c.nodes).filter((n) => c.shouldRun?.(n) ?? true).length;
      const got = plan(c.nodes, {
        maxSurge: c.maxSurge,
        maxUnavailable: 0,
        desiredNumberScheduled: desired,
      }, c.shouldRun);
      assert.deepEqual(got, c.want);
    });
  }
  await t.step("an old pod on a node that is gone is an error", () => {
    assert.throws(
      () => plan({ a: "O" }, { maxSurge: 1, maxUnavailable: 0 }, () => undefined),
      /couldn't get node for nodeName "a"/,
    );
  });
});

Deno.test("rollingUpdateCounts() falls back to one unavailable node when both limits are 0", () => {
  const ds = (maxUnavailable: number | string, maxSurge: number | string): DaemonSet => ({
    spec: {
      selector: {},
      template: {},
      updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable, maxSurge } },
    },
  });
  assert.deepEqual(rollingUpdateCounts(ds(0, 0), 3), {
    maxSurge: 0,
    maxUnavailable: 1,
    desiredNumberScheduled: 3,
  });
  assert.deepEqual(rollingUpdateCounts(ds(0, 0), 0).maxUnavailable, 0);
  assert.throws(
    () => rollingUpdateCounts(ds("x", 0), 3),
    /^Error: invalid value for MaxUnavailable/,
  );
});
