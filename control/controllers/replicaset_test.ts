import assert from "node:assert/strict";
import type { ReplicaSet } from "../api/types/apps_v1.ts";
import type { Pod } from "../api/types/core_v1_pod.ts";
import { Client } from "../client/client.ts";
import type { Transport, TransportRequestOptions } from "../client/transport.ts";
import { FakeClock } from "../util/clock.ts";
import { RecordingLogger } from "../util/logger.ts";
import { FakeInformer } from "./_fake_informer.ts";
import { FakePodControl } from "./pod_control.ts";
import {
  calculateReplicaSetStatus,
  REPLICA_FAILURE,
  ReplicaSetController,
  type ReplicaSetControllerOptions,
} from "./replicaset.ts";

const START_MS = Date.UTC(2025, 0, 1, 12, 0, 0);

function time(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** The ReplicaSet endpoints the controller calls: GET and PUT status, with a resourceVersion. */
class FakeReplicaSetApi implements Transport {
  readonly objects = new Map<string, ReplicaSet>();
  readonly statusWrites: ReplicaSet[] = [];
  readonly gets: string[] = [];
  /** Status writes to fail with a 409 before one succeeds. */
  conflicts = 0;
  #rv = 100;

  put(rs: ReplicaSet): void {
    this.objects.set(`${rs.metadata!.namespace}/${rs.metadata!.name}`, structuredClone(rs));
  }

  request(method: string, path: string, options: TransportRequestOptions = {}): Promise<Response> {
    const m = path.split("?")[0]!.match(
      /^\/apis\/apps\/v1\/namespaces\/([^/]+)\/replicasets\/([^/]+)(\/status)?$/,
    );
    if (!m) return Promise.resolve(new Response("no route", { status: 404 }));
    const key = `${m[1]}/${m[2]}`;
    const stored = this.objects.get(key);
    if (!stored) {
      return Promise.resolve(Response.json({
        kind: "Status",
        status: "Failure",
        reason: "NotFound",
        message: `replicasets.apps "${m[2]}" not found`,
        code: 404,
      }, { status: 404 }));
    }
    if (method === "GET") {
      this.gets.push(key);
      return Promise.resolve(Response.json(stored));
    }
    if (method === "PUT" && m[3]) {
      const body = options.body as ReplicaSet;
      if (this.conflicts > 0) {
        this.conflicts--;
        return Promise.resolve(Response.json({
          kind: "Status",
          status: "Failure",
          reason: "Conflict",
          message: "the object has been modified",
          code: 409,
        }, { status: 409 }));
      }
      this.statusWrites.push(structuredClone(body));
      const next = {
        ...stored,
        status: body.status!,
        metadata: { ...stored.metadata, resourceVersion: String(++this.#rv) },
      };
      this.objects.set(key, next);
      return Promise.resolve(Response.json(next));
    }
    return Promise.resolve(new Response("unexpected", { status: 405 }));
  }
}

interface RsInit {
  readonly replicas?: number;
  readonly minReadySeconds?: number;
  readonly generation?: number;
  readonly deleting?: boolean;
  readonly status?: ReplicaSet["status"];
  readonly ownerUid?: string;
}

function newRs(name: string, init: RsInit = {}): ReplicaSet {
  return {
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    metadata: {
      namespace: "default",
      name,
      uid: `uid-${name}`,
      resourceVersion: "1",
      generation: init.generation ?? 1,
      ...(init.deleting ? { deletionTimestamp: time(START_MS) } : {}),
      ...(init.ownerUid
        ? {
          ownerReferences: [{
            apiVersion: "apps/v1",
            kind: "Deployment",
            name: "d",
            uid: init.ownerUid,
            controller: true,
          }],
        }
        : {}),
    },
    spec: {
      replicas: init.replicas ?? 1,
      ...(init.minReadySeconds ? { minReadySeconds: init.minReadySeconds } : {}),
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name, tier: "front" } },
        spec: { containers: [{ name: "c", image: "busybox" }] },
      },
    },
    ...(init.status ? { status: init.status } : {}),
  };
}

interface PodInit {
  readonly owner?: ReplicaSet | null;
  readonly labels?: Record<string, string>;
  readonly nodeName?: string;
  readonly phase?: "Pending" | "Running" | "Succeeded" | "Failed" | "Unknown";
  readonly ready?: boolean;
  readonly readySinceMs?: number;
  readonly createdMs?: number;
  readonly deleting?: boolean;
  readonly restarts?: number;
  readonly rv?: string;
}

function newPod(name: string, init: PodInit = {}): Pod {
  const owner = init.owner;
  const app = owner?.metadata?.name ?? "web";
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      namespace: "default",
      name,
      uid: `uid-${name}`,
      resourceVersion: init.rv ?? "1",
      labels: init.labels ?? { app, tier: "front" },
      creationTimestamp: time(init.createdMs ?? START_MS - 3_600_000),
      ...(init.deleting ? { deletionTimestamp: time(START_MS) } : {}),
      ...(owner
        ? {
          ownerReferences: [{
            apiVersion: "apps/v1",
            kind: "ReplicaSet",
            name: owner.metadata!.name!,
            uid: owner.metadata!.uid!,
            controller: true,
            blockOwnerDeletion: true,
          }],
        }
        : {}),
    },
    spec: {
      containers: [{ name: "c", image: "busybox" }],
      ...(init.nodeName ? { nodeName: init.nodeName } : {}),
    },
    status: {
      phase: init.phase ?? "Running",
      conditions: [{
        type: "Ready",
        status: (init.ready ?? true) ? "True" : "False",
        lastTransitionTime: time(init.readySinceMs ?? START_MS - 1_800_000),
      }],
      containerStatuses: [{
        name: "c",
        image: "busybox",
        imageID: "",
        ready: init.ready ?? true,
        restartCount: init.restarts ?? 0,
      }],
    },
  };
}

function setup(options: ReplicaSetControllerOptions = {}) {
  const clock = new FakeClock(START_MS);
  const rsInformer = new FakeInformer<ReplicaSet>();
  const podInformer = new FakeInformer<Pod>();
  const api = new FakeReplicaSetApi();
  const podControl = new FakePodControl();
  const logger = new RecordingLogger();
  const controller = new ReplicaSetController({
    client: new Client(api),
    rsInformer,
    podInformer,
    podControl,
    clock,
    logger,
  }, options);
  function addRs(rs: ReplicaSet): void {
    api.put(rs);
    rsInformer.seed(rs);
  }
  return { clock, rsInformer, podInformer, api, podControl, logger, controller, addRs };
}

Deno.test("ReplicaSetController.sync() creates the missing pods from the template with a controllerRef", async () => {
  const { controller, podControl, api, addRs } = setup();
  addRs(newRs("web", { replicas: 3 }));
  await controller.sync("default/web");
  assert.equal(podControl.creates.length, 3);
  const first = podControl.creates[0]!;
  assert.equal(first.namespace, "default");
  assert.deepEqual(first.template.metadata?.labels, { app: "web", tier: "front" });
  assert.deepEqual(first.controllerRef, {
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    name: "web",
    uid: "uid-web",
    controller: true,
    blockOwnerDeletion: true,
  });
  assert.deepEqual(controller.expectations.get("default/web")?.add, 3);
  // The cache shows no pods yet: status says 0, for generation 1.
  assert.equal(api.statusWrites.length, 1);
  assert.equal(api.statusWrites[0]?.status?.replicas, 0);
  assert.equal(api.statusWrites[0]?.status?.observedGeneration, 1);
});

Deno.test("ReplicaSetController.sync() does not create again while its pods are not in the cache", async (t) => {
  const { controller, podControl, podInformer, clock, addRs } = setup();
  const rs = newRs("web", { replicas: 3 });
  addRs(rs);
  await controller.sync("default/web");
  await t.step("a second sync with a lagging cache creates nothing", async () => {
    await controller.sync("default/web");
    assert.equal(podControl.creates.length, 3);
  });
  await t.step("two of three pods seen: still waiting", async () => {
    podInformer.add(newPod("web-a", { owner: rs }));
    podInformer.add(newPod("web-b", { owner: rs }));
    assert.equal(controller.expectations.satisfied("default/web"), false);
    await controller.sync("default/web");
    assert.equal(podControl.creates.length, 3);
  });
  await t.step("all seen: expectations met, nothing more to create", async () => {
    podInformer.add(newPod("web-c", { owner: rs }));
    assert.equal(controller.expectations.satisfied("default/web"), true);
    await controller.sync("default/web");
    assert.equal(podControl.creates.length, 3);
  });
  await t.step("a pod that vanished unobserved is replaced after the 5-minute expiry", async () => {
    podInformer.store.delete("default/web-c");
    await controller.sync("default/web");
    assert.equal(podControl.creates.length, 4);
    // Its creation is never observed: the next sync waits until the expectation expires.
    await controller.sync("default/web");
    assert.equal(podControl.creates.length, 4);
    clock.advance(5 * 60 * 1000 + 1);
    await controller.sync("default/web");
    assert.equal(podControl.creates.length, 5);
  });
});

Deno.test("ReplicaSetController.sync() creates in slow-start batches and stops at the first failure", async () => {
  const { controller, podControl, api, addRs } = setup();
  addRs(newRs("web", { replicas: 10 }));
  podControl.createLimit = 3;
  await assert.rejects(controller.sync("default/web"), /limit 3 already reached/);
  // Batches of 1, 2 and 4: the third batch fails, the last 3 are never tried.
  assert.equal(podControl.creates.length, 7);
  // 10 expected, 7 never to be observed (4 failed, 3 skipped).
  assert.equal(controller.expectations.get("default/web")?.add, 3);
  const status = api.statusWrites.at(-1)?.status;
  assert.equal(status?.conditions?.length, 1);
  assert.equal(status?.conditions?.[0]?.type, REPLICA_FAILURE);
  assert.equal(status?.conditions?.[0]?.status, "True");
  assert.equal(status?.conditions?.[0]?.reason, "FailedCreate");
  assert.equal(status?.conditions?.[0]?.message, "not creating pod, limit 3 already reached");
});

Deno.test("ReplicaSetController.sync() creates at most burstReplicas pods per sync", async () => {
  const { controller, podControl, addRs } = setup({ burstReplicas: 5 });
  addRs(newRs("web", { replicas: 20 }));
  await controller.sync("default/web");
  assert.equal(podControl.creates.length, 5);
});

Deno.test("ReplicaSetController.sync() ignores failures in a namespace being deleted", async () => {
  const { controller, podControl, api, addRs } = setup();
  addRs(newRs("web", { replicas: 2 }));
  const { StatusError } = await import("../client/errors.ts");
  podControl.createError = StatusError.fromBody(403, {
    kind: "Status",
    status: "Failure",
    reason: "Forbidden",
    message: 'pods "web-" is forbidden: unable to create new content in namespace default',
    details: { causes: [{ reason: "NamespaceTerminating" }] },
    code: 403,
  });
  await controller.sync("default/web");
  assert.equal(podControl.creates.length, 2);
  assert.equal(api.statusWrites.at(-1)?.status?.conditions, undefined);
});

Deno.test("ReplicaSetController.sync() deletes the least valuable pods first", async () => {
  const { controller, podControl, podInformer, addRs } = setup();
  const rs = newRs("web", { replicas: 2 });
  addRs(rs);
  podInformer.seed(
    newPod("ready-old", { owner: rs, nodeName: "n1" }),
    newPod("unscheduled", { owner: rs, phase: "Pending", ready: false }),
    newPod("ready-new", { owner: rs, nodeName: "n2", createdMs: START_MS - 60_000 }),
    newPod("not-ready", { owner: rs, nodeName: "n1", ready: false }),
    newPod("done", { owner: rs, nodeName: "n1", phase: "Succeeded", ready: false }),
  );
  await controller.sync("default/web");
  assert.deepEqual(podControl.deletes.sort(), ["default/not-ready", "default/unscheduled"]);
  assert.deepEqual(controller.expectations.expectedDeletions("default/web").sort(), [
    "default/not-ready",
    "default/unscheduled",
  ]);
});

Deno.test("ReplicaSetController counts a pod's deletion once, whether seen as terminating or gone", async () => {
  const { controller, podControl, podInformer, addRs } = setup();
  const rs = newRs("web", { replicas: 1 });
  addRs(rs);
  const a = newPod("a", { owner: rs, nodeName: "n1" });
  const b = newPod("b", { owner: rs, ready: false });
  const c = newPod("c", { owner: rs, ready: false, nodeName: "n1" });
  podInformer.seed(a, b, c);
  await controller.sync("default/web");
  assert.deepEqual(podControl.deletes.sort(), ["default/b", "default/c"]);
  assert.equal(controller.expectations.get("default/web")?.del, 2);
  // b goes through graceful deletion: first terminating, then gone.
  podInformer.update(newPod("b", { owner: rs, ready: false, deleting: true, rv: "2" }));
  assert.equal(controller.expectations.get("default/web")?.del, 1);
  podInformer.delete(b);
  assert.equal(controller.expectations.get("default/web")?.del, 1);
  // Another pod's deletion does not count for c.
  podInformer.delete(a);
  assert.equal(controller.expectations.satisfied("default/web"), false);
  podInformer.delete(c);
  assert.equal(controller.expectations.satisfied("default/web"), true);
});

Deno.test("ReplicaSetController.sync() neither creates nor deletes for a ReplicaSet being deleted", async () => {
  const { controller, podControl, podInformer, api, addRs } = setup();
  const rs = newRs("web", { replicas: 1, deleting: true, generation: 2 });
  addRs(rs);
  podInformer.seed(newPod("a", { owner: rs }), newPod("b", { owner: rs }));
  await controller.sync("default/web");
  assert.equal(podControl.creates.length + podControl.deletes.length, 0);
  assert.equal(api.statusWrites.at(-1)?.status?.replicas, 2);
});

Deno.test("ReplicaSetController.sync() adopts matching orphans after an uncached read", async () => {
  const { controller, podControl, podInformer, api, addRs } = setup();
  addRs(newRs("web", { replicas: 2 }));
  podInformer.seed(
    newPod("orphan", { owner: null, labels: { app: "web" } }),
    newPod("stranger", { owner: null, labels: { app: "db" } }),
  );
  await controller.sync("default/web");
  assert.deepEqual(api.gets, ["default/web"]);
  assert.equal(podControl.patches.length, 1);
  assert.deepEqual(podControl.patches[0], {
    namespace: "default",
    name: "orphan",
    patch: {
      metadata: {
        ownerReferences: [{
          apiVersion: "apps/v1",
          kind: "ReplicaSet",
          name: "web",
          uid: "uid-web",
          controller: true,
          blockOwnerDeletion: true,
        }],
        uid: "uid-orphan",
      },
    },
  });
  // The adopted pod counts: one more to create, and it is not fully labeled.
  assert.equal(podControl.creates.length, 1);
  assert.equal(api.statusWrites.at(-1)?.status?.replicas, 1);
  assert.equal(api.statusWrites.at(-1)?.status?.fullyLabeledReplicas, 0);
});

Deno.test("ReplicaSetController.sync() does not adopt when the fresh read shows the ReplicaSet deleted", async () => {
  const { controller, podControl, podInformer, api, addRs } = setup();
  const rs = newRs("web", { replicas: 1 });
  addRs(rs);
  api.put(newRs("web", { replicas: 1, deleting: true }));
  podInformer.seed(newPod("orphan", { owner: null, labels: { app: "web" } }));
  await assert.rejects(
    controller.sync("default/web"),
    /Cannot claim pods of ReplicaSet "default\/web": Cannot adopt pod "default\/orphan" \(uid-orphan\): ReplicaSet "default\/web" has just been deleted/,
  );
  assert.equal(podControl.patches.length, 0);
  assert.equal(podControl.creates.length, 0);
});

Deno.test("ReplicaSetController.sync() releases owned pods whose labels no longer match", async () => {
  const { controller, podControl, podInformer, addRs } = setup();
  const rs = newRs("web", { replicas: 1 });
  addRs(rs);
  podInformer.seed(
    newPod("kept", { owner: rs }),
    newPod("relabeled", { owner: rs, labels: { app: "debug" } }),
  );
  await controller.sync("default/web");
  assert.deepEqual(podControl.patches, [{
    namespace: "default",
    name: "relabeled",
    patch: {
      metadata: { ownerReferences: [{ $patch: "delete", uid: "uid-web" }], uid: "uid-relabeled" },
    },
  }]);
  assert.equal(podControl.creates.length + podControl.deletes.length, 0);
});

Deno.test("ReplicaSetController.sync() writes status only when it changed, retrying a conflict once", async (t) => {
  const { controller, podInformer, api, addRs, rsInformer } = setup();
  const rs = newRs("web", { replicas: 2, generation: 3 });
  addRs(rs);
  podInformer.seed(
    newPod("a", { owner: rs }),
    newPod("b", { owner: rs, ready: false }),
  );
  await t.step("the first write after a conflict, with the fresh object", async () => {
    api.conflicts = 1;
    await controller.sync("default/web");
    assert.equal(api.statusWrites.length, 1);
    assert.deepEqual(api.gets, ["default/web"]);
    const written = api.statusWrites[0]!.status!;
    assert.equal(written.replicas, 2);
    assert.equal(written.fullyLabeledReplicas, 2);
    assert.equal(written.readyReplicas, 1);
    assert.equal(written.availableReplicas, 1);
    assert.equal(written.observedGeneration, 3);
  });
  await t.step("no write when nothing changed", async () => {
    rsInformer.seed(api.objects.get("default/web")!);
    await controller.sync("default/web");
    assert.equal(api.statusWrites.length, 1);
  });
  await t.step("two conflicts fail the sync", async () => {
    podInformer.seed(newPod("b", { owner: rs, ready: true }));
    api.conflicts = 2;
    await assert.rejects(controller.sync("default/web"), /the object has been modified/);
  });
});

Deno.test("ReplicaSetController counts pods available after minReadySeconds and checks again then", async () => {
  const { controller, podInformer, api, addRs, clock } = setup();
  const rs = newRs("web", { replicas: 1, minReadySeconds: 30 });
  addRs(rs);
  podInformer.seed(newPod("a", { owner: rs, readySinceMs: START_MS - 10_000 }));
  await controller.sync("default/web");
  assert.equal(api.statusWrites.at(-1)?.status?.readyReplicas, 1);
  assert.equal(api.statusWrites.at(-1)?.status?.availableReplicas, 0);
  // Requeued after minReadySeconds.
  assert.equal(controller.queue.len(), 0);
  clock.advance(30_000);
  assert.equal(controller.queue.len(), 1);
  await controller.sync("default/web");
  assert.equal(api.statusWrites.at(-1)?.status?.availableReplicas, 1);
});

Deno.test("ReplicaSetController's handlers enqueue the owning ReplicaSet's key", async (t) => {
  const { controller, podInformer, rsInformer, clock } = setup();
  const web = newRs("web", { replicas: 1, minReadySeconds: 10 });
  const db = newRs("db", { replicas: 1 });
  rsInformer.add(web);
  rsInformer.add(db);
  async function drain(): Promise<string[]> {
    const keys: string[] = [];
    while (controller.queue.len() > 0) {
      const key = (await controller.queue.get())!;
      keys.push(key);
      controller.queue.done(key);
    }
    return keys.sort();
  }
  await t.step("ReplicaSet adds", async () => {
    assert.deepEqual(await drain(), ["default/db", "default/web"]);
  });
  await t.step("a pod with a controllerRef: its ReplicaSet only", async () => {
    podInformer.add(newPod("web-1", { owner: web }));
    assert.deepEqual(await drain(), ["default/web"]);
  });
  await t.step("a controllerRef with a stale uid: nobody", async () => {
    const stale = newPod("web-2", { owner: { ...web, metadata: { ...web.metadata, uid: "old" } } });
    podInformer.add(stale);
    assert.deepEqual(await drain(), []);
  });
  await t.step("an orphan: every ReplicaSet whose selector matches", async () => {
    podInformer.add(newPod("loose", { owner: null, labels: { app: "db" } }));
    assert.deepEqual(await drain(), ["default/db"]);
  });
  await t.step("a resync (same resourceVersion): nothing", async () => {
    const pod = podInformer.store.get("default/web-1")!;
    podInformer.update(structuredClone(pod));
    assert.deepEqual(await drain(), []);
  });
  await t.step("a pod turning ready: now, and again after minReadySeconds + 1 s", async () => {
    podInformer.update(newPod("web-1", { owner: web, ready: false, rv: "2" }));
    assert.deepEqual(await drain(), ["default/web"]);
    podInformer.update(newPod("web-1", { owner: web, ready: true, rv: "3" }));
    assert.deepEqual(await drain(), ["default/web"]);
    clock.advance(10_999);
    assert.deepEqual(await drain(), []);
    clock.advance(1);
    assert.deepEqual(await drain(), ["default/web"]);
  });
  await t.step("a ReplicaSet deleted: key enqueued, expectations dropped", async () => {
    controller.expectations.expectCreations("default/db", 4);
    rsInformer.delete(db);
    assert.deepEqual(await drain(), ["default/db"]);
    assert.equal(controller.expectations.get("default/db"), undefined);
  });
  controller.queue.shutDown();
});

Deno.test("ReplicaSetController.sync() of a deleted ReplicaSet forgets its expectations", async () => {
  const { controller, podControl } = setup();
  controller.expectations.expectCreations("default/gone", 2);
  await controller.sync("default/gone");
  assert.equal(controller.expectations.get("default/gone"), undefined);
  assert.equal(podControl.creates.length, 0);
});

Deno.test("ReplicaSetController.run() waits for the caches, syncs queued keys and stops on abort", async () => {
  const { controller, podControl, api, addRs, podInformer, rsInformer, logger } = setup();
  addRs(newRs("web", { replicas: 2 }));
  controller.queue.add("default/web");
  const stop = new AbortController();
  const done = controller.run(stop.signal);
  while (api.statusWrites.length === 0) await new Promise((r) => setTimeout(r, 1));
  stop.abort();
  await done;
  assert.equal(podControl.creates.length, 2);
  assert.equal(podInformer.handlers + rsInformer.handlers, 0);
  assert.ok(logger.messages("info").includes("Starting controller"));
  assert.ok(logger.messages("info").includes("Shutting down controller"));
});

Deno.test("calculateReplicaSetStatus() sets and clears ReplicaFailure", async (t) => {
  const rs = newRs("web", { replicas: 3 });
  await t.step("a failed scale-up: FailedCreate", () => {
    const status = calculateReplicaSetStatus(rs, {
      pods: [],
      manageError: new Error("quota exceeded"),
      nowMs: START_MS,
    });
    assert.deepEqual(status.conditions, [{
      type: "ReplicaFailure",
      status: "True",
      lastTransitionTime: "2025-01-01T12:00:00Z",
      reason: "FailedCreate",
      message: "quota exceeded",
    }]);
  });
  await t.step("a failed scale-down: FailedDelete", () => {
    const pods = [1, 2, 3, 4].map((i) => newPod(`p${i}`, { owner: rs }));
    const status = calculateReplicaSetStatus(rs, {
      pods,
      manageError: new Error("unable to delete pods: boom"),
      nowMs: START_MS,
    });
    assert.equal(status.conditions?.[0]?.reason, "FailedDelete");
  });
  await t.step("an existing failure is kept as it was, and cleared on success", () => {
    const failing = newRs("web", {
      replicas: 3,
      status: {
        replicas: 0,
        conditions: [{ type: "ReplicaFailure", status: "True", reason: "FailedCreate" }],
      },
    });
    const still = calculateReplicaSetStatus(failing, {
      pods: [],
      manageError: new Error("other"),
      nowMs: START_MS,
    });
    assert.deepEqual(still.conditions, [
      { type: "ReplicaFailure", status: "True", reason: "FailedCreate" },
    ]);
    const ok = calculateReplicaSetStatus(failing, { pods: [], nowMs: START_MS });
    assert.equal(ok.conditions, undefined);
  });
});
