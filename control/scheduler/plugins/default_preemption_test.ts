import assert from "node:assert/strict";
import type { Node } from "../../api/types/core_v1_node.ts";
import type { Pod } from "../../api/types/core_v1_pod.ts";
import type { PodDisruptionBudget } from "../../api/types/policy_v1.ts";
import { testNode, testPod, type TestPodOptions } from "../_testing.ts";
import { CycleState } from "../cycle_state.ts";
import { FitError } from "../fit_error.ts";
import type { PostFilterResult, Preemption, Preemptor } from "../framework.ts";
import { newPodInfo } from "../node_info.ts";
import { defaultProfile, newInTreeRegistry } from "../registry.ts";
import { newFramework } from "../runtime.ts";
import { newSnapshot } from "../snapshot.ts";
import { pluginStatusMessage, statusCode, unresolvable, unschedulable } from "../status.ts";
import { checkPluginContract } from "./_contract.ts";
import {
  calculateNumCandidates,
  type Candidate,
  DEFAULT_MIN_CANDIDATE_NODES_ABSOLUTE,
  DEFAULT_MIN_CANDIDATE_NODES_PERCENTAGE,
  disruptionTargetCondition,
  filterPodsWithPdbViolation,
  moreImportantPod,
  NAME,
  newDefaultPreemption,
  pickOneNodeForPreemption,
  podEligibleToPreemptOthers,
  preemptedEvent,
  REASON_PREEMPTION_RUNNING,
} from "./default_preemption.ts";

interface PodSpecExtra extends TestPodOptions {
  readonly startTime?: string;
  readonly preemptionPolicy?: "Never" | "PreemptLowerPriority";
  /** Terminating because the scheduler preempted it. */
  readonly preempted?: boolean;
}

/** A pod with the extra fields preemption reads. */
function pod(options: PodSpecExtra): Pod {
  const base = testPod(options);
  const status: NonNullable<Pod["status"]> = {
    ...base.status,
    ...options.startTime === undefined ? {} : { startTime: options.startTime },
    ...options.preempted
      ? {
        conditions: [{
          type: "DisruptionTarget",
          status: "True",
          reason: "PreemptionByScheduler",
        }],
      }
      : {},
  };
  return {
    ...base,
    metadata: {
      ...base.metadata,
      ...options.preempted ? { deletionTimestamp: "2025-01-01T00:00:00Z" } : {},
    },
    spec: {
      ...base.spec!,
      ...options.preemptionPolicy === undefined
        ? {}
        : { preemptionPolicy: options.preemptionPolicy },
    },
    ...Object.keys(status).length === 0 ? {} : { status },
  };
}

function pdb(
  name: string,
  options: {
    labels: Record<string, string>;
    allowed: number;
    namespace?: string;
    disrupted?: string[];
  },
): PodDisruptionBudget {
  return {
    metadata: { name, namespace: options.namespace ?? "default" },
    spec: { selector: { matchLabels: options.labels } },
    status: {
      disruptionsAllowed: options.allowed,
      currentHealthy: 0,
      desiredHealthy: 0,
      expectedPods: 0,
      ...options.disrupted === undefined ? {} : {
        disruptedPods: Object.fromEntries(
          options.disrupted.map((n) => [n, "2025-01-01T00:00:00Z"]),
        ),
      },
    },
  };
}

function cpuNode(name: string, cpu = "4"): Node {
  return testNode({ name, allocatable: { cpu, memory: "8Gi", pods: "110" } });
}

interface World {
  readonly nodes: readonly Node[];
  readonly pods: readonly Pod[];
  readonly pdbs?: readonly PodDisruptionBudget[];
  /** Pods nominated to nodes, by node name. */
  readonly nominated?: Readonly<Record<string, readonly Pod[]>>;
  readonly random?: () => number;
  readonly args?: unknown;
  /** Leave the framework without a preemptor. */
  readonly noPreemptor?: boolean;
}

interface Attempt {
  readonly fitError: FitError;
  readonly result: PostFilterResult;
  readonly preemptions: readonly Preemption[];
}

/** Schedules `incoming` as the scheduler does: Filter fails, PostFilter runs, the message is set. */
function attempt(world: World, incoming: Pod): Attempt {
  const preemptions: Preemption[] = [];
  const preemptor: Preemptor = { preempt: (p) => void preemptions.push(p) };
  const registry = newInTreeRegistry();
  registry.set(NAME, newDefaultPreemption);
  const profile = defaultProfile({
    registry,
    ...world.args === undefined ? {} : { pluginConfig: { [NAME]: world.args } },
  });
  const framework = newFramework(profile, {
    registry,
    random: world.random ?? (() => 0),
    podNominator: {
      nominatedPodsForNode: (n) => (world.nominated?.[n] ?? []).map(newPodInfo),
    },
    podDisruptionBudgets: () => world.pdbs ?? [],
    ...world.noPreemptor ? {} : { preemptor },
  });
  const state = new CycleState();
  const fitError = framework.schedulePod(incoming, {
    snapshot: newSnapshot(world.nodes, world.pods),
    state,
  });
  assert.ok(fitError instanceof FitError, "the pod fits no node before preemption");
  const result = framework.runPostFilterPlugins(state, incoming, fitError.diagnosis.nodeToStatus);
  fitError.setPostFilterMessage(pluginStatusMessage(result.status));
  return { fitError, result, preemptions };
}

function names(pods: readonly Pod[]): string[] {
  return pods.map((p) => p.metadata?.name ?? "");
}

const HIGH = 100;

function preemptorPod(options: PodSpecExtra = {}): Pod {
  return pod({ name: "preemptor", priority: HIGH, requests: { cpu: "2" }, ...options });
}

Deno.test("DefaultPreemption nominates a node and evicts the fewest lower-priority pods", async (t) => {
  const cases: {
    name: string;
    world: World;
    incoming?: Pod;
    wantNode: string;
    wantVictims: string[];
  }[] = [
    {
      name: "single node with a lower-priority victim",
      world: {
        nodes: [cpuNode("a")],
        pods: [pod({ name: "low", nodeName: "a", priority: 1, requests: { cpu: "3" } })],
      },
      wantNode: "a",
      wantVictims: ["low"],
    },
    {
      name: "only as many victims as needed, the least important first",
      world: {
        nodes: [cpuNode("a")],
        pods: [
          pod({ name: "p5", nodeName: "a", priority: 5, requests: { cpu: "1" } }),
          pod({ name: "p1", nodeName: "a", priority: 1, requests: { cpu: "1" } }),
          pod({ name: "p3", nodeName: "a", priority: 3, requests: { cpu: "1" } }),
          pod({ name: "p9", nodeName: "a", priority: 9, requests: { cpu: "1" } }),
        ],
      },
      wantNode: "a",
      wantVictims: ["p3", "p1"],
    },
    {
      name: "memory-based preemption",
      world: {
        nodes: [testNode({ name: "a", allocatable: { cpu: "4", memory: "1Gi", pods: "110" } })],
        pods: [
          pod({ name: "big", nodeName: "a", priority: 1, requests: { memory: "768Mi" } }),
          pod({ name: "small", nodeName: "a", priority: 1, requests: { memory: "128Mi" } }),
        ],
      },
      incoming: pod({ name: "preemptor", priority: HIGH, requests: { memory: "512Mi" } }),
      wantNode: "a",
      wantVictims: ["big"],
    },
    {
      name: "port-based preemption evicts the pod holding the host port",
      world: {
        nodes: [cpuNode("a")],
        pods: [
          pod({
            name: "web",
            nodeName: "a",
            priority: 1,
            ports: [{ containerPort: 80, hostPort: 80 }],
          }),
          pod({
            name: "other",
            nodeName: "a",
            priority: 1,
            ports: [{ containerPort: 81, hostPort: 81 }],
          }),
        ],
      },
      incoming: pod({
        name: "preemptor",
        priority: HIGH,
        ports: [{ containerPort: 80, hostPort: 80 }],
      }),
      wantNode: "a",
      wantVictims: ["web"],
    },
    {
      name: "fewest PDB violations wins over a lower victim priority",
      world: {
        nodes: [cpuNode("a"), cpuNode("b")],
        pods: [
          pod({
            name: "guarded",
            nodeName: "a",
            priority: 1,
            requests: { cpu: "3" },
            labels: { app: "db" },
          }),
          pod({ name: "free", nodeName: "b", priority: 50, requests: { cpu: "3" } }),
        ],
        pdbs: [pdb("db", { labels: { app: "db" }, allowed: 0 })],
      },
      wantNode: "b",
      wantVictims: ["free"],
    },
    {
      name: "lowest highest-victim priority",
      world: {
        nodes: [cpuNode("a"), cpuNode("b"), cpuNode("c")],
        pods: [
          pod({ name: "a10", nodeName: "a", priority: 10, requests: { cpu: "3" } }),
          pod({ name: "b5", nodeName: "b", priority: 5, requests: { cpu: "3" } }),
          pod({ name: "c7", nodeName: "c", priority: 7, requests: { cpu: "3" } }),
        ],
      },
      wantNode: "b",
      wantVictims: ["b5"],
    },
    {
      name: "smallest sum of priorities",
      world: {
        nodes: [cpuNode("a"), cpuNode("b")],
        pods: [
          pod({ name: "a1", nodeName: "a", priority: 5, requests: { cpu: "2" } }),
          pod({ name: "a2", nodeName: "a", priority: 5, requests: { cpu: "2" } }),
          pod({ name: "b1", nodeName: "b", priority: 5, requests: { cpu: "2" } }),
          pod({ name: "b2", nodeName: "b", priority: 1, requests: { cpu: "2" } }),
        ],
      },
      incoming: preemptorPod({ requests: { cpu: "4" } }),
      wantNode: "b",
      wantVictims: ["b1", "b2"],
    },
    {
      name: "latest start time of the most important victims",
      world: {
        nodes: [cpuNode("a"), cpuNode("b")],
        pods: [
          pod({
            name: "old",
            nodeName: "a",
            priority: 5,
            requests: { cpu: "3" },
            startTime: "2024-01-01T00:00:00Z",
          }),
          pod({
            name: "young",
            nodeName: "b",
            priority: 5,
            requests: { cpu: "3" },
            startTime: "2024-06-01T00:00:00Z",
          }),
        ],
      },
      wantNode: "b",
      wantVictims: ["young"],
    },
    {
      name: "a full tie goes to the first node tried",
      world: {
        nodes: [cpuNode("a"), cpuNode("b")],
        pods: [
          pod({ name: "a1", nodeName: "a", priority: 5, requests: { cpu: "3" } }),
          pod({ name: "b1", nodeName: "b", priority: 5, requests: { cpu: "3" } }),
        ],
      },
      wantNode: "a",
      wantVictims: ["a1"],
    },
    {
      name: "nodes rejected as unresolvable are not tried",
      world: {
        nodes: [
          cpuNode("a"),
          testNode({ name: "b", taints: [{ key: "dedicated", value: "x", effect: "NoSchedule" }] }),
        ],
        pods: [
          pod({ name: "a10", nodeName: "a", priority: 10, requests: { cpu: "3" } }),
          pod({ name: "b1", nodeName: "b", priority: 1, requests: { cpu: "3" } }),
        ],
      },
      wantNode: "a",
      wantVictims: ["a10"],
    },
    {
      name: "higher-priority nominated pods keep their room",
      world: {
        nodes: [cpuNode("a")],
        pods: [
          pod({ name: "l1", nodeName: "a", priority: 1, requests: { cpu: "1" } }),
          pod({ name: "l2", nodeName: "a", priority: 2, requests: { cpu: "1" } }),
        ],
        nominated: { a: [pod({ name: "vip", priority: 1000, requests: { cpu: "2" } })] },
      },
      wantNode: "a",
      wantVictims: ["l2", "l1"],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const { result, preemptions, fitError } = attempt(c.world, c.incoming ?? preemptorPod());
      assert.equal(statusCode(result.status), "Success");
      assert.equal(result.nominatedNodeName, c.wantNode);
      assert.equal(preemptions.length, 1);
      assert.equal(preemptions[0]!.nodeName, c.wantNode);
      assert.equal(preemptions[0]!.preemptor.metadata?.name, "preemptor");
      assert.deepEqual(names(preemptions[0]!.victims), c.wantVictims);
      assert.equal(fitError.diagnosis.postFilterMsg, "");
    });
  }
});

Deno.test("DefaultPreemption honours PodDisruptionBudgets where it can", async (t) => {
  const node = cpuNode("a");
  // "guarded" is the less important of the two (it started later), so without budgets it
  // would be the victim.
  const pods = [
    pod({
      name: "guarded",
      nodeName: "a",
      priority: 1,
      requests: { cpu: "2" },
      labels: { app: "db" },
      startTime: "2024-06-01T00:00:00Z",
    }),
    pod({
      name: "plain",
      nodeName: "a",
      priority: 1,
      requests: { cpu: "2" },
      labels: { app: "web" },
      startTime: "2024-01-01T00:00:00Z",
    }),
  ];
  const cases: {
    name: string;
    pdbs: PodDisruptionBudget[];
    incoming: Pod;
    wantVictims: string[];
  }[] = [
    {
      name: "no budget: the less important pod goes",
      pdbs: [],
      incoming: preemptorPod(),
      wantVictims: ["guarded"],
    },
    {
      name: "an exhausted budget protects its pod",
      pdbs: [pdb("db", { labels: { app: "db" }, allowed: 0 })],
      incoming: preemptorPod(),
      wantVictims: ["plain"],
    },
    {
      name: "a budget with a disruption left does not",
      pdbs: [pdb("db", { labels: { app: "db" }, allowed: 1 })],
      incoming: preemptorPod(),
      wantVictims: ["guarded"],
    },
    {
      name: "a budget of another namespace does not",
      pdbs: [pdb("db", { labels: { app: "db" }, allowed: 0, namespace: "other" })],
      incoming: preemptorPod(),
      wantVictims: ["guarded"],
    },
    {
      name: "a pod already in disruptedPods does not spend the budget",
      pdbs: [pdb("db", { labels: { app: "db" }, allowed: 0, disrupted: ["guarded"] })],
      incoming: preemptorPod(),
      wantVictims: ["guarded"],
    },
    {
      name: "the budget is broken when every pod must go",
      pdbs: [pdb("db", { labels: { app: "db" }, allowed: 0 })],
      incoming: preemptorPod({ requests: { cpu: "4" } }),
      wantVictims: ["plain", "guarded"],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const { result, preemptions } = attempt({ nodes: [node], pods, pdbs: c.pdbs }, c.incoming);
      assert.equal(result.nominatedNodeName, "a");
      assert.deepEqual(names(preemptions[0]!.victims), c.wantVictims);
    });
  }
});

Deno.test("DefaultPreemption explains why it did not preempt", async (t) => {
  const taint = { key: "dedicated", value: "x", effect: "NoSchedule" as const };
  const cases: {
    name: string;
    world: World;
    incoming: Pod;
    wantMessage: string;
    /** `undefined`: the nomination is left alone; `""`: it is cleared. */
    wantNominated: string | undefined;
  }[] = [
    {
      name: "preemptionPolicy Never",
      world: {
        nodes: [cpuNode("a")],
        pods: [pod({ name: "low", nodeName: "a", priority: 1, requests: { cpu: "3" } })],
      },
      incoming: preemptorPod({ preemptionPolicy: "Never" }),
      wantMessage:
        "0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never.",
      wantNominated: undefined,
    },
    {
      name: "an earlier victim still terminating on the nominated node",
      world: {
        nodes: [cpuNode("a")],
        pods: [
          pod({
            name: "dying",
            nodeName: "a",
            priority: 1,
            requests: { cpu: "3" },
            preempted: true,
          }),
        ],
      },
      incoming: preemptorPod({ nominatedNodeName: "a" }),
      wantMessage:
        "0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to a terminating pod on the nominated node.",
      wantNominated: undefined,
    },
    {
      name: "no lower-priority pods anywhere",
      world: {
        nodes: [cpuNode("a"), cpuNode("b"), cpuNode("c")],
        pods: ["a", "b", "c"].map((n) =>
          pod({ name: `p-${n}`, nodeName: n, priority: HIGH, requests: { cpu: "3" } })
        ),
      },
      incoming: preemptorPod(),
      wantMessage:
        "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.",
      wantNominated: "",
    },
    {
      name: "unresolvable nodes are not helped by preemption",
      world: {
        nodes: [testNode({ name: "a", taints: [taint] }), cpuNode("b"), cpuNode("c")],
        pods: ["b", "c"].map((n) =>
          pod({ name: `p-${n}`, nodeName: n, priority: HIGH + 1, requests: { cpu: "3" } })
        ),
      },
      incoming: preemptorPod(),
      wantMessage:
        "0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: x}, 2 Insufficient cpu. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.",
      wantNominated: "",
    },
    {
      name: "a request larger than the node",
      world: {
        nodes: [cpuNode("a")],
        pods: [pod({ name: "low", nodeName: "a", priority: 1, requests: { cpu: "1" } })],
      },
      incoming: preemptorPod({ requests: { cpu: "8" } }),
      wantMessage:
        "0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.",
      wantNominated: "",
    },
    {
      name: "evicting every lower-priority pod is not enough",
      world: {
        nodes: [cpuNode("a")],
        pods: [
          pod({ name: "low", nodeName: "a", priority: 1, requests: { cpu: "1" } }),
          pod({ name: "peer", nodeName: "a", priority: HIGH, requests: { cpu: "2" } }),
        ],
      },
      incoming: preemptorPod({ requests: { cpu: "3" } }),
      wantMessage:
        "0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 Insufficient cpu.",
      wantNominated: "",
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const { result, preemptions, fitError } = attempt(c.world, c.incoming);
      assert.equal(statusCode(result.status), "Unschedulable");
      assert.equal(result.status?.plugin, NAME);
      assert.equal(fitError.message, c.wantMessage);
      assert.equal(result.nominatedNodeName, c.wantNominated);
      assert.equal(preemptions.length, 0);
    });
  }
});

Deno.test("DefaultPreemption hands the preemptor the nominations to clear and skips terminating victims", async (t) => {
  await t.step("lower-priority pods nominated to the node are cleared", () => {
    const { preemptions } = attempt({
      nodes: [cpuNode("a")],
      pods: [pod({ name: "low", nodeName: "a", priority: 1, requests: { cpu: "3" } })],
      nominated: {
        a: [
          pod({ name: "waiting-low", priority: 50 }),
          pod({ name: "waiting-high", priority: 500 }),
        ],
      },
    }, preemptorPod());
    assert.deepEqual(names(preemptions[0]!.nominatedPodsToClear), ["waiting-low"]);
  });
  await t.step("victims already terminating are not evicted again", () => {
    const { result, preemptions } = attempt({
      nodes: [cpuNode("a")],
      pods: [
        pod({ name: "dying", nodeName: "a", priority: 1, requests: { cpu: "2" }, preempted: true }),
        pod({ name: "low", nodeName: "a", priority: 2, requests: { cpu: "2" } }),
      ],
    }, preemptorPod({ requests: { cpu: "4" } }));
    assert.equal(result.nominatedNodeName, "a");
    assert.deepEqual(names(preemptions[0]!.victims), ["low"]);
  });
  await t.step("no preemptor call when every victim is terminating", () => {
    const { result, preemptions } = attempt({
      nodes: [cpuNode("a")],
      pods: [
        pod({ name: "dying", nodeName: "a", priority: 1, requests: { cpu: "3" }, preempted: true }),
      ],
    }, preemptorPod());
    assert.equal(result.nominatedNodeName, "a");
    assert.equal(preemptions.length, 0);
  });
  await t.step("without a preemptor the plugin reports an error", () => {
    const { result } = attempt({
      nodes: [cpuNode("a")],
      pods: [pod({ name: "low", nodeName: "a", priority: 1, requests: { cpu: "3" } })],
      noPreemptor: true,
    }, preemptorPod());
    assert.equal(statusCode(result.status), "Error");
    assert.equal(
      pluginStatusMessage(result.status),
      "preemption: no preemptor to evict the victims",
    );
  });
});

Deno.test("DefaultPreemption dry-runs a limited number of nodes from a random offset", async (t) => {
  const nodes = ["a", "b", "c", "d"].map((n) => cpuNode(n));
  // The best victims (lowest priority) are on "d".
  const pods = [
    pod({ name: "a1", nodeName: "a", priority: 40, requests: { cpu: "3" } }),
    pod({ name: "b1", nodeName: "b", priority: 30, requests: { cpu: "3" } }),
    pod({ name: "c1", nodeName: "c", priority: 20, requests: { cpu: "3" } }),
    pod({ name: "d1", nodeName: "d", priority: 10, requests: { cpu: "3" } }),
  ];
  const oneCandidate = { minCandidateNodesPercentage: 0, minCandidateNodesAbsolute: 1 };
  const cases: { name: string; random: number; args?: unknown; want: string }[] = [
    { name: "the defaults try every node of a small cluster", random: 0.6, want: "d" },
    { name: "one candidate from offset 0", random: 0, args: oneCandidate, want: "a" },
    { name: "one candidate from offset 2", random: 0.5, args: oneCandidate, want: "c" },
    {
      name: "two candidates from offset 3 wrap around",
      random: 0.99,
      args: { minCandidateNodesPercentage: 0, minCandidateNodesAbsolute: 2 },
      want: "d",
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const { result } = attempt(
        { nodes, pods, random: () => c.random, args: c.args },
        preemptorPod(),
      );
      assert.equal(result.nominatedNodeName, c.want);
    });
  }
});

Deno.test("calculateNumCandidates() takes the larger of the share and the minimum, at most all nodes", async (t) => {
  const defaults = {
    minCandidateNodesPercentage: DEFAULT_MIN_CANDIDATE_NODES_PERCENTAGE,
    minCandidateNodesAbsolute: DEFAULT_MIN_CANDIDATE_NODES_ABSOLUTE,
  };
  const cases = [
    { numNodes: 5, args: defaults, want: 5 },
    { numNodes: 1000, args: defaults, want: 100 },
    { numNodes: 5000, args: defaults, want: 500 },
    {
      numNodes: 5000,
      args: { minCandidateNodesPercentage: 0, minCandidateNodesAbsolute: 1 },
      want: 1,
    },
    {
      numNodes: 50,
      args: { minCandidateNodesPercentage: 50, minCandidateNodesAbsolute: 0 },
      want: 25,
    },
  ];
  for (const c of cases) {
    await t.step(`${c.numNodes} nodes, ${JSON.stringify(c.args)}`, () => {
      assert.equal(calculateNumCandidates(c.numNodes, c.args), c.want);
    });
  }
});

Deno.test("pickOneNodeForPreemption() applies upstream's criteria in order", async (t) => {
  const v = (name: string, priority: number, startTime?: string) =>
    pod({ name, priority, ...startTime === undefined ? {} : { startTime } });
  const cand = (nodeName: string, victims: Pod[], numPdbViolations = 0): Candidate => ({
    nodeName,
    victims,
    numPdbViolations,
  });
  const cases: { name: string; candidates: Candidate[]; want: string | undefined }[] = [
    { name: "none", candidates: [], want: undefined },
    {
      name: "fewest PDB violations",
      candidates: [cand("a", [v("a", 1)], 1), cand("b", [v("b", 9)], 0)],
      want: "b",
    },
    {
      name: "lowest most important victim",
      candidates: [cand("a", [v("a", 9)]), cand("b", [v("b1", 5), v("b2", 5)])],
      want: "b",
    },
    {
      name: "smallest sum, negative priorities counted as more than none",
      candidates: [cand("a", [v("a1", -5), v("a2", -5)]), cand("b", [v("b1", -5)])],
      want: "b",
    },
    {
      // The shifted sums are equal: (p + 2^31) against (p + 2^31) + (-2^31 + 2^31).
      name: "fewest victims",
      candidates: [cand("a", [v("a1", 7), v("a2", -(2 ** 31))]), cand("b", [v("b1", 7)])],
      want: "b",
    },
    {
      name: "latest start of the most important victims, a pod not started counting as now",
      candidates: [
        cand("a", [v("a1", 5, "2024-01-01T00:00:00Z")]),
        cand("b", [v("b1", 5)]),
        cand("c", [v("c1", 5, "2024-06-01T00:00:00Z")]),
      ],
      want: "b",
    },
    {
      name: "the first among equals",
      candidates: [cand("a", [v("a1", 5)]), cand("b", [v("b1", 5)])],
      want: "a",
    },
  ];
  for (const c of cases) {
    await t.step(
      c.name,
      () => assert.equal(pickOneNodeForPreemption(c.candidates)?.nodeName, c.want),
    );
  }
});

Deno.test("moreImportantPod() orders by priority, then by start time", async (t) => {
  const cases = [
    { name: "higher priority", a: pod({ priority: 2 }), b: pod({ priority: 1 }), want: true },
    { name: "lower priority", a: pod({ priority: 1 }), b: pod({ priority: 2 }), want: false },
    {
      name: "same priority, started earlier",
      a: pod({ priority: 1, startTime: "2024-01-01T00:00:00Z" }),
      b: pod({ priority: 1, startTime: "2024-02-01T00:00:00Z" }),
      want: true,
    },
    {
      name: "same priority, not started",
      a: pod({ priority: 1 }),
      b: pod({ priority: 1, startTime: "2024-02-01T00:00:00Z" }),
      want: false,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => assert.equal(moreImportantPod(c.a, c.b), c.want));
  }
});

Deno.test("filterPodsWithPdbViolation() spends each budget in order", () => {
  const infos = ["x1", "x2", "x3", "y1", "bare"].map((name) => ({
    pod: pod({
      name,
      ...name === "bare" ? {} : { labels: { app: name.slice(0, 1) } },
    }),
  }));
  const split = filterPodsWithPdbViolation(infos, [
    pdb("x", { labels: { app: "x" }, allowed: 1 }),
    { metadata: { name: "everything", namespace: "default" }, spec: { selector: {} } },
    { metadata: { name: "nothing", namespace: "default" }, spec: {} },
  ]);
  assert.deepEqual(split.violating.map((i) => i.pod.metadata?.name), ["x2", "x3"]);
  assert.deepEqual(split.nonViolating.map((i) => i.pod.metadata?.name), ["x1", "y1", "bare"]);
});

Deno.test("podEligibleToPreemptOthers() looks at the policy and the nominated node", async (t) => {
  const snapshot = newSnapshot([cpuNode("a")], [
    pod({ name: "dying", nodeName: "a", priority: 1, preempted: true }),
  ]);
  const busy = unschedulable("Insufficient cpu");
  const cases = [
    {
      name: "Never",
      pod: preemptorPod({ preemptionPolicy: "Never" as const }),
      status: busy,
      want: "not eligible due to preemptionPolicy=Never.",
    },
    { name: "not nominated", pod: preemptorPod(), status: busy, want: null },
    {
      name: "nominated to a node with a terminating victim",
      pod: preemptorPod({ nominatedNodeName: "a" }),
      status: busy,
      want: "not eligible due to a terminating pod on the nominated node.",
    },
    {
      name: "the nominated node no longer suits at all",
      pod: preemptorPod({ nominatedNodeName: "a" }),
      status: unresolvable("node(s) didn't match Pod's node affinity/selector"),
      want: null,
    },
    {
      name: "the terminating pod is not of lower priority",
      pod: preemptorPod({ nominatedNodeName: "a", priority: 1 }),
      status: busy,
      want: null,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.equal(
        podEligibleToPreemptOthers(c.pod, { snapshot, nominatedNodeStatus: c.status }),
        c.want,
      );
    });
  }
});

Deno.test("DefaultPreemption keeps a pod out of activeQ while its preemption runs", () => {
  const running = new Set(["uid-preemptor"]);
  const preemptor: Preemptor = { preempt: () => {}, isPreempting: (uid) => running.has(uid) };
  const snapshot = newSnapshot([]);
  const plugin = newDefaultPreemption(undefined, {
    snapshot: () => snapshot,
    preemptor: () => preemptor,
  });
  assert.deepEqual(plugin.preEnqueue(preemptorPod()), unresolvable(REASON_PREEMPTION_RUNNING));
  running.clear();
  assert.equal(plugin.preEnqueue(preemptorPod()), null);
});

Deno.test("disruptionTargetCondition() and preemptedEvent() are what the scheduler writes", () => {
  const preemptor = { ...preemptorPod(), spec: { ...preemptorPod().spec!, schedulerName: "edge" } };
  assert.deepEqual(disruptionTargetCondition(preemptor, "2025-01-01T00:00:00Z"), {
    type: "DisruptionTarget",
    status: "True",
    lastTransitionTime: "2025-01-01T00:00:00Z",
    reason: "PreemptionByScheduler",
    message: "edge: preempting to accommodate a higher priority pod",
  });
  assert.deepEqual(
    preemptedEvent({ preemptor, nodeName: "a", victims: [], nominatedPodsToClear: [] }),
    {
      type: "Normal",
      reason: "Preempted",
      action: "Preempting",
      message: "Preempted by pod uid-preemptor on node a",
    },
  );
});

Deno.test("newDefaultPreemption() validates its args", async (t) => {
  const handle = { snapshot: () => newSnapshot([]) };
  await t.step("defaults", () => {
    assert.deepEqual(newDefaultPreemption(undefined, handle).args, {
      minCandidateNodesPercentage: 10,
      minCandidateNodesAbsolute: 100,
    });
  });
  const bad: { args: unknown; message: string }[] = [
    {
      args: { minCandidateNodesPercentage: 101 },
      message:
        'Invalid args for plugin "DefaultPreemption": minCandidateNodesPercentage: not in valid range [0, 100]',
    },
    {
      args: { minCandidateNodesAbsolute: -1 },
      message:
        'Invalid args for plugin "DefaultPreemption": minCandidateNodesAbsolute: not in valid range [0, inf)',
    },
    {
      args: { minCandidateNodesPercentage: 0, minCandidateNodesAbsolute: 0 },
      message:
        'Invalid args for plugin "DefaultPreemption": minCandidateNodesPercentage: cannot be zero at the same time as minCandidateNodesAbsolute; minCandidateNodesAbsolute: cannot be zero at the same time as minCandidateNodesPercentage',
    },
  ];
  for (const c of bad) {
    await t.step(JSON.stringify(c.args), () => {
      assert.throws(() => newDefaultPreemption(c.args, handle), {
        name: "TypeError",
        message: c.message,
      });
    });
  }
});

Deno.test("DefaultPreemption meets the plugin contract", () => {
  const plugin = checkPluginContract(newDefaultPreemption, {
    name: NAME,
    pods: [preemptorPod()],
    nodes: [cpuNode("a")],
  });
  assert.equal(plugin.name, NAME);
});
