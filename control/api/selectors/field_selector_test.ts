import assert from "node:assert/strict";
import { FieldSelectorParseError, parseFieldSelector } from "./field_selector.ts";

Deno.test("parseFieldSelector() parses =, == and != terms", () => {
  const sel = parseFieldSelector("metadata.name==web,status.phase!=Succeeded, spec.nodeName=n1");
  assert.deepEqual(sel.requirements, [
    { field: "metadata.name", operator: "=", value: "web" },
    { field: "status.phase", operator: "!=", value: "Succeeded" },
    { field: "spec.nodeName", operator: "=", value: "n1" },
  ]);
  assert.equal(sel.requiredValue("metadata.name"), "web");
  assert.equal(sel.requiredValue("status.phase"), undefined);
});

Deno.test("FieldSelector.matches() treats a missing field as empty", () => {
  const sel = parseFieldSelector("spec.nodeName=,status.phase!=Failed");
  assert.equal(sel.matches({}), true);
  assert.equal(sel.matches({ "spec.nodeName": "n1" }), false);
  assert.equal(sel.matches({ "status.phase": "Failed" }), false);
  assert.equal(parseFieldSelector("").matches({ a: "b" }), true);
});

Deno.test("parseFieldSelector() honours escapes", () => {
  const sel = parseFieldSelector("metadata.name=a\\,b\\=c\\\\d");
  assert.equal(sel.requirements[0]!.value, "a,b=c\\d");
});

Deno.test("parseFieldSelector() refuses terms without an operator and bad escapes", () => {
  assert.throws(() => parseFieldSelector("metadata.name"), FieldSelectorParseError);
  assert.throws(() => parseFieldSelector("a=b\\x"), FieldSelectorParseError);
  assert.throws(() => parseFieldSelector("a=b=c"), FieldSelectorParseError);
});
