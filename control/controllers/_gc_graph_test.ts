import assert from "node:assert/strict";
import type { ObjectMeta, OwnerReference } from "../api/types/meta_v1.ts";
import type { EventRecord, EventRecorder } from "../client/event_recorder.ts";
import type { KubeObject } from "../api/types/meta_v1.ts";
import { RecordingLogger } from "../util/logger.ts";
import {
  alternateOwnerIdentity,
  DependencyGraph,
  type GraphNode,
  type GraphOwnerRef,
  partitionDependents,
  referencesDiff,
} from "./_gc_graph.ts";
import { ReferenceCache } from "./_gc_reference_cache.ts";

const RS = { apiVersion: "apps/v1", kind: "ReplicaSet" };
const POD = { apiVersion: "v1", kind: "Pod" };
const NODE = { apiVersion: "v1", kind: "Node" };

class RecordingRecorder implements EventRecorder {
  readonly events: { object: KubeObject; record: EventRecord }[] = [];
  event(object: KubeObject, record: EventRecord): void {
    this.events.push({ object, record });
  }
}

function setup() {
  const deletes: GraphNode[] = [];
  const rateLimited: GraphNode[] = [];
  const orphans: GraphNode[] = [];
  const absent = new ReferenceCache(10);
  const recorder = new RecordingRecorder();
  const graph = new DependencyGraph({
    queues: {
      attemptToDelete: (n) => deletes.push(n),
      attemptToDeleteRateLimited: (n) => rateLimited.push(n),
      attemptToOrphan: (n) => orphans.push(n),
    },
    absentOwners: absent,
    recorder,
    logger: new RecordingLogger(),
  });
  const names = (nodes: GraphNode[]) => nodes.map((n) => n.name);
  return { graph, deletes, rateLimited, orphans, absent, recorder, names };
}

function ref(name: string, uid: string, extra: Partial<OwnerReference> = {}): OwnerReference {
  return { apiVersion: "apps/v1", kind: "ReplicaSet", name, uid, ...extra };
}

function meta(name: string, uid: string, extra: Partial<ObjectMeta> = {}): ObjectMeta {
  return { namespace: "default", name, uid, resourceVersion: "1", ...extra };
}

function graphRef(name: string, uid: string, extra: Partial<GraphOwnerRef> = {}): GraphOwnerRef {
  return {
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    name,
    uid,
    controller: false,
    blockOwnerDeletion: false,
    ...extra,
  };
}

Deno.test("DependencyGraph.observe() links a dependent to a virtual owner and queues the owner", () => {
  const { graph, deletes, names } = setup();
  graph.observe(POD, meta("web-1", "p1", { ownerReferences: [ref("web", "rs1")] }));
  const owner = graph.get("rs1");
  assert.ok(owner);
  assert.equal(owner.isVirtual(), true);
  assert.equal(owner.isObserved(), false);
  assert.deepEqual(owner.identity(), {
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    namespace: "default",
    name: "web",
    uid: "rs1",
  });
  assert.deepEqual(names(owner.dependents()), ["web-1"]);
  assert.deepEqual(names(deletes), ["web"]);
  // A second dependent of the same virtual owner does not queue it again.
  graph.observe(POD, meta("web-2", "p2", { ownerReferences: [ref("web", "rs1")] }));
  assert.deepEqual(names(deletes), ["web"]);
  assert.equal(owner.dependentsLength(), 2);
  assert.equal(graph.size, 3);
});

Deno.test("DependencyGraph.observe() marks a virtual owner observed when its informer sees it", () => {
  const { graph, deletes, names } = setup();
  graph.observe(POD, meta("web-1", "p1", { ownerReferences: [ref("web", "rs1")] }));
  deletes.length = 0;
  graph.observe(RS, meta("web", "rs1"));
  const owner = graph.get("rs1")!;
  assert.equal(owner.isObserved(), true);
  assert.equal(owner.isVirtual(), true, "made from a reference, seen since");
  assert.deepEqual(names(owner.dependents()), ["web-1"]);
  assert.deepEqual(deletes, [], "matching dependents are not queued");
});

Deno.test("DependencyGraph.observe() queues dependents whose reference disagrees with what is observed", () => {
  const { graph, deletes, recorder, names } = setup();
  // Two dependents name the uid: one in the owner's namespace, one in another namespace.
  graph.observe(POD, meta("ok", "p1", { ownerReferences: [ref("web", "rs1")] }));
  graph.observe(
    POD,
    meta("stray", "p2", { namespace: "other", ownerReferences: [ref("web", "rs1")] }),
  );
  deletes.length = 0;
  graph.observe(RS, meta("web", "rs1", { namespace: "other" }));
  // The virtual node was made in "default" (the first dependent's); seen in "other".
  assert.deepEqual(names(deletes), ["ok"]);
  assert.equal(recorder.events.length, 1);
  const [{ object, record }] = recorder.events as [{ object: KubeObject; record: EventRecord }];
  assert.deepEqual(object, {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "ok", uid: "p1", namespace: "default" },
  });
  assert.deepEqual(record, {
    type: "Warning",
    reason: "OwnerRefInvalidNamespace",
    message:
      'ownerRef [apps/v1/ReplicaSet, namespace: default, name: web, uid: rs1] does not exist in namespace "default"',
  });
  assert.equal(graph.get("rs1")!.namespace, "other");
});

Deno.test("DependencyGraph.observe() reports a dependent named in another namespace than its observed owner", async (t) => {
  const cases = [
    { name: "namespaced dependent", namespace: "other", reported: true, queued: true },
    { name: "cluster-scoped dependent", namespace: "", reported: true, queued: true },
    { name: "same namespace", namespace: "default", reported: false, queued: false },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const { graph, deletes, recorder, names } = setup();
      graph.observe(RS, meta("web", "rs1"));
      graph.observe(
        c.namespace === "" ? NODE : POD,
        meta("dep", "d1", { namespace: c.namespace, ownerReferences: [ref("web", "rs1")] }),
      );
      assert.equal(recorder.events.length, c.reported ? 1 : 0);
      if (c.reported) {
        assert.equal(
          recorder.events[0]!.record.message,
          `ownerRef [apps/v1/ReplicaSet, namespace: ${c.namespace}, name: web, uid: rs1] does not exist in namespace "${c.namespace}"`,
        );
      }
      assert.deepEqual(names(deletes), c.queued ? ["dep"] : []);
    });
  }
});

Deno.test("DependencyGraph.observe() queues a dependent whose reference names other coordinates", () => {
  const { graph, deletes, names } = setup();
  graph.observe(RS, meta("web", "rs1"));
  graph.observe(POD, meta("p", "p1", { ownerReferences: [ref("other-name", "rs1")] }));
  assert.deepEqual(names(deletes), ["p"]);
});

Deno.test("DependencyGraph.observe() follows owner reference changes", () => {
  const { graph, deletes, names } = setup();
  graph.observe(RS, meta("a", "rs-a"));
  graph.observe(RS, meta("b", "rs-b"));
  graph.observe(POD, meta("p", "p1", { ownerReferences: [ref("a", "rs-a")] }));
  assert.deepEqual(names(graph.get("rs-a")!.dependents()), ["p"]);
  graph.observe(
    POD,
    meta("p", "p1", { resourceVersion: "2", ownerReferences: [ref("b", "rs-b")] }),
  );
  assert.deepEqual(graph.get("rs-a")!.dependents(), []);
  assert.deepEqual(names(graph.get("rs-b")!.dependents()), ["p"]);
  assert.deepEqual(graph.get("p1")!.owners.map((o) => o.name), ["b"]);
  assert.deepEqual(deletes, []);
});

Deno.test("DependencyGraph.observe() queues an owner whose blocking reference is removed or unblocked", async (t) => {
  for (const change of ["removed", "unblocked"] as const) {
    await t.step(change, () => {
      const { graph, deletes, names } = setup();
      graph.observe(RS, meta("web", "rs1"));
      graph.observe(
        POD,
        meta("p", "p1", { ownerReferences: [ref("web", "rs1", { blockOwnerDeletion: true })] }),
      );
      graph.observe(
        POD,
        meta("p", "p1", {
          resourceVersion: "2",
          ...(change === "unblocked"
            ? { ownerReferences: [ref("web", "rs1", { blockOwnerDeletion: false })] }
            : {}),
        }),
      );
      assert.deepEqual(names(deletes), ["web"]);
    });
  }
});

Deno.test("DependencyGraph.observe() queues an owner deleted with the orphan finalizer for orphaning", () => {
  const { graph, orphans, deletes, names } = setup();
  graph.observe(RS, meta("web", "rs1"));
  graph.observe(POD, meta("p", "p1", { ownerReferences: [ref("web", "rs1")] }));
  const deleting = { deletionTimestamp: "2025-01-01T00:00:00Z", finalizers: ["orphan"] };
  graph.observe(RS, meta("web", "rs1", { resourceVersion: "2", ...deleting }));
  assert.deepEqual(names(orphans), ["web"]);
  assert.equal(graph.get("rs1")!.isBeingDeleted(), true);
  assert.equal(graph.get("rs1")!.isDeletingDependents(), false);
  // Seen again in the same state: not queued again.
  graph.observe(RS, meta("web", "rs1", { resourceVersion: "3", ...deleting }));
  assert.deepEqual(names(orphans), ["web"]);
  assert.deepEqual(deletes, []);
});

Deno.test("DependencyGraph.observe() starts a foreground deletion: the owner and its dependents are queued", () => {
  const { graph, deletes, names } = setup();
  graph.observe(RS, meta("web", "rs1"));
  graph.observe(POD, meta("p1", "p1", { ownerReferences: [ref("web", "rs1")] }));
  graph.observe(POD, meta("p2", "p2", { ownerReferences: [ref("web", "rs1")] }));
  graph.observe(
    RS,
    meta("web", "rs1", {
      resourceVersion: "2",
      deletionTimestamp: "2025-01-01T00:00:00Z",
      finalizers: ["foregroundDeletion"],
    }),
  );
  const owner = graph.get("rs1")!;
  assert.equal(owner.isDeletingDependents(), true);
  assert.deepEqual(names(deletes).sort(), ["p1", "p2", "web"]);
});

Deno.test("DependencyGraph.observe() of an object first seen being deleted in the foreground", () => {
  const { graph, deletes, names } = setup();
  graph.observe(
    RS,
    meta("web", "rs1", {
      deletionTimestamp: "2025-01-01T00:00:00Z",
      finalizers: ["foregroundDeletion"],
    }),
  );
  assert.equal(graph.get("rs1")!.isDeletingDependents(), true);
  assert.deepEqual(names(deletes), ["web"]);
});

Deno.test("DependencyGraph.observeDeleted() removes the node, remembers it absent and queues its dependents", () => {
  const { graph, deletes, absent, names } = setup();
  graph.observe(RS, meta("web", "rs1"));
  graph.observe(POD, meta("p1", "p1", { ownerReferences: [ref("web", "rs1")] }));
  graph.observeDeleted(RS, { uid: "rs1", metadata: meta("web", "rs1") });
  assert.equal(graph.get("rs1"), undefined);
  assert.deepEqual(names(deletes), ["p1"]);
  assert.equal(
    absent.has({
      apiVersion: "apps/v1",
      kind: "ReplicaSet",
      namespace: "default",
      name: "web",
      uid: "rs1",
    }),
    true,
  );
  // A relist that finds an object gone knows only its uid: the node's coordinates are used.
  graph.observe(RS, meta("api", "rs2"));
  graph.observe(POD, meta("p2", "p2", { ownerReferences: [ref("api", "rs2")] }));
  graph.observeDeleted(RS, { uid: "rs2" });
  assert.equal(
    absent.has({
      apiVersion: "apps/v1",
      kind: "ReplicaSet",
      namespace: "default",
      name: "api",
      uid: "rs2",
    }),
    true,
  );
  // Unknown uids are ignored.
  graph.observeDeleted(RS, { uid: "nope" });
});

Deno.test("DependencyGraph.observeDeleted() of a dependent queues its owner waiting in the foreground", () => {
  const { graph, deletes, names } = setup();
  graph.observe(RS, meta("web", "rs1"));
  graph.observe(POD, meta("p1", "p1", { ownerReferences: [ref("web", "rs1")] }));
  graph.observe(
    RS,
    meta("web", "rs1", {
      resourceVersion: "2",
      deletionTimestamp: "2025-01-01T00:00:00Z",
      finalizers: ["foregroundDeletion"],
    }),
  );
  deletes.length = 0;
  graph.observeDeleted(POD, { uid: "p1" });
  assert.deepEqual(names(deletes), ["web"]);
  assert.equal(graph.get("rs1")!.dependentsLength(), 0);
});

Deno.test("DependencyGraph.virtualDelete() removes a virtual owner every dependent agrees on", () => {
  const { graph, deletes, absent, names } = setup();
  graph.observe(POD, meta("p1", "p1", { ownerReferences: [ref("web", "rs1")] }));
  const identity = graph.get("rs1")!.identity();
  deletes.length = 0;
  graph.virtualDelete(identity);
  assert.equal(graph.get("rs1"), undefined);
  assert.deepEqual(names(deletes), ["p1"]);
  assert.equal(absent.has(identity), true);
});

Deno.test("DependencyGraph.virtualDelete() tries a virtual owner's other identity", () => {
  const { graph, deletes, rateLimited, absent, names } = setup();
  graph.observe(POD, meta("p1", "p1", { ownerReferences: [ref("web", "x1")] }));
  graph.observe(
    POD,
    meta("p2", "p2", {
      ownerReferences: [{ apiVersion: "v1", kind: "ConfigMap", name: "cfg", uid: "x1" }],
    }),
  );
  const first = graph.get("x1")!.identity();
  deletes.length = 0;
  graph.virtualDelete(first);
  const node = graph.get("x1")!;
  assert.ok(node, "kept for the dependent that names it otherwise");
  assert.deepEqual(names(deletes), ["p1"], "the matching dependent is queued");
  assert.equal(absent.has(first), true);
  assert.deepEqual(node.identity(), {
    apiVersion: "v1",
    kind: "ConfigMap",
    namespace: "default",
    name: "cfg",
    uid: "x1",
  });
  assert.deepEqual(rateLimited, [node]);
});

Deno.test("DependencyGraph.virtualDelete() keeps an observed node named by other coordinates", () => {
  const { graph, deletes, absent, names } = setup();
  graph.observe(RS, meta("web", "rs1"));
  graph.observe(POD, meta("p1", "p1", { ownerReferences: [ref("wrong-name", "rs1")] }));
  deletes.length = 0;
  const wrong = {
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    namespace: "default",
    name: "wrong-name",
    uid: "rs1",
  };
  graph.virtualDelete(wrong);
  assert.ok(graph.get("rs1"));
  assert.deepEqual(names(deletes), ["p1"]);
  assert.equal(absent.has(wrong), true);
  // Its own coordinates confirmed absent: it goes.
  graph.virtualDelete(graph.get("rs1")!.identity());
  assert.equal(graph.get("rs1"), undefined);
});

Deno.test("GraphNode.blockingDependents() lists dependents that block their owner's deletion", () => {
  const { graph, names } = setup();
  graph.observe(RS, meta("web", "rs1"));
  graph.observe(
    POD,
    meta("blocks", "p1", { ownerReferences: [ref("web", "rs1", { blockOwnerDeletion: true })] }),
  );
  graph.observe(POD, meta("free", "p2", { ownerReferences: [ref("web", "rs1")] }));
  assert.deepEqual(names(graph.get("rs1")!.blockingDependents()), ["blocks"]);
});

Deno.test("GraphNode queue notes tell a virtual queueing from a real one", () => {
  const { graph } = setup();
  graph.observe(POD, meta("p1", "p1", { ownerReferences: [ref("web", "rs1")] }));
  const owner = graph.get("rs1")!;
  owner.noteQueued();
  graph.observe(RS, meta("web", "rs1"));
  assert.equal(owner.takeQueuedVirtual(), true);
  assert.equal(owner.takeQueuedVirtual(), false, "taken once");
  owner.noteQueued();
  assert.equal(owner.takeQueuedVirtual(), false, "queued while observed");
});

Deno.test("DependencyGraph shares the strings and owner lists of owners it knows", () => {
  const { graph } = setup();
  graph.observe(RS, meta("web", "rs-uid-1"));
  graph.observe(POD, meta("p1", "p1", { ownerReferences: [ref("web", "rs-uid-1")] }));
  const owner = graph.get("rs-uid-1")!;
  const dep = graph.get("p1")!;
  assert.equal(dep.owners[0]!.uid, owner.uid);
  assert.deepEqual(dep.owners[0], graphRef("web", "rs-uid-1"));
  assert.equal(graph.get("p1")!.owners.length, 1);
  // Dependents naming the same single owner the same way share one frozen owners list.
  graph.observe(POD, meta("p2", "p2", { ownerReferences: [ref("web", "rs-uid-1")] }));
  assert.equal(graph.get("p2")!.owners, dep.owners);
  assert.ok(Object.isFrozen(dep.owners) && Object.isFrozen(dep.owners[0]));
  graph.observe(
    POD,
    meta("p3", "p3", { ownerReferences: [ref("web", "rs-uid-1", { controller: true })] }),
  );
  assert.notEqual(graph.get("p3")!.owners, dep.owners);
  assert.equal(graph.get("p3")!.owners[0]!.controller, true);
  assert.equal(graph.get("p2")!.owners[0]!.controller, false);
});

Deno.test("partitionDependents() splits dependents by whether they name the owner's coordinates", () => {
  const { graph, names } = setup();
  graph.observe(POD, meta("match", "p1", { ownerReferences: [ref("web", "rs1")] }));
  graph.observe(POD, meta("other-name", "p2", { ownerReferences: [ref("api", "rs1")] }));
  graph.observe(
    POD,
    meta("other-ns", "p3", { namespace: "x", ownerReferences: [ref("web", "rs1")] }),
  );
  const owner = graph.get("rs1")!;
  const { matching, nonmatching } = partitionDependents(owner.dependents(), owner.identity());
  assert.deepEqual(names(matching), ["match"]);
  assert.deepEqual(names(nonmatching).sort(), ["other-name", "other-ns"]);
});

Deno.test("alternateOwnerIdentity() picks the identity that prints first", () => {
  const { graph } = setup();
  graph.observe(POD, meta("a", "p1", { ownerReferences: [ref("zeta", "u1")] }));
  graph.observe(POD, meta("b", "p2", { ownerReferences: [ref("beta", "u1")] }));
  graph.observe(POD, meta("c", "p3", { ownerReferences: [ref("alpha", "u1")] }));
  const owner = graph.get("u1")!;
  const absent = { ...owner.identity(), name: "zeta" };
  assert.equal(alternateOwnerIdentity(owner.dependents(), absent)?.name, "alpha");
  assert.equal(
    alternateOwnerIdentity([graph.get("p1")!], absent),
    null,
    "no other identity",
  );
});

Deno.test("referencesDiff() tells added, removed and changed references by uid", () => {
  const a = graphRef("a", "1");
  const b = graphRef("b", "2", { blockOwnerDeletion: true });
  const c = graphRef("c", "3");
  const b2 = graphRef("b", "2");
  const diff = referencesDiff([a, b], [b2, c]);
  assert.deepEqual(diff.added, [c]);
  assert.deepEqual(diff.removed, [a]);
  assert.deepEqual(diff.changed, [[b, b2]]);
  assert.deepEqual(referencesDiff([a], [a]), { added: [], removed: [], changed: [] });
});
