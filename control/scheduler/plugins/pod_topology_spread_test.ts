import assert from "node:assert/strict";
import type { Node } from "../../api/types/core_v1_node.ts";
import type { Pod, TopologySpreadConstraint } from "../../api/types/core_v1_pod.ts";
import { CycleState } from "../cycle_state.ts";
import { FitError } from "../fit_error.ts";
import type { FrameworkHandle, NodeScore, WorkloadListers } from "../framework.ts";
import { isPreFilterStatus } from "../framework.ts";
import { newPodInfo } from "../node_info.ts";
import { defaultProfile, newInTreeRegistry } from "../registry.ts";
import { newFramework } from "../runtime.ts";
import { newSnapshot } from "../snapshot.ts";
import type { PluginStatus } from "../status.ts";
import { testNode, testPod, type TestPodOptions } from "../_testing.ts";
import { checkPluginContract } from "./_contract.ts";
import {
  defaultSelector,
  ERR_REASON_CONSTRAINTS_NOT_MATCH,
  ERR_REASON_NODE_LABEL_NOT_MATCH,
  LABEL_HOSTNAME,
  LABEL_TOPOLOGY_ZONE,
  NAME,
  newPodTopologySpread,
  normalizeSpreadScores,
  SYSTEM_DEFAULT_CONSTRAINTS,
} from "./pod_topology_spread.ts";

const ZONE = LABEL_TOPOLOGY_ZONE;

/** Zone a: a1, a2; zone b: b1, b2; zone c: c1. */
const NODES: readonly Node[] = [
  testNode({ name: "a1", labels: { [ZONE]: "a" } }),
  testNode({ name: "a2", labels: { [ZONE]: "a" } }),
  testNode({ name: "b1", labels: { [ZONE]: "b" } }),
  testNode({ name: "b2", labels: { [ZONE]: "b" } }),
  testNode({ name: "c1", labels: { [ZONE]: "c" } }),
];

const SKEW: PluginStatus = { code: "Unschedulable", reasons: [ERR_REASON_CONSTRAINTS_NOT_MATCH] };
const MISSING: PluginStatus = {
  code: "UnschedulableAndUnresolvable",
  reasons: [ERR_REASON_NODE_LABEL_NOT_MATCH],
};

function spread(
  topologyKey: string,
  maxSkew: number,
  extra: Partial<TopologySpreadConstraint> = {},
): TopologySpreadConstraint {
  return {
    maxSkew,
    topologyKey,
    whenUnsatisfiable: "DoNotSchedule",
    labelSelector: { matchLabels: { app: "foo" } },
    ...extra,
  };
}

function foo(name: string, nodeName: string, extra: TestPodOptions = {}): Pod {
  return testPod({ name, nodeName, labels: { app: "foo" }, ...extra });
}

function incoming(constraints: TopologySpreadConstraint[], extra: TestPodOptions = {}): Pod {
  const pod = testPod({ name: "incoming", labels: { app: "foo" }, ...extra });
  return { ...pod, spec: { ...pod.spec!, topologySpreadConstraints: constraints } };
}

interface World {
  readonly nodes?: readonly Node[];
  readonly existing?: readonly Pod[];
  readonly listers?: WorkloadListers;
  readonly args?: unknown;
}

function handleFor(world: World): FrameworkHandle {
  const snapshot = newSnapshot(world.nodes ?? NODES, world.existing ?? []);
  const listers = world.listers;
  return {
    snapshot: () => snapshot,
    ...listers === undefined ? {} : { workloadListers: () => listers },
  };
}

function filterAll(pod: Pod, world: World = {}): Record<string, PluginStatus | null> | "skip" {
  const handle = handleFor(world);
  const plugin = newPodTopologySpread(world.args, handle);
  const state = new CycleState();
  const nodes = handle.snapshot().list();
  const out = plugin.preFilter(state, pod, nodes);
  if (isPreFilterStatus(out)) {
    if (out.code === "Skip") return "skip";
    throw new Error(`PreFilter returned ${JSON.stringify(out)}`);
  }
  return Object.fromEntries(nodes.map((n) => [n.name, plugin.filter(state, pod, n)]));
}

function scoreAll(
  pod: Pod,
  world: World & { readonly filtered?: readonly string[] } = {},
): Record<string, number> | "skip" {
  const handle = handleFor(world);
  const plugin = newPodTopologySpread(world.args, handle);
  const state = new CycleState();
  const all = handle.snapshot().list();
  const nodes = world.filtered === undefined
    ? all
    : all.filter((n) => world.filtered!.includes(n.name));
  const pre = plugin.preScore(state, pod, nodes);
  if (pre?.code === "Skip") return "skip";
  assert.equal(pre, null);
  const scores: NodeScore[] = nodes.map((n) => ({
    name: n.name,
    score: plugin.score(state, pod, n) as number,
  }));
  assert.equal(plugin.normalizeScore(state, pod, scores), null);
  return Object.fromEntries(scores.map((s) => [s.name, s.score]));
}

/** Two foo pods in zone a (a1), one in zone b (b1), none in zone c. */
const TWO_ONE_ZERO = [foo("p1", "a1"), foo("p2", "a1"), foo("p3", "b1")];

Deno.test("PodTopologySpread Filter: maxSkew, minDomains, inclusion policies and reasons", async (t) => {
  const cases: {
    name: string;
    pod: Pod;
    world?: World;
    want: Record<string, PluginStatus | null> | "skip";
  }[] = [
    { name: "no constraints and no workload listers: skipped", pod: testPod(), want: "skip" },
    {
      name: "ScheduleAnyway constraints only: skipped",
      pod: incoming([spread(ZONE, 1, { whenUnsatisfiable: "ScheduleAnyway" })]),
      want: "skip",
    },
    {
      name: "zones 2/1/0, maxSkew 1: only the empty zone",
      pod: incoming([spread(ZONE, 1)]),
      world: { existing: TWO_ONE_ZERO },
      want: { a1: SKEW, a2: SKEW, b1: SKEW, b2: SKEW, c1: null },
    },
    {
      name: "zones 2/1/0, maxSkew 2: zone a would reach 3",
      pod: incoming([spread(ZONE, 2)]),
      world: { existing: TWO_ONE_ZERO },
      want: { a1: SKEW, a2: SKEW, b1: null, b2: null, c1: null },
    },
    {
      name: "a pod its selector does not select adds nothing to a domain",
      pod: incoming([spread(ZONE, 2)], { labels: { app: "bar" } }),
      world: { existing: TWO_ONE_ZERO },
      want: { a1: null, a2: null, b1: null, b2: null, c1: null },
    },
    {
      name: "a node without the topology key is rejected for good",
      pod: incoming([spread(ZONE, 1)]),
      world: {
        nodes: [...NODES, testNode({ name: "x1" })],
        existing: TWO_ONE_ZERO,
      },
      want: { a1: SKEW, a2: SKEW, b1: SKEW, b2: SKEW, c1: null, x1: MISSING },
    },
    {
      name: "minDomains above the domain count makes the global minimum 0",
      pod: incoming([spread(ZONE, 1, { minDomains: 4 })]),
      world: { existing: [foo("p1", "a1"), foo("p2", "b1"), foo("p3", "c1")] },
      want: { a1: SKEW, a2: SKEW, b1: SKEW, b2: SKEW, c1: SKEW },
    },
    {
      name: "minDomains met keeps the real minimum",
      pod: incoming([spread(ZONE, 1, { minDomains: 3 })]),
      world: { existing: [foo("p1", "a1"), foo("p2", "b1"), foo("p3", "c1")] },
      want: { a1: null, a2: null, b1: null, b2: null, c1: null },
    },
    {
      name: "zone and hostname together",
      pod: incoming([spread(ZONE, 2), spread(LABEL_HOSTNAME, 1)]),
      world: { existing: [foo("p1", "a1"), foo("p2", "a2"), foo("p3", "b1")] },
      // Zones 2/1/0 with maxSkew 2 exclude zone a; hosts 1,1,1,0,0 exclude b1 as well.
      want: { a1: SKEW, a2: SKEW, b1: SKEW, b2: null, c1: null },
    },
    {
      name: "nodeAffinityPolicy Honor: zones the pod cannot use do not count",
      pod: incoming([spread(ZONE, 1)], { nodeSelector: { [ZONE]: "a" } }),
      world: { existing: [foo("p1", "a1"), foo("p2", "b1")] },
      // Only zone a is eligible (1 pod): a gets 2 - 1 = 1.
      want: { a1: null, a2: null, b1: null, b2: null, c1: null },
    },
    {
      name: "nodeAffinityPolicy Ignore: every zone counts",
      pod: incoming([spread(ZONE, 1, { nodeAffinityPolicy: "Ignore" })], {
        nodeSelector: { [ZONE]: "a" },
      }),
      world: { existing: [foo("p1", "a1"), foo("p2", "b1")] },
      want: { a1: SKEW, a2: SKEW, b1: SKEW, b2: SKEW, c1: null },
    },
    {
      name: "nodeTaintsPolicy Ignore (default): a tainted empty zone still counts",
      pod: incoming([spread(ZONE, 1)]),
      world: {
        nodes: [
          ...NODES.slice(0, 4),
          testNode({
            name: "c1",
            labels: { [ZONE]: "c" },
            taints: [{ key: "dedicated", value: "x", effect: "NoSchedule" }],
          }),
        ],
        existing: [foo("p1", "a1"), foo("p2", "b1")],
      },
      want: { a1: SKEW, a2: SKEW, b1: SKEW, b2: SKEW, c1: null },
    },
    {
      name: "nodeTaintsPolicy Honor: an untolerated tainted zone does not count",
      pod: incoming([spread(ZONE, 1, { nodeTaintsPolicy: "Honor" })]),
      world: {
        nodes: [
          ...NODES.slice(0, 4),
          testNode({
            name: "c1",
            labels: { [ZONE]: "c" },
            taints: [{ key: "dedicated", value: "x", effect: "NoSchedule" }],
          }),
        ],
        existing: [foo("p1", "a1"), foo("p2", "b1")],
      },
      want: { a1: null, a2: null, b1: null, b2: null, c1: null },
    },
    {
      name: "matchLabelKeys count only pods of the pod's own revision",
      pod: incoming([spread(ZONE, 1, { matchLabelKeys: ["pod-template-hash"] })], {
        labels: { app: "foo", "pod-template-hash": "new" },
      }),
      world: {
        existing: [
          foo("old-1", "a1", { labels: { app: "foo", "pod-template-hash": "old" } }),
          foo("old-2", "a2", { labels: { app: "foo", "pod-template-hash": "old" } }),
          foo("new-1", "b1", { labels: { app: "foo", "pod-template-hash": "new" } }),
          foo("new-2", "c1", { labels: { app: "foo", "pod-template-hash": "new" } }),
        ],
      },
      want: { a1: null, a2: null, b1: SKEW, b2: SKEW, c1: SKEW },
    },
    {
      name: "pods of other namespaces and terminating pods are not counted",
      pod: incoming([spread(ZONE, 1)]),
      world: {
        existing: [
          foo("other-ns", "a1", { namespace: "other" }),
          {
            ...foo("leaving", "b1"),
            metadata: {
              ...foo("leaving", "b1").metadata,
              deletionTimestamp: "2026-01-01T00:00:00Z",
            },
          },
        ],
      },
      want: { a1: null, a2: null, b1: null, b2: null, c1: null },
    },
    {
      name: "an empty selector counts no pods (upstream), so every node fits",
      pod: incoming([spread(ZONE, 1, { labelSelector: {} })]),
      world: { existing: TWO_ONE_ZERO },
      want: { a1: null, a2: null, b1: null, b2: null, c1: null },
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => assert.deepEqual(filterAll(c.pod, c.world), c.want));
  }
});

Deno.test("PodTopologySpread PreFilter extensions update the critical paths (preemption)", () => {
  const handle = handleFor({ existing: [foo("p1", "a1"), foo("p2", "b1"), foo("p3", "c1")] });
  const plugin = newPodTopologySpread(undefined, handle);
  const snapshot = handle.snapshot();
  const pod = incoming([spread(ZONE, 1)]);
  const state = new CycleState();
  assert.equal(plugin.preFilter(state, pod, snapshot.list()), null);
  const [a1, b1, c1] = ["a1", "b1", "c1"].map((n) => snapshot.get(n)!);
  assert.equal(plugin.filter(state, pod, a1!), null, "zones 1/1/1");

  const removed = state.clone();
  const victim = c1!.pods[0]!;
  plugin.preFilterExtensions.removePod(removed, pod, {
    podInfo: victim,
    nodeInfo: c1!.withoutPod(victim.key)!,
  });
  assert.deepEqual(plugin.filter(removed, pod, a1!), SKEW, "zones 1/1/0: the minimum drops to 0");
  assert.equal(plugin.filter(removed, pod, c1!), null);
  assert.equal(plugin.filter(state, pod, a1!), null, "the original state is untouched");

  const added = removed.clone();
  const back = newPodInfo(foo("p4", "c1"));
  plugin.preFilterExtensions.addPod(added, pod, { podInfo: back, nodeInfo: c1!.withPod(back) });
  assert.equal(plugin.filter(added, pod, a1!), null, "zones 1/1/1 again");

  const stranger = newPodInfo(foo("p5", "b1", { namespace: "other" }));
  plugin.preFilterExtensions.addPod(added, pod, { podInfo: stranger, nodeInfo: b1! });
  assert.equal(plugin.filter(added, pod, a1!), null, "pods of other namespaces do not count");
  assert.equal(
    plugin.preFilterExtensions.removePod(new CycleState(), pod, { podInfo: back, nodeInfo: c1! })
      ?.code,
    "Error",
  );
});

function soft(topologyKey: string, maxSkew: number): TopologySpreadConstraint {
  return spread(topologyKey, maxSkew, { whenUnsatisfiable: "ScheduleAnyway" });
}

/** Lists one ReplicaSet `web` selecting `app: web` and the given Services in `default`. */
function listers(services: Record<string, string>[] = []): WorkloadListers {
  return {
    services: (ns) => ns === "default" ? services.map((selector) => ({ spec: { selector } })) : [],
    replicationController: () => undefined,
    replicaSet: (ns, name) =>
      ns === "default" && name === "web"
        ? {
          spec: {
            selector: { matchLabels: { app: "web" } },
            template: {},
          },
        }
        : undefined,
    statefulSet: () => undefined,
  };
}

function ownedWeb(name: string, nodeName?: string): Pod {
  return testPod({
    name,
    labels: { app: "web" },
    ...nodeName === undefined ? {} : { nodeName },
  });
}

function withOwner(pod: Pod, kind: string, apiVersion = "apps/v1"): Pod {
  return {
    ...pod,
    metadata: {
      ...pod.metadata,
      ownerReferences: [{ apiVersion, kind, name: "web", uid: "rs-uid", controller: true }],
    },
  };
}

Deno.test("PodTopologySpread Score: fewer matching pods score higher, as upstream", async (t) => {
  const threeNodes = [
    testNode({ name: "a1", labels: { [ZONE]: "a" } }),
    testNode({ name: "a2", labels: { [ZONE]: "a" } }),
    testNode({ name: "b1", labels: { [ZONE]: "b" } }),
  ];
  const cases: {
    name: string;
    pod: Pod;
    world: World & { readonly filtered?: readonly string[] };
    want: Record<string, number> | "skip";
  }[] = [
    {
      name: "DoNotSchedule constraints only: skipped",
      pod: incoming([spread(ZONE, 1)]),
      world: { nodes: threeNodes },
      want: "skip",
    },
    {
      // ln(2 + 2) per pod: zone a (3 pods) 4.16 → 4, zone b (1 pod) 1.39 → 1.
      name: "zones 3/1, maxSkew 1",
      pod: incoming([soft(ZONE, 1)]),
      world: {
        nodes: threeNodes,
        existing: [foo("p1", "a1"), foo("p2", "a2"), foo("p3", "a2"), foo("p4", "b1")],
      },
      want: { a1: 25, a2: 25, b1: 100 },
    },
    {
      // ln(3 + 2) per pod on each host: 2 → 3.22 → 3, 1 → 1.61 → 2, 0 → 0.
      name: "hostname, counted per node at Score",
      pod: incoming([soft(LABEL_HOSTNAME, 1)]),
      world: { nodes: threeNodes, existing: [foo("p1", "a1"), foo("p2", "a1"), foo("p3", "a2")] },
      want: { a1: 0, a2: 33, b1: 100 },
    },
    {
      name: "maxSkew waters differences down",
      pod: incoming([soft(ZONE, 5)]),
      world: {
        nodes: threeNodes,
        existing: [foo("p1", "a1"), foo("p2", "a2"), foo("p3", "a2"), foo("p4", "b1")],
      },
      // raw: a = 3 * 1.386 + 4 = 8.16 → 8, b = 1.386 + 4 = 5.39 → 5; 100 * (13 - s) / 8.
      want: { a1: 62, a2: 62, b1: 100 },
    },
    {
      name: "only filtered nodes' domains are scored",
      pod: incoming([soft(ZONE, 1)]),
      world: {
        nodes: threeNodes,
        existing: [foo("p1", "a1"), foo("p2", "a2"), foo("p3", "b1")],
        filtered: ["a1", "b1"],
      },
      // ln(4): zone a 2 pods → 2.77 → 3, zone b 1 → 1.39 → 1.
      want: { a1: 33, b1: 100 },
    },
    {
      name: "own constraints: a node without the key is ignored and scores 0",
      pod: incoming([soft(ZONE, 1)]),
      world: {
        nodes: [...threeNodes, testNode({ name: "x1" })],
        existing: [foo("p1", "a1")],
      },
      want: { a1: 0, a2: 0, b1: 100, x1: 0 },
    },
    {
      name: "no matching pods anywhere: all 100",
      pod: incoming([soft(ZONE, 1)]),
      world: { nodes: threeNodes },
      want: { a1: 100, a2: 100, b1: 100 },
    },
    {
      name: "system defaults without workload listers: skipped",
      pod: withOwner(ownedWeb("web-9"), "ReplicaSet"),
      world: { nodes: threeNodes, existing: [ownedWeb("web-0", "a1")] },
      want: "skip",
    },
    {
      name: "system defaults for a ReplicaSet's pod; a node without a zone still spreads by host",
      pod: withOwner(ownedWeb("web-9"), "ReplicaSet"),
      world: {
        nodes: [
          testNode({ name: "a1", labels: { [ZONE]: "a" } }),
          testNode({ name: "b1", labels: { [ZONE]: "b" } }),
          testNode({ name: "x1" }),
        ],
        existing: [ownedWeb("web-0", "a1"), ownedWeb("web-1", "a1"), ownedWeb("web-2", "x1")],
        listers: listers(),
      },
      // ln(5) per pod, + 2 (host) and + 4 (zone): a1 12.44 → 12, b1 6, x1 3.61 → 4.
      want: { a1: 33, b1: 83, x1: 100 },
    },
    {
      name: "system defaults for a pod a Service selects",
      pod: ownedWeb("web-9"),
      world: {
        nodes: threeNodes,
        existing: [ownedWeb("web-0", "a1")],
        listers: listers([{ app: "web" }]),
      },
      // host: ln(5); zone: ln(4). a1: 1.61 + 2 + 1.39 + 4 = 9.0 → 9; a2: 2 + 1.39 + 4 = 7.39 → 7;
      // b1: 6. 100 * (15 - s) / 9.
      want: { a1: 66, a2: 88, b1: 100 },
    },
    {
      name: "system defaults for a pod nothing selects: skipped",
      pod: ownedWeb("web-9"),
      world: { nodes: threeNodes, listers: listers([{ app: "db" }]) },
      want: "skip",
    },
    {
      name: "defaultingType List with no constraints: no default spreading",
      pod: withOwner(ownedWeb("web-9"), "ReplicaSet"),
      world: {
        nodes: threeNodes,
        listers: listers(),
        args: { defaultingType: "List", defaultConstraints: [] },
      },
      want: "skip",
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => assert.deepEqual(scoreAll(c.pod, c.world), c.want));
  }
});

Deno.test("normalizeSpreadScores() gives ignored nodes 0 and inverts the rest", () => {
  const scores = [
    { name: "a", score: 4 },
    { name: "b", score: 1 },
    { name: "x", score: 9 },
  ];
  normalizeSpreadScores(scores, new Set(["x"]));
  assert.deepEqual(scores.map((s) => s.score), [25, 100, 0]);
  const zeros = [{ name: "a", score: 0 }, { name: "b", score: 0 }];
  normalizeSpreadScores(zeros);
  assert.deepEqual(zeros.map((s) => s.score), [100, 100]);
});

Deno.test("defaultSelector() merges Services' selectors with the controller's", async (t) => {
  const cases: {
    name: string;
    pod: Pod;
    listers: WorkloadListers;
    matches: Record<string, string>[];
    rejects: Record<string, string>[];
  }[] = [
    {
      name: "a ReplicaSet's selector",
      pod: withOwner(ownedWeb("p"), "ReplicaSet"),
      listers: listers(),
      matches: [{ app: "web" }],
      rejects: [{ app: "db" }],
    },
    {
      name: "a Service's selector ANDed with the ReplicaSet's",
      pod: withOwner(testPod({ labels: { app: "web", tier: "front" } }), "ReplicaSet"),
      listers: listers([{ tier: "front" }, { other: "x" }]),
      matches: [{ app: "web", tier: "front" }],
      rejects: [{ app: "web" }, { tier: "front" }],
    },
    {
      name: "a ReplicationController's selector (core/v1)",
      pod: withOwner(ownedWeb("p"), "ReplicationController", "v1"),
      listers: {
        ...listers(),
        replicationController: () => ({ spec: { selector: { app: "web", rc: "1" } } }),
      },
      matches: [{ app: "web", rc: "1" }],
      rejects: [{ app: "web" }],
    },
    {
      name: "an owner of an unknown kind adds nothing",
      pod: withOwner(ownedWeb("p"), "Job", "batch/v1"),
      listers: listers([{ app: "web" }]),
      matches: [{ app: "web" }],
      rejects: [{ app: "db" }],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const selector = defaultSelector(c.pod, c.listers);
      for (const l of c.matches) assert.ok(selector.matches(l), JSON.stringify(l));
      for (const l of c.rejects) assert.ok(!selector.matches(l), JSON.stringify(l));
    });
  }
  assert.ok(defaultSelector(testPod(), listers()).isEmpty, "no Service and no owner: empty");
});

Deno.test("newPodTopologySpread() validates its args", async (t) => {
  const handle = handleFor({});
  const cases: { name: string; args: unknown; error: RegExp }[] = [
    {
      name: "constraints with System defaulting",
      args: { defaultConstraints: [SYSTEM_DEFAULT_CONSTRAINTS[0]] },
      error: /defaultConstraints: must be empty when defaultingType is "System"/,
    },
    {
      name: "a selector in a default constraint",
      args: {
        defaultingType: "List",
        defaultConstraints: [{ ...SYSTEM_DEFAULT_CONSTRAINTS[0], labelSelector: {} }],
      },
      error: /Invalid args for plugin "PodTopologySpread"/,
    },
    {
      name: "maxSkew 0",
      args: {
        defaultingType: "List",
        defaultConstraints: [{ ...SYSTEM_DEFAULT_CONSTRAINTS[0], maxSkew: 0 }],
      },
      error: /maxSkew: must be greater than zero/,
    },
    {
      name: "duplicate key and action",
      args: {
        defaultingType: "List",
        defaultConstraints: [SYSTEM_DEFAULT_CONSTRAINTS[0], SYSTEM_DEFAULT_CONSTRAINTS[0]],
      },
      error: /duplicate \{kubernetes.io\/hostname, ScheduleAnyway\}/,
    },
    { name: "unknown defaultingType", args: { defaultingType: "Auto" }, error: /defaultingType/ },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.throws(() => newPodTopologySpread(c.args, handle), TypeError);
      assert.throws(() => newPodTopologySpread(c.args, handle), c.error);
    });
  }
  assert.deepEqual(SYSTEM_DEFAULT_CONSTRAINTS.map((c) => [c.topologyKey, c.maxSkew]), [
    [LABEL_HOSTNAME, 3],
    [ZONE, 5],
  ]);
});

Deno.test("PodTopologySpread keeps the plugin contract", () => {
  checkPluginContract(newPodTopologySpread, {
    name: NAME,
    nodes: [...NODES, testNode({ name: "x1" })],
    existingPods: TWO_ONE_ZERO,
    pods: [
      testPod({ name: "plain" }),
      incoming([spread(ZONE, 1)]),
      incoming([soft(ZONE, 2), soft(LABEL_HOSTNAME, 1)]),
      incoming([spread(ZONE, 1, { minDomains: 5 }), soft(LABEL_HOSTNAME, 3)]),
    ],
  });
});

Deno.test("the default profile reports PodTopologySpread and InterPodAffinity reasons together", () => {
  const nodes = [
    testNode({ name: "a1", labels: { [ZONE]: "a" } }),
    testNode({ name: "b1", labels: { [ZONE]: "b" } }),
    testNode({ name: "b2", labels: { [ZONE]: "b" } }),
    testNode({ name: "c1", labels: { [ZONE]: "c" } }),
    testNode({ name: "x1" }),
  ];
  const cache = (name: string, nodeName: string) =>
    testPod({ name, nodeName, labels: { app: "cache" } });
  const existing = [
    testPod({ name: "web-0", nodeName: "a1", labels: { app: "web" } }),
    cache("cache-0", "b1"),
    cache("cache-1", "b2"),
    testPod({
      name: "guard",
      nodeName: "c1",
      labels: { app: "guard" },
      affinity: {
        podAntiAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: [{
            labelSelector: { matchLabels: { app: "web" } },
            topologyKey: LABEL_HOSTNAME,
          }],
        },
      },
    }),
  ];
  const pod = incoming(
    [spread(ZONE, 1, { labelSelector: { matchLabels: { app: "cache" } } })],
    {
      name: "web-1",
      labels: { app: "web" },
      affinity: {
        podAntiAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: [{
            labelSelector: { matchLabels: { app: "web" } },
            topologyKey: ZONE,
          }],
        },
      },
    },
  );
  const framework = newFramework(defaultProfile(), { registry: newInTreeRegistry() });
  const result = framework.schedulePod(pod, { snapshot: newSnapshot(nodes, existing) });
  assert.ok(result instanceof FitError, "no node fits");
  assert.equal(
    result.message,
    "0/5 nodes are available: 1 node(s) didn't match pod anti-affinity rules, " +
      "1 node(s) didn't match pod topology spread constraints (missing required label), " +
      "1 node(s) didn't satisfy existing pods anti-affinity rules, " +
      "2 node(s) didn't match pod topology spread constraints.",
  );
  assert.deepEqual([...result.diagnosis.unschedulablePlugins].sort(), [
    "InterPodAffinity",
    "PodTopologySpread",
  ]);

  const welcome = incoming(
    [spread(ZONE, 1, { labelSelector: { matchLabels: { app: "cache" } } })],
    {
      name: "web-2",
      labels: { app: "other" },
    },
  );
  const placed = framework.schedulePod(welcome, { snapshot: newSnapshot(nodes, existing) });
  assert.ok(!(placed instanceof FitError));
  assert.ok(["a1", "c1"].includes(placed.suggestedHost), `placed on ${placed.suggestedHost}`);
});
