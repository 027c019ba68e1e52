import assert from "node:assert/strict";
import { FakeClock } from "../util/clock.ts";
import { computeZoneState, ZoneTainter } from "./_zone_tainter.ts";

Deno.test("computeZoneState() is full with no ready node, partial past the threshold", async (t) => {
  const cases = [
    { name: "empty", ready: 0, notReady: 0, want: "Normal" },
    { name: "all ready", ready: 3, notReady: 0, want: "Normal" },
    { name: "one node down of one", ready: 0, notReady: 1, want: "FullDisruption" },
    { name: "two down of two", ready: 0, notReady: 2, want: "FullDisruption" },
    {
      name: "two down of three is not partial (needs more than 2)",
      ready: 1,
      notReady: 2,
      want: "Normal",
    },
    { name: "three down of five (60 %)", ready: 2, notReady: 3, want: "PartialDisruption" },
    { name: "three down of six (50 %)", ready: 3, notReady: 3, want: "Normal" },
  ] as const;
  for (const c of cases) {
    await t.step(c.name, () => assert.equal(computeZoneState(c, 0.55), c.want));
  }
});

function tainter(qps: number): { clock: FakeClock; granted: string[]; tainter: ZoneTainter } {
  const clock = new FakeClock(1_000_000);
  const granted: string[] = [];
  return {
    clock,
    granted,
    tainter: new ZoneTainter({ clock, qps, onGrant: (n) => granted.push(n) }),
  };
}

Deno.test("ZoneTainter grants the first node at once and one more per token, in order", () => {
  const { clock, granted, tainter: t } = tainter(0.1);
  t.add("", "a");
  t.add("", "b");
  t.add("", "c");
  t.add("", "b");
  assert.deepEqual(granted, ["a"]);
  assert.deepEqual(t.pending(""), ["b", "c"]);
  assert.equal(clock.pendingTimers, 1);
  clock.advance(9_999);
  assert.deepEqual(granted, ["a"]);
  clock.advance(1);
  assert.deepEqual(granted, ["a", "b"]);
  clock.advance(10_000);
  assert.deepEqual(granted, ["a", "b", "c"]);
  assert.equal(clock.pendingTimers, 0, "no timer once nothing waits");
});

Deno.test("ZoneTainter keeps zones apart and forgets removed nodes", () => {
  const { clock, granted, tainter: t } = tainter(0.1);
  t.add("r:\u0000:a", "a1");
  t.add("r:\u0000:b", "b1");
  t.add("r:\u0000:a", "a2");
  assert.deepEqual(granted, ["a1", "b1"]);
  assert.ok(t.remove("a2"));
  assert.equal(t.has("a2"), false);
  assert.equal(clock.pendingTimers, 0);
  clock.advance(60_000);
  assert.deepEqual(granted, ["a1", "b1"]);
});

Deno.test("ZoneTainter.setQps() to 0 stops granting and back to a rate resumes", () => {
  const { clock, granted, tainter: t } = tainter(0.1);
  t.setQps("", 0);
  t.add("", "a");
  clock.advance(3_600_000);
  assert.deepEqual(granted, []);
  assert.equal(clock.pendingTimers, 0, "no timer at 0 qps");
  t.setQps("", 0.1);
  // The stopped bucket had its token: the new one starts with it.
  assert.deepEqual(granted, ["a"]);
  assert.equal(t.qps(""), 0.1);
});

Deno.test("ZoneTainter.setQps() keeps an empty bucket empty", () => {
  const { clock, granted, tainter: t } = tainter(0.1);
  t.add("", "a");
  t.add("", "b");
  t.setQps("", 0.01);
  assert.deepEqual(granted, ["a"]);
  clock.advance(10_000);
  assert.deepEqual(granted, ["a"], "the slower rate applies");
  clock.advance(90_000);
  assert.deepEqual(granted, ["a", "b"]);
});
