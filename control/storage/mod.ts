/**
 * The revisioned storage engine the API server sits on: one {@linkcode Storage} interface
 * (etcd-like revisions, guarded writes, watches from a revision, compaction) with three backends
 * chosen by URL through {@linkcode openStorage}: memory (the reference), Deno KV (the default,
 * log-structured) and etcd.
 *
 * @example Write, watch and read back
 * ```ts
 * import { openStorage } from "./mod.ts";
 * await using storage = await openStorage("memory://");
 * const from = await storage.currentRevision();
 * await storage.create("/registry/configmaps/default/a", new TextEncoder().encode("{}"));
 * for await (const event of storage.watch("/registry/configmaps/", from, AbortSignal.timeout(1000))) {
 *   if (event.type !== "created") throw new Error("expected a create");
 *   break;
 * }
 * ```
 *
 * @module
 */
export * from "./types.ts";
export * from "./errors.ts";
export * from "./keys.ts";
export * from "./continue_token.ts";
export * from "./guaranteed_update.ts";
export * from "./memory.ts";
export * from "./deno_kv.ts";
export * from "./registry.ts";
export * from "./compactor.ts";
export * from "./encrypting_storage.ts";
export * from "./encryption_config.ts";
export * from "./encryption_rotation.ts";
