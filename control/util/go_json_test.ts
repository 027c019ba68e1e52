import assert from "node:assert/strict";
import { goJson } from "./go_json.ts";

Deno.test("goJson() prints as Go's encoding/json of a map", async (t) => {
  const cases: [unknown, string][] = [
    [{ b: 1, a: [true, null], $patch: "replace" }, '{"$patch":"replace","a":[true,null],"b":1}'],
    [{ s: "<a&b>\u2028" }, '{"s":"\\u003ca\\u0026b\\u003e\\u2028"}'],
    [{ gone: undefined, n: 1.5 }, '{"n":1.5}'],
    ["a\u2028b", '"a\\u2028b"'],
    [{ z: { y: 1, x: 2 } }, '{"z":{"x":2,"y":1}}'],
  ];
  for (const [value, want] of cases) {
    await t.step(want, () => assert.equal(goJson(value), want));
  }
});

Deno.test("goJson() refuses what JSON cannot hold", () => {
  assert.throws(() => goJson(() => 1), TypeError);
});
