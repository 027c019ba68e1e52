/**
 * IPv4 addresses and CIDR blocks as the proxy reads them from Services, EndpointSlices and its
 * options: strict dotted-quad parsing (no leading zeros, as Go's `netip` parses), and the
 * canonical text nft accepts.
 *
 * @module
 */

/** An IPv4 block: its network address as a 32-bit number and its prefix length. */
export interface Ipv4Cidr {
  readonly network: number;
  readonly prefix: number;
}

const OCTET = /^(0|[1-9][0-9]{0,2})$/;

/** The address as a 32-bit number, or `undefined` if `text` is not a dotted-quad IPv4 address. */
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

/** The dotted-quad text of a 32-bit address. */
export function formatIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join(".");
}

/**
 * The block `text` names (`10.42.0.0/16`; host bits are cleared, as nft does), or `undefined`
 * if it is not an IPv4 CIDR.
 */
export function parseIpv4Cidr(text: string): Ipv4Cidr | undefined {
  const slash = text.indexOf("/");
  if (slash < 0) return undefined;
  const address = parseIpv4(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  if (address === undefined || !/^(0|[1-9][0-9]?)$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  if (prefix > 32) return undefined;
  const size = 2 ** (32 - prefix);
  return { network: Math.floor(address / size) * size, prefix };
}

/** `10.42.0.0/16`. */
export function formatIpv4Cidr(cidr: Ipv4Cidr): string {
  return `${formatIpv4(cidr.network)}/${cidr.prefix}`;
}

/** Whether `address` (a 32-bit number) lies in `cidr`. */
export function cidrContains(cidr: Ipv4Cidr, address: number): boolean {
  const size = 2 ** (32 - cidr.prefix);
  return Math.floor(address / size) * size === cidr.network;
}
