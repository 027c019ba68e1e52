/**
 * Patch engines: JSON patch (RFC 6902), JSON merge patch (RFC 7386) and strategic merge patch.
 *
 * @module
 */
export * from "./json_patch.ts";
export * from "./merge_patch.ts";
export * from "./patch_error.ts";
export * from "./patch_type.ts";
export * from "./strategic_merge_patch.ts";
