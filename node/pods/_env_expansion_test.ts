import assert from "node:assert/strict";
import { expand, mappingFor } from "./_env_expansion.ts";

Deno.test("expand() follows the kubelet's $(VAR) rules", async (t) => {
  const mapping = mappingFor(new Map([["A", "a"], ["EMPTY", ""], ["B", "$(A)"]]));
  const cases: [string, string][] = [
    ["plain", "plain"],
    ["$(A)", "a"],
    ["x$(A)y$(A)", "xaya"],
    ["$(EMPTY)-", "-"],
    ["$(B)", "$(A)"],
    ["$(UNKNOWN)", "$(UNKNOWN)"],
    ["$$(A)", "$(A)"],
    ["$$$(A)", "$a"],
    ["$$$$", "$$"],
    ["$x", "$x"],
    ["$", "$"],
    ["a$", "a$"],
    ["$(A", "$(A"],
    ["$()", "$()"],
    ["$(A)$", "a$"],
    ["${A}", "${A}"],
  ];
  for (const [input, want] of cases) {
    await t.step(JSON.stringify(input), () => assert.equal(expand(input, mapping), want));
  }
});

Deno.test("mappingFor() prefers the first map holding a name", () => {
  const m = mappingFor(new Map([["X", "1"]]), new Map([["X", "2"], ["Y", "3"]]));
  assert.deepEqual([m("X"), m("Y"), m("Z")], ["1", "3", "$(Z)"]);
});
