/**
 * The few IPv4 facts cross-node routing needs: whether a text is a dotted quad, and the
 * network address of a CIDR block.
 *
 * @module
 */

const OCTET = /^(0|[1-9][0-9]{0,2})$/;

/** The address as an unsigned 32-bit number, or `undefined` when it is not a dotted quad. */
function parse(text: string): number | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!OCTET.test(part) || Number(part) > 255) return undefined;
    value = value * 256 + Number(part);
  }
  return value;
}

/** Whether `text` is an IPv4 address in dotted-quad form. */
export function isIpv4(text: string): boolean {
  return parse(text) !== undefined;
}

/** The network address of the IPv4 block `cidr` (`10.42.2.0/24` → `10.42.2.0`), if valid. */
export function cidrNetworkAddress(cidr: string): string | undefined {
  const slash = cidr.indexOf("/");
  const address = slash < 0 ? undefined : parse(cidr.slice(0, slash));
  const prefixText = cidr.slice(slash + 1);
  if (address === undefined || !/^(0|[1-9][0-9]?)$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  if (prefix > 32) return undefined;
  const network = prefix === 0 ? 0 : (address & (~0 << (32 - prefix))) >>> 0;
  return [network >>> 24, (network >>> 16) & 255, (network >>> 8) & 255, network & 255].join(".");
}
