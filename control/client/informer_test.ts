import assert from "node:assert/strict";
import type { KubeObject } from "../api/types/meta_v1.ts";
import { FakeClock } from "../util/clock.ts";
import { RecordingLogger } from "../util/logger.ts";
import { createTestApp } from "../api/_test_app.ts";
import { createTestPki, startTestHttps } from "../api/_test_https.ts";
import {
  ControlledTransport,
  type Responder,
  type ScriptedListWatch,
  scriptedListWatch,
  until,
} from "./_test_transport.ts";
import { HttpsTransport } from "./transport.ts";
import { Client } from "./client.ts";
import { Informer, type InformerOptions } from "./informer.ts";
import { CONFIG_MAPS } from "./resources.ts";
import { indexByLabel } from "./store.ts";

function cm(name: string, rv: string, data: Record<string, string> = {}): KubeObject {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name, namespace: "default", resourceVersion: rv, labels: { app: name } },
    data,
  };
}

function list(items: KubeObject[], rv: string, cont?: string): Response {
  return Response.json({
    apiVersion: "v1",
    kind: "ConfigMapList",
    metadata: { resourceVersion: rv, ...(cont ? { continue: cont } : {}) },
    items,
  });
}

function status(code: number, reason: string, message: string) {
  return { kind: "Status", apiVersion: "v1", status: "Failure", code, reason, message };
}

/** What the handlers were told, one line per call. */
function recorder() {
  const calls: string[] = [];
  const name = (o: KubeObject) => `${o.metadata?.name}@${o.metadata?.resourceVersion}`;
  return {
    calls,
    handler: {
      add: (obj: KubeObject, initial: boolean) => {
        assert.ok(
          Object.isFrozen(obj) && Object.isFrozen(obj.metadata),
          "handlers get frozen objects",
        );
        calls.push(`add ${name(obj)}${initial ? " (initial)" : ""}`);
      },
      update: (old: KubeObject, obj: KubeObject) =>
        calls.push(`update ${name(old)} -> ${name(obj)}`),
      delete: (obj: KubeObject, info: { finalStateUnknown: boolean }) =>
        calls.push(`delete ${name(obj)}${info.finalStateUnknown ? " (final state unknown)" : ""}`),
    },
  };
}

function setup(lists: Responder[], options: Partial<InformerOptions<KubeObject>> = {}) {
  const api = scriptedListWatch(lists);
  const clock = new FakeClock(1_000_000);
  const logger = new RecordingLogger();
  const informer = new Informer(new Client(api.transport).resource(CONFIG_MAPS), {
    clock,
    logger,
    namespace: "default",
    random: () => 0,
    ...options,
  });
  const rec = recorder();
  informer.addHandler(rec.handler);
  const stop = new AbortController();
  const running = informer.run(stop.signal);
  return {
    ...api,
    clock,
    logger,
    informer,
    calls: rec.calls,
    stop,
    running,
    async [Symbol.asyncDispose]() {
      stop.abort();
      await running;
    },
  };
}

Deno.test("Informer.run() lists in pages, then watches from the list's resourceVersion with bookmarks", async () => {
  await using t = setup([
    (req) =>
      req.query.get("continue") === "page2"
        ? list([cm("b", "7")], "10")
        : list([cm("a", "5")], "10", "page2"),
  ]);
  assert.equal(t.informer.hasSynced(), false);
  assert.equal(await t.informer.waitForSync(), true);
  assert.deepEqual(t.calls, ["add a@5 (initial)", "add b@7 (initial)"]);
  const [first, second] = t.transport.lists();
  assert.equal(first?.pathname, "/api/v1/namespaces/default/configmaps");
  assert.equal(first?.query.get("limit"), "500");
  assert.equal(first?.query.get("continue"), null);
  assert.equal(second?.query.get("continue"), "page2");
  await until(() => t.transport.watches().length === 1, "the watch");
  const watch = t.transport.watches()[0]!;
  assert.equal(watch.query.get("resourceVersion"), "10");
  assert.equal(watch.query.get("allowWatchBookmarks"), "true");
  assert.equal(watch.query.get("timeoutSeconds"), "300");
  assert.equal(t.informer.lastSyncResourceVersion(), "10");
  assert.deepEqual(t.informer.store.keys().sort(), ["default/a", "default/b"]);
});

Deno.test("Informer applies watch events to the store and tells the handlers", async () => {
  await using t = setup([() => list([cm("a", "5"), cm("b", "6")], "10")], {
    indexers: { label: indexByLabel },
  });
  await until(() => t.streams.length === 1, "the watch");
  const stream = t.streams[0]!;
  stream.send("ADDED", cm("c", "11"));
  stream.send("MODIFIED", cm("a", "12", { k: "2" }));
  stream.send("DELETED", cm("b", "13"));
  stream.send("BOOKMARK", {
    kind: "ConfigMap",
    apiVersion: "v1",
    metadata: { resourceVersion: "14" },
  });
  await until(() => t.informer.lastSyncResourceVersion() === "14", "the bookmark");
  assert.deepEqual(t.calls, [
    "add a@5 (initial)",
    "add b@6 (initial)",
    "add c@11",
    "update a@5 -> a@12",
    "delete b@13",
  ]);
  assert.deepEqual(t.informer.store.get("default/a")?.data, { k: "2" });
  assert.equal(t.informer.store.get("default/b"), undefined);
  assert.deepEqual(t.informer.store.byIndex("label", "app=c").map((o) => o.metadata?.name), ["c"]);
});

Deno.test("Informer passes listed and watched objects through its transform before storing them", async () => {
  const seen: string[] = [];
  const transform = (obj: KubeObject): KubeObject => {
    seen.push(`${obj.metadata?.name}@${obj.metadata?.resourceVersion}`);
    return { ...obj, data: { transformed: "yes" } };
  };
  await using t = setup([() => list([cm("a", "5")], "10")], { transform });
  await until(() => t.streams.length === 1, "the watch");
  const stream = t.streams[0]!;
  stream.send("ADDED", cm("b", "11"));
  stream.send("MODIFIED", cm("a", "12"));
  stream.send("DELETED", cm("b", "13"));
  stream.send("BOOKMARK", {
    kind: "ConfigMap",
    apiVersion: "v1",
    metadata: { resourceVersion: "14" },
  });
  await until(() => t.informer.lastSyncResourceVersion() === "14", "the bookmark");
  assert.deepEqual(seen, ["a@5", "b@11", "a@12", "b@13"], "every object but the bookmark");
  assert.deepEqual(t.informer.store.get("default/a")?.data, { transformed: "yes" });
  assert.deepEqual(t.calls, ["add a@5 (initial)", "add b@11", "update a@5 -> a@12", "delete b@13"]);
});

Deno.test("Informer watches again from the last resourceVersion when a watch ends", async () => {
  await using t = setup([() => list([cm("a", "5")], "10")]);
  await until(() => t.streams.length === 1, "the watch");
  t.streams[0]!.send("MODIFIED", cm("a", "15"));
  t.streams[0]!.send("BOOKMARK", { metadata: { resourceVersion: "20" } });
  t.streams[0]!.end();
  await until(() => t.streams.length === 2, "the second watch");
  assert.equal(t.transport.watches()[1]?.query.get("resourceVersion"), "20");
  assert.equal(t.transport.lists().length, 1, "no relist");
  assert.equal(t.clock.pendingTimers, 0, "no backoff");
});

Deno.test("Informer lists again on 410 Gone and hands the handlers only what changed", async (t) => {
  const cases = [
    {
      name: "an ERROR event",
      gone: (api: ScriptedListWatch) =>
        api.streams[0]!.send("ERROR", status(410, "Expired", "too old resource version: 10 (30)")),
    },
    {
      name: "a 410 answer to the watch",
      gone: (api: ScriptedListWatch) => {
        api.watches.push(() =>
          Response.json(status(410, "Gone", "too old resource version"), { status: 410 })
        );
        api.streams[0]!.end();
      },
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      await using s = setup([
        () => list([cm("same", "1"), cm("changed", "2"), cm("gone", "3")], "10"),
        () => list([cm("same", "1"), cm("changed", "25"), cm("new", "26")], "30"),
      ]);
      await until(() => s.streams.length === 1, "the watch");
      s.streams[0]!.send("BOOKMARK", { metadata: { resourceVersion: "11" } });
      c.gone(s);
      await until(() => s.transport.lists().length === 2, "the relist");
      await until(() => s.streams.length === 2, "the watch after the relist");
      assert.deepEqual(s.calls.slice(3), [
        "add new@26",
        "update changed@2 -> changed@25",
        "delete gone@3 (final state unknown)",
      ]);
      assert.equal(s.transport.watches().at(-1)?.query.get("resourceVersion"), "30");
      assert.equal(s.clock.pendingTimers, 0, "a relist after 410 does not wait");
      assert.ok(s.logger.messages("info").includes("Watch resourceVersion expired; listing again"));
    });
  }
});

Deno.test("Informer backs off on the injected clock after a failed list, then lists again", async () => {
  let calls = 0;
  await using t = setup([
    () => {
      calls++;
      return Response.json(status(500, "InternalError", "boom"), { status: 500 });
    },
    () => {
      calls++;
      return Response.json(status(503, "ServiceUnavailable", "later"), { status: 503 });
    },
    () => list([cm("a", "5")], "10"),
  ]);
  await until(() => t.clock.pendingTimers === 1, "the backoff timer");
  assert.equal(calls, 1);
  t.clock.advance(799);
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(calls, 1, "nothing before 0.8 s");
  t.clock.advance(1);
  await until(() => calls === 2 && t.clock.pendingTimers === 1, "the second list");
  t.clock.advance(1599);
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(t.transport.lists().length, 2, "the second wait is 1.6 s");
  t.clock.advance(1);
  assert.equal(await t.informer.waitForSync(), true);
  assert.deepEqual(t.calls, ["add a@5 (initial)"]);
  assert.deepEqual(t.logger.messages("warn"), ["Failed to list", "Failed to list"]);
});

Deno.test("Informer backs off after a failed watch and watches again without relisting", async () => {
  await using t = setup([() => list([cm("a", "5")], "10")]);
  await until(() => t.streams.length === 1, "the watch");
  t.streams[0]!.send("MODIFIED", cm("a", "12"));
  // The connection drops, then the server refuses connections for a while.
  t.watches.push(() => Promise.reject(new TypeError("connection refused")));
  t.streams[0]!.end();
  await until(() => t.clock.pendingTimers === 1, "the backoff timer");
  assert.equal(t.transport.watches().length, 2);
  t.clock.advance(800);
  await until(() => t.streams.length === 2, "the watch after the backoff");
  assert.equal(t.transport.watches()[2]?.query.get("resourceVersion"), "12");
  assert.equal(t.transport.lists().length, 1);
  assert.ok(t.logger.messages("warn").includes("Failed to watch"));
});

Deno.test("Informer counts a watch that ends at once without events as a failure", async () => {
  await using t = setup([() => list([cm("a", "5")], "10")]);
  await until(() => t.streams.length === 1, "the watch");
  t.streams[0]!.end();
  await until(() => t.clock.pendingTimers === 1, "the backoff timer");
  assert.equal(
    t.transport.watches().length,
    1,
    "no busy loop against a server that closes at once",
  );
  t.clock.advance(800);
  await until(() => t.streams.length === 2, "the next watch");
});

Deno.test("Informer lists in one page when the continue token expired", async () => {
  await using t = setup([
    (req) => {
      if (req.query.get("continue") === "old") {
        return Response.json(status(410, "Expired", "The provided continue parameter is too old"), {
          status: 410,
        });
      }
      if (req.query.get("limit") === null) return list([cm("a", "5"), cm("b", "9")], "12");
      return list([cm("a", "5")], "10", "old");
    },
  ]);
  assert.equal(await t.informer.waitForSync(), true);
  assert.deepEqual(t.calls, ["add a@5 (initial)", "add b@9 (initial)"]);
  assert.equal(t.transport.lists().length, 3);
  assert.equal(t.informer.lastSyncResourceVersion(), "12");
});

Deno.test("Informer.addHandler() replays the cache to a late handler; remove() stops calls", async () => {
  await using t = setup([() => list([cm("a", "5"), cm("b", "6")], "10")]);
  await t.informer.waitForSync();
  const late = recorder();
  const registration = t.informer.addHandler(late.handler);
  assert.deepEqual(late.calls.sort(), ["add a@5 (initial)", "add b@6 (initial)"]);
  await until(() => t.streams.length === 1, "the watch");
  registration.remove();
  t.streams[0]!.send("ADDED", cm("c", "11"));
  await until(() => t.calls.length === 3, "the event");
  assert.equal(late.calls.length, 2);
});

Deno.test("Informer keeps calling other handlers when one throws, and logs it", async () => {
  await using t = setup([() => list([cm("a", "5")], "10")]);
  t.informer.addHandler({
    add: () => {
      throw new Error("handler bug");
    },
  });
  await until(() => t.streams.length === 1, "the watch");
  t.streams[0]!.send("ADDED", cm("b", "11"));
  await until(() => t.calls.length === 2, "the event");
  assert.ok(t.logger.messages("error").includes("Informer event handler failed"));
  assert.equal(t.informer.store.size, 2);
});

Deno.test("Informer resyncs every resyncPeriodMs, and sets no timer without one", async (t) => {
  await t.step("with a period", async () => {
    await using s = setup([() => list([cm("a", "5")], "10")], { resyncPeriodMs: 60_000 });
    await until(() => s.streams.length === 1, "the watch");
    s.clock.advance(60_000);
    s.clock.advance(60_000);
    assert.deepEqual(s.calls, ["add a@5 (initial)", "update a@5 -> a@5", "update a@5 -> a@5"]);
  });
  await t.step("without", async () => {
    await using s = setup([() => list([cm("a", "5")], "10")]);
    await until(() => s.streams.length === 1, "the watch");
    assert.equal(s.clock.pendingTimers, 0, "an idle informer has no timer");
  });
});

Deno.test("Informer.run() ends when its signal aborts; waitForSync() then answers false", async () => {
  const never = Promise.withResolvers<Response>();
  const api = scriptedListWatch([() => never.promise]);
  const informer = new Informer(new Client(api.transport).resource(CONFIG_MAPS), {
    clock: new FakeClock(),
    logger: new RecordingLogger(),
  });
  const stop = new AbortController();
  const running = informer.run(stop.signal);
  const waiting = informer.waitForSync();
  const aborted = new AbortController();
  const waitingAborted = informer.waitForSync(aborted.signal);
  aborted.abort();
  assert.equal(await waitingAborted, false);
  stop.abort();
  never.resolve(list([], "1"));
  await running;
  assert.equal(await waiting, false);
  assert.equal(informer.hasSynced(), false);
  await assert.rejects(() => informer.run(new AbortController().signal), TypeError);
});

// --- against the real API server, in process --------------------------------------------------

function configMap(name: string, data: Record<string, string> = { k: "v" }): KubeObject {
  return { metadata: { name, namespace: "default" }, data };
}

async function apiSetup() {
  const app = await createTestApp();
  const transport = new ControlledTransport(app.client);
  const client = new Client(transport);
  const informer = new Informer(client.resource(CONFIG_MAPS), {
    clock: new FakeClock(),
    logger: new RecordingLogger(),
    namespace: "default",
  });
  const rec = recorder();
  informer.addHandler(rec.handler);
  const stop = new AbortController();
  return {
    app,
    transport,
    configMaps: new Client(app.client).resource(CONFIG_MAPS),
    informer,
    calls: rec.calls,
    run: () => informer.run(stop.signal),
    stop,
  };
}

Deno.test("Informer against the API server resumes a dropped watch from the last resourceVersion", async () => {
  const t = await apiSetup();
  await using _app = t.app;
  await t.configMaps.create(configMap("a"));
  const running = t.run();
  try {
    assert.equal(await t.informer.waitForSync(), true);
    await until(() => t.transport.openWatches === 1, "the watch");
    const x = await t.configMaps.create(configMap("x"));
    await until(() => t.informer.store.get("default/x") !== undefined, "x");
    const rvOfX = x.metadata!.resourceVersion!;

    // The connection drops; while the informer is away, three changes happen.
    t.transport.holdWatches();
    t.transport.cutWatches();
    await until(() => t.transport.heldWatches === 1, "the informer to watch again");
    await t.configMaps.patch("x", {
      namespace: "default",
      type: "merge",
      body: { data: { k: "2" } },
    });
    await t.configMaps.create(configMap("y"));
    await t.configMaps.delete("a", { namespace: "default" });
    t.transport.releaseWatches();
    await until(() => t.informer.store.get("default/a") === undefined, "the delete");

    assert.equal(t.transport.lists().length, 1, "resumed, not relisted");
    assert.equal(t.transport.watches()[1]?.query.get("resourceVersion"), rvOfX);
    assert.deepEqual(t.calls.map((c) => c.replace(/@\d+/g, "")), [
      "add a (initial)",
      "add x",
      "update x -> x",
      "add y",
      "delete a",
    ]);
    assert.deepEqual(t.informer.store.get("default/x")?.data, { k: "2" });
    assert.deepEqual(t.informer.store.keys().sort(), ["default/x", "default/y"]);
  } finally {
    t.stop.abort();
    await running;
  }
});

Deno.test("Informer against the API server lists again after compaction (410) and sends the differences", async () => {
  const t = await apiSetup();
  await using _app = t.app;
  await t.configMaps.create(configMap("same"));
  await t.configMaps.create(configMap("changed"));
  await t.configMaps.create(configMap("gone"));
  t.transport.holdWatches();
  const running = t.run();
  try {
    assert.equal(await t.informer.waitForSync(), true);
    await until(() => t.transport.heldWatches === 1, "the first watch");
    // While the watch is on its way, objects change and storage compacts their history away.
    await t.configMaps.patch("changed", {
      namespace: "default",
      type: "merge",
      body: { data: { k: "2" } },
    });
    await t.configMaps.create(configMap("new"));
    await t.configMaps.delete("gone", { namespace: "default" });
    await t.app.storage.compact(await t.app.storage.currentRevision());
    t.transport.releaseWatches();
    await until(() => t.transport.lists().length === 2, "the relist");
    await until(() => t.transport.openWatches === 1, "the watch after the relist");
    assert.deepEqual(t.calls.slice(3).map((c) => c.replace(/@\d+/g, "")), [
      "add new",
      "update changed -> changed",
      "delete gone (final state unknown)",
    ]);
    assert.equal(
      t.transport.watches()[1]?.query.get("resourceVersion"),
      t.informer.lastSyncResourceVersion(),
    );
    // The watch after the relist follows changes.
    await t.configMaps.create(configMap("later"));
    await until(() => t.informer.store.get("default/later") !== undefined, "a later object");
    assert.deepEqual(t.informer.store.keys().sort(), [
      "default/changed",
      "default/later",
      "default/new",
      "default/same",
    ]);
  } finally {
    t.stop.abort();
    await running;
  }
});

Deno.test("Informer over HTTPS against the API server syncs and follows changes", async () => {
  await using app = await createTestApp();
  await using pki = await createTestPki();
  await using server = await startTestHttps(app.app, pki);
  const transport = HttpsTransport.fromKubeconfig(server.kubeconfig);
  const stop = new AbortController();
  const informer = new Informer(new Client(transport).resource(CONFIG_MAPS), {
    clock: new FakeClock(),
    logger: new RecordingLogger(),
    namespace: "default",
  });
  const running = informer.run(stop.signal);
  try {
    assert.equal(await informer.waitForSync(), true);
    await new Client(app.client).resource(CONFIG_MAPS).create(configMap("over-https"));
    await until(() => informer.store.get("default/over-https") !== undefined, "the event");
  } finally {
    stop.abort();
    await running;
    transport.close();
  }
});
