/**
 * Event printing shared by core/v1 `Event` and events.k8s.io/v1 `Event`: upstream prints both
 * from the internal core Event, so the events.k8s.io fields are mapped onto core's first.
 *
 * @module
 */
import { column, columns, text, wide } from "./_columns.ts";
import { int, type JsonObject, nameOf, obj, present, str } from "./_fields.ts";
import { parseTime, since } from "./_format.ts";

/** The fields of an Event that printing uses, in core/v1 terms. */
export interface EventFields {
  name: string;
  type: string;
  reason: string;
  message: string;
  involvedKind: string;
  involvedName: string;
  involvedFieldPath: string;
  sourceComponent: string;
  sourceHost: string;
  reportingController: string;
  reportingInstance: string;
  firstTimestamp: unknown;
  lastTimestamp: unknown;
  eventTime: unknown;
  count: number;
  series: JsonObject | undefined;
}

/** Reads a core/v1 Event. */
export function coreEventFields(e: JsonObject): EventFields {
  const involved = obj(e.involvedObject);
  const source = obj(e.source);
  return {
    name: nameOf(e),
    type: str(e.type),
    reason: str(e.reason),
    message: str(e.message),
    involvedKind: str(involved.kind),
    involvedName: str(involved.name),
    involvedFieldPath: str(involved.fieldPath),
    sourceComponent: str(source.component),
    sourceHost: str(source.host),
    reportingController: str(e.reportingComponent),
    reportingInstance: str(e.reportingInstance),
    firstTimestamp: e.firstTimestamp,
    lastTimestamp: e.lastTimestamp,
    eventTime: e.eventTime,
    count: int(e.count),
    series: present(e.series) ? obj(e.series) : undefined,
  };
}

/** The row of an Event, as upstream's `printEvent` (wide). */
export function eventRow(e: EventFields, nowMs: number): unknown[] {
  const first = parseTime(e.firstTimestamp) === undefined
    ? since(e.eventTime, nowMs)
    : since(e.firstTimestamp, nowMs);
  let last = parseTime(e.lastTimestamp) === undefined ? first : since(e.lastTimestamp, nowMs);
  let count = e.count;
  if (e.series !== undefined) {
    last = since(e.series.lastObservedTime, nowMs);
    count = int(e.series.count);
  } else if (count === 0) {
    count = 1;
  }
  const kind = e.involvedKind.toLowerCase();
  const target = e.involvedName !== "" ? `${kind}/${e.involvedName}` : kind;
  const component = e.sourceComponent !== "" ? e.sourceComponent : e.reportingController;
  const host = e.sourceHost !== "" ? e.sourceHost : e.reportingInstance;
  const source = host === "" ? component : `${component}, ${host}`;
  return [
    last,
    e.type,
    e.reason,
    target,
    e.involvedFieldPath,
    source,
    e.message.trim(),
    first,
    count,
    e.name,
  ];
}

/** The Event columns, shared by core/v1 and events.k8s.io/v1. */
export const EVENT_COLUMNS = columns(
  text("Last Seen", "How long ago the event last happened."),
  text("Type", "Normal or Warning."),
  text("Reason", "A short machine-readable cause."),
  text("Object", "The object the event is about, as kind/name."),
  wide("Subobject", "The part of the object, such as a container's field path."),
  wide("Source", "The component (and host) that reported the event."),
  text("Message", "What happened, for humans."),
  wide("First Seen", "How long ago the event first happened."),
  wide("Count", "How many times the event happened."),
  column("Name", {
    description: "The event object's name.",
    format: "name",
    priority: 1,
  }),
);

/** Reads an events.k8s.io/v1 Event (`regarding`, `note`, `deprecated*` fields). */
export function eventsV1Fields(e: JsonObject): EventFields {
  const regarding = obj(e.regarding);
  const source = obj(e.deprecatedSource);
  return {
    name: nameOf(e),
    type: str(e.type),
    reason: str(e.reason),
    message: str(e.note),
    involvedKind: str(regarding.kind),
    involvedName: str(regarding.name),
    involvedFieldPath: str(regarding.fieldPath),
    sourceComponent: str(source.component),
    sourceHost: str(source.host),
    reportingController: str(e.reportingController),
    reportingInstance: str(e.reportingInstance),
    firstTimestamp: e.deprecatedFirstTimestamp,
    lastTimestamp: e.deprecatedLastTimestamp,
    eventTime: e.eventTime,
    count: int(e.deprecatedCount),
    series: present(e.series) ? obj(e.series) : undefined,
  };
}
