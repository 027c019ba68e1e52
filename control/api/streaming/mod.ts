/**
 * The streaming subresources of pods — `pods/exec`, `pods/attach`, `pods/portforward` — from
 * kubectl through the API server to the pod's kubelet: SPDY relayed as it is, WebSocket v5
 * translated to SPDY v4, WebSocket-tunnelled SPDY port-forward unwrapped.
 *
 * @module
 */
export * from "./kubelet_upgrade.ts";
export * from "./pod_stream_hook.ts";
export * from "./socket_relay.ts";
export * from "./stream_target.ts";
export * from "./websocket_exec.ts";
