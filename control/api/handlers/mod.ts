/**
 * The API server's request handlers: discovery, OpenAPI, the REST verbs, watches and subresources.
 *
 * @module
 */
export * from "./context.ts";
export * from "./decode_body.ts";
export * from "./discovery.ts";
export * from "./object_lifecycle.ts";
export * from "./openapi_handler.ts";
export * from "./render.ts";
export * from "./rest_handler.ts";
export * from "./subresource_handlers.ts";
export * from "./watch_handler.ts";
export * from "./extensions.ts";
export * from "./health.ts";
