/**
 * {@linkcode podMtu}: the MTU pods get on a node, from the MTU of the node's link and how pod
 * traffic reaches other nodes ({@linkcode PodNetworkBackend}, the agent's `--flannel-backend`).
 * A VXLAN overlay wraps every packet in 50 bytes of outer IPv4, UDP and VXLAN headers plus
 * the inner Ethernet header, so pods must send 50 bytes less than the link carries; direct
 * routes (`host-gw`) and no routing (`none`) add nothing.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { podMtu } from "./pod_mtu.ts";
 *
 * assert.equal(podMtu("vxlan", 1500), 1450);
 * assert.equal(podMtu("host-gw", 1500), 1500);
 * ```
 *
 * @module
 */

/** How pod traffic reaches other nodes' pods: a VXLAN overlay, direct routes, or nothing. */
export type PodNetworkBackend = "vxlan" | "host-gw" | "none";

/** The bytes VXLAN adds to each packet over IPv4: outer IP 20, UDP 8, VXLAN 8, inner Ethernet 14. */
export const VXLAN_OVERHEAD = 50;

/** The smallest MTU an IPv4 interface may have (RFC 791). */
const MIN_IPV4_MTU = 68;

/** The pods' MTU on a link of `linkMtu` bytes with `backend`. */
export function podMtu(backend: PodNetworkBackend, linkMtu: number): number {
  if (!Number.isInteger(linkMtu) || linkMtu < MIN_IPV4_MTU) {
    throw new RangeError(`Invalid link MTU ${linkMtu}: expected an integer of at least 68`);
  }
  const mtu = backend === "vxlan" ? linkMtu - VXLAN_OVERHEAD : linkMtu;
  if (mtu < MIN_IPV4_MTU) {
    throw new RangeError(
      `Cannot use ${backend} on a link of MTU ${linkMtu}: pods would get ${mtu}`,
    );
  }
  return mtu;
}
