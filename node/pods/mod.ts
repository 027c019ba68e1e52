/**
 * Pods on this node: {@linkcode generatePodStatus} computes the status the agent reports for a
 * pod from its CRI sandbox and container statuses, probe results and previous status, exactly
 * as the kubelet does; {@linkcode podStatusChanged} says whether it is worth writing;
 * {@linkcode generateContainerConfig} builds the CRI config of a container as the kubelet does.
 *
 * @module
 */
export * from "./pod_status.ts";
export * from "./sandbox_config.ts";
export * from "./container_config.ts";
