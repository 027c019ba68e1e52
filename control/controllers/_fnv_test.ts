import assert from "node:assert/strict";
import { fnv1x32, FNV32_OFFSET_BASIS } from "./_fnv.ts";

Deno.test("fnv1x32() gives Go's hash/fnv New32 results", async (t) => {
  // Go's hash/fnv golden values for FNV-1 (32 bits).
  const cases: [string, number][] = [
    ["", 0x811c9dc5],
    ["a", 0x050c5d7e],
    ["ab", 0x70772d38],
    ["abc", 0x439c2f4b],
  ];
  for (const [input, want] of cases) {
    await t.step(JSON.stringify(input), () => {
      assert.equal(fnv1x32(new TextEncoder().encode(input)), want);
    });
  }
});

Deno.test("fnv1x32() continues from a seed as one stream", () => {
  const enc = new TextEncoder();
  assert.equal(fnv1x32(enc.encode("c"), fnv1x32(enc.encode("ab"))), 0x439c2f4b);
  assert.equal(fnv1x32(new Uint8Array()), FNV32_OFFSET_BASIS);
});
