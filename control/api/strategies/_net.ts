/**
 * IP and CIDR parsing as Kubernetes validates them (`netutils.ParseIPSloppy` /
 * `ParseCIDRSloppy`: Go's pre-1.17 parser, which accepts leading zeros in IPv4 octets), the
 * address class checks of Go's `net.IP`, and the warnings upstream gives for non-standard forms.
 *
 * @module
 */

/** An IP address: 16 bytes, IPv4 addresses in their IPv4-mapped form. */
export type Ip = Uint8Array;

const BIG = 0xffffff;

function dtoi(s: string): [number, number] | null {
  let n = 0;
  let i = 0;
  for (; i < s.length && s[i]! >= "0" && s[i]! <= "9"; i++) {
    n = n * 10 + (s.charCodeAt(i) - 48);
    if (n >= BIG) return null;
  }
  return i === 0 ? null : [n, i];
}

function xtoi(s: string): [number, number] | null {
  let n = 0;
  let i = 0;
  for (; i < s.length; i++) {
    const d = parseInt(s[i]!, 16);
    if (Number.isNaN(d)) break;
    n = n * 16 + d;
    if (n >= BIG) return null;
  }
  return i === 0 ? null : [n, i];
}

function v4(a: number, b: number, c: number, d: number): Ip {
  return Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, a, b, c, d]);
}

function parseIPv4(text: string): Ip | null {
  const p: number[] = [];
  let s = text;
  for (let i = 0; i < 4; i++) {
    if (s.length === 0) return null;
    if (i > 0) {
      if (s[0] !== ".") return null;
      s = s.slice(1);
    }
    const r = dtoi(s);
    if (r === null || r[0] > 0xff) return null;
    p.push(r[0]);
    s = s.slice(r[1]);
  }
  if (s.length !== 0) return null;
  return v4(p[0]!, p[1]!, p[2]!, p[3]!);
}

function parseIPv6(text: string): Ip | null {
  const ip = new Uint8Array(16);
  let s = text;
  let ellipsis = -1;
  if (s.startsWith("::")) {
    ellipsis = 0;
    s = s.slice(2);
    if (s.length === 0) return ip;
  }
  let i = 0;
  while (i < 16) {
    const r = xtoi(s);
    if (r === null || r[0] > 0xffff) return null;
    const [n, c] = r;
    if (c < s.length && s[c] === ".") {
      if (ellipsis < 0 && i !== 12) return null;
      if (i + 4 > 16) return null;
      const ip4 = parseIPv4(s);
      if (ip4 === null) return null;
      ip.set(ip4.subarray(12), i);
      s = "";
      i += 4;
      break;
    }
    ip[i] = n >> 8;
    ip[i + 1] = n & 0xff;
    i += 2;
    s = s.slice(c);
    if (s.length === 0) break;
    if (s[0] !== ":" || s.length === 1) return null;
    s = s.slice(1);
    if (s[0] === ":") {
      if (ellipsis >= 0) return null;
      ellipsis = i;
      s = s.slice(1);
      if (s.length === 0) break;
    }
  }
  if (s.length !== 0) return null;
  if (i < 16) {
    if (ellipsis < 0) return null;
    const n = 16 - i;
    for (let j = i - 1; j >= ellipsis; j--) ip[j + n] = ip[j]!;
    for (let j = ellipsis + n - 1; j >= ellipsis; j--) ip[j] = 0;
  } else if (ellipsis >= 0) {
    return null;
  }
  return ip;
}

/** Parses an IP as `netutils.ParseIPSloppy` does; `null` when it is not one. */
export function parseIP(text: string): Ip | null {
  for (const ch of text) {
    if (ch === ".") return parseIPv4(text);
    if (ch === ":") return parseIPv6(text);
  }
  return null;
}

/** Whether `ip` is an IPv4 address (including the IPv4-mapped IPv6 form). */
export function isIPv4(ip: Ip): boolean {
  for (let i = 0; i < 10; i++) if (ip[i] !== 0) return false;
  return ip[10] === 0xff && ip[11] === 0xff;
}

/** Whether `text` parses as an IPv6 (not IPv4) address (`netutils.IsIPv6String`). */
export function isIPv6String(text: string): boolean {
  const ip = parseIP(text);
  return ip !== null && !isIPv4(ip);
}

/** Prints `ip` as Go's `net.IP.String()`: dotted IPv4, RFC 5952 IPv6. */
export function formatIP(ip: Ip): string {
  if (isIPv4(ip)) return `${ip[12]}.${ip[13]}.${ip[14]}.${ip[15]}`;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((ip[i]! << 8) | ip[i + 1]!);
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLen).join(":")}`;
}

/** Whether `ip` is 0.0.0.0 or ::. */
export function isUnspecified(ip: Ip): boolean {
  if (isIPv4(ip)) return ip[12] === 0 && ip[13] === 0 && ip[14] === 0 && ip[15] === 0;
  return ip.every((b) => b === 0);
}

/** Whether `ip` is in 127.0.0.0/8 or is ::1. */
export function isLoopback(ip: Ip): boolean {
  if (isIPv4(ip)) return ip[12] === 127;
  return ip.subarray(0, 15).every((b) => b === 0) && ip[15] === 1;
}

/** Whether `ip` is in 169.254.0.0/16 or fe80::/10. */
export function isLinkLocalUnicast(ip: Ip): boolean {
  if (isIPv4(ip)) return ip[12] === 169 && ip[13] === 254;
  return ip[0] === 0xfe && (ip[1]! & 0xc0) === 0x80;
}

/** Whether `ip` is in 224.0.0.0/24 or a link-local IPv6 multicast address. */
export function isLinkLocalMulticast(ip: Ip): boolean {
  if (isIPv4(ip)) return ip[12] === 224 && ip[13] === 0 && ip[14] === 0;
  return ip[0] === 0xff && (ip[1]! & 0x0f) === 0x02;
}

/** A parsed CIDR. */
export interface Cidr {
  /** The address as written. */
  readonly ip: Ip;
  /** The network address (host bits cleared). */
  readonly network: Ip;
  /** The prefix length. */
  readonly prefix: number;
  /** 32 for an IPv4 CIDR, 128 for an IPv6 one (including IPv4-mapped addresses). */
  readonly bits: 32 | 128;
}

/** Parses a CIDR as `netutils.ParseCIDRSloppy` does; `null` when it is not one. */
export function parseCIDR(text: string): Cidr | null {
  const slash = text.indexOf("/");
  if (slash < 0) return null;
  const addr = text.slice(0, slash);
  const mask = text.slice(slash + 1);
  let bits: 32 | 128 = 32;
  let ip = parseIPv4(addr);
  if (ip === null) {
    bits = 128;
    ip = parseIPv6(addr);
  }
  const r = dtoi(mask);
  if (ip === null || r === null || r[1] !== mask.length || r[0] > bits) return null;
  const prefix = r[0];
  const network = new Uint8Array(ip);
  const hostFrom = (bits === 32 ? 96 : 0) + prefix;
  for (let bit = hostFrom; bit < 128; bit++) {
    const byte = bit >> 3;
    network[byte] = network[byte]! & ~(0x80 >> (bit & 7));
  }
  return { ip, network, prefix, bits };
}

/** Prints a CIDR's network as Go's `net.IPNet.String()`. */
export function formatCIDRNetwork(cidr: Cidr): string {
  return `${formatIP(cidr.network)}/${cidr.prefix}`;
}

/** Whether `ips` hold exactly one address of each family (`netutils.IsDualStackIPs`). */
export function isDualStack(ips: readonly Ip[]): boolean {
  if (ips.length < 2) return false;
  const v4 = ips.some((ip) => isIPv4(ip));
  const v6 = ips.some((ip) => !isIPv4(ip));
  return v4 && v6;
}

function strictIPv4(text: string): boolean {
  const parts = text.split(".");
  return parts.length === 4 && parts.every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p));
}

function strictlyParses(text: string): boolean {
  // netip.ParseAddr: no leading zeros in IPv4 octets, at most 4 hex digits per IPv6 group.
  if (!text.includes(":")) return strictIPv4(text);
  const tail = text.slice(text.lastIndexOf(":") + 1);
  if (tail.includes(".") && !strictIPv4(tail)) return false;
  return text.split(":").every((g) => g.includes(".") || g.length <= 4);
}

function isIPv4MappedText(text: string, ip: Ip): boolean {
  return text.includes(":") && isIPv4(ip);
}

/**
 * Warnings for an IP that validated but is not in standard form (`GetWarningsForIP`): leading
 * zeros, IPv4-mapped IPv6, or IPv6 not in RFC 5952 form.
 */
export function ipWarnings(path: string, value: string): string[] {
  const ip = parseIP(value);
  if (ip === null) return [];
  if (!strictlyParses(value) || isIPv4MappedText(value, ip)) {
    return [
      `${path}: non-standard IP address ${
        JSON.stringify(value)
      } will be considered invalid in a future Kubernetes release: use ${
        JSON.stringify(formatIP(ip))
      }`,
    ];
  }
  if (!isIPv4(ip) && formatIP(ip) !== value) {
    return [
      `${path}: IPv6 address ${JSON.stringify(value)} should be in RFC 5952 canonical format (${
        JSON.stringify(formatIP(ip))
      })`,
    ];
  }
  return [];
}

/** Warnings for a CIDR that validated but is ambiguous or not in standard form. */
export function cidrWarnings(path: string, value: string): string[] {
  const cidr = parseCIDR(value);
  if (cidr === null) return [];
  const warnings: string[] = [];
  const network = formatCIDRNetwork(cidr);
  if (!cidr.ip.every((b, i) => b === cidr.network[i])) {
    warnings.push(
      `${path}: CIDR value ${JSON.stringify(value)} is ambiguous in this context (should be ${
        JSON.stringify(network)
      } or ${JSON.stringify(`${formatIP(cidr.ip)}/${cidr.bits}`)}?)`,
    );
  }
  const slash = value.indexOf("/");
  const addr = value.slice(0, slash);
  const mask = value.slice(slash + 1);
  const strict = strictlyParses(addr) && /^(0|[1-9][0-9]*)$/.test(mask);
  if (!strict || isIPv4MappedText(addr, cidr.ip)) {
    warnings.push(
      `${path}: non-standard CIDR value ${
        JSON.stringify(value)
      } will be considered invalid in a future Kubernetes release: use ${JSON.stringify(network)}`,
    );
  }
  if (warnings.length === 0 && cidr.bits === 128) {
    const canonical = `${formatIP(cidr.ip)}/${cidr.prefix}`;
    if (canonical !== value) {
      warnings.push(
        `${path}: IPv6 CIDR value ${
          JSON.stringify(value)
        } should be in RFC 5952 canonical format (${JSON.stringify(canonical)})`,
      );
    }
  }
  return warnings;
}
