import assert from "node:assert/strict";
import type { KubeObject, ObjectMeta, OwnerReference } from "../api/types/meta_v1.ts";
import { ScriptedTransport } from "../client/_test_transport.ts";
import { Client } from "../client/client.ts";
import { StatusError } from "../client/errors.ts";
import type { EventRecord, EventRecorder } from "../client/event_recorder.ts";
import type { ApiResource } from "../client/resources.ts";
import { FakeClock } from "../util/clock.ts";
import { RecordingLogger } from "../util/logger.ts";
import type { DiscoveredGroup } from "./_api_discovery.ts";
import type { GcDeleteOptions, GcOperations, GcPatchOptions, GcTarget } from "./_gc_operations.ts";
import type { ControllerContext } from "./controller_manager.ts";
import {
  GARBAGE_COLLECTOR_CONTROLLER_NAME,
  GarbageCollector,
  garbageCollectorController,
} from "./garbage_collector.ts";

const ALL = ["create", "delete", "get", "list", "patch", "update", "watch"];
const GROUPS: DiscoveredGroup[] = [
  {
    name: "",
    preferredVersion: "v1",
    versions: [{
      groupVersion: "v1",
      version: "v1",
      resources: [
        { name: "pods", kind: "Pod", namespaced: true, verbs: ALL },
        { name: "configmaps", kind: "ConfigMap", namespaced: true, verbs: ALL },
        { name: "nodes", kind: "Node", namespaced: false, verbs: ALL },
      ],
    }],
  },
  {
    name: "apps",
    preferredVersion: "v1",
    versions: [{
      groupVersion: "apps/v1",
      version: "v1",
      resources: [
        { name: "replicasets", kind: "ReplicaSet", namespaced: true, verbs: ALL },
        { name: "deployments", kind: "Deployment", namespaced: true, verbs: ALL },
      ],
    }],
  },
];

const POD = { apiVersion: "v1", kind: "Pod" };
const RS = { apiVersion: "apps/v1", kind: "ReplicaSet" };
const DEPLOY = { apiVersion: "apps/v1", kind: "Deployment" };
const NODE = { apiVersion: "v1", kind: "Node" };

function status(code: number, reason: string, message: string): StatusError {
  return new StatusError({
    kind: "Status",
    apiVersion: "v1",
    status: "Failure",
    code,
    reason,
    message,
  });
}

type Call =
  | { op: "get"; resource: string; key: string }
  | {
    op: "delete";
    resource: string;
    key: string;
    policy: string;
    uid: string;
    resourceVersion: string | undefined;
  }
  | { op: "patch"; resource: string; key: string; type: string; body: unknown };

/** Objects by resource and key; deletes and patches change them as the API server would. */
class FakeApi implements GcOperations {
  readonly objects = new Map<string, ObjectMeta>();
  readonly calls: Call[] = [];
  /** A failure for a request, or null. */
  fail: ((call: Call) => Error | null) | null = null;
  #rv = 100;

  put(resource: string, meta: ObjectMeta): void {
    this.objects.set(`${resource} ${meta.namespace ?? ""}/${meta.name}`, structuredClone(meta));
  }

  meta(resource: string, key: string): ObjectMeta | undefined {
    return this.objects.get(`${resource} ${key}`);
  }

  writes(): Call[] {
    return this.calls.filter((c) => c.op !== "get");
  }

  #check(call: Call): void {
    this.calls.push(call);
    const err = this.fail?.(call);
    if (err) throw err;
  }

  get(resource: ApiResource, target: GcTarget): Promise<ObjectMeta> {
    const key = `${target.namespace}/${target.name}`;
    this.#check({ op: "get", resource: resource.resource, key });
    const found = this.objects.get(`${resource.resource} ${key}`);
    if (!found) return Promise.reject(status(404, "NotFound", `"${target.name}" not found`));
    return Promise.resolve(structuredClone(found));
  }

  delete(resource: ApiResource, target: GcTarget & GcDeleteOptions): Promise<void> {
    const key = `${target.namespace}/${target.name}`;
    this.#check({
      op: "delete",
      resource: resource.resource,
      key,
      policy: target.propagationPolicy,
      uid: target.uid,
      resourceVersion: target.resourceVersion,
    });
    const found = this.objects.get(`${resource.resource} ${key}`);
    if (!found) return Promise.reject(status(404, "NotFound", "not found"));
    if (found.uid !== target.uid) return Promise.reject(status(409, "Conflict", "uid"));
    if (target.resourceVersion && target.resourceVersion !== found.resourceVersion) {
      return Promise.reject(status(409, "Conflict", "resourceVersion"));
    }
    this.objects.delete(`${resource.resource} ${key}`);
    return Promise.resolve();
  }

  patch(resource: ApiResource, target: GcTarget & GcPatchOptions): Promise<void> {
    const key = `${target.namespace}/${target.name}`;
    this.#check({
      op: "patch",
      resource: resource.resource,
      key,
      type: target.type,
      body: target.body,
    });
    const found = this.objects.get(`${resource.resource} ${key}`);
    if (!found) return Promise.reject(status(404, "NotFound", "not found"));
    const body = target.body as { metadata: Record<string, unknown> };
    const m = body.metadata;
    if (m.resourceVersion !== undefined && m.resourceVersion !== found.resourceVersion) {
      return Promise.reject(status(409, "Conflict", "the object has been modified"));
    }
    if (target.type === "strategic") {
      const refs = m.ownerReferences as (OwnerReference & { $patch?: string })[];
      const drop = new Set(refs.filter((r) => r.$patch === "delete").map((r) => r.uid));
      const set = new Map(refs.filter((r) => !r.$patch).map((r) => [r.uid, r]));
      found.ownerReferences = (found.ownerReferences ?? [])
        .filter((r) => !drop.has(r.uid))
        .map((r) => ({ ...r, ...set.get(r.uid) }));
    } else if ("finalizers" in m) {
      const finalizers = m.finalizers as string[] | null;
      if (finalizers) found.finalizers = finalizers;
      else delete found.finalizers;
    } else if ("ownerReferences" in m) {
      found.ownerReferences = m.ownerReferences as OwnerReference[];
    }
    found.resourceVersion = String(++this.#rv);
    return Promise.resolve();
  }
}

class RecordingRecorder implements EventRecorder {
  readonly events: { object: KubeObject; record: EventRecord }[] = [];
  event(object: KubeObject, record: EventRecord): void {
    this.events.push({ object, record });
  }
}

function setup() {
  const api = new FakeApi();
  const clock = new FakeClock(1_000_000);
  const logger = new RecordingLogger();
  const client = new Client(new ScriptedTransport(() => new Response("", { status: 500 })));
  const gc = new GarbageCollector({
    client,
    recorder: new RecordingRecorder(),
    clock,
    logger,
    operations: api,
  }, { workers: 1 });
  gc.useDiscovery(GROUPS);
  /** Puts the object in the fake API and shows it to the graph. */
  const object = (
    type: { apiVersion: string; kind: string },
    resource: string,
    meta: ObjectMeta,
  ) => {
    const full = { resourceVersion: "1", ...meta };
    api.put(resource, full);
    gc.graph.observe(type, full);
    return gc.graph.get(meta.uid!)!;
  };
  return { api, clock, logger, gc, object };
}

function rsRef(name: string, uid: string, extra: Partial<OwnerReference> = {}): OwnerReference {
  return { apiVersion: "apps/v1", kind: "ReplicaSet", name, uid, ...extra };
}

const FOREGROUND = {
  deletionTimestamp: "2025-01-01T00:00:00Z",
  finalizers: ["foregroundDeletion"],
};

Deno.test("GarbageCollector deletes an object whose only owner is gone (Background, with preconditions)", async () => {
  const { api, gc, object } = setup();
  const pod = object(POD, "pods", {
    namespace: "default",
    name: "p1",
    uid: "p1",
    resourceVersion: "7",
    ownerReferences: [rsRef("web", "rs1")],
  });
  assert.equal(await gc.processAttemptToDelete(pod), "forget");
  assert.deepEqual(api.calls, [
    { op: "get", resource: "pods", key: "default/p1" },
    { op: "get", resource: "replicasets", key: "default/web" },
    {
      op: "delete",
      resource: "pods",
      key: "default/p1",
      policy: "Background",
      uid: "p1",
      resourceVersion: "7",
    },
  ]);
  // The absent owner is remembered: a second dependent is judged without asking again.
  const other = object(POD, "pods", {
    namespace: "default",
    name: "p2",
    uid: "p2",
    ownerReferences: [rsRef("web", "rs1")],
  });
  api.calls.length = 0;
  await gc.processAttemptToDelete(other);
  assert.deepEqual(api.calls.map((c) => `${c.op} ${c.resource}`), ["get pods", "delete pods"]);
});

Deno.test("GarbageCollector treats an owner found with another uid as gone", async () => {
  const { api, gc, object } = setup();
  api.put("replicasets", { namespace: "default", name: "web", uid: "rs-new" });
  const pod = object(POD, "pods", {
    namespace: "default",
    name: "p1",
    uid: "p1",
    ownerReferences: [rsRef("web", "rs-old")],
  });
  await gc.processAttemptToDelete(pod);
  assert.equal(api.meta("pods", "default/p1"), undefined);
});

Deno.test("GarbageCollector keeps an object whose owner exists", async () => {
  const { api, gc, object } = setup();
  object(RS, "replicasets", { namespace: "default", name: "web", uid: "rs1" });
  const pod = object(POD, "pods", {
    namespace: "default",
    name: "p1",
    uid: "p1",
    ownerReferences: [rsRef("web", "rs1")],
  });
  assert.equal(await gc.processAttemptToDelete(pod), "forget");
  assert.deepEqual(api.writes(), []);
});

Deno.test("GarbageCollector removes dangling and waiting references while a solid owner remains", async () => {
  const { api, gc, object } = setup();
  object(RS, "replicasets", { namespace: "default", name: "solid", uid: "rs-solid" });
  object(RS, "replicasets", {
    namespace: "default",
    name: "waiting",
    uid: "rs-wait",
    ...FOREGROUND,
  });
  const pod = object(POD, "pods", {
    namespace: "default",
    name: "p1",
    uid: "p1",
    ownerReferences: [
      rsRef("solid", "rs-solid"),
      rsRef("gone", "rs-gone"),
      rsRef("waiting", "rs-wait"),
    ],
  });
  await gc.processAttemptToDelete(pod);
  assert.deepEqual(api.writes(), [{
    op: "patch",
    resource: "pods",
    key: "default/p1",
    type: "strategic",
    body: {
      metadata: {
        ownerReferences: [{ $patch: "delete", uid: "rs-gone" }, {
          $patch: "delete",
          uid: "rs-wait",
        }],
        uid: "p1",
      },
    },
  }]);
  assert.deepEqual(api.meta("pods", "default/p1")?.ownerReferences?.map((r) => r.name), ["solid"]);
});

Deno.test("GarbageCollector falls back to a JSON merge patch where strategic merge is unsupported", async () => {
  const { api, gc, object } = setup();
  object(RS, "replicasets", { namespace: "default", name: "solid", uid: "rs-solid" });
  const pod = object(POD, "pods", {
    namespace: "default",
    name: "p1",
    uid: "p1",
    resourceVersion: "9",
    ownerReferences: [rsRef("solid", "rs-solid"), rsRef("gone", "rs-gone")],
  });
  api.fail = (call) =>
    call.op === "patch" && call.type === "strategic"
      ? status(415, "UnsupportedMediaType", "the body of the request was in an unknown format")
      : null;
  await gc.processAttemptToDelete(pod);
  const patches = api.writes();
  assert.equal(patches.length, 2);
  assert.deepEqual(patches[1], {
    op: "patch",
    resource: "pods",
    key: "default/p1",
    type: "merge",
    body: { metadata: { resourceVersion: "9", ownerReferences: [rsRef("solid", "rs-solid")] } },
  });
});

Deno.test("GarbageCollector deletes in the foreground an object with dependents whose owner waits for them", async () => {
  const { api, gc, object } = setup();
  object(DEPLOY, "deployments", { namespace: "default", name: "d", uid: "d1", ...FOREGROUND });
  const rs = object(RS, "replicasets", {
    namespace: "default",
    name: "web",
    uid: "rs1",
    ownerReferences: [{
      apiVersion: "apps/v1",
      kind: "Deployment",
      name: "d",
      uid: "d1",
      blockOwnerDeletion: true,
    }],
  });
  object(POD, "pods", {
    namespace: "default",
    name: "p1",
    uid: "p1",
    ownerReferences: [rsRef("web", "rs1", { blockOwnerDeletion: true })],
  });
  await gc.processAttemptToDelete(rs);
  assert.deepEqual(api.writes().map((c) => c.op === "delete" ? `delete ${c.policy}` : c.op), [
    "delete Foreground",
  ]);
});

Deno.test("GarbageCollector unblocks an object's references when its dependent also waits (cycle guard)", async () => {
  const { api, gc, object } = setup();
  object(DEPLOY, "deployments", { namespace: "default", name: "d", uid: "d1", ...FOREGROUND });
  const rs = object(RS, "replicasets", {
    namespace: "default",
    name: "web",
    uid: "rs1",
    ownerReferences: [{
      apiVersion: "apps/v1",
      kind: "Deployment",
      name: "d",
      uid: "d1",
      controller: true,
      blockOwnerDeletion: true,
    }],
  });
  object(POD, "pods", {
    namespace: "default",
    name: "p1",
    uid: "p1",
    ...FOREGROUND,
    ownerReferences: [rsRef("web", "rs1", { blockOwnerDeletion: true })],
  });
  await gc.processAttemptToDelete(rs);
  const [patch, del] = api.writes();
  assert.deepEqual(patch, {
    op: "patch",
    resource: "replicasets",
    key: "default/web",
    type: "strategic",
    body: {
      metadata: {
        ownerReferences: [{
          apiVersion: "apps/v1",
          kind: "Deployment",
          name: "d",
          uid: "d1",
          controller: true,
          blockOwnerDeletion: false,
        }],
        uid: "rs1",
      },
    },
  });
  assert.equal(del?.op === "delete" && del.policy, "Foreground");
});

Deno.test("GarbageCollector deletes an ownerless object with the policy its own finalizers ask for", async (t) => {
  const cases = [
    { name: "orphan finalizer", finalizers: ["orphan"], policy: "Orphan" },
    { name: "foreground finalizer", finalizers: ["foregroundDeletion"], policy: "Foreground" },
    { name: "other finalizers", finalizers: ["example.com/x"], policy: "Background" },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      const { api, gc, object } = setup();
      const pod = object(POD, "pods", {
        namespace: "default",
        name: "p1",
        uid: "p1",
        finalizers: c.finalizers,
        ownerReferences: [rsRef("gone", "rs-gone")],
      });
      await gc.processAttemptToDelete(pod);
      const del = api.writes()[0];
      assert.equal(del?.op === "delete" && del.policy, c.policy);
    });
  }
});

Deno.test("GarbageCollector drops a node the API no longer has (virtual delete)", async (t) => {
  await t.step("not found", async () => {
    const { api, gc } = setup();
    gc.graph.observe(POD, {
      namespace: "default",
      name: "p1",
      uid: "p1",
      ownerReferences: [rsRef("ghost", "rs-ghost")],
    });
    api.put("pods", {
      namespace: "default",
      name: "p1",
      uid: "p1",
      ownerReferences: [rsRef("ghost", "rs-ghost")],
    });
    const owner = gc.graph.get("rs-ghost")!;
    assert.equal(owner.isObserved(), false);
    assert.equal(await gc.processAttemptToDelete(owner), "forget");
    assert.equal(gc.graph.get("rs-ghost"), undefined);
    // Its dependent was queued, and goes next.
    assert.equal(gc.queueLengths().attemptToDelete, 2);
    await gc.processAttemptToDelete(gc.graph.get("p1")!);
    assert.equal(api.meta("pods", "default/p1"), undefined);
  });
  await t.step("another uid under the name", async () => {
    const { api, gc, object } = setup();
    const pod = object(POD, "pods", { namespace: "default", name: "p1", uid: "p1" });
    api.put("pods", { namespace: "default", name: "p1", uid: "p1-recreated" });
    assert.equal(await gc.processAttemptToDelete(pod), "forget");
    assert.equal(gc.graph.get("p1"), undefined);
    assert.deepEqual(api.writes(), []);
  });
});

Deno.test("GarbageCollector requeues a virtual owner that exists but was not observed yet", async () => {
  const { api, gc } = setup();
  api.put("replicasets", { namespace: "default", name: "web", uid: "rs1", resourceVersion: "1" });
  gc.graph.observe(POD, {
    namespace: "default",
    name: "p1",
    uid: "p1",
    ownerReferences: [rsRef("web", "rs1")],
  });
  const owner = gc.graph.get("rs1")!;
  owner.noteQueued();
  assert.equal(await gc.processAttemptToDelete(owner), "requeue");
  assert.deepEqual(api.writes(), []);
  // Seen by its informer meanwhile: the virtual queueing is dropped without a request.
  owner.noteQueued();
  gc.graph.observe(RS, { namespace: "default", name: "web", uid: "rs1", resourceVersion: "1" });
  api.calls.length = 0;
  assert.equal(await gc.processAttemptToDelete(owner), "forget");
  assert.deepEqual(api.calls, []);
});

Deno.test("GarbageCollector waits for an object already being deleted", async () => {
  const { api, gc, object } = setup();
  const pod = object(POD, "pods", {
    namespace: "default",
    name: "p1",
    uid: "p1",
    deletionTimestamp: "2025-01-01T00:00:00Z",
    ownerReferences: [rsRef("gone", "rs-gone")],
  });
  assert.equal(await gc.processAttemptToDelete(pod), "forget");
  assert.deepEqual(api.calls, []);
});

Deno.test("GarbageCollector finishes a foreground deletion once no blocking dependent is left", async () => {
  const { api, gc, object } = setup();
  const rs = object(RS, "replicasets", {
    namespace: "default",
    name: "web",
    uid: "rs1",
    resourceVersion: "5",
    ...FOREGROUND,
    finalizers: ["example.com/keep", "foregroundDeletion"],
  });
  object(POD, "pods", {
    namespace: "default",
    name: "p1",
    uid: "p1",
    ownerReferences: [rsRef("web", "rs1", { blockOwnerDeletion: true })],
  });
  object(POD, "pods", {
    namespace: "default",
    name: "free",
    uid: "p2",
    ownerReferences: [rsRef("web", "rs1")],
  });
  const before = gc.queueLengths().attemptToDelete;
  await gc.processAttemptToDelete(rs);
  assert.deepEqual(api.writes(), [], "a blocking dependent is left");
  assert.equal(gc.queueLengths().attemptToDelete, before + 1, "the blocking dependent is queued");
  gc.graph.observeDeleted(POD, { uid: "p1" });
  await gc.processAttemptToDelete(rs);
  assert.deepEqual(api.writes(), [{
    op: "patch",
    resource: "replicasets",
    key: "default/web",
    type: "merge",
    body: { metadata: { resourceVersion: "5", finalizers: ["example.com/keep"] } },
  }]);
});

Deno.test("GarbageCollector retries a finalizer removal that conflicts", async () => {
  const { api, clock, gc, object } = setup();
  const rs = object(RS, "replicasets", {
    namespace: "default",
    name: "web",
    uid: "rs1",
    ...FOREGROUND,
  });
  let conflicts = 2;
  api.fail = (call) =>
    call.op === "patch" && conflicts-- > 0 ? status(409, "Conflict", "modified") : null;
  const done = gc.processAttemptToDelete(rs);
  for (let i = 0; i < 50 && api.meta("replicasets", "default/web")?.finalizers; i++) {
    await new Promise((resolve) => setTimeout(resolve, 0));
    clock.advance(250);
  }
  assert.equal(await done, "forget");
  assert.equal(api.meta("replicasets", "default/web")?.finalizers, undefined);
  assert.equal(api.writes().length, 3);
});

Deno.test("GarbageCollector gives up on a cluster-scoped object naming a namespaced owner", async () => {
  const { api, gc, object } = setup();
  const node = object(NODE, "nodes", {
    name: "n1",
    uid: "n1",
    ownerReferences: [{ apiVersion: "v1", kind: "ConfigMap", name: "cm", uid: "cm1" }],
  });
  assert.equal(await gc.processAttemptToDelete(node), "forget");
  assert.deepEqual(api.calls, [{ op: "get", resource: "nodes", key: "/n1" }]);
});

Deno.test("GarbageCollector retries an owner kind no resource serves", async () => {
  const { api, gc, logger, object } = setup();
  const pod = object(POD, "pods", {
    namespace: "default",
    name: "p1",
    uid: "p1",
    ownerReferences: [{ apiVersion: "example.com/v1", kind: "Widget", name: "w", uid: "w1" }],
  });
  assert.equal(await gc.processAttemptToDelete(pod), "requeue");
  assert.deepEqual(api.writes(), []);
  const error = logger.records.find((r) => r.msg === "Error syncing item");
  assert.match(
    String((error?.fields?.error as Error)?.message),
    /unable to get REST mapping for example.com\/v1\/Widget/,
  );
});

Deno.test("GarbageCollector deletes again without resourceVersion when only the version changed", async (t) => {
  for (const ownersChanged of [false, true]) {
    await t.step(ownersChanged ? "owners changed: retried later" : "owners unchanged", async () => {
      const { api, gc, object } = setup();
      const pod = object(POD, "pods", {
        namespace: "default",
        name: "p1",
        uid: "p1",
        resourceVersion: "1",
        ownerReferences: [rsRef("gone", "rs-gone")],
      });
      let first = true;
      api.fail = (call) => {
        if (call.op !== "delete" || !first) return null;
        first = false;
        // Someone wrote the pod between the GC's read and its delete.
        api.put("pods", {
          namespace: "default",
          name: "p1",
          uid: "p1",
          resourceVersion: "2",
          ownerReferences: ownersChanged
            ? [rsRef("gone", "rs-gone"), rsRef("new", "rs-new")]
            : [rsRef("gone", "rs-gone")],
        });
        return status(409, "Conflict", "resourceVersion");
      };
      const action = await gc.processAttemptToDelete(pod);
      const deletes = api.writes().filter((c) => c.op === "delete");
      if (ownersChanged) {
        assert.equal(action, "requeue");
        assert.equal(deletes.length, 1);
        assert.ok(api.meta("pods", "default/p1"));
      } else {
        assert.equal(action, "forget");
        assert.equal(deletes.length, 2);
        assert.equal(deletes[1]?.op === "delete" && deletes[1].resourceVersion, undefined);
        assert.equal(api.meta("pods", "default/p1"), undefined);
      }
    });
  }
});

Deno.test("GarbageCollector orphans the dependents, then removes the orphan finalizer", async () => {
  const { api, gc, object } = setup();
  const rs = object(RS, "replicasets", {
    namespace: "default",
    name: "web",
    uid: "rs1",
    deletionTimestamp: "2025-01-01T00:00:00Z",
    finalizers: ["orphan"],
  });
  for (const name of ["p1", "p2"]) {
    object(POD, "pods", {
      namespace: "default",
      name,
      uid: name,
      ownerReferences: [rsRef("web", "rs1"), rsRef("other", "rs2")],
    });
  }
  // A dependent the API no longer has needs no orphaning.
  gc.graph.observe(POD, {
    namespace: "default",
    name: "gone",
    uid: "gone",
    ownerReferences: [rsRef("web", "rs1")],
  });
  assert.equal(await gc.processAttemptToOrphan(rs), "forget");
  for (const name of ["p1", "p2"]) {
    assert.deepEqual(api.meta("pods", `default/${name}`)?.ownerReferences?.map((r) => r.uid), [
      "rs2",
    ]);
  }
  assert.equal(api.meta("replicasets", "default/web")?.finalizers, undefined);
  const patches = api.writes().filter((c) => c.op === "patch" && c.resource === "pods");
  assert.deepEqual(patches.map((c) => c.op === "patch" && c.body), [
    { metadata: { ownerReferences: [{ $patch: "delete", uid: "rs1" }], uid: "p1" } },
    { metadata: { ownerReferences: [{ $patch: "delete", uid: "rs1" }], uid: "p2" } },
    { metadata: { ownerReferences: [{ $patch: "delete", uid: "rs1" }], uid: "gone" } },
  ]);
});

Deno.test("GarbageCollector keeps the orphan finalizer while a dependent cannot be orphaned", async () => {
  const { api, gc, logger, object } = setup();
  const rs = object(RS, "replicasets", {
    namespace: "default",
    name: "web",
    uid: "rs1",
    deletionTimestamp: "2025-01-01T00:00:00Z",
    finalizers: ["orphan"],
  });
  object(POD, "pods", {
    namespace: "default",
    name: "p1",
    uid: "p1",
    ownerReferences: [rsRef("web", "rs1")],
  });
  api.fail = (call) =>
    call.op === "patch" && call.resource === "pods"
      ? status(500, "InternalError", "disk full")
      : null;
  assert.equal(await gc.processAttemptToOrphan(rs), "requeue");
  assert.deepEqual(api.meta("replicasets", "default/web")?.finalizers, ["orphan"]);
  const error = logger.records.find((r) => r.msg === "OrphanDependents for owner failed");
  assert.equal(
    (error?.fields?.error as Error).message,
    "failed to orphan dependents of owner [apps/v1/ReplicaSet, namespace: default, name: web, uid: rs1], got errors: orphaning [v1/Pod, namespace: default, name: p1, uid: p1] failed, disk full",
  );
});

Deno.test("GarbageCollector() rejects bad options", () => {
  const client = new Client(new ScriptedTransport(() => new Response("")));
  const deps = {
    client,
    recorder: new RecordingRecorder(),
    clock: new FakeClock(),
    logger: new RecordingLogger(),
  };
  assert.throws(() => new GarbageCollector(deps, { workers: 0 }), RangeError);
  assert.throws(() => new GarbageCollector(deps, { orphanConcurrency: 0 }), RangeError);
  assert.throws(() => new GarbageCollector(deps, { initialSyncTimeoutMs: -1 }), RangeError);
});

Deno.test("garbageCollectorController() records events as garbage-collector-controller", () => {
  const components: string[] = [];
  const context = {
    client: new Client(new ScriptedTransport(() => new Response(""))),
    recorder: (component: string) => {
      components.push(component);
      return new RecordingRecorder();
    },
    clock: new FakeClock(),
    logger: new RecordingLogger(),
  } as unknown as ControllerContext;
  const controller = garbageCollectorController(context);
  assert.ok(controller instanceof GarbageCollector);
  assert.deepEqual(components, ["garbage-collector-controller"]);
  assert.equal(GARBAGE_COLLECTOR_CONTROLLER_NAME, "garbagecollector");
});

Deno.test("GarbageCollector.run() watches what discovery finds and collects garbage", async () => {
  const { startControllerApi, until } = await import("../../tests/_support/controller_api.ts");
  await using api = await startControllerApi();
  const logger = new RecordingLogger();
  const gc = new GarbageCollector({
    client: api.client,
    recorder: new RecordingRecorder(),
    clock: new FakeClock(),
    logger,
  }, { workers: 2 });
  const stop = new AbortController();
  const running = gc.run(stop.signal);
  try {
    await until(() => gc.isSynced(), { what: "the monitors to sync" });
    const resources = gc.monitoredResources;
    for (
      const want of [
        "pods",
        "configmaps",
        "nodes",
        "namespaces",
        "replicasets.apps",
        "leases.coordination.k8s.io",
      ]
    ) {
      assert.ok(resources.includes(want), want);
    }
    assert.ok(!resources.includes("events") && !resources.includes("events.events.k8s.io"));
    const cms = api.client.resource({
      group: "",
      version: "v1",
      resource: "configmaps",
      kind: "ConfigMap",
      namespaced: true,
    });
    const owner = await cms.create({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { namespace: "default", name: "o" },
    });
    await cms.create({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: {
        namespace: "default",
        name: "d",
        ownerReferences: [{
          apiVersion: "v1",
          kind: "ConfigMap",
          name: "o",
          uid: owner.metadata!.uid!,
        }],
      },
    });
    await until(() => gc.graph.get(owner.metadata!.uid!)?.dependentsLength() === 1, {
      what: "the edge",
    });
    await cms.delete("o", { namespace: "default" });
    await until(async () => (await cms.list({ namespace: "default" })).items.length === 0, {
      what: "the dependent to be collected",
    });
  } finally {
    stop.abort();
    await running;
  }
  const messages = logger.messages();
  assert.ok(messages.includes("Proceeding to collect garbage"));
  assert.equal(messages.filter((m) => m === "Shutting down controller").length, 1);
});
