/**
 * The core/v1 Event strategy (upstream `legacyValidateEvent`, which is all `core/v1` writes
 * get): the involved object's namespace must match the event's, and events with an `eventTime`
 * need a reporting controller, instance, action and reason of bounded length. Names are only
 * checked as path segments, as upstream's Event validation does not check them further.
 *
 * @module
 */
import type { Event } from "../types/core_v1_event.ts";
import type { KubeObject } from "../types/meta_v1.ts";
import {
  type FieldError,
  FieldPath,
  invalid,
  invalidEach,
  required,
} from "../validation/field_errors.ts";
import { isDns1123Subdomain, isQualifiedName } from "../validation/names.ts";
import type { Strategy } from "./strategy.ts";

/** The longest `reportingInstance`, in bytes. */
const REPORTING_INSTANCE_LENGTH_LIMIT = 128;
/** The longest `action`, in bytes. */
const ACTION_LENGTH_LIMIT = 128;
/** The longest `reason`, in bytes. */
const REASON_LENGTH_LIMIT = 128;
/** The longest `message` (an events.k8s.io note), in bytes. */
const NOTE_LENGTH_LIMIT = 1024;

function byteLength(s: string): number {
  return new TextEncoder().encode(s).length;
}

function tooManyChars(path: string, limit: number): FieldError {
  return invalid(path, { value: "", detail: `can have at most ${limit} characters` });
}

/** The problems with a core/v1 Event, as `legacyValidateEvent` reports them. */
export function validateLegacyEvent(event: Event): FieldError[] {
  const errs: FieldError[] = [];
  const namespace = event.metadata?.namespace ?? "";
  const involvedNamespace = event.involvedObject?.namespace ?? "";
  const nsPath = new FieldPath("involvedObject").child("namespace");
  const mismatch = invalid(nsPath, {
    value: involvedNamespace,
    detail: "does not match event.namespace",
  });
  if (!event.eventTime) {
    if (involvedNamespace === "") {
      if (namespace !== "" && namespace !== "default") errs.push(mismatch);
    } else if (namespace !== involvedNamespace) {
      errs.push(mismatch);
    }
  } else {
    if (involvedNamespace === "" && namespace !== "default" && namespace !== "kube-system") {
      errs.push(mismatch);
    }
    const controller = event.reportingComponent ?? "";
    if (controller === "") errs.push(required("reportingController"));
    errs.push(...invalidEach("reportingController", {
      value: controller,
      messages: isQualifiedName(controller),
    }));
    const instance = event.reportingInstance ?? "";
    if (instance === "") errs.push(required("reportingInstance"));
    if (byteLength(instance) > REPORTING_INSTANCE_LENGTH_LIMIT) {
      errs.push(tooManyChars("reportingInstance", REPORTING_INSTANCE_LENGTH_LIMIT));
    }
    const action = event.action ?? "";
    if (action === "") errs.push(required("action"));
    if (byteLength(action) > ACTION_LENGTH_LIMIT) {
      errs.push(tooManyChars("action", ACTION_LENGTH_LIMIT));
    }
    const reason = event.reason ?? "";
    if (reason === "") errs.push(required("reason"));
    if (byteLength(reason) > REASON_LENGTH_LIMIT) {
      errs.push(tooManyChars("reason", REASON_LENGTH_LIMIT));
    }
    if (byteLength(event.message ?? "") > NOTE_LENGTH_LIMIT) {
      errs.push(tooManyChars("message", NOTE_LENGTH_LIMIT));
    }
  }
  errs.push(
    ...invalidEach("namespace", { value: namespace, messages: isDns1123Subdomain(namespace) }),
  );
  return errs;
}

/** The strategy of core/v1 `events`. */
export const eventStrategy: Strategy = {
  nameRule: "pathSegment",
  validate(obj: KubeObject): FieldError[] {
    return validateLegacyEvent(obj as Event);
  },
};
