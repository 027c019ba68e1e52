import assert from "node:assert/strict";
import { serverFullGc } from "./_v8_gc.ts";

Deno.test("serverFullGc() collects what nothing references any more", async () => {
  const gc = serverFullGc();
  assert.ok(gc, "Deno lets a program have V8's gc");
  let collected = false;
  const registry = new FinalizationRegistry(() => collected = true);
  (() => registry.register({ garbage: new Uint8Array(1024) }, "x"))();
  for (let i = 0; i < 20 && !collected; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.ok(collected);
});
