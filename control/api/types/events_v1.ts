/**
 * `events.k8s.io/v1`: Event, the newer shape of core/v1 Event. Both versions are views of the
 * same stored objects (see `control/api/strategies/event_conversion.ts`). `deprecatedSource` is
 * core/v1 `EventSource` (from `core_v1_event.ts`). Field numbers from upstream
 * `k8s.io/api/events/v1/generated.proto`.
 *
 * @module
 */
import { ObjectReference } from "./core_v1_common.ts";
import { EventSource } from "./core_v1_event.ts";
import { objectFields } from "./meta_v1.ts";
import {
  field,
  type Infer,
  int32,
  microTime,
  object,
  requiredField,
  string,
  time,
} from "./schema.ts";

const EVENTS = "io.k8s.api.events.v1";

/** A series of repeated occurrences of an event. */
export const EventSeries = object(`${EVENTS}.EventSeries`, {
  description:
    "A series of occurrences of the same event; reporters update it on heartbeats instead of creating new events.",
  fields: {
    count: requiredField(int32(), {
      description: "How many times the event occurred up to the last heartbeat.",
      proto: 1,
    }),
    lastObservedTime: requiredField(microTime(), {
      description: "When the event was last observed before the last heartbeat.",
      proto: 2,
    }),
  },
});

/** An Event: a report of something that happened in the cluster. */
export const Event = object(`${EVENTS}.Event`, {
  description:
    "A report of an event in the cluster, usually a state change. Events are kept for a limited time and are best-effort, informative data.",
  gvk: [{ group: "events.k8s.io", version: "v1", kind: "Event" }],
  fields: {
    ...objectFields,
    eventTime: requiredField(microTime(), {
      description: "When the event was first observed.",
      proto: 2,
    }),
    series: field(EventSeries, {
      description: "The series this event belongs to; unset for a single event.",
      proto: 3,
    }),
    reportingController: field(string(), {
      description:
        "The controller that emitted the event, e.g. kubernetes.io/kubelet; required for new events.",
      proto: 4,
    }),
    reportingInstance: field(string(), {
      description:
        "The controller instance, e.g. kubelet-xyzf; required for new events, at most 128 characters.",
      proto: 5,
    }),
    action: field(string(), {
      description:
        "What was done (or failed) to the regarding object, machine-readable; required for new events, at most 128 characters.",
      proto: 6,
    }),
    reason: field(string(), {
      description: "Why the action was taken; required for new events, at most 128 characters.",
      proto: 7,
    }),
    regarding: field(ObjectReference, {
      description: "The object this event is about.",
      proto: 8,
    }),
    related: field(ObjectReference, {
      description: "A secondary object, e.g. one the regarding object created or deleted.",
      proto: 9,
    }),
    note: field(string(), {
      description: "A human-readable description, at most 1kB.",
      proto: 10,
    }),
    type: field(string(), {
      description: "Normal or Warning (more types may come); required for new events.",
      proto: 11,
    }),
    deprecatedSource: field(EventSource, {
      description: "The core/v1 source field, kept for compatibility.",
      proto: 12,
    }),
    deprecatedFirstTimestamp: field(time(), {
      description: "The core/v1 firstTimestamp field, kept for compatibility.",
      proto: 13,
    }),
    deprecatedLastTimestamp: field(time(), {
      description: "The core/v1 lastTimestamp field, kept for compatibility.",
      proto: 14,
    }),
    deprecatedCount: field(int32(), {
      description: "The core/v1 count field, kept for compatibility.",
      proto: 15,
    }),
  },
});

/** TypeScript type of {@linkcode EventSeries}. */
export type EventSeries = Infer<typeof EventSeries>;
/** TypeScript type of {@linkcode Event}. */
export type Event = Infer<typeof Event>;
