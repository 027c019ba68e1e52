import assert from "node:assert/strict";
import { BufferWriter, type SyncWriter, writeTextSync } from "./writer.ts";

Deno.test("writeTextSync() loops over short writes until all bytes are written", () => {
  const out = new BufferWriter();
  const trickle: SyncWriter = { writeSync: (p) => out.writeSync(p.subarray(0, 2)) };
  writeTextSync(trickle, "héllo wörld\n");
  assert.equal(out.text(), "héllo wörld\n");
});

Deno.test("writeTextSync() throws when the writer accepts nothing", () => {
  const stuck: SyncWriter = { writeSync: () => 0 };
  assert.throws(() => writeTextSync(stuck, "x"), /Cannot write output/);
});

Deno.test("BufferWriter.lines() splits the text into lines", () => {
  const out = new BufferWriter();
  assert.deepEqual(out.lines(), []);
  writeTextSync(out, "a\nb\n");
  writeTextSync(out, "c");
  assert.deepEqual(out.lines(), ["a", "b", "c"]);
});
