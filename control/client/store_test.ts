import assert from "node:assert/strict";
import type { KubeObject } from "../api/types/meta_v1.ts";
import {
  deepFreeze,
  indexByLabel,
  indexByNodeName,
  indexByOwnerUid,
  metaNamespaceKey,
  NAMESPACE_INDEX,
  ObjectStore,
  splitMetaNamespaceKey,
} from "./store.ts";

function pod(
  name: string,
  options: {
    ns?: string;
    rv?: string;
    node?: string;
    labels?: Record<string, string>;
    owner?: string;
  } = {},
): KubeObject {
  return {
    metadata: {
      name,
      namespace: options.ns ?? "default",
      resourceVersion: options.rv ?? "1",
      ...(options.labels ? { labels: options.labels } : {}),
      ...(options.owner
        ? {
          ownerReferences: [{
            apiVersion: "apps/v1",
            kind: "ReplicaSet",
            name: "rs",
            uid: options.owner,
          }],
        }
        : {}),
    },
    spec: options.node ? { nodeName: options.node } : {},
  };
}

function names(objs: readonly KubeObject[]): string[] {
  return objs.map((o) => o.metadata?.name ?? "").sort();
}

Deno.test("metaNamespaceKey() and splitMetaNamespaceKey() use namespace/name, or name alone", async (t) => {
  const cases = [
    {
      obj: { metadata: { namespace: "default", name: "web" } },
      key: "default/web",
      ns: "default",
      name: "web",
    },
    { obj: { metadata: { name: "edge-1" } }, key: "edge-1", ns: "", name: "edge-1" },
  ];
  for (const c of cases) {
    await t.step(c.key, () => {
      assert.equal(metaNamespaceKey(c.obj), c.key);
      assert.deepEqual(splitMetaNamespaceKey(c.key), { namespace: c.ns, name: c.name });
    });
  }
  assert.throws(() => splitMetaNamespaceKey("a/b/c"), TypeError);
});

Deno.test("ObjectStore.add() freezes objects deeply and get() finds them by key", () => {
  const store = new ObjectStore();
  const obj = pod("web", { labels: { app: "web" } });
  assert.equal(store.add(obj), undefined);
  const got = store.get("default/web")!;
  assert.equal(got, obj);
  assert.ok(
    Object.isFrozen(got) && Object.isFrozen(got.metadata) && Object.isFrozen(got.metadata?.labels),
  );
  assert.throws(() => {
    (got.metadata as { name: string }).name = "x";
  }, TypeError);
  // A copy can be edited.
  const copy = structuredClone(got);
  copy.metadata!.name = "x";
  assert.equal(got.metadata?.name, "web");
  assert.equal(store.size, 1);
  assert.deepEqual(store.keys(), ["default/web"]);
});

Deno.test("ObjectStore.byIndex() follows adds, updates and deletes", () => {
  const store = new ObjectStore({
    indexers: { nodeName: indexByNodeName, owner: indexByOwnerUid, label: indexByLabel },
  });
  store.add(pod("a", { node: "n1", labels: { app: "web", tier: "front" }, owner: "u1" }));
  store.add(pod("b", { node: "n1", labels: { app: "db" }, owner: "u1" }));
  store.add(pod("c", { ns: "other", labels: { app: "web" } }));
  assert.deepEqual(names(store.byIndex("nodeName", "n1")), ["a", "b"]);
  assert.deepEqual(names(store.byIndex("owner", "u1")), ["a", "b"]);
  assert.deepEqual(names(store.byIndex("label", "app=web")), ["a", "c"]);
  assert.deepEqual(names(store.byIndex(NAMESPACE_INDEX, "other")), ["c"]);
  assert.deepEqual(store.indexValues("nodeName"), ["n1"]);

  // Moving a pod to another node moves it in the index.
  const old = store.update(pod("a", { node: "n2", rv: "2", labels: { app: "web" } }));
  assert.equal(old?.metadata?.resourceVersion, "1");
  assert.deepEqual(names(store.byIndex("nodeName", "n1")), ["b"]);
  assert.deepEqual(names(store.byIndex("nodeName", "n2")), ["a"]);
  assert.deepEqual(store.byIndex("label", "tier=front"), []);
  assert.deepEqual(store.indexKeys("owner", "u1"), ["default/b"]);

  assert.equal(store.delete("default/b")?.metadata?.name, "b");
  assert.equal(store.delete("default/b"), undefined);
  assert.deepEqual(store.byIndex("nodeName", "n1"), []);
  assert.deepEqual(store.indexValues("nodeName"), ["n2"]);
  assert.throws(() => store.byIndex("nope", "x"), {
    name: "RangeError",
    message: 'Cannot use index "nope": no index of that name',
  });
});

Deno.test("ObjectStore.addIndexers() indexes what is already stored and refuses a duplicate name", () => {
  const store = new ObjectStore();
  store.add(pod("a", { node: "n1" }));
  store.addIndexers({ nodeName: indexByNodeName });
  assert.deepEqual(names(store.byIndex("nodeName", "n1")), ["a"]);
  assert.throws(() => store.addIndexers({ nodeName: indexByNodeName }), TypeError);
  assert.deepEqual(store.indexNames(), [NAMESPACE_INDEX, "nodeName"]);
});

Deno.test("ObjectStore.list() is one frozen array until the next change", () => {
  const store = new ObjectStore();
  store.add(pod("a"));
  const first = store.list();
  assert.equal(store.list(), first);
  assert.ok(Object.isFrozen(first));
  store.add(pod("b"));
  assert.notEqual(store.list(), first);
  assert.deepEqual(names(store.list()), ["a", "b"]);
});

Deno.test("ObjectStore.replace() reports what a relist added, changed and removed", () => {
  const store = new ObjectStore({ indexers: { nodeName: indexByNodeName } });
  const kept = pod("kept", { rv: "1" });
  store.add(kept);
  store.add(pod("changed", { rv: "1", node: "n1" }));
  store.add(pod("gone", { rv: "1", node: "n1" }));
  const result = store.replace([
    pod("kept", { rv: "1" }),
    pod("changed", { rv: "5", node: "n2" }),
    pod("new", { rv: "6" }),
  ]);
  assert.deepEqual(names(result.added), ["new"]);
  assert.deepEqual(
    result.updated.map(([o, n]) => [o.metadata?.resourceVersion, n.metadata?.resourceVersion]),
    [["1", "5"]],
  );
  assert.deepEqual(names(result.deleted), ["gone"]);
  assert.equal(store.get("default/kept"), kept, "an unchanged object keeps its instance");
  assert.deepEqual(names(store.list()), ["changed", "kept", "new"]);
  assert.deepEqual(names(store.byIndex("nodeName", "n2")), ["changed"]);
  assert.deepEqual(store.byIndex("nodeName", "n1"), []);
});

Deno.test("deepFreeze() freezes nested arrays and objects and returns its argument", () => {
  const value = { a: [{ b: 1 }], c: { d: "e" } };
  assert.equal(deepFreeze(value), value);
  assert.ok(Object.isFrozen(value.a) && Object.isFrozen(value.a[0]) && Object.isFrozen(value.c));
});

Deno.test("deepFreeze() reaches objects in nested arrays, null-prototype objects and own keys only", () => {
  const bare = Object.assign(Object.create(null) as Record<string, unknown>, { k: { v: [1] } });
  const inherited = { shared: {} };
  const child = Object.assign(Object.create(inherited) as { own: { x: number[] } }, {
    own: { x: [1] },
  });
  const value = { rows: [[{ cell: { deep: [{}] } }]], bare, child };
  deepFreeze(value);
  assert.ok(Object.isFrozen(value.rows[0]![0]!.cell.deep[0]));
  assert.ok(Object.isFrozen((bare.k as { v: number[] }).v));
  assert.ok(Object.isFrozen(child.own.x));
  assert.ok(!Object.isFrozen(inherited.shared), "a prototype's properties are not the object's");
});
