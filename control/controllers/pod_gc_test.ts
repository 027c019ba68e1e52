import assert from "node:assert/strict";
import type { Node } from "../api/types/core_v1_node.ts";
import type { Pod } from "../api/types/core_v1_pod.ts";
import { isNotFound } from "../client/errors.ts";
import { NODES, PODS } from "../client/resources.ts";
import { FakeClock } from "../util/clock.ts";
import { RecordingLogger } from "../util/logger.ts";
import { startControllerApi } from "../../tests/_support/controller_api.ts";
import { FakeInformer } from "./_fake_informer.ts";
import { rfc3339 } from "./_rfc3339.ts";
import {
  compareForCollection,
  isPodTerminated,
  ORPHAN_QUARANTINE_MS,
  OUT_OF_SERVICE_TAINT,
  POD_GC_CONTROLLER_NAME,
  PodGcController,
  type PodGcControllerOptions,
} from "./pod_gc.ts";

const START_MS = Date.UTC(2025, 0, 1, 12, 0, 0);

async function harness(options: PodGcControllerOptions = {}) {
  const api = await startControllerApi();
  const clock = new FakeClock(START_MS);
  const podInformer = new FakeInformer<Pod>();
  const nodeInformer = new FakeInformer<Node>();
  const controller = new PodGcController({
    client: api.client,
    podInformer,
    nodeInformer,
    clock,
    logger: new RecordingLogger(),
  }, options);
  const pods = api.client.resource(PODS);
  const nodes = api.client.resource(NODES);
  /** The keys queued now, taken off the queue. */
  async function drain(): Promise<string[]> {
    const keys: string[] = [];
    while (controller.queue.len() > 0) {
      const key = (await controller.queue.get())!;
      keys.push(key);
      controller.queue.done(key);
    }
    return keys.sort();
  }
  return {
    api,
    clock,
    controller,
    podInformer,
    nodeInformer,
    pods,
    nodes,
    drain,
    /** Creates a pod in the API (with a status) and adds it to the cache. */
    async pod(
      name: string,
      init: {
        nodeName?: string;
        phase?: "Pending" | "Running" | "Succeeded" | "Failed";
        reason?: string;
        finalizers?: string[];
      } = {},
    ): Promise<Pod> {
      const created = await pods.create({
        apiVersion: "v1",
        kind: "Pod",
        metadata: {
          namespace: "default",
          name,
          ...(init.finalizers ? { finalizers: init.finalizers } : {}),
        },
        spec: {
          containers: [{ name: "main", image: "busybox" }],
          ...(init.nodeName ? { nodeName: init.nodeName } : {}),
        },
      });
      const withStatus = await pods.updateStatus({
        ...created,
        status: {
          ...created.status,
          phase: init.phase ?? "Running",
          ...(init.reason ? { reason: init.reason } : {}),
        },
      });
      podInformer.add(withStatus);
      return withStatus;
    },
    /** Whether the API still has the pod. */
    async exists(name: string): Promise<boolean> {
      try {
        await pods.get(name, { namespace: "default" });
        return true;
      } catch (err) {
        if (isNotFound(err)) return false;
        throw err;
      }
    },
    async [Symbol.asyncDispose]() {
      await api[Symbol.asyncDispose]();
    },
  };
}

function node(name: string, init: { ready?: boolean; outOfService?: boolean } = {}): Node {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: { name },
    spec: init.outOfService
      ? { taints: [{ key: OUT_OF_SERVICE_TAINT, value: "nodeshutdown", effect: "NoExecute" }] }
      : {},
    status: {
      conditions: [{ type: "Ready", status: init.ready === false ? "False" : "True" }],
    },
  };
}

Deno.test("POD_GC_CONTROLLER_NAME is upstream's --controllers name", () => {
  assert.equal(POD_GC_CONTROLLER_NAME, "podgc");
});

Deno.test("isPodTerminated() is true for every phase but Pending, Running and Unknown", async (t) => {
  type Phase = NonNullable<Pod["status"]>["phase"];
  const cases: [Phase, boolean][] = [
    ["Pending", false],
    ["Running", false],
    ["Unknown", false],
    ["Succeeded", true],
    ["Failed", true],
    [undefined, true],
  ];
  for (const [phase, want] of cases) {
    await t.step(`${phase}`, () => {
      assert.equal(isPodTerminated(phase === undefined ? {} : { status: { phase } }), want);
    });
  }
});

Deno.test("compareForCollection() puts evicted pods first, then the oldest, then by name", () => {
  const at = (name: string, ms: number, evicted = false): Pod => ({
    metadata: { name, creationTimestamp: rfc3339(ms) },
    status: evicted ? { phase: "Failed", reason: "Evicted" } : { phase: "Succeeded" },
  });
  const pods = [
    at("new", START_MS + 10_000),
    at("b-old", START_MS),
    at("evicted", START_MS + 20_000, true),
    at("a-old", START_MS + 500),
  ];
  assert.deepEqual(pods.sort(compareForCollection).map((p) => p.metadata?.name), [
    "evicted",
    "a-old",
    "b-old",
    "new",
  ]);
});

Deno.test("PodGcController rejects a negative threshold", () => {
  assert.throws(
    () =>
      new PodGcController({
        client: null as never,
        podInformer: new FakeInformer<Pod>(),
        nodeInformer: new FakeInformer<Node>(),
        clock: new FakeClock(),
        logger: new RecordingLogger(),
      }, { terminatedPodThreshold: -1 }),
    RangeError,
  );
});

Deno.test("PodGcController deletes the terminated pods above the threshold, evicted and oldest first", async () => {
  await using h = await harness({ terminatedPodThreshold: 2 });
  await h.pod("running");
  await h.pod("done-1", { phase: "Succeeded" });
  await h.pod("done-2", { phase: "Succeeded" });
  assert.deepEqual(await h.drain(), [], "at the threshold nothing is due");
  await h.pod("done-3", { phase: "Failed" });
  await h.pod("evicted", { phase: "Failed", reason: "Evicted" });
  // The cache's creation times decide the order: done-2 is the oldest.
  for (
    const [name, ms] of [["done-1", 2000], ["done-2", 1000], ["done-3", 3000], [
      "evicted",
      9000,
    ]] as const
  ) {
    const p = h.podInformer.store.get(`default/${name}`)!;
    h.podInformer.seed({
      ...p,
      metadata: { ...p.metadata, creationTimestamp: rfc3339(START_MS + ms) },
    });
  }
  assert.deepEqual(await h.drain(), ["terminated"]);
  await h.controller.sync("terminated");
  const left = [];
  for (const name of ["running", "done-1", "done-2", "done-3", "evicted"]) {
    if (await h.exists(name)) left.push(name);
  }
  assert.deepEqual(left, ["running", "done-1", "done-3"]);
});

Deno.test("PodGcController with threshold 0 keeps every terminated pod", async () => {
  await using h = await harness({ terminatedPodThreshold: 0 });
  await h.pod("done-1", { phase: "Succeeded" });
  assert.deepEqual(await h.drain(), []);
  await h.controller.sync("terminated");
  assert.equal(await h.exists("done-1"), true);
});

Deno.test("PodGcController deletes the pods of a node that is really gone, after the quarantine", async () => {
  await using h = await harness();
  await h.nodes.create(node("there"));
  // "there" exists in the API but not (yet) in the cache; "gone" exists nowhere.
  const orphan = await h.pod("orphan", { nodeName: "gone", finalizers: ["example.com/hold"] });
  await h.pod("orphan-2", { nodeName: "gone" });
  await h.pod("fine", { nodeName: "there" });
  assert.deepEqual(await h.drain(), []);
  h.clock.advance(ORPHAN_QUARANTINE_MS - 1);
  assert.deepEqual(await h.drain(), []);
  h.clock.advance(1);
  assert.deepEqual(await h.drain(), ["node:gone", "node:there"]);
  await h.controller.sync("node:there");
  assert.equal(await h.exists("fine"), true);
  await h.controller.sync("node:gone");
  assert.equal(await h.exists("orphan-2"), false);
  // The finalizer holds the first one: it shows what podgc wrote before deleting.
  const held = await h.pods.get("orphan", { namespace: "default" });
  assert.ok(held.metadata?.deletionTimestamp);
  assert.equal(held.metadata?.deletionGracePeriodSeconds, 0);
  assert.equal(held.status?.phase, "Failed");
  const cond = held.status?.conditions?.find((c) => c.type === "DisruptionTarget");
  assert.deepEqual(
    [cond?.status, cond?.reason, cond?.message, cond?.lastTransitionTime],
    [
      "True",
      "DeletionByPodGC",
      "PodGC: node no longer exists",
      rfc3339(START_MS + ORPHAN_QUARANTINE_MS),
    ],
  );
  assert.equal(held.metadata?.uid, orphan.metadata?.uid);
});

Deno.test("PodGcController checks a deleted node's pods after the quarantine", async () => {
  await using h = await harness();
  const edge = await h.nodes.create(node("edge"));
  h.nodeInformer.add(edge);
  await h.pod("web", { nodeName: "edge" });
  assert.deepEqual(await h.drain(), []);
  await h.nodes.delete("edge");
  h.nodeInformer.delete(edge);
  h.clock.advance(ORPHAN_QUARANTINE_MS);
  assert.deepEqual(await h.drain(), ["node:edge"]);
  await h.controller.sync("node:edge");
  assert.equal(await h.exists("web"), false);
});

Deno.test("PodGcController force-deletes an unscheduled terminating pod", async () => {
  await using h = await harness();
  await h.pod("stuck", { phase: "Pending", finalizers: ["example.com/hold"] });
  await h.drain();
  await h.pods.delete("stuck", { namespace: "default" });
  h.podInformer.add(await h.pods.get("stuck", { namespace: "default" }));
  assert.deepEqual(await h.drain(), ["pod:default/stuck"]);
  await h.controller.sync("pod:default/stuck");
  const stuck = await h.pods.get("stuck", { namespace: "default" });
  assert.equal(stuck.status?.phase, "Failed");
  assert.equal(stuck.metadata?.deletionGracePeriodSeconds, 0);
  assert.equal(
    stuck.status?.conditions?.some((c) => c.type === "DisruptionTarget") ?? false,
    false,
    "only orphans get DisruptionTarget",
  );
});

Deno.test("PodGcController force-deletes terminating pods of a not-ready out-of-service node", async (t) => {
  const cases = [
    { name: "not ready and tainted", ready: false, outOfService: true, deleted: true },
    { name: "ready and tainted", ready: true, outOfService: true, deleted: false },
    { name: "not ready, no taint", ready: false, outOfService: false, deleted: false },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      await using h = await harness();
      const made = await h.nodes.create(node("edge"));
      h.nodeInformer.add(made);
      await h.pod("web", { nodeName: "edge" });
      await h.pods.delete("web", { namespace: "default" });
      h.podInformer.add(await h.pods.get("web", { namespace: "default" }));
      // Still ready: the check finds nothing to do.
      assert.deepEqual(await h.drain(), ["pod:default/web"]);
      await h.controller.sync("pod:default/web");
      assert.equal(await h.exists("web"), true);
      h.nodeInformer.update({ ...made, ...node("edge", c) });
      const due = await h.drain();
      assert.deepEqual(due, c.deleted ? ["pod:default/web"] : []);
      await h.controller.sync("pod:default/web");
      assert.equal(await h.exists("web"), !c.deleted);
    });
  }
});
