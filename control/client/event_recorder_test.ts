import assert from "node:assert/strict";
import { createTestApp } from "../api/_test_app.ts";
import type { Event } from "../api/types/core_v1_event.ts";
import type { KubeObject } from "../api/types/meta_v1.ts";
import { FakeClock } from "../util/clock.ts";
import { RecordingLogger } from "../util/logger.ts";
import { ControlledTransport, ScriptedTransport, until } from "./_test_transport.ts";
import { Client } from "./client.ts";
import { EventBroadcaster } from "./event_recorder.ts";
import { CORE_EVENTS } from "./resources.ts";

const START_MS = Date.UTC(2025, 0, 1, 12, 0, 0);

const RS: KubeObject = {
  apiVersion: "apps/v1",
  kind: "ReplicaSet",
  metadata: { namespace: "default", name: "web", uid: "rs-uid-1", resourceVersion: "42" },
};

async function eventsIn(client: Client, namespace = "default"): Promise<Event[]> {
  return (await client.resource(CORE_EVENTS).list({ namespace })).items;
}

Deno.test("EventBroadcaster writes an Event about the object with every reference field", async () => {
  await using app = await createTestApp();
  const client = new Client(app.client);
  const clock = new FakeClock(START_MS + 123);
  await using events = new EventBroadcaster({
    client,
    clock,
    logger: new RecordingLogger(),
    random: () => 0.25,
  });
  const recorder = events.newRecorder({ component: "replicaset-controller" });
  recorder.event(RS, { type: "Normal", reason: "SuccessfulCreate", message: "Created pod: web-a" });
  await events.flush();
  const [event, ...more] = await eventsIn(client);
  assert.equal(more.length, 0);
  assert.ok(event);
  // `<name>.<nanoseconds in hex>`: the clock's milliseconds, and below them a random start.
  assert.equal(
    event.metadata?.name,
    `web.${(BigInt(START_MS + 123) * 1_000_000n + 125_000n).toString(16)}`,
  );
  assert.equal(event.metadata?.namespace, "default");
  assert.deepEqual(event.involvedObject, {
    kind: "ReplicaSet",
    namespace: "default",
    name: "web",
    uid: "rs-uid-1",
    apiVersion: "apps/v1",
    resourceVersion: "42",
  });
  assert.equal(event.reason, "SuccessfulCreate");
  assert.equal(event.message, "Created pod: web-a");
  assert.equal(event.type, "Normal");
  assert.equal(event.count, 1);
  assert.deepEqual(event.source, { component: "replicaset-controller" });
  assert.equal(event.reportingComponent, "replicaset-controller");
  assert.equal(event.reportingInstance, "");
  assert.equal(event.firstTimestamp, "2025-01-01T12:00:00Z");
  assert.equal(event.lastTimestamp, "2025-01-01T12:00:00Z");
});

Deno.test("EventBroadcaster names events uniquely within one millisecond and files cluster objects in default", async () => {
  await using app = await createTestApp();
  const client = new Client(app.client);
  const clock = new FakeClock(START_MS);
  await using events = new EventBroadcaster({ client, clock, logger: new RecordingLogger() });
  const recorder = events.newRecorder({ component: "node-controller", host: "edge-1" });
  const node: KubeObject = { apiVersion: "v1", kind: "Node", metadata: { name: "edge-1" } };
  recorder.event(node, { type: "Normal", reason: "RegisteredNode", message: "one" });
  recorder.event(node, { type: "Warning", reason: "NotReady", message: "two" });
  await events.flush();
  const written = await eventsIn(client);
  assert.equal(written.length, 2);
  assert.equal(new Set(written.map((e) => e.metadata?.name)).size, 2);
  for (const e of written) {
    assert.equal(e.involvedObject?.namespace, undefined);
    assert.deepEqual(e.source, { component: "node-controller", host: "edge-1" });
    assert.equal(e.reportingInstance, "edge-1");
  }
});

Deno.test("EventBroadcaster counts an identical event by patching the first one", async () => {
  await using app = await createTestApp();
  const transport = new ControlledTransport(app.client);
  const client = new Client(transport);
  const clock = new FakeClock(START_MS);
  await using events = new EventBroadcaster({ client, clock, logger: new RecordingLogger() });
  const recorder = events.newRecorder({ component: "replicaset-controller" });
  const record = {
    type: "Warning",
    reason: "FailedCreate",
    message: "Error creating: quota",
  } as const;
  recorder.event(RS, record);
  await events.flush();
  clock.advance(90_000);
  recorder.event(RS, record);
  await events.flush();
  clock.advance(30_000);
  recorder.event(RS, record);
  await events.flush();
  const [event, ...more] = await eventsIn(client);
  assert.equal(more.length, 0);
  assert.equal(event?.count, 3);
  assert.equal(event?.firstTimestamp, "2025-01-01T12:00:00Z");
  assert.equal(event?.lastTimestamp, "2025-01-01T12:02:00Z");
  const writes = transport.requests.filter((r) => r.method !== "GET").map((r) => r.method);
  assert.deepEqual(writes, ["POST", "PATCH", "PATCH"]);
  const patch = transport.requests.find((r) => r.method === "PATCH");
  assert.equal(patch?.contentType, "application/strategic-merge-patch+json");
  assert.deepEqual(patch?.body, {
    count: 2,
    lastTimestamp: "2025-01-01T12:01:30Z",
    message: "Error creating: quota",
  });
});

Deno.test("EventBroadcaster creates a counted event again when the first one is gone", async () => {
  await using app = await createTestApp();
  const client = new Client(app.client);
  const clock = new FakeClock(START_MS);
  await using events = new EventBroadcaster({ client, clock, logger: new RecordingLogger() });
  const recorder = events.newRecorder({ component: "replicaset-controller" });
  const record = { type: "Normal", reason: "SuccessfulDelete", message: "Deleted pod: a" } as const;
  recorder.event(RS, record);
  await events.flush();
  const [first] = await eventsIn(client);
  await client.resource(CORE_EVENTS).delete(first!.metadata!.name!, { namespace: "default" });
  clock.advance(1000);
  recorder.event(RS, record);
  await events.flush();
  const [again, ...more] = await eventsIn(client);
  assert.equal(more.length, 0);
  assert.equal(again?.metadata?.name, first?.metadata?.name);
  assert.equal(again?.count, 2);
});

Deno.test("EventBroadcaster combines similar events once ten messages differ", async () => {
  await using app = await createTestApp();
  const client = new Client(app.client);
  const clock = new FakeClock(START_MS);
  await using events = new EventBroadcaster({ client, clock, logger: new RecordingLogger() });
  const recorder = events.newRecorder({ component: "replicaset-controller" });
  for (let i = 0; i < 12; i++) {
    recorder.event(RS, {
      type: "Normal",
      reason: "SuccessfulCreate",
      message: `Created pod: p${i}`,
    });
    clock.advance(1000);
  }
  await events.flush();
  const written = await eventsIn(client);
  // Nine single events, then one combined event counting the 10th, 11th and 12th.
  assert.equal(written.length, 10);
  const combined = written.filter((e) => e.message?.startsWith("(combined from similar events): "));
  assert.equal(combined.length, 1);
  assert.equal(combined[0]?.message, "(combined from similar events): Created pod: p11");
  assert.equal(combined[0]?.count, 3);
  assert.equal(combined[0]?.reason, "SuccessfulCreate");
});

Deno.test("EventBroadcaster lets one source write 25 events about an object, then one per 5 minutes", async () => {
  await using app = await createTestApp();
  const client = new Client(app.client);
  const clock = new FakeClock(START_MS);
  await using events = new EventBroadcaster({ client, clock, logger: new RecordingLogger() });
  const recorder = events.newRecorder({ component: "replicaset-controller" });
  // Different reasons: neither combined nor counted, only the spam filter applies.
  for (let i = 0; i < 30; i++) {
    recorder.event(RS, { type: "Normal", reason: `Reason${i}`, message: "m" });
  }
  await events.flush();
  assert.equal((await eventsIn(client)).length, 25);
  clock.advance(299_000);
  recorder.event(RS, { type: "Normal", reason: "Late1", message: "m" });
  await events.flush();
  assert.equal((await eventsIn(client)).length, 25);
  clock.advance(1_000);
  recorder.event(RS, { type: "Normal", reason: "Late2", message: "m" });
  await events.flush();
  const reasons = (await eventsIn(client)).map((e) => e.reason);
  assert.equal(reasons.length, 26);
  assert.ok(reasons.includes("Late2"));
  // Another object has its own budget.
  recorder.event({ ...RS, metadata: { ...RS.metadata, name: "db", uid: "rs-uid-2" } }, {
    type: "Normal",
    reason: "Reason0",
    message: "m",
  });
  await events.flush();
  assert.equal((await eventsIn(client)).length, 27);
});

Deno.test("EventBroadcaster.event() returns at once and never throws", async (t) => {
  const clock = new FakeClock(START_MS);
  let release!: () => void;
  const gate = new Promise<void>((resolve) => release = resolve);
  const transport = new ScriptedTransport(async (req) => {
    await gate;
    return Response.json({ ...(req.body as object), metadata: { name: "x" } }, { status: 201 });
  });
  const logger = new RecordingLogger();
  const events = new EventBroadcaster({
    client: new Client(transport),
    clock,
    logger,
    queueSize: 2,
  });
  const recorder = events.newRecorder({ component: "c" });
  await t.step("while a write hangs, recording returns and queues", () => {
    recorder.event(RS, { type: "Normal", reason: "A", message: "1" });
    recorder.event(RS, { type: "Normal", reason: "B", message: "2" });
    assert.equal(events.pending, 2);
  });
  await t.step("a full queue drops the event and logs it, once per burst", () => {
    recorder.event(RS, { type: "Normal", reason: "C", message: "3" });
    recorder.event(RS, { type: "Normal", reason: "D", message: "4" });
    recorder.event(RS, { type: "Normal", reason: "E", message: "5" });
    assert.equal(events.pending, 2);
    assert.deepEqual(
      logger.messages("error").filter((m) => m.includes("dropped event")),
      ["Unable to record event: too many queued events, dropped event"],
    );
  });
  await t.step("bad input is logged and dropped", () => {
    // deno-lint-ignore no-explicit-any
    recorder.event(RS, { type: "Bogus" as any, reason: "X", message: "x" });
    recorder.event({ metadata: { name: "no-kind" } }, {
      type: "Normal",
      reason: "X",
      message: "x",
    });
    assert.equal(events.pending, 2);
    assert.ok(logger.messages("error").includes("Unsupported event type"));
    assert.ok(
      logger.messages("error").includes("Could not construct reference, will not report event"),
    );
  });
  await t.step("once there is room again, one line counts the dropped events", async () => {
    release();
    await events.flush();
    recorder.event(RS, { type: "Normal", reason: "F", message: "6" });
    assert.ok(logger.messages("error").includes("Dropped events while the event queue was full"));
  });
  await events.shutdown();
  assert.equal(transport.requests.length, 3);
  await t.step("after shutdown events are dropped", () => {
    recorder.event(RS, { type: "Normal", reason: "D", message: "4" });
    assert.equal(events.pending, 0);
  });
});

Deno.test("EventBroadcaster retries a write that got no answer, on the clock", async () => {
  const clock = new FakeClock(START_MS);
  let failures = 2;
  const transport = new ScriptedTransport((req) => {
    if (failures-- > 0) throw new Error("connection refused");
    return Response.json({ ...(req.body as object) }, { status: 201 });
  });
  const logger = new RecordingLogger();
  const events = new EventBroadcaster({
    client: new Client(transport),
    clock,
    logger,
    random: () => 0.5,
  });
  events.newRecorder({ component: "c" }).event(RS, { type: "Normal", reason: "A", message: "1" });
  await until(() => clock.pendingTimers === 1, "the first retry wait");
  assert.equal(transport.requests.length, 1);
  clock.advance(4_999);
  assert.equal(transport.requests.length, 1);
  clock.advance(1);
  await until(() => transport.requests.length === 2 && clock.pendingTimers === 1, "second try");
  clock.advance(10_000);
  await events.flush();
  assert.equal(transport.requests.length, 3);
  assert.equal(
    logger.messages("error").filter((m) => m === "Unable to write event (may retry after sleeping)")
      .length,
    2,
  );
});

Deno.test("EventBroadcaster gives up on an event the server refused", async () => {
  const clock = new FakeClock(START_MS);
  const transport = new ScriptedTransport(() =>
    Response.json({
      kind: "Status",
      apiVersion: "v1",
      status: "Failure",
      reason: "Invalid",
      message: "Event is invalid",
      code: 422,
    }, { status: 422 })
  );
  const logger = new RecordingLogger();
  const events = new EventBroadcaster({ client: new Client(transport), clock, logger });
  events.newRecorder({ component: "c" }).event(RS, { type: "Normal", reason: "A", message: "1" });
  await events.flush();
  assert.equal(transport.requests.length, 1);
  assert.equal(clock.pendingTimers, 0);
  assert.ok(logger.messages("error").includes("Server rejected event (will not retry!)"));
});

Deno.test("EventBroadcaster.shutdown() ends a retry wait", async () => {
  const clock = new FakeClock(START_MS);
  const transport = new ScriptedTransport(() => {
    throw new Error("connection refused");
  });
  const logger = new RecordingLogger();
  const events = new EventBroadcaster({ client: new Client(transport), clock, logger });
  events.newRecorder({ component: "c" }).event(RS, { type: "Normal", reason: "A", message: "1" });
  await until(() => clock.pendingTimers === 1, "the retry wait");
  await events.shutdown();
  assert.equal(clock.pendingTimers, 0);
  assert.equal(transport.requests.length, 1);
  assert.ok(logger.messages("error").includes("Unable to write event (broadcaster is shut down)"));
});

Deno.test("EventBroadcaster names do not collide between two broadcasters in the same millisecond", async () => {
  await using app = await createTestApp();
  const client = new Client(app.client);
  const clock = new FakeClock(START_MS);
  const draws = [0.1, 0.6];
  await using a = new EventBroadcaster({
    client,
    clock,
    logger: new RecordingLogger(),
    random: () => draws[0]!,
  });
  await using b = new EventBroadcaster({
    client,
    clock,
    logger: new RecordingLogger(),
    random: () => draws[1]!,
  });
  a.newRecorder({ component: "node-controller" })
    .event(RS, { type: "Normal", reason: "One", message: "from the controller manager" });
  b.newRecorder({ component: "kubelet" })
    .event(RS, { type: "Normal", reason: "Two", message: "from the agent" });
  await a.flush();
  await b.flush();
  const events = await eventsIn(client);
  assert.deepEqual(events.map((e) => e.reason).sort(), ["One", "Two"]);
  assert.equal(new Set(events.map((e) => e.metadata?.name)).size, 2);
});
