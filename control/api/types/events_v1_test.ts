import assert from "node:assert/strict";
import { Event, EventSeries } from "./events_v1.ts";

Deno.test("events.k8s.io/v1 Event follows upstream", () => {
  assert.equal(Event.name, "io.k8s.api.events.v1.Event");
  assert.deepEqual(Event.gvk, [{ group: "events.k8s.io", version: "v1", kind: "Event" }]);
  assert.equal(Event.fields.eventTime.required, true);
  assert.deepEqual(Event.fields.eventTime.schema, { type: "time", micro: true });
  assert.deepEqual(Event.fields.deprecatedFirstTimestamp.schema, { type: "time" });
  const protos = Object.fromEntries(Object.entries(Event.fields).map(([k, f]) => [k, f.proto]));
  assert.deepEqual(protos, {
    apiVersion: undefined,
    kind: undefined,
    metadata: 1,
    eventTime: 2,
    series: 3,
    reportingController: 4,
    reportingInstance: 5,
    action: 6,
    reason: 7,
    regarding: 8,
    related: 9,
    note: 10,
    type: 11,
    deprecatedSource: 12,
    deprecatedFirstTimestamp: 13,
    deprecatedLastTimestamp: 14,
    deprecatedCount: 15,
  });
  assert.equal(Event.fields.deprecatedSource.schema.name, "io.k8s.api.core.v1.EventSource");
  assert.equal(EventSeries.fields.count.required, true);
  assert.equal(EventSeries.fields.lastObservedTime.required, true);
});
