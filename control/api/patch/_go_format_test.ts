import assert from "node:assert/strict";
import { goJsonKind, goQuote, goString, goTypeName, goValue } from "./_go_format.ts";

Deno.test("goValue() prints values as Go's %v does", async (t) => {
  const cases: [unknown, string][] = [
    [{ name: "x", image: "nginx:1.27" }, "map[image:nginx:1.27 name:x]"],
    [[{ a: 1 }, { b: [true, null] }], "[map[a:1] map[b:[true <nil>]]]"],
    [80, "80"],
    [-3, "-3"],
    [1.5, "1.5"],
    [0.0001, "0.0001"],
    [0.00001, "1e-05"],
    [1234567.5, "1.2345675e+06"],
    [1e21, "1e+21"],
    [null, "<nil>"],
    ["", ""],
  ];
  for (const [v, want] of cases) {
    await t.step(want, () => assert.equal(goValue(v), want));
  }
});

Deno.test("goString() prints non-strings as Go's %s does", async (t) => {
  const cases: [unknown, string][] = [
    ["merge", "merge"],
    [1, "%!s(int64=1)"],
    [1.5, "%!s(float64=1.5)"],
    [true, "%!s(bool=true)"],
    [null, "%!s(<nil>)"],
    [{ a: 1 }, "map[a:%!s(int64=1)]"],
  ];
  for (const [v, want] of cases) {
    await t.step(want, () => assert.equal(goString(v), want));
  }
});

Deno.test("goTypeName() names the Go type of a decoded value", () => {
  assert.deepEqual(
    [{}, [], "s", 1, 1.5, false, null].map(goTypeName),
    [
      "map[string]interface {}",
      "[]interface {}",
      "string",
      "int64",
      "float64",
      "bool",
      "%!s(<nil>)",
    ],
  );
});

Deno.test("goJsonKind() names JSON kinds as encoding/json's errors do", () => {
  assert.deepEqual(
    [{}, [], "s", 1, true, null].map(goJsonKind),
    ["object", "array", "string", "number", "bool", "null"],
  );
});

Deno.test("goQuote() quotes as strconv.Quote does", () => {
  assert.equal(goQuote('a"b'), '"a\\"b"');
  assert.equal(goQuote("tab\there"), '"tab\\there"');
  assert.equal(goQuote("\u0001\u0007"), '"\\x01\\a"');
});
