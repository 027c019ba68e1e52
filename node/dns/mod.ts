/**
 * Cluster DNS (`node/dns`): the DNS server every node runs for its pods on the cluster DNS
 * address ({@linkcode ClusterDns}), answering `<svc>.<ns>.svc.<domain>` and the other names of
 * the Kubernetes DNS specification from the shared informers and forwarding the rest to the
 * host's resolvers with a cache; {@linkcode ensureDnsAddress} puts the address on the node.
 *
 * @module
 */
export * from "./cluster_dns.ts";
export * from "./cluster_zone.ts";
export * from "./dns_address.ts";
export * from "./dns_listener.ts";
export * from "./dns_message.ts";
export * from "./forwarder.ts";
export * from "./query_handler.ts";
export * from "./record_index.ts";
export * from "./resolv_conf.ts";
export * from "./response_cache.ts";
export * from "./upstream_transport.ts";
