/**
 * The node agent assembled: containerd, images, CRI, node status and Lease, pods.
 *
 * @module
 */
export * from "./agent.ts";
export * from "./agent_paths.ts";
export * from "./runtime_state.ts";
export * from "./referenced_objects.ts";
export * from "./pod_source.ts";
export * from "./kubelet_serving_cert.ts";
export * from "./pod_network.ts";
export * from "./pod_lifecycle.ts";
