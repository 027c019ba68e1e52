import assert from "node:assert/strict";
import {
  validateLocalDescendingPath,
  validateLocalNonReservedPath,
  validatePathNoBacksteps,
} from "./local_paths.ts";

Deno.test("validatePathNoBacksteps() refuses '..' elements, once", async (t) => {
  const cases: [string, string[]][] = [
    ["a/b", []],
    ["a..b/c", []],
    ["../a", [`p: Invalid value: "../a": must not contain '..'`]],
    ["a/../../b", [`p: Invalid value: "a/../../b": must not contain '..'`]],
    // Only "/" separates elements, as on the Linux API server.
    ["a\\..\\b", []],
  ];
  for (const [value, want] of cases) {
    await t.step(
      value,
      () => assert.deepEqual(validatePathNoBacksteps(value, "p").map(String), want),
    );
  }
});

Deno.test("validateLocalDescendingPath() and validateLocalNonReservedPath() refuse escapes", () => {
  assert.deepEqual(validateLocalDescendingPath("/etc", "p").map(String), [
    'p: Invalid value: "/etc": must be a relative path',
  ]);
  assert.deepEqual(validateLocalNonReservedPath("..data", "p").map(String), [
    `p: Invalid value: "..data": must not start with '..'`,
  ]);
  assert.deepEqual(validateLocalNonReservedPath("../x", "p").map(String), [
    `p: Invalid value: "../x": must not contain '..'`,
  ]);
  assert.deepEqual(validateLocalNonReservedPath("data/..x", "p"), []);
});
