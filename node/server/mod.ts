/**
 * The agent's HTTPS kubelet API (port 10250): {@linkcode startKubeletServer} serving a
 * {@linkcode KubeletHandler} — `/healthz`, `/pods`, `/containerLogs`, and `/exec`, `/attach`,
 * `/portForward` proxied raw to the container runtime's streaming server — behind
 * {@linkcode KubeletAuth} (client certificates, TokenReview, SubjectAccessReview on the node's
 * subresources).
 *
 * @module
 */
export * from "./container_logs.ts";
export * from "./kubelet_api.ts";
export * from "./kubelet_auth.ts";
export * from "./kubelet_handler.ts";
export * from "./kubelet_server.ts";
export * from "./stream_proxy.ts";
