import assert from "node:assert/strict";
import { FieldPath } from "./field_errors.ts";
import {
  inclusiveRangeError,
  IS_NEGATIVE_ERROR,
  IS_NOT_INTEGER_ERROR,
  IS_NOT_POSITIVE_ERROR,
  validateNonnegativeField,
} from "./numbers.ts";

Deno.test("numeric messages are upstream's", () => {
  assert.equal(IS_NEGATIVE_ERROR, "must be greater than or equal to 0");
  assert.equal(IS_NOT_POSITIVE_ERROR, "must be greater than zero");
  assert.equal(IS_NOT_INTEGER_ERROR, "must be an integer");
  assert.equal(inclusiveRangeError(1, 65535), "must be between 1 and 65535, inclusive");
});

Deno.test("validateNonnegativeField() reports negative numbers only", async (t) => {
  const path = new FieldPath("spec").child("replicas");
  const cases: [number | undefined, string[]][] = [
    [undefined, []],
    [0, []],
    [3, []],
    [-1, ["spec.replicas: Invalid value: -1: must be greater than or equal to 0"]],
  ];
  for (const [value, want] of cases) {
    await t.step(String(value), () => {
      assert.deepEqual(validateNonnegativeField(value, path).map(String), want);
    });
  }
});
