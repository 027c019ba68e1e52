/**
 * OpenAPI v2 (JSON and gnostic protobuf) and v3 documents generated from the kinds' schemas.
 *
 * @module
 */
export * from "./types.ts";
export * from "./v2.ts";
export * from "./v2_protobuf.ts";
export * from "./v3.ts";
