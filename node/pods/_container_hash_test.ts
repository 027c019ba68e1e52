import assert from "node:assert/strict";
import { containerHash, fnv32a } from "./_container_hash.ts";

function encode(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

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

Deno.test("containerHash() hashes the Go dump of the JSON of name and image", async (t) => {
  const cases: [string, string, string][] = [
    ["app", "busybox", '{"image":"busybox","name":"app"}'],
    ["a<b", "x&y", '{"image":"x\\u0026y","name":"a\\u003cb"}'],
  ];
  for (const [name, image, json] of cases) {
    await t.step(json, () => {
      const dump = `([]uint8)[${encode(json).join(" ")}]`;
      assert.equal(containerHash({ name, image }), fnv32a(encode(dump)).toString(16));
    });
  }
});
