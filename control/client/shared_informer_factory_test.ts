import assert from "node:assert/strict";
import { createTestApp } from "../api/_test_app.ts";
import { FakeClock } from "../util/clock.ts";
import { RecordingLogger } from "../util/logger.ts";
import { ControlledTransport, ScriptedTransport } from "./_test_transport.ts";
import { Client } from "./client.ts";
import { CONFIG_MAPS, NAMESPACES, PODS } from "./resources.ts";
import { SharedInformerFactory } from "./shared_informer_factory.ts";
import { indexByLabel, indexByNodeName } from "./store.ts";

function factory(client: Client) {
  return new SharedInformerFactory(client, {
    clock: new FakeClock(),
    logger: new RecordingLogger(),
  });
}

Deno.test("SharedInformerFactory.informerFor() shares one informer per resource, namespace and selectors", () => {
  const f = factory(new Client(new ScriptedTransport(() => Response.json({}))));
  const pods = f.informerFor(PODS, { indexers: { nodeName: indexByNodeName } });
  assert.equal(f.informerFor(PODS), pods);
  assert.equal(
    f.informerFor(PODS, { indexers: { label: indexByLabel, nodeName: indexByNodeName } }),
    pods,
  );
  assert.deepEqual(pods.store.indexNames(), ["namespace", "nodeName", "label"]);
  assert.notEqual(f.informerFor(PODS, { namespace: "default" }), pods);
  assert.notEqual(f.informerFor(PODS, { fieldSelector: "spec.nodeName=edge-1" }), pods);
  assert.notEqual(f.informerFor(PODS, { labelSelector: "app=web" }), pods);
  assert.notEqual(f.informerFor(CONFIG_MAPS), pods);
});

Deno.test("SharedInformerFactory.start() runs the informers together; waitForCacheSync() waits for all", async () => {
  await using app = await createTestApp();
  await app.json("POST", "/api/v1/namespaces/default/configmaps", {
    body: { metadata: { name: "a" }, data: { k: "v" } },
  });
  const transport = new ControlledTransport(app.client);
  const f = factory(new Client(transport));
  const configMaps = f.informerFor(CONFIG_MAPS, { namespace: "default" });
  const namespaces = f.informerFor(NAMESPACES);
  assert.equal(await f.waitForCacheSync(), true, "nothing started: nothing to wait for");
  const stop = new AbortController();
  f.start(stop.signal);
  f.start(stop.signal); // starts nothing twice
  try {
    assert.equal(await f.waitForCacheSync(stop.signal), true);
    assert.ok(configMaps.hasSynced() && namespaces.hasSynced());
    assert.ok(configMaps.store.get("default/a"));
    assert.ok(namespaces.store.get("kube-system"));
    assert.equal(transport.lists().length, 2, "one list per informer");
    // An informer asked for later starts with the next start().
    const pods = f.informerFor(PODS);
    assert.equal(pods.started, false);
    f.start(stop.signal);
    assert.equal(await f.waitForCacheSync(stop.signal), true);
    assert.equal(pods.hasSynced(), true);
  } finally {
    stop.abort();
    await f.shutdown();
  }
  assert.equal(await configMaps.waitForSync(), true, "synced stays synced");
});

Deno.test("SharedInformerFactory caches objects without managedFields; an update from the cache keeps the server's", async () => {
  await using app = await createTestApp();
  await app.json("POST", "/api/v1/namespaces/default/configmaps", {
    body: { metadata: { name: "a" }, data: { k: "v" } },
  });
  const client = new Client(new ControlledTransport(app.client));
  const stop = new AbortController();
  const stripped = factory(client);
  const whole = new SharedInformerFactory(client, {
    clock: new FakeClock(),
    logger: new RecordingLogger(),
    transform: null,
  });
  const cached = stripped.informerFor(CONFIG_MAPS, { namespace: "default" });
  const kept = whole.informerFor(CONFIG_MAPS, { namespace: "default" });
  stripped.start(stop.signal);
  whole.start(stop.signal);
  try {
    assert.equal(await stripped.waitForCacheSync(stop.signal), true);
    assert.equal(await whole.waitForCacheSync(stop.signal), true);
    const obj = cached.store.get("default/a")!;
    assert.equal(obj.metadata?.managedFields, undefined, "the default cache drops them");
    assert.equal(
      kept.store.get("default/a")?.metadata?.managedFields?.length,
      1,
      "null keeps them",
    );
    const creator = kept.store.get("default/a")!.metadata!.managedFields![0]!;
    const updated = await client.resource(CONFIG_MAPS).update(
      { ...obj, data: { k: "w" } },
      { fieldManager: "cache-user" },
    );
    const entries = updated.metadata?.managedFields ?? [];
    assert.deepEqual(
      entries.map((e) => `${e.manager}/${e.operation}`),
      [`${creator.manager}/Update`, "cache-user/Update"],
      "the creator's entry is kept and the update's added",
    );
  } finally {
    stop.abort();
    await stripped.shutdown();
    await whole.shutdown();
  }
});
