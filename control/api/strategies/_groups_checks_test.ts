import assert from "node:assert/strict";
import { FieldPath } from "../validation/field_errors.ts";
import {
  isDomainPrefixedPath,
  isValidPortName,
  isValidPortNum,
  jsonEqual,
  validateImmutable,
} from "./_groups_checks.ts";

Deno.test("isValidPortName() reports upstream's messages", async (t) => {
  const cases: [string, string[]][] = [
    ["http", []],
    ["web-8080", []],
    ["a".repeat(16), ["must be no more than 15 characters"]],
    ["8080", ["must contain at least one letter (a-z)"]],
    ["a--b", ["must not contain consecutive hyphens"]],
    ["-a", ["must not begin or end with a hyphen"]],
    ["A", [
      "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
      "must contain at least one letter (a-z)",
    ]],
  ];
  for (const [name, want] of cases) {
    await t.step(name, () => assert.deepEqual(isValidPortName(name), want));
  }
  assert.deepEqual(isValidPortNum(0), ["must be between 1 and 65535, inclusive"]);
  assert.deepEqual(isValidPortNum(65535), []);
});

Deno.test("isDomainPrefixedPath() requires a DNS host and an HTTP path", () => {
  const p = new FieldPath("c");
  assert.deepEqual(isDomainPrefixedPath(p, "acme.io/foo"), []);
  assert.deepEqual(isDomainPrefixedPath(p, "").map(String), ["c: Required value"]);
  assert.deepEqual(isDomainPrefixedPath(p, "acme.io/").map(String), [
    'c: Invalid value: "acme.io/": must be a domain-prefixed path (such as "acme.io/foo")',
  ]);
});

Deno.test("jsonEqual() treats absent, empty lists and empty maps alike", () => {
  assert.equal(jsonEqual(undefined, []), true);
  assert.equal(jsonEqual({}, null), true);
  assert.equal(jsonEqual({ a: [1] }, { a: [1], b: undefined }), true);
  assert.equal(jsonEqual({ a: 1 }, { a: 2 }), false);
  assert.equal(jsonEqual("", undefined), false);
  assert.deepEqual(
    validateImmutable(new FieldPath("f"), { value: "b", old: "a" }).map(String),
    ['f: Invalid value: "b": field is immutable'],
  );
});
