/**
 * A node's `status.addresses` without a cloud provider, as the kubelet picks them: the node
 * IPs given (`--node-ip`, one per family for dual-stack) or else the host name when it is an
 * IP, or else the address of the interface holding the default route (then the first
 * global address of any interface, IPv4 first) as `InternalIP`, followed by the `Hostname`.
 *
 * @example The default route's interface wins
 * ```ts
 * import assert from "node:assert/strict";
 * import { nodeAddresses } from "./node_addresses.ts";
 *
 * const addresses = nodeAddresses({
 *   nodeName: "edge-1",
 *   hostname: "edge-1",
 *   interfaces: [
 *     { name: "lo", family: "IPv4", address: "127.0.0.1" },
 *     { name: "wlan0", family: "IPv4", address: "192.168.1.20" },
 *     { name: "eth0", family: "IPv4", address: "10.0.0.5" },
 *   ],
 *   defaultRouteInterface: "eth0",
 * });
 * assert.deepEqual(addresses, [
 *   { type: "InternalIP", address: "10.0.0.5" },
 *   { type: "Hostname", address: "edge-1" },
 * ]);
 * ```
 *
 * @module
 */
import { isIP } from "node:net";
import type { NodeAddress } from "../../control/api/types/core_v1_node.ts";
import type { HostInterfaceAddress } from "./machine_info.ts";

/** Options of {@linkcode nodeAddresses}. */
export interface NodeAddressOptions {
  /** The node's name (for errors). */
  readonly nodeName: string;
  readonly hostname: string;
  /** `--node-ip`: at most one address per family. */
  readonly nodeIPs?: readonly string[];
  readonly interfaces: readonly HostInterfaceAddress[];
  /** The interface of the default route, when there is one. */
  readonly defaultRouteInterface?: string | undefined;
}

function isGlobal(a: HostInterfaceAddress): boolean {
  if (a.family === "IPv4") {
    return !a.address.startsWith("127.") && !a.address.startsWith("169.254.");
  }
  const lower = a.address.toLowerCase();
  return lower !== "::1" && !lower.startsWith("fe80:") && lower !== "::";
}

function chooseHostAddress(options: NodeAddressOptions): string | undefined {
  const usable = options.interfaces.filter(isGlobal);
  for (const family of ["IPv4", "IPv6"] as const) {
    const onDefault = usable.find((a) =>
      a.name === options.defaultRouteInterface && a.family === family
    );
    if (onDefault) return onDefault.address;
  }
  return (usable.find((a) => a.family === "IPv4") ?? usable[0])?.address;
}

/** The node's addresses; throws when no IP can be found. */
export function nodeAddresses(options: NodeAddressOptions): NodeAddress[] {
  const given = options.nodeIPs ?? [];
  for (const ip of given) {
    if (isIP(ip) === 0) {
      throw new TypeError(
        `Cannot use node IP "${ip}" of node "${options.nodeName}": not an IP address`,
      );
    }
  }
  if (given.length > 2 || (given.length === 2 && isIP(given[0]!) === isIP(given[1]!))) {
    throw new TypeError(
      `Cannot use node IPs "${
        given.join(",")
      }" of node "${options.nodeName}": expected one IP or one of each family`,
    );
  }
  const ips = given.length > 0
    ? [...given]
    : isIP(options.hostname) !== 0
    ? [options.hostname]
    : [chooseHostAddress(options)].filter((ip): ip is string => ip !== undefined);
  if (ips.length === 0) {
    throw new Error(`Cannot find an IP address of node "${options.nodeName}": no usable interface`);
  }
  return [
    ...ips.map((address) => ({ type: "InternalIP", address })),
    { type: "Hostname", address: options.hostname },
  ];
}
