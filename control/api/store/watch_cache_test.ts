import assert from "node:assert/strict";
import { MemoryStorage } from "../../storage/memory.ts";
import { SlowStorage } from "../_test_storage.ts";
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

/** Counts the storage watches open now. */
class OpenWatchesStorage extends MemoryStorage {
  open = 0;

  override watch(prefix: string, from: number, signal: AbortSignal): AsyncIterable<WatchEvent> {
    const inner = super.watch(prefix, from, signal);
    // deno-lint-ignore no-this-alias
    const self = this;
    return {
      async *[Symbol.asyncIterator]() {
        self.open++;
        try {
          yield* inner;
        } finally {
          self.open--;
        }
      },
    };
  }
}

/** Lets the event loop turn until `done()` (fails after 1000 turns). */
async function turnsUntil(done: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !done(); i++) await new Promise((r) => setTimeout(r, 0));
  assert.ok(done());
}

/** A listener recording what it gets, and how it ended. */
function recorder() {
  const events: CachedEvent[] = [];
  const ended: string[] = [];
  let changed = Promise.withResolvers<void>();
  const listener = {
    event(e: CachedEvent) {
      events.push(e);
      changed.resolve();
    },
    end(reason: string) {
      ended.push(reason);
      changed.resolve();
    },
  };
  const until = async (done: () => boolean) => {
    while (!done()) {
      await changed.promise;
      changed = Promise.withResolvers<void>();
    }
  };
  return { events, ended, listener, until };
}

Deno.test("WatchCache.listen() catches an older revision up from storage, then follows the cache", async () => {
  await using storage = new OpenWatchesStorage();
  await storage.create(`${PREFIX}default/a`, cm("a")); // 1
  await storage.create("/registry/secrets/default/s", cm("s")); // 2, another prefix
  const a = await storage.create(`${PREFIX}default/b`, cm("b")); // 3
  const stop = new AbortController();
  const cache = new WatchCache({ storage, prefix: PREFIX, attrs, logger: new RecordingLogger() });
  await cache.start(stop.signal); // its window starts at 3
  const live = recorder();
  cache.listen(3, { listener: live.listener, signal: stop.signal });
  await storage.update(`${PREFIX}default/b`, cm("b", { x: "1" }), a.modRevision); // 4, in the window
  await live.until(() => live.events.length === 1);
  assert.equal(storage.open, 1, "the cache's own storage watch");

  const old = recorder();
  const stopOld = cache.listen(1, { listener: old.listener, signal: stop.signal });
  await old.until(() => old.events.length === 2);
  // Each event after 1 once, in order: 3 from storage, 4 from the window.
  assert.deepEqual(summary(old.events), ["ADDED b@3", "MODIFIED b@4"]);
  // Caught up: its storage watch ended once storage passed the window's start.
  assert.equal(storage.open, 1);
  await storage.create(`${PREFIX}default/c`, cm("c")); // 5
  await old.until(() => old.events.length === 3);
  assert.deepEqual(summary(old.events).slice(2), ["ADDED c@5"]);
  assert.equal(old.events[2], live.events.at(-1), "the same shared event as every other watcher");
  stopOld.stop();
  assert.equal(cache.subscriberCount, 1);
  stop.abort();
});

Deno.test("WatchCache.listen() from before a young cache with nothing under its prefix since waits for the next event", async () => {
  await using storage = new OpenWatchesStorage();
  await storage.create(`${PREFIX}default/a`, cm("a")); // 1
  await storage.create("/registry/secrets/default/s", cm("s")); // 2, another prefix
  const stop = new AbortController();
  const cache = new WatchCache({ storage, prefix: PREFIX, attrs, logger: new RecordingLogger() });
  await cache.start(stop.signal); // its window starts at 2
  const watchers = [recorder(), recorder(), recorder()];
  for (const w of watchers) cache.listen(1, { listener: w.listener, signal: stop.signal });
  await storage.create(`${PREFIX}default/b`, cm("b")); // 3
  await storage.create(`${PREFIX}default/c`, cm("c")); // 4
  for (const w of watchers) {
    await w.until(() => w.events.length === 2);
    assert.deepEqual(summary(w.events), ["ADDED b@3", "ADDED c@4"]);
  }
  // Their catch-up watches ended with the first event past the window's start.
  assert.equal(storage.open, 1);
  // A client that goes away while catching up takes its storage watch with it.
  const client = new AbortController();
  const cache2 = new WatchCache({ storage, prefix: PREFIX, attrs, logger: new RecordingLogger() });
  await storage.create("/registry/secrets/default/t", cm("t")); // 5
  await cache2.start(stop.signal); // starts at 5
  const gone = recorder();
  cache2.listen(4, { listener: gone.listener, signal: client.signal });
  await turnsUntil(() => storage.open === 3); // two caches and one catch-up
  client.abort();
  await turnsUntil(() => storage.open === 2);
  assert.equal(cache2.subscriberCount, 0);
  stop.abort();
});

Deno.test("WatchCache.listen() ends a catch-up whose history is compacted with expired()", async () => {
  await using storage = new MemoryStorage();
  await storage.create(`${PREFIX}default/a`, cm("a")); // 1
  await storage.create(`${PREFIX}default/b`, cm("b")); // 2
  await storage.create(`${PREFIX}default/c`, cm("c")); // 3
  await storage.compact(3);
  const stop = new AbortController();
  const cache = new WatchCache({ storage, prefix: PREFIX, attrs, logger: new RecordingLogger() });
  await cache.start(stop.signal);
  const w = recorder();
  const expired: number[] = [];
  const done = Promise.withResolvers<void>();
  cache.listen(1, {
    listener: {
      ...w.listener,
      expired(err) {
        expired.push(err.compactedRevision);
        done.resolve();
      },
    },
    signal: stop.signal,
  });
  await done.promise;
  assert.deepEqual(expired, [3]);
  assert.deepEqual(w.events, []);
  assert.deepEqual(w.ended, [], "expired() instead of end()");
  assert.equal(cache.subscriberCount, 0);
  stop.abort();
});

Deno.test("WatchCache.listen() ends a catch-up whose held events exceed maxLag", async () => {
  await using storage = new MemoryStorage();
  await storage.create(`${PREFIX}default/a`, cm("a")); // 1
  await storage.create("/registry/secrets/default/s", cm("s")); // 2
  const stop = new AbortController();
  const cache = new WatchCache({
    storage,
    prefix: PREFIX,
    attrs,
    logger: new RecordingLogger(),
    maxLag: 2,
  });
  await cache.start(stop.signal);
  // A storage watch that never yields: the catch-up never reaches the window.
  const stuck = new AbortController();
  const original = storage.watch.bind(storage);
  storage.watch = (prefix, from, signal) =>
    prefix === PREFIX && from === 1
      ? original(PREFIX, 1_000_000, stuck.signal)
      : original(prefix, from, signal);
  const w = recorder();
  cache.listen(1, { listener: w.listener, signal: stop.signal });
  const live = recorder();
  cache.listen(2, { listener: live.listener, signal: stop.signal });
  for (const name of ["b", "c", "d"]) await storage.create(`${PREFIX}default/${name}`, cm(name));
  await live.until(() => live.events.length === 3);
  await w.until(() => w.ended.length === 1);
  assert.deepEqual(w.ended, ["watcher fell too far behind"]);
  assert.deepEqual(w.events, []);
  stuck.abort();
  stop.abort();
});

Deno.test("WatchCache.listen() revision is the listener's own progress: a catch-up never reports the cache's", async () => {
  await using storage = new SlowStorage();
  await storage.create(`${PREFIX}default/a`, cm("a")); // 1
  await storage.create(`${PREFIX}default/b`, cm("b")); // 2
  await storage.create("/registry/secrets/default/s", cm("s")); // 3, another prefix
  const stop = new AbortController();
  const cache = new WatchCache({ storage, prefix: PREFIX, attrs, logger: new RecordingLogger() });
  await cache.start(stop.signal); // its window starts at 3
  const live = recorder();
  const following = cache.listen(3, { listener: live.listener, signal: stop.signal });
  assert.equal(following.revision, 3);

  // A watcher from 1 is caught up from a storage replay that goes one event per release.
  const replay = storage.gateWatch(PREFIX, 1);
  const late = recorder();
  const catching = cache.listen(1, { listener: late.listener, signal: stop.signal });
  await storage.create(`${PREFIX}default/c`, cm("c")); // 4, held for the late watcher
  await storage.create(`${PREFIX}default/d`, cm("d")); // 5
  await live.until(() => live.events.length === 2);
  assert.equal(cache.revision, 5);
  assert.equal(following.revision, 5, "a listener following the cache got every event");
  assert.deepEqual(late.events, []);
  assert.equal(catching.revision, 1, "nothing sent yet: not the cache's 5");

  replay.release(1);
  await late.until(() => late.events.length === 1);
  assert.deepEqual(summary(late.events), ["ADDED b@2"]);
  assert.equal(catching.revision, 2, "up to the replayed event, not the held 4 and 5");

  // The replay passes the window's start: the held events go out, and it follows the cache.
  replay.release(1);
  await late.until(() => late.events.length === 3);
  assert.deepEqual(summary(late.events), ["ADDED b@2", "ADDED c@4", "ADDED d@5"]);
  assert.equal(catching.revision, 5);
  await storage.create(`${PREFIX}default/e`, cm("e")); // 6
  await late.until(() => late.events.length === 4);
  assert.equal(catching.revision, 6);
  // A listener asked to start past the cache reports where it started.
  const ahead = cache.listen(9, { listener: recorder().listener, signal: stop.signal });
  assert.equal(ahead.revision, 9);
  stop.abort();
});

Deno.test("WatchCache.subscribe() revision stops at the last event yielded while others are queued", async () => {
  await using storage = new MemoryStorage();
  const stop = new AbortController();
  const cache = new WatchCache({ storage, prefix: PREFIX, attrs, logger: new RecordingLogger() });
  await cache.start(stop.signal);
  const sub = cache.subscribe(0, stop.signal)!;
  const other = cache.subscribe(0, stop.signal)!;
  assert.equal(sub.revision, 0);
  for (const name of ["a", "b", "c"]) await storage.create(`${PREFIX}default/${name}`, cm(name));
  assert.deepEqual(summary(await take(other, 3)), ["ADDED a@1", "ADDED b@2", "ADDED c@3"]);
  assert.equal(cache.revision, 3);
  assert.equal(sub.revision, 0, "three events queued, none yielded");
  assert.deepEqual(summary(await take(sub, 1)), ["ADDED a@1"]);
  assert.equal(sub.revision, 1);
  assert.deepEqual(summary(await take(sub, 2)), ["ADDED b@2", "ADDED c@3"]);
  assert.equal(sub.revision, 3);
  stop.abort();
});
