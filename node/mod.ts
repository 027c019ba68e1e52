/**
 * The node side of skiff (not built yet): the agent that registers the node, drives containerd
 * over CRI, runs pod workers and reports their status, plus the nftables service proxy
 * (`proxy/`) and cluster DNS (`dns/`). It may import only `control/api/types`, `control/client`
 * and `control/util`.
 *
 * @module
 */
export * from "./containerd/mod.ts";
export * from "./cri/mod.ts";
export * from "./volumes/mod.ts";
export * from "./images/mod.ts";
export * from "./status/mod.ts";
export * from "./probes/mod.ts";
export * from "./pods/mod.ts";
export * from "./logs/mod.ts";
export * from "./local_state/mod.ts";
export * from "./agent/mod.ts";
export * from "./server/mod.ts";
export * from "./network/mod.ts";
export * from "./netpol/mod.ts";
export * from "./static_pods/mod.ts";
export * from "./kubelet/mod.ts";
export * from "./proxy/mod.ts";
export * from "./dns/mod.ts";
