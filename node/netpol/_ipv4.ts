/**
 * IPv4 addresses and CIDR blocks as unsigned 32-bit numbers, for the ipBlock peers of
 * NetworkPolicies: parsed strictly, normalized to their network address (nft refuses a prefix
 * with host bits in some places and Kubernetes allows them), and compared by containment.
 *
 * @module
 */

/** An IPv4 block: its first address and prefix length. */
export interface Ipv4Block {
  /** The network address, as an unsigned 32-bit number (host bits cleared). */
  readonly base: number;
  readonly prefix: number;
}

/** `a.b.c.d` as an unsigned 32-bit number; `undefined` unless it is exactly that. */
export function parseIpv4(text: string): number | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value;
}

/** Whether `text` is an IPv4 address. */
export function isIpv4(text: string): boolean {
  return parseIpv4(text) !== undefined;
}

function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** `a.b.c.d/n` with host bits cleared; `undefined` unless it is an IPv4 CIDR. */
export function parseIpv4Cidr(text: string): Ipv4Block | undefined {
  const slash = text.indexOf("/");
  if (slash < 0) return undefined;
  const address = parseIpv4(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  if (address === undefined || !/^(0|[1-9][0-9]?)$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  if (prefix > 32) return undefined;
  return { base: (address & maskOf(prefix)) >>> 0, prefix };
}

/** The dotted form of an unsigned 32-bit address. */
export function formatIpv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join(".");
}

/** The block as `a.b.c.d/n`. */
export function formatIpv4Cidr(block: Ipv4Block): string {
  return `${formatIpv4(block.base)}/${block.prefix}`;
}

/** Whether `inner` lies entirely inside `outer` (a block contains itself). */
export function ipv4BlockContains(outer: Ipv4Block, inner: Ipv4Block): boolean {
  return inner.prefix >= outer.prefix &&
    ((inner.base & maskOf(outer.prefix)) >>> 0) === outer.base;
}

/** Whether `address` lies inside `block`. */
export function ipv4InBlock(block: Ipv4Block, address: number): boolean {
  return ((address & maskOf(block.prefix)) >>> 0) === block.base;
}
