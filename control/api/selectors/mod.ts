/**
 * Label and field selectors: parsing and matching.
 *
 * @module
 */
export * from "./field_selector.ts";
export * from "./label_selector.ts";
