import assert from "node:assert/strict";
import { v8FullGc } from "./v8_gc.ts";

Deno.test("v8FullGc() collects what nothing references any more", () => {
  const gc = v8FullGc();
  assert.ok(gc, "Deno lets the program have V8's gc");
  let junk: unknown[] | null = Array.from({ length: 200_000 }, (_, i) => ({ i, s: `x${i}` }));
  const before = Deno.memoryUsage().heapUsed;
  assert.ok(junk.length > 0);
  junk = null;
  gc();
  const after = Deno.memoryUsage().heapUsed;
  assert.ok(before - after > 5_000_000, `heap ${before} → ${after}`);
});
