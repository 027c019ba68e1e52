/**
 * The ReplicaSet controller, run by the ControllerManager, against the real API in process,
 * with a fake kubelet marking pods Running/Ready on fake nodes: scaling converges to exactly
 * the right pods even while the controller's pod events are held back, scale-down removes the
 * least valuable pods, status and events are as Kubernetes writes them.
 */
import assert from "node:assert/strict";
import type { ReplicaSet } from "../../control/api/types/apps_v1.ts";
import type { Pod } from "../../control/api/types/core_v1_pod.ts";
import type { Client } from "../../control/client/client.ts";
import { CORE_EVENTS, PODS, REPLICA_SETS } from "../../control/client/resources.ts";
import type { Transport, TransportRequestOptions } from "../../control/client/transport.ts";
import { createPod, startControllerApi, until } from "../_support/controller_api.ts";
import { FakeKubelet } from "../_support/fake_kubelet.ts";
import { startTestManager } from "../_support/test_manager.ts";
import { testReplicaSet } from "../_support/workloads.ts";

/** A pod label the selector does not name. */
const FRONT = { tier: "front" };

/** Holds back the bytes of pod watch streams while `hold()` is in effect (a lagging cache). */
class DelayedPodWatch implements Transport {
  readonly #inner: Transport;
  #held = false;
  #waiters: (() => void)[] = [];

  constructor(inner: Transport) {
    this.#inner = inner;
  }

  hold(): void {
    this.#held = true;
  }

  release(): void {
    this.#held = false;
    for (const go of this.#waiters.splice(0)) go();
  }

  async #gate(): Promise<void> {
    while (this.#held) await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }

  async request(
    method: string,
    path: string,
    options: TransportRequestOptions = {},
  ): Promise<Response> {
    const res = await this.#inner.request(method, path, options);
    const isPodWatch = method === "GET" && /\/pods\?/.test(path) && /[?&]watch=1/.test(path);
    if (!isPodWatch || !res.body) return res;
    const reader = res.body.getReader();
    const body = new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        const { value, done } = await reader.read();
        await this.#gate();
        if (done) controller.close();
        else controller.enqueue(value);
      },
      cancel: (reason) => reader.cancel(reason),
    });
    return new Response(body, { status: res.status, headers: res.headers });
  }
}

interface Harness extends AsyncDisposable {
  readonly client: Client;
  readonly delayed: DelayedPodWatch;
  readonly kubelet: FakeKubelet;
  /** Active (not terminating) pods of `app`. */
  activePods(app: string): Promise<Pod[]>;
  /** Every pod of `app`, terminating ones too. */
  allPods(app: string): Promise<Pod[]>;
  rs(name: string): Promise<ReplicaSet>;
  scale(name: string, replicas: number): Promise<void>;
  /** The pod names of the SuccessfulCreate / SuccessfulDelete events about `name`. */
  eventPods(name: string, reason: string): Promise<string[]>;
}

async function start(): Promise<Harness> {
  const api = await startControllerApi();
  const delayed = new DelayedPodWatch(api.transport);
  const client = api.client;
  const kubelet = await FakeKubelet.start({
    client,
    nodes: ["node-1", "node-2"],
    bindUnscheduled: true,
  });
  const manager = startTestManager(delayed, { controllers: ["replicaset"] });
  const pods = client.resource(PODS);
  async function allPods(app: string): Promise<Pod[]> {
    return (await pods.list({ namespace: "default", labelSelector: `app=${app}` })).items;
  }
  return {
    client,
    delayed,
    kubelet,
    allPods,
    async activePods(app) {
      return (await allPods(app)).filter((p) => !p.metadata?.deletionTimestamp);
    },
    async rs(name) {
      return await client.resource(REPLICA_SETS).get(name, { namespace: "default" });
    },
    async scale(name, replicas) {
      await client.resource(REPLICA_SETS).patch(name, {
        namespace: "default",
        type: "merge",
        body: { spec: { replicas } },
      });
    },
    async eventPods(name, reason) {
      const events = (await client.resource(CORE_EVENTS).list({ namespace: "default" })).items;
      return events
        .filter((e) => e.involvedObject?.name === name && e.reason === reason)
        .map((e) => (e.message ?? "").replace(/^(Created|Deleted) pod: /, ""));
    },
    async [Symbol.asyncDispose]() {
      delayed.release();
      await manager.stop();
      await kubelet.stop();
      await api[Symbol.asyncDispose]();
    },
  };
}

/** Waits until the ReplicaSet reports `replicas` ready pods for its current generation. */
async function converged(h: Harness, name: string, replicas: number): Promise<ReplicaSet> {
  let last: ReplicaSet | undefined;
  await until(async () => {
    last = await h.rs(name);
    const s = last.status;
    return s?.observedGeneration === last.metadata?.generation && s?.replicas === replicas &&
      (s?.readyReplicas ?? 0) === replicas &&
      (await h.allPods(name)).length === replicas;
  }, { what: `${name} at ${replicas} ready replicas`, timeoutMs: 15_000 });
  return last!;
}

/** Real time passing, for a lagging cache to show what it would do. */
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

Deno.test("ReplicaSet scaled 0→3→1→5 converges to exactly the right pods while its pod events lag", async () => {
  await using h = await start();
  await h.client.resource(REPLICA_SETS).create(
    testReplicaSet("web", { replicas: 0, labels: FRONT }),
  );
  await until(async () => (await h.rs("web")).status?.observedGeneration === 1, {
    what: "the first status",
  });

  // 0 → 3 with the controller's pod events held: the syncs its own status writes trigger
  // see no pods in the cache, yet must not create more.
  h.delayed.hold();
  await h.scale("web", 3);
  await until(async () => (await h.allPods("web")).length >= 3, { what: "3 pods created" });
  await h.client.resource(REPLICA_SETS).patch("web", {
    namespace: "default",
    type: "merge",
    body: { metadata: { annotations: { poke: "1" } } },
  });
  await sleep(300);
  assert.equal((await h.allPods("web")).length, 3);
  h.delayed.release();
  await converged(h, "web", 3);

  // 3 → 1, again with events held: two deletions, never more.
  h.delayed.hold();
  await h.scale("web", 1);
  await until(async () => (await h.activePods("web")).length <= 1, { what: "2 pods deleted" });
  await h.client.resource(REPLICA_SETS).patch("web", {
    namespace: "default",
    type: "merge",
    body: { metadata: { annotations: { poke: "2" } } },
  });
  await sleep(300);
  assert.equal((await h.activePods("web")).length, 1);
  h.delayed.release();
  await converged(h, "web", 1);

  // 1 → 5.
  await h.scale("web", 5);
  const rs = await converged(h, "web", 5);
  assert.equal(rs.status?.fullyLabeledReplicas, 5);
  assert.equal(rs.status?.availableReplicas, 5);

  const pods = await h.allPods("web");
  assert.equal(new Set(pods.map((p) => p.metadata?.name)).size, 5);
  for (const pod of pods) {
    assert.match(pod.metadata?.name ?? "", /^web-[a-z0-9]{5}$/);
    assert.deepEqual(pod.metadata?.ownerReferences, [{
      apiVersion: "apps/v1",
      kind: "ReplicaSet",
      name: "web",
      uid: rs.metadata?.uid,
      controller: true,
      blockOwnerDeletion: true,
    }]);
  }
  // Exactly 3 + 4 creations and 2 deletions happened, each of a different pod.
  await until(async () => (await h.eventPods("web", "SuccessfulCreate")).length === 7, {
    what: "7 SuccessfulCreate events",
  });
  const created = await h.eventPods("web", "SuccessfulCreate");
  assert.equal(new Set(created).size, 7);
  const deleted = await h.eventPods("web", "SuccessfulDelete");
  assert.equal(deleted.length, 2);
  assert.equal(new Set(deleted).size, 2);
  for (const name of deleted) assert.ok(created.includes(name));
});

Deno.test("ReplicaSet scale-down deletes the unscheduled and the unready pods first", async () => {
  await using h = await start();
  await h.client.resource(REPLICA_SETS).create(
    testReplicaSet("db", { replicas: 3, labels: FRONT }),
  );
  await converged(h, "db", 3);
  const [unready] = await h.activePods("db");
  h.kubelet.setReady(`default/${unready!.metadata!.name}`, false);
  await until(async () => (await h.rs("db")).status?.readyReplicas === 2, {
    what: "one pod unready",
  });

  h.kubelet.binding = false;
  await h.scale("db", 4);
  await until(async () => (await h.activePods("db")).length === 4, { what: "a fourth pod" });
  const unscheduled = (await h.activePods("db")).find((p) => !p.spec?.nodeName);
  assert.ok(unscheduled);

  await h.scale("db", 2);
  await until(async () => {
    const rs = await h.rs("db");
    return rs.status?.replicas === 2 && (await h.allPods("db")).length === 2;
  }, { what: "two pods left" });
  const left = (await h.allPods("db")).map((p) => p.metadata?.name);
  assert.ok(!left.includes(unready!.metadata!.name), "the unready pod was deleted");
  assert.ok(!left.includes(unscheduled.metadata!.name), "the unscheduled pod was deleted");
  const rs = await h.rs("db");
  assert.equal(rs.status?.readyReplicas, 2);
});

Deno.test("ReplicaSet adopts a matching orphan and reports fully labeled, ready and available replicas", async () => {
  await using h = await start();
  await createPod(h.client, { namespace: "default", name: "stray", labels: { app: "api" } });
  await h.client.resource(REPLICA_SETS).create(
    testReplicaSet("api", { replicas: 3, labels: FRONT, minReadySeconds: 1 }),
  );
  await until(async () => {
    const s = (await h.rs("api")).status;
    return s?.replicas === 3 && s.readyReplicas === 3;
  }, { what: "3 ready replicas" });
  const stray = await h.client.resource(PODS).get("stray", { namespace: "default" });
  assert.equal(stray.metadata?.ownerReferences?.[0]?.name, "api");
  assert.equal(stray.metadata?.ownerReferences?.[0]?.controller, true);
  assert.equal((await h.allPods("api")).length, 3);
  let rs = await h.rs("api");
  assert.equal(rs.status?.fullyLabeledReplicas, 2);
  assert.equal(rs.status?.observedGeneration, rs.metadata?.generation);
  // Available once ready for longer than minReadySeconds (1 s): the controller looks again.
  await until(async () => (rs = await h.rs("api")).status?.availableReplicas === 3, {
    what: "3 available replicas",
  });
  assert.equal(rs.status?.conditions, undefined);
});
