import assert from "node:assert/strict";
import type { Node } from "../../api/types/core_v1_node.ts";
import type { Affinity, Pod, PodAffinityTerm } from "../../api/types/core_v1_pod.ts";
import { CycleState } from "../cycle_state.ts";
import type { FrameworkHandle, NodeScore } from "../framework.ts";
import { isPreFilterStatus } from "../framework.ts";
import { newPodInfo } from "../node_info.ts";
import { newSnapshot } from "../snapshot.ts";
import type { PluginStatus } from "../status.ts";
import { testNode, testPod, type TestPodOptions } from "../_testing.ts";
import { checkPluginContract } from "./_contract.ts";
import {
  ERR_REASON_AFFINITY,
  ERR_REASON_ANTI_AFFINITY,
  ERR_REASON_EXISTING_ANTI_AFFINITY,
  NAME,
  newInterPodAffinity,
  normalizeMinMax,
} from "./inter_pod_affinity.ts";

const ZONE = "topology.kubernetes.io/zone";
const HOST = "kubernetes.io/hostname";

/** Nodes a1, a2 in zone a, b1 in zone b, and x1 without a zone label. */
const NODES: readonly Node[] = [
  testNode({ name: "a1", labels: { [ZONE]: "a" } }),
  testNode({ name: "a2", labels: { [ZONE]: "a" } }),
  testNode({ name: "b1", labels: { [ZONE]: "b" } }),
  testNode({ name: "x1" }),
];

const AFFINITY: PluginStatus = {
  code: "UnschedulableAndUnresolvable",
  reasons: [ERR_REASON_AFFINITY],
};
const ANTI: PluginStatus = { code: "Unschedulable", reasons: [ERR_REASON_ANTI_AFFINITY] };
const EXISTING: PluginStatus = {
  code: "Unschedulable",
  reasons: [ERR_REASON_EXISTING_ANTI_AFFINITY],
};

function term(
  labels: Record<string, string>,
  topologyKey = ZONE,
  extra: Partial<PodAffinityTerm> = {},
): PodAffinityTerm {
  return { labelSelector: { matchLabels: labels }, topologyKey, ...extra };
}

function requiredAffinity(...terms: PodAffinityTerm[]): Affinity {
  return { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: terms } };
}

function requiredAnti(...terms: PodAffinityTerm[]): Affinity {
  return { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: terms } };
}

interface World {
  readonly nodes?: readonly Node[];
  readonly existing?: readonly Pod[];
  readonly namespaces?: Record<string, Record<string, string>>;
  readonly args?: unknown;
}

function handleFor(world: World): FrameworkHandle {
  const snapshot = newSnapshot(world.nodes ?? NODES, world.existing ?? []);
  const namespaces = world.namespaces;
  return {
    snapshot: () => snapshot,
    ...namespaces === undefined ? {} : { namespaceLabels: (name: string) => namespaces[name] },
  };
}

/** Each node's Filter verdict for `pod`, after PreFilter; `"skip"` when PreFilter skips. */
function filterAll(pod: Pod, world: World = {}): Record<string, PluginStatus | null> | "skip" {
  const handle = handleFor(world);
  const plugin = newInterPodAffinity(world.args, handle);
  const state = new CycleState();
  const nodes = handle.snapshot().list();
  const out = plugin.preFilter(state, pod, nodes);
  if (isPreFilterStatus(out)) {
    if (out.code === "Skip") return "skip";
    return Object.fromEntries(nodes.map((n) => [n.name, out]));
  }
  return Object.fromEntries(nodes.map((n) => [n.name, plugin.filter(state, pod, n)]));
}

/** Normalized scores by node name, or `"skip"`. */
function scoreAll(pod: Pod, world: World = {}): Record<string, number> | "skip" {
  const handle = handleFor(world);
  const plugin = newInterPodAffinity(world.args, handle);
  const state = new CycleState();
  const nodes = handle.snapshot().list();
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

function web(name: string, nodeName: string, extra: TestPodOptions = {}): Pod {
  return testPod({ name, nodeName, labels: { app: "web" }, ...extra });
}

function db(name: string, nodeName: string, extra: TestPodOptions = {}): Pod {
  return testPod({ name, nodeName, labels: { app: "db" }, ...extra });
}

Deno.test("InterPodAffinity Filter: required affinity, anti-affinity and existing pods' anti-affinity", async (t) => {
  const cases: {
    name: string;
    pod: Pod;
    world?: World;
    want: Record<string, PluginStatus | null> | "skip";
  }[] = [
    { name: "no terms and no existing anti-affinity: skipped", pod: testPod(), want: "skip" },
    {
      name: "affinity to a pod in zone a admits zone a only",
      pod: testPod({ affinity: requiredAffinity(term({ app: "db" })) }),
      world: { existing: [db("db-0", "a1")] },
      want: { a1: null, a2: null, b1: AFFINITY, x1: AFFINITY },
    },
    {
      name: "affinity on hostname admits the pod's node only",
      pod: testPod({ affinity: requiredAffinity(term({ app: "db" }, HOST)) }),
      world: { existing: [db("db-0", "b1")] },
      want: { a1: AFFINITY, a2: AFFINITY, b1: null, x1: AFFINITY },
    },
    {
      name: "affinity with no matching pod anywhere rejects every node",
      pod: testPod({ affinity: requiredAffinity(term({ app: "db" })) }),
      world: { existing: [web("web-0", "a1")] },
      want: { a1: AFFINITY, a2: AFFINITY, b1: AFFINITY, x1: AFFINITY },
    },
    {
      name: "a pod whose terms select itself goes anywhere its key exists while none matches",
      pod: testPod({ labels: { app: "db" }, affinity: requiredAffinity(term({ app: "db" })) }),
      world: { existing: [web("web-0", "a1")] },
      want: { a1: null, a2: null, b1: null, x1: AFFINITY },
    },
    {
      name: "a pod whose terms select itself joins the first of its group",
      pod: testPod({ labels: { app: "db" }, affinity: requiredAffinity(term({ app: "db" })) }),
      world: { existing: [db("db-0", "b1")] },
      want: { a1: AFFINITY, a2: AFFINITY, b1: null, x1: AFFINITY },
    },
    {
      name: "several affinity terms: one pod must match them all",
      pod: testPod({
        affinity: requiredAffinity(term({ app: "db" }), term({ tier: "cache" }, HOST)),
      }),
      world: {
        existing: [
          db("db-0", "a1"),
          testPod({ name: "both", nodeName: "b1", labels: { app: "db", tier: "cache" } }),
        ],
      },
      want: { a1: AFFINITY, a2: AFFINITY, b1: null, x1: AFFINITY },
    },
    {
      name: "affinity to pods of another namespace needs it named",
      pod: testPod({ affinity: requiredAffinity(term({ app: "db" })) }),
      world: { existing: [db("db-0", "a1", { namespace: "data" })] },
      want: { a1: AFFINITY, a2: AFFINITY, b1: AFFINITY, x1: AFFINITY },
    },
    {
      name: "affinity to a named namespace",
      pod: testPod({
        affinity: requiredAffinity(term({ app: "db" }, ZONE, { namespaces: ["data"] })),
      }),
      world: { existing: [db("db-0", "a1", { namespace: "data" })] },
      want: { a1: null, a2: null, b1: AFFINITY, x1: AFFINITY },
    },
    {
      name: "affinity to namespaces selected by labels",
      pod: testPod({
        affinity: requiredAffinity(
          term({ app: "db" }, ZONE, { namespaceSelector: { matchLabels: { env: "prod" } } }),
        ),
      }),
      world: {
        existing: [
          db("db-dev", "a1", { namespace: "dev" }),
          db("db-prod", "b1", { namespace: "prod" }),
        ],
        namespaces: { dev: { env: "dev" }, prod: { env: "prod" } },
      },
      want: { a1: AFFINITY, a2: AFFINITY, b1: null, x1: AFFINITY },
    },
    {
      name: "a namespace selector selects nothing when namespace labels are unknown",
      pod: testPod({
        affinity: requiredAffinity(
          term({ app: "db" }, ZONE, { namespaceSelector: { matchLabels: { env: "prod" } } }),
        ),
      }),
      world: { existing: [db("db-prod", "b1", { namespace: "prod" })] },
      want: { a1: AFFINITY, a2: AFFINITY, b1: AFFINITY, x1: AFFINITY },
    },
    {
      name: "an empty namespace selector selects every namespace",
      pod: testPod({
        affinity: requiredAffinity(term({ app: "db" }, ZONE, { namespaceSelector: {} })),
      }),
      world: { existing: [db("db-0", "b1", { namespace: "anywhere" })] },
      want: { a1: AFFINITY, a2: AFFINITY, b1: null, x1: AFFINITY },
    },
    {
      name: "matchLabelKeys keep the pod with its own version",
      pod: testPod({
        labels: { app: "web", version: "v2" },
        affinity: requiredAffinity(term({ app: "db" }, ZONE, { matchLabelKeys: ["version"] })),
      }),
      world: {
        existing: [
          testPod({ name: "db-v1", nodeName: "a1", labels: { app: "db", version: "v1" } }),
          testPod({ name: "db-v2", nodeName: "b1", labels: { app: "db", version: "v2" } }),
        ],
      },
      want: { a1: AFFINITY, a2: AFFINITY, b1: null, x1: AFFINITY },
    },
    {
      name: "anti-affinity keeps the pod out of zone a",
      pod: testPod({ affinity: requiredAnti(term({ app: "web" })) }),
      world: { existing: [web("web-0", "a2")] },
      want: { a1: ANTI, a2: ANTI, b1: null, x1: null },
    },
    {
      name: "anti-affinity on hostname spreads one per node",
      pod: testPod({ labels: { app: "web" }, affinity: requiredAnti(term({ app: "web" }, HOST)) }),
      world: { existing: [web("web-0", "a1"), web("web-1", "b1")] },
      want: { a1: ANTI, a2: null, b1: ANTI, x1: null },
    },
    {
      name: "mismatchLabelKeys keep tenants apart",
      pod: testPod({
        labels: { tenant: "t2" },
        affinity: requiredAnti({
          labelSelector: { matchExpressions: [{ key: "tenant", operator: "Exists" }] },
          topologyKey: ZONE,
          mismatchLabelKeys: ["tenant"],
        }),
      }),
      world: {
        existing: [
          testPod({ name: "t1", nodeName: "a1", labels: { tenant: "t1" } }),
          testPod({ name: "t2", nodeName: "b1", labels: { tenant: "t2" } }),
        ],
      },
      want: { a1: ANTI, a2: ANTI, b1: null, x1: null },
    },
    {
      name: "an existing pod's anti-affinity keeps the pod out of its zone",
      pod: testPod({ labels: { app: "web" } }),
      world: { existing: [db("db-0", "b1", { affinity: requiredAnti(term({ app: "web" })) })] },
      want: { a1: null, a2: null, b1: EXISTING, x1: null },
    },
    {
      name: "an existing pod's anti-affinity on hostname keeps only its node",
      pod: testPod({ labels: { app: "web" } }),
      world: {
        existing: [db("db-0", "a1", { affinity: requiredAnti(term({ app: "web" }, HOST)) })],
      },
      want: { a1: EXISTING, a2: null, b1: null, x1: null },
    },
    {
      name: "an existing pod's anti-affinity ignores pods of other namespaces",
      pod: testPod({ labels: { app: "web" }, namespace: "other" }),
      world: { existing: [db("db-0", "b1", { affinity: requiredAnti(term({ app: "web" })) })] },
      want: "skip",
    },
    {
      name: "an existing pod's anti-affinity selecting namespaces by the incoming pod's labels",
      pod: testPod({ labels: { app: "web" }, namespace: "frontend" }),
      world: {
        existing: [
          db("db-0", "b1", {
            affinity: requiredAnti(
              term({ app: "web" }, ZONE, { namespaceSelector: { matchLabels: { team: "f" } } }),
            ),
          }),
        ],
        namespaces: { frontend: { team: "f" } },
      },
      want: { a1: null, a2: null, b1: EXISTING, x1: null },
    },
    {
      name: "affinity is checked before anti-affinity",
      pod: testPod({
        affinity: {
          ...requiredAffinity(term({ app: "db" })),
          ...requiredAnti(term({ app: "web" })),
        },
      }),
      world: { existing: [db("db-0", "a1"), web("web-0", "a2"), web("web-1", "b1")] },
      want: { a1: ANTI, a2: ANTI, b1: AFFINITY, x1: AFFINITY },
    },
    {
      name: "an invalid selector rejects the pod at PreFilter",
      pod: testPod({
        affinity: requiredAffinity({
          topologyKey: ZONE,
          labelSelector: { matchExpressions: [{ key: "app", operator: "Gt", values: ["1"] }] },
        }),
      }),
      want: Object.fromEntries(NODES.map((n) => [n.metadata!.name!, {
        code: "UnschedulableAndUnresolvable",
        reasons: [
          'parsing pod: requiredAffinityTerms: Invalid label selector: matchExpressions[0].operator: "Gt" is not a valid label selector operator',
        ],
      }])),
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => assert.deepEqual(filterAll(c.pod, c.world), c.want));
  }
});

Deno.test("InterPodAffinity PreFilter extensions count pods added and removed (preemption)", () => {
  const handle = handleFor({ existing: [web("web-0", "a1")] });
  const plugin = newInterPodAffinity(undefined, handle);
  const snapshot = handle.snapshot();
  const pod = testPod({ labels: { app: "web" }, affinity: requiredAnti(term({ app: "web" })) });
  const state = new CycleState();
  assert.equal(plugin.preFilter(state, pod, snapshot.list()), null);
  const a1 = snapshot.get("a1")!;
  const b1 = snapshot.get("b1")!;
  assert.deepEqual(plugin.filter(state, pod, a1), ANTI);

  const removed = state.clone();
  const victim = a1.pods[0]!;
  assert.equal(
    plugin.preFilterExtensions.removePod(removed, pod, {
      podInfo: victim,
      nodeInfo: a1.withoutPod(victim.key)!,
    }),
    null,
  );
  assert.equal(plugin.filter(removed, pod, a1), null, "without web-0 zone a is free");
  assert.deepEqual(plugin.filter(state, pod, a1), ANTI, "the original state is untouched");

  const guard = newPodInfo(db("guard", "b1", { affinity: requiredAnti(term({ app: "web" })) }));
  const added = state.clone();
  plugin.preFilterExtensions.addPod(added, pod, { podInfo: guard, nodeInfo: b1.withPod(guard) });
  assert.deepEqual(plugin.filter(added, pod, b1), EXISTING, "the added pod's anti-affinity counts");
  assert.equal(plugin.filter(state, pod, b1), null);

  const another = newPodInfo(web("web-9", "b1"));
  plugin.preFilterExtensions.addPod(added, pod, { podInfo: another, nodeInfo: b1 });
  assert.deepEqual(plugin.filter(added, pod, b1), ANTI, "a matching pod added to zone b");

  assert.equal(
    plugin.preFilterExtensions.addPod(new CycleState(), pod, { podInfo: another, nodeInfo: b1 })
      ?.code,
    "Error",
    "without PreFilter state",
  );
});

function preferred(
  kind: "podAffinity" | "podAntiAffinity",
  ...terms: { weight: number; term: PodAffinityTerm }[]
): Affinity {
  return {
    [kind]: {
      preferredDuringSchedulingIgnoredDuringExecution: terms.map((t) => ({
        weight: t.weight,
        podAffinityTerm: t.term,
      })),
    },
  };
}

Deno.test("InterPodAffinity Score: weights per topology domain, normalized min-max", async (t) => {
  const nodes = [
    testNode({ name: "a1", labels: { [ZONE]: "a" } }),
    testNode({ name: "b1", labels: { [ZONE]: "b" } }),
    testNode({ name: "c1", labels: { [ZONE]: "c" } }),
  ];
  const cases: { name: string; pod: Pod; world: World; want: Record<string, number> | "skip" }[] = [
    {
      name: "no terms anywhere: skipped",
      pod: testPod(),
      world: { nodes, existing: [web("web-0", "a1")] },
      want: "skip",
    },
    {
      name: "preferred affinity: more matching pods, more weight",
      pod: testPod({
        affinity: preferred("podAffinity", { weight: 5, term: term({ app: "db" }) }),
      }),
      world: { nodes, existing: [db("db-0", "a1"), db("db-1", "a1"), db("db-2", "b1")] },
      want: { a1: 100, b1: 50, c1: 0 },
    },
    {
      name: "preferred affinity and anti-affinity add up",
      pod: testPod({
        affinity: {
          ...preferred("podAffinity", { weight: 4, term: term({ app: "db" }) }),
          ...preferred("podAntiAffinity", { weight: 2, term: term({ app: "web" }) }),
        },
      }),
      world: { nodes, existing: [db("db-0", "a1"), web("web-0", "a1"), web("web-1", "b1")] },
      // raw: a = 4 - 2 = 2, b = -2, c = 0.
      want: { a1: 100, b1: 0, c1: 50 },
    },
    {
      name: "preferred anti-affinity alone",
      pod: testPod({
        affinity: preferred("podAntiAffinity", { weight: 3, term: term({ app: "web" }) }),
      }),
      world: { nodes, existing: [web("web-0", "a1")] },
      want: { a1: 0, b1: 100, c1: 100 },
    },
    {
      name: "an existing pod's required affinity draws the pod it selects (hard weight 1)",
      pod: testPod({ labels: { app: "web" } }),
      world: {
        nodes,
        existing: [db("db-0", "b1", { affinity: requiredAffinity(term({ app: "web" })) })],
      },
      want: { a1: 0, b1: 100, c1: 0 },
    },
    {
      name: "hardPodAffinityWeight 0 ignores existing pods' required affinity",
      pod: testPod({ labels: { app: "web" } }),
      world: {
        nodes,
        existing: [db("db-0", "b1", { affinity: requiredAffinity(term({ app: "web" })) })],
        args: { hardPodAffinityWeight: 0 },
      },
      want: "skip",
    },
    {
      name: "existing pods' preferred terms toward the pod",
      pod: testPod({ labels: { app: "web" } }),
      world: {
        nodes,
        existing: [
          db("db-0", "a1", {
            affinity: preferred("podAffinity", { weight: 10, term: term({ app: "web" }) }),
          }),
          db("db-1", "b1", {
            affinity: preferred("podAntiAffinity", { weight: 10, term: term({ app: "web" }) }),
          }),
        ],
      },
      want: { a1: 100, b1: 0, c1: 50 },
    },
    {
      name: "ignorePreferredTermsOfExistingPods skips a pod without preferred terms",
      pod: testPod({ labels: { app: "web" } }),
      world: {
        nodes,
        existing: [
          db("db-0", "a1", {
            affinity: preferred("podAffinity", { weight: 10, term: term({ app: "web" }) }),
          }),
        ],
        args: { ignorePreferredTermsOfExistingPods: true },
      },
      want: "skip",
    },
    {
      name: "terms whose topology key no node has leave nothing to score",
      pod: testPod({
        affinity: preferred("podAffinity", { weight: 5, term: term({ app: "db" }, "rack") }),
      }),
      world: { nodes, existing: [db("db-0", "a1")] },
      want: "skip",
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => assert.deepEqual(scoreAll(c.pod, c.world), c.want));
  }
});

Deno.test("normalizeMinMax() maps the lowest score to 0 and the highest to 100", async (t) => {
  const cases: { name: string; scores: number[]; want: number[] }[] = [
    { name: "positive", scores: [0, 1, 3], want: [0, 33, 100] },
    { name: "negative", scores: [-6, -3, 0], want: [0, 50, 100] },
    { name: "all equal", scores: [4, 4], want: [0, 0] },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const scores = c.scores.map((score, i) => ({ name: `n${i}`, score }));
      normalizeMinMax(scores);
      assert.deepEqual(scores.map((s) => s.score), c.want);
    });
  }
});

Deno.test("InterPodAffinity keeps the plugin contract", () => {
  checkPluginContract(newInterPodAffinity, {
    name: NAME,
    nodes: NODES,
    existingPods: [
      db("db-0", "a1", { affinity: requiredAnti(term({ app: "web" }, HOST)) }),
      web("web-0", "b1", {
        affinity: preferred("podAffinity", { weight: 7, term: term({ app: "db" }) }),
      }),
    ],
    pods: [
      testPod({ name: "plain" }),
      testPod({ name: "web", labels: { app: "web" } }),
      testPod({ name: "affine", affinity: requiredAffinity(term({ app: "db" })) }),
      testPod({
        name: "soft",
        affinity: preferred("podAntiAffinity", { weight: 100, term: term({ app: "web" }) }),
      }),
    ],
  });
});

Deno.test("newInterPodAffinity() validates its args", async (t) => {
  const handle = handleFor({});
  const cases: { name: string; args: unknown; error: RegExp }[] = [
    {
      name: "weight too big",
      args: { hardPodAffinityWeight: 101 },
      error: /hardPodAffinityWeight/,
    },
    {
      name: "negative weight",
      args: { hardPodAffinityWeight: -1 },
      error: /hardPodAffinityWeight/,
    },
    {
      name: "unknown field",
      args: { weight: 1 },
      error: /Invalid args for plugin "InterPodAffinity"/,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.throws(() => newInterPodAffinity(c.args, handle), TypeError);
      assert.throws(() => newInterPodAffinity(c.args, handle), c.error);
    });
  }
  assert.equal(newInterPodAffinity({ hardPodAffinityWeight: 0 }, handle).name, NAME);
});
