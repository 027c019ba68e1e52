import assert from "node:assert/strict";
import { Event, EventSeries, EventSource } from "./core_v1_event.ts";

Deno.test("Event carries upstream field numbers, JSON names and time types", () => {
  const protos = Object.fromEntries(
    Object.entries(Event.fields).map(([k, f]) => [k, (f as { proto?: number }).proto]),
  );
  assert.deepEqual(protos, {
    apiVersion: undefined,
    kind: undefined,
    metadata: 1,
    involvedObject: 2,
    reason: 3,
    message: 4,
    source: 5,
    firstTimestamp: 6,
    lastTimestamp: 7,
    count: 8,
    type: 9,
    eventTime: 10,
    series: 11,
    action: 12,
    related: 13,
    reportingComponent: 14,
    reportingInstance: 15,
  });
  assert.equal(Event.fields.eventTime.schema.micro, true);
  assert.equal(Event.fields.firstTimestamp.schema.micro, undefined);
  assert.equal(EventSeries.fields.lastObservedTime.schema.micro, true);
});

Deno.test("Event requires metadata and involvedObject, as upstream's OpenAPI", () => {
  const required = Object.entries(Event.fields).filter(([, f]) => f.required).map(([k]) => k);
  assert.deepEqual(required, ["metadata", "involvedObject"]);
  assert.deepEqual(Object.keys(EventSource.fields), ["component", "host"]);
});
