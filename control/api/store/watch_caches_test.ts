import assert from "node:assert/strict";
import { MemoryStorage } from "../../storage/memory.ts";
import type { Storage } from "../../storage/types.ts";
import { RecordingLogger } from "../../util/logger.ts";
import type { KubeObject } from "../types/meta_v1.ts";
import { encodeForStorage } from "./object_codec.ts";
import type { ObjectAttrs } from "./watch_cache.ts";
import { WatchCaches } from "./watch_caches.ts";

function attrs(obj: KubeObject): ObjectAttrs {
  return { namespace: "", name: obj.metadata?.name ?? "", labels: {}, fields: {} };
}

Deno.test("WatchCaches.get() creates one started cache per prefix and reuses it", async () => {
  await using storage = new MemoryStorage();
  await storage.create("/registry/pods/default/a", encodeForStorage({ metadata: { name: "a" } }));
  const logger = new RecordingLogger();
  const stop = new AbortController();
  const caches = new WatchCaches({ storage, logger, signal: stop.signal });
  const [pods, again, nodes] = await Promise.all([
    caches.get("/registry/pods/", attrs),
    caches.get("/registry/pods/", attrs),
    caches.get("/registry/nodes/", attrs),
  ]);
  assert.equal(pods, again);
  assert.notEqual(pods, nodes);
  // Started: it knows the storage revision and follows its prefix only.
  assert.equal(pods.revision, 1);
  const sub = pods.subscribe(1, stop.signal)!;
  await storage.create("/registry/nodes/n1", encodeForStorage({ metadata: { name: "n1" } }));
  await storage.create("/registry/pods/default/b", encodeForStorage({ metadata: { name: "b" } }));
  for await (const e of sub) {
    assert.equal(e.attrs.name, "b");
    break;
  }
  caches.stop();
  stop.abort();
});

Deno.test("WatchCaches.stop() ends every cache's subscribers", async () => {
  await using storage = new MemoryStorage();
  const stop = new AbortController();
  const caches = new WatchCaches({ storage, logger: new RecordingLogger(), signal: stop.signal });
  const subs = await Promise.all(
    ["/registry/pods/", "/registry/nodes/"].map(async (p) =>
      (await caches.get(p, attrs)).subscribe(0, stop.signal)!
    ),
  );
  caches.stop();
  for (const sub of subs) {
    for await (const _ of sub) assert.fail("no events after stop");
    assert.equal(sub.endReason, "watch cache stopped");
  }
  stop.abort();
});

Deno.test("WatchCaches.get() tries again after a cache failed to start", async () => {
  await using memory = new MemoryStorage();
  let fail = true;
  const storage: Storage = Object.assign(Object.create(memory), {
    currentRevision: () =>
      fail ? Promise.reject(new Error("storage down")) : memory.currentRevision(),
    watch: (p: string, from: number, signal: AbortSignal) => memory.watch(p, from, signal),
  });
  const stop = new AbortController();
  const caches = new WatchCaches({ storage, logger: new RecordingLogger(), signal: stop.signal });
  await assert.rejects(() => caches.get("/registry/pods/", attrs), { message: "storage down" });
  fail = false;
  const cache = await caches.get("/registry/pods/", attrs);
  assert.equal(cache.revision, 0);
  caches.stop();
  stop.abort();
});
