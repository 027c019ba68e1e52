import assert from "node:assert/strict";
import { FakeClock } from "../util/clock.ts";
import { ControllerExpectations, EXPECTATIONS_TIMEOUT_MS } from "./expectations.ts";

const KEY = "default/web";

Deno.test("ControllerExpectations.satisfied() holds with no expectations recorded", () => {
  const e = new ControllerExpectations({ clock: new FakeClock() });
  assert.equal(e.satisfied(KEY), true);
  assert.equal(e.get(KEY), undefined);
});

Deno.test("ControllerExpectations waits for every expected creation", () => {
  const e = new ControllerExpectations({ clock: new FakeClock(1000) });
  e.expectCreations(KEY, 3);
  assert.deepEqual(e.get(KEY), { add: 3, del: 0, timestampMs: 1000 });
  e.creationObserved(KEY);
  e.creationObserved(KEY);
  assert.equal(e.satisfied(KEY), false);
  e.creationObserved(KEY);
  assert.equal(e.satisfied(KEY), true);
  // Observations beyond the expected count keep it satisfied.
  e.creationObserved(KEY);
  assert.equal(e.get(KEY)?.add, -1);
  assert.equal(e.satisfied(KEY), true);
});

Deno.test("ControllerExpectations counts each expected pod's deletion once", () => {
  const e = new ControllerExpectations({ clock: new FakeClock() });
  e.expectDeletions(KEY, ["default/a", "default/b"]);
  assert.deepEqual(e.expectedDeletions(KEY).sort(), ["default/a", "default/b"]);
  e.deletionObserved(KEY, "default/a");
  e.deletionObserved(KEY, "default/a");
  e.deletionObserved(KEY, "default/other");
  assert.equal(e.get(KEY)?.del, 1);
  assert.equal(e.satisfied(KEY), false);
  e.deletionObserved(KEY, "default/b");
  assert.equal(e.satisfied(KEY), true);
  assert.deepEqual(e.expectedDeletions(KEY), []);
});

Deno.test("ControllerExpectations expire after 5 minutes", () => {
  const clock = new FakeClock();
  const e = new ControllerExpectations({ clock });
  e.expectCreations(KEY, 1);
  clock.advance(EXPECTATIONS_TIMEOUT_MS);
  assert.equal(e.satisfied(KEY), false);
  clock.advance(1);
  assert.equal(e.satisfied(KEY), true);
  // Setting them again restarts the clock.
  e.expectCreations(KEY, 1);
  assert.equal(e.satisfied(KEY), false);
});

Deno.test("ControllerExpectations.delete() forgets counts and expected deletions", () => {
  const e = new ControllerExpectations({ clock: new FakeClock() });
  e.expectDeletions(KEY, ["default/a"]);
  e.delete(KEY);
  assert.equal(e.satisfied(KEY), true);
  assert.deepEqual(e.expectedDeletions(KEY), []);
  // Lowering or raising unknown keys does nothing.
  e.lower(KEY, { add: 1, del: 1 });
  e.raise(KEY, { add: 1, del: 1 });
  assert.equal(e.get(KEY), undefined);
});

Deno.test("ControllerExpectations.raise() and lower() adjust both counts", () => {
  const e = new ControllerExpectations({ clock: new FakeClock() });
  e.expectCreations(KEY, 1);
  e.raise(KEY, { add: 2, del: 1 });
  assert.deepEqual([e.get(KEY)?.add, e.get(KEY)?.del], [3, 1]);
  e.lower(KEY, { add: 3, del: 1 });
  assert.equal(e.satisfied(KEY), true);
});
