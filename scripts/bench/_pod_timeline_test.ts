import assert from "node:assert/strict";
import { podMilestones, PodTimeline } from "./_pod_timeline.ts";

function event(type: string, pod: Record<string, unknown>): string {
  return JSON.stringify({ type, object: pod });
}

const pending = { metadata: { name: "p", resourceVersion: "5" }, spec: {} };
const bound = { metadata: { name: "p", resourceVersion: "6" }, spec: { nodeName: "n" } };
const running = {
  metadata: { name: "p", resourceVersion: "7" },
  spec: { nodeName: "n" },
  status: { phase: "Running", containerStatuses: [{ state: { running: {} } }] },
};

Deno.test("podMilestones() says bound once nodeName is set and running once every container runs", async (t) => {
  const cases: [string, Record<string, unknown>, { bound: boolean; running: boolean }][] = [
    ["pending", pending, { bound: false, running: false }],
    ["bound", bound, { bound: true, running: false }],
    ["running", running, { bound: true, running: true }],
    ["Running phase, one container waiting", {
      spec: { nodeName: "n" },
      status: {
        phase: "Running",
        containerStatuses: [{ state: { running: {} } }, { state: { waiting: {} } }],
      },
    }, { bound: true, running: false }],
    ["Running phase without container statuses", {
      spec: { nodeName: "n" },
      status: { phase: "Running" },
    }, { bound: true, running: false }],
  ];
  for (const [name, pod, want] of cases) {
    await t.step(name, () => assert.deepEqual(podMilestones(pod), want));
  }
});

Deno.test("PodTimeline.observe() keeps the first time of each milestone and resolves waiters", async () => {
  const tl = new PodTimeline();
  const runningAt = tl.when("p", "running");
  tl.observe(event("ADDED", pending), 1);
  tl.observe(event("MODIFIED", bound), 2);
  tl.observe(event("MODIFIED", running), 3);
  tl.observe(event("MODIFIED", running), 4);
  assert.equal(await runningAt, 3);
  assert.equal(tl.at("p", "bound"), 2);
  assert.equal(await tl.when("p", "bound"), 2);
  assert.equal(tl.at("p", "deleted"), undefined);
  tl.observe(event("DELETED", running), 9);
  assert.equal(await tl.when("p", "deleted"), 9);
  assert.equal(tl.resourceVersion, "7");
  assert.equal(tl.errors, 0);
});

Deno.test("PodTimeline.observe() takes bookmarks' resourceVersion and counts other lines as errors", () => {
  const tl = new PodTimeline();
  tl.observe(event("BOOKMARK", { metadata: { resourceVersion: "42" } }), 1);
  assert.equal(tl.resourceVersion, "42");
  tl.observe("not json", 2);
  tl.observe(event("ERROR", { kind: "Status", code: 410 }), 3);
  tl.observe("", 4);
  assert.equal(tl.errors, 2);
});

Deno.test("PodTimeline.forget() starts a pod of the same name afresh", () => {
  const tl = new PodTimeline();
  tl.observe(event("MODIFIED", running), 3);
  tl.forget("p");
  assert.equal(tl.at("p", "running"), undefined);
  tl.observe(event("ADDED", bound), 10);
  assert.equal(tl.at("p", "bound"), 10);
});
