/**
 * kubectl's client-side apply annotation (`kubectl.kubernetes.io/last-applied-configuration`)
 * as server-side apply keeps it in step: an apply by the `kubectl` manager rewrites it when it
 * is there (so a later client-side apply still works), encoded as Go encodes an unstructured
 * object — keys sorted, HTML characters escaped, a trailing newline.
 *
 * @module
 */
import { goJson } from "../../util/go_json.ts";

/** The annotation kubectl's client-side apply keeps its last configuration in. */
export const LAST_APPLIED_ANNOTATION = "kubectl.kubernetes.io/last-applied-configuration";
/** The largest total size of an object's annotations (`TotalAnnotationSizeLimitB`). */
const MAX_ANNOTATIONS_BYTES = 256 * 1024;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The annotation's value, or undefined when absent or empty. */
export function lastApplied(obj: unknown): string | undefined {
  const meta = isObject(obj) && isObject(obj.metadata) ? obj.metadata : undefined;
  const annotations = meta && isObject(meta.annotations) ? meta.annotations : undefined;
  const v = annotations?.[LAST_APPLIED_ANNOTATION];
  return typeof v === "string" && v !== "" ? v : undefined;
}

/** The annotation's value for an applied configuration: the configuration without it. */
export function buildLastApplied(config: Record<string, unknown>): string {
  const copy: Record<string, unknown> = { ...config };
  if (isObject(config.metadata)) {
    const meta: Record<string, unknown> = { ...config.metadata };
    if (isObject(meta.annotations)) {
      const { [LAST_APPLIED_ANNOTATION]: _dropped, ...rest } = meta.annotations;
      meta.annotations = rest;
    }
    copy.metadata = meta;
  }
  return goJson(copy) + "\n";
}

/** Sets the annotation on `obj` (in place), unless the annotations would grow too large. */
export function setLastApplied(obj: Record<string, unknown>, value: string): void {
  const meta = (isObject(obj.metadata) ? obj.metadata : (obj.metadata = {})) as Record<
    string,
    unknown
  >;
  const annotations: Record<string, unknown> = isObject(meta.annotations)
    ? { ...meta.annotations }
    : {};
  annotations[LAST_APPLIED_ANNOTATION] = value;
  const encoder = new TextEncoder();
  let size = 0;
  for (const [k, v] of Object.entries(annotations)) {
    size += encoder.encode(k).length + encoder.encode(String(v)).length;
  }
  if (size > MAX_ANNOTATIONS_BYTES) delete annotations[LAST_APPLIED_ANNOTATION];
  meta.annotations = annotations;
}
