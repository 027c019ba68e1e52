import assert from "node:assert/strict";
import type { Event } from "../api/types/events_v1.ts";
import { Client } from "../client/client.ts";
import { FakeClock } from "../util/clock.ts";
import { RecordingLogger } from "../util/logger.ts";
import { FakeApi, turns, until } from "./_fake_api.ts";
import {
  EventRecorder,
  microTime,
  NOTE_LENGTH_LIMIT,
  referenceTo,
  SERIES_FINISH_MS,
  SERIES_REFRESH_MS,
  truncateNote,
} from "./_event_recorder.ts";

const POD = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: { namespace: "apps", name: "web", uid: "u1", resourceVersion: "7" },
};
const FAILED = {
  type: "Warning",
  reason: "FailedScheduling",
  action: "Scheduling",
  note: "0/1 nodes are available: 1 Insufficient cpu.",
} as const;

function recorder(api: FakeApi, clock: FakeClock, logger = new RecordingLogger()): EventRecorder {
  return new EventRecorder({
    client: new Client(api),
    clock,
    logger,
    reportingController: "default-scheduler",
    reportingInstance: "default-scheduler-edge-1",
    random: () => 0,
  });
}

Deno.test("truncateNote() keeps notes within 1024 bytes, marked with ' ...'", async (t) => {
  const cases = [
    { name: "short", note: "fine", want: "fine" },
    { name: "exactly the limit", note: "a".repeat(1024), want: "a".repeat(1024) },
    { name: "one byte over", note: "a".repeat(1025), want: "a".repeat(1020) + " ..." },
    { name: "a split character", note: "é".repeat(600), want: "é".repeat(510) + " ..." },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const got = truncateNote(c.note);
      assert.equal(got, c.want);
      assert.ok(new TextEncoder().encode(got).length <= NOTE_LENGTH_LIMIT);
    });
  }
});

Deno.test("microTime() and referenceTo() write what client-go writes", () => {
  assert.equal(microTime(Date.parse("2026-05-01T10:00:00.123Z")), "2026-05-01T10:00:00.123000Z");
  assert.deepEqual(referenceTo(POD), {
    kind: "Pod",
    namespace: "apps",
    name: "web",
    uid: "u1",
    apiVersion: "v1",
    resourceVersion: "7",
  });
});

Deno.test("EventRecorder.record() creates an events.k8s.io/v1 Event", async () => {
  const api = new FakeApi();
  const clock = new FakeClock(Date.parse("2026-05-01T10:00:00.5Z"));
  const r = recorder(api, clock);
  r.record(POD, FAILED, { kind: "Node", metadata: { name: "edge-1" } });
  await until(() => api.list("events").length === 1, "the event");
  const [event] = api.list("events") as Event[];
  assert.equal(event!.metadata?.name, `web.${(1777629600500n * 1_000_000n).toString(16)}`);
  assert.deepEqual({ ...event, metadata: { namespace: event!.metadata?.namespace } }, {
    apiVersion: "events.k8s.io/v1",
    kind: "Event",
    metadata: { namespace: "apps" },
    eventTime: "2026-05-01T10:00:00.500000Z",
    reportingController: "default-scheduler",
    reportingInstance: "default-scheduler-edge-1",
    action: "Scheduling",
    reason: "FailedScheduling",
    regarding: referenceTo(POD),
    related: { kind: "Node", name: "edge-1" },
    note: FAILED.note,
    type: "Warning",
  });
  await r.stop();
});

Deno.test("EventRecorder aggregates repeats into a series, writing rarely", async () => {
  const api = new FakeApi();
  const clock = new FakeClock(0);
  const r = recorder(api, clock);
  r.record(POD, FAILED);
  await until(() => api.list("events").length === 1, "the first event");
  clock.advance(1_000);
  r.record(POD, FAILED);
  await until(() => api.sent("PATCH", "").length === 1, "the series patch");
  assert.deepEqual(api.sent("PATCH", "")[0]!.body, {
    series: { count: 2, lastObservedTime: "1970-01-01T00:00:01.000000Z" },
  });
  for (let i = 0; i < 5; i++) {
    clock.advance(1_000);
    r.record(POD, FAILED);
  }
  await turns();
  assert.equal(api.requests.filter((q) => q.method !== "GET").length, 2, "repeats stay in memory");
  // Another version of the pod is another event.
  r.record({ ...POD, metadata: { ...POD.metadata, resourceVersion: "8" } }, FAILED);
  await until(() => api.list("events").length === 2, "the second event");
  // The sweep runs every six minutes: the first finds the series quiet for less than that…
  clock.advance(SERIES_FINISH_MS);
  await turns();
  assert.equal(api.sent("PATCH", "").length, 1);
  assert.equal(r.remembered, 2);
  // …the next writes its final count and forgets it, and forgets the single event too.
  clock.advance(SERIES_FINISH_MS);
  await until(() => api.sent("PATCH", "").length === 2, "the final count");
  assert.equal((api.sent("PATCH", "")[1]!.body as { series: { count: number } }).series.count, 7);
  assert.equal(r.remembered, 0);
  assert.equal(clock.pendingTimers, 0, "no timer while nothing is remembered");
  await r.stop();
});

Deno.test("EventRecorder keeps events about other objects, reasons or related objects apart", async () => {
  const api = new FakeApi();
  const clock = new FakeClock(0);
  const r = recorder(api, clock);
  const node = { apiVersion: "v1", kind: "Node", metadata: { name: "edge-1", uid: "n1" } };
  const other = { ...POD, metadata: { ...POD.metadata, name: "db", uid: "u2" } };
  r.record(POD, FAILED);
  r.record(other, FAILED);
  r.record(POD, { ...FAILED, reason: "Preempted" });
  r.record(POD, FAILED, node);
  await until(() => api.list("events").length === 4, "four events");
  // The same related object again: a repeat of the fourth, a series patch.
  r.record(POD, FAILED, node);
  await until(() => api.sent("PATCH", "").length === 1, "the series patch");
  assert.equal(api.list("events").length, 4);
  assert.equal(r.remembered, 4);
  await r.stop();
});

Deno.test("EventRecorder rewrites a running series every 30 minutes", async () => {
  const api = new FakeApi();
  const clock = new FakeClock(0);
  const r = recorder(api, clock);
  r.record(POD, FAILED);
  r.record(POD, FAILED);
  await until(() => api.sent("PATCH", "").length === 1, "the series patch");
  for (let minute = 1; minute <= 31; minute++) {
    clock.advance(60_000);
    r.record(POD, FAILED);
    await turns(2);
  }
  assert.ok(SERIES_REFRESH_MS === 30 * 60_000);
  await until(() => api.sent("PATCH", "").length === 2, "the refresh");
  await r.stop();
});

Deno.test("EventRecorder retries when the server cannot be reached and drops refused events", async () => {
  const api = new FakeApi();
  const clock = new FakeClock(0);
  const logger = new RecordingLogger();
  let unreachable = 2;
  api.intercept = (req) => {
    if (req.method !== "POST") return undefined;
    if (req.body && (req.body as Event).reason === "Refused") {
      return Response.json({ kind: "Status", code: 422, reason: "Invalid", message: "bad" }, {
        status: 422,
      });
    }
    if (unreachable-- > 0) throw new Error("connection refused");
    return undefined;
  };
  const r = recorder(api, clock, logger);
  r.record(POD, FAILED);
  r.record(POD, { ...FAILED, reason: "Refused" });
  await until(() => logger.messages("warn").includes("Server rejected event"), "the refusal");
  await turns();
  assert.equal(api.list("events").length, 0);
  clock.advance(12_500);
  await turns();
  clock.advance(12_500);
  await until(() => api.list("events").length === 1, "the event after retries");
  await r.stop();
  assert.equal(clock.pendingTimers, 0);
});
