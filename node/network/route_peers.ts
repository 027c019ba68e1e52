/**
 * What a node tells the others about reaching its pods: the Node annotations skiff's agents
 * publish on their own Node ({@linkcode ROUTE_ANNOTATIONS}: backend, the address to send
 * pod traffic to, and for VXLAN the device's MAC), and {@linkcode routePeerOf}, which reads
 * them — with the pod CIDR and the InternalIP — back from a peer's Node.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ROUTE_ANNOTATIONS, routePeerOf } from "./route_peers.ts";
 *
 * const peer = routePeerOf({
 *   metadata: {
 *     name: "edge-2",
 *     annotations: { [ROUTE_ANNOTATIONS.vtepMac]: "0a:58:0a:2a:02:00" },
 *   },
 *   spec: { podCIDR: "10.42.2.0/24" },
 *   status: { addresses: [{ type: "InternalIP", address: "192.168.1.12" }] },
 * });
 * assert.deepEqual(peer, {
 *   nodeName: "edge-2",
 *   podCidr: "10.42.2.0/24",
 *   vtepAddress: "10.42.2.0",
 *   publicIp: "192.168.1.12",
 *   vtepMac: "0a:58:0a:2a:02:00",
 * });
 * ```
 *
 * @module
 */
import type { Node } from "../../control/api/types/core_v1_node.ts";
import { cidrNetworkAddress, isIpv4 } from "./ipv4.ts";
import { podCidrOf } from "./pod_cidr.ts";

/** The annotations of a node's own Node. */
export const ROUTE_ANNOTATIONS = {
  /** `vxlan` or `host-gw`: how the node routes pod traffic. */
  backend: "network.skiff.io/backend-type",
  /** The node address other nodes send its pods' traffic to (route gateway, tunnel end). */
  publicIp: "network.skiff.io/public-ip",
  /** The MAC address of the node's VXLAN device (vxlan only). */
  vtepMac: "network.skiff.io/vtep-mac",
} as const;

/** How to reach one node's pods. */
export interface RoutePeer {
  readonly nodeName: string;
  /** The node's IPv4 pod CIDR. */
  readonly podCidr: string;
  /** The network address of the pod CIDR: the address of the node's VXLAN device. */
  readonly vtepAddress: string;
  /** The published address, else the node's first IPv4 InternalIP. */
  readonly publicIp: string;
  /** The published backend, when there is one. */
  readonly backend?: string;
  /** The published VXLAN device MAC, when there is one. */
  readonly vtepMac?: string;
}

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

/** The node's first IPv4 InternalIP. */
export function internalIpv4Of(node: Node): string | undefined {
  return node.status?.addresses?.find((a) => a.type === "InternalIP" && isIpv4(a.address))
    ?.address;
}

/**
 * How to reach `node`'s pods, or `undefined` while it has no IPv4 pod CIDR or no IPv4
 * address (an invalid published address or MAC counts as none).
 */
export function routePeerOf(node: Node): RoutePeer | undefined {
  const nodeName = node.metadata?.name ?? "";
  const podCidr = podCidrOf(node);
  const vtepAddress = podCidr === undefined ? undefined : cidrNetworkAddress(podCidr);
  if (!podCidr || vtepAddress === undefined) return undefined;
  const annotations = node.metadata?.annotations ?? {};
  const published = annotations[ROUTE_ANNOTATIONS.publicIp];
  const publicIp = published !== undefined && isIpv4(published) ? published : internalIpv4Of(node);
  if (publicIp === undefined) return undefined;
  const backend = annotations[ROUTE_ANNOTATIONS.backend];
  const mac = annotations[ROUTE_ANNOTATIONS.vtepMac]?.toLowerCase();
  return {
    nodeName,
    podCidr,
    vtepAddress,
    publicIp,
    ...(backend ? { backend } : {}),
    ...(mac !== undefined && MAC.test(mac) ? { vtepMac: mac } : {}),
  };
}
