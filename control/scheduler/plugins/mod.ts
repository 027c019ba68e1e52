/**
 * The in-tree scheduler plugins, one namespace each as upstream's packages (`nodeName.NAME`,
 * `nodeResourcesFit.fits`…): each exports its name, its reasons, its pure predicate or scorer,
 * and its factory.
 *
 * @module
 */
export * as balancedAllocation from "./balanced_allocation.ts";
export * as defaultBinder from "./default_binder.ts";
export * as defaultPreemption from "./default_preemption.ts";
export * as imageLocality from "./image_locality.ts";
export * as interPodAffinity from "./inter_pod_affinity.ts";
export * as nodeAffinity from "./node_affinity.ts";
export * as nodeName from "./node_name.ts";
export * as nodePorts from "./node_ports.ts";
export * as nodeResourcesFit from "./node_resources_fit.ts";
export * as nodeUnschedulable from "./node_unschedulable.ts";
export * as podTopologySpread from "./pod_topology_spread.ts";
export * as prioritySort from "./priority_sort.ts";
export * as schedulingGates from "./scheduling_gates.ts";
export * as taintToleration from "./taint_toleration.ts";
