/**
 * The StatefulSet controller, run by the ControllerManager against the real API in process,
 * with a fake kubelet binding pods and marking them Running/Ready: OrderedReady and Parallel
 * scaling, rolling updates with a partition, OnDelete, claims and their retention policy,
 * pods made again under the same name, revision history, and a controller manager replaced
 * in the middle of a scale-up.
 */
import assert from "node:assert/strict";
import type { ControllerRevision, StatefulSet } from "../../control/api/types/apps_v1.ts";
import type { Pod } from "../../control/api/types/core_v1_pod.ts";
import type { PersistentVolumeClaim } from "../../control/api/types/core_v1_storage.ts";
import type { Client } from "../../control/client/client.ts";
import {
  CONTROLLER_REVISIONS,
  CORE_EVENTS,
  PERSISTENT_VOLUME_CLAIMS,
  PODS,
  STATEFUL_SETS,
} from "../../control/client/resources.ts";
import type { Transport, TransportRequestOptions } from "../../control/client/transport.ts";
import {
  STATEFUL_SET_CONTROLLER_NAME,
  statefulSetController,
} from "../../control/controllers/stateful_set.ts";
import { setPodStatus, startControllerApi, until } from "../_support/controller_api.ts";
import { FakeKubelet } from "../_support/fake_kubelet.ts";
import { startTestManager, type TestManager } from "../_support/test_manager.ts";

/**
 * Records the pod creations and deletions the controller manager asks for, in order; can hold
 * pod creations back (requests on their way when the manager is stopped).
 */
class PodWrites implements Transport {
  readonly writes: string[] = [];
  /** Pod creations sent after this many are held until {@linkcode PodWrites.release}. */
  holdAfter = Infinity;
  readonly held: (() => void)[] = [];
  readonly #inner: Transport;
  #creates = 0;

  constructor(inner: Transport) {
    this.#inner = inner;
  }

  async request(
    method: string,
    path: string,
    options: TransportRequestOptions = {},
  ): Promise<Response> {
    const pathname = path.split("?")[0]!;
    if (method === "POST" && /\/pods$/.test(pathname) && this.#creates++ >= this.holdAfter) {
      await new Promise<void>((resolve) => this.held.push(resolve));
    }
    const res = await this.#inner.request(method, path, options);
    if (res.ok && method === "POST" && /\/pods$/.test(pathname)) {
      this.writes.push(`create ${(options.body as Pod).metadata?.name}`);
    }
    const m = /\/pods\/([^/]+)$/.exec(pathname);
    if (res.ok && method === "DELETE" && m) this.writes.push(`delete ${m[1]}`);
    return res;
  }

  /** Lets held creations go on, and holds no more. */
  release(): void {
    this.holdAfter = Infinity;
    for (const go of this.held.splice(0)) go();
  }

  /** The writes since the last call. */
  take(): string[] {
    return this.writes.splice(0);
  }
}

interface SetInit {
  readonly replicas: number;
  readonly parallel?: boolean;
  readonly image?: string;
  readonly partition?: number;
  readonly onDelete?: boolean;
  readonly claims?: boolean;
  readonly retention?: { whenDeleted: string; whenScaled: string };
  readonly revisionHistoryLimit?: number;
  readonly ordinalsStart?: number;
}

function statefulSet(name: string, init: SetInit): StatefulSet {
  return {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { namespace: "default", name },
    spec: {
      replicas: init.replicas,
      serviceName: name,
      selector: { matchLabels: { app: name } },
      ...(init.parallel ? { podManagementPolicy: "Parallel" } : {}),
      ...(init.onDelete
        ? { updateStrategy: { type: "OnDelete" } }
        : init.partition !== undefined
        ? {
          updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: init.partition } },
        }
        : {}),
      ...(init.retention ? { persistentVolumeClaimRetentionPolicy: init.retention } : {}),
      ...(init.revisionHistoryLimit !== undefined
        ? { revisionHistoryLimit: init.revisionHistoryLimit }
        : {}),
      ...(init.ordinalsStart !== undefined ? { ordinals: { start: init.ordinalsStart } } : {}),
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [{
            name: "main",
            image: init.image ?? "nginx:1.27",
            ...(init.claims ? { volumeMounts: [{ name: "www", mountPath: "/data" }] } : {}),
          }],
        },
      },
      ...(init.claims
        ? {
          volumeClaimTemplates: [{
            metadata: { name: "www" },
            spec: {
              accessModes: ["ReadWriteOnce"],
              resources: { requests: { storage: "1Gi" } },
            },
          }],
        }
        : {}),
    },
  };
}

interface Harness extends AsyncDisposable {
  readonly client: Client;
  readonly kubelet: FakeKubelet;
  readonly writes: PodWrites;
  /** Pods of `app` by name, terminating ones too, sorted by name. */
  pods(app: string): Promise<Pod[]>;
  set(name: string): Promise<StatefulSet>;
  patch(name: string, body: unknown): Promise<void>;
  claims(): Promise<PersistentVolumeClaim[]>;
  revisions(app: string): Promise<ControllerRevision[]>;
  events(name: string): Promise<{ reason: string; message: string }[]>;
  /** Starts a controller manager (a new one after `stopManager`). */
  startManager(): void;
  stopManager(): Promise<void>;
}

function names(pods: readonly Pod[]): string[] {
  return pods.map((p) => p.metadata?.name ?? "").sort();
}

async function start(options: { ready?: (pod: Pod) => boolean } = {}): Promise<Harness> {
  const api = await startControllerApi();
  const client = api.client;
  const writes = new PodWrites(api.transport);
  const kubelet = await FakeKubelet.start({
    client,
    nodes: ["node-1", "node-2"],
    bindUnscheduled: true,
    ...(options.ready ? { ready: options.ready } : {}),
  });
  let manager: TestManager | undefined;
  function startManager(): void {
    manager = startTestManager(writes, {
      registry: [{ name: STATEFUL_SET_CONTROLLER_NAME, factory: statefulSetController }],
    });
  }
  async function stopManager(): Promise<void> {
    await manager?.stop();
  }
  startManager();
  return {
    client,
    kubelet,
    writes,
    startManager,
    stopManager,
    async pods(app) {
      const list = await client.resource(PODS).list({
        namespace: "default",
        labelSelector: `app=${app}`,
      });
      return list.items.sort((a, b) => (a.metadata!.name! < b.metadata!.name! ? -1 : 1));
    },
    async set(name) {
      return await client.resource(STATEFUL_SETS).get(name, { namespace: "default" });
    },
    async patch(name, body) {
      await client.resource(STATEFUL_SETS).patch(name, {
        namespace: "default",
        type: "merge",
        body,
      });
    },
    async claims() {
      return (await client.resource(PERSISTENT_VOLUME_CLAIMS).list({ namespace: "default" })).items
        .sort((a, b) => (a.metadata!.name! < b.metadata!.name! ? -1 : 1));
    },
    async revisions(app) {
      return (await client.resource(CONTROLLER_REVISIONS).list({
        namespace: "default",
        labelSelector: `app=${app}`,
      })).items.sort((a, b) => a.revision - b.revision);
    },
    async events(name) {
      const events = (await client.resource(CORE_EVENTS).list({ namespace: "default" })).items;
      return events.filter((e) => e.involvedObject?.name === name).map((e) => ({
        reason: e.reason ?? "",
        message: e.message ?? "",
      }));
    },
    async [Symbol.asyncDispose]() {
      await stopManager();
      await kubelet.stop();
      await api[Symbol.asyncDispose]();
    },
  };
}

/** Waits until the set reports `replicas` ready pods, all at one revision, for its generation. */
async function converged(h: Harness, name: string, replicas: number): Promise<StatefulSet> {
  let last: StatefulSet | undefined;
  let pods: Pod[] = [];
  try {
    await until(async () => {
      last = await h.set(name);
      const s = last.status;
      pods = await h.pods(name);
      return s?.observedGeneration === last.metadata?.generation && s?.replicas === replicas &&
        (s?.readyReplicas ?? 0) === replicas && (s?.updatedReplicas ?? 0) === replicas &&
        s?.currentRevision === s?.updateRevision && pods.length === replicas &&
        pods.every((p) => !p.metadata?.deletionTimestamp);
    }, { what: `${name} at ${replicas} ready replicas`, timeoutMs: 15_000 });
  } catch (err) {
    throw new Error(
      `${(err as Error).message}; status ${JSON.stringify(last?.status)}, pods ${
        pods.map((p) => `${p.metadata?.name}:${p.status?.phase}`).join(" ")
      }, events ${JSON.stringify((await h.events(name)).slice(-5))}`,
    );
  }
  return last!;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

Deno.test("StatefulSet OrderedReady scales up in ordinal order, waiting on each pod, and down in reverse", async () => {
  const unready = new Set<string>();
  await using h = await start({ ready: (pod) => !unready.has(pod.metadata?.name ?? "") });
  unready.add("web-1");
  await h.client.resource(STATEFUL_SETS).create(statefulSet("web", { replicas: 3 }));
  await until(async () => names(await h.pods("web")).join() === "web-0,web-1", {
    what: "web-0 and web-1",
  });
  // web-1 is Running but not Ready: web-2 must wait.
  await sleep(300);
  assert.deepEqual(names(await h.pods("web")), ["web-0", "web-1"]);
  h.kubelet.setReady("default/web-1", true);
  const set = await converged(h, "web", 3);
  assert.deepEqual(h.writes.take(), ["create web-0", "create web-1", "create web-2"]);
  assert.equal(set.status?.availableReplicas, 3);
  assert.equal(set.status?.currentReplicas, 3);
  assert.match(set.status?.currentRevision ?? "", /^web-[bcdf4-9]+$/);
  assert.equal(set.status?.collisionCount, 0);

  const pods = await h.pods("web");
  for (const [i, pod] of pods.entries()) {
    assert.equal(pod.spec?.hostname, `web-${i}`);
    assert.equal(pod.spec?.subdomain, "web");
    assert.equal(pod.metadata?.generateName, "web-");
    assert.deepEqual(pod.metadata?.labels, {
      app: "web",
      "statefulset.kubernetes.io/pod-name": `web-${i}`,
      "apps.kubernetes.io/pod-index": String(i),
      "controller-revision-hash": set.status?.updateRevision,
    });
    assert.deepEqual(pod.metadata?.ownerReferences, [{
      apiVersion: "apps/v1",
      kind: "StatefulSet",
      name: "web",
      uid: set.metadata?.uid,
      controller: true,
      blockOwnerDeletion: true,
    }]);
  }
  const events = await h.events("web");
  assert.deepEqual(
    events.filter((e) => e.reason === "SuccessfulCreate").map((e) => e.message).sort(),
    [0, 1, 2].map((i) => `create Pod web-${i} in StatefulSet web successful`),
  );

  // Scale-down goes from the highest ordinal, and halts while a remaining pod is unhealthy.
  h.kubelet.setReady("default/web-0", false);
  // The kubelet reports it in its own time: scale down once the controller has seen it (it
  // counts web-0 out of readyReplicas), or the scale-down races the report.
  await until(async () => (await h.set("web")).status?.readyReplicas === 2, {
    what: "web-0 seen unready",
  });
  await h.patch("web", { spec: { replicas: 1 } });
  await sleep(300);
  assert.deepEqual(names(await h.pods("web")), ["web-0", "web-1", "web-2"]);
  h.kubelet.setReady("default/web-0", true);
  await converged(h, "web", 1);
  assert.deepEqual(h.writes.take(), ["delete web-2", "delete web-1"]);
  assert.ok(
    (await h.events("web")).some((e) =>
      e.reason === "SuccessfulDelete" &&
      e.message === "delete Pod web-2 in StatefulSet web successful"
    ),
  );
});

Deno.test("StatefulSet Parallel makes and removes pods without waiting for readiness, from ordinals.start", async () => {
  await using h = await start({ ready: () => false });
  await h.client.resource(STATEFUL_SETS).create(
    statefulSet("db", { replicas: 3, parallel: true, ordinalsStart: 5 }),
  );
  await until(async () => names(await h.pods("db")).join() === "db-5,db-6,db-7", {
    what: "db-5..db-7 created although none is ready",
  });
  await until(async () => (await h.set("db")).status?.replicas === 3, { what: "status" });
  const set = await h.set("db");
  assert.equal(set.status?.readyReplicas ?? 0, 0);
  assert.deepEqual(
    (await h.pods("db")).map((p) => p.metadata?.labels?.["apps.kubernetes.io/pod-index"]),
    ["5", "6", "7"],
  );
  await h.patch("db", { spec: { replicas: 0 } });
  await until(async () => (await h.pods("db")).length === 0, { what: "all pods deleted" });
  assert.deepEqual(h.writes.take().filter((w) => w.startsWith("delete")).sort(), [
    "delete db-5",
    "delete db-6",
    "delete db-7",
  ]);
});

Deno.test("StatefulSet RollingUpdate with a partition updates a canary, then the rest from the highest ordinal; history records revisions", async () => {
  await using h = await start();
  await h.client.resource(STATEFUL_SETS).create(
    statefulSet("web", { replicas: 3, partition: 2 }),
  );
  const first = await converged(h, "web", 3);
  const rev1 = first.status!.currentRevision!;
  h.writes.take();

  await h.patch("web", {
    metadata: { annotations: { "kubernetes.io/change-cause": "nginx 1.28" } },
    spec: { template: { spec: { containers: [{ name: "main", image: "nginx:1.28" }] } } },
  });
  let rev2 = "";
  await until(async () => {
    const s = (await h.set("web")).status;
    rev2 = s?.updateRevision ?? "";
    return rev2 !== rev1 && s?.updatedReplicas === 1 && s?.readyReplicas === 3;
  }, { what: "the canary web-2 updated and ready" });
  await sleep(200);
  const pods = await h.pods("web");
  assert.deepEqual(pods.map((p) => p.metadata?.labels?.["controller-revision-hash"]), [
    rev1,
    rev1,
    rev2,
  ]);
  assert.equal(pods[2]!.spec?.containers[0]?.image, "nginx:1.28");
  assert.equal(pods[0]!.spec?.containers[0]?.image, "nginx:1.27");
  const canary = (await h.set("web")).status!;
  assert.equal(canary.currentRevision, rev1);
  assert.equal(canary.currentReplicas, 2);
  assert.deepEqual(h.writes.take(), ["delete web-2", "create web-2"]);

  await h.patch("web", { spec: { updateStrategy: { rollingUpdate: { partition: 0 } } } });
  const done = await converged(h, "web", 3);
  assert.equal(done.status?.currentRevision, rev2);
  assert.equal(done.status?.currentReplicas, 3);
  assert.deepEqual(h.writes.take(), [
    "delete web-1",
    "create web-1",
    "delete web-0",
    "create web-0",
  ]);

  let revisions = await h.revisions("web");
  assert.deepEqual(revisions.map((r) => [r.metadata?.name, r.revision]), [[rev1, 1], [rev2, 2]]);
  assert.equal(revisions[1]!.metadata?.annotations?.["kubernetes.io/change-cause"], "nginx 1.28");
  assert.equal(revisions[1]!.metadata?.ownerReferences?.[0]?.uid, done.metadata?.uid);
  assert.equal(revisions[1]!.metadata?.labels?.["controller.kubernetes.io/hash"], rev2.slice(4));

  // Back to the first template: its revision is reused and renumbered, no new one is made.
  await h.patch("web", {
    spec: { template: { spec: { containers: [{ name: "main", image: "nginx:1.27" }] } } },
  });
  const back = await converged(h, "web", 3);
  assert.equal(back.status?.currentRevision, rev1);
  revisions = await h.revisions("web");
  assert.deepEqual(revisions.map((r) => [r.metadata?.name, r.revision]), [[rev2, 2], [rev1, 3]]);
});

Deno.test("StatefulSet OnDelete updates a pod only when it is deleted, under the same name", async () => {
  await using h = await start();
  await h.client.resource(STATEFUL_SETS).create(
    statefulSet("web", { replicas: 2, onDelete: true }),
  );
  const first = await converged(h, "web", 2);
  h.writes.take();
  await h.patch("web", {
    spec: { template: { spec: { containers: [{ name: "main", image: "nginx:1.28" }] } } },
  });
  await until(async () => {
    const s = (await h.set("web")).status;
    return s?.updateRevision !== first.status?.updateRevision && s?.observedGeneration === 2;
  }, { what: "the new update revision" });
  await sleep(200);
  assert.deepEqual(h.writes.take(), []);
  const status = (await h.set("web")).status!;
  assert.equal(status.currentRevision, first.status?.currentRevision);
  assert.equal(status.updatedReplicas ?? 0, 0);

  const old = (await h.pods("web"))[1]!;
  await h.client.resource(PODS).delete("web-1", { namespace: "default" });
  await until(async () => {
    const pod = (await h.pods("web"))[1];
    return pod !== undefined && pod.metadata?.uid !== old.metadata?.uid &&
      pod.status?.phase === "Running";
  }, { what: "web-1 made again" });
  const again = (await h.pods("web"))[1]!;
  assert.equal(again.metadata?.name, "web-1");
  assert.equal(again.spec?.containers[0]?.image, "nginx:1.28");
  assert.equal(again.metadata?.labels?.["controller-revision-hash"], status.updateRevision);
  assert.equal((await h.pods("web"))[0]!.spec?.containers[0]?.image, "nginx:1.27");
});

Deno.test("StatefulSet makes a deleted or failed pod again with the same name", async () => {
  await using h = await start();
  await h.client.resource(STATEFUL_SETS).create(statefulSet("web", { replicas: 2 }));
  await converged(h, "web", 2);
  const before = (await h.pods("web"))[0]!;
  await h.client.resource(PODS).delete("web-0", { namespace: "default" });
  await until(async () => {
    const pod = (await h.pods("web"))[0];
    return pod?.metadata?.name === "web-0" && pod.metadata.uid !== before.metadata?.uid &&
      pod.status?.phase === "Running";
  }, { what: "web-0 made again" });

  const running = (await h.pods("web"))[1]!;
  await setPodStatus(h.client, {
    namespace: "default",
    name: "web-1",
    podIP: running.status?.podIP ?? "10.0.0.9",
    ready: false,
    phase: "Failed",
  });
  await until(async () => {
    const pod = (await h.pods("web"))[1];
    return pod?.metadata?.name === "web-1" && pod.metadata.uid !== running.metadata?.uid &&
      pod.status?.phase === "Running";
  }, { what: "the failed web-1 replaced" });
  await converged(h, "web", 2);
});

Deno.test("StatefulSet makes claims before pods and keeps them by default", async () => {
  await using h = await start();
  await h.client.resource(STATEFUL_SETS).create(statefulSet("web", { replicas: 2, claims: true }));
  await converged(h, "web", 2);
  const claims = await h.claims();
  assert.deepEqual(claims.map((c) => c.metadata?.name), ["www-web-0", "www-web-1"]);
  for (const claim of claims) {
    assert.deepEqual(claim.metadata?.labels, { app: "web" });
    assert.equal(claim.metadata?.ownerReferences, undefined);
    assert.deepEqual(claim.spec?.accessModes, ["ReadWriteOnce"]);
  }
  const pod = (await h.pods("web"))[1]!;
  assert.deepEqual(pod.spec?.volumes?.find((v) => v.name === "www")?.persistentVolumeClaim, {
    claimName: "www-web-1",
  });
  const messages = (await h.events("web")).map((e) => e.message);
  assert.ok(messages.includes("create Claim www-web-0 Pod web-0 in StatefulSet web success"));

  // Retain: scaling down leaves the claim, scaling up uses it again.
  await h.patch("web", { spec: { replicas: 1 } });
  await converged(h, "web", 1);
  assert.deepEqual((await h.claims()).map((c) => c.metadata?.name), ["www-web-0", "www-web-1"]);
  const kept = (await h.claims())[1]!.metadata?.uid;
  await h.patch("web", { spec: { replicas: 2 } });
  await converged(h, "web", 2);
  assert.equal((await h.claims())[1]!.metadata?.uid, kept);
});

Deno.test("StatefulSet gives claims the owner references of a Delete retention policy", async () => {
  await using h = await start();
  await h.client.resource(STATEFUL_SETS).create(
    statefulSet("web", {
      replicas: 3,
      claims: true,
      retention: { whenDeleted: "Delete", whenScaled: "Delete" },
    }),
  );
  const set = await converged(h, "web", 3);
  await until(
    async () =>
      (await h.claims()).every((c) => c.metadata?.ownerReferences?.[0]?.uid === set.metadata?.uid),
    {
      what: "claims controlled by the set",
    },
  );
  assert.deepEqual((await h.claims())[0]!.metadata?.ownerReferences, [{
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    name: "web",
    uid: set.metadata?.uid,
    controller: true,
    blockOwnerDeletion: true,
  }]);

  // Scaled away: the claim is handed to its pod before the pod is deleted (the garbage
  // collector deletes it with the pod).
  const web2 = (await h.pods("web"))[2]!;
  await h.patch("web", { spec: { replicas: 2 } });
  await converged(h, "web", 2);
  assert.deepEqual((await h.claims())[2]!.metadata?.ownerReferences, [{
    apiVersion: "v1",
    kind: "Pod",
    name: "web-2",
    uid: web2.metadata?.uid,
    controller: true,
    blockOwnerDeletion: true,
  }]);

  // Scaled up again while that claim is still there: web-2 waits for it to be collected.
  await h.patch("web", { spec: { replicas: 3 } });
  await sleep(300);
  assert.deepEqual(names(await h.pods("web")), ["web-0", "web-1"]);
  await h.client.resource(PERSISTENT_VOLUME_CLAIMS).delete("www-web-2", { namespace: "default" });
  const after = await converged(h, "web", 3);
  await until(async () => {
    const claim = (await h.claims())[2];
    return claim?.metadata?.ownerReferences?.[0]?.uid === after.metadata?.uid;
  }, { what: "a new www-web-2 controlled by the set" });
});

Deno.test("StatefulSet keeps revisionHistoryLimit old revisions", async () => {
  await using h = await start();
  await h.client.resource(STATEFUL_SETS).create(
    statefulSet("web", { replicas: 1, revisionHistoryLimit: 1 }),
  );
  await converged(h, "web", 1);
  for (const image of ["nginx:1.28", "nginx:1.29", "nginx:1.30"]) {
    await h.patch("web", {
      spec: { template: { spec: { containers: [{ name: "main", image }] } } },
    });
    await converged(h, "web", 1);
  }
  const set = await h.set("web");
  await until(async () => (await h.revisions("web")).length === 2, {
    what: "the history trimmed to the live revision and one more",
  });
  const revisions = await h.revisions("web");
  assert.deepEqual(revisions.map((r) => r.revision), [3, 4]);
  assert.equal(revisions[1]!.metadata?.name, set.status?.currentRevision);
});

for (const parallel of [false, true]) {
  Deno.test(`StatefulSet scale-up 0→5 (${parallel ? "Parallel" : "OrderedReady"}) converges to web-0..web-4 once its controller manager is replaced mid-way`, async () => {
    await using h = await start();
    await h.client.resource(STATEFUL_SETS).create(statefulSet("web", { replicas: 0, parallel }));
    await until(async () => (await h.set("web")).status?.observedGeneration === 1, {
      what: "the first status",
    });
    // The third creation is on its way when the manager stops: it still reaches the server.
    h.writes.holdAfter = 2;
    await h.patch("web", { spec: { replicas: 5 } });
    await until(() => h.writes.held.length > 0, { what: "a creation in flight" });
    const stopped = h.stopManager();
    h.writes.release();
    await stopped;
    const early = names(await h.pods("web"));
    // A Parallel sync in flight finishes its batches; an OrderedReady one stops at the pod.
    if (parallel) assert.ok(early.length >= 3, `the held creation went through (${early})`);
    else assert.deepEqual(early, ["web-0", "web-1", "web-2"]);
    h.startManager();
    await converged(h, "web", 5);
    assert.deepEqual(names(await h.pods("web")), ["web-0", "web-1", "web-2", "web-3", "web-4"]);
    const creates = h.writes.take().filter((w) => w.startsWith("create"));
    assert.deepEqual([...creates].sort(), [0, 1, 2, 3, 4].map((i) => `create web-${i}`));
    if (!parallel) assert.deepEqual(creates, [0, 1, 2, 3, 4].map((i) => `create web-${i}`));
  });
}
