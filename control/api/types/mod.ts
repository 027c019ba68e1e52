/**
 * API types: skiff's schema language and the schemas of every served kind, with their inferred
 * TypeScript types. Shared by the API server, the client, controllers and the node agent.
 *
 * @example Use an inferred type
 * ```ts
 * import type { ObjectMeta } from "./mod.ts";
 *
 * const meta: ObjectMeta = { name: "web", labels: { app: "web" } };
 * ```
 *
 * @module
 */
export * from "./schema.ts";
export * from "./meta_v1.ts";
