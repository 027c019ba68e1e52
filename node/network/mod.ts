/**
 * The node's pod network as containerd sees it: the CNI conflist for the node's pod CIDR
 * ({@linkcode writeCniConfig}) and skiff's CNI plugin in containerd's bin dir
 * ({@linkcode installCniPlugin}), with the MTU of the node's way out ({@linkcode hostMtu}).
 * The agent calls them at start, once the node has its `spec.podCIDR`
 * ({@linkcode waitForPodCidr}, or {@linkcode readCniConfigPodCidr} from the last run when the
 * control plane is out of reach), and frees addresses of sandboxes the runtime lost
 * ({@linkcode releaseStaleCniAddresses}); the plugin itself is `cni/`.
 *
 * @module
 */
export * from "./cni_config.ts";
export * from "./cni_plugin_install.ts";
export * from "./host_mtu.ts";
export * from "./pod_cidr.ts";
export * from "./stale_addresses.ts";
