/**
 * skiff's CNI plugin: when `CNI_COMMAND` is set, the skiff binary acts as a bridge plugin with
 * its own on-disk IPAM, reading the network config on stdin and answering ADD, DEL, CHECK and
 * VERSION on stdout ({@linkcode cniMain}). A bridge per node, a veth pair per pod, addresses
 * from the node's pod CIDR ({@linkcode IpStore}), masquerade and hostPort DNAT in nftables
 * ({@linkcode BridgePlugin}). It runs as a short-lived process per call, so it imports only
 * `control/util` (in fact nothing of skiff's).
 *
 * @example Parse a network config
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseNetConf } from "./mod.ts";
 *
 * const conf = parseNetConf(JSON.stringify({
 *   cniVersion: "1.0.0",
 *   name: "skiff",
 *   type: "skiff",
 *   ipam: { subnet: "10.42.3.0/24" },
 * }));
 * assert.equal(conf.bridge, "skiff0");
 * assert.equal(conf.ipam.gateway, (10 << 24 | 42 << 16 | 3 << 8 | 1) >>> 0);
 * ```
 *
 * @module
 */
export * from "./bridge_plugin.ts";
export * from "./cni_main.ts";
export * from "./command_runner.ts";
export * from "./errors.ts";
export * from "./ip_store.ts";
export * from "./net_conf.ts";
export * from "./sysctl.ts";
