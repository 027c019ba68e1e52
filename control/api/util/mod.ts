/**
 * Small helpers over JSON values.
 *
 * @module
 */
export * from "./json_value.ts";
