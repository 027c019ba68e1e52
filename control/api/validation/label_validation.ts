/**
 * Label and annotation maps as upstream validates them (`ValidateLabelName`, `ValidateLabels`,
 * `ValidateAnnotations`): keys are qualified names (annotation keys in any case), label values
 * are label values, and all annotations of an object together hold at most 256 KiB. Errors are
 * reported at the map's own path, as upstream does; keys are visited in sorted order, so the
 * errors come out the same whatever order the client sent (Go's map order is random).
 *
 * @example Validate the labels of a template
 * ```ts
 * import assert from "node:assert/strict";
 * import { validateLabels } from "./label_validation.ts";
 *
 * assert.deepEqual(validateLabels({ app: "web" }, "spec.template.metadata.labels"), []);
 * assert.equal(validateLabels({ "-bad": "web" }, "labels").length, 1);
 * ```
 *
 * @module
 */
import { type FieldError, type FieldPath, invalidEach, tooLong } from "./field_errors.ts";
import { isQualifiedName, isValidLabelValue, TOTAL_ANNOTATION_SIZE_LIMIT_BYTES } from "./names.ts";

/** `ValidateLabelName`: a label key (or another label-like name) must be a qualified name. */
export function validateLabelName(name: string, path: FieldPath | string): FieldError[] {
  return invalidEach(path, { value: name, messages: isQualifiedName(name) });
}

/** `ValidateLabels`: every key a qualified name and every value a label value. */
export function validateLabels(
  labels: Readonly<Record<string, unknown>> | undefined,
  path: FieldPath | string,
): FieldError[] {
  const errs: FieldError[] = [];
  for (const key of Object.keys(labels ?? {}).sort()) {
    errs.push(...validateLabelName(key, path));
    const value = labels![key];
    if (typeof value !== "string") continue;
    errs.push(...invalidEach(path, { value, messages: isValidLabelValue(value) }));
  }
  return errs;
}

/** The bytes all of `annotations`' keys and values take (`ValidateAnnotationsSize`). */
export function annotationsSizeBytes(annotations: Readonly<Record<string, unknown>>): number {
  const encoder = new TextEncoder();
  let size = 0;
  for (const [k, v] of Object.entries(annotations)) {
    size += encoder.encode(k).length + (typeof v === "string" ? encoder.encode(v).length : 0);
  }
  return size;
}

/**
 * `ValidateAnnotations`: every key a qualified name once lowercased, and at most
 * {@linkcode TOTAL_ANNOTATION_SIZE_LIMIT_BYTES} in all.
 */
export function validateAnnotations(
  annotations: Readonly<Record<string, unknown>> | undefined,
  path: FieldPath | string,
): FieldError[] {
  const errs: FieldError[] = [];
  for (const key of Object.keys(annotations ?? {}).sort()) {
    errs.push(...invalidEach(path, { value: key, messages: isQualifiedName(key.toLowerCase()) }));
  }
  if (annotationsSizeBytes(annotations ?? {}) > TOTAL_ANNOTATION_SIZE_LIMIT_BYTES) {
    errs.push(tooLong(path, TOTAL_ANNOTATION_SIZE_LIMIT_BYTES));
  }
  return errs;
}
