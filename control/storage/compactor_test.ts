import assert from "node:assert/strict";
import { FakeClock } from "../util/clock.ts";
import { RecordingLogger } from "../util/logger.ts";
import { runCompactor } from "./compactor.ts";
import { MemoryStorage } from "./memory.ts";

const one = new Uint8Array([1]);

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 0));
}

Deno.test("runCompactor() arms no timer while nothing is written", async () => {
  await using storage = new MemoryStorage();
  const clock = new FakeClock();
  const ac = new AbortController();
  const done = runCompactor({ storage, clock, logger: new RecordingLogger() }, {
    intervalMs: 1000,
    signal: ac.signal,
  });
  await settle();
  assert.equal(clock.pendingTimers, 0);
  ac.abort();
  await done;
});

Deno.test("runCompactor() keeps one interval of history and compacts the rest", async () => {
  await using storage = new MemoryStorage();
  const clock = new FakeClock();
  const ac = new AbortController();
  const logger = new RecordingLogger();
  const a = await storage.create("/registry/configmaps/default/a", one);
  const done = runCompactor({ storage, clock, logger }, { intervalMs: 1000, signal: ac.signal });
  await settle();
  const b = await storage.create("/registry/configmaps/default/b", one);
  await settle();
  assert.equal(clock.pendingTimers, 1);
  clock.advance(1000);
  await settle();
  // The revision seen one interval ago (before b) is now the compaction floor.
  assert.equal(await storage.compactedRevision(), a.modRevision);
  await storage.create("/registry/configmaps/default/c", one);
  await settle();
  clock.advance(1000);
  await settle();
  assert.equal(await storage.compactedRevision(), b.modRevision);
  await settle();
  assert.equal(clock.pendingTimers, 0, "idle again: no timer armed");
  ac.abort();
  await done;
  assert.ok(logger.records.some((r) => r.msg === "Compacted storage"));
});
