import assert from "node:assert/strict";
import { isValidPortName, isValidPortNum, validatePortNumOrName } from "./ports.ts";

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

Deno.test("validatePortNumOrName() checks numbers and names as field errors", () => {
  assert.deepEqual(validatePortNumOrName(8080, "port"), []);
  assert.deepEqual(validatePortNumOrName("http", "port"), []);
  assert.deepEqual(validatePortNumOrName(0, "port").map(String), [
    "port: Invalid value: 0: must be between 1 and 65535, inclusive",
  ]);
  assert.deepEqual(validatePortNumOrName("80", "port").map(String), [
    'port: Invalid value: "80": must contain at least one letter (a-z)',
  ]);
});
