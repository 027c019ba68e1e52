import assert from "node:assert/strict";
import { FakeClock } from "./clock.ts";
import { type MallocControl, MallocTrimmer, openGlibcMalloc } from "./glibc_malloc.ts";

Deno.test("openGlibcMalloc() limits arenas and trims on this glibc machine", () => {
  using malloc = openGlibcMalloc();
  assert.ok(malloc, "libc.so.6 is glibc here");
  assert.equal(malloc.limitArenas(1), true);
  assert.equal(typeof malloc.trim(), "boolean");
});

function recording(): MallocControl & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    limitArenas: () => true,
    trim: () => {
      calls.push("trim");
      return true;
    },
  };
}

Deno.test("MallocTrimmer collects and trims once, after the agent has been quiet", () => {
  const clock = new FakeClock();
  const malloc = recording();
  using trimmer = new MallocTrimmer({
    malloc,
    clock,
    collectGarbage: () => malloc.calls.push("gc"),
  }, { quietMs: 5000 });
  trimmer.busy();
  clock.advance(4000);
  trimmer.busy(); // still busy: the wait starts again
  clock.advance(4000);
  assert.deepEqual(malloc.calls, []);
  clock.advance(1000);
  assert.deepEqual(malloc.calls, ["gc", "trim"]);
  clock.advance(60_000);
  assert.deepEqual(malloc.calls, ["gc", "trim"], "nothing while nothing happens");
});

Deno.test("MallocTrimmer does nothing once disposed", () => {
  const clock = new FakeClock();
  const malloc = recording();
  const trimmer = new MallocTrimmer({ malloc, clock });
  trimmer.busy();
  trimmer[Symbol.dispose]();
  trimmer.busy();
  clock.advance(10_000);
  assert.deepEqual(malloc.calls, []);
});
