import assert from "node:assert/strict";
import type { ReplicaSet } from "../api/types/apps_v1.ts";
import type { Pod } from "../api/types/core_v1_pod.ts";
import type { OwnerReference } from "../api/types/meta_v1.ts";
import { deepFreeze, ObjectStore } from "../client/store.ts";
import { FakeClock } from "../util/clock.ts";
import {
  availabilityRecheckMs,
  ownedObjectHandler,
  type OwnedObjectHandlerOptions,
  ownerHandler,
  type OwnerKeyQueue,
} from "./_controller_handlers.ts";
import { ControllerExpectations } from "./expectations.ts";
import { OwnerLookup } from "./owner_lookup.ts";

const KIND = { apiVersion: "apps/v1", kind: "ReplicaSet" };

/** Records the keys added, and those added later with their delay. */
class RecordingQueue implements OwnerKeyQueue {
  added: string[] = [];
  later: [string, number][] = [];

  add(key: string): void {
    this.added.push(key);
  }

  addAfter(key: string, delayMs: number): void {
    this.later.push([key, delayMs]);
  }

  take(): string[] {
    const out = this.added;
    this.added = [];
    return out;
  }
}

function rs(name: string, fields: { app?: string; minReadySeconds?: number } = {}): ReplicaSet {
  return deepFreeze({
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    metadata: { name, namespace: "default", uid: `uid-${name}` },
    spec: {
      selector: { matchLabels: { app: fields.app ?? name } },
      ...(fields.minReadySeconds !== undefined ? { minReadySeconds: fields.minReadySeconds } : {}),
      template: {},
    },
  } as ReplicaSet);
}

function controllerRef(name: string): OwnerReference {
  return { apiVersion: "apps/v1", kind: "ReplicaSet", name, uid: `uid-${name}`, controller: true };
}

interface PodFields {
  readonly rv?: string;
  readonly labels?: Record<string, string>;
  readonly owner?: string;
  readonly deleting?: boolean;
  readonly ready?: boolean;
}

function pod(name: string, fields: PodFields = {}): Pod {
  return deepFreeze({
    metadata: {
      name,
      namespace: "default",
      resourceVersion: fields.rv ?? "1",
      ...(fields.labels ? { labels: fields.labels } : {}),
      ...(fields.owner ? { ownerReferences: [controllerRef(fields.owner)] } : {}),
      ...(fields.deleting ? { deletionTimestamp: "2025-01-01T00:00:00Z" } : {}),
    },
    ...(fields.ready !== undefined
      ? { status: { conditions: [{ type: "Ready", status: fields.ready ? "True" : "False" }] } }
      : {}),
  });
}

function harness(options: Partial<OwnedObjectHandlerOptions<Pod, ReplicaSet>> = {}) {
  const store = new ObjectStore<ReplicaSet>();
  for (const o of [rs("web"), rs("web2", { app: "web" }), rs("db", { minReadySeconds: 10 })]) {
    store.add(o);
  }
  const queue = new RecordingQueue();
  const expectations = new ControllerExpectations({ clock: new FakeClock(0) });
  const handler = ownedObjectHandler<Pod, ReplicaSet>({
    owners: new OwnerLookup({ store, kind: KIND, selector: (o) => o.spec?.selector }),
    queue,
    expectations,
    ...options,
  });
  return { queue, expectations, handler };
}

Deno.test("ownedObjectHandler() add observes a creation of the owner or offers an orphan", async (t) => {
  await t.step("an owned pod lowers the owner's creations and enqueues it", () => {
    const h = harness();
    h.expectations.expectCreations("default/web", 2);
    h.handler.add(pod("a", { owner: "web" }), false);
    assert.deepEqual(h.queue.take(), ["default/web"]);
    assert.equal(h.expectations.get("default/web")?.add, 1);
  });
  await t.step("a pod of an unknown owner does nothing", () => {
    const h = harness();
    h.handler.add(pod("a", { owner: "gone" }), false);
    assert.deepEqual(h.queue.take(), []);
  });
  await t.step("an orphan goes to every owner selecting it", () => {
    const h = harness();
    h.handler.add(pod("a", { labels: { app: "web" } }), false);
    assert.deepEqual(h.queue.take().sort(), ["default/web", "default/web2"]);
  });
  await t.step("not an orphan when orphans are not adopted", () => {
    const h = harness({ adoptOrphans: false });
    h.handler.add(pod("a", { labels: { app: "web" } }), false);
    assert.deepEqual(h.queue.take(), []);
  });
  await t.step("an owned pod without enqueueOwnerOnAdd does nothing", () => {
    const h = harness({ enqueueOwnerOnAdd: false });
    h.expectations.expectCreations("default/web", 1);
    h.handler.add(pod("a", { owner: "web" }), false);
    assert.deepEqual(h.queue.take(), []);
    assert.equal(h.expectations.get("default/web")?.add, 1);
  });
  await t.step("a pod already being deleted is a deletion, not a creation", () => {
    const h = harness();
    h.expectations.expectDeletions("default/web", ["default/a"]);
    h.handler.add(pod("a", { owner: "web", deleting: true }), false);
    assert.deepEqual(h.queue.take(), ["default/web"]);
    assert.equal(h.expectations.get("default/web")?.del, 0);
  });
});

Deno.test("ownedObjectHandler() update enqueues the old and new owners and offers orphans", async (t) => {
  const cases: {
    name: string;
    old: PodFields;
    cur: PodFields;
    options?: Partial<OwnedObjectHandlerOptions<Pod, ReplicaSet>>;
    want: string[];
  }[] = [
    { name: "a resync does nothing", old: { owner: "web" }, cur: { owner: "web" }, want: [] },
    {
      name: "an owned pod enqueues its owner",
      old: { owner: "web" },
      cur: { rv: "2", owner: "web" },
      want: ["default/web"],
    },
    {
      name: "a changed controllerRef enqueues the old owner, then the new",
      old: { owner: "web" },
      cur: { rv: "2", owner: "db" },
      want: ["default/web", "default/db"],
    },
    {
      name: "a released pod enqueues the old owner and the owners selecting it",
      old: { owner: "web", labels: { app: "db" } },
      cur: { rv: "2", labels: { app: "db" } },
      want: ["default/web", "default/db"],
    },
    {
      name: "an orphan whose labels changed is offered to its new selectors",
      old: { labels: { app: "db" } },
      cur: { rv: "2", labels: { app: "web" } },
      want: ["default/web", "default/web2"],
    },
    {
      name: "an orphan with the same labels is not offered again",
      old: { labels: { app: "web" } },
      cur: { rv: "2", labels: { app: "web" } },
      want: [],
    },
    {
      name: "an orphan is not offered when orphans are not adopted",
      old: { labels: { app: "db" } },
      cur: { rv: "2", labels: { app: "web" } },
      options: { adoptOrphans: false },
      want: [],
    },
    {
      name: "deletionStart update: a terminating orphan with new labels is offered",
      old: { labels: { app: "db" } },
      cur: { rv: "2", labels: { app: "web" }, deleting: true },
      want: ["default/web", "default/web2"],
    },
    {
      name: "deletionStart delete: a terminating pod is a deletion of its owner only",
      old: { owner: "web", labels: { app: "db" } },
      cur: { rv: "2", owner: "web", labels: { app: "web" }, deleting: true },
      options: { deletionStart: "delete" },
      want: ["default/web"],
    },
    {
      name: "deletionStart delete: a terminating orphan is nobody's",
      old: { labels: { app: "db" } },
      cur: { rv: "2", labels: { app: "web" }, deleting: true },
      options: { deletionStart: "delete" },
      want: [],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const h = harness(c.options);
      h.handler.update(pod("a", c.old), pod("a", c.cur));
      assert.deepEqual(h.queue.take(), c.want);
    });
  }
});

Deno.test("ownedObjectHandler() update of a pod starting to terminate counts its deletion", async (t) => {
  await t.step("deleteOldToo: the old labels' owner is told too", () => {
    const h = harness({ deletionStart: "deleteOldToo" });
    h.expectations.expectDeletions("default/web", ["default/a"]);
    h.expectations.expectDeletions("default/db", ["default/a"]);
    h.handler.update(
      pod("a", { owner: "db", labels: { app: "db" } }),
      pod("a", { rv: "2", owner: "web", labels: { app: "web" }, deleting: true }),
    );
    assert.deepEqual(h.queue.take(), ["default/web", "default/db"]);
    assert.equal(h.expectations.get("default/web")?.del, 0);
    assert.equal(h.expectations.get("default/db")?.del, 0);
  });
  await t.step("deleteOldToo with the same labels: only the current owner", () => {
    const h = harness({ deletionStart: "deleteOldToo" });
    h.handler.update(
      pod("a", { owner: "web", labels: { app: "web" } }),
      pod("a", { rv: "2", owner: "web", labels: { app: "web" }, deleting: true }),
    );
    assert.deepEqual(h.queue.take(), ["default/web"]);
  });
  await t.step("update: no deletion is observed", () => {
    const h = harness();
    h.expectations.expectDeletions("default/web", ["default/a"]);
    h.handler.update(
      pod("a", { owner: "web" }),
      pod("a", { rv: "2", owner: "web", deleting: true }),
    );
    assert.deepEqual(h.queue.take(), ["default/web"]);
    assert.equal(h.expectations.get("default/web")?.del, 1);
  });
});

Deno.test("ownedObjectHandler() update rechecks availability when the owner asks", () => {
  const h = harness({ recheckAfterMs: availabilityRecheckMs });
  h.handler.update(
    pod("a", { owner: "db", ready: false }),
    pod("a", { rv: "2", owner: "db", ready: true }),
  );
  h.handler.update(
    pod("b", { owner: "web", ready: false }),
    pod("b", { rv: "2", owner: "web", ready: true }),
  );
  assert.deepEqual(h.queue.take(), ["default/db", "default/web"]);
  assert.deepEqual(h.queue.later, [["default/db", 11_000]], "only the owner with minReadySeconds");
});

Deno.test("ownedObjectHandler() delete observes the owner's deletion and enqueues it", () => {
  const h = harness();
  h.expectations.expectDeletions("default/web", ["default/a", "default/b"]);
  h.handler.delete(pod("a", { owner: "web" }), { finalStateUnknown: false });
  h.handler.delete(pod("c", { labels: { app: "web" } }), { finalStateUnknown: true });
  h.handler.delete(pod("d", { owner: "gone" }), { finalStateUnknown: false });
  assert.deepEqual(h.queue.take(), ["default/web"], "an orphan or a pod of a gone owner: nothing");
  assert.deepEqual(h.expectations.expectedDeletions("default/web"), ["default/b"]);
});

Deno.test("availabilityRecheckMs() is minReadySeconds + 1 s for a pod that just became ready", async (t) => {
  const cases: {
    name: string;
    minReadySeconds?: number;
    old: boolean;
    cur: boolean;
    want?: number;
  }[] = [
    { name: "became ready", minReadySeconds: 5, old: false, cur: true, want: 6000 },
    { name: "was ready already", minReadySeconds: 5, old: true, cur: true },
    { name: "became unready", minReadySeconds: 5, old: true, cur: false },
    { name: "no minReadySeconds", old: false, cur: true },
    { name: "minReadySeconds 0", minReadySeconds: 0, old: false, cur: true },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const owner = c.minReadySeconds === undefined
        ? {}
        : { spec: { minReadySeconds: c.minReadySeconds } };
      const got = availabilityRecheckMs(owner, {
        old: pod("a", { ready: c.old }),
        cur: pod("a", { ready: c.cur }),
      });
      assert.equal(got, c.want);
    });
  }
});

Deno.test("ownerHandler() enqueues the owner and forgets a deleted or replaced owner's expectations", () => {
  const queue = new RecordingQueue();
  const expectations = new ControllerExpectations({ clock: new FakeClock(0) });
  const seen: string[] = [];
  const handler = ownerHandler<ReplicaSet>({
    queue,
    expectations,
    updated: (_old, cur) => seen.push(cur.metadata?.uid ?? ""),
  });
  const web = rs("web");
  handler.add(web, false);
  expectations.expectCreations("default/web", 1);
  handler.update(web, web);
  assert.equal(expectations.get("default/web")?.add, 1, "same uid: kept");
  const replaced = deepFreeze({ ...web, metadata: { ...web.metadata, uid: "uid-new" } });
  handler.update(web, replaced);
  assert.equal(expectations.get("default/web"), undefined, "a new uid: forgotten");
  expectations.expectCreations("default/web", 1);
  handler.delete(replaced, { finalStateUnknown: false });
  assert.equal(expectations.get("default/web"), undefined, "deleted: forgotten");
  assert.deepEqual(queue.take(), Array(5).fill("default/web"));
  assert.deepEqual(seen, ["uid-web", "uid-new"]);
});

Deno.test("ownerHandler() without expectations only enqueues", () => {
  const queue = new RecordingQueue();
  const handler = ownerHandler<ReplicaSet>({ queue });
  const web = rs("web");
  handler.update(web, deepFreeze({ ...web, metadata: { ...web.metadata, uid: "uid-new" } }));
  handler.delete(web, { finalStateUnknown: false });
  assert.deepEqual(queue.take(), ["default/web", "default/web"]);
});
