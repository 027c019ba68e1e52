/**
 * The node's pod network as containerd sees it: the CNI conflist for the node's pod CIDR
 * ({@linkcode writeCniConfig}) and skiff's CNI plugin in containerd's bin dir
 * ({@linkcode installCniPlugin}), with the MTU of the node's way out ({@linkcode hostMtu}).
 * The agent calls them at start, once the node has its `spec.podCIDR`
 * ({@linkcode waitForPodCidr}, or {@linkcode readCniConfigPodCidr} from the last run when the
 * control plane is out of reach), and frees addresses of sandboxes the runtime lost
 * ({@linkcode releaseStaleCniAddresses}); the plugin itself is `cni/`.
 *
 * Pod traffic to other nodes: {@linkcode NodeRoutes} routes every other node's pod CIDR,
 * directly (`host-gw`) or through a VXLAN overlay (`vxlan`), planned by
 * {@linkcode planRouteCommands} from what {@linkcode readRouteState} shows and the peers'
 * Nodes ({@linkcode routePeerOf}); pods get the MTU {@linkcode podMtu} leaves them.
 *
 * @module
 */
export * from "./cni_config.ts";
export * from "./cni_plugin_install.ts";
export * from "./host_mtu.ts";
export * from "./ipv4.ts";
export * from "./node_link.ts";
export * from "./node_routes.ts";
export * from "./pod_cidr.ts";
export * from "./pod_mtu.ts";
export * from "./route_peers.ts";
export * from "./route_plan.ts";
export * from "./route_state.ts";
export * from "./stale_addresses.ts";
