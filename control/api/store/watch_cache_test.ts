import assert from "node:assert/strict";
import { MemoryStorage } from "../../storage/memory.ts";
import type { WatchEvent } from "../../storage/types.ts";
import { RecordingLogger } from "../../util/logger.ts";
import type { KubeObject } from "../types/meta_v1.ts";
import { encodeForStorage } from "./object_codec.ts";
import {
  type CachedEvent,
  type CacheSubscription,
  type ObjectAttrs,
  WatchCache,
} from "./watch_cache.ts";

const PREFIX = "/registry/configmaps/";

function attrs(obj: KubeObject): ObjectAttrs {
  const meta = obj.metadata ?? {};
  return {
    namespace: meta.namespace ?? "",
    name: meta.name ?? "",
    labels: meta.labels ?? {},
    fields: { "metadata.name": meta.name },
  };
}

function cm(name: string, labels: Record<string, string> = {}): Uint8Array {
  return encodeForStorage({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name, namespace: "default", labels },
  });
}

/** Counts the storage watches opened; the next one fails when `failNext` resolves. */
class CountingStorage extends MemoryStorage {
  watches = 0;
  failNext: Promise<void> | null = null;

  override watch(prefix: string, from: number, signal: AbortSignal): AsyncIterable<WatchEvent> {
    this.watches++;
    const fail = this.failNext;
    if (fail) {
      this.failNext = null;
      return {
        async *[Symbol.asyncIterator]() {
          await fail;
          yield* [];
          throw new Error("connection lost");
        },
      };
    }
    return super.watch(prefix, from, signal);
  }
}

async function take(sub: CacheSubscription, n: number): Promise<CachedEvent[]> {
  const out: CachedEvent[] = [];
  if (n === 0) return out;
  for await (const e of sub) {
    out.push(e);
    if (out.length >= n) break;
  }
  return out;
}

function summary(events: CachedEvent[]): string[] {
  return events.map((e) => `${e.type} ${e.attrs.name}@${e.revision}`);
}

Deno.test("WatchCache fans one storage watch out to every subscriber", async () => {
  await using storage = new CountingStorage();
  const stop = new AbortController();
  const cache = new WatchCache({ storage, prefix: PREFIX, attrs, logger: new RecordingLogger() });
  await cache.start(stop.signal);
  await cache.start(stop.signal); // idempotent
  const from = cache.revision;
  const subs = [1, 2, 3].map(() => cache.subscribe(from, stop.signal)!);
  assert.equal(cache.subscriberCount, 3);
  const a = await storage.create(`${PREFIX}default/a`, cm("a", { x: "1" }));
  await storage.update(`${PREFIX}default/a`, cm("a", { x: "2" }), a.modRevision);
  await storage.delete(`${PREFIX}default/a`);
  for (const sub of subs) {
    const events = await take(sub, 3);
    assert.deepEqual(summary(events), ["ADDED a@1", "MODIFIED a@2", "DELETED a@3"]);
    const [added, modified] = events;
    // The JSON every watcher sends, with the resourceVersion of the event.
    assert.equal(JSON.parse(added!.json).metadata.resourceVersion, "1");
    assert.deepEqual(added!.object().metadata?.labels, { x: "1" });
    assert.deepEqual(modified!.prevAttrs()?.labels, { x: "1" });
    assert.deepEqual(modified!.attrs.labels, { x: "2" });
    // The object before the change, at the change's revision (for selector transitions).
    const prev = JSON.parse(modified!.prevJson()!);
    assert.deepEqual(prev.metadata.labels, { x: "1" });
    assert.equal(prev.metadata.resourceVersion, "2");
    assert.equal(added!.prevAttrs(), undefined);
    assert.equal(added!.prevJson(), undefined);
  }
  assert.equal(storage.watches, 1, "one storage watch for all of them");
  assert.equal(cache.revision, 3);
  assert.equal(cache.subscriberCount, 0, "a subscriber leaving unsubscribes");
  stop.abort();
});

Deno.test("WatchCache.subscribe() resumes from a revision inside its window, or returns null", async () => {
  await using storage = new MemoryStorage();
  await storage.create("/registry/configmaps/default/before", cm("before")); // revision 1
  const stop = new AbortController();
  const cache = new WatchCache({
    storage,
    prefix: PREFIX,
    attrs,
    logger: new RecordingLogger(),
    windowEvents: 3,
  });
  await cache.start(stop.signal);
  // A subscriber that keeps up, so the writes below have been dispatched when it saw them.
  const live = cache.subscribe(1, stop.signal)!;
  for (const name of ["a", "b", "c", "d"]) {
    await storage.create(`${PREFIX}default/${name}`, cm(name)); // 2..5
  }
  assert.deepEqual(summary(await take(live, 4)), [
    "ADDED a@2",
    "ADDED b@3",
    "ADDED c@4",
    "ADDED d@5",
  ]);
  // The window holds the last 3 events (3, 4, 5): resuming after 2 or later works from memory.
  const resumed = cache.subscribe(3, stop.signal)!;
  assert.deepEqual(summary(await take(resumed, 2)), ["ADDED c@4", "ADDED d@5"]);
  const fromStart = cache.subscribe(2, stop.signal)!;
  assert.deepEqual(summary(await take(fromStart, 3)), ["ADDED b@3", "ADDED c@4", "ADDED d@5"]);
  // Older than the window: the caller must watch storage itself.
  assert.equal(cache.subscribe(1, stop.signal), null);
  // Resuming at the newest revision waits for what comes next.
  const latest = cache.subscribe(5, stop.signal)!;
  const next = take(latest, 1);
  await storage.create(`${PREFIX}default/e`, cm("e"));
  assert.deepEqual(summary(await next), ["ADDED e@6"]);
  stop.abort();
});

Deno.test("WatchCache bounds its window by bytes too", async () => {
  await using storage = new MemoryStorage();
  const stop = new AbortController();
  const cache = new WatchCache({
    storage,
    prefix: PREFIX,
    attrs,
    logger: new RecordingLogger(),
    windowBytes: 1, // every event is larger: only the newest stays
  });
  await cache.start(stop.signal);
  const live = cache.subscribe(0, stop.signal)!;
  for (const name of ["a", "b", "c"]) await storage.create(`${PREFIX}default/${name}`, cm(name));
  await take(live, 3);
  assert.equal(cache.subscribe(1, stop.signal), null);
  assert.equal(cache.subscribe(2, stop.signal), null);
  assert.deepEqual(summary(await take(cache.subscribe(3, stop.signal)!, 0)), []);
  stop.abort();
});

Deno.test("WatchCache ends a subscriber that falls too far behind", async () => {
  await using storage = new MemoryStorage();
  const stop = new AbortController();
  const cache = new WatchCache({
    storage,
    prefix: PREFIX,
    attrs,
    logger: new RecordingLogger(),
    maxLag: 2,
  });
  await cache.start(stop.signal);
  const slow = cache.subscribe(cache.revision, stop.signal)!;
  const fast = cache.subscribe(cache.revision, stop.signal)!;
  const fastEvents = take(fast, 3);
  for (const name of ["a", "b", "c"]) await storage.create(`${PREFIX}default/${name}`, cm(name));
  assert.equal((await fastEvents).length, 3, "a reader that keeps up is not ended");
  // The slow one gets what it had queued, then its stream ends.
  const got: CachedEvent[] = [];
  for await (const e of slow) got.push(e);
  assert.deepEqual(summary(got), ["ADDED a@1", "ADDED b@2"]);
  assert.equal(slow.endReason, "watcher fell too far behind");
  assert.equal(fast.endReason, undefined);
  stop.abort();
});

Deno.test("WatchCache restarts after a storage error, ending its subscribers", async () => {
  await using storage = new CountingStorage();
  const logger = new RecordingLogger();
  const stop = new AbortController();
  const lose = Promise.withResolvers<void>();
  storage.failNext = lose.promise;
  const cache = new WatchCache({ storage, prefix: PREFIX, attrs, logger });
  await cache.start(stop.signal);
  const early = cache.subscribe(cache.revision, stop.signal)!;
  lose.resolve();
  const ended: CachedEvent[] = [];
  for await (const e of early) ended.push(e);
  assert.deepEqual(ended, []);
  assert.equal(early.endReason, "watch cache restarted");
  assert.deepEqual(logger.messages("warn"), ["Restarting watch cache"]);
  assert.equal(logger.records[0]!.fields.prefix, PREFIX);
  // It follows storage again from where storage is now.
  const sub = cache.subscribe(cache.revision, stop.signal)!;
  const next = take(sub, 1);
  await storage.create(`${PREFIX}default/a`, cm("a"));
  assert.deepEqual(summary(await next), ["ADDED a@1"]);
  assert.equal(storage.watches, 2);
  stop.abort();
});

Deno.test("WatchCache.stop() and the start signal end every subscription", async () => {
  await using storage = new MemoryStorage();
  const stop = new AbortController();
  const cache = new WatchCache({ storage, prefix: PREFIX, attrs, logger: new RecordingLogger() });
  await cache.start(stop.signal);
  const a = cache.subscribe(0, stop.signal)!;
  cache.stop();
  for await (const _ of a) assert.fail("no events after stop");
  assert.equal(a.endReason, "watch cache stopped");
  // A subscriber whose own signal aborts ends with its client.
  const cache2 = new WatchCache({ storage, prefix: PREFIX, attrs, logger: new RecordingLogger() });
  await cache2.start(stop.signal);
  const client = new AbortController();
  const b = cache2.subscribe(0, client.signal)!;
  client.abort();
  for await (const _ of b) assert.fail("no events after the client left");
  assert.equal(b.endReason, "client went away");
  stop.abort();
});

Deno.test("WatchCache skips a stored value it cannot decode and logs it", async () => {
  await using storage = new MemoryStorage();
  const logger = new RecordingLogger();
  const stop = new AbortController();
  const cache = new WatchCache({ storage, prefix: PREFIX, attrs, logger });
  await cache.start(stop.signal);
  const sub = cache.subscribe(0, stop.signal)!;
  await storage.create(`${PREFIX}default/bad`, new TextEncoder().encode("not json"));
  await storage.create(`${PREFIX}default/good`, cm("good"));
  assert.deepEqual(summary(await take(sub, 1)), ["ADDED good@2"]);
  assert.deepEqual(logger.messages("error"), ["Cannot decode stored object"]);
  stop.abort();
});
