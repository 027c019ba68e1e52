import assert from "node:assert/strict";
import { FailedPodsBackoff } from "./_daemon_set_backoff.ts";

Deno.test("FailedPodsBackoff doubles per key up to the maximum and forgets stale keys", () => {
  const b = new FailedPodsBackoff({ initialMs: 1000, maxMs: 4000 });
  assert.equal(b.isInBackOffSinceUpdate("k", 0), false);
  b.next("k", 0);
  assert.equal(b.get("k"), 1000);
  assert.equal(b.isInBackOffSinceUpdate("k", 999), true);
  assert.equal(b.isInBackOffSinceUpdate("k", 1000), false);
  b.next("k", 1000);
  assert.equal(b.get("k"), 2000);
  b.next("k", 3000);
  b.next("k", 7000);
  assert.equal(b.get("k"), 4000, "capped");
  assert.equal(b.isInBackOffSinceUpdate("other", 7000), false);
  // Untouched for more than twice the maximum: back to the first delay, and dropped.
  assert.equal(b.isInBackOffSinceUpdate("k", 7000 + 8001), false);
  b.next("j", 7000 + 8001);
  assert.equal(b.size, 1);
  b.next("k", 7000 + 8001);
  assert.equal(b.get("k"), 1000);
});
