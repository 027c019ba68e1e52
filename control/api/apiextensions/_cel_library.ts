/**
 * Kubernetes' CEL libraries beyond lists, regex, strings and quantities, as kube-apiserver
 * 1.33 offers them to CRD validation rules: `url` (`url()`, `isURL()`, `getScheme()`…),
 * `ip` and `cidr` (`ip()`, `isIP()`, `ip.isCanonical()`, `family()`, `containsIP()`…),
 * `format` (`format.dns1123Label().validate(s)`, `format.named(name)`), `semver`
 * (`semver()`, `isSemver()`, with optional normalization), `sets` (`sets.contains()`…) and the
 * quantity overloads taking an int. Conversions that fail throw upstream's texts
 * (`URL parse error during conversion from string: …`).
 *
 * Upstream's functions with a dotted name (`ip.isCanonical`, `format.dns1123Label`,
 * `sets.contains`) are methods of constants named `ip`, `format` and `sets` here: the
 * evaluator reads `a.b(x)` as a method call on `a`.
 *
 * @module
 */
import { type Environment, Optional } from "@marcbachmann/cel-js";
import { Quantity } from "../types/quantity.ts";
import {
  isDns1035Label,
  isDns1123Label,
  isDns1123Subdomain,
  isQualifiedName,
  isValidLabelValue,
} from "../validation/names.ts";
import {
  escapedPath,
  type GoUrl,
  hostname,
  parseRequestUri,
  parseUrl,
  port,
  query,
} from "./_go_url.ts";
import {
  addrEqual,
  addrString,
  is4In6,
  isGlobalUnicast,
  isLinkLocalMulticast,
  isLinkLocalUnicast,
  isLoopback,
  isUnspecified,
  maskAddr,
  type NetAddr,
  type NetPrefix,
  parseAddr,
  parsePrefix,
  prefixContains,
  prefixContainsPrefix,
  prefixString,
} from "./_netip.ts";
import {
  compareSemver,
  parseSemver,
  parseSemverNormalized,
  type Semver,
  semverString,
} from "./_semver.ts";

/** A parsed URL (`kubernetes.URL`). */
export class CelUrl {
  readonly url: GoUrl;
  constructor(url: GoUrl) {
    this.url = url;
  }
}

/** An IP address (`net.IP`). */
export class CelIp {
  readonly addr: NetAddr;
  constructor(addr: NetAddr) {
    this.addr = addr;
  }
}

/** A CIDR (`net.CIDR`). */
export class CelCidr {
  readonly prefix: NetPrefix;
  constructor(prefix: NetPrefix) {
    this.prefix = prefix;
  }
}

/** A semantic version (`kubernetes.Semver`). */
export class CelSemver {
  readonly version: Semver;
  constructor(version: Semver) {
    this.version = version;
  }
}

/** A named string format (`kubernetes.NamedFormat`). */
export class CelNamedFormat {
  readonly name: string;
  readonly validate: (s: string) => string[];
  constructor(name: string, validate: (s: string) => string[]) {
    this.name = name;
    this.validate = validate;
  }
}

/** The receivers of the dotted function names. */
class IpNamespace {}
class FormatNamespace {}
class SetsNamespace {}

/** Upstream's `maskTrailingDash`: a name prefix may end in a dash (a suffix follows it). */
function maskTrailingDash(name: string): string {
  return name.length > 1 && name.endsWith("-") ? `${name.slice(0, -2)}a` : name;
}

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function validDate(s: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) &&
    new Date(`${s}T00:00:00Z`).toISOString().startsWith(s);
}

function validDateTime(s: string): boolean {
  return /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.test(s) &&
    !Number.isNaN(Date.parse(s.replace(" ", "T")));
}

function check(ok: (s: string) => boolean, message: string): (s: string) => string[] {
  return (s) => ok(s) ? [] : [message];
}

/** Upstream's `ConstantFormats`: the formats `format.<name>()` and `format.named()` give. */
export const NAMED_FORMATS: ReadonlyMap<string, CelNamedFormat> = new Map(
  ([
    ["dns1123Label", "DNS1123Label", isDns1123Label],
    ["dns1123Subdomain", "DNS1123Subdomain", isDns1123Subdomain],
    ["dns1035Label", "DNS1035Label", isDns1035Label],
    ["qualifiedName", "QualifiedName", isQualifiedName],
    ["dns1123LabelPrefix", "DNS1123LabelPrefix", (s) => isDns1123Label(maskTrailingDash(s))],
    [
      "dns1123SubdomainPrefix",
      "DNS1123SubdomainPrefix",
      (s) => isDns1123Subdomain(maskTrailingDash(s)),
    ],
    ["dns1035LabelPrefix", "DNS1035LabelPrefix", (s) => isDns1035Label(maskTrailingDash(s))],
    ["labelValue", "LabelValue", isValidLabelValue],
    ["uri", "URI", (s) => {
      try {
        parseRequestUri(s);
        return [];
      } catch (err) {
        return [(err as Error).message];
      }
    }],
    ["uuid", "uuid", check((s) => UUID.test(s), "does not match the UUID format")],
    ["byte", "byte", check((s) => BASE64.test(s), "invalid base64")],
    ["date", "date", check(validDate, "invalid date")],
    ["datetime", "datetime", check(validDateTime, "invalid datetime")],
  ] as [string, string, (s: string) => string[]][]).map((
    [key, name, fn],
  ) => [key, new CelNamedFormat(name, fn)]),
);

function toUrl(s: string): CelUrl {
  try {
    parseRequestUri(s);
    return new CelUrl(parseUrl(s));
  } catch (err) {
    throw new Error(`URL parse error during conversion from string: ${(err as Error).message}`);
  }
}

/** Upstream's `parseIPAddr`: netip, without zones or IPv4-mapped IPv6 addresses. */
function toIp(s: string): CelIp {
  let addr: NetAddr;
  try {
    addr = parseAddr(s);
  } catch (err) {
    throw new Error(
      `IP Address ${JSON.stringify(s)} parse error during conversion from string: ${
        (err as Error).message
      }`,
    );
  }
  if (addr.zone !== "") {
    throw new Error(`IP address ${JSON.stringify(s)} with zone value is not allowed`);
  }
  if (is4In6(addr)) throw new Error(`IPv4-mapped IPv6 address ${JSON.stringify(s)} is not allowed`);
  return new CelIp(addr);
}

function toCidr(s: string): CelCidr {
  const prefix = "network address parse error during conversion from string: ";
  let p: NetPrefix;
  try {
    p = parsePrefix(s);
  } catch (err) {
    throw new Error(`${prefix}${prefix}${(err as Error).message}`);
  }
  if (is4In6(p.addr)) {
    throw new Error(`${prefix}IPv4-mapped IPv6 address ${JSON.stringify(s)} is not allowed`);
  }
  return new CelCidr(p);
}

function succeeds(fn: () => unknown): boolean {
  try {
    fn();
    return true;
  } catch {
    return false;
  }
}

function toSemver(s: string, normalize: boolean): CelSemver {
  return new CelSemver(normalize ? parseSemverNormalized(s) : parseSemver(s));
}

function jsonText(v: unknown): string {
  return JSON.stringify(v, (_k, x) => typeof x === "bigint" ? Number(x) : x);
}

/** CEL equality of two values (numbers of any kind compare by value). */
export function celEqual(a: unknown, b: unknown): boolean {
  const num = (v: unknown) => typeof v === "bigint" || typeof v === "number";
  if (num(a) || num(b)) return num(a) && num(b) && Number(a) === Number(b);
  if (typeof a !== "object" || a === null || typeof b !== "object" || b === null) return a === b;
  return jsonText(a) === jsonText(b);
}

function listArg(v: unknown): unknown[] {
  if (!Array.isArray(v)) throw new TypeError("no such overload");
  return v;
}

function registerUrls(env: Environment): void {
  env.registerType("kubernetes.URL", CelUrl);
  env
    .registerFunction("url(string): kubernetes.URL", (s: string) => toUrl(s))
    .registerFunction("isURL(string): bool", (s: string) => succeeds(() => parseRequestUri(s)))
    .registerFunction("kubernetes.URL.getScheme(): string", (u: CelUrl) => u.url.scheme)
    .registerFunction("kubernetes.URL.getHost(): string", (u: CelUrl) => u.url.host)
    .registerFunction("kubernetes.URL.getHostname(): string", (u: CelUrl) => hostname(u.url))
    .registerFunction("kubernetes.URL.getPort(): string", (u: CelUrl) => port(u.url))
    .registerFunction("kubernetes.URL.getEscapedPath(): string", (u: CelUrl) => {
      return escapedPath(u.url);
    })
    .registerFunction(
      "kubernetes.URL.getQuery(): map<string, list<string>>",
      (u: CelUrl) => query(u.url),
    )
    .registerOperator("kubernetes.URL == kubernetes.URL", (a: CelUrl, b: CelUrl) => {
      return jsonText(a.url) === jsonText(b.url);
    });
}

function registerIps(env: Environment): void {
  env.registerType("net.IP", CelIp);
  env.registerType("kubernetes.IPNamespace", IpNamespace);
  env.registerConstant("ip", "kubernetes.IPNamespace", new IpNamespace());
  env
    .registerFunction("ip(string): net.IP", (s: string) => toIp(s))
    .registerFunction("isIP(string): bool", (s: string) => succeeds(() => toIp(s)))
    .registerFunction(
      "kubernetes.IPNamespace.isCanonical(string): bool",
      (_ns: IpNamespace, s: string) => addrString(toIp(s).addr) === s,
    )
    .registerFunction("net.IP.family(): int", (ip: CelIp) => ip.addr.bytes.length === 4 ? 4n : 6n)
    .registerFunction("net.IP.isUnspecified(): bool", (ip: CelIp) => isUnspecified(ip.addr))
    .registerFunction("net.IP.isLoopback(): bool", (ip: CelIp) => isLoopback(ip.addr))
    .registerFunction("net.IP.isLinkLocalMulticast(): bool", (ip: CelIp) => {
      return isLinkLocalMulticast(ip.addr);
    })
    .registerFunction("net.IP.isLinkLocalUnicast(): bool", (ip: CelIp) => {
      return isLinkLocalUnicast(ip.addr);
    })
    .registerFunction("net.IP.isGlobalUnicast(): bool", (ip: CelIp) => isGlobalUnicast(ip.addr))
    .registerFunction("string(net.IP): string", (ip: CelIp) => addrString(ip.addr))
    .registerOperator("net.IP == net.IP", (a: CelIp, b: CelIp) => addrEqual(a.addr, b.addr));
}

function cidrEqual(a: CelCidr, b: CelCidr): boolean {
  return a.prefix.bits === b.prefix.bits && addrEqual(a.prefix.addr, b.prefix.addr);
}

function registerCidrs(env: Environment): void {
  env.registerType("net.CIDR", CelCidr);
  env
    .registerFunction("cidr(string): net.CIDR", (s: string) => toCidr(s))
    .registerFunction("isCIDR(string): bool", (s: string) => succeeds(() => toCidr(s)))
    .registerFunction("net.CIDR.containsIP(string): bool", (c: CelCidr, s: string) => {
      return prefixContains(c.prefix, toIp(s).addr);
    })
    .registerFunction("net.CIDR.containsIP(net.IP): bool", (c: CelCidr, ip: CelIp) => {
      return prefixContains(c.prefix, ip.addr);
    })
    .registerFunction("net.CIDR.containsCIDR(string): bool", (c: CelCidr, s: string) => {
      return prefixContainsPrefix(c.prefix, toCidr(s).prefix);
    })
    .registerFunction("net.CIDR.containsCIDR(net.CIDR): bool", (c: CelCidr, o: CelCidr) => {
      return prefixContainsPrefix(c.prefix, o.prefix);
    })
    .registerFunction("net.CIDR.ip(): net.IP", (c: CelCidr) => new CelIp(c.prefix.addr))
    .registerFunction("net.CIDR.prefixLength(): int", (c: CelCidr) => BigInt(c.prefix.bits))
    .registerFunction("net.CIDR.masked(): net.CIDR", (c: CelCidr) => {
      return new CelCidr({ addr: maskAddr(c.prefix.addr, c.prefix.bits), bits: c.prefix.bits });
    })
    .registerFunction("string(net.CIDR): string", (c: CelCidr) => prefixString(c.prefix))
    .registerOperator("net.CIDR == net.CIDR", (a: CelCidr, b: CelCidr) => cidrEqual(a, b));
}

function registerFormats(env: Environment): void {
  env.registerType("kubernetes.NamedFormat", CelNamedFormat);
  env.registerType("kubernetes.FormatNamespace", FormatNamespace);
  env.registerConstant("format", "kubernetes.FormatNamespace", new FormatNamespace());
  for (const [key, f] of NAMED_FORMATS) {
    env.registerFunction(`kubernetes.FormatNamespace.${key}(): kubernetes.NamedFormat`, () => f);
  }
  env
    .registerFunction(
      "kubernetes.FormatNamespace.named(string): optional<kubernetes.NamedFormat>",
      (_ns: FormatNamespace, name: string) => {
        const f = NAMED_FORMATS.get(name);
        return f ? Optional.of(f) : Optional.none();
      },
    )
    .registerFunction(
      "kubernetes.NamedFormat.validate(string): optional<list<string>>",
      (f: CelNamedFormat, s: string) => {
        const errs = f.validate(s);
        return errs.length === 0 ? Optional.none() : Optional.of(errs);
      },
    );
}

function registerSemvers(env: Environment): void {
  env.registerType("kubernetes.Semver", CelSemver);
  const cmp = (a: CelSemver, b: CelSemver) => compareSemver(a.version, b.version);
  env
    .registerFunction("semver(string): kubernetes.Semver", (s: string) => toSemver(s, false))
    .registerFunction("semver(string, bool): kubernetes.Semver", (s: string, n: boolean) => {
      return toSemver(s, n);
    })
    .registerFunction("isSemver(string): bool", (s: string) => succeeds(() => toSemver(s, false)))
    .registerFunction("isSemver(string, bool): bool", (s: string, n: boolean) => {
      return succeeds(() => toSemver(s, n));
    })
    .registerFunction("kubernetes.Semver.major(): int", (v: CelSemver) => v.version.major)
    .registerFunction("kubernetes.Semver.minor(): int", (v: CelSemver) => v.version.minor)
    .registerFunction("kubernetes.Semver.patch(): int", (v: CelSemver) => v.version.patch)
    .registerFunction(
      "kubernetes.Semver.isGreaterThan(kubernetes.Semver): bool",
      (a: CelSemver, b: CelSemver) => cmp(a, b) === 1,
    )
    .registerFunction(
      "kubernetes.Semver.isLessThan(kubernetes.Semver): bool",
      (a: CelSemver, b: CelSemver) => cmp(a, b) === -1,
    )
    .registerFunction(
      "kubernetes.Semver.compareTo(kubernetes.Semver): int",
      (a: CelSemver, b: CelSemver) => BigInt(cmp(a, b)),
    )
    .registerFunction("string(kubernetes.Semver): string", (v: CelSemver) => {
      return semverString(v.version);
    })
    .registerOperator(
      "kubernetes.Semver == kubernetes.Semver",
      (a: CelSemver, b: CelSemver) => cmp(a, b) === 0,
    );
}

function registerSets(env: Environment): void {
  env.registerType("kubernetes.SetsNamespace", SetsNamespace);
  env.registerConstant("sets", "kubernetes.SetsNamespace", new SetsNamespace());
  const has = (list: unknown[], v: unknown) => list.some((x) => celEqual(x, v));
  env
    .registerFunction(
      "kubernetes.SetsNamespace.contains(list, list): bool",
      (_ns: SetsNamespace, a: unknown, b: unknown) => listArg(b).every((v) => has(listArg(a), v)),
    )
    .registerFunction(
      "kubernetes.SetsNamespace.equivalent(list, list): bool",
      (_ns: SetsNamespace, a: unknown, b: unknown) =>
        listArg(b).every((v) => has(listArg(a), v)) &&
        listArg(a).every((v) => has(listArg(b), v)),
    )
    .registerFunction(
      "kubernetes.SetsNamespace.intersects(list, list): bool",
      (_ns: SetsNamespace, a: unknown, b: unknown) => listArg(b).some((v) => has(listArg(a), v)),
    );
}

function registerQuantityExtras(env: Environment): void {
  const int = (n: bigint) => Quantity.parse(String(n));
  env
    .registerFunction("Quantity.add(int): Quantity", (a: Quantity, n: bigint) => a.add(int(n)))
    .registerFunction("Quantity.sub(int): Quantity", (a: Quantity, n: bigint) => a.sub(int(n)))
    .registerOperator("Quantity == Quantity", (a: Quantity, b: Quantity) => a.cmp(b) === 0);
}

/** Registers the libraries on `env` (which already knows the `Quantity` type). */
export function registerKubernetesLibraries(env: Environment): void {
  registerUrls(env);
  registerIps(env);
  registerCidrs(env);
  registerFormats(env);
  registerSemvers(env);
  registerSets(env);
  registerQuantityExtras(env);
}
