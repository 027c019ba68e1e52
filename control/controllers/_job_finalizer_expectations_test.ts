import assert from "node:assert/strict";
import { FinalizerExpectations } from "./_job_finalizer_expectations.ts";

Deno.test("FinalizerExpectations tracks removals per Job until observed", () => {
  const e = new FinalizerExpectations();
  e.expectRemoved("ns/a", ["u1", "u2"]);
  e.expectRemoved("ns/a", ["u3"]);
  e.expectRemoved("ns/b", ["u9"]);
  assert.deepEqual([...e.expected("ns/a")].sort(), ["u1", "u2", "u3"]);
  e.observed("ns/a", "u2");
  e.observed("ns/a", "nope");
  assert.deepEqual([...e.expected("ns/a")].sort(), ["u1", "u3"]);
  // The copy handed out does not change the expectations.
  e.expected("ns/a").clear();
  assert.equal(e.expected("ns/a").size, 2);
  e.delete("ns/a");
  assert.equal(e.expected("ns/a").size, 0);
  assert.deepEqual([...e.expected("ns/b")], ["u9"]);
});
