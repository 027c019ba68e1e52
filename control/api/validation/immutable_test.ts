import assert from "node:assert/strict";
import { FieldPath } from "./field_errors.ts";
import { FIELD_IMMUTABLE, validateImmutableField } from "./immutable.ts";

Deno.test("validateImmutableField() reports a changed value", () => {
  assert.equal(FIELD_IMMUTABLE, "field is immutable");
  assert.deepEqual(
    validateImmutableField("b", { old: "a", path: new FieldPath("f") }).map(String),
    ['f: Invalid value: "b": field is immutable'],
  );
  assert.deepEqual(validateImmutableField("a", { old: "a", path: "f" }), []);
});

Deno.test("validateImmutableField() compares semantically and prints Go text when given", () => {
  assert.deepEqual(validateImmutableField([], { old: undefined, path: "f" }), []);
  assert.deepEqual(validateImmutableField(undefined, { old: 3, path: "f" }).map(String), [
    "f: Invalid value: null: field is immutable",
  ]);
  assert.deepEqual(
    validateImmutableField(0, { old: undefined, path: "spec.completions" }).map(String),
    [
      "spec.completions: Invalid value: 0: field is immutable",
    ],
  );
  const errs = validateImmutableField({ a: "b" }, {
    old: {},
    path: "m",
    text: 'map[string]string{"a":"b"}',
  });
  assert.deepEqual(errs.map(String), [
    'm: Invalid value: map[string]string{"a":"b"}: field is immutable',
  ]);
  assert.deepEqual(errs[0]!.value, { a: "b" });
});
