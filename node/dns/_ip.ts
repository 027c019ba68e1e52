/**
 * IP address helpers of the cluster DNS: canonical text forms (so `2001:DB8:0::1` from an
 * EndpointSlice and `2001:db8::1` from a reverse name are one key), reverse-zone names both ways
 * and the dashed form of pod and endpoint names (`10-42-0-5`, `2001-db8--1`).
 *
 * @module
 */

/** An address in canonical text form and its family. */
export interface CanonicalIp {
  readonly family: 4 | 6;
  /** Dotted quad, or RFC 5952 IPv6 (lower case, longest zero run compressed). */
  readonly text: string;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function parseIpv4Octets(text: string): number[] | undefined {
  const m = IPV4.exec(text);
  if (!m) return undefined;
  const octets = m.slice(1).map(Number);
  for (let i = 0; i < 4; i++) {
    const raw = m[i + 1]!;
    // No leading zeros (Kubernetes and Go reject "010.0.0.1" as ambiguous).
    if (octets[i]! > 255 || (raw.length > 1 && raw.startsWith("0"))) return undefined;
  }
  return octets;
}

/** The eight 16-bit groups of an IPv6 address, or undefined when `text` is not one. */
function parseIpv6Groups(text: string): number[] | undefined {
  if (!text.includes(":") || text.includes("%")) return undefined;
  let head = text;
  let tail: number[] = [];
  const lastColon = text.lastIndexOf(":");
  const last = text.slice(lastColon + 1);
  if (last.includes(".")) {
    const octets = parseIpv4Octets(last);
    if (!octets) return undefined;
    tail = [(octets[0]! << 8) | octets[1]!, (octets[2]! << 8) | octets[3]!];
    head = text.slice(0, lastColon + 1);
    if (!head.endsWith("::")) head = head.slice(0, -1);
  }
  const halves = head.split("::");
  if (halves.length > 2) return undefined;
  const parse = (part: string): number[] | undefined => {
    if (part === "") return [];
    const groups: number[] = [];
    for (const g of part.split(":")) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      groups.push(parseInt(g, 16));
    }
    return groups;
  };
  const left = parse(halves[0]!);
  const right = halves.length === 2 ? parse(halves[1]!) : [];
  if (!left || !right) return undefined;
  const given = left.length + right.length + tail.length;
  if (halves.length === 2) {
    if (given > 7) return undefined;
    return [...left, ...new Array<number>(8 - given).fill(0), ...right, ...tail];
  }
  if (given !== 8) return undefined;
  return [...left, ...tail];
}

function formatIpv6(groups: readonly number[]): string {
  // RFC 5952: compress the longest run of two or more zero groups (the first on a tie).
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLen).join(":")}`;
}

/** `text` as a canonical IPv4 or IPv6 address, or undefined when it is neither. */
export function canonicalIp(text: string): CanonicalIp | undefined {
  const v4 = parseIpv4Octets(text);
  if (v4) return { family: 4, text: v4.join(".") };
  const v6 = parseIpv6Groups(text);
  if (v6) return { family: 6, text: formatIpv6(v6) };
  return undefined;
}

/**
 * The address a lower-case reverse name stands for (`5.0.42.10.in-addr.arpa` → `10.42.0.5`, 32
 * nibbles under `ip6.arpa`), or undefined for any other name (a partial reverse name too).
 */
export function ipFromReverseName(name: string): CanonicalIp | undefined {
  if (name.endsWith(".in-addr.arpa")) {
    const labels = name.slice(0, -".in-addr.arpa".length).split(".");
    if (labels.length !== 4) return undefined;
    return canonicalIp(labels.reverse().join("."));
  }
  if (name.endsWith(".ip6.arpa")) {
    const nibbles = name.slice(0, -".ip6.arpa".length).split(".");
    if (nibbles.length !== 32 || nibbles.some((n) => !/^[0-9a-f]$/.test(n))) return undefined;
    const hex = nibbles.reverse().join("");
    const groups: number[] = [];
    for (let i = 0; i < 32; i += 4) groups.push(parseInt(hex.slice(i, i + 4), 16));
    return { family: 6, text: formatIpv6(groups) };
  }
  return undefined;
}

/** The reverse-zone name of a canonical address (lower case, no trailing dot). */
export function reverseNameOf(ip: CanonicalIp): string {
  if (ip.family === 4) return `${ip.text.split(".").reverse().join(".")}.in-addr.arpa`;
  const groups = parseIpv6Groups(ip.text)!;
  const hex = groups.map((g) => g.toString(16).padStart(4, "0")).join("");
  return `${[...hex].reverse().join(".")}.ip6.arpa`;
}

/** The address as a DNS label: dots or colons become dashes (`10-42-0-5`, `fd00--5`). */
export function dashedIp(ip: CanonicalIp): string {
  return ip.text.replaceAll(ip.family === 4 ? "." : ":", "-");
}

/**
 * The address a pod-name label stands for (`10-42-0-5`, `fd00--5`): three dashes and no `--`
 * is IPv4, anything else is read as IPv6, as CoreDNS reads it.
 */
export function ipFromDashed(label: string): CanonicalIp | undefined {
  const dashes = label.split("-").length - 1;
  const text = dashes === 3 && !label.includes("--")
    ? label.replaceAll("-", ".")
    : label.replaceAll("-", ":");
  return canonicalIp(text);
}

/** Whether `ip` is a loopback address (127.0.0.0/8 or ::1). */
export function isLoopbackIp(ip: CanonicalIp): boolean {
  return ip.family === 4 ? ip.text.startsWith("127.") : ip.text === "::1";
}
