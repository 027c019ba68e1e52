import assert from "node:assert/strict";
import type { Event as CoreEvent } from "../types/core_v1_event.ts";
import type { Event } from "../types/events_v1.ts";
import type { KubeObject } from "../types/meta_v1.ts";
import {
  eventsV1EventStrategy,
  validateCoreEvent,
  validateCoreEventUpdate,
} from "./events_v1_event.ts";

function event(fields: Partial<Event> = {}): Event {
  return {
    metadata: { name: "web.1", namespace: "default" },
    eventTime: "2024-05-01T10:00:00.123456Z",
    reportingController: "skiff.io/controller",
    reportingInstance: "controller-1",
    action: "Scaling",
    reason: "ScalingReplicaSet",
    regarding: { kind: "Deployment", namespace: "default", name: "web" },
    note: "Scaled up",
    type: "Normal",
    ...fields,
  };
}

function check(e: Event): string[] {
  return eventsV1EventStrategy.validate!(e as KubeObject).map(String);
}

Deno.test("eventsV1EventStrategy.validate() applies upstream's strict checks", async (t) => {
  const cases: { name: string; event: Event; want: string[] }[] = [
    { name: "a valid event", event: event(), want: [] },
    {
      name: "missing reporting fields",
      event: event({ reportingController: "", reportingInstance: "", action: "", reason: "" }),
      want: [
        "reportingController: Required value",
        'reportingController: Invalid value: "": name part must be non-empty',
        `reportingController: Invalid value: "": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
        "reportingInstance: Required value",
        "action: Required value",
        "reason: Required value",
      ],
    },
    {
      name: "too long fields",
      event: event({ action: "a".repeat(129), note: "n".repeat(1025) }),
      want: [
        'action: Invalid value: "": can have at most 128 characters',
        'message: Invalid value: "": can have at most 1024 characters',
      ],
    },
    {
      name: "an unknown type",
      event: event({ type: "Info" }),
      want: ['type: Invalid value: "": has invalid value: Info'],
    },
    {
      name: "deprecated fields set",
      event: event({
        deprecatedCount: 2,
        deprecatedFirstTimestamp: "2024-05-01T10:00:00Z",
        deprecatedSource: { component: "kubelet" },
      }),
      want: [
        'firstTimestamp: Invalid value: "": needs to be unset',
        'count: Invalid value: "": needs to be unset',
        'source: Invalid value: "": needs to be unset',
      ],
    },
    {
      name: "a series of one",
      event: event({ series: { count: 1, lastObservedTime: "2024-05-01T10:00:00.000000Z" } }),
      want: ['series.count: Invalid value: "": should be at least 2'],
    },
    {
      name: "a regarding object in another namespace",
      event: event({ regarding: { kind: "Pod", namespace: "other", name: "p" } }),
      want: [],
    },
    {
      name: "a cluster-scoped regarding object outside default and kube-system",
      event: event({
        metadata: { name: "e", namespace: "apps" },
        regarding: { kind: "Node", name: "n1" },
      }),
      want: ['involvedObject.namespace: Invalid value: "": does not match event.namespace'],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => assert.deepEqual(check(c.event), c.want));
  }
});

Deno.test("validateCoreEvent() without strict only checks legacy events' namespaces", () => {
  const legacy: CoreEvent = {
    metadata: { name: "x", namespace: "apps" },
    involvedObject: { kind: "Pod", namespace: "other", name: "p" },
    count: 5,
    firstTimestamp: "2024-01-01T00:00:00Z",
  };
  assert.deepEqual(validateCoreEvent(legacy, { strict: false }).map(String), [
    'involvedObject.namespace: Invalid value: "other": does not match event.namespace',
  ]);
  legacy.involvedObject.namespace = "apps";
  assert.deepEqual(validateCoreEvent(legacy, { strict: false }), []);
});

Deno.test("eventsV1EventStrategy.validateUpdate() keeps all but the series immutable", () => {
  const old = event({ series: { count: 2, lastObservedTime: "2024-05-01T10:01:00.000000Z" } });
  const ok = event({ series: { count: 3, lastObservedTime: "2024-05-01T10:02:00.000000Z" } });
  assert.deepEqual(eventsV1EventStrategy.validateUpdate!(ok as KubeObject, old as KubeObject), []);

  const changed = event({
    note: "other",
    reason: "Other",
    eventTime: "2024-05-01T11:00:00.5Z",
    regarding: { kind: "Pod", namespace: "default", name: "p", uid: "u" },
    series: old.series!,
  });
  assert.deepEqual(
    eventsV1EventStrategy.validateUpdate!(changed as KubeObject, old as KubeObject).map(String),
    [
      'involvedObject: Invalid value: core.ObjectReference{Kind:"Pod", Namespace:"default", Name:"p", UID:"u", APIVersion:"", ResourceVersion:"", FieldPath:""}: field is immutable',
      'reason: Invalid value: "Other": field is immutable',
      'message: Invalid value: "other": field is immutable',
      'reason: Invalid value: "Other": field is immutable',
      "eventTime: Invalid value: 2024-05-01 11:00:00.5 +0000 UTC: field is immutable",
    ],
  );
});

Deno.test("validateCoreEventUpdate() checks nothing more for core/v1 requests", () => {
  const old: CoreEvent = { metadata: { name: "x" }, involvedObject: {}, message: "a" };
  const now: CoreEvent = { metadata: { name: "x" }, involvedObject: {}, message: "b" };
  assert.deepEqual(validateCoreEventUpdate(now, { strict: false, old }), []);
});
