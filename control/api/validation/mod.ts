/**
 * Validation helpers shared by every kind, printing exactly as Kubernetes' do: field errors,
 * name and label rules, object metadata, label and node selectors, IPs and CIDRs, ports,
 * resource names and quantities, numeric limits, local paths, immutable fields, semantic
 * equality and Go-style printing of bad values.
 *
 * @module
 */
export * from "./field_errors.ts";
export * from "./go_format.ts";
export * from "./immutable.ts";
export * from "./ip.ts";
export * from "./label_validation.ts";
export * from "./local_paths.ts";
export * from "./names.ts";
export * from "./numbers.ts";
export * from "./object_meta.ts";
export * from "./ports.ts";
export * from "./resource_names.ts";
export * from "./selector_validation.ts";
export * from "./semantic_equal.ts";
