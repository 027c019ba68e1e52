import assert from "node:assert/strict";
import type { Event as CoreEvent } from "../types/core_v1_event.ts";
import type { Event } from "../types/events_v1.ts";
import { coreEventToEventsV1, eventsV1ToCoreEvent } from "./event_conversion.ts";

const v1: Event = {
  apiVersion: "events.k8s.io/v1",
  kind: "Event",
  metadata: { name: "web.17a", namespace: "default" },
  eventTime: "2024-05-01T10:00:00.123456Z",
  series: { count: 3, lastObservedTime: "2024-05-01T10:05:00.000000Z" },
  reportingController: "kubernetes.io/kubelet",
  reportingInstance: "kubelet-node1",
  action: "Pulling",
  reason: "Pulled",
  regarding: { kind: "Pod", namespace: "default", name: "web", uid: "u1", apiVersion: "v1" },
  related: { kind: "Node", name: "node1" },
  note: "Successfully pulled image",
  type: "Normal",
  deprecatedSource: { component: "kubelet", host: "node1" },
  deprecatedFirstTimestamp: "2024-05-01T10:00:00Z",
  deprecatedLastTimestamp: "2024-05-01T10:05:00Z",
  deprecatedCount: 3,
};

const core: CoreEvent = {
  apiVersion: "v1",
  kind: "Event",
  metadata: { name: "web.17a", namespace: "default" },
  involvedObject: { kind: "Pod", namespace: "default", name: "web", uid: "u1", apiVersion: "v1" },
  eventTime: "2024-05-01T10:00:00.123456Z",
  series: { count: 3, lastObservedTime: "2024-05-01T10:05:00.000000Z" },
  reportingComponent: "kubernetes.io/kubelet",
  reportingInstance: "kubelet-node1",
  action: "Pulling",
  reason: "Pulled",
  related: { kind: "Node", name: "node1" },
  message: "Successfully pulled image",
  type: "Normal",
  source: { component: "kubelet", host: "node1" },
  firstTimestamp: "2024-05-01T10:00:00Z",
  lastTimestamp: "2024-05-01T10:05:00Z",
  count: 3,
};

Deno.test("eventsV1ToCoreEvent() renames fields as upstream's conversion", () => {
  assert.deepEqual(eventsV1ToCoreEvent(v1), core);
});

Deno.test("coreEventToEventsV1() renames fields as upstream's conversion", () => {
  assert.deepEqual(coreEventToEventsV1(core), v1);
});

Deno.test("event conversion round-trips and copies values", async (t) => {
  await t.step("v1 to core to v1", () => {
    assert.deepEqual(coreEventToEventsV1(eventsV1ToCoreEvent(v1)), v1);
  });
  await t.step("core to v1 to core", () => {
    assert.deepEqual(eventsV1ToCoreEvent(coreEventToEventsV1(core)), core);
  });
  await t.step("values are not shared", () => {
    const out = eventsV1ToCoreEvent(v1);
    out.involvedObject.name = "changed";
    assert.equal(v1.regarding?.name, "web");
  });
  await t.step("shared on request: the same values, for readers", () => {
    const out = eventsV1ToCoreEvent(v1, { share: true });
    assert.deepEqual(out, core);
    assert.equal(out.involvedObject, v1.regarding);
    assert.equal(out.series, v1.series);
  });
  await t.step("nested values are copied, own __proto__ keys kept", () => {
    const annotations = JSON.parse('{"a":"1","__proto__":"p"}') as Record<string, string>;
    const managedFields = [{ manager: "m", fieldsV1: { "f:note": {} } }];
    const event: Event = { ...v1, metadata: { ...v1.metadata, annotations, managedFields } };
    const out = coreEventToEventsV1(eventsV1ToCoreEvent(event));
    assert.deepEqual(out.metadata, event.metadata);
    assert.ok(Object.hasOwn(out.metadata?.annotations ?? {}, "__proto__"));
    (out.metadata!.managedFields![0]!.fieldsV1 as Record<string, unknown>)["f:x"] = {};
    out.metadata!.annotations!.a = "2";
    assert.deepEqual(managedFields[0]!.fieldsV1, { "f:note": {} });
    assert.equal(annotations.a, "1");
  });
});

Deno.test("coreEventToEventsV1() of a legacy event has no eventTime and an empty regarding", () => {
  const legacy: CoreEvent = {
    metadata: { name: "x", namespace: "default" },
    involvedObject: { kind: "Pod", name: "p" },
    message: "m",
    count: 1,
  };
  assert.deepEqual(coreEventToEventsV1(legacy), {
    apiVersion: "events.k8s.io/v1",
    kind: "Event",
    metadata: { name: "x", namespace: "default" },
    regarding: { kind: "Pod", name: "p" },
    note: "m",
    deprecatedCount: 1,
  });
  assert.deepEqual(
    eventsV1ToCoreEvent({ eventTime: "2024-01-01T00:00:00.000000Z" }).involvedObject,
    {},
  );
});
