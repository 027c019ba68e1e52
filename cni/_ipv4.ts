/**
 * IPv4 addresses as unsigned 32-bit numbers, and CIDR blocks: parsing, formatting, the usable
 * host range of a subnet.
 *
 * @module
 */

/** An IPv4 CIDR block: the network address (host bits zero) and the prefix length. */
export interface Ipv4Cidr {
  /** The network address as an unsigned 32-bit number. */
  readonly network: number;
  readonly prefix: number;
}

const OCTET = /^(0|[1-9][0-9]{0,2})$/;

/** The address `text` (dotted quad) as a number, or `null` when it is not one. */
export function parseIpv4(text: string): number | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  let value = 0;
  for (const part of parts) {
    if (!OCTET.test(part)) return null;
    const octet = Number(part);
    if (octet > 255) return null;
    value = value * 256 + octet;
  }
  return value;
}

/** The dotted quad of `value`. */
export function formatIpv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join(".");
}

/**
 * The CIDR block `text` (`10.42.0.0/24`), or `null` when it is not one or has host bits set
 * (unless `options.allowHostBits`, which masks them off).
 */
export function parseIpv4Cidr(
  text: string,
  options: { readonly allowHostBits?: boolean } = {},
): Ipv4Cidr | null {
  const slash = text.indexOf("/");
  if (slash < 0) return null;
  const address = parseIpv4(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  if (address === null || !/^(0|[1-9][0-9]?)$/.test(prefixText)) return null;
  const prefix = Number(prefixText);
  if (prefix > 32) return null;
  const network = maskOf(address, prefix);
  if (network !== address && !options.allowHostBits) return null;
  return { network, prefix };
}

/** `address` with the host bits of a `/prefix` cleared. */
export function maskOf(address: number, prefix: number): number {
  if (prefix === 0) return 0;
  return (address & (~0 << (32 - prefix))) >>> 0;
}

/** The number of addresses in the block. */
export function cidrSize(cidr: Ipv4Cidr): number {
  return 2 ** (32 - cidr.prefix);
}

/** Whether `address` lies in the block. */
export function cidrContains(cidr: Ipv4Cidr, address: number): boolean {
  return address >= cidr.network && address < cidr.network + cidrSize(cidr);
}

/** `10.42.0.0/24`. */
export function formatCidr(cidr: Ipv4Cidr): string {
  return `${formatIpv4(cidr.network)}/${cidr.prefix}`;
}
