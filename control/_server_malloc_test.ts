import assert from "node:assert/strict";
import { MemoryStorage } from "./storage/memory.ts";
import { FakeClock } from "./util/mod.ts";
import { type MallocControl, MallocTrimmer } from "./util/glibc_malloc.ts";
import { observeStorage, SERVER_TRIM } from "./_server_malloc.ts";

const MiB = 1024 * 1024;

function fakeMalloc(onTrim: () => void = () => {}): MallocControl & { trims: number } {
  return {
    trims: 0,
    limitArenas: () => true,
    trim() {
      this.trims++;
      onTrim();
      return true;
    },
  };
}

Deno.test("MallocTrimmer with the server's growth bound trims once quiet after growing, not while busy", () => {
  const clock = new FakeClock();
  let rss = 100 * MiB;
  const calls: string[] = [];
  const malloc = fakeMalloc(() => {
    calls.push("trim");
    rss -= 20 * MiB;
  });
  using trimmer = new MallocTrimmer({
    malloc,
    clock,
    rssBytes: () => rss,
    collectGarbage: () => calls.push("gc"),
  }, { ...SERVER_TRIM, quietMs: 500 });
  rss += 30 * MiB;
  for (let i = 0; i < 10; i++) {
    trimmer.busy();
    clock.advance(300);
  }
  assert.equal(malloc.trims, 0, "busy every 300 ms: never quiet for 500");
  clock.advance(300);
  assert.equal(malloc.trims, 1);
  assert.deepEqual(calls, ["gc", "trim"], "the burst's garbage collected first");
  // Grown by less than 4 MiB since (the trim gave 20 back): nothing to do.
  rss += 2 * MiB;
  trimmer.busy();
  clock.advance(1000);
  assert.equal(malloc.trims, 1);
  assert.deepEqual(calls, ["gc", "trim"]);
});

Deno.test("MallocTrimmer arms no timer while nothing happens, one a burst, and none after dispose", () => {
  const clock = new FakeClock();
  let rss = 100 * MiB;
  const malloc = fakeMalloc();
  const trimmer = new MallocTrimmer({ malloc, clock, rssBytes: () => rss }, SERVER_TRIM);
  clock.advance(10_000);
  assert.equal(clock.pendingTimers, 0);
  rss += 50 * MiB;
  trimmer.busy();
  assert.equal(clock.pendingTimers, 1);
  trimmer.busy();
  assert.equal(clock.pendingTimers, 1, "one timer a burst");
  trimmer[Symbol.dispose]();
  assert.equal(clock.pendingTimers, 0);
  clock.advance(10_000);
  assert.equal(malloc.trims, 0);
});

Deno.test("observeStorage() reports reads and writes, and serves them from the storage", async () => {
  const storage = new MemoryStorage();
  let work = 0;
  const observed = observeStorage(storage, () => work++);
  await observed.create("/registry/configmaps/a", new Uint8Array([1]));
  assert.deepEqual((await observed.get("/registry/configmaps/a"))?.value, new Uint8Array([1]));
  assert.equal((await observed.list("/registry/configmaps/")).items.length, 1);
  assert.equal(await observed.currentRevision(), await storage.currentRevision());
  assert.equal(work, 3);
  assert.equal(observed.get, observed.get, "one wrapper per method");
});
