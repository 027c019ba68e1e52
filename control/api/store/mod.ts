/**
 * How objects live in storage: the codec, key layout and the watch cache.
 *
 * @module
 */
export * from "./object_codec.ts";
export * from "./storage_keys.ts";
export * from "./watch_cache.ts";
export * from "./watch_caches.ts";
export * from "./ttl_sweeper.ts";
export * from "./object_view.ts";
export * from "./object_views.ts";
export * from "./view_projections.ts";
