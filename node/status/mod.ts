/**
 * Node registration, node status and the Lease heartbeat, as the kubelet does them: what the
 * machine has ({@linkcode readMachineInfo}, {@linkcode nodeCapacity},
 * {@linkcode nodeAllocatable}), where it is ({@linkcode nodeAddresses}), how it is
 * ({@linkcode setNodeConditions} with {@linkcode PressureTracker}), the
 * {@linkcode NodeStatusManager} that registers the Node and writes its status, and the
 * {@linkcode NodeLease} renewed every 10 s.
 *
 * @module
 */
export * from "./eviction_thresholds.ts";
export * from "./machine_info.ts";
export * from "./node_addresses.ts";
export * from "./node_conditions.ts";
export * from "./node_lease.ts";
export * from "./node_resources.ts";
export * from "./node_status_manager.ts";
