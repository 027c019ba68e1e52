import assert from "node:assert/strict";
import { MemoryStorage } from "../../storage/memory.ts";
import { BufferWriter, FakeClock, JsonLogger } from "../../util/mod.ts";
import { lastRecordedTimeMs, TtlSweeper } from "./ttl_sweeper.ts";

const HOUR = 3600_000;
function encode(o: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(o));
}

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 0));
}

Deno.test("TtlSweeper deletes an object one TTL after its last write, and arms no timer when idle", async () => {
  const storage = new MemoryStorage();
  const clock = new FakeClock(Date.parse("2026-12-01T00:00:00Z"));
  const sweeper = new TtlSweeper({
    storage,
    prefix: "/registry/events/",
    ttlMs: HOUR,
    clock,
    logger: new JsonLogger({ writer: new BufferWriter() }),
  });
  const ac = new AbortController();
  const running = sweeper.run(ac.signal);
  await settle();
  assert.equal(clock.pendingTimers, 0, "no timer while nothing can expire");

  await storage.create("/registry/events/default/a", encode({ metadata: { name: "a" } }));
  await settle();
  assert.equal(sweeper.pending, 1);
  assert.equal(clock.pendingTimers, 1);

  clock.advance(HOUR / 2);
  // Written again halfway: it lives another full TTL from now.
  const cur = await storage.get("/registry/events/default/a");
  await storage.update(
    "/registry/events/default/a",
    encode({ metadata: { name: "a" }, count: 2 }),
    cur!.modRevision,
  );
  await settle();

  clock.advance(HOUR / 2 + 1);
  await settle();
  assert.notEqual(
    await storage.get("/registry/events/default/a"),
    null,
    "the newer write keeps it",
  );

  clock.advance(HOUR / 2);
  await settle();
  assert.equal(await storage.get("/registry/events/default/a"), null);
  assert.equal(sweeper.pending, 0);
  assert.equal(clock.pendingTimers, 0, "idle again");
  ac.abort();
  await running;
  await storage.close();
});

Deno.test("TtlSweeper expires objects stored before it started by the time they record", async () => {
  const storage = new MemoryStorage();
  const now = Date.parse("2026-12-01T12:00:00Z");
  await storage.create(
    "/registry/events/default/old",
    encode({
      metadata: { creationTimestamp: "2026-12-01T10:00:00Z" },
      lastTimestamp: "2026-12-01T11:30:00Z",
    }),
  );
  await storage.create(
    "/registry/events/default/ancient",
    encode({ metadata: { creationTimestamp: "2026-11-01T00:00:00Z" } }),
  );
  const clock = new FakeClock(now);
  const sweeper = new TtlSweeper({
    storage,
    prefix: "/registry/events/",
    ttlMs: HOUR,
    clock,
    logger: new JsonLogger({ writer: new BufferWriter() }),
  });
  const ac = new AbortController();
  const running = sweeper.run(ac.signal);
  await settle();
  clock.advance(1);
  await settle();
  assert.equal(await storage.get("/registry/events/default/ancient"), null, "long expired");
  assert.notEqual(await storage.get("/registry/events/default/old"), null);
  clock.advance(HOUR / 2);
  await settle();
  assert.equal(await storage.get("/registry/events/default/old"), null, "30 min after 11:30 + 1 h");
  ac.abort();
  await running;
  await storage.close();
});

Deno.test("lastRecordedTimeMs() takes the newest of the event's times", () => {
  assert.equal(
    lastRecordedTimeMs(encode({
      metadata: { creationTimestamp: "2026-01-01T00:00:00Z" },
      eventTime: "2026-01-02T00:00:00.000000Z",
      series: { lastObservedTime: "2026-01-03T00:00:00.000000Z" },
    })),
    Date.parse("2026-01-03T00:00:00Z"),
  );
  assert.equal(lastRecordedTimeMs(new TextEncoder().encode("not json")), 0);
});
