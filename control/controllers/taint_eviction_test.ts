import assert from "node:assert/strict";
import type { Taint, Toleration } from "../api/types/core_v1_common.ts";
import type { Pod } from "../api/types/core_v1_pod.ts";
import type { KubeObject } from "../api/types/meta_v1.ts";
import type { Client } from "../client/client.ts";
import { isNotFound } from "../client/errors.ts";
import type { EventRecord, EventRecorder } from "../client/event_recorder.ts";
import { NODES, PODS } from "../client/resources.ts";
import { SharedInformerFactory } from "../client/shared_informer_factory.ts";
import type { Transport } from "../client/transport.ts";
import { FakeClock } from "../util/clock.ts";
import { RecordingLogger } from "../util/logger.ts";
import {
  type ControllerApi,
  startControllerApi,
  until,
} from "../../tests/_support/controller_api.ts";
import { createHeartbeatNode } from "../../tests/_support/node_heartbeats.ts";
import { TaintEvictionController } from "./taint_eviction.ts";

interface RecordedEvent {
  readonly object: KubeObject;
  readonly record: EventRecord;
}

interface Harness extends AsyncDisposable {
  readonly api: ControllerApi;
  readonly client: Client;
  readonly clock: FakeClock;
  readonly events: RecordedEvent[];
  readonly controller: TaintEvictionController;
  settle(): Promise<void>;
  taint(node: string, taints: Taint[]): Promise<void>;
  pod(name: string): Promise<Pod | null>;
  createPod(name: string, spec: { node: string; tolerations?: Toleration[] }): Promise<void>;
}

async function harness(nodes: readonly string[]): Promise<Harness> {
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
  for (const name of nodes) await createHeartbeatNode(client, { name, clock, lease: false });
  const events: RecordedEvent[] = [];
  const recorder: EventRecorder = { event: (object, record) => events.push({ object, record }) };
  const informers = new SharedInformerFactory(client, { clock, logger });
  const controller = new TaintEvictionController({ client, informers, recorder, clock, logger });
  const stop = new AbortController();
  informers.start(stop.signal);
  const running = controller.run(stop.signal);
  await informers.waitForCacheSync(stop.signal);
  const pods = informers.informerFor(PODS).store;
  const nodeStore = informers.informerFor(NODES).store;
  async function settle(): Promise<void> {
    for (let i = 0; i < 3; i++) {
      await until(() => inFlight === 0 && controller.queue.len() === 0, { what: "quiet" });
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
  return {
    api,
    client,
    clock,
    events,
    controller,
    settle,
    async taint(node, taints) {
      const written = await client.resource(NODES).patch(node, {
        type: "merge",
        body: { spec: { taints: taints.length > 0 ? taints : null } },
      });
      await until(() =>
        nodeStore.get(node)?.metadata?.resourceVersion === written.metadata?.resourceVersion
      );
      await settle();
    },
    async pod(name) {
      try {
        return await client.resource(PODS).get(name, { namespace: "default" });
      } catch (err) {
        if (isNotFound(err)) return null;
        throw err;
      }
    },
    async createPod(name, spec) {
      await client.resource(PODS).create({
        metadata: { namespace: "default", name },
        spec: {
          nodeName: spec.node,
          containers: [{ name: "main", image: "busybox" }],
          ...(spec.tolerations ? { tolerations: spec.tolerations } : {}),
        },
      });
      await until(() => pods.get(`default/${name}`) !== undefined);
      await settle();
    },
    async [Symbol.asyncDispose]() {
      stop.abort();
      await running;
      await informers.shutdown();
      await api[Symbol.asyncDispose]();
    },
  };
}

const UNREACHABLE: Taint = { key: "node.kubernetes.io/unreachable", effect: "NoExecute" };
const NOT_READY: Taint = { key: "node.kubernetes.io/not-ready", effect: "NoExecute" };

function tolerate(key: string, seconds?: number): Toleration {
  return {
    key,
    operator: "Exists",
    effect: "NoExecute",
    ...(seconds !== undefined ? { tolerationSeconds: seconds } : {}),
  };
}

function evicted(pod: Pod | null): boolean {
  return pod === null || pod.metadata?.deletionTimestamp !== undefined;
}

function messages(h: Harness): string[] {
  return h.events.filter((e) => e.record.reason === "TaintManagerEviction").map((e) =>
    e.record.message
  );
}

Deno.test("TaintEvictionController deletes a pod that does not tolerate a NoExecute taint at once", async () => {
  await using h = await harness(["n1", "n2"]);
  await h.createPod("web", { node: "n1" });
  await h.createPod("other", { node: "n2" });
  await h.createPod("hardy", { node: "n1", tolerations: [{ operator: "Exists" }] });
  await h.taint("n1", [UNREACHABLE, { key: "dedicated", effect: "NoSchedule" }]);
  await until(async () => evicted(await h.pod("web")), { what: "web deleted" });
  const web = await h.pod("web");
  const condition = web?.status?.conditions?.find((c) => c.type === "DisruptionTarget");
  assert.equal(condition?.status, "True");
  assert.equal(condition?.reason, "DeletionByTaintManager");
  assert.equal(condition?.message, "Taint manager: deleting due to NoExecute taint");
  assert.ok(condition?.lastTransitionTime);
  assert.deepEqual(messages(h), ["Marking for deletion Pod default/web"]);
  const event = h.events.find((e) => e.record.reason === "TaintManagerEviction");
  assert.equal(event?.object.kind, "Pod");
  assert.equal(event?.object.metadata?.namespace, "default");
  assert.equal(event?.record.type, "Normal");
  await h.settle();
  assert.equal(evicted(await h.pod("other")), false, "a pod on another node stays");
  assert.equal(evicted(await h.pod("hardy")), false, "a pod tolerating it forever stays");
});

Deno.test("TaintEvictionController deletes a tolerating pod after tolerationSeconds, with one timer", async () => {
  await using h = await harness(["n1"]);
  await h.createPod("web", { node: "n1", tolerations: [tolerate(UNREACHABLE.key, 60)] });
  const before = h.clock.pendingTimers;
  await h.taint("n1", [UNREACHABLE]);
  assert.equal(h.clock.pendingTimers, before + 1, "one timer for the pod");
  assert.equal(h.controller.scheduled("default/web")?.fireAtMs, h.clock.now() + 60_000);
  h.clock.advance(59_999);
  await h.settle();
  assert.equal(evicted(await h.pod("web")), false, "not before tolerationSeconds");
  h.clock.advance(1);
  await until(async () => evicted(await h.pod("web")), { what: "web deleted" });
  assert.deepEqual(messages(h), ["Marking for deletion Pod default/web"]);
  assert.equal(h.clock.pendingTimers, before, "no timer left");
});

Deno.test("TaintEvictionController cancels a scheduled deletion when the taint goes", async () => {
  await using h = await harness(["n1"]);
  await h.createPod("web", { node: "n1", tolerations: [tolerate(UNREACHABLE.key, 300)] });
  const before = h.clock.pendingTimers;
  await h.taint("n1", [UNREACHABLE]);
  h.clock.advance(100_000);
  await h.taint("n1", []);
  assert.equal(h.clock.pendingTimers, before, "the timer is cancelled");
  assert.equal(h.controller.scheduled("default/web"), undefined);
  assert.deepEqual(messages(h), ["Cancelling deletion of Pod default/web"]);
  h.clock.advance(300_000);
  await h.settle();
  assert.equal(evicted(await h.pod("web")), false);
});

Deno.test("TaintEvictionController cancels a scheduled deletion when the pod goes", async () => {
  await using h = await harness(["n1"]);
  await h.createPod("web", { node: "n1", tolerations: [tolerate(UNREACHABLE.key, 300)] });
  const before = h.clock.pendingTimers;
  await h.taint("n1", [UNREACHABLE]);
  await h.client.resource(PODS).delete("web", { namespace: "default", gracePeriodSeconds: 0 });
  await until(() => h.controller.scheduled("default/web") === undefined, {
    what: "the eviction dropped",
  });
  assert.equal(h.clock.pendingTimers, before);
  assert.deepEqual(messages(h), ["Cancelling deletion of Pod default/web"]);
});

Deno.test("TaintEvictionController keeps the countdown when not-ready is swapped for unreachable", async () => {
  await using h = await harness(["n1"]);
  await h.createPod("web", {
    node: "n1",
    tolerations: [tolerate(NOT_READY.key, 60), tolerate(UNREACHABLE.key, 60)],
  });
  await h.taint("n1", [NOT_READY]);
  const fireAtMs = h.controller.scheduled("default/web")?.fireAtMs;
  h.clock.advance(30_000);
  await h.taint("n1", [UNREACHABLE]);
  assert.equal(h.controller.scheduled("default/web")?.fireAtMs, fireAtMs);
  h.clock.advance(30_000);
  await until(async () => evicted(await h.pod("web")), { what: "web deleted at 60 s" });
  assert.deepEqual(messages(h), ["Marking for deletion Pod default/web"]);
});

Deno.test("TaintEvictionController deletes at once when a new taint is not tolerated", async () => {
  await using h = await harness(["n1"]);
  await h.createPod("web", { node: "n1", tolerations: [tolerate(NOT_READY.key, 300)] });
  await h.taint("n1", [NOT_READY]);
  await h.taint("n1", [NOT_READY, UNREACHABLE]);
  await until(async () => evicted(await h.pod("web")), { what: "web deleted" });
  assert.deepEqual(messages(h), [
    "Cancelling deletion of Pod default/web",
    "Marking for deletion Pod default/web",
  ]);
});

Deno.test("TaintEvictionController leaves pods that are being deleted alone", async () => {
  await using h = await harness(["n1"]);
  await h.createPod("web", { node: "n1" });
  await h.client.resource(PODS).delete("web", { namespace: "default", gracePeriodSeconds: 30 });
  await until(async () => evicted(await h.pod("web")));
  await h.taint("n1", [UNREACHABLE]);
  await h.settle();
  assert.deepEqual(messages(h), []);
  const web = await h.pod("web");
  assert.equal(web?.status?.conditions?.find((c) => c.type === "DisruptionTarget"), undefined);
});
