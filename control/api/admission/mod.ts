/**
 * Admission plugins: checks and mutations that need more than the object itself.
 *
 * @module
 */
export * from "./admission.ts";
export * from "./namespace_lifecycle.ts";
export * from "./service_allocator.ts";
