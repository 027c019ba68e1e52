/**
 * The `proxy` subresources — `pods/proxy`, `services/proxy`, `nodes/proxy` — as kube-apiserver
 * serves them: where a request goes (a pod's IP, a ready endpoint of a Service, a node's
 * kubelet), and the pass-through itself, with upgrades relayed raw and the backend's redirects
 * and HTML links rewritten to lead back through the API server.
 *
 * @module
 */
export * from "./backend_connection.ts";
export * from "./html_rewrite.ts";
export * from "./proxy_handler.ts";
export * from "./proxy_hooks.ts";
export * from "./proxy_location.ts";
export * from "./proxy_url_rewrite.ts";
