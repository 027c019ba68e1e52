import assert from "node:assert/strict";
import { MemoryStorage } from "../../storage/memory.ts";
import { FakeClock } from "../../util/clock.ts";
import { RecordingLogger } from "../../util/logger.ts";
import { createTestApp } from "../_test_app.ts";
import { SlowStorage } from "../_test_storage.ts";
import { describeEvents, WatchReader } from "../_test_watch.ts";
import { AdmissionChain } from "../admission/admission.ts";
import { createApiApp } from "../app.ts";
import { BUILTIN_RESOURCES } from "../registry/builtin_resources.ts";
import { ResourceRegistry } from "../registry/resource_registry.ts";
import { WatchCaches } from "../store/watch_caches.ts";
import { OpenApiHandler } from "./openapi_handler.ts";
import { isStreamedResponse } from "./render.ts";

const CONFIGMAPS = "/api/v1/namespaces/default/configmaps";

function configMap(name: string) {
  return { apiVersion: "v1", kind: "ConfigMap", metadata: { name }, data: { k: "v" } };
}

Deno.test("WatchHandler.watch() answers at once from an exact resourceVersion, then streams", async () => {
  await using t = await createTestApp();
  assert.equal((await t.json("POST", CONFIGMAPS, { body: configMap("a") })).status, 201);
  const list = await t.json("GET", CONFIGMAPS);
  const rv = (list.body.metadata as { resourceVersion: string }).resourceVersion;

  // Nothing happened after `rv`: the response (status, headers) comes before any event, marked
  // streamed so that the HTTPS listener sends the headers right away.
  const res = await t.request(`${CONFIGMAPS}?watch=true&resourceVersion=${rv}&timeoutSeconds=30`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "application/json");
  assert.ok(isStreamedResponse(res));

  assert.equal((await t.json("POST", CONFIGMAPS, { body: configMap("b") })).status, 201);
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  try {
    let text = "";
    while (!text.includes("\n")) {
      const { value, done } = await reader.read();
      assert.ok(!done, `watch ended after ${JSON.stringify(text)}`);
      text += value;
    }
    const event = JSON.parse(text.slice(0, text.indexOf("\n")));
    assert.equal(event.type, "ADDED");
    assert.equal(event.object.metadata.name, "b");
  } finally {
    await reader.cancel();
  }
});

Deno.test("RestHandler.get() answers a plain, not streamed, response", async () => {
  await using t = await createTestApp();
  const res = await t.request("/api/v1/namespaces/default");
  assert.equal(res.status, 200);
  assert.ok(!isStreamedResponse(res));
  assert.equal((await res.json()).metadata.name, "default");
});

// --- resourceVersion, selectors, formats -------------------------------------------------------

const MERGE = "application/merge-patch+json";

function labeled(name: string, labels: Record<string, string>) {
  return { apiVersion: "v1", kind: "ConfigMap", metadata: { name, labels }, data: { k: "v" } };
}

Deno.test("WatchHandler.watch() without a resourceVersion sends the current state, then changes", async (t) => {
  for (const rv of ["", "&resourceVersion=0"]) {
    await t.step(rv || "unset", async () => {
      await using app = await createTestApp();
      await app.json("POST", CONFIGMAPS, { body: configMap("a") });
      await app.json("POST", CONFIGMAPS, { body: configMap("b") });
      const res = await app.request(`${CONFIGMAPS}?watch=true${rv}`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("cache-control"), "no-cache, private");
      await using events = new WatchReader(res);
      const initial = await events.take(2);
      assert.deepEqual(initial.map((e) => [e.type, e.object.metadata.name]), [["ADDED", "a"], [
        "ADDED",
        "b",
      ]]);
      // Every event names its kind, and each is exactly one line of JSON.
      assert.equal(initial[0]!.object.kind, "ConfigMap");
      assert.equal(initial[0]!.object.apiVersion, "v1");
      await app.json("DELETE", `${CONFIGMAPS}/a`);
      const deleted = await events.next();
      assert.equal(deleted?.type, "DELETED");
      assert.equal(deleted?.object.metadata.name, "a");
      assert.equal(
        deleted?.object.metadata.resourceVersion,
        String(await app.storage.currentRevision()),
      );
      assert.ok(events.lines.every((l) => !l.includes("\n") && JSON.parse(l).type));
    });
  }
});

Deno.test("WatchHandler.watch() from an exact resourceVersion sends only later changes", async () => {
  await using t = await createTestApp();
  await t.json("POST", CONFIGMAPS, { body: configMap("a") });
  const rv = await t.storage.currentRevision();
  await t.json("POST", CONFIGMAPS, { body: configMap("b") });
  await t.json("PATCH", `${CONFIGMAPS}/a`, { body: { data: { k: "2" } }, contentType: MERGE });
  // The first watch of the kind: history before the cache started comes from storage.
  await using events = new WatchReader(
    await t.request(`${CONFIGMAPS}?watch=1&resourceVersion=${rv}`),
  );
  assert.deepEqual(describeEvents(await events.take(2)), [
    `ADDED b@${rv + 1}`,
    `MODIFIED a@${rv + 2}`,
  ]);
  await t.json("DELETE", `${CONFIGMAPS}/b`);
  assert.deepEqual(describeEvents([(await events.next())!]), [`DELETED b@${rv + 3}`]);
  // A second watch from the same revision is served by the watch cache the same way.
  await using cached = new WatchReader(
    await t.request(`${CONFIGMAPS}?watch=1&resourceVersion=${rv + 1}`),
  );
  assert.deepEqual(describeEvents(await cached.take(2)), [
    `MODIFIED a@${rv + 2}`,
    `DELETED b@${rv + 3}`,
  ]);
});

Deno.test("WatchHandler.watch() from a compacted resourceVersion sends a 410 ERROR event", async () => {
  await using t = await createTestApp();
  await t.json("POST", CONFIGMAPS, { body: configMap("a") });
  await t.json("POST", CONFIGMAPS, { body: configMap("b") });
  const current = await t.storage.currentRevision();
  await t.storage.compact(current);
  const res = await t.request(`${CONFIGMAPS}?watch=true&resourceVersion=2`);
  assert.equal(res.status, 200, "the error comes as an event, as kube-apiserver sends it");
  await using events = new WatchReader(res);
  const error = await events.next();
  assert.deepEqual(error, {
    type: "ERROR",
    object: {
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: `too old resource version: 2 (${current})`,
      reason: "Expired",
      code: 410,
    },
  });
  assert.equal(await events.next(), null, "then the stream ends");
});

Deno.test("WatchHandler.watch() answers 400 for a malformed resourceVersion or selector", async () => {
  await using t = await createTestApp();
  const rv = await t.json("GET", `${CONFIGMAPS}?watch=true&resourceVersion=x`);
  assert.equal(rv.status, 400);
  assert.equal(rv.body.message, 'resourceVersion: Invalid value: "x": must be an integer');
  const sel = await t.json("GET", `${CONFIGMAPS}?watch=true&labelSelector=a%3Db,`);
  assert.equal(sel.status, 400);
  assert.equal(sel.body.message, "found '', expected: identifier after ','");
});

Deno.test("WatchHandler.watch() filters with selector transitions, as kube-apiserver's cacher", async () => {
  await using t = await createTestApp();
  await t.json("POST", CONFIGMAPS, { body: labeled("a", { app: "web" }) });
  await using events = new WatchReader(
    await t.request(`${CONFIGMAPS}?watch=true&labelSelector=app%3Dweb`),
  );
  assert.deepEqual((await events.take(1)).map((e) => e.type), ["ADDED"]);
  // Leaving the selection: DELETED, with the object as it was and the change's resourceVersion.
  await t.json("PATCH", `${CONFIGMAPS}/a`, {
    body: { metadata: { labels: { app: "db" } } },
    contentType: MERGE,
  });
  const left = await events.next();
  assert.equal(left?.type, "DELETED");
  assert.deepEqual(left?.object.metadata.labels, { app: "web" });
  assert.equal(left?.object.metadata.resourceVersion, String(await t.storage.currentRevision()));
  // Changes outside the selection are not sent.
  await t.json("POST", CONFIGMAPS, { body: labeled("other", { app: "db" }) });
  // Entering it again: ADDED.
  await t.json("PATCH", `${CONFIGMAPS}/a`, {
    body: { metadata: { labels: { app: "web" } } },
    contentType: MERGE,
  });
  const entered = await events.next();
  assert.equal(entered?.type, "ADDED");
  assert.deepEqual(entered?.object.metadata.labels, { app: "web" });
  await t.json("PATCH", `${CONFIGMAPS}/a`, { body: { data: { k: "2" } }, contentType: MERGE });
  assert.equal((await events.next())?.type, "MODIFIED");
});

Deno.test("WatchHandler.watch() of a storage-replayed history also sends transitions", async () => {
  await using t = await createTestApp();
  await t.json("POST", CONFIGMAPS, { body: labeled("a", { app: "web" }) });
  const rv = await t.storage.currentRevision();
  await t.json("PATCH", `${CONFIGMAPS}/a`, {
    body: { metadata: { labels: { app: "db" } } },
    contentType: MERGE,
  });
  await using events = new WatchReader(
    await t.request(`${CONFIGMAPS}?watch=true&labelSelector=app%3Dweb&resourceVersion=${rv}`),
  );
  const left = await events.next();
  assert.equal(left?.type, "DELETED");
  assert.deepEqual(left?.object.metadata.labels, { app: "web" });
  assert.equal(left?.object.metadata.resourceVersion, String(rv + 1));
});

Deno.test("WatchHandler.watch() by metadata.name follows one object (kubectl get NAME -w)", async () => {
  await using t = await createTestApp();
  await t.json("POST", CONFIGMAPS, { body: configMap("a") });
  await t.json("POST", CONFIGMAPS, { body: configMap("b") });
  await using events = new WatchReader(
    await t.request(`${CONFIGMAPS}?fieldSelector=metadata.name%3Da&resourceVersion=0&watch=true`),
  );
  assert.deepEqual((await events.take(1)).map((e) => [e.type, e.object.metadata.name]), [[
    "ADDED",
    "a",
  ]]);
  await t.json("DELETE", `${CONFIGMAPS}/b`);
  await t.json("DELETE", `${CONFIGMAPS}/a`);
  assert.deepEqual((await events.take(1)).map((e) => [e.type, e.object.metadata.name]), [[
    "DELETED",
    "a",
  ]]);
});

Deno.test("WatchHandler.watch() of one namespace ignores the others; all namespaces see every one", async () => {
  await using t = await createTestApp();
  await using one = new WatchReader(
    await t.request(
      `${CONFIGMAPS}?watch=true&resourceVersion=${await t.storage.currentRevision()}`,
    ),
  );
  await using all = new WatchReader(
    await t.request(
      `/api/v1/configmaps?watch=true&resourceVersion=${await t.storage.currentRevision()}`,
    ),
  );
  await t.json("POST", "/api/v1/namespaces/kube-public/configmaps", {
    body: configMap("elsewhere"),
  });
  await t.json("POST", CONFIGMAPS, { body: configMap("here") });
  assert.deepEqual((await one.take(1)).map((e) => e.object.metadata.name), ["here"]);
  assert.deepEqual((await all.take(2)).map((e) => e.object.metadata.name), ["elsewhere", "here"]);
});

Deno.test("WatchHandler.watch() with kubectl's Table Accept sends column headers once", async () => {
  await using t = await createTestApp();
  await t.json("POST", CONFIGMAPS, { body: configMap("a") });
  const res = await t.request(`${CONFIGMAPS}?watch=true`, {
    headers: {
      accept:
        "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json",
    },
  });
  await using events = new WatchReader(res);
  const first = (await events.next())!;
  assert.equal(first.type, "ADDED");
  assert.equal(first.object.kind, "Table");
  assert.equal(first.object.apiVersion, "meta.k8s.io/v1");
  assert.deepEqual(first.object.columnDefinitions.map((c: { name: string }) => c.name), [
    "Name",
    "Data",
    "Age",
  ]);
  assert.equal(first.object.rows.length, 1);
  assert.equal(first.object.rows[0].object.kind, "PartialObjectMetadata");
  await t.json("POST", CONFIGMAPS, { body: configMap("b") });
  const second = (await events.next())!;
  assert.equal(second.object.kind, "Table");
  assert.equal(second.object.columnDefinitions, null, "later events carry no headers");
  assert.equal(second.object.rows[0].cells[0], "b");
});

const PARTIAL_V1 = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json";

/** What a metadata-only watch must send for `obj`: its metadata alone, exactly. */
function partialOf(obj: Record<string, unknown>, version = "v1") {
  return {
    kind: "PartialObjectMetadata",
    apiVersion: `meta.k8s.io/${version}`,
    metadata: obj.metadata,
  };
}

Deno.test("WatchHandler.watch() with a PartialObjectMetadata Accept sends each object's metadata alone", async (t) => {
  for (
    const [name, accept, version] of [
      ["v1 (the metadata client's Accept)", PARTIAL_V1, "v1"],
      ["v1beta1", "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1beta1", "v1beta1"],
    ] as const
  ) {
    await t.step(name, async () => {
      await using app = await createTestApp();
      await app.json("POST", CONFIGMAPS, { body: labeled("a", { app: "web" }) });
      const res = await app.request(`${CONFIGMAPS}?watch=true`, { headers: { accept } });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("content-type"), "application/json");
      await using events = new WatchReader(res);
      // The initial state (read from storage)…
      const added = await events.next();
      assert.deepEqual(added, {
        type: "ADDED",
        object: partialOf((await app.json("GET", `${CONFIGMAPS}/a`)).body, version),
      });
      // …then changes (from the watch cache), the final state's metadata on DELETED.
      await app.json("PATCH", `${CONFIGMAPS}/a`, {
        body: { data: { k: "2" } },
        contentType: MERGE,
      });
      const modified = await events.next();
      const current = (await app.json("GET", `${CONFIGMAPS}/a`)).body;
      assert.deepEqual(modified, { type: "MODIFIED", object: partialOf(current, version) });
      await app.json("DELETE", `${CONFIGMAPS}/a`);
      const deleted = await events.next();
      assert.equal(deleted?.type, "DELETED");
      assert.deepEqual(Object.keys(deleted!.object), ["kind", "apiVersion", "metadata"]);
      assert.equal(deleted?.object.apiVersion, `meta.k8s.io/${version}`);
      assert.equal(deleted?.object.metadata.uid, (current.metadata as { uid: string }).uid);
      assert.equal(
        deleted?.object.metadata.resourceVersion,
        String(await app.storage.currentRevision()),
      );
    });
  }
});

Deno.test("WatchHandler.watch() with a PartialObjectMetadata Accept shapes bookmarks and replayed history, not errors", async (t) => {
  await t.step("the initial-events-end bookmark", async () => {
    await using app = await createTestApp();
    await app.json("POST", CONFIGMAPS, { body: configMap("a") });
    await using events = new WatchReader(
      await app.request(
        `${CONFIGMAPS}?watch=1&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan`,
        { headers: { accept: PARTIAL_V1 } },
      ),
    );
    const [added, bookmark] = await events.take(2);
    assert.equal(added?.object.kind, "PartialObjectMetadata");
    assert.deepEqual(bookmark, {
      type: "BOOKMARK",
      object: {
        kind: "PartialObjectMetadata",
        apiVersion: "meta.k8s.io/v1",
        metadata: {
          resourceVersion: String(await app.storage.currentRevision()),
          annotations: { "k8s.io/initial-events-end": "true" },
        },
      },
    });
  });
  await t.step("history replayed from storage, an object leaving the selection", async () => {
    await using app = await createTestApp();
    await app.json("POST", CONFIGMAPS, { body: labeled("a", { app: "web" }) });
    const rv = await app.storage.currentRevision();
    await app.json("POST", CONFIGMAPS, { body: labeled("b", { app: "web" }) });
    await app.json("PATCH", `${CONFIGMAPS}/a`, {
      body: { metadata: { labels: { app: "db" } } },
      contentType: MERGE,
    });
    // The first watch of the kind from an older revision: served from storage.
    await using events = new WatchReader(
      await app.request(`${CONFIGMAPS}?watch=true&labelSelector=app%3Dweb&resourceVersion=${rv}`, {
        headers: { accept: PARTIAL_V1 },
      }),
    );
    const [added, left] = await events.take(2);
    assert.deepEqual(added, {
      type: "ADDED",
      object: partialOf((await app.json("GET", `${CONFIGMAPS}/b`)).body),
    });
    assert.equal(left?.type, "DELETED");
    assert.deepEqual(Object.keys(left!.object), ["kind", "apiVersion", "metadata"]);
    assert.deepEqual(left?.object.metadata.labels, { app: "web" });
    assert.equal(left?.object.metadata.resourceVersion, String(rv + 2));
  });
  await t.step("a 410 ERROR event stays a Status", async () => {
    await using app = await createTestApp();
    await app.json("POST", CONFIGMAPS, { body: configMap("a") });
    await app.json("POST", CONFIGMAPS, { body: configMap("b") });
    await app.storage.compact(await app.storage.currentRevision());
    await using events = new WatchReader(
      await app.request(`${CONFIGMAPS}?watch=true&resourceVersion=2`, {
        headers: { accept: PARTIAL_V1 },
      }),
    );
    const error = await events.next();
    assert.equal(error?.type, "ERROR");
    assert.equal(error?.object.kind, "Status");
    assert.equal(error?.object.code, 410);
  });
});

Deno.test("WatchHandler.watch() sends each watcher of one change its own shape", async () => {
  await using t = await createTestApp();
  const rv = await t.storage.currentRevision();
  const watch = (accept?: string) =>
    t.request(
      `${CONFIGMAPS}?watch=true&resourceVersion=${rv}`,
      accept ? { headers: { accept } } : {},
    );
  // Metadata-only watchers share one line per event; plain watchers get the object; a watch
  // asking for a list shape (PartialObjectMetadataList) gets whole objects, as kube-apiserver's
  // failed conversion sends them.
  await using plain = new WatchReader(await watch());
  await using meta1 = new WatchReader(await watch(PARTIAL_V1));
  await using meta2 = new WatchReader(await watch(PARTIAL_V1));
  await using beta = new WatchReader(
    await watch("application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1beta1"),
  );
  await using listShape = new WatchReader(
    await watch("application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"),
  );
  await t.json("POST", CONFIGMAPS, { body: configMap("a") });
  const stored = (await t.json("GET", `${CONFIGMAPS}/a`)).body;
  assert.deepEqual(await plain.next(), { type: "ADDED", object: stored });
  assert.deepEqual(await listShape.next(), { type: "ADDED", object: stored });
  assert.deepEqual(await meta1.next(), { type: "ADDED", object: partialOf(stored) });
  assert.deepEqual(await meta2.next(), { type: "ADDED", object: partialOf(stored) });
  assert.deepEqual(await beta.next(), { type: "ADDED", object: partialOf(stored, "v1beta1") });
  // The next event of the plain watcher is still whole (no shape leaked between them).
  await t.json("DELETE", `${CONFIGMAPS}/a`);
  assert.deepEqual((await plain.next())?.object.data, { k: "v" });
  assert.equal((await meta1.next())?.object.data, undefined);
});

Deno.test("WatchHandler.watch() with sendInitialEvents ends the initial state with a bookmark", async () => {
  await using t = await createTestApp();
  await t.json("POST", CONFIGMAPS, { body: configMap("a") });
  const res = await t.request(
    `${CONFIGMAPS}?watch=1&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersion=&resourceVersionMatch=NotOlderThan`,
  );
  await using events = new WatchReader(res);
  const [added, bookmark] = await events.take(2);
  assert.equal(added!.type, "ADDED");
  assert.deepEqual(bookmark, {
    type: "BOOKMARK",
    object: {
      kind: "ConfigMap",
      apiVersion: "v1",
      metadata: {
        resourceVersion: String(await t.storage.currentRevision()),
        annotations: { "k8s.io/initial-events-end": "true" },
      },
    },
  });
  const refused = await t.json(
    "GET",
    `${CONFIGMAPS}?watch=1&sendInitialEvents=true&allowWatchBookmarks=true`,
  );
  assert.equal(refused.status, 422);
  assert.equal(
    refused.body.message,
    'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan',
  );
});

Deno.test("WatchHandler.watch() with sendInitialEvents but no bookmarks sends the state without the end bookmark", async () => {
  await using t = await createTestApp();
  await t.json("POST", CONFIGMAPS, { body: configMap("a") });
  const res = await t.request(
    `${CONFIGMAPS}?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan`,
  );
  assert.equal(res.status, 200);
  await using events = new WatchReader(res);
  const added = await events.next();
  assert.equal(added?.type, "ADDED");
  assert.equal(added?.object.metadata.name, "a");
  await t.json("POST", CONFIGMAPS, { body: configMap("b") });
  const next = await events.next();
  assert.equal(next?.type, "ADDED", "the next event is the change, no bookmark before it");
  assert.equal(next?.object.metadata.name, "b");
});

Deno.test("WatchHandler.watch() with sendInitialEvents=false sends only changes", async () => {
  await using t = await createTestApp();
  await t.json("POST", CONFIGMAPS, { body: configMap("a") });
  const res = await t.request(
    `${CONFIGMAPS}?watch=1&sendInitialEvents=false&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan`,
  );
  assert.equal(res.status, 200);
  await using events = new WatchReader(res);
  await t.json("POST", CONFIGMAPS, { body: configMap("b") });
  const next = await events.next();
  assert.equal(next?.type, "ADDED");
  assert.equal(next?.object.metadata.name, "b", "no ADDED for the existing object");
});

Deno.test("WatchHandler.watch() refuses list options upstream's validateWatchOptions refuses", async (t) => {
  await using app = await createTestApp();
  const prefix = 'ListOptions.meta.k8s.io "" is invalid: ';
  const cases = [
    {
      name: "resourceVersionMatch without sendInitialEvents",
      query: "resourceVersionMatch=NotOlderThan",
      message:
        "resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided",
    },
    {
      name: "sendInitialEvents with resourceVersionMatch=Exact",
      query: "sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=Exact",
      message:
        '[resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan, resourceVersionMatch: Unsupported value: "Exact": supported values: "NotOlderThan"]',
    },
    {
      name: "resourceVersionMatch with continue",
      query: "sendInitialEvents=true&resourceVersionMatch=NotOlderThan&continue=abc",
      message:
        "resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden when continue is provided",
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      const res = await app.json("GET", `${CONFIGMAPS}?watch=1&${c.query}`);
      assert.equal(res.status, 422);
      assert.equal(res.body.reason, "Invalid");
      assert.equal(res.body.message, prefix + c.message);
    });
  }
});

/** The real app over memory storage on a fake clock (watch timeouts), without bootstrap. */
function appOnFakeClock(clock: FakeClock, storage: MemoryStorage = new MemoryStorage()) {
  const logger = new RecordingLogger();
  const stop = new AbortController();
  const caches = new WatchCaches({ storage, logger, signal: stop.signal });
  const registry = new ResourceRegistry(BUILTIN_RESOURCES);
  const app = createApiApp({
    storage,
    registry: () => registry,
    caches,
    admission: new AdmissionChain([]),
    clock,
    logger,
    signal: stop.signal,
    authenticator: {
      authenticate: () => Promise.resolve({ username: "admin", groups: ["system:masters"] }),
    },
    version: { major: "1", minor: "33", gitVersion: "v1.33.0" },
    serverAddress: () => "192.0.2.10:6443",
    openapi: new OpenApiHandler({ registry: () => registry, gitVersion: "v1.33.0" }),
    ready: () => true,
  });
  return {
    app,
    async [Symbol.asyncDispose]() {
      stop.abort();
      caches.stop();
      await storage.close();
    },
  };
}

Deno.test("WatchHandler.watch() ends at timeoutSeconds; 0 or none lets the server pick 30-60 min", async (t) => {
  const nodes = "/api/v1/nodes?watch=true";
  for (
    const [query, endsAfterMs, stillOpenAtMs] of [
      ["&timeoutSeconds=5", 5_000, 4_999],
      ["&timeoutSeconds=0", 3_600_000, 1_799_999],
      ["", 3_600_000, 1_799_999],
    ] as const
  ) {
    await t.step(query || "none", async () => {
      const clock = new FakeClock(Date.parse("2025-01-01T00:00:00Z"));
      await using s = await appOnFakeClock(clock);
      await using events = new WatchReader(await s.app.request(`${nodes}${query}`));
      clock.advance(stillOpenAtMs);
      // Still open: a change arrives.
      const node = { apiVersion: "v1", kind: "Node", metadata: { name: "n1" } };
      const created = await s.app.request("/api/v1/nodes", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(node),
      });
      assert.equal(created.status, 201);
      assert.equal((await events.next())?.type, "ADDED");
      clock.advance(endsAfterMs - stillOpenAtMs);
      assert.equal(await events.next(), null);
    });
  }
});

/** A POST of `body` (JSON) to `path` on `app`; fails unless 201. */
async function post(
  app: { request(path: string, init?: RequestInit): Response | Promise<Response> },
  path: string,
  body: unknown,
): Promise<void> {
  const res = await app.request(path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 201, await res.text());
}

function node(name: string) {
  return { apiVersion: "v1", kind: "Node", metadata: { name } };
}

/** The storage prefix holding `name` (the only key ending in it). */
async function prefixOf(storage: MemoryStorage, name: string): Promise<string> {
  const keys = (await storage.list("/registry/")).items.map((kv) => kv.key).filter((k) =>
    k.endsWith(`/${name}`)
  );
  assert.equal(keys.length, 1, `${keys}`);
  return keys[0]!.slice(0, -name.length);
}

Deno.test("WatchHandler.watch() bookmarks carry the watch's own progress, never events not sent yet", async () => {
  const clock = new FakeClock(Date.parse("2025-01-01T00:00:00Z"));
  const storage = new SlowStorage();
  await using s = appOnFakeClock(clock, storage);
  const nodes = "/api/v1/nodes";
  await post(s.app, nodes, node("a"));
  const fromRv = await storage.currentRevision(); // a
  await post(s.app, nodes, node("b"));
  await post(s.app, "/api/v1/namespaces", {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: "x" },
  });
  const windowStart = await storage.currentRevision();
  const prefix = await prefixOf(storage, "a");
  // The first watch starts the cache: its window starts after b.
  await using live = new WatchReader(
    await s.app.request(`${nodes}?watch=true&resourceVersion=${windowStart}&timeoutSeconds=600`),
  );
  // A watch from before b is caught up from a storage replay that goes one event per release.
  const replay = storage.gateWatch(prefix, fromRv);
  await using late = new WatchReader(
    await s.app.request(
      `${nodes}?watch=true&resourceVersion=${fromRv}&allowWatchBookmarks=true&timeoutSeconds=600`,
    ),
  );
  await post(s.app, nodes, node("c")); // held for the late watcher while it catches up
  const c = await live.next();
  assert.equal(c?.object.metadata.name, "c");
  const cRv = c?.object.metadata.resourceVersion;

  // Nothing sent yet: a minute passes without a bookmark (none at the revision it began at).
  clock.advance(60_000);
  replay.release(1);
  const b = await late.next();
  assert.deepEqual([b?.type, b?.object.metadata.name], ["ADDED", "b"]);
  const bRv = b?.object.metadata.resourceVersion;
  // The cache is at c, but c is still held: the bookmark says b.
  clock.advance(60_000);
  assert.deepEqual(await late.next(), {
    type: "BOOKMARK",
    object: { kind: "Node", apiVersion: "v1", metadata: { resourceVersion: bRv } },
  });
  // The replay passes the window's start: c goes out, then bookmarks say c.
  replay.release(1);
  const held = await late.next();
  assert.deepEqual([held?.type, held?.object.metadata.name], ["ADDED", "c"]);
  clock.advance(60_000);
  const after = await late.next();
  assert.deepEqual([after?.type, after?.object.metadata.resourceVersion], ["BOOKMARK", cRv]);
  // Every bookmark's resourceVersion is one the client has all the events up to.
  assert.deepEqual(late.lines.map((l) => JSON.parse(l).type), [
    "ADDED",
    "BOOKMARK",
    "ADDED",
    "BOOKMARK",
  ]);
});

Deno.test("WatchHandler.watch() sends a last bookmark 2 s before the timeout, as kube-apiserver", async () => {
  const clock = new FakeClock(Date.parse("2025-01-01T00:00:00Z"));
  await using s = appOnFakeClock(clock);
  const nodes = "/api/v1/nodes";
  await using events = new WatchReader(
    await s.app.request(
      `${nodes}?watch=true&resourceVersion=0&allowWatchBookmarks=true&timeoutSeconds=90`,
    ),
  );
  await post(s.app, nodes, node("a"));
  const a = await events.next();
  assert.equal(a?.type, "ADDED");
  const rv = a?.object.metadata.resourceVersion;
  clock.advance(60_000);
  assert.deepEqual(await events.next(), {
    type: "BOOKMARK",
    object: { kind: "Node", apiVersion: "v1", metadata: { resourceVersion: rv } },
  });
  clock.advance(87_999 - 60_000);
  await post(s.app, nodes, node("b"));
  const b = await events.next();
  assert.equal(b?.type, "ADDED", "no bookmark before 88 s");
  clock.advance(1);
  assert.deepEqual(await events.next(), {
    type: "BOOKMARK",
    object: {
      kind: "Node",
      apiVersion: "v1",
      metadata: { resourceVersion: b?.object.metadata.resourceVersion },
    },
  });
  clock.advance(2_000);
  assert.equal(await events.next(), null);
});

Deno.test("WatchHandler.watch() with sendInitialEvents ends the initial state with a bookmark at its revision, before later changes", async () => {
  const clock = new FakeClock(Date.parse("2025-01-01T00:00:00Z"));
  const storage = new SlowStorage();
  await using s = appOnFakeClock(clock, storage);
  const nodes = "/api/v1/nodes";
  await post(s.app, nodes, node("a"));
  await using live = new WatchReader(
    await s.app.request(`${nodes}?watch=true&resourceVersion=${await storage.currentRevision()}`),
  );
  let listRv = "";
  // A change lands (and reaches the cache) between the watch's initial list and the rest.
  storage.afterNextList(async () => {
    listRv = String(await storage.currentRevision());
    await post(s.app, nodes, node("b"));
    assert.equal((await live.next())?.object.metadata.name, "b");
  });
  await using events = new WatchReader(
    await s.app.request(
      `${nodes}?watch=1&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan`,
    ),
  );
  const [added, bookmark, later] = await events.take(3);
  assert.deepEqual([added?.type, added?.object.metadata.name], ["ADDED", "a"]);
  assert.deepEqual(bookmark, {
    type: "BOOKMARK",
    object: {
      kind: "Node",
      apiVersion: "v1",
      metadata: { resourceVersion: listRv, annotations: { "k8s.io/initial-events-end": "true" } },
    },
  });
  assert.deepEqual([later?.type, later?.object.metadata.name], ["ADDED", "b"]);
  assert.ok(Number(later?.object.metadata.resourceVersion) > Number(listRv));
});
