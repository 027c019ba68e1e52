/**
 * The strategy of `events.k8s.io/v1` Event, and the Event validation both API versions share
 * (upstream `ValidateEventCreate` and `ValidateEventUpdate`).
 *
 * Upstream validates the internal (core) form of an event whatever the request's version, so
 * its messages name core fields (`involvedObject`, `message`, `source`, `count`, …) even for
 * events.k8s.io/v1 requests; skiff converts and does the same. Requests through events.k8s.io/v1
 * get the strict checks; core/v1 requests only the legacy ones ({@linkcode validateCoreEvent}
 * with `strict: false`), and upstream does not check a core/v1 event's name.
 *
 * @module
 */
import type { ObjectReference } from "../types/core_v1_common.ts";
import type { Event as CoreEvent } from "../types/core_v1_event.ts";
import type { Event } from "../types/events_v1.ts";
import type { KubeObject } from "../types/meta_v1.ts";
import { FieldError, FieldPath, invalid, required } from "../validation/field_errors.ts";
import { goQuote, goStruct, goTime, invalidGo } from "../validation/go_format.ts";
import { FIELD_IMMUTABLE } from "../validation/immutable.ts";
import { isDns1123Subdomain, isQualifiedName } from "../validation/names.ts";
import { semanticEqual } from "../validation/semantic_equal.ts";
import { eventsV1ToCoreEvent } from "./event_conversion.ts";
import type { Strategy } from "./strategy.ts";

/** The longest `reportingInstance`. */
export const REPORTING_INSTANCE_LENGTH_LIMIT = 128;
/** The longest `action`. */
export const ACTION_LENGTH_LIMIT = 128;
/** The longest `reason`. */
export const REASON_LENGTH_LIMIT = 128;
/** The longest `message` (`note`). */
export const NOTE_LENGTH_LIMIT = 1024;

/** Options of {@linkcode validateCoreEvent} and {@linkcode validateCoreEventUpdate}. */
export interface EventValidationOptions {
  /** The request came through events.k8s.io/v1 (strict checks), not core/v1. */
  readonly strict: boolean;
}

function isZeroTime(t: string | undefined | null): boolean {
  return t === undefined || t === null || t === "" || t.startsWith("0001-01-01T00:00:00");
}

function tooLongDetail(limit: number): string {
  return `can have at most ${limit} characters`;
}

/** The checks every event passes, whatever the API version (`legacyValidateEvent`). */
function legacyValidate(event: CoreEvent): FieldError[] {
  const errs: FieldError[] = [];
  const ns = event.metadata?.namespace ?? "";
  const involvedNs = event.involvedObject?.namespace ?? "";
  const nsPath = new FieldPath("involvedObject").child("namespace");
  const nsMismatch = () =>
    invalid(nsPath, { value: involvedNs, detail: "does not match event.namespace" });
  if (isZeroTime(event.eventTime)) {
    if (involvedNs === "") {
      if (ns !== "" && ns !== "default") errs.push(nsMismatch());
    } else if (ns !== involvedNs) {
      errs.push(nsMismatch());
    }
  } else {
    if (involvedNs === "" && ns !== "default" && ns !== "kube-system") errs.push(nsMismatch());
    const controller = event.reportingComponent ?? "";
    if (controller === "") errs.push(required("reportingController"));
    for (const detail of isQualifiedName(controller)) {
      errs.push(invalid("reportingController", { value: controller, detail }));
    }
    const checks: [string, string | undefined, number][] = [
      ["reportingInstance", event.reportingInstance, REPORTING_INSTANCE_LENGTH_LIMIT],
      ["action", event.action, ACTION_LENGTH_LIMIT],
      ["reason", event.reason, REASON_LENGTH_LIMIT],
    ];
    for (const [name, value, limit] of checks) {
      if (!value) errs.push(required(name));
      if ((value ?? "").length > limit) {
        errs.push(invalid(name, { value: "", detail: tooLongDetail(limit) }));
      }
    }
    if ((event.message ?? "").length > NOTE_LENGTH_LIMIT) {
      errs.push(invalid("message", { value: "", detail: tooLongDetail(NOTE_LENGTH_LIMIT) }));
    }
  }
  for (const detail of isDns1123Subdomain(ns)) {
    errs.push(invalid("namespace", { value: ns, detail }));
  }
  return errs;
}

function validateSeries(event: CoreEvent): FieldError[] {
  const errs: FieldError[] = [];
  if (event.series !== undefined && event.series !== null) {
    if ((event.series.count ?? 0) < 2) {
      errs.push(invalid("series.count", { value: "", detail: "should be at least 2" }));
    }
    if (isZeroTime(event.series.lastObservedTime)) errs.push(required("series.lastObservedTime"));
  }
  return errs;
}

/**
 * Errors in a new event in its core/v1 form (`ValidateEventCreate` without the metadata
 * checks, which the generic handler does).
 */
export function validateCoreEvent(event: CoreEvent, options: EventValidationOptions): FieldError[] {
  const errs = legacyValidate(event);
  if (!options.strict) return errs;
  errs.push(...validateSeries(event));
  if (isZeroTime(event.eventTime)) errs.push(required("eventTime"));
  if (event.type !== "Normal" && event.type !== "Warning") {
    errs.push(invalid("type", { value: "", detail: `has invalid value: ${event.type ?? ""}` }));
  }
  const unset = (name: string) => invalid(name, { value: "", detail: "needs to be unset" });
  if (!isZeroTime(event.firstTimestamp)) errs.push(unset("firstTimestamp"));
  if (!isZeroTime(event.lastTimestamp)) errs.push(unset("lastTimestamp"));
  if ((event.count ?? 0) !== 0) errs.push(unset("count"));
  if (event.source?.component || event.source?.host) errs.push(unset("source"));
  return errs;
}

function goRef(ref: ObjectReference): string {
  return goStruct("core.ObjectReference", [
    ["Kind", goQuote(ref.kind ?? "")],
    ["Namespace", goQuote(ref.namespace ?? "")],
    ["Name", goQuote(ref.name ?? "")],
    ["UID", goQuote(ref.uid ?? "")],
    ["APIVersion", goQuote(ref.apiVersion ?? "")],
    ["ResourceVersion", goQuote(ref.resourceVersion ?? "")],
    ["FieldPath", goQuote(ref.fieldPath ?? "")],
  ]);
}

/** An immutability error printing the new value as upstream does. */
function immutable(name: string, options: { text: string; same: boolean }): FieldError[] {
  return options.same ? [] : [invalidGo(name, { text: options.text, detail: FIELD_IMMUTABLE })];
}

/**
 * Errors in an update of an event in its core/v1 form, beyond those of
 * {@linkcode validateCoreEvent} on the new event (`ValidateEventUpdate`): through
 * events.k8s.io/v1 everything but the series and metadata is immutable.
 */
export function validateCoreEventUpdate(
  event: CoreEvent,
  options: EventValidationOptions & { readonly old: CoreEvent },
): FieldError[] {
  if (!options.strict) return [];
  const old = options.old;
  const errs: FieldError[] = [];
  if (!semanticEqual(event.series, old.series)) errs.push(...validateSeries(event));
  const str = (v: string | undefined) => v ?? "";
  const strField = (name: string, a: string | undefined, b: string | undefined) =>
    immutable(name, { text: goQuote(str(a)), same: str(a) === str(b) });
  const timeField = (name: string, a: string | undefined, b: string | undefined) =>
    immutable(name, { text: goTime(a), same: semanticEqual(a ?? null, b ?? null) });
  errs.push(
    ...immutable("involvedObject", {
      text: goRef(event.involvedObject ?? {}),
      same: semanticEqual(event.involvedObject, old.involvedObject),
    }),
    ...strField("reason", event.reason, old.reason),
    ...strField("message", event.message, old.message),
    ...immutable("source", {
      text: goStruct("core.EventSource", [
        ["Component", goQuote(event.source?.component ?? "")],
        ["Host", goQuote(event.source?.host ?? "")],
      ]),
      same: semanticEqual(event.source, old.source),
    }),
    ...timeField("firstTimestamp", event.firstTimestamp, old.firstTimestamp),
    ...timeField("lastTimestamp", event.lastTimestamp, old.lastTimestamp),
    ...immutable("count", {
      text: String(event.count ?? 0),
      same: (event.count ?? 0) === (old.count ?? 0),
    }),
    // Upstream checks reason twice.
    ...strField("reason", event.reason, old.reason),
    ...strField("type", event.type, old.type),
    ...timeField("eventTime", event.eventTime, old.eventTime),
    ...strField("action", event.action, old.action),
    ...immutable("related", {
      text: event.related ? goRef(event.related) : '"null"',
      same: semanticEqual(event.related, old.related),
    }),
    ...strField("reportingController", event.reportingComponent, old.reportingComponent),
    ...strField("reportingInstance", event.reportingInstance, old.reportingInstance),
  );
  return errs;
}

const SHARE = { share: true } as const;

/**
 * The events.k8s.io/v1 Event strategy. The generic handler runs `validate` on updates too, so
 * an update also gets the strict create checks (upstream runs only the legacy ones then).
 */
export const eventsV1EventStrategy: Strategy = {
  nameRule: "subdomain",
  // Validation only reads the core form: it shares the request's values rather than copy them.
  validate(obj: KubeObject): FieldError[] {
    return validateCoreEvent(eventsV1ToCoreEvent(obj as Event, SHARE), { strict: true });
  },
  validateUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
    return validateCoreEventUpdate(eventsV1ToCoreEvent(obj as Event, SHARE), {
      strict: true,
      old: eventsV1ToCoreEvent(old as Event, SHARE),
    });
  },
};
