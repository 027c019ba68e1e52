import assert from "node:assert/strict";
import type { ObjectMeta } from "../api/types/meta_v1.ts";
import { FakeClock } from "../util/clock.ts";
import { RecordingLogger } from "../util/logger.ts";
import { type Responder, scriptedListWatch, until } from "./_test_transport.ts";
import { MetadataClient } from "./metadata_client.ts";
import { type DeletedMetadata, MetadataInformer } from "./metadata_informer.ts";
import { PODS } from "./resources.ts";

function item(name: string, uid: string, rv: string) {
  return { metadata: { namespace: "default", name, uid, resourceVersion: rv } };
}

function list(items: unknown[], rv: string, cont?: string): Response {
  return Response.json({
    kind: "PartialObjectMetadataList",
    apiVersion: "meta.k8s.io/v1",
    metadata: { resourceVersion: rv, ...(cont ? { continue: cont } : {}) },
    items,
  });
}

function setup(lists: Responder[], watches: Responder[] = []) {
  const { transport, streams } = scriptedListWatch(lists, watches);
  const clock = new FakeClock(1_000_000);
  const informer = new MetadataInformer(new MetadataClient(transport).resource(PODS), {
    clock,
    logger: new RecordingLogger(),
    random: () => 0,
  });
  const calls: string[] = [];
  const name = (m: ObjectMeta) => `${m.name}/${m.uid}@${m.resourceVersion}`;
  informer.addHandler({
    add: (m, initial) => calls.push(`add ${name(m)}${initial ? " (initial)" : ""}`),
    update: (m) => calls.push(`update ${name(m)}`),
    delete: (d: DeletedMetadata) =>
      calls.push(
        `delete ${d.uid}${d.finalStateUnknown ? " (final state unknown)" : ""}${
          d.metadata ? ` ${name(d.metadata)}` : ""
        }`,
      ),
  });
  const stop = new AbortController();
  const running = informer.run(stop.signal);
  return {
    transport,
    streams,
    clock,
    informer,
    calls,
    async [Symbol.asyncDispose]() {
      stop.abort();
      await running;
    },
  };
}

Deno.test("MetadataInformer lists in pages, then hands watch events to its handlers", async () => {
  await using t = setup([
    (req) =>
      req.query.get("continue") === "p2"
        ? list([item("b", "u2", "7")], "10")
        : list([item("a", "u1", "5")], "10", "p2"),
  ]);
  assert.equal(await t.informer.waitForSync(), true);
  assert.deepEqual(t.calls, ["add a/u1@5 (initial)", "add b/u2@7 (initial)"]);
  assert.equal(t.transport.requests[0]!.query.get("limit"), "500");
  await until(() => t.streams.length === 1, "the watch");
  const watch = t.transport.watches()[0]!;
  assert.equal(watch.query.get("resourceVersion"), "10");
  assert.equal(watch.query.get("allowWatchBookmarks"), "true");
  const stream = t.streams[0]!;
  stream.send("ADDED", { kind: "Pod", ...item("c", "u3", "11"), spec: { containers: [] } });
  stream.send("MODIFIED", item("a", "u1", "12"));
  stream.send("DELETED", item("b", "u2", "13"));
  stream.send("BOOKMARK", { kind: "Pod", metadata: { resourceVersion: "20" } });
  await until(() => t.informer.lastSyncResourceVersion() === "20", "the bookmark");
  assert.deepEqual(t.calls.slice(2), [
    "add c/u3@11",
    "update a/u1@12",
    "delete u2 b/u2@13",
  ]);
  assert.equal(t.informer.size, 2);
  assert.equal(t.informer.has("u1"), true);
  assert.equal(t.informer.has("u2"), false);
});

Deno.test("MetadataInformer relists after 410 Gone and tells only what changed, by uid", async () => {
  await using t = setup([
    () =>
      list([item("same", "u1", "5"), item("changed", "u2", "6"), item("reused", "u3", "7")], "10"),
    () =>
      list([
        item("same", "u1", "5"),
        item("changed", "u2", "16"),
        item("reused", "u4", "17"),
        item("new", "u5", "18"),
      ], "20"),
  ], [
    () =>
      Response.json({
        kind: "Status",
        status: "Failure",
        code: 410,
        reason: "Expired",
        message: "too old resource version",
      }, { status: 410 }),
  ]);
  await until(() => t.informer.lastSyncResourceVersion() === "20", "the relist");
  assert.deepEqual(t.calls.slice(3), [
    "add reused/u4@17",
    "add new/u5@18",
    "update changed/u2@16",
    "delete u3 (final state unknown)",
  ]);
  assert.equal(t.informer.size, 4);
});

Deno.test("MetadataInformer backs off on the clock after a failed list", async () => {
  let tries = 0;
  await using t = setup([
    () => {
      tries++;
      return tries === 1
        ? Response.json({ kind: "Status", code: 500, message: "boom" }, { status: 500 })
        : list([item("a", "u1", "5")], "10");
    },
  ]);
  await until(() => t.clock.pendingTimers > 0, "the backoff timer");
  assert.equal(t.informer.hasSynced(), false);
  t.clock.advance(800);
  assert.equal(await t.informer.waitForSync(), true);
  assert.equal(tries, 2);
});

Deno.test("MetadataInformer.run() runs at most once, and a stopped informer never syncs", async () => {
  const t = setup([
    (req) =>
      new Promise<Response>((_, reject) =>
        req.signal?.addEventListener("abort", () => reject(req.signal?.reason))
      ),
  ]);
  await assert.rejects(t.informer.run(new AbortController().signal), TypeError);
  const waiting = t.informer.waitForSync();
  await t[Symbol.asyncDispose]();
  assert.equal(await waiting, false);
});

Deno.test("MetadataInformer lists in one page when the continue token expired, and watches again after a dropped watch", async () => {
  await using t = setup([
    (req) => {
      if (req.query.get("continue") === "old") {
        return Response.json({ kind: "Status", code: 410, reason: "Expired" }, { status: 410 });
      }
      if (req.query.get("limit") === null) {
        return list([item("a", "u1", "5"), item("b", "u2", "9")], "12");
      }
      return list([item("a", "u1", "5")], "10", "old");
    },
  ]);
  assert.equal(await t.informer.waitForSync(), true);
  // The first page is dropped with its token: each object is told once.
  assert.deepEqual(t.calls, ["add a/u1@5 (initial)", "add b/u2@9 (initial)"]);
  assert.equal(t.informer.lastSyncResourceVersion(), "12");
  await until(() => t.streams.length === 1, "the watch");
  t.streams[0]!.send("MODIFIED", item("a", "u1", "13"));
  await until(() => t.informer.lastSyncResourceVersion() === "13", "the event");
  t.streams[0]!.end();
  await until(() => t.streams.length === 2, "the second watch");
  assert.equal(t.transport.watches()[1]!.query.get("resourceVersion"), "13");
  assert.equal(t.transport.lists().length, 3, "no relist");
});
