/**
 * Validation helpers shared by every kind: field errors, name and label rules, object metadata.
 *
 * @module
 */
export * from "./field_errors.ts";
export * from "./names.ts";
export * from "./object_meta.ts";
