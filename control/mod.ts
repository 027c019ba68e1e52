/**
 * The control plane: configuration, the `skiff server` startup script, versions, the storage
 * engine and the shared utilities. The API server, client, scheduler and controllers join here as
 * they are built.
 *
 * @example Load a configuration and read the storage URL
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadServerConfig } from "./mod.ts";
 *
 * const config = await loadServerConfig(["--data-dir", "/srv/skiff"], {
 *   env: {},
 *   hostname: () => "edge-1",
 *   uid: () => 0,
 *   cwd: () => "/",
 *   readTextFile: () => Promise.reject(new Error("no config file")),
 * });
 * assert.equal(config.storageUrl, "kv:///srv/skiff/db/state.kv");
 * ```
 *
 * @module
 */
export * from "./config.ts";
export * from "./server.ts";
export * from "./server_agent.ts";
export * from "./agent_command.ts";
export * from "./agent_join.ts";
export * from "./agent_cluster_dns.ts";
export * from "./version.ts";
export * from "./storage/mod.ts";
export * from "./api/mod.ts";
export * from "./scheduler/mod.ts";
export * from "./controllers/mod.ts";
export * from "./client/mod.ts";
export * from "./util/mod.ts";
export * from "./admin_connection.ts";
export * from "./token_command.ts";
export * from "./secrets_encrypt_command.ts";
