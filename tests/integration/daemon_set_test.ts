/**
 * The DaemonSet controller, run by the ControllerManager, against the real API in process,
 * with the real scheduler binding the pods it pins by node affinity and a fake kubelet marking
 * them Running/Ready: pods on exactly the nodes that fit (node selector, taints), following
 * node additions, label removals and taints; RollingUpdate with maxUnavailable and with
 * maxSurge checked on every pod event the server sends; ControllerRevisions and a rollback
 * by the revision's patch, as `kubectl rollout undo` applies it.
 */
import assert from "node:assert/strict";
import type { ControllerRevision, DaemonSet } from "../../control/api/types/apps_v1.ts";
import type { Pod } from "../../control/api/types/core_v1_pod.ts";
import type { Client } from "../../control/client/client.ts";
import { Informer } from "../../control/client/informer.ts";
import {
  CONTROLLER_REVISIONS,
  CORE_EVENTS,
  DAEMON_SETS,
  NODES,
  PODS,
} from "../../control/client/resources.ts";
import { ControllerManager } from "../../control/controllers/controller_manager.ts";
import {
  DAEMON_SET_CONTROLLER_NAME,
  daemonSetController,
  REVISION_HASH_LABEL,
} from "../../control/controllers/daemon_set.ts";
import { runScheduler } from "../../control/scheduler/run_scheduler.ts";
import { systemClock } from "../../control/util/clock.ts";
import { RecordingLogger } from "../../control/util/logger.ts";
import { startControllerApi, until } from "../_support/controller_api.ts";
import { FakeKubelet } from "../_support/fake_kubelet.ts";
import { readyNode, type ReadyNodeOptions } from "../_support/ready_node.ts";

const NODE_NAMES = ["node-1", "node-2", "node-3", "node-4", "node-5"];

function daemonSet(
  strategy: NonNullable<NonNullable<DaemonSet["spec"]>["updateStrategy"]>,
  nodeSelector?: Record<string, string>,
): DaemonSet {
  return {
    apiVersion: "apps/v1",
    kind: "DaemonSet",
    metadata: { namespace: "default", name: "agent" },
    spec: {
      selector: { matchLabels: { app: "agent" } },
      updateStrategy: strategy,
      revisionHistoryLimit: 2,
      template: {
        metadata: { labels: { app: "agent" } },
        spec: {
          containers: [{ name: "agent", image: "agent:1" }],
          ...(nodeSelector ? { nodeSelector } : {}),
        },
      },
    },
  };
}

/** The node a pod was pinned to by the controller's node affinity. */
function pinnedNode(pod: Pod): string | undefined {
  return pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution
    ?.nodeSelectorTerms[0]?.matchFields?.[0]?.values?.[0];
}

function isReady(pod: Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
}

interface HarnessParts {
  readonly client: Client;
  readonly kubelet: FakeKubelet;
  readonly running: readonly Promise<void>[];
  readonly stop: AbortController;
  readonly dispose: () => Promise<void>;
}

class Harness implements AsyncDisposable {
  readonly client: Client;
  readonly kubelet: FakeKubelet;
  readonly #parts: HarnessParts;

  constructor(parts: HarnessParts) {
    this.client = parts.client;
    this.kubelet = parts.kubelet;
    this.#parts = parts;
  }

  static async start(): Promise<Harness> {
    const api = await startControllerApi();
    const client = api.client;
    const logger = new RecordingLogger();
    const kubelet = await FakeKubelet.start({ client, nodes: NODE_NAMES, registerNodes: false });
    const stop = new AbortController();
    const manager = new ControllerManager({
      client,
      clock: systemClock,
      logger,
      identity: "test",
      registry: [{ name: DAEMON_SET_CONTROLLER_NAME, factory: daemonSetController }],
      leaderElection: false,
    });
    const running = [
      manager.run(stop.signal),
      runScheduler({
        client,
        clock: systemClock,
        logger,
        identity: "test",
        signal: stop.signal,
        leaderElection: false,
      }),
    ];
    return new Harness({
      client,
      kubelet,
      running,
      stop,
      dispose: async () => {
        await kubelet.stop();
        await api[Symbol.asyncDispose]();
      },
    });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#parts.stop.abort();
    await Promise.allSettled(this.#parts.running);
    await this.#parts.dispose();
  }

  async addNode(name: string, init: ReadyNodeOptions = {}): Promise<void> {
    await this.client.resource(NODES).create(readyNode(name, init));
  }

  async patchNode(name: string, body: unknown): Promise<void> {
    await this.client.resource(NODES).patch(name, { type: "merge", body });
  }

  async ds(): Promise<DaemonSet> {
    return await this.client.resource(DAEMON_SETS).get("agent", { namespace: "default" });
  }

  async pods(): Promise<Pod[]> {
    const list = await this.client.resource(PODS).list({
      namespace: "default",
      labelSelector: "app=agent",
    });
    return list.items.filter((p) => !p.metadata?.deletionTimestamp);
  }

  async revisions(): Promise<ControllerRevision[]> {
    const list = await this.client.resource(CONTROLLER_REVISIONS).list({ namespace: "default" });
    return list.items.sort((a, b) => a.revision - b.revision);
  }

  /** Waits until the DaemonSet runs a ready, updated pod on exactly `nodes`. */
  async settled(nodes: readonly string[], what: string): Promise<DaemonSet> {
    let ds: DaemonSet | undefined;
    const want = [...nodes].sort().join(",");
    await until(async () => {
      ds = await this.ds();
      const s = ds.status;
      const pods = await this.pods();
      const bound = pods.map((p) => p.spec?.nodeName ?? "").sort().join(",");
      return s?.observedGeneration === ds.metadata?.generation &&
        s?.desiredNumberScheduled === nodes.length && s?.numberAvailable === nodes.length &&
        s?.updatedNumberScheduled === nodes.length && bound === want &&
        pods.every(isReady);
    }, { what, timeoutMs: 20_000 });
    return ds!;
  }

  async events(reason: string): Promise<string[]> {
    const list = await this.client.resource(CORE_EVENTS).list({ namespace: "default" });
    return list.items
      .filter((e) => e.reason === reason && e.involvedObject?.kind === "DaemonSet")
      .map((e) => e.message ?? "");
  }

  async setImage(image: string): Promise<void> {
    await this.client.resource(DAEMON_SETS).patch("agent", {
      namespace: "default",
      type: "strategic",
      body: { spec: { template: { spec: { containers: [{ name: "agent", image }] } } } },
    });
  }

  /**
   * Watches the DaemonSet's pods and checks `invariant` against the server's state after every
   * pod event; returns a stop function that rejects with the first violation.
   */
  async watchInvariant(
    invariant: (pods: readonly Pod[]) => string | undefined,
  ): Promise<() => Promise<number>> {
    const stop = new AbortController();
    const informer = new Informer(this.client.resource(PODS), {
      clock: systemClock,
      logger: new RecordingLogger(),
      namespace: "default",
      labelSelector: "app=agent",
    });
    let violation: string | undefined;
    let checks = 0;
    const check = () => {
      checks++;
      violation ??= invariant(informer.store.list());
    };
    informer.addHandler({ add: check, update: check, delete: check });
    const running = informer.run(stop.signal);
    await informer.waitForSync(stop.signal);
    return async () => {
      stop.abort();
      await running;
      if (violation) throw new Error(violation);
      return checks;
    };
  }
}

/** Nodes with a ready pod not being deleted, and the pods not being deleted. */
function serving(pods: readonly Pod[]): { nodes: number; live: number } {
  const live = pods.filter((p) => !p.metadata?.deletionTimestamp);
  const nodes = new Set(live.filter(isReady).map((p) => p.spec?.nodeName ?? ""));
  nodes.delete("");
  return { nodes: nodes.size, live: live.length };
}

Deno.test("DaemonSet pods run on exactly the nodes that fit, following nodes as they change", async () => {
  await using h = await Harness.start();
  await h.addNode("node-1", { labels: { role: "edge" } });
  await h.addNode("node-2", { labels: { role: "edge" } });
  await h.addNode("node-3", { labels: { role: "core" } });
  await h.addNode("node-4", {
    labels: { role: "edge" },
    taints: [{ key: "dedicated", value: "db", effect: "NoSchedule" }],
  });
  await h.client.resource(DAEMON_SETS).create(
    daemonSet({ type: "RollingUpdate" }, { role: "edge" }),
  );
  const ds = await h.settled(["node-1", "node-2"], "pods on node-1 and node-2");
  assert.equal(ds.status?.currentNumberScheduled, 2);
  assert.equal(ds.status?.numberMisscheduled, 0);
  assert.equal(ds.status?.numberReady, 2);
  assert.equal(ds.status?.numberUnavailable ?? 0, 0);
  const pods = await h.pods();
  for (const pod of pods) {
    assert.equal(pod.spec?.nodeName, pinnedNode(pod), "the scheduler honours the pinned node");
    assert.equal(pod.metadata?.ownerReferences?.[0]?.kind, "DaemonSet");
    assert.ok(
      pod.spec?.tolerations?.some((t) =>
        t.key === "node.kubernetes.io/unschedulable" && t.effect === "NoSchedule"
      ),
    );
  }
  const created = await h.events("SuccessfulCreate");
  assert.deepEqual(
    created.sort(),
    pods.map((p) => `Created pod: ${p.metadata?.name}`).sort(),
  );

  // A new node that fits gets a pod.
  await h.addNode("node-5", { labels: { role: "edge" } });
  await h.settled(["node-1", "node-2", "node-5"], "a pod on the new node-5");

  // A node whose label goes loses its pod.
  await h.patchNode("node-2", { metadata: { labels: { role: null } } });
  await h.settled(["node-1", "node-5"], "node-2's pod deleted");
  assert.equal((await h.events("SuccessfulDelete")).length, 1);

  // A NoExecute taint evicts; removing it brings the pod back. Tolerating the NoSchedule
  // taint of node-4 places a pod there.
  await h.patchNode("node-1", {
    spec: { taints: [{ key: "maintenance", value: "now", effect: "NoExecute" }] },
  });
  await h.settled(["node-5"], "node-1's pod evicted by the NoExecute taint");
  await h.patchNode("node-1", { spec: { taints: null } });
  await h.settled(["node-1", "node-5"], "node-1's pod back");
  await h.client.resource(DAEMON_SETS).patch("agent", {
    namespace: "default",
    type: "strategic",
    body: {
      spec: { template: { spec: { tolerations: [{ key: "dedicated", operator: "Exists" }] } } },
    },
  });
  await h.settled(["node-1", "node-4", "node-5"], "a pod on the tainted node-4");
});

Deno.test("DaemonSet RollingUpdate with maxUnavailable 1 keeps all but one node serving", async () => {
  await using h = await Harness.start();
  for (const name of NODE_NAMES.slice(0, 4)) await h.addNode(name);
  await h.client.resource(DAEMON_SETS).create(
    daemonSet({ type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1 } }),
  );
  await h.settled(NODE_NAMES.slice(0, 4), "the first rollout");
  const stop = await h.watchInvariant((pods) => {
    const { nodes } = serving(pods);
    return nodes < 3 ? `only ${nodes} of 4 nodes serving` : undefined;
  });
  await h.setImage("agent:2");
  const ds = await h.settled(NODE_NAMES.slice(0, 4), "the update rolled out");
  const checks = await stop();
  assert.ok(checks > 8, `the invariant was checked on every pod event (${checks})`);
  assert.equal(ds.status?.observedGeneration, 2);
  const pods = await h.pods();
  assert.ok(pods.every((p) => p.spec?.containers[0]?.image === "agent:2"));
  const revisions = await h.revisions();
  assert.deepEqual(revisions.map((r) => r.revision), [1, 2]);
  const current = revisions[1]!.metadata?.labels?.[REVISION_HASH_LABEL];
  assert.ok(pods.every((p) => p.metadata?.labels?.[REVISION_HASH_LABEL] === current));
  assert.ok(pods.every((p) => p.metadata?.labels?.["pod-template-generation"] === "2"));
});

Deno.test("DaemonSet RollingUpdate with maxSurge 1 never leaves a node without a ready pod", async () => {
  await using h = await Harness.start();
  for (const name of NODE_NAMES.slice(0, 3)) await h.addNode(name);
  await h.client.resource(DAEMON_SETS).create(
    daemonSet({ type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } }),
  );
  await h.settled(NODE_NAMES.slice(0, 3), "the first rollout");
  let surged = 0;
  const stop = await h.watchInvariant((pods) => {
    const { nodes, live } = serving(pods);
    surged = Math.max(surged, live);
    if (nodes < 3) return `only ${nodes} of 3 nodes serving`;
    return live > 4 ? `${live} pods alive, more than 3 + maxSurge 1` : undefined;
  });
  await h.setImage("agent:2");
  await h.settled(NODE_NAMES.slice(0, 3), "the surge update rolled out");
  await stop();
  assert.equal(surged, 4, "a new pod ran beside an old one");
  assert.ok((await h.pods()).every((p) => p.spec?.containers[0]?.image === "agent:2"));
});

Deno.test("DaemonSet history: the revision's patch rolls back, renumbering it; the limit prunes", async () => {
  await using h = await Harness.start();
  await h.addNode("node-1");
  await h.addNode("node-2");
  await h.client.resource(DAEMON_SETS).create(daemonSet({ type: "RollingUpdate" }));
  await h.settled(["node-1", "node-2"], "the first rollout");
  await h.setImage("agent:2");
  await h.settled(["node-1", "node-2"], "agent:2");
  const [first, second] = await h.revisions();
  assert.equal(first?.revision, 1);
  assert.equal(second?.revision, 2);
  assert.match(first!.metadata!.name!, /^agent-[a-z0-9]+$/);

  // What `kubectl rollout undo` does: the old revision's data as a strategic merge patch.
  await h.client.resource(DAEMON_SETS).patch("agent", {
    namespace: "default",
    type: "strategic",
    body: first!.data,
  });
  await h.settled(["node-1", "node-2"], "rolled back");
  const pods = await h.pods();
  assert.ok(pods.every((p) => p.spec?.containers[0]?.image === "agent:1"));
  const hash = first!.metadata!.labels![REVISION_HASH_LABEL];
  assert.ok(pods.every((p) => p.metadata?.labels?.[REVISION_HASH_LABEL] === hash));
  let revisions = await h.revisions();
  assert.deepEqual(
    revisions.map((r) => [r.metadata?.name, r.revision]),
    [[second!.metadata!.name, 2], [first!.metadata!.name, 3]],
  );

  // revisionHistoryLimit 2: after two more templates only two old revisions remain.
  await h.setImage("agent:3");
  await h.settled(["node-1", "node-2"], "agent:3");
  await h.setImage("agent:4");
  await h.settled(["node-1", "node-2"], "agent:4");
  await until(async () => (revisions = await h.revisions()).length === 3, {
    what: "old revisions pruned to the limit",
  });
  assert.deepEqual(revisions.map((r) => r.revision), [3, 4, 5]);
});
