/**
 * Per-kind create/update strategies: defaults, preparation and validation, as kube-apiserver's registry strategies.
 *
 * @module
 */
export * from "./config_map.ts";
export * from "./controller_revision.ts";
export * from "./cron_job.ts";
export * from "./daemon_set.ts";
export * from "./deployment.ts";
export * from "./endpoint_slice.ts";
export * from "./endpoints.ts";
export * from "./event.ts";
export * from "./event_conversion.ts";
export * from "./events_v1_event.ts";
export * from "./ingress.ts";
export * from "./ingress_class.ts";
export * from "./job.ts";
export * from "./lease.ts";
export * from "./limit_range.ts";
export * from "./namespace.ts";
export * from "./network_policy.ts";
export * from "./node.ts";
export * from "./persistent_volume.ts";
export * from "./persistent_volume_claim.ts";
export * from "./pod.ts";
export * from "./pod_disruption_budget.ts";
export * from "./pod_spec.ts";
export * from "./pod_template.ts";
export * from "./priority_class.ts";
export * from "./rbac.ts";
export * from "./replica_set.ts";
export * from "./replication_controller.ts";
export * from "./resource_quota.ts";
export * from "./runtime_class.ts";
export * from "./scale.ts";
export * from "./secret.ts";
export * from "./service.ts";
export * from "./service_account.ts";
export * from "./stateful_set.ts";
export * from "./storage_class.ts";
export * from "./strategy.ts";
