/**
 * WebSocket (RFC 6455) on a raw socket, for the streaming subresources: frames and their
 * parser, the opening handshake on both sides, and a connection with messages, ping/pong and
 * the closing handshake.
 *
 * @module
 */
export * from "./frame.ts";
export * from "./handshake.ts";
export * from "./websocket_connection.ts";
