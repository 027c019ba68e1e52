/**
 * API types: skiff's schema language and the schemas of every served kind, with their inferred TypeScript types. Shared by the API server, the client, controllers and the node agent.
 *
 * @module
 */
export * from "./apiextensions_v1.ts";
export * from "./apps_v1.ts";
export * from "./core_v1_replication_controller.ts";
export * from "./authentication_v1.ts";
export * from "./authorization_v1.ts";
export * from "./autoscaling_v1.ts";
export * from "./batch_v1.ts";
export * from "./coordination_v1.ts";
export * from "./core_v1_common.ts";
export * from "./core_v1_config.ts";
export * from "./core_v1_event.ts";
export * from "./core_v1_namespace.ts";
export * from "./core_v1_node.ts";
export * from "./core_v1_pod.ts";
export * from "./core_v1_policy.ts";
export * from "./core_v1_service.ts";
export * from "./core_v1_storage.ts";
export * as discoveryV1 from "./discovery_v1.ts";
export * as eventsV1 from "./events_v1.ts";
export * from "./meta_v1.ts";
export * from "./mirror_pod.ts";
export * from "./networking_v1.ts";
export * from "./node_v1.ts";
export * from "./pod_qos.ts";
export * from "./policy_v1.ts";
export * from "./quantity.ts";
export * from "./rbac_v1.ts";
export * from "./scheduling_v1.ts";
export * from "./schema.ts";
export * from "./storage_v1.ts";
