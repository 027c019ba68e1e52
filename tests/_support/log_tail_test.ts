import assert from "node:assert/strict";
import { keepLastLines } from "./log_tail.ts";

Deno.test("keepLastLines() keeps the latest complete lines, split across chunks, then a last partial one", async () => {
  const enc = new TextEncoder();
  const stream = ReadableStream.from(["a\nb", "\nc\nd\n", "e"].map((s) => enc.encode(s)));
  const lines: string[] = [];
  await keepLastLines(stream, { lines, max: 3 });
  assert.deepEqual(lines, ["b", "c", "d", "e"]);
});
