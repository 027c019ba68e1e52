/**
 * Pods on this node: {@linkcode generatePodStatus} computes the status the agent reports for a
 * pod from its CRI sandbox and container statuses, probe results and previous status, exactly
 * as the kubelet does; {@linkcode podStatusChanged} says whether it is worth writing.
 *
 * @module
 */
export * from "./pod_status.ts";
export * from "./sandbox_config.ts";
