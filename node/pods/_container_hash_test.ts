import assert from "node:assert/strict";
import { containerHash, fnv32a } from "./_container_hash.ts";

Deno.test("fnv32a() matches the published FNV-1a vectors", async (t) => {
  const cases: [string, number][] = [["", 0x811c9dc5], ["a", 0xe40c292c], ["foobar", 0xbf9cf968]];
  for (const [input, want] of cases) {
    await t.step(
      JSON.stringify(input),
      () => assert.equal(fnv32a(new TextEncoder().encode(input)), want),
    );
  }
});

Deno.test("containerHash() changes with the name and image only", () => {
  const base = containerHash({ name: "app", image: "busybox" });
  assert.match(base, /^[0-9a-f]{1,8}$/);
  assert.equal(containerHash({ name: "app", image: "busybox" }), base);
  assert.notEqual(containerHash({ name: "app", image: "busybox:2" }), base);
  assert.notEqual(containerHash({ name: "app2", image: "busybox" }), base);
});
