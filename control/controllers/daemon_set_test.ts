import assert from "node:assert/strict";
import type { ControllerRevision, DaemonSet } from "../api/types/apps_v1.ts";
import type { Taint } from "../api/types/core_v1_common.ts";
import type { Node } from "../api/types/core_v1_node.ts";
import type { Pod, PodSpec } from "../api/types/core_v1_pod.ts";
import type { KubeObject } from "../api/types/meta_v1.ts";
import { Client } from "../client/client.ts";
import type { EventRecord } from "../client/event_recorder.ts";
import { FakeClock } from "../util/clock.ts";
import { RecordingLogger } from "../util/logger.ts";
import { FakeApi, type FakeApiChange } from "./_daemon_set_fake_api.ts";
import { targetNodeName } from "./_daemon_set_node_fit.ts";
import { FakeInformer } from "./_fake_informer.ts";
import { templateRevisionData } from "./controller_history.ts";
import { goJson } from "../util/go_json.ts";
import {
  calculateDaemonSetStatus,
  DAEMON_SET_CONTROLLER_NAME,
  DaemonSetController,
  type DaemonSetControllerOptions,
  REVISION_HASH_LABEL,
  TEMPLATE_GENERATION_LABEL,
} from "./daemon_set.ts";
import { ApiPodControl } from "./pod_control.ts";

const START_MS = Date.UTC(2025, 0, 1, 12, 0, 0);
const KEY = "default/agent";

function time(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

interface DsInit {
  readonly nodeSelector?: Record<string, string>;
  readonly tolerations?: PodSpec["tolerations"];
  readonly hostNetwork?: boolean;
  readonly strategy?: NonNullable<DaemonSet["spec"]>["updateStrategy"];
  readonly minReadySeconds?: number;
  readonly revisionHistoryLimit?: number;
  readonly selector?: NonNullable<DaemonSet["spec"]>["selector"];
}

function daemonSet(init: DsInit = {}): DaemonSet {
  return {
    apiVersion: "apps/v1",
    kind: "DaemonSet",
    metadata: {
      namespace: "default",
      name: "agent",
      generation: 1,
      annotations: { "deprecated.daemonset.template.generation": "1" },
    },
    spec: {
      selector: init.selector ?? { matchLabels: { app: "agent" } },
      template: {
        metadata: { labels: { app: "agent" } },
        spec: {
          containers: [{ name: "agent", image: "agent:1" }],
          ...(init.nodeSelector ? { nodeSelector: init.nodeSelector } : {}),
          ...(init.tolerations ? { tolerations: init.tolerations } : {}),
          ...(init.hostNetwork ? { hostNetwork: true } : {}),
        },
      },
      updateStrategy: init.strategy ??
        { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
      revisionHistoryLimit: init.revisionHistoryLimit ?? 10,
      ...(init.minReadySeconds ? { minReadySeconds: init.minReadySeconds } : {}),
    },
    status: {
      currentNumberScheduled: 0,
      numberMisscheduled: 0,
      desiredNumberScheduled: 0,
      numberReady: 0,
    },
  };
}

function node(
  name: string,
  init: { labels?: Record<string, string>; taints?: Taint[] } = {},
): Node {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name,
      uid: `node-${name}`,
      resourceVersion: "1",
      labels: { "kubernetes.io/hostname": name, ...init.labels },
    },
    spec: init.taints ? { taints: init.taints } : {},
  };
}

/** The controller over a fake API whose writes feed fake informers (unless held back). */
class Harness {
  readonly clock = new FakeClock(START_MS);
  readonly api = new FakeApi(this.clock);
  readonly dsInformer = new FakeInformer<DaemonSet>();
  readonly historyInformer = new FakeInformer<ControllerRevision>();
  readonly podInformer = new FakeInformer<Pod>();
  readonly nodeInformer = new FakeInformer<Node>();
  readonly events: (EventRecord & { object: string })[] = [];
  readonly logger = new RecordingLogger();
  readonly controller: DaemonSetController;
  /** While true, changes wait in `held` (a lagging watch). */
  holding = false;
  readonly held: FakeApiChange[] = [];
  #rv = 1000;

  constructor(options: DaemonSetControllerOptions = {}) {
    this.api.onChange = (change) => {
      if (this.holding) this.held.push(change);
      else this.#deliver(change);
    };
    const client = new Client(this.api);
    const recorder = {
      event: (obj: KubeObject, record: EventRecord) =>
        this.events.push({ ...record, object: `${obj.kind}/${obj.metadata?.name}` }),
    };
    this.controller = new DaemonSetController({
      client,
      dsInformer: this.dsInformer,
      historyInformer: this.historyInformer,
      podInformer: this.podInformer,
      nodeInformer: this.nodeInformer,
      podControl: new ApiPodControl({ client, recorder }),
      recorder,
      clock: this.clock,
      logger: this.logger,
    }, options);
  }

  #deliver(change: FakeApiChange): void {
    const apply = <T extends KubeObject>(informer: FakeInformer<T>) => {
      if (change.type === "delete") informer.delete(change.object as T);
      else informer.add(change.object as T);
    };
    if (change.resource === "pods") apply(this.podInformer);
    else if (change.resource === "daemonsets") apply(this.dsInformer);
    else if (change.resource === "controllerrevisions") apply(this.historyInformer);
  }

  /** Lets the held changes through, in order. */
  flush(): void {
    this.holding = false;
    for (const change of this.held.splice(0)) this.#deliver(change);
  }

  addNode(n: Node): void {
    this.nodeInformer.add(n);
  }

  updateNode(name: string, change: (n: Node) => void): void {
    const n = structuredClone(this.nodeInformer.store.get(name)!);
    change(n);
    n.metadata!.resourceVersion = String(++this.#rv);
    this.nodeInformer.update(n);
  }

  createDaemonSet(ds: DaemonSet): DaemonSet {
    return this.api.seed("daemonsets", ds);
  }

  ds(): DaemonSet {
    return this.api.get<DaemonSet>("daemonsets", KEY)!;
  }

  /** Changes the template as the API server would: generation and template generation +1. */
  updateTemplate(change: (spec: PodSpec) => void): void {
    const ds = this.ds();
    change(ds.spec!.template.spec!);
    ds.metadata!.generation = (ds.metadata!.generation ?? 1) + 1;
    const annotations = ds.metadata!.annotations!;
    annotations["deprecated.daemonset.template.generation"] = String(
      Number(annotations["deprecated.daemonset.template.generation"]) + 1,
    );
    this.api.seed("daemonsets", ds);
  }

  pods(): Pod[] {
    return this.api.list<Pod>("pods").sort((a, b) =>
      (a.metadata!.name! < b.metadata!.name!) ? -1 : 1
    );
  }

  livePods(): Pod[] {
    return this.pods().filter((p) => !p.metadata?.deletionTimestamp);
  }

  podNodes(pods: readonly Pod[] = this.livePods()): string[] {
    return pods.map(targetNodeName).sort();
  }

  revisions(): ControllerRevision[] {
    return this.api.list<ControllerRevision>("controllerrevisions").sort((a, b) =>
      a.revision - b.revision
    );
  }

  /** What a scheduler and kubelet do: bind every pod to its node, Running and (un)ready. */
  run(pod: Pod, init: { ready?: boolean; phase?: "Running" | "Failed" | "Succeeded" } = {}): void {
    const copy = structuredClone(pod);
    copy.spec!.nodeName = targetNodeName(copy);
    const ready = init.ready ?? true;
    copy.status = {
      phase: init.phase ?? "Running",
      conditions: [{
        type: "Ready",
        status: ready ? "True" : "False",
        lastTransitionTime: time(this.clock.now()),
      }],
    };
    this.api.seed("pods", copy);
  }

  runAll(init: { ready?: boolean } = {}): void {
    for (const pod of this.livePods()) {
      if (!pod.spec?.nodeName || pod.status?.phase !== "Running") this.run(pod, init);
    }
  }

  /** Finishes graceful deletions (the kubelet stopped the containers). */
  finishDeletions(): void {
    for (const pod of this.pods()) {
      if (pod.metadata?.deletionTimestamp) {
        this.api.finishDeletion("pods", `default/${pod.metadata.name}`);
      }
    }
  }

  async sync(): Promise<void> {
    await this.controller.sync(KEY);
  }

  /** Empties the queue (so a test can see what its next event enqueues). */
  async drain(): Promise<void> {
    const queue = this.controller.queue;
    while (queue.len() > 0) queue.done(await queue.get() as string);
  }

  eventsOf(reason: string): string[] {
    return this.events.filter((e) => e.reason === reason).map((e) => e.message);
  }
}

Deno.test("DaemonSetController.sync() creates one pod per eligible node, pinned by node affinity", async () => {
  const h = new Harness();
  h.addNode(node("edge-1", { labels: { role: "edge" } }));
  h.addNode(node("edge-2", { labels: { role: "edge" } }));
  h.addNode(node("core-1"));
  h.createDaemonSet(daemonSet({ nodeSelector: { role: "edge" } }));
  await h.sync();

  const pods = h.pods();
  assert.deepEqual(h.podNodes(pods), ["edge-1", "edge-2"]);
  const [revision] = h.revisions();
  assert.ok(revision);
  const hash = revision.metadata!.labels![REVISION_HASH_LABEL]!;
  assert.equal(revision.metadata!.name, `agent-${hash}`);
  assert.equal(revision.revision, 1);
  assert.deepEqual(revision.metadata!.labels, { app: "agent", [REVISION_HASH_LABEL]: hash });
  assert.equal(revision.metadata!.ownerReferences![0]!.kind, "DaemonSet");
  assert.equal(goJson(revision.data), goJson(templateRevisionData(h.ds().spec!.template)));
  for (const pod of pods) {
    assert.equal(pod.metadata!.generateName, "agent-");
    assert.equal(pod.spec!.nodeName, undefined, "the scheduler binds, not the controller");
    assert.deepEqual(pod.metadata!.labels, {
      app: "agent",
      [TEMPLATE_GENERATION_LABEL]: "1",
      [REVISION_HASH_LABEL]: hash,
    });
    const terms = pod.spec!.affinity!.nodeAffinity!.requiredDuringSchedulingIgnoredDuringExecution!
      .nodeSelectorTerms;
    assert.equal(terms.length, 1);
    assert.equal(terms[0]!.matchFields![0]!.key, "metadata.name");
    assert.deepEqual(
      pod.spec!.tolerations!.map((t) => `${t.key}:${t.effect}`),
      [
        "node.kubernetes.io/not-ready:NoExecute",
        "node.kubernetes.io/unreachable:NoExecute",
        "node.kubernetes.io/disk-pressure:NoSchedule",
        "node.kubernetes.io/memory-pressure:NoSchedule",
        "node.kubernetes.io/pid-pressure:NoSchedule",
        "node.kubernetes.io/unschedulable:NoSchedule",
      ],
    );
    const ref = pod.metadata!.ownerReferences![0]!;
    assert.equal(ref.kind, "DaemonSet");
    assert.equal(ref.controller, true);
  }
  assert.deepEqual(
    h.eventsOf("SuccessfulCreate").sort(),
    pods.map((p) => `Created pod: ${p.metadata!.name}`).sort(),
  );
  const status = h.ds().status!;
  assert.equal(status.desiredNumberScheduled, 2);
  assert.equal(status.currentNumberScheduled, 2);
  assert.equal(status.updatedNumberScheduled, 2);
  assert.equal(status.numberReady, 0);
  assert.equal(status.numberUnavailable, 2);
  assert.equal(status.observedGeneration, 1);

  h.runAll();
  await h.sync();
  assert.equal(h.pods().length, 2, "no more pods once every node has one");
  assert.equal(h.ds().status!.numberAvailable, 2);
  assert.equal(h.ds().status!.numberUnavailable, 0);
  assert.equal(h.revisions().length, 1);
});

Deno.test("DaemonSetController.sync() never creates twice while its cache lags", async () => {
  const h = new Harness();
  h.addNode(node("n1"));
  h.addNode(node("n2"));
  h.createDaemonSet(daemonSet());
  h.holding = true;
  await h.sync();
  assert.equal(h.pods().length, 2);
  // The cache shows none of them yet: a second sync only updates status.
  await h.sync();
  await h.sync();
  assert.equal(h.pods().length, 2);
  assert.equal(h.controller.expectations.satisfied(KEY), false);
  h.flush();
  assert.equal(h.controller.expectations.satisfied(KEY), true);
  await h.sync();
  assert.equal(h.pods().length, 2);
});

Deno.test("DaemonSetController.sync() acts anyway once expectations expire", async () => {
  const h = new Harness({ expectationsTimeoutMs: 60_000 });
  h.addNode(node("n1"));
  h.createDaemonSet(daemonSet());
  h.holding = true;
  await h.sync();
  assert.equal(h.pods().length, 1);
  h.clock.advance(61_000);
  // Its own pod is still not in the cache: the controller now believes the node has none.
  await h.sync();
  assert.equal(h.pods().length, 2);
});

Deno.test("DaemonSetController places pods by taints and tolerations", async (t) => {
  const cases: {
    name: string;
    taints: Taint[];
    init?: DsInit;
    want: number;
  }[] = [
    { name: "no taints", taints: [], want: 1 },
    {
      name: "an untolerated NoSchedule taint",
      taints: [{ key: "dedicated", value: "db", effect: "NoSchedule" }],
      want: 0,
    },
    {
      name: "an untolerated NoExecute taint",
      taints: [{ key: "dedicated", value: "db", effect: "NoExecute" }],
      want: 0,
    },
    {
      name: "a PreferNoSchedule taint",
      taints: [{ key: "dedicated", value: "db", effect: "PreferNoSchedule" }],
      want: 1,
    },
    {
      name: "a taint the template tolerates",
      taints: [{ key: "dedicated", value: "db", effect: "NoSchedule" }],
      init: { tolerations: [{ key: "dedicated", operator: "Equal", value: "db" }] },
      want: 1,
    },
    {
      name: "not-ready and unreachable, tolerated by every daemon pod",
      taints: [
        { key: "node.kubernetes.io/not-ready", effect: "NoExecute" },
        { key: "node.kubernetes.io/unreachable", effect: "NoExecute" },
      ],
      want: 1,
    },
    {
      name: "unschedulable and pressure, tolerated by every daemon pod",
      taints: [
        { key: "node.kubernetes.io/unschedulable", effect: "NoSchedule" },
        { key: "node.kubernetes.io/disk-pressure", effect: "NoSchedule" },
        { key: "node.kubernetes.io/memory-pressure", effect: "NoSchedule" },
        { key: "node.kubernetes.io/pid-pressure", effect: "NoSchedule" },
      ],
      want: 1,
    },
    {
      name: "network-unavailable without hostNetwork",
      taints: [{ key: "node.kubernetes.io/network-unavailable", effect: "NoSchedule" }],
      want: 0,
    },
    {
      name: "network-unavailable with hostNetwork",
      taints: [{ key: "node.kubernetes.io/network-unavailable", effect: "NoSchedule" }],
      init: { hostNetwork: true },
      want: 1,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      const h = new Harness();
      h.addNode(node("n1", { taints: c.taints }));
      h.createDaemonSet(daemonSet(c.init));
      await h.sync();
      assert.equal(h.pods().length, c.want);
      assert.equal(h.ds().status!.desiredNumberScheduled, c.want);
    });
  }
});

Deno.test("DaemonSetController keeps a pod through a new NoSchedule taint, not a NoExecute one", async () => {
  const h = new Harness();
  h.addNode(node("n1"));
  h.createDaemonSet(daemonSet());
  await h.sync();
  h.runAll();
  await h.drain();
  h.updateNode("n1", (n) => n.spec = { taints: [{ key: "x", effect: "NoSchedule" }] });
  assert.equal(h.controller.queue.len(), 1, "the placement changed: enqueued");
  await h.sync();
  assert.equal(h.livePods().length, 1);
  const status = h.ds().status!;
  assert.equal(status.desiredNumberScheduled, 0);
  assert.equal(status.numberMisscheduled, 1);

  h.updateNode("n1", (n) => n.spec = { taints: [{ key: "x", effect: "NoExecute" }] });
  await h.sync();
  assert.equal(h.livePods().length, 0);
  assert.equal(h.eventsOf("SuccessfulDelete").length, 1);
});

Deno.test("DaemonSetController deletes the pod of a node whose labels no longer fit", async () => {
  const h = new Harness();
  h.addNode(node("n1", { labels: { role: "edge" } }));
  h.addNode(node("n2", { labels: { role: "edge" } }));
  h.createDaemonSet(daemonSet({ nodeSelector: { role: "edge" } }));
  await h.sync();
  h.runAll();
  const onN2 = h.livePods().find((p) => p.spec?.nodeName === "n2")!;
  h.updateNode("n2", (n) => delete n.metadata!.labels!.role);
  await h.sync();
  assert.deepEqual(h.podNodes(), ["n1"]);
  assert.deepEqual(h.eventsOf("SuccessfulDelete"), [`Deleted pod: ${onN2.metadata!.name}`]);
  assert.equal(h.ds().status!.desiredNumberScheduled, 1);
});

Deno.test("DaemonSetController node events enqueue only the DaemonSets they concern", async (t) => {
  const h = new Harness();
  h.createDaemonSet(daemonSet({ nodeSelector: { role: "edge" } }));
  h.addNode(node("edge-1", { labels: { role: "edge" } }));
  const cases: { name: string; act: () => void; want: number }[] = [
    { name: "a node that does not fit is added", act: () => h.addNode(node("core-1")), want: 0 },
    {
      name: "a node that fits is added",
      act: () => h.addNode(node("edge-2", { labels: { role: "edge" } })),
      want: 1,
    },
    {
      name: "a node's status changes",
      act: () =>
        h.updateNode(
          "edge-1",
          (n) => n.status = { conditions: [{ type: "Ready", status: "False" }] },
        ),
      want: 0,
    },
    {
      name: "a label change that leaves the placement alone",
      act: () => h.updateNode("edge-1", (n) => n.metadata!.labels!.zone = "a"),
      want: 0,
    },
    {
      name: "a node stops fitting",
      act: () => h.updateNode("edge-1", (n) => delete n.metadata!.labels!.role),
      want: 1,
    },
    {
      name: "a node that fits is deleted",
      act: () => h.nodeInformer.delete(node("edge-2")),
      want: 1,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      await h.drain();
      c.act();
      assert.equal(h.controller.queue.len(), c.want);
    });
  }
});

Deno.test("DaemonSetController.sync() replaces a failed pod, backing off per node", async () => {
  const h = new Harness({ failedPodsBackoffInitialMs: 1000 });
  h.addNode(node("n1"));
  h.createDaemonSet(daemonSet());
  await h.sync();
  h.run(h.livePods()[0]!, { phase: "Failed", ready: false });
  await h.sync();
  assert.equal(h.pods().length, 0);
  assert.match(
    h.eventsOf("FailedDaemonPod")[0] ?? "",
    /^Found failed daemon pod default\/agent-\S+ on node n1, will try to kill it$/,
  );
  await h.sync();
  assert.equal(h.pods().length, 1, "recreated");

  // It fails again at once: within the backoff it stays.
  h.run(h.livePods()[0]!, { phase: "Failed", ready: false });
  await h.sync();
  assert.equal(h.pods().length, 1);
  assert.equal(h.eventsOf("FailedDaemonPod").length, 1);
  h.clock.advance(1000);
  await h.sync();
  assert.equal(h.pods().length, 0);
  assert.equal(h.eventsOf("FailedDaemonPod").length, 2);
});

Deno.test("DaemonSetController.sync() deletes a succeeded pod with an event", async () => {
  const h = new Harness();
  h.addNode(node("n1"));
  h.createDaemonSet(daemonSet());
  await h.sync();
  h.run(h.livePods()[0]!, { phase: "Succeeded", ready: false });
  await h.sync();
  assert.equal(h.pods().length, 0);
  assert.match(h.eventsOf("SucceededDaemonPod")[0] ?? "", /^Found succeeded daemon pod /);
});

Deno.test("DaemonSetController.sync() keeps only the oldest of several pods on a node", async () => {
  const h = new Harness();
  h.addNode(node("n1"));
  h.createDaemonSet(daemonSet());
  await h.sync();
  const [first] = h.livePods();
  h.run(first!);
  h.clock.advance(1000);
  const extra = structuredClone(first!);
  extra.metadata = { ...extra.metadata, name: "agent-extra" };
  delete extra.metadata.uid;
  delete extra.metadata.resourceVersion;
  delete extra.metadata.creationTimestamp;
  h.api.seed("pods", extra);
  await h.sync();
  assert.deepEqual(h.livePods().map((p) => p.metadata!.name), [first!.metadata!.name]);
});

Deno.test("DaemonSetController.sync() deletes an unbound pod whose node is gone", async () => {
  const h = new Harness();
  h.addNode(node("n1"));
  h.addNode(node("n2"));
  h.createDaemonSet(daemonSet());
  await h.sync();
  await h.drain();
  h.nodeInformer.delete(node("n2"));
  assert.equal(h.controller.queue.len(), 1, "a node delete enqueues the DaemonSet");
  await h.sync();
  assert.deepEqual(h.podNodes(), ["n1"]);
  assert.equal(h.ds().status!.desiredNumberScheduled, 1);
});

Deno.test("DaemonSetController.sync() adopts an orphan pod for a node", async () => {
  const h = new Harness();
  h.addNode(node("n1"));
  h.createDaemonSet(daemonSet({ strategy: { type: "OnDelete" } }));
  h.api.seed("pods", {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { namespace: "default", name: "stray", labels: { app: "agent" } },
    spec: { nodeName: "n1", containers: [{ name: "agent", image: "agent:1" }] },
  });
  await h.sync();
  const pods = h.pods();
  assert.deepEqual(pods.map((p) => p.metadata!.name), ["stray"]);
  assert.equal(pods[0]!.metadata!.ownerReferences?.[0]?.name, "agent");
});

Deno.test("DaemonSetController.sync() warns about a selector that selects everything", async () => {
  const h = new Harness();
  h.addNode(node("n1"));
  h.createDaemonSet(daemonSet({ selector: {} }));
  await h.sync();
  assert.equal(h.pods().length, 0);
  assert.deepEqual(h.eventsOf("SelectingAll"), [
    "This daemon set is selecting all pods. A non-empty selector is required.",
  ]);
});

async function rolledOut(h: Harness, nodes: number): Promise<void> {
  h.addNode(node("n1"));
  for (let i = 2; i <= nodes; i++) h.addNode(node(`n${i}`));
  await h.sync();
  h.runAll();
  await h.sync();
}

/** Syncs, finishing deletions and running new pods between syncs, recording each step. */
async function rollUntilDone(h: Harness, limit = 20): Promise<{ old: number; new: number }[]> {
  const steps: { old: number; new: number }[] = [];
  const hash = () => h.revisions().at(-1)!.metadata!.labels![REVISION_HASH_LABEL];
  for (let i = 0; i < limit; i++) {
    await h.sync();
    const live = h.livePods();
    const fresh = live.filter((p) => p.metadata!.labels![REVISION_HASH_LABEL] === hash()).length;
    steps.push({ old: live.length - fresh, new: fresh });
    const s = h.ds().status!;
    if (
      s.updatedNumberScheduled === s.desiredNumberScheduled &&
      s.numberAvailable === s.desiredNumberScheduled && live.length === s.desiredNumberScheduled
    ) break;
    h.finishDeletions();
    h.runAll();
  }
  return steps;
}

Deno.test("DaemonSetController rolls an update with maxUnavailable, never more nodes down", async () => {
  const h = new Harness();
  h.api.gracefulPodDeletion = true;
  h.createDaemonSet(daemonSet({
    strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
  }));
  await rolledOut(h, 3);
  h.updateTemplate((spec) => spec.containers[0]!.image = "agent:2");
  const steps = await rollUntilDone(h);
  for (const s of steps) {
    assert.ok(s.old + s.new >= 2, `at most one node down: ${JSON.stringify(steps)}`);
  }
  assert.deepEqual(steps.at(-1), { old: 0, new: 3 });
  assert.ok(h.livePods().every((p) => p.spec!.containers[0]!.image === "agent:2"));
  assert.ok(h.livePods().every((p) => p.metadata!.labels![TEMPLATE_GENERATION_LABEL] === "2"));
  const status = h.ds().status!;
  assert.equal(status.updatedNumberScheduled, 3);
  assert.equal(status.observedGeneration, 2);
  assert.deepEqual(h.revisions().map((r) => r.revision), [1, 2]);
});

Deno.test("DaemonSetController rolls an update with maxSurge, the old pod going once the new one is available", async () => {
  const h = new Harness();
  h.api.gracefulPodDeletion = true;
  h.createDaemonSet(daemonSet({
    strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
  }));
  await rolledOut(h, 2);
  h.updateTemplate((spec) => spec.containers[0]!.image = "agent:2");
  await h.sync();
  // One node gets a new pod beside its old one; nothing is deleted yet.
  let live = h.livePods();
  assert.equal(live.length, 3);
  assert.equal(h.eventsOf("SuccessfulDelete").length, 0);
  const surged = live.find((p) => !p.spec?.nodeName)!;
  const surgedNode = targetNodeName(surged);
  const oldThere = live.find((p) => p.spec?.nodeName === surgedNode)!;
  // Not available yet: the old pod stays, and no other node surges (maxSurge 1).
  h.run(surged, { ready: false });
  await h.sync();
  assert.equal(h.livePods().length, 3);
  h.run(surged, { ready: true });
  await h.sync();
  assert.deepEqual(h.eventsOf("SuccessfulDelete"), [`Deleted pod: ${oldThere.metadata!.name}`]);
  live = h.livePods();
  assert.ok(!live.some((p) => p.metadata!.name === oldThere.metadata!.name));
  // The surge slot is free again: the other node gets its new pod.
  assert.equal(live.filter((p) => !p.spec?.nodeName).length, 1);
  const steps = await rollUntilDone(h);
  for (const s of steps) {
    assert.ok(s.old + s.new >= 2, `never below 2 pods: ${JSON.stringify(steps)}`);
  }
  assert.deepEqual(steps.at(-1), { old: 0, new: 2 });
});

Deno.test("DaemonSetController with OnDelete replaces a pod only once it is deleted", async () => {
  const h = new Harness();
  h.createDaemonSet(daemonSet({ strategy: { type: "OnDelete" } }));
  await rolledOut(h, 2);
  h.updateTemplate((spec) => spec.containers[0]!.image = "agent:2");
  await h.sync();
  assert.ok(h.livePods().every((p) => p.spec!.containers[0]!.image === "agent:1"));
  assert.equal(h.ds().status!.updatedNumberScheduled, 0);
  const victim = h.livePods()[0]!;
  h.api.finishDeletion("pods", `default/${victim.metadata!.name}`);
  await h.sync();
  const images = h.livePods().map((p) => p.spec!.containers[0]!.image).sort();
  assert.deepEqual(images, ["agent:1", "agent:2"]);
});

Deno.test("DaemonSetController history: a rollback renumbers the old revision, the limit prunes", async () => {
  const h = new Harness();
  h.createDaemonSet(daemonSet({ revisionHistoryLimit: 1 }));
  await rolledOut(h, 1);
  const first = h.revisions()[0]!;
  h.updateTemplate((spec) => spec.containers[0]!.image = "agent:2");
  await rollUntilDone(h);
  assert.deepEqual(h.revisions().map((r) => r.revision), [1, 2]);

  // Back to the first template (what `kubectl rollout undo` patches in).
  h.updateTemplate((spec) => spec.containers[0]!.image = "agent:1");
  await rollUntilDone(h);
  const revisions = h.revisions();
  assert.deepEqual(revisions.map((r) => r.revision), [2, 3]);
  assert.equal(revisions[1]!.metadata!.name, first.metadata!.name);
  assert.ok(
    h.livePods().every((p) =>
      p.metadata!.labels![REVISION_HASH_LABEL] === first.metadata!.labels![REVISION_HASH_LABEL]
    ),
  );

  h.updateTemplate((spec) => spec.containers[0]!.image = "agent:3");
  await rollUntilDone(h);
  // Limit 1: of the old revisions only the newest stays.
  assert.deepEqual(h.revisions().map((r) => r.revision), [3, 4]);
});

Deno.test("DaemonSetController bumps collisionCount when its revision name is taken", async () => {
  const h = new Harness();
  h.addNode(node("n1"));
  const ds = h.createDaemonSet(daemonSet());
  // Learn the name the revision will get, then take it with other data.
  await h.sync();
  const name = h.revisions()[0]!.metadata!.name!;
  h.api.finishDeletion("controllerrevisions", `default/${name}`);
  h.api.seed("controllerrevisions", {
    apiVersion: "apps/v1",
    kind: "ControllerRevision",
    metadata: { namespace: "default", name, labels: { other: "x" } },
    data: { spec: { template: { $patch: "replace" } } },
    revision: 1,
  });
  await assert.rejects(h.sync(), /already exists/);
  assert.equal(h.ds().status!.collisionCount, 1);
  await h.sync();
  const mine = h.revisions().filter((r) =>
    r.metadata!.ownerReferences?.[0]?.uid === ds.metadata!.uid
  );
  assert.equal(mine.length, 1);
  assert.notEqual(mine[0]!.metadata!.name, name);
});

Deno.test("DaemonSetController relabels an old revision that lacks the hash label", async () => {
  const h = new Harness();
  h.addNode(node("n1"));
  const ds = h.createDaemonSet(daemonSet());
  h.api.seed("controllerrevisions", {
    apiVersion: "apps/v1",
    kind: "ControllerRevision",
    metadata: {
      namespace: "default",
      name: "agent-legacy",
      labels: { app: "agent" },
      ownerReferences: [{
        apiVersion: "apps/v1",
        kind: "DaemonSet",
        name: "agent",
        uid: ds.metadata!.uid!,
        controller: true,
      }],
    },
    data: templateRevisionData(ds.spec!.template),
    revision: 1,
  });
  await h.sync();
  const revisions = h.revisions();
  assert.equal(revisions.length, 1);
  assert.equal(revisions[0]!.metadata!.labels![REVISION_HASH_LABEL], "agent-legacy");
  assert.equal(h.livePods()[0]!.metadata!.labels![REVISION_HASH_LABEL], "agent-legacy");
});

Deno.test("calculateDaemonSetStatus() counts availability after minReadySeconds", () => {
  const ds = daemonSet({ minReadySeconds: 30 });
  const readyAt = START_MS;
  const pod: Pod = {
    metadata: { name: "p", namespace: "default", labels: { [REVISION_HASH_LABEL]: "h" } },
    spec: { nodeName: "n1", containers: [] },
    status: {
      phase: "Running",
      conditions: [{ type: "Ready", status: "True", lastTransitionTime: time(readyAt) }],
    },
  };
  const input = {
    nodes: [node("n1"), node("n2")],
    nodeToDaemonPods: new Map([["n1", [pod]]]),
    hash: "h",
  };
  const early = calculateDaemonSetStatus(ds, { ...input, nowMs: readyAt + 10_000 });
  assert.deepEqual(early, {
    desiredNumberScheduled: 2,
    currentNumberScheduled: 1,
    numberMisscheduled: 0,
    numberReady: 1,
    updatedNumberScheduled: 1,
    numberAvailable: 0,
    numberUnavailable: 2,
  });
  const late = calculateDaemonSetStatus(ds, { ...input, nowMs: readyAt + 31_000 });
  assert.equal(late.numberAvailable, 1);
  assert.equal(late.numberUnavailable, 1);
});

Deno.test("DaemonSetController.sync() requeues a minReadySeconds DaemonSet to see pods become available", async () => {
  const h = new Harness();
  h.createDaemonSet(daemonSet({ minReadySeconds: 10 }));
  h.addNode(node("n1"));
  await h.sync();
  h.runAll();
  await h.sync();
  assert.equal(h.ds().status!.numberReady, 1);
  assert.equal(h.ds().status!.numberAvailable, 0);
  assert.ok(h.clock.pendingTimers > 0, "a check is scheduled");
  h.clock.advance(11_000);
  await h.sync();
  assert.equal(h.ds().status!.numberAvailable, 1);
});

Deno.test("DaemonSetController.run() syncs what its handlers enqueue", async () => {
  const h = new Harness({ workers: 1 });
  const stop = new AbortController();
  const running = h.controller.run(stop.signal);
  h.addNode(node("n1"));
  h.createDaemonSet(daemonSet());
  const deadline = Date.now() + 5000;
  while (h.pods().length === 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 5));
  }
  stop.abort();
  await running;
  assert.equal(h.pods().length, 1);
  assert.equal(h.dsInformer.handlers, 0, "handlers removed on stop");
  assert.ok(h.logger.records.some((r) => r.fields?.controller === DAEMON_SET_CONTROLLER_NAME));
});

Deno.test("DaemonSetController.sync() stops a slow start at the first failure and expects no more", async () => {
  const h = new Harness();
  for (let i = 1; i <= 5; i++) h.addNode(node(`n${i}`));
  h.createDaemonSet(daemonSet());
  let creates = 0;
  h.api.fail = (call) => {
    if (call.method !== "POST" || call.resource !== "pods") return undefined;
    creates++;
    return creates === 2
      ? { code: 403, reason: "Forbidden", message: 'pods "agent-" is forbidden: quota' }
      : undefined;
  };
  await assert.rejects(h.sync(), /forbidden: quota/);
  // Batches 1, then 2 (one fails): the remaining 2 are never tried.
  assert.equal(creates, 3);
  assert.equal(h.pods().length, 2);
  assert.equal(h.controller.expectations.satisfied(KEY), true);
  assert.match(h.eventsOf("FailedCreate")[0] ?? "", /^Error creating: pods "agent-" is forbidden/);
  h.api.fail = () => undefined;
  await h.sync();
  assert.equal(h.pods().length, 5);
});

Deno.test("DaemonSetController keeps one of two revisions with the current template", async () => {
  const h = new Harness();
  h.addNode(node("n1"));
  const ds = h.createDaemonSet(daemonSet());
  await h.sync();
  const [original] = h.revisions();
  const pod = h.livePods()[0]!;
  // A duplicate with the same data and a higher number (as a racing controller might leave).
  const duplicate = structuredClone(original!);
  duplicate.metadata = {
    namespace: "default",
    name: "agent-duplicate",
    labels: { app: "agent", [REVISION_HASH_LABEL]: "duplicate" },
    ownerReferences: original!.metadata!.ownerReferences!,
  };
  duplicate.revision = 2;
  h.api.seed("controllerrevisions", duplicate);
  await h.sync();
  const left = h.revisions();
  assert.deepEqual(left.map((r) => r.metadata!.name), ["agent-duplicate"]);
  assert.equal(left[0]!.metadata!.ownerReferences![0]!.uid, ds.metadata!.uid);
  const relabelled = h.api.get<Pod>("pods", `default/${pod.metadata!.name}`)!;
  assert.equal(relabelled.metadata!.labels![REVISION_HASH_LABEL], "duplicate");
});
