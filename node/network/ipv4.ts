/**
 * IPv4 addresses and CIDR blocks as the node's network components read them from the API
 * (Services, EndpointSlices, NetworkPolicy ipBlocks, Node pod CIDRs): strict dotted-quad
 * parsing (no leading zeros, as Go's `netip` parses), blocks normalized to their network
 * address (host bits cleared, as nft needs and Kubernetes allows), the canonical text nft
 * accepts, and containment.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatIpv4Cidr, parseIpv4Cidr } from "./ipv4.ts";
 *
 * assert.equal(formatIpv4Cidr(parseIpv4Cidr("10.42.3.7/16")!), "10.42.0.0/16");
 * ```
 *
 * @module
 */

/** An IPv4 block: its network address as an unsigned 32-bit number, and its prefix length. */
export interface Ipv4Cidr {
  readonly network: number;
  readonly prefix: number;
}

const OCTET = /^(0|[1-9][0-9]{0,2})$/;

/** The address as an unsigned 32-bit number, or `undefined` unless `text` is a dotted quad. */
export function parseIpv4(text: string): number | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!OCTET.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value;
}

/** Whether `text` is a dotted-quad IPv4 address. */
export function isIpv4(text: string): boolean {
  return parseIpv4(text) !== undefined;
}

/** The dotted-quad text of an unsigned 32-bit address. */
export function formatIpv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join(".");
}

function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** The block `text` names, host bits cleared; `undefined` unless it is an IPv4 CIDR. */
export function parseIpv4Cidr(text: string): Ipv4Cidr | undefined {
  const slash = text.indexOf("/");
  if (slash < 0) return undefined;
  const address = parseIpv4(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  if (address === undefined || !/^(0|[1-9][0-9]?)$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  if (prefix > 32) return undefined;
  return { network: (address & maskOf(prefix)) >>> 0, prefix };
}

/** `10.42.0.0/16`. */
export function formatIpv4Cidr(cidr: Ipv4Cidr): string {
  return `${formatIpv4(cidr.network)}/${cidr.prefix}`;
}

/** Whether `address` (an unsigned 32-bit number) lies in `cidr`. */
export function cidrContains(cidr: Ipv4Cidr, address: number): boolean {
  return ((address & maskOf(cidr.prefix)) >>> 0) === cidr.network;
}

/** Whether `inner` lies entirely inside `outer` (a block contains itself). */
export function cidrContainsCidr(outer: Ipv4Cidr, inner: Ipv4Cidr): boolean {
  return inner.prefix >= outer.prefix && cidrContains(outer, inner.network);
}

/** The network address of the IPv4 block `cidr` (`10.42.2.0/24` → `10.42.2.0`), if valid. */
export function cidrNetworkAddress(cidr: string): string | undefined {
  const block = parseIpv4Cidr(cidr);
  return block === undefined ? undefined : formatIpv4(block.network);
}
