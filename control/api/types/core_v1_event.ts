/**
 * The `core/v1` Event kind: a report of something that happened to an object, as `kubectl
 * describe` and `kubectl events` show. Field numbers from upstream
 * `k8s.io/api/core/v1/generated.proto`.
 *
 * @module
 */
import { ObjectReference } from "./core_v1_common.ts";
import { objectFields, ObjectMeta } from "./meta_v1.ts";
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

const CORE = "io.k8s.api.core.v1";

/** The event types Kubernetes components emit. */
export const EVENT_TYPES = ["Normal", "Warning"] as const;

/** Who reported an event. */
export const EventSource = object(`${CORE}.EventSource`, {
  description: "The component that reported an event.",
  fields: {
    component: field(string(), {
      description: "The component that generated the event.",
      proto: 1,
    }),
    host: field(string(), {
      description: "The node the event was generated on.",
      proto: 2,
    }),
  },
});

/** A series of repeated occurrences of an event. */
export const EventSeries = object(`${CORE}.EventSeries`, {
  description: "A series of occurrences of something that happened continuously for a while.",
  fields: {
    count: field(int32(), {
      description: "The number of occurrences up to the last heartbeat.",
      proto: 1,
    }),
    lastObservedTime: field(microTime(), {
      description: "When the last occurrence was observed.",
      proto: 2,
    }),
  },
});

/** A report of an event somewhere in the cluster. */
export const Event = object(`${CORE}.Event`, {
  description:
    "A report of something that happened in the cluster. Events are kept for a limited time and are informative, best-effort data.",
  gvk: [{ group: "", version: "v1", kind: "Event" }],
  fields: {
    ...objectFields,
    metadata: requiredField(ObjectMeta, { description: "Standard object metadata.", proto: 1 }),
    involvedObject: requiredField(ObjectReference, {
      description: "The object this event is about.",
      proto: 2,
    }),
    reason: field(string(), {
      description: "A short, machine-readable reason for the transition into the current state.",
      proto: 3,
    }),
    message: field(string(), {
      description: "A human-readable description of the event.",
      proto: 4,
    }),
    source: field(EventSource, {
      description: "The component reporting the event.",
      proto: 5,
    }),
    firstTimestamp: field(time(), {
      description: "When the event was first recorded.",
      proto: 6,
    }),
    lastTimestamp: field(time(), {
      description: "When the most recent occurrence was recorded.",
      proto: 7,
    }),
    count: field(int32(), { description: "How many times the event occurred.", proto: 8 }),
    type: field(string(), {
      description: "Normal or Warning; more types may be added.",
      proto: 9,
    }),
    eventTime: field(microTime(), {
      description: "When the event was first observed (microseconds).",
      proto: 10,
    }),
    series: field(EventSeries, {
      description: "The series this event represents, or unset for a single event.",
      proto: 11,
    }),
    action: field(string(), {
      description: "What was taken or failed regarding the involved object.",
      proto: 12,
    }),
    related: field(ObjectReference, {
      description: "A second object, for more complex actions.",
      proto: 13,
    }),
    reportingComponent: field(string(), {
      description: "The controller that emitted the event, e.g. kubernetes.io/kubelet.",
      proto: 14,
      keepZero: true,
    }),
    reportingInstance: field(string(), {
      description: "The ID of the controller instance, e.g. kubelet-xyzf.",
      proto: 15,
      keepZero: true,
    }),
  },
});

/** TypeScript type of {@linkcode Event}. */
export type Event = Infer<typeof Event>;
/** TypeScript type of {@linkcode EventSource}. */
export type EventSource = Infer<typeof EventSource>;
/** TypeScript type of {@linkcode EventSeries}. */
export type EventSeries = Infer<typeof EventSeries>;
