/**
 * The Kubernetes API server: types and schemas, validation, strategies, codecs, patches,
 * printing, the resource registry, storage layout and watch cache, handlers, admission,
 * authentication, PKI, and the HTTPS server that puts them together.
 *
 * @module
 */
export * from "./types/mod.ts";
export * from "./validation/mod.ts";
export * from "./strategies/mod.ts";
export * from "./codec/mod.ts";
export * from "./openapi/mod.ts";
export * from "./patch/mod.ts";
export * from "./printers/mod.ts";
export * from "./registry/mod.ts";
export * from "./store/mod.ts";
export * from "./selectors/mod.ts";
export * from "./handlers/mod.ts";
export * from "./admission/mod.ts";
export * from "./auth/mod.ts";
export * from "./pki/mod.ts";
export * from "./util/mod.ts";
export * from "./streaming/mod.ts";
export * from "./api_server.ts";
export * from "./app.ts";
export * from "./bootstrap.ts";
export * from "./cluster_dns_service.ts";
export * from "./apiextensions/mod.ts";
export * from "./fieldmanager/mod.ts";
export * from "./proxy/mod.ts";
export * from "./errors.ts";
export * from "../util/http1_connection.ts";
export * from "./https_server.ts";
export * from "./in_process_client.ts";
export * from "./kubelet_connection.ts";
export * from "./media_type.ts";
export * from "./pod_logs.ts";
export * from "./request_info.ts";
export * from "./secrets_encrypt_route.ts";
export * from "./service_account_keeper.ts";
export * from "./resource_quota_controller.ts";
export * from "./security.ts";
