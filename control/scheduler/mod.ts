/**
 * The scheduler: the plugin framework and its runtime, the scheduler cache and per-cycle
 * snapshots, node infos with parsed pod requests, and the in-tree plugins (kube-scheduler's
 * `pkg/scheduler/framework`). The scheduling queue, loop and binding build on these.
 *
 * @example Place a pod with the default profile
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultProfile, newFramework, newInTreeRegistry, SchedulerCache } from "./mod.ts";
 *
 * const cache = new SchedulerCache();
 * cache.addNode({ metadata: { name: "edge-1" }, status: { allocatable: { cpu: "2", memory: "2Gi", pods: "110" } } });
 * const framework = newFramework(defaultProfile(), { registry: newInTreeRegistry() });
 * const pod = { metadata: { name: "web", namespace: "default" }, spec: { containers: [{ name: "c" }] } };
 * const result = framework.schedulePod(pod, { snapshot: cache.snapshot() });
 * assert.ok(!(result instanceof Error) && result.suggestedHost === "edge-1");
 * ```
 *
 * @module
 */
export * from "./cache.ts";
export * from "./cycle_state.ts";
export * from "./fit_error.ts";
export * from "./framework.ts";
export * from "./host_ports.ts";
export * from "./node_info.ts";
export * from "./normalize_score.ts";
export * from "./profile.ts";
export * from "./registry.ts";
export * from "./resources.ts";
export * from "./run_scheduler.ts";
export * from "./runtime.ts";
export * from "./scheduler.ts";
export * from "./scheduling_queue.ts";
export * from "./snapshot.ts";
export * from "./status.ts";
export * from "./plugins/mod.ts";
