/**
 * Request-body codecs: JSON and YAML parsing with duplicate detection, schema-driven decoding and validation.
 *
 * @module
 */
export * from "./decode.ts";
export * from "./json_body.ts";
export * from "./protobuf_body.ts";
export * from "./validate_schema.ts";
export * from "./yaml_body.ts";
