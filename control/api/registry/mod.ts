/**
 * The served resources: their definitions, the registry and the built-in table.
 *
 * @module
 */
export * from "./builtin_resources.ts";
export * from "./resource_def.ts";
export * from "./resource_registry.ts";
