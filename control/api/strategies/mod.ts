/**
 * Per-kind create/update strategies: defaults, preparation and validation.
 *
 * @module
 */
export * from "./strategy.ts";
