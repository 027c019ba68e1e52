/**
 * Admission plugins: checks and mutations that need more than the object itself.
 *
 * @module
 */
export * from "./admission.ts";
export * from "./namespace_lifecycle.ts";
export * from "./service_allocator.ts";
export * from "./node_restriction.ts";
export * from "./service_account.ts";
export * from "./limit_ranger.ts";
export * from "./default_toleration_seconds.ts";
export * from "./priority.ts";
export * from "./pod_security.ts";
export * from "./resource_quota.ts";
