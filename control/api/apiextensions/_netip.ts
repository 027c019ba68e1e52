/**
 * IP addresses and prefixes parsed strictly, as Go's `net/netip` parses them for the
 * Kubernetes CEL `ip` and `cidr` libraries: no leading zeros in IPv4 octets, IPv6 with `::`
 * and an optional trailing IPv4 part, zones after `%`; canonical text per RFC 5952. Errors
 * carry netip's texts (`ParseAddr("1.2.3.256"): IPv4 field has value >255`).
 *
 * @module
 */

/** An address: 4 or 16 bytes, and an IPv6 zone (`""` without). */
export interface NetAddr {
  readonly bytes: Uint8Array;
  readonly zone: string;
}

/** A prefix: an address (host bits kept, as netip keeps them) and a length. */
export interface NetPrefix {
  readonly addr: NetAddr;
  readonly bits: number;
}

function addrError(input: string, msg: string, at?: string): Error {
  const where = at === undefined ? "" : ` (at ${JSON.stringify(at)})`;
  return new SyntaxError(`ParseAddr(${JSON.stringify(input)}): ${msg}${where}`);
}

function parseV4(input: string, text: string): Uint8Array {
  const out = new Uint8Array(4);
  const fields = text.split(".");
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    if (i >= 4) throw addrError(input, "IPv4 address too long");
    if (f === "") throw addrError(input, "IPv4 field must have at least one digit", text);
    if (!/^\d+$/.test(f)) throw addrError(input, "unexpected character", f);
    if (f.length > 1 && f[0] === "0") {
      throw addrError(input, "IPv4 field has octet with leading zero");
    }
    const n = Number(f);
    if (n > 255) throw addrError(input, "IPv4 field has value >255");
    out[i] = n;
  }
  if (fields.length < 4) throw addrError(input, "IPv4 address too short");
  return out;
}

function parseV6(input: string, text: string): Uint8Array {
  const out = new Uint8Array(16);
  const halves = text.split("::");
  if (halves.length > 2) throw addrError(input, "multiple :: in address", text);
  const groups = (part: string): string[] => part === "" ? [] : part.split(":");
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (halves.length === 2 && head.some((g) => g.includes("."))) {
    throw addrError(input, "unexpected character", halves[0]!);
  }
  const words: number[] = [];
  const all = [...head, ...tail];
  let v4: Uint8Array | null = null;
  for (let i = 0; i < all.length; i++) {
    const g = all[i]!;
    if (g.includes(".")) {
      if (i !== all.length - 1) throw addrError(input, "unexpected character", g);
      v4 = parseV4(input, g);
      continue;
    }
    if (g === "") {
      throw addrError(input, "each colon-separated field must have at least one digit", g);
    }
    if (!/^[0-9a-fA-F]+$/.test(g)) throw addrError(input, "unexpected character", g);
    if (g.length > 4) throw addrError(input, "IPv6 field has value >=2^16", g);
    words.push(parseInt(g, 16));
  }
  const have = words.length + (v4 ? 2 : 0);
  if (halves.length === 1 && have !== 8) throw addrError(input, "address string too short");
  if (halves.length === 2 && have > 7) {
    throw addrError(input, "the :: must expand to at least one field of zeros");
  }
  if (have > 8) throw addrError(input, "address string too long");
  const headWords = halves.length === 2 ? head.filter((g) => !g.includes(".")).length : 8;
  let w = 0;
  const put = (i: number, word: number) => {
    out[i * 2] = word >> 8;
    out[i * 2 + 1] = word & 0xff;
  };
  if (halves.length === 2) {
    const tailWords = words.length - headWords;
    const tailStart = 8 - tailWords - (v4 ? 2 : 0);
    for (let i = 0; i < headWords; i++) put(i, words[w++]!);
    for (let i = 0; i < tailWords; i++) put(tailStart + i, words[w++]!);
  } else {
    for (let i = 0; i < words.length; i++) put(i, words[w++]!);
  }
  if (v4) out.set(v4, 12);
  return out;
}

/** netip's `ParseAddr`; throws a `SyntaxError` with netip's text. */
export function parseAddr(input: string): NetAddr {
  if (input === "") throw addrError(input, "unable to parse IP");
  for (const ch of input) {
    if (ch === ".") return { bytes: parseV4(input, input), zone: "" };
    if (ch === ":") {
      const pct = input.indexOf("%");
      const zone = pct >= 0 ? input.slice(pct + 1) : "";
      if (pct >= 0 && zone === "") throw addrError(input, "zone must be a non-empty string");
      return { bytes: parseV6(input, pct >= 0 ? input.slice(0, pct) : input), zone };
    }
    if (ch === "%") break;
  }
  throw addrError(input, "unable to parse IP");
}

/** Whether an IPv6 address is an IPv4-mapped one (`::ffff:1.2.3.4`). */
export function is4In6(a: NetAddr): boolean {
  const b = a.bytes;
  return b.length === 16 && b.slice(0, 10).every((x) => x === 0) && b[10] === 0xff &&
    b[11] === 0xff;
}

/** The address in its one canonical text (RFC 5952 for IPv6), zone included. */
export function addrString(a: NetAddr): string {
  const b = a.bytes;
  if (b.length === 4) return [...b].join(".");
  if (is4In6(a)) return `::ffff:${[...b.slice(12)].join(".")}${a.zone ? `%${a.zone}` : ""}`;
  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push((b[i * 2]! << 8) | b[i * 2 + 1]!);
  // The longest run of at least two zero words is written as "::" (the first, on a tie).
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (ws: number[]) => ws.map((w) => w.toString(16)).join(":");
  const text = best < 0
    ? hex(words)
    : `${hex(words.slice(0, best))}::${hex(words.slice(best + bestLen))}`;
  return a.zone ? `${text}%${a.zone}` : text;
}

/** Whether two addresses are the same (family, bytes and zone). */
export function addrEqual(a: NetAddr, b: NetAddr): boolean {
  return a.bytes.length === b.bytes.length && a.zone === b.zone &&
    a.bytes.every((x, i) => x === b.bytes[i]);
}

function isV4(a: NetAddr): boolean {
  return a.bytes.length === 4;
}

/** `0.0.0.0` or `::`. */
export function isUnspecified(a: NetAddr): boolean {
  return a.bytes.every((x) => x === 0);
}

/** `127.0.0.0/8` or `::1`. */
export function isLoopback(a: NetAddr): boolean {
  const b = a.bytes;
  if (isV4(a)) return b[0] === 127;
  return b.slice(0, 15).every((x) => x === 0) && b[15] === 1;
}

/** `224.0.0.0/4` or `ff00::/8`. */
export function isMulticast(a: NetAddr): boolean {
  const b = a.bytes;
  return isV4(a) ? (b[0]! & 0xf0) === 0xe0 : b[0] === 0xff;
}

/** `224.0.0.0/24` or `ff02::/16`, as netip's `IsLinkLocalMulticast`. */
export function isLinkLocalMulticast(a: NetAddr): boolean {
  const b = a.bytes;
  return isV4(a) ? b[0] === 224 && b[1] === 0 && b[2] === 0 : b[0] === 0xff && b[1] === 0x02;
}

/** `169.254.0.0/16` or `fe80::/10`. */
export function isLinkLocalUnicast(a: NetAddr): boolean {
  const b = a.bytes;
  return isV4(a) ? b[0] === 169 && b[1] === 254 : b[0] === 0xfe && (b[1]! & 0xc0) === 0x80;
}

/** netip's `IsGlobalUnicast`: not unspecified, broadcast, loopback, multicast or link-local. */
export function isGlobalUnicast(a: NetAddr): boolean {
  if (isV4(a) && a.bytes.every((x) => x === 255)) return false;
  return !isUnspecified(a) && !isLoopback(a) && !isMulticast(a) && !isLinkLocalUnicast(a);
}

function prefixError(input: string, msg: string): Error {
  return new SyntaxError(`netip.ParsePrefix(${JSON.stringify(input)}): ${msg}`);
}

/** netip's `ParsePrefix`; throws a `SyntaxError` with netip's text. */
export function parsePrefix(input: string): NetPrefix {
  const slash = input.lastIndexOf("/");
  if (slash < 0) throw prefixError(input, "no '/'");
  let addr: NetAddr;
  try {
    addr = parseAddr(input.slice(0, slash));
  } catch (err) {
    throw prefixError(input, (err as Error).message);
  }
  if (addr.zone !== "") throw prefixError(input, "IPv6 zones cannot be present in a prefix");
  const text = input.slice(slash + 1);
  if (!/^\d+$/.test(text) || (text.length > 1 && text[0] === "0")) {
    throw prefixError(input, `bad bits after slash: ${JSON.stringify(text)}`);
  }
  const bits = Number(text);
  if (bits > addr.bytes.length * 8) throw prefixError(input, "prefix length out of range");
  return { addr, bits };
}

/** The address with the bits after the first `bits` cleared. */
export function maskAddr(a: NetAddr, bits: number): NetAddr {
  const out = new Uint8Array(a.bytes);
  for (let i = 0; i < out.length; i++) {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    out[i] = out[i]! & ((0xff << (8 - keep)) & 0xff);
  }
  return { bytes: out, zone: a.zone };
}

/** `addr/bits`, with the address as given (not masked), as netip prints a prefix. */
export function prefixString(p: NetPrefix): string {
  return `${addrString(p.addr)}/${p.bits}`;
}

/** Whether `ip` is inside the prefix (same family, equal in the first `bits`). */
export function prefixContains(p: NetPrefix, ip: NetAddr): boolean {
  if (ip.bytes.length !== p.addr.bytes.length || ip.zone !== "") return false;
  return addrEqual(maskAddr(ip, p.bits), maskAddr(p.addr, p.bits));
}

/** Whether `inner` lies inside `outer`. */
export function prefixContainsPrefix(outer: NetPrefix, inner: NetPrefix): boolean {
  return outer.bits <= inner.bits && prefixContains(outer, inner.addr);
}
