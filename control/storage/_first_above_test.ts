import assert from "node:assert/strict";
import { firstAbove } from "./_first_above.ts";

Deno.test("firstAbove() finds the first entry above a revision", () => {
  const entries = [2, 5, 9].map((revision) => ({ revision }));
  assert.equal(firstAbove(entries, 0), 0);
  assert.equal(firstAbove(entries, 2), 1);
  assert.equal(firstAbove(entries, 6), 2);
  assert.equal(firstAbove(entries, 9), 3);
  assert.equal(firstAbove([], 4), 0);
});
