import assert from "node:assert/strict";
import type { ReplicaSet } from "../api/types/apps_v1.ts";
import type { Pod } from "../api/types/core_v1_pod.ts";
import type { LabelSelector, OwnerReference } from "../api/types/meta_v1.ts";
import { deepFreeze, ObjectStore } from "../client/store.ts";
import { RecordingLogger } from "../util/logger.ts";
import { OwnerLookup } from "./owner_lookup.ts";

const KIND = { apiVersion: "apps/v1", kind: "ReplicaSet" };

function rs(name: string, selector?: LabelSelector, namespace = "default"): ReplicaSet {
  return deepFreeze({
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    metadata: { name, namespace, uid: `uid-${name}` },
    spec: { ...(selector ? { selector } : {}), template: {} },
  } as ReplicaSet);
}

function pod(name: string, labels?: Record<string, string>, ref?: OwnerReference): Pod {
  return deepFreeze({
    metadata: {
      name,
      namespace: "default",
      ...(labels ? { labels } : {}),
      ...(ref ? { ownerReferences: [ref] } : {}),
    },
  });
}

function ref(name: string, fields: Partial<OwnerReference> = {}): OwnerReference {
  return {
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    name,
    uid: `uid-${name}`,
    controller: true,
    ...fields,
  };
}

function lookup(...owners: ReplicaSet[]) {
  const store = new ObjectStore<ReplicaSet>();
  for (const o of owners) store.add(o);
  const logger = new RecordingLogger();
  const owners_ = new OwnerLookup<ReplicaSet>({
    store,
    kind: KIND,
    selector: (o) => o.spec?.selector,
    overlapWarning: {
      logger,
      message: "More than one ReplicaSet is selecting pods with these labels",
      objectField: "pod",
      ownersField: "replicaSets",
    },
  });
  return { store, logger, owners: owners_ };
}

Deno.test("OwnerLookup.resolve() finds the owner only for the same kind, name and uid", async (t) => {
  const { owners } = lookup(rs("web", { matchLabels: { app: "web" } }));
  const cases: { name: string; ref: OwnerReference; namespace?: string; want: boolean }[] = [
    { name: "kind, name and uid match", ref: ref("web"), want: true },
    { name: "another kind", ref: ref("web", { kind: "StatefulSet" }), want: false },
    { name: "another uid (a new owner of the name)", ref: ref("web", { uid: "old" }), want: false },
    { name: "another name", ref: ref("api"), want: false },
    { name: "another namespace", ref: ref("web"), namespace: "other", want: false },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const got = owners.resolve(c.namespace ?? "default", c.ref);
      assert.equal(got?.metadata?.name, c.want ? "web" : undefined);
    });
  }
});

Deno.test("OwnerLookup.controllerOf() resolves the controllerRef, not other owner references", () => {
  const { owners } = lookup(rs("web", { matchLabels: { app: "web" } }));
  assert.equal(owners.controllerOf(pod("a", {}, ref("web")))?.metadata?.name, "web");
  assert.equal(owners.controllerOf(pod("b", {}, ref("web", { controller: false }))), undefined);
  assert.equal(owners.controllerOf(pod("c")), undefined);
});

Deno.test("OwnerLookup.selectorOf() caches a frozen owner's selector and is null for an invalid one", () => {
  const { owners } = lookup();
  const web = rs("web", { matchLabels: { app: "web" } });
  const first = owners.selectorOf(web);
  assert.ok(first?.matches({ app: "web" }));
  assert.equal(owners.selectorOf(web), first, "the same compiled selector again");
  const bad = rs("bad", { matchExpressions: [{ key: "app", operator: "Near" }] });
  assert.equal(owners.selectorOf(bad), null);
  const mutable = structuredClone(web);
  assert.notEqual(owners.selectorOf(mutable), owners.selectorOf(mutable), "not cached");
  const none = new OwnerLookup<ReplicaSet>({ store: new ObjectStore(), kind: KIND });
  assert.equal(none.selectorOf(web), null, "no selector function: no selector");
});

Deno.test("OwnerLookup.matching() finds the owners whose non-empty selectors match the labels", async (t) => {
  const { owners } = lookup(
    rs("web", { matchLabels: { app: "web" } }),
    rs("all", {}),
    rs("nil"),
    rs("not-db", { matchExpressions: [{ key: "app", operator: "NotIn", values: ["db"] }] }),
    rs("elsewhere", { matchLabels: { app: "web" } }, "other"),
  );
  const cases: { name: string; labels?: Record<string, string>; want: string[] }[] = [
    {
      name: "labels of one selector (and of a NotIn one)",
      labels: { app: "web" },
      want: ["not-db", "web"],
    },
    { name: "labels of none but NotIn", labels: { app: "db" }, want: [] },
    { name: "no labels: no owner, even a NotIn one", want: [] },
    { name: "empty labels", labels: {}, want: [] },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const got = owners.matching(pod("p", c.labels)).map((o) => o.metadata?.name).sort();
      assert.deepEqual(got, c.want);
    });
  }
});

Deno.test("OwnerLookup.selecting() warns when more than one owner selects the object", () => {
  const { owners, logger } = lookup(
    rs("a", { matchLabels: { app: "web" } }),
    rs("b", { matchLabels: { app: "web" } }),
    rs("c", { matchLabels: { app: "db" } }),
  );
  assert.equal(owners.selecting(pod("db-1", { app: "db" })).length, 1);
  assert.deepEqual(logger.records, [], "one owner: no warning");
  assert.equal(owners.selecting(pod("web-1", { app: "web" })).length, 2);
  assert.equal(owners.matching(pod("web-2", { app: "web" })).length, 2);
  assert.deepEqual(logger.records, [{
    level: "warn",
    msg: "More than one ReplicaSet is selecting pods with these labels",
    fields: {
      pod: "default/web-1",
      labels: { app: "web" },
      replicaSets: ["default/a", "default/b"],
    },
  }]);
});
