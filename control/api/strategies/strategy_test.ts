import assert from "node:assert/strict";
import type { Strategy } from "./strategy.ts";
import { required } from "../validation/field_errors.ts";

Deno.test("Strategy members are all optional, so an empty strategy is valid", () => {
  const empty: Strategy = {};
  assert.equal(empty.validate, undefined);
  const s: Strategy = {
    nameRule: "label",
    validate: (obj) => obj.spec === undefined ? [required("spec")] : [],
  };
  assert.equal(s.validate!({})[0]!.toString(), "spec: Required value");
  assert.deepEqual(s.validate!({ spec: {} }), []);
});
