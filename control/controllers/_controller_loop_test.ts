import assert from "node:assert/strict";
import type { Pod } from "../api/types/core_v1_pod.ts";
import { until } from "../client/_test_transport.ts";
import { indexByNodeName, indexByOwnerUid, metaNamespaceKey } from "../client/store.ts";
import { FakeClock } from "../util/clock.ts";
import { RecordingLogger } from "../util/logger.ts";
import { addMissingIndexers, ControllerLoop } from "./_controller_loop.ts";
import { FakeInformer } from "./_fake_informer.ts";

function pod(name: string): Pod {
  return { metadata: { name, namespace: "default", uid: `uid-${name}` } };
}

Deno.test("addMissingIndexers() adds only the indexes an informer does not have", () => {
  const informer = new FakeInformer<Pod>();
  const added: string[][] = [];
  const recording = {
    store: informer.store,
    addIndexers: (indexers: Parameters<typeof informer.addIndexers>[0]) => {
      added.push(Object.keys(indexers));
      informer.addIndexers(indexers);
    },
  };
  addMissingIndexers(recording, { ownerUid: indexByOwnerUid });
  addMissingIndexers(recording, { ownerUid: indexByOwnerUid, nodeName: indexByNodeName });
  addMissingIndexers(recording, { nodeName: indexByNodeName });
  assert.deepEqual(added, [["ownerUid"], ["nodeName"]]);
  assert.ok(informer.store.indexNames().includes("ownerUid"));
  assert.ok(informer.store.indexNames().includes("nodeName"));
});

Deno.test("ControllerLoop.run() syncs the keys its handlers queue and removes them when it stops", async () => {
  const logger = new RecordingLogger();
  const loop = new ControllerLoop({ name: "test", workers: 2, clock: new FakeClock(0), logger });
  const pods = new FakeInformer<Pod>();
  const other = new FakeInformer<Pod>();
  loop.handle(pods, { add: (p) => loop.queue.add(metaNamespaceKey(p)) });
  loop.handle(other, { delete: (p) => loop.queue.add(`deleted ${metaNamespaceKey(p)}`) });
  assert.equal(pods.handlers + other.handlers, 2);
  const synced: string[] = [];
  const stop = new AbortController();
  const done = loop.run(stop.signal, {
    sync: (key) => void synced.push(key),
    waitFor: [pods, other],
  });
  pods.add(pod("a"));
  other.delete(pod("b"));
  await until(() => synced.length === 2, "both keys synced");
  stop.abort();
  await done;
  assert.deepEqual(synced.sort(), ["default/a", "deleted default/b"]);
  assert.equal(pods.handlers + other.handlers, 0, "handlers removed");
  assert.ok(loop.queue.shuttingDown());
  assert.ok(
    logger.records.some((r) => r.msg === "Starting controller" && r.fields.controller === "test"),
  );
});

Deno.test("ControllerLoop.run() removes its handlers when stopped before the caches sync", async () => {
  const logger = new RecordingLogger();
  const loop = new ControllerLoop({ name: "test", workers: 1, clock: new FakeClock(0), logger });
  const pods = new FakeInformer<Pod>();
  loop.handle(pods, {});
  const stop = new AbortController();
  const unsynced = {
    waitForSync: (signal: AbortSignal) =>
      new Promise<boolean>((resolve) => signal.addEventListener("abort", () => resolve(false))),
  };
  const synced: string[] = [];
  const done = loop.run(stop.signal, { sync: (key) => void synced.push(key), waitFor: [unsynced] });
  loop.queue.add("default/a");
  stop.abort();
  await done;
  assert.equal(pods.handlers, 0);
  assert.deepEqual(synced, []);
  assert.ok(logger.messages("info").includes("Stopped before the caches synced"));
});
