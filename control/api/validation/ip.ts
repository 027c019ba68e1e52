/**
 * IP addresses and CIDRs as Kubernetes validates them. Fields that predate strict parsing use
 * `netutils.ParseIPSloppy` / `ParseCIDRSloppy` (Go 1.16's parsers, which accept leading zeros
 * in IPv4 octets); this module implements those, Go's `net.IP` predicates and printing
 * (`String()`, RFC 5952 for IPv6), `IPNet.Contains`, the legacy-field validators and the
 * warnings upstream returns for values in a non-standard form (`GetWarningsForIP`,
 * `GetWarningsForCIDR`).
 *
 * @example Parse and print an address
 * ```ts
 * import assert from "node:assert/strict";
 * import { ipString, parseIPSloppy } from "./ip.ts";
 *
 * assert.equal(ipString(parseIPSloppy("2001:DB8:0:0:0:0:0:1")!), "2001:db8::1");
 * assert.equal(parseIPSloppy("10.0.0.256"), null);
 * ```
 *
 * @module
 */
import { type FieldError, type FieldPath, invalid } from "./field_errors.ts";

/** An IP address as 16 bytes (IPv4 addresses in their IPv4-mapped form), like Go's `net.IP`. */
export type Ip = Uint8Array;

const V4_IN_V6_PREFIX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];
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
  return new Uint8Array([...V4_IN_V6_PREFIX, a, b, c, d]);
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
    s = s.slice(r[1]);
    p.push(r[0]);
  }
  return s.length === 0 ? v4(p[0]!, p[1]!, p[2]!, p[3]!) : null;
}

function parseIPv6(text: string): Ip | null {
  const ip = new Uint8Array(16);
  let s = text;
  let ellipsis = -1;
  if (s.length >= 2 && s[0] === ":" && s[1] === ":") {
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

/** Parses an IP as `netutils.ParseIPSloppy`; `null` when it is not one. */
export function parseIPSloppy(text: string): Ip | null {
  for (const ch of text) {
    if (ch === ".") return parseIPv4(text);
    if (ch === ":") return parseIPv6(text);
  }
  return null;
}

/** The 4 bytes of an IPv4 (or IPv4-mapped) address, as Go's `To4`; `null` for IPv6. */
export function to4(ip: Ip): Uint8Array | null {
  if (ip.length === 4) return ip;
  return V4_IN_V6_PREFIX.every((b, i) => ip[i] === b) ? ip.subarray(12) : null;
}

/** Go's `net.IP.String()`: dotted IPv4 (also for IPv4-mapped), else RFC 5952 IPv6. */
export function ipString(ip: Ip): string {
  const p4 = to4(ip);
  if (p4 !== null) return Array.from(p4).join(".");
  let e0 = -1;
  let e1 = -1;
  for (let i = 0; i < 16; i += 2) {
    let j = i;
    while (j < 16 && ip[j] === 0 && ip[j + 1] === 0) j += 2;
    if (j > i && j - i > e1 - e0) {
      e0 = i;
      e1 = j;
      i = j;
    }
  }
  if (e1 - e0 <= 2) e0 = e1 = -1;
  let s = "";
  for (let i = 0; i < 16; i += 2) {
    if (i === e0) {
      s += "::";
      i = e1;
      if (i >= 16) break;
    } else if (i > 0) {
      s += ":";
    }
    s += ((ip[i]! << 8) | ip[i + 1]!).toString(16);
  }
  return s;
}

/**
 * Whether `text` is an address Go's strict `netip.ParseAddr` accepts, given that
 * {@linkcode parseIPSloppy} accepted it: no leading zeros in IPv4 octets, at most 4 hex digits
 * per IPv6 group.
 */
function isStrictIP(text: string): boolean {
  const strictV4 = (s: string) => s.split(".").every((o) => /^(0|[1-9][0-9]*)$/.test(o));
  if (!text.includes(":")) return strictV4(text);
  const last = text.lastIndexOf(":");
  const tail = text.slice(last + 1);
  const head = tail.includes(".") ? text.slice(0, last) : text;
  if (tail.includes(".") && !strictV4(tail)) return false;
  return head.split(":").every((g) => g.length <= 4);
}

/** Whether `text` is written as an IPv4-mapped IPv6 address (`::ffff:1.2.3.4`). */
function is4In6(text: string, ip: Ip): boolean {
  return text.includes(":") && to4(ip) !== null;
}

/** Whether `ip` is an IPv4 address, also in its IPv4-mapped IPv6 form (Go's `To4() != nil`). */
export function isIPv4(ip: Ip): boolean {
  return to4(ip) !== null;
}

/** Whether `text` parses as an IPv6 (not IPv4) address (`netutils.IsIPv6String`). */
export function isIPv6String(text: string): boolean {
  const ip = parseIPSloppy(text);
  return ip !== null && !isIPv4(ip);
}

/** Go's `IsUnspecified`. */
export function isUnspecified(ip: Ip): boolean {
  const p4 = to4(ip);
  return p4 !== null ? p4.every((b) => b === 0) : ip.every((b) => b === 0);
}

/** Go's `IsLoopback`. */
export function isLoopback(ip: Ip): boolean {
  const p4 = to4(ip);
  return p4 !== null ? p4[0] === 127 : ip.every((b, i) => b === (i === 15 ? 1 : 0));
}

/** Go's `IsLinkLocalUnicast`. */
export function isLinkLocalUnicast(ip: Ip): boolean {
  const p4 = to4(ip);
  return p4 !== null ? p4[0] === 169 && p4[1] === 254 : ip[0] === 0xfe && (ip[1]! & 0xc0) === 0x80;
}

/** Go's `IsLinkLocalMulticast`. */
export function isLinkLocalMulticast(ip: Ip): boolean {
  const p4 = to4(ip);
  return p4 !== null
    ? p4[0] === 224 && p4[1] === 0 && p4[2] === 0
    : ip[0] === 0xff && (ip[1]! & 0x0f) === 0x02;
}

/** A parsed CIDR: the address as written and the network, like Go's `ParseCIDR` results. */
export interface Cidr {
  /** The address part, as parsed (16 bytes). */
  readonly ip: Ip;
  /** The network number (4 bytes for IPv4 CIDRs, else 16). */
  readonly network: Uint8Array;
  /** The mask (4 or 16 bytes). */
  readonly mask: Uint8Array;
  /** The prefix length (the "ones" of Go's `Mask.Size()`). */
  readonly ones: number;
  /** The address length in bits: 32 for an IPv4 CIDR, 128 for IPv6 (also IPv4-mapped). */
  readonly bits: 32 | 128;
}

function cidrMask(ones: number, bits: number): Uint8Array {
  const m = new Uint8Array(bits / 8);
  for (let i = 0; i < m.length; i++) {
    const n = Math.max(0, Math.min(8, ones - i * 8));
    m[i] = (0xff << (8 - n)) & 0xff;
  }
  return m;
}

/** Parses a CIDR as `netutils.ParseCIDRSloppy`; `null` when it is not one. */
export function parseCIDRSloppy(text: string): Cidr | null {
  const slash = text.indexOf("/");
  if (slash < 0) return null;
  const addr = text.slice(0, slash);
  const maskText = text.slice(slash + 1);
  let iplen = 4;
  let ip = parseIPv4(addr);
  if (ip === null) {
    iplen = 16;
    ip = parseIPv6(addr);
  }
  const r = dtoi(maskText);
  if (ip === null || r === null || r[1] !== maskText.length || r[0] > 8 * iplen) return null;
  const mask = cidrMask(r[0], 8 * iplen);
  const base = iplen === 4 ? ip.subarray(12) : ip;
  const network = base.map((b, i) => b & mask[i]!);
  return { ip, network, mask, ones: r[0], bits: iplen === 4 ? 32 : 128 };
}

/** Go's `networkNumberAndMask`: the network and mask, normalized to IPv4 where they are. */
function networkAndMask(c: Cidr): [Uint8Array, Uint8Array] {
  const nn = to4(c.network) ?? c.network;
  const m = c.mask.length === 16 && nn.length === 4 ? c.mask.subarray(12) : c.mask;
  return [nn, m];
}

/** Go's `IPNet.Contains`. */
export function cidrContains(c: Cidr, ip: Ip): boolean {
  const [nn, m] = networkAndMask(c);
  const x = to4(ip) ?? ip;
  if (x.length !== nn.length || m.length !== nn.length) return false;
  return nn.every((b, i) => (b & m[i]!) === (x[i]! & m[i]!));
}

/** Go's `IPNet.String()` (the network, as `ParseCIDR` returns it). */
export function cidrString(c: Cidr): string {
  const [nn, m] = networkAndMask(c);
  let ones = 0;
  for (const b of m) ones += b.toString(2).replace(/0/g, "").length;
  const ip = nn.length === 4 ? v4(nn[0]!, nn[1]!, nn[2]!, nn[3]!) : nn;
  return `${ipString(ip)}/${ones}`;
}

const INVALID_IP = "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)";
const INVALID_CIDR = "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)";

/**
 * `IsValidIPForLegacyField` as 1.33 runs it (StrictIPCIDRValidation off): only values
 * {@linkcode parseIPSloppy} rejects fail.
 */
export function validateIP(value: string, path: FieldPath | string): FieldError[] {
  return parseIPSloppy(value) === null ? [invalid(path, { value, detail: INVALID_IP })] : [];
}

/**
 * `IsValidCIDRForLegacyField` as 1.33 runs it (StrictIPCIDRValidation off): only values
 * {@linkcode parseCIDRSloppy} rejects fail.
 */
export function validateCIDR(value: string, path: FieldPath | string): FieldError[] {
  return parseCIDRSloppy(value) === null ? [invalid(path, { value, detail: INVALID_CIDR })] : [];
}

/**
 * `ValidateNonSpecialIP`: an address of an endpoint or an external IP may not be unspecified,
 * loopback, link-local or link-local multicast.
 */
export function validateNonSpecialIP(value: string, path: FieldPath | string): FieldError[] {
  const ip = parseIPSloppy(value);
  if (ip === null) return [invalid(path, { value, detail: "must be a valid IP address" })];
  const errs: FieldError[] = [];
  if (isUnspecified(ip)) {
    errs.push(invalid(path, { value, detail: `may not be unspecified (${value})` }));
  }
  if (isLoopback(ip)) {
    errs.push(invalid(path, {
      value,
      detail: "may not be in the loopback range (127.0.0.0/8, ::1/128)",
    }));
  }
  if (isLinkLocalUnicast(ip)) {
    errs.push(invalid(path, {
      value,
      detail: "may not be in the link-local range (169.254.0.0/16, fe80::/10)",
    }));
  }
  if (isLinkLocalMulticast(ip)) {
    errs.push(invalid(path, {
      value,
      detail: "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)",
    }));
  }
  return errs;
}

/** `GetWarningsForIP`: warnings for an address in a non-standard form. */
export function ipWarnings(path: FieldPath | string, value: string): string[] {
  const ip = parseIPSloppy(value);
  if (ip === null) return [];
  if (!isStrictIP(value) || is4In6(value, ip)) {
    return [
      `${path}: non-standard IP address ${
        JSON.stringify(value)
      } will be considered invalid in a future Kubernetes release: use ${
        JSON.stringify(ipString(ip))
      }`,
    ];
  }
  if (value.includes(":") && ipString(ip) !== value) {
    return [
      `${path}: IPv6 address ${JSON.stringify(value)} should be in RFC 5952 canonical format (${
        JSON.stringify(ipString(ip))
      })`,
    ];
  }
  return [];
}

/** `GetWarningsForCIDR`: warnings for a CIDR in a non-standard or ambiguous form. */
export function cidrWarnings(path: FieldPath | string, value: string): string[] {
  const c = parseCIDRSloppy(value);
  if (c === null) return [];
  const warnings: string[] = [];
  const [nn] = networkAndMask(c);
  const ipBytes = to4(c.ip) ?? c.ip;
  const sameAsNetwork = ipBytes.length === nn.length && ipBytes.every((b, i) => b === nn[i]);
  if (!sameAsNetwork) {
    const single = `${ipString(c.ip)}/${c.mask.length * 8}`;
    warnings.push(
      `${path}: CIDR value ${JSON.stringify(value)} is ambiguous in this context (should be ${
        JSON.stringify(cidrString(c))
      } or ${JSON.stringify(single)}?)`,
    );
  }
  const slash = value.indexOf("/");
  const addr = value.slice(0, slash);
  const prefix = value.slice(slash + 1);
  const strictPrefix = isStrictIP(addr) && /^(0|[1-9][0-9]*)$/.test(prefix);
  if (!strictPrefix || is4In6(addr, c.ip)) {
    warnings.push(
      `${path}: non-standard CIDR value ${
        JSON.stringify(value)
      } will be considered invalid in a future Kubernetes release: use ${
        JSON.stringify(cidrString(c))
      }`,
    );
  }
  if (warnings.length === 0 && addr.includes(":")) {
    const canonical = `${ipString(c.ip)}/${prefix}`;
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
