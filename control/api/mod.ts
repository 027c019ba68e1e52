/**
 * The Kubernetes API server: types and schemas, validation, strategies.
 *
 * @module
 */
export * from "./types/mod.ts";
export * from "./validation/mod.ts";
export * from "./strategies/mod.ts";
