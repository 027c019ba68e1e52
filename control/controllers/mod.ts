/**
 * skiff's controllers, as kube-controller-manager's: the ReplicaSet, Deployment, Namespace,
 * EndpointSlice and Endpoints controllers, the {@linkcode ControllerManager} that runs the enabled ones under
 * leader election with shared informers and one event broadcaster, and the pieces workload
 * controllers share (expectations, pod control with its events, claiming by controllerRef, the
 * deletion order of pods, slow-start batches). Controllers reach the API only through
 * `control/client`.
 *
 * @example Which controllers `--controllers=*,-namespace` runs
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultControllers, enabledControllers } from "./mod.ts";
 *
 * const enabled = enabledControllers(["*", "-namespace"], defaultControllers());
 * const names = enabled.map((c) => c.name);
 * assert.equal(names[0], "replicaset");
 * assert.ok(names.includes("deployment") && !names.includes("namespace"));
 * ```
 *
 * @module
 */
export * from "./active_pods.ts";
export * from "./controller_manager.ts";
export * from "./controller_history.ts";
export * from "./controller_ref_manager.ts";
export * from "./cron_job.ts";
export * from "./daemon_set.ts";
export * from "./deployment.ts";
export * from "./disruption.ts";
export * from "./endpoint_slice.ts";
export * from "./endpoints.ts";
export * from "./expectations.ts";
export * from "./garbage_collector.ts";
export * from "./job.ts";
export * from "./namespace.ts";
export * from "./node_ipam.ts";
export * from "./node_lifecycle.ts";
export * from "./owner_lookup.ts";
export * from "./pod_control.ts";
export * from "./pod_gc.ts";
export * from "./replicaset.ts";
export * from "./replication_controller.ts";
export * from "./service_lb.ts";
export * from "./slow_start_batch.ts";
export * from "./stateful_set.ts";
export * from "./taint_eviction.ts";
export * from "./ttl_after_finished.ts";
