import assert from "node:assert/strict";
import { canonicalJson, contentDigest } from "./canonical_json.ts";

Deno.test("canonicalJson() sorts keys at every depth and drops undefined members", async (t) => {
  const cases: Array<{ name: string; value: unknown; want: string }> = [
    { name: "flat", value: { b: 1, a: 2 }, want: '{"a":2,"b":1}' },
    { name: "nested in arrays", value: [{ y: { d: 1, c: 2 } }], want: '[{"y":{"c":2,"d":1}}]' },
    { name: "undefined member", value: { a: undefined, b: null }, want: '{"b":null}' },
    { name: "scalar", value: "x", want: '"x"' },
    { name: "undefined", value: undefined, want: "null" },
  ];
  for (const c of cases) {
    await t.step(c.name, () => assert.equal(canonicalJson(c.value), c.want));
  }
});

Deno.test("contentDigest() is the same for equal content and differs for other content", () => {
  assert.equal(contentDigest({ a: 1, b: [1, 2] }), contentDigest({ b: [1, 2], a: 1 }));
  assert.notEqual(contentDigest({ a: 1, b: [1, 2] }), contentDigest({ a: 1, b: [2, 1] }));
  assert.match(contentDigest({}), /^[0-9a-f]{64}$/);
});
