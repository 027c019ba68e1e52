/**
 * SPDY/3.1 for Kubernetes streaming (exec, attach, port-forward): frames, header blocks
 * compressed with the SPDY/3 dictionary, a session with streams and flow control, and the
 * HTTP/1.1 upgrade to it.
 *
 * @module
 */
export * from "./frames.ts";
export * from "./header_block.ts";
export * from "./session.ts";
export * from "./upgrade.ts";
