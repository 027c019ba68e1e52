import assert from "node:assert/strict";
import type { Pod } from "../api/types/core_v1_pod.ts";
import { SchedulerCache } from "./cache.ts";
import { CycleState } from "./cycle_state.ts";
import { FitError } from "./fit_error.ts";
import type { FilterPlugin, PluginFactory, ScorePlugin } from "./framework.ts";
import { newPodInfo } from "./node_info.ts";
import type { Profile } from "./profile.ts";
import { defaultProfile, newInTreeRegistry } from "./registry.ts";
import {
  newFramework,
  type NodePluginScores,
  numFeasibleNodesToFind,
  type ScheduleResult,
  selectHost,
} from "./runtime.ts";
import { newSnapshot } from "./snapshot.ts";
import { errorStatus, newStatus, unschedulable } from "./status.ts";
import { testNode, testPod } from "./_testing.ts";

const CONTROL_PLANE_TAINT = {
  key: "node-role.kubernetes.io/control-plane",
  effect: "NoSchedule" as const,
};

function defaultFramework(random: () => number = () => 0.5) {
  return newFramework(defaultProfile(), { registry: newInTreeRegistry(), random });
}

function scheduled(result: ScheduleResult | FitError): ScheduleResult {
  if (result instanceof FitError) throw new Error(`Expected a node, got: ${result.message}`);
  return result;
}

function failed(result: ScheduleResult | FitError): FitError {
  assert.ok(result instanceof FitError, `expected a FitError, got ${JSON.stringify(result)}`);
  return result;
}

Deno.test("numFeasibleNodesToFind() follows upstream's adaptive percentage", async (t) => {
  const cases: { name: string; nodes: number; percentage?: number; want: number }[] = [
    { name: "under 100 nodes: all", nodes: 50, want: 50 },
    { name: "100 nodes: at least 100", nodes: 100, want: 100 },
    { name: "1000 nodes: 42%", nodes: 1000, want: 420 },
    { name: "5000 nodes: 10%", nodes: 5000, want: 500 },
    { name: "6000 nodes: at least 5%", nodes: 6000, want: 300 },
    { name: "a set percentage", nodes: 1000, percentage: 30, want: 300 },
    { name: "a set percentage, still at least 100", nodes: 1000, percentage: 1, want: 100 },
    { name: "100% of 5000", nodes: 5000, percentage: 100, want: 5000 },
  ];
  for (const c of cases) {
    await t.step(c.name, () => assert.equal(numFeasibleNodesToFind(c.nodes, c.percentage), c.want));
  }
});

Deno.test("selectHost() picks the highest total, ties by the random source", () => {
  const scores = (totals: number[]): NodePluginScores[] =>
    totals.map((totalScore, i) => ({ name: `n${i}`, scores: [], totalScore }));
  assert.equal(selectHost(scores([10, 30, 20]), () => 0), "n1");
  assert.equal(selectHost(scores([30, 10, 30, 30]), () => 0.999), "n0", "never replaced");
  assert.equal(selectHost(scores([30, 10, 30, 30]), () => 0), "n3", "always replaced");
  const picked = new Map<string, number>();
  let seed = 1;
  const lcg = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
  for (let i = 0; i < 3000; i++) {
    const host = selectHost(scores([5, 5, 5]), lcg);
    picked.set(host, (picked.get(host) ?? 0) + 1);
  }
  for (const name of ["n0", "n1", "n2"]) {
    assert.ok((picked.get(name) ?? 0) > 800, `${name} picked fairly`);
  }
  assert.throws(() => selectHost([], Math.random), RangeError);
});

Deno.test("schedulePod() reports kube-scheduler's summary when no node fits", async (t) => {
  const small = testNode({ name: "small", allocatable: { cpu: "1", memory: "2Gi", pods: "110" } });
  const cp1 = testNode({ name: "cp-1", taints: [CONTROL_PLANE_TAINT] });
  const cp2 = testNode({ name: "cp-2", taints: [CONTROL_PLANE_TAINT] });
  const pinned = (names: string[]) => ({
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [{
          matchFields: [{ key: "metadata.name", operator: "In", values: names }],
        }],
      },
    },
  });
  const cases: { name: string; pod: Pod; want: string; plugins: string[] }[] = [
    {
      name: "mixed reasons",
      pod: testPod({ requests: { cpu: "2" } }),
      want:
        "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }.",
      plugins: ["NodeResourcesFit", "TaintToleration"],
    },
    {
      name: "a node pinned by PreFilter, the others counted as not satisfying it",
      pod: testPod({ requests: { cpu: "2" }, affinity: pinned(["small"]) }),
      want:
        "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't satisfy plugin(s) [NodeAffinity].",
      plugins: ["NodeAffinity", "NodeResourcesFit"],
    },
    {
      name: "a PreFilter rejection",
      pod: testPod({
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [{
                matchFields: [
                  { key: "metadata.name", operator: "In", values: ["small"] },
                  { key: "metadata.name", operator: "In", values: ["cp-1"] },
                ],
              }],
            },
          },
        },
      }),
      want: "0/3 nodes are available: pod affinity terms conflict.",
      plugins: ["NodeAffinity"],
    },
    {
      name: "each node reports the first filter that rejects it",
      pod: testPod({ nodeSelector: { disktype: "ssd" } }),
      want:
        "0/3 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 2 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }.",
      plugins: ["NodeAffinity", "TaintToleration"],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const err = failed(
        defaultFramework().schedulePod(c.pod, { snapshot: newSnapshot([small, cp1, cp2]) }),
      );
      assert.equal(err.message, c.want);
      assert.equal(err.numAllNodes, 3);
      assert.deepEqual([...err.diagnosis.unschedulablePlugins].sort(), c.plugins);
    });
  }
  await t.step("no nodes at all", () => {
    const err = failed(defaultFramework().schedulePod(testPod(), { snapshot: newSnapshot([]) }));
    assert.equal(err.message, "no nodes available to schedule pods");
  });
});

Deno.test("schedulePod() places a pod on the node the default plugins score best", () => {
  const cache = new SchedulerCache();
  for (const name of ["a", "b", "c"]) cache.addNode(testNode({ name }));
  cache.addPod(testPod({ name: "x", nodeName: "a", requests: { cpu: "3", memory: "6Gi" } }));
  cache.addPod(testPod({ name: "y", nodeName: "b", requests: { cpu: "1", memory: "2Gi" } }));
  const framework = defaultFramework();
  const pod = testPod({ name: "web", requests: { cpu: "1", memory: "2Gi" } });
  const first = scheduled(framework.schedulePod(pod, { snapshot: cache.snapshot() }));
  assert.deepEqual(first, { suggestedHost: "c", evaluatedNodes: 3, feasibleNodes: 3 });
  cache.assumePod(pod, first.suggestedHost);
  const next = scheduled(
    framework.schedulePod(testPod({ name: "web-2", requests: { cpu: "1", memory: "2Gi" } }), {
      snapshot: cache.snapshot(),
    }),
  );
  assert.equal(
    next.suggestedHost,
    "b",
    "b and c now tie; a random 0.5 keeps the first of them",
  );
});

Deno.test("schedulePod() takes the only feasible node without scoring", () => {
  const framework = defaultFramework();
  const snapshot = newSnapshot([
    testNode({ name: "a", allocatable: { cpu: "1", memory: "1Gi", pods: "110" } }),
    testNode({ name: "b" }),
  ]);
  assert.deepEqual(
    scheduled(framework.schedulePod(testPod({ requests: { cpu: "2" } }), { snapshot })),
    {
      suggestedHost: "b",
      evaluatedNodes: 2,
      feasibleNodes: 1,
    },
  );
});

Deno.test("schedulePod() tries the nominated node first", () => {
  const snapshot = newSnapshot([
    testNode({ name: "a" }),
    testNode({ name: "b" }),
    testNode({ name: "c" }),
  ]);
  const result = scheduled(
    defaultFramework().schedulePod(testPod({ nominatedNodeName: "b" }), { snapshot }),
  );
  assert.deepEqual(result, { suggestedHost: "b", evaluatedNodes: 1, feasibleNodes: 1 });
});

Deno.test("schedulePod() counts nominated pods of equal or higher priority", () => {
  const snapshot = newSnapshot([
    testNode({ name: "a", allocatable: { cpu: "2", pods: "110" } }),
    testNode({ name: "b", allocatable: { cpu: "2", pods: "110" } }),
  ]);
  const nominated = newPodInfo(testPod({ name: "vip", priority: 100, requests: { cpu: "2" } }));
  const framework = newFramework(defaultProfile(), {
    registry: newInTreeRegistry(),
    podNominator: { nominatedPodsForNode: (node) => node === "a" ? [nominated] : [] },
  });
  const pod = testPod({ name: "p", priority: 10, requests: { cpu: "1" } });
  assert.equal(scheduled(framework.schedulePod(pod, { snapshot })).suggestedHost, "b");
  const important = testPod({ name: "q", priority: 1000, requests: { cpu: "1" } });
  const anywhere = scheduled(framework.schedulePod(important, { snapshot }));
  assert.equal(anywhere.feasibleNodes, 2, "lower-priority nominated pods do not count");
});

/** A filter plugin that records which nodes it was asked about. */
function recordingRegistry(
  seen: string[],
  options: { fail?: string; scores?: Record<string, number> } = {},
) {
  const filter: PluginFactory = (): FilterPlugin => ({
    name: "Record",
    filter(_state, _pod, node) {
      seen.push(node.name);
      if (node.name === options.fail) return errorStatus("boom");
      return null;
    },
  });
  const score: PluginFactory = (): ScorePlugin => ({
    name: "Constant",
    score: (_state, _pod, node) => options.scores?.[node.name] ?? 1,
  });
  return new Map([["Record", filter], ["Constant", score]]);
}

Deno.test("schedulePod() stops after numFeasibleNodesToFind and resumes where it stopped", () => {
  const seen: string[] = [];
  const profile: Profile = {
    schedulerName: "s",
    plugins: [{ name: "Record" }, { name: "Constant" }],
  };
  const framework = newFramework(profile, { registry: recordingRegistry(seen) });
  const snapshot = newSnapshot(Array.from({ length: 200 }, (_, i) => testNode({ name: `n${i}` })));
  const first = scheduled(framework.schedulePod(testPod(), { snapshot }));
  assert.equal(first.feasibleNodes, 100);
  assert.equal(seen.length, 100);
  assert.equal(seen[0], "n0");
  seen.length = 0;
  framework.schedulePod(testPod(), { snapshot });
  assert.equal(seen[0], "n100", "the next cycle starts where the previous stopped");
  assert.equal(seen.at(-1), "n199");
});

Deno.test("schedulePod() counts exactly the nodes that passed, with or without Filter plugins", () => {
  const seen: string[] = [];
  const nodes = Array.from({ length: 150 }, (_, i) => testNode({ name: `n${i}` }));
  // Every other node is rejected: 75 pass, fewer than the 100 the cycle looks for.
  const half: PluginFactory = (): FilterPlugin => ({
    name: "Half",
    filter: (_state, _pod, node) =>
      Number(node.name.slice(1)) % 2 === 0 ? null : unschedulable("odd node"),
  });
  const registry = new Map([...recordingRegistry(seen), ["Half", half]]);
  const filtered = newFramework({
    schedulerName: "s",
    plugins: [{ name: "Half" }, { name: "Constant" }],
  }, { registry });
  const some = scheduled(filtered.schedulePod(testPod(), { snapshot: newSnapshot(nodes) }));
  assert.equal(some.feasibleNodes, 75);
  assert.equal(some.evaluatedNodes, 150);
  assert.equal(Number(some.suggestedHost.slice(1)) % 2, 0);
  // Without Filter plugins the first nodes from the start index are feasible as they are.
  const open = newFramework({ schedulerName: "s", plugins: [{ name: "Constant" }] }, { registry });
  const all = scheduled(open.schedulePod(testPod(), { snapshot: newSnapshot(nodes) }));
  assert.equal(all.feasibleNodes, 100);
});

Deno.test("schedulePod() throws when a plugin returns an Error status", () => {
  const profile: Profile = { schedulerName: "s", plugins: [{ name: "Record" }] };
  const framework = newFramework(profile, { registry: recordingRegistry([], { fail: "b" }) });
  const snapshot = newSnapshot([testNode({ name: "a" }), testNode({ name: "b" })]);
  // Without score plugins one feasible node is enough, so "b" is never reached.
  assert.equal(scheduled(framework.schedulePod(testPod(), { snapshot })).suggestedHost, "a");
  const fresh = newFramework(profile, { registry: recordingRegistry([], { fail: "b" }) });
  const blocked = newSnapshot([testNode({ name: "b" }), testNode({ name: "a" })]);
  assert.throws(
    () => fresh.schedulePod(testPod(), { snapshot: blocked }),
    /running "Record" filter plugin: boom/,
  );
});

Deno.test("runScorePlugins() weights and sums normalized scores, refusing out-of-range ones", () => {
  const profile: Profile = { schedulerName: "s", plugins: [{ name: "Constant", weight: 3 }] };
  const framework = newFramework(profile, {
    registry: recordingRegistry([], { scores: { a: 10, b: 30 } }),
  });
  const snapshot = newSnapshot([testNode({ name: "a" }), testNode({ name: "b" })]);
  framework.setSnapshot(snapshot);
  const scores = framework.runScorePlugins(new CycleState(), testPod(), snapshot.list());
  assert.deepEqual(scores, [
    { name: "a", scores: [{ name: "Constant", score: 30 }], totalScore: 30 },
    { name: "b", scores: [{ name: "Constant", score: 90 }], totalScore: 90 },
  ]);
  assert.equal(scheduled(framework.schedulePod(testPod(), { snapshot })).suggestedHost, "b");
  const bad = newFramework(profile, { registry: recordingRegistry([], { scores: { a: 101 } }) });
  assert.throws(() => bad.schedulePod(testPod(), { snapshot }), /returns an invalid score 101/);
});

Deno.test("a PreFilter Skip skips the plugin's Filter", () => {
  const framework = defaultFramework();
  const snapshot = newSnapshot([testNode({ name: "a" })]);
  framework.setSnapshot(snapshot);
  const state = new CycleState();
  const run = framework.runPreFilterPlugins(state, testPod());
  assert.equal(run.status, null);
  assert.ok(state.skipFilterPlugins.has("NodePorts"));
  assert.ok(state.skipFilterPlugins.has("NodeAffinity"));
  assert.ok(!state.skipFilterPlugins.has("NodeResourcesFit"));
});

Deno.test("newFramework() refuses unknown plugins, several queue sorts and bad args", async (t) => {
  const registry = newInTreeRegistry();
  const cases: { name: string; profile: Profile; error: RegExp }[] = [
    {
      name: "unknown plugin",
      profile: { schedulerName: "s", plugins: [{ name: "Nope" }] },
      error: /Invalid scheduler profile "s": plugin "Nope" does not exist/,
    },
    {
      name: "two queue sorts",
      profile: {
        schedulerName: "s",
        plugins: [{ name: "PrioritySort" }, { name: "Other" }],
      },
      error: /only one queue sort plugin may be enabled, got "PrioritySort", "Other"/,
    },
    {
      name: "bad plugin args",
      profile: defaultProfile({
        pluginConfig: { NodeResourcesFit: { scoringStrategy: { type: "Best" } } },
      }),
      error: /Invalid args for plugin "NodeResourcesFit"/,
    },
  ];
  const withOther = new Map(registry);
  withOther.set("Other", () => ({ name: "Other", less: () => true }) as never);
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.throws(() => newFramework(c.profile, { registry: withOther }), TypeError);
      assert.throws(() => newFramework(c.profile, { registry: withOther }), c.error);
    });
  }
});

Deno.test("Reserve, Permit and Bind run as upstream's binding cycle", async () => {
  const calls: string[] = [];
  const registry = new Map<string, PluginFactory>([
    [
      "R1",
      () => ({
        name: "R1",
        reserve: () => (calls.push("reserve R1"), null),
        unreserve: () => void calls.push("unreserve R1"),
      }),
    ],
    [
      "R2",
      () => ({
        name: "R2",
        reserve: () => (calls.push("reserve R2"), unschedulable("full")),
        unreserve: () => void calls.push("unreserve R2"),
      }),
    ],
    [
      "Gate",
      () => ({ name: "Gate", permit: () => ({ status: newStatus("Wait"), timeoutMs: 1e9 }) }),
    ],
    ["SkipBinder", () => ({ name: "SkipBinder", bind: () => Promise.resolve(newStatus("Skip")) })],
    ["Binder", () => ({ name: "Binder", bind: () => (calls.push("bind"), Promise.resolve(null)) })],
  ]);
  const framework = newFramework({
    schedulerName: "s",
    plugins: ["R1", "R2", "Gate", "SkipBinder", "Binder"].map((name) => ({ name })),
  }, { registry });
  const state = new CycleState();
  const pod = testPod();
  const reserve = framework.runReservePluginsReserve(state, pod, "n");
  assert.deepEqual(reserve, { code: "Unschedulable", reasons: ["full"], plugin: "R2" });
  framework.runReservePluginsUnreserve(state, pod, "n");
  const permit = framework.runPermitPlugins(state, pod, "n");
  assert.equal(permit.status?.code, "Wait");
  assert.equal(permit.waitingPlugins.get("Gate"), 15 * 60 * 1000, "at most 15 minutes");
  assert.equal(await framework.runBindPlugins(state, pod, "n"), null);
  assert.deepEqual(calls, ["reserve R1", "reserve R2", "unreserve R2", "unreserve R1", "bind"]);
});
