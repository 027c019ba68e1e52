/**
 * CustomResourceDefinitions (`apiextensions.k8s.io/v1`): validation of CRDs and their
 * structural schemas, the CRD strategy, the conversion of schemas into skiff's schema language,
 * pruning, defaulting and validation of custom resources (schema and CEL rules), their Table
 * printer, their served resources, and the loop that establishes CRDs and cleans up after them.
 *
 * @module
 */
export * from "./cel_rules.ts";
export * from "./cr_printer.ts";
export * from "./cr_values.ts";
export * from "./crd_controller.ts";
export * from "./crd_strategy.ts";
export * from "./crd_validation.ts";
export * from "./custom_resource_defs.ts";
export * from "./schema_conversion.ts";
export * from "./structural.ts";
