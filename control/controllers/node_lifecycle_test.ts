import assert from "node:assert/strict";
import { NODE_LEASE_NAMESPACE } from "../api/types/coordination_v1.ts";
import type { Taint } from "../api/types/core_v1_common.ts";
import type { Node } from "../api/types/core_v1_node.ts";
import type { Pod } from "../api/types/core_v1_pod.ts";
import type { KubeObject } from "../api/types/meta_v1.ts";
import type { Client } from "../client/client.ts";
import type { EventRecord, EventRecorder } from "../client/event_recorder.ts";
import { LEASES, NODES, PODS } from "../client/resources.ts";
import { SharedInformerFactory } from "../client/shared_informer_factory.ts";
import type { Transport } from "../client/transport.ts";
import { FakeClock } from "../util/clock.ts";
import { RecordingLogger } from "../util/logger.ts";
import {
  type ControllerApi,
  createPod,
  setPodStatus,
  startControllerApi,
  until,
} from "../../tests/_support/controller_api.ts";
import {
  createHeartbeatNode,
  type HeartbeatNode,
  microTime,
  postNodeStatus,
  renewNodeLease,
} from "../../tests/_support/node_heartbeats.ts";
import {
  AUTONOMY_ANNOTATION,
  NodeLifecycleController,
  type NodeLifecycleControllerOptions,
} from "./node_lifecycle.ts";

interface RecordedEvent {
  readonly object: KubeObject;
  readonly record: EventRecord;
}

interface Harness extends AsyncDisposable {
  readonly api: ControllerApi;
  readonly client: Client;
  readonly clock: FakeClock;
  readonly logger: RecordingLogger;
  readonly events: RecordedEvent[];
  readonly controller: NodeLifecycleController;
  /** Advances the clock in steps of at most 10 s, renewing the Leases of `live` after each. */
  step(ms: number, live?: readonly string[]): Promise<void>;
  /** Waits until no sync and no request is in flight. */
  settle(): Promise<void>;
  node(name: string): Promise<Node>;
}

async function harness(
  nodes: readonly Omit<HeartbeatNode, "clock">[],
  options: NodeLifecycleControllerOptions = {},
): Promise<Harness> {
  let inFlight = 0;
  const api = await startControllerApi({
    wrap: (inner: Transport): Transport => ({
      async request(method, path, opts) {
        inFlight++;
        try {
          return await inner.request(method, path, opts);
        } finally {
          inFlight--;
        }
      },
    }),
  });
  const client = api.client;
  const clock = new FakeClock(Date.now());
  const logger = new RecordingLogger();
  for (const n of nodes) await createHeartbeatNode(client, { ...n, clock });
  const events: RecordedEvent[] = [];
  const recorder: EventRecorder = { event: (object, record) => events.push({ object, record }) };
  const informers = new SharedInformerFactory(client, { clock, logger });
  const controller = new NodeLifecycleController(
    { client, informers, recorder, clock, logger },
    options,
  );
  const stop = new AbortController();
  informers.start(stop.signal);
  const running = controller.run(stop.signal);
  const leases = informers.informerFor(LEASES, { namespace: NODE_LEASE_NAMESPACE }).store;
  async function renew(name: string): Promise<void> {
    const lease = await renewNodeLease(client, { name, clock });
    await until(() =>
      leases.get(`${NODE_LEASE_NAMESPACE}/${name}`)?.spec?.renewTime === lease.spec?.renewTime
    );
  }
  async function settle(): Promise<void> {
    for (let i = 0; i < 3; i++) {
      await until(() => inFlight === 0 && controller.queue.len() === 0, { what: "quiet" });
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
  const h: Harness = {
    api,
    client,
    clock,
    logger,
    events,
    controller,
    async step(ms, live = []) {
      let left = ms;
      while (left > 0) {
        const d = Math.min(10_000, left);
        clock.advance(d);
        left -= d;
        for (const name of live) await renew(name);
      }
    },
    settle,
    node: (name) => client.resource(NODES).get(name),
    async [Symbol.asyncDispose]() {
      stop.abort();
      await running;
      await informers.shutdown();
      await api[Symbol.asyncDispose]();
    },
  };
  // Every node registered: the controller has seen them all.
  await until(
    () => events.filter((e) => e.record.reason === "RegisteredNode").length === nodes.length,
    { what: "the nodes registered" },
  );
  await settle();
  return h;
}

function taintsOf(node: Node): string[] {
  return (node.spec?.taints ?? []).map((t) => `${t.key}:${t.effect}`).sort();
}

function taint(node: Node, key: string, effect: Taint["effect"]): Taint | undefined {
  return node.spec?.taints?.find((t) => t.key === key && t.effect === effect);
}

function ready(node: Node): string | undefined {
  return node.status?.conditions?.find((c) => c.type === "Ready")?.status;
}

async function untilNode(
  h: Harness,
  name: string,
  check: (node: Node) => boolean,
  what: string,
): Promise<Node> {
  let last: Node | undefined;
  await until(async () => check(last = await h.node(name)), { what });
  return last!;
}

const UNREACHABLE_NO_SCHEDULE = "node.kubernetes.io/unreachable:NoSchedule";
const UNREACHABLE_NO_EXECUTE = "node.kubernetes.io/unreachable:NoExecute";
const NOT_READY_NO_SCHEDULE = "node.kubernetes.io/not-ready:NoSchedule";
const NOT_READY_NO_EXECUTE = "node.kubernetes.io/not-ready:NoExecute";

Deno.test("NodeLifecycleController marks a silent node Unknown after the grace period, taints it and marks its pods not ready", async (t) => {
  await using h = await harness([{ name: "live" }, { name: "lost" }]);
  await createPod(h.client, { namespace: "default", name: "web", nodeName: "lost" });
  await setPodStatus(h.client, { namespace: "default", name: "web", podIP: "10.42.1.5" });
  await h.settle();

  await t.step("nothing happens within the grace period", async () => {
    await h.step(40_000, ["live"]);
    await h.settle();
    assert.equal(ready(await h.node("lost")), "True");
  });

  await t.step("past it: conditions Unknown, unreachable:NoSchedule", async () => {
    await h.step(1000, ["live"]);
    const lost = await untilNode(h, "lost", (n) => ready(n) === "Unknown", "lost Unknown");
    const byType = Object.fromEntries((lost.status?.conditions ?? []).map((c) => [c.type, c]));
    for (const type of ["Ready", "MemoryPressure", "DiskPressure", "PIDPressure"]) {
      assert.equal(byType[type]?.status, "Unknown", type);
      assert.equal(byType[type]?.reason, "NodeStatusUnknown", type);
      assert.equal(byType[type]?.message, "Kubelet stopped posting node status.", type);
    }
    await untilNode(
      h,
      "lost",
      (n) => taintsOf(n).includes(UNREACHABLE_NO_SCHEDULE),
      "the NoSchedule taint",
    );
    await h.settle();
    assert.deepEqual(taintsOf(await h.node("lost")), [UNREACHABLE_NO_SCHEDULE]);
    assert.equal(ready(await h.node("live")), "True");
    assert.deepEqual(taintsOf(await h.node("live")), []);
  });

  await t.step("its pods are marked not ready, with events", async () => {
    const pod: Pod = await h.client.resource(PODS).get("web", { namespace: "default" });
    assert.equal(pod.status?.conditions?.find((c) => c.type === "Ready")?.status, "False");
    assert.ok(h.events.some((e) =>
      e.object.kind === "Pod" && e.record.type === "Warning" &&
      e.record.reason === "NodeNotReady" && e.record.message === "Node is not ready"
    ));
    assert.ok(h.events.some((e) =>
      e.object.kind === "Node" && e.object.metadata?.name === "lost" &&
      e.record.reason === "NodeNotReady" &&
      e.record.message === "Node lost status is now: NodeNotReady"
    ));
  });

  await t.step("one monitor period later: unreachable:NoExecute", async () => {
    await h.step(5000, ["live"]);
    const lost = await untilNode(
      h,
      "lost",
      (n) => taintsOf(n).includes(UNREACHABLE_NO_EXECUTE),
      "the NoExecute taint",
    );
    assert.ok(taint(lost, "node.kubernetes.io/unreachable", "NoExecute")?.timeAdded);
    assert.deepEqual(taintsOf(lost), [UNREACHABLE_NO_EXECUTE, UNREACHABLE_NO_SCHEDULE]);
  });

  await t.step("the node reports again: every taint goes", async () => {
    await renewNodeLease(h.client, { name: "lost", clock: h.clock });
    await postNodeStatus(h.client, { name: "lost", clock: h.clock });
    await untilNode(h, "lost", (n) => taintsOf(n).length === 0, "taints removed");
    assert.ok(h.logger.messages("info").includes("Node is healthy again, removed all taints"));
  });
});

Deno.test("NodeLifecycleController taints a node its kubelet reports not ready, then swaps for unreachable", async (t) => {
  await using h = await harness([{ name: "live" }, { name: "sick" }]);
  await createPod(h.client, { namespace: "default", name: "web", nodeName: "sick" });
  await setPodStatus(h.client, { namespace: "default", name: "web", podIP: "10.42.1.5" });

  await t.step("Ready False: not-ready NoSchedule and NoExecute at once", async () => {
    await h.step(10_000, ["live", "sick"]);
    await postNodeStatus(h.client, { name: "sick", clock: h.clock, ready: "False" });
    const sick = await untilNode(
      h,
      "sick",
      (n) => taintsOf(n).length === 2,
      "not-ready taints",
    );
    assert.deepEqual(taintsOf(sick), [NOT_READY_NO_EXECUTE, NOT_READY_NO_SCHEDULE]);
    await h.settle();
    const pod = await h.client.resource(PODS).get("web", { namespace: "default" });
    assert.equal(
      pod.status?.conditions?.find((c) => c.type === "Ready")?.status,
      "True",
      "the kubelet, not the controller, handles its pods' readiness",
    );
  });

  await t.step("then silent: unreachable replaces not-ready in one patch", async () => {
    const before = taint(await h.node("sick"), "node.kubernetes.io/not-ready", "NoExecute");
    await h.step(41_000, ["live"]);
    await untilNode(h, "sick", (n) => ready(n) === "Unknown", "sick Unknown");
    await h.step(5000, ["live"]);
    const sick = await untilNode(
      h,
      "sick",
      (n) =>
        taintsOf(n).includes(UNREACHABLE_NO_EXECUTE) && !taintsOf(n).includes(NOT_READY_NO_EXECUTE),
      "the swap",
    );
    assert.deepEqual(taintsOf(sick), [UNREACHABLE_NO_EXECUTE, UNREACHABLE_NO_SCHEDULE]);
    assert.ok(before?.timeAdded);
  });
});

Deno.test("NodeLifecycleController keeps an autonomous node's pods: no NoExecute taint while unreachable", async (t) => {
  await using h = await harness([
    { name: "live" },
    { name: "edge", annotations: { [AUTONOMY_ANNOTATION]: "true" } },
  ]);

  await t.step("unreachable: Unknown and NoSchedule, no NoExecute, logged", async () => {
    await h.step(41_000, ["live"]);
    await untilNode(h, "edge", (n) => ready(n) === "Unknown", "edge Unknown");
    await h.step(60_000, ["live"]);
    await h.settle();
    assert.deepEqual(taintsOf(await h.node("edge")), [UNREACHABLE_NO_SCHEDULE]);
    const logged = h.logger.messages("info").filter((m) =>
      m === "Node is unreachable but autonomous; not tainting it NoExecute"
    );
    assert.equal(logged.length, 1, "logged once");
  });

  await t.step("annotation removed while still unreachable: tainted as usual", async () => {
    await h.client.resource(NODES).patch("edge", {
      type: "merge",
      body: { metadata: { annotations: { [AUTONOMY_ANNOTATION]: null } } },
    });
    await untilNode(
      h,
      "edge",
      (n) => taintsOf(n).includes(UNREACHABLE_NO_EXECUTE),
      "the NoExecute taint",
    );
  });

  await t.step("annotation set again: the NoExecute taint is taken back", async () => {
    await h.client.resource(NODES).patch("edge", {
      type: "merge",
      body: { metadata: { annotations: { [AUTONOMY_ANNOTATION]: "true" } } },
    });
    await untilNode(
      h,
      "edge",
      (n) => !taintsOf(n).includes(UNREACHABLE_NO_EXECUTE),
      "the NoExecute taint removed",
    );
    assert.deepEqual(taintsOf(await h.node("edge")), [UNREACHABLE_NO_SCHEDULE]);
  });
});

Deno.test("NodeLifecycleController taints nothing NoExecute when every node is lost (full disruption)", async (t) => {
  await using h = await harness([{ name: "a" }, { name: "b" }]);

  await t.step("both silent: Unknown, NoSchedule only", async () => {
    await h.step(41_000);
    await untilNode(h, "a", (n) => ready(n) === "Unknown", "a Unknown");
    await untilNode(h, "b", (n) => ready(n) === "Unknown", "b Unknown");
    await h.step(30_000);
    await h.settle();
    assert.deepEqual(taintsOf(await h.node("a")), [UNREACHABLE_NO_SCHEDULE]);
    assert.deepEqual(taintsOf(await h.node("b")), [UNREACHABLE_NO_SCHEDULE]);
    assert.equal(h.controller.zoneStates().get(""), "FullDisruption");
    assert.ok(
      h.logger.messages("info").includes(
        "Controller detected that all Nodes are not-Ready. Entering master disruption mode",
      ),
    );
  });

  await t.step("one comes back: the other is tainted NoExecute", async () => {
    await renewNodeLease(h.client, { name: "a", clock: h.clock });
    await postNodeStatus(h.client, { name: "a", clock: h.clock });
    await untilNode(h, "b", (n) => taintsOf(n).includes(UNREACHABLE_NO_EXECUTE), "b tainted");
    assert.deepEqual(taintsOf(await h.node("a")), []);
    assert.ok(
      h.logger.messages("info").includes(
        "Controller detected that some Nodes are Ready. Exiting master disruption mode",
      ),
    );
    assert.equal(h.controller.zoneStates().get(""), "Normal");
  });
});

Deno.test("NodeLifecycleController stops NoExecute tainting in a small partially disrupted zone", async () => {
  const zone = { "topology.kubernetes.io/region": "eu", "topology.kubernetes.io/zone": "a" };
  await using h = await harness(
    ["n1", "n2", "n3", "n4", "n5"].map((name) => ({ name, labels: zone })),
  );
  await h.step(41_000, ["n4", "n5"]);
  for (const name of ["n1", "n2", "n3"]) {
    await untilNode(h, name, (n) => ready(n) === "Unknown", `${name} Unknown`);
  }
  await h.step(30_000, ["n4", "n5"]);
  await h.settle();
  for (const name of ["n1", "n2", "n3"]) {
    assert.deepEqual(taintsOf(await h.node(name)), [UNREACHABLE_NO_SCHEDULE], name);
  }
  assert.equal(h.controller.zoneStates().get("eu:\u0000:a"), "PartialDisruption");
  assert.ok(
    h.logger.messages("info").includes("Controller detected that zone is now in new state"),
  );
});

Deno.test("NodeLifecycleController taints one node per 10 s in a zone", async () => {
  await using h = await harness(
    ["n1", "n2", "n3", "n4", "n5", "n6"].map((name) => ({ name })),
  );
  const live = ["n3", "n4", "n5", "n6"];
  await h.step(41_000, live);
  await untilNode(h, "n1", (n) => ready(n) === "Unknown", "n1 Unknown");
  await untilNode(h, "n2", (n) => ready(n) === "Unknown", "n2 Unknown");
  await h.step(5000, live);
  await h.settle();
  async function tainted(): Promise<string[]> {
    const out: string[] = [];
    for (const name of ["n1", "n2"]) {
      if (taintsOf(await h.node(name)).includes(UNREACHABLE_NO_EXECUTE)) out.push(name);
    }
    return out;
  }
  assert.equal((await tainted()).length, 1, "one at once");
  await h.step(9000, live);
  await h.settle();
  assert.equal((await tainted()).length, 1, "not before 10 s");
  await h.step(1000, live);
  await until(async () => (await tainted()).length === 2, { what: "the second taint" });
});

Deno.test("NodeLifecycleController marks a node that never posted status after the startup grace period", async () => {
  await using h = await harness([{ name: "live" }]);
  await h.client.resource(NODES).create({ metadata: { name: "mute" } });
  await until(() => h.events.some((e) => e.object.metadata?.name === "mute"), {
    what: "mute registered",
  });
  await h.step(50_000, ["live"]);
  await h.settle();
  assert.equal(ready(await h.node("mute")), undefined, "within the startup grace period");
  await h.step(20_000, ["live"]);
  const mute = await untilNode(h, "mute", (n) => ready(n) === "Unknown", "mute Unknown");
  const readyCondition = mute.status?.conditions?.find((c) => c.type === "Ready");
  assert.equal(readyCondition?.reason, "NodeStatusNeverUpdated");
  assert.equal(readyCondition?.message, "Kubelet never posted node status.");
  assert.equal(readyCondition?.lastHeartbeatTime, mute.metadata?.creationTimestamp);
});

Deno.test("NodeLifecycleController keeps beta os/arch labels and records node registration and removal", async () => {
  await using h = await harness([{
    name: "pi",
    labels: { "kubernetes.io/os": "linux", "kubernetes.io/arch": "arm64" },
  }]);
  const pi = await untilNode(
    h,
    "pi",
    (n) => n.metadata?.labels?.["beta.kubernetes.io/arch"] !== undefined,
    "beta labels",
  );
  assert.equal(pi.metadata?.labels?.["beta.kubernetes.io/os"], "linux");
  assert.equal(pi.metadata?.labels?.["beta.kubernetes.io/arch"], "arm64");
  const registered = h.events.find((e) => e.record.reason === "RegisteredNode");
  assert.equal(registered?.record.message, "Node pi event: Registered Node pi in Controller");
  assert.equal(registered?.object.kind, "Node");
  await h.client.resource(NODES).delete("pi");
  await until(() => h.events.some((e) => e.record.reason === "RemovingNode"), {
    what: "RemovingNode",
  });
  assert.equal(
    h.events.find((e) => e.record.reason === "RemovingNode")?.record.message,
    "Node pi event: Removing Node pi from Controller",
  );
});

Deno.test("NodeLifecycleController arms one timer per healthy node, moved by heartbeats", async () => {
  await using h = await harness([{ name: "a" }, { name: "b" }]);
  const timers = h.clock.pendingTimers;
  for (let i = 0; i < 5; i++) await h.step(10_000, ["a", "b"]);
  await h.settle();
  assert.equal(h.clock.pendingTimers, timers, "heartbeats move the timers, they add none");
  const lease = await h.client.resource(LEASES).get("a", { namespace: NODE_LEASE_NAMESPACE });
  assert.equal(lease.spec?.renewTime, microTime(h.clock.now()));
  assert.equal(ready(await h.node("a")), "True");
});
