/**
 * skiff's Service proxy (kube-proxy's job) in nftables: {@linkcode ServiceProxy} programs
 * Services and their EndpointSlices into the node's `ip skiff-proxy` table with incremental
 * `nft -f` transactions; the pure parts — endpoint selection, per-Service ports, the ruleset
 * generator and the kernel mirror — are exported for tests and benchmarks.
 *
 * @module
 */
export * from "./conntrack_cleanup.ts";
export * from "./endpoint_selection.ts";
export * from "./nft_ruleset.ts";
export * from "./nft_state.ts";
export * from "./service_ports.ts";
export * from "./service_proxy.ts";
