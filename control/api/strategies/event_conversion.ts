/**
 * Conversion between core/v1 Event and events.k8s.io/v1 Event, as upstream's
 * `Convert_v1_Event_To_core_Event` and `Convert_core_Event_To_v1_Event` do: both versions are
 * views of the same stored object. Renamed fields: `note`↔`message`, `regarding`↔
 * `involvedObject`, `reportingController`↔`reportingComponent`, `deprecatedSource`↔`source`,
 * `deprecatedFirstTimestamp`↔`firstTimestamp`, `deprecatedLastTimestamp`↔`lastTimestamp`,
 * `deprecatedCount`↔`count`; the others (metadata, eventTime, series, reportingInstance, action,
 * reason, related, type) keep their names.
 *
 * The results are new objects (values are copied, not shared). An absent reference becomes `{}`,
 * as upstream's non-pointer struct always serializes; other absent fields stay absent — including
 * `eventTime` of a legacy core/v1 event, which upstream serializes as `null`.
 *
 * @example Convert an events.k8s.io/v1 Event to core/v1
 * ```ts
 * import assert from "node:assert/strict";
 * import { eventsV1ToCoreEvent } from "./event_conversion.ts";
 *
 * const core = eventsV1ToCoreEvent({
 *   metadata: { name: "e", namespace: "default" },
 *   eventTime: "2024-01-01T00:00:00.000000Z",
 *   note: "Pulled image",
 *   regarding: { kind: "Pod", name: "web" },
 * });
 * assert.equal(core.message, "Pulled image");
 * assert.equal(core.involvedObject.name, "web");
 * ```
 *
 * @module
 */
import type { Event as CoreEvent } from "../types/core_v1_event.ts";
import type { Event } from "../types/events_v1.ts";

/**
 * A deep copy of a JSON value (what a decoded event holds). Plain recursion: an event is a few
 * levels deep, and `structuredClone` cost as much as the rest of a conversion.
 */
function copy<T>(value: T): T {
  if (typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) return value.map(copy) as T;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (k === "__proto__") {
      Object.defineProperty(out, k, {
        value: copy(v),
        writable: true,
        enumerable: true,
        configurable: true,
      });
    } else out[k] = copy(v);
  }
  return out as T;
}

function same<T>(value: T): T {
  return value;
}

/** Copies (or shares, with `take` = `same`) `from[src]` as `to[dst]` when it is present. */
function move(
  from: Record<string, unknown>,
  to: Record<string, unknown>,
  pairs: readonly (readonly [string, string])[],
  take: <T>(value: T) => T,
): void {
  for (const [src, dst] of pairs) {
    if (from[src] !== undefined) to[dst] = take(from[src]);
  }
}

/** Options of the conversions. */
export interface EventConversionOptions {
  /**
   * Share the values with the source instead of copying them: for a caller that only reads
   * the result (validation), never changes either object.
   */
  readonly share?: boolean;
}

const SHARED = [
  "eventTime",
  "series",
  "reportingInstance",
  "action",
  "reason",
  "related",
  "type",
] as const;

const V1_TO_CORE = [
  ["reportingController", "reportingComponent"],
  ["note", "message"],
  ["deprecatedSource", "source"],
  ["deprecatedFirstTimestamp", "firstTimestamp"],
  ["deprecatedLastTimestamp", "lastTimestamp"],
  ["deprecatedCount", "count"],
] as const;

const SHARED_PAIRS = SHARED.map((k) => [k, k] as const);
const CORE_TO_V1 = V1_TO_CORE.map(([v1, core]) => [core, v1] as const);

/** An events.k8s.io/v1 Event as the core/v1 Event it stands for. */
export function eventsV1ToCoreEvent(event: Event, options: EventConversionOptions = {}): CoreEvent {
  const take = options.share ? same : copy;
  const out: CoreEvent = {
    apiVersion: "v1",
    kind: "Event",
    metadata: take(event.metadata ?? {}),
    involvedObject: take(event.regarding ?? {}),
  };
  const from = event as Record<string, unknown>;
  const to = out as Record<string, unknown>;
  move(from, to, SHARED_PAIRS, take);
  move(from, to, V1_TO_CORE, take);
  return out;
}

/** A core/v1 Event as the events.k8s.io/v1 Event it stands for. */
export function coreEventToEventsV1(event: CoreEvent): Event {
  const out = {
    apiVersion: "events.k8s.io/v1",
    kind: "Event",
    metadata: copy(event.metadata ?? {}),
    regarding: copy(event.involvedObject ?? {}),
  } as Event;
  const from = event as Record<string, unknown>;
  const to = out as Record<string, unknown>;
  move(from, to, SHARED_PAIRS, copy);
  move(from, to, CORE_TO_V1, copy);
  return out;
}
