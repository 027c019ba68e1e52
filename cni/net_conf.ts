/**
 * The network config skiff's bridge plugin reads on stdin, and the `CNI_*` environment of a
 * call: {@linkcode parseNetConf}, {@linkcode parseCniEnv}.
 *
 * The plugin config as it appears in a conflist (containerd adds `cniVersion`, `name`,
 * `runtimeConfig` and, on DEL and CHECK, `prevResult`):
 *
 * ```json
 * { "type": "skiff", "bridge": "skiff0", "mtu": 1450, "hairpinMode": true, "ipMasq": true,
 *   "clusterCidr": "10.42.0.0/16", "capabilities": { "portMappings": true },
 *   "ipam": { "subnet": "10.42.3.0/24", "dataDir": "/var/lib/skiff/agent/cni/networks" } }
 * ```
 *
 * containerd 1.6 marshals `runtimeConfig.portMappings` from Go structs, so its keys are
 * capitalised (`HostPort`); both spellings are accepted.
 *
 * @module
 */
import { CNI_ERROR_CODES, CniError } from "./errors.ts";
import { cidrContains, cidrSize, type Ipv4Cidr, parseIpv4, parseIpv4Cidr } from "./_ipv4.ts";

/** The CNI versions whose configs and results the plugin speaks. */
export const SUPPORTED_CNI_VERSIONS: readonly string[] = Object.freeze([
  "0.3.0",
  "0.3.1",
  "0.4.0",
  "1.0.0",
]);

/** The bridge when the config names none. */
export const DEFAULT_BRIDGE = "skiff0";
/** The nftables table (family `ip`) the plugin keeps its NAT rules in. */
export const DEFAULT_NFT_TABLE = "skiff-cni";
/** Where allocations are kept when the config names no `ipam.dataDir`. */
export const DEFAULT_IPAM_DATA_DIR = "/var/lib/cni/networks";

/** One hostPort mapping (`runtimeConfig.portMappings`). */
export interface PortMapping {
  readonly hostPort: number;
  readonly containerPort: number;
  readonly protocol: "tcp" | "udp" | "sctp";
  /** The host address to match; `""` for any. */
  readonly hostIP: string;
}

/** The IPAM part: the subnet addresses come from and where allocations are kept. */
export interface IpamConf {
  readonly subnet: Ipv4Cidr;
  /** The bridge's address and the pods' default gateway (the subnet's first address). */
  readonly gateway: number;
  /** The first and last address handed out. */
  readonly rangeStart: number;
  readonly rangeEnd: number;
  /** The directory holding one directory per network name. */
  readonly dataDir: string;
}

/** The parsed network config. */
export interface NetConf {
  readonly cniVersion: string;
  readonly name: string;
  readonly type: string;
  readonly bridge: string;
  readonly mtu: number;
  readonly hairpinMode: boolean;
  readonly ipMasq: boolean;
  readonly isDefaultGateway: boolean;
  /** Traffic to this block is not masqueraded (the subnet when not given). */
  readonly clusterCidr: Ipv4Cidr;
  readonly nftTable: string;
  readonly ipam: IpamConf;
  readonly portMappings: readonly PortMapping[];
  /** The result of ADD, on DEL and CHECK (the raw JSON). */
  readonly prevResult: Readonly<Record<string, unknown>> | undefined;
}

/** The `CNI_*` environment of one call. */
export interface CniEnv {
  readonly command: string;
  readonly containerId: string;
  /** The netns path; `""` when not given (allowed on DEL). */
  readonly netns: string;
  readonly ifname: string;
  /** `CNI_ARGS` as key/value pairs. */
  readonly args: ReadonlyMap<string, string>;
  readonly path: readonly string[];
}

const IFNAME = /^[^\s/:]{1,15}$/;
const NFT_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,31}$/;

function invalid(message: string): CniError {
  return new CniError(CNI_ERROR_CODES.invalidNetworkConfig, message);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function optionalString(obj: Record<string, unknown>, key: string): string | undefined {
  const value = obj[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw invalid(`Invalid network config: "${key}" must be a string`);
  return value;
}

function optionalBoolean(obj: Record<string, unknown>, key: string, fallback: boolean): boolean {
  const value = obj[key];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== "boolean") {
    throw invalid(`Invalid network config: "${key}" must be a boolean`);
  }
  return value;
}

function address(text: string | undefined, key: string): number | undefined {
  if (text === undefined) return undefined;
  const value = parseIpv4(text);
  if (value === null) {
    throw invalid(`Invalid network config: "${key}" "${text}" is not an IPv4 address`);
  }
  return value;
}

function parseIpam(raw: unknown, name: string): IpamConf {
  if (!isRecord(raw)) throw invalid(`Invalid network config: "ipam" must be an object`);
  const subnetText = optionalString(raw, "subnet");
  if (subnetText === undefined) throw invalid(`Invalid network config: "ipam.subnet" is required`);
  const subnet = parseIpv4Cidr(subnetText);
  if (subnet === null) {
    throw invalid(`Invalid network config: "ipam.subnet" "${subnetText}" is not an IPv4 CIDR`);
  }
  if (subnet.prefix > 30) {
    throw invalid(
      `Invalid network config: "ipam.subnet" "${subnetText}" is too small to allocate from`,
    );
  }
  const last = subnet.network + cidrSize(subnet) - 1;
  const gateway = address(optionalString(raw, "gateway"), "ipam.gateway") ?? subnet.network + 1;
  const rangeStart = address(optionalString(raw, "rangeStart"), "ipam.rangeStart") ??
    subnet.network + 1;
  const rangeEnd = address(optionalString(raw, "rangeEnd"), "ipam.rangeEnd") ?? last - 1;
  for (
    const [key, value] of [["gateway", gateway], ["rangeStart", rangeStart], [
      "rangeEnd",
      rangeEnd,
    ]] as const
  ) {
    if (!cidrContains(subnet, value) || value === subnet.network || value === last) {
      throw invalid(
        `Invalid network config: "ipam.${key}" is not a host address of "${subnetText}"`,
      );
    }
  }
  if (rangeStart > rangeEnd) {
    throw invalid(`Invalid network config: "ipam.rangeStart" is after "ipam.rangeEnd"`);
  }
  const dataDir = optionalString(raw, "dataDir") ?? DEFAULT_IPAM_DATA_DIR;
  if (!dataDir.startsWith("/")) {
    throw invalid(`Invalid network config: "ipam.dataDir" "${dataDir}" must be an absolute path`);
  }
  if (name.includes("/") || name === "." || name === "..") {
    throw invalid(`Invalid network config: "name" "${name}" cannot name a directory`);
  }
  return { subnet, gateway, rangeStart, rangeEnd, dataDir };
}

/** A field of a Go-marshalled struct: `hostPort` or `HostPort`. */
function field(obj: Record<string, unknown>, name: string): unknown {
  if (name in obj) return obj[name];
  const lower = name.toLowerCase();
  for (const [key, value] of Object.entries(obj)) if (key.toLowerCase() === lower) return value;
  return undefined;
}

function port(value: unknown, what: string): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > 65535) {
    throw invalid(`Invalid port mapping: ${what} ${JSON.stringify(value)} is not a port number`);
  }
  return value;
}

/** The port mappings of `runtimeConfig.portMappings` (either key spelling). */
export function parsePortMappings(raw: unknown): PortMapping[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw invalid(`Invalid network config: "portMappings" must be an array`);
  return raw.map((entry) => {
    if (!isRecord(entry)) throw invalid(`Invalid port mapping: ${JSON.stringify(entry)}`);
    const protocol = String(field(entry, "protocol") ?? "tcp").toLowerCase();
    if (protocol !== "tcp" && protocol !== "udp" && protocol !== "sctp") {
      throw invalid(`Invalid port mapping: protocol "${protocol}" is not tcp, udp or sctp`);
    }
    const hostIPRaw = field(entry, "hostIP") ?? "";
    if (typeof hostIPRaw !== "string") {
      throw invalid(`Invalid port mapping: hostIP must be a string`);
    }
    const hostIP = hostIPRaw === "0.0.0.0" || hostIPRaw === "::" ? "" : hostIPRaw;
    return {
      hostPort: port(field(entry, "hostPort"), "hostPort"),
      containerPort: port(field(entry, "containerPort"), "containerPort"),
      protocol,
      hostIP,
    };
  });
}

/**
 * The network config on stdin.
 *
 * @throws {CniError} code 6 for text that is not JSON, 1 for an unsupported `cniVersion`, 7 for
 * a config that is not valid.
 */
export function parseNetConf(text: string): NetConf {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new CniError(
      CNI_ERROR_CODES.decodingFailure,
      `Cannot decode the network config: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  if (!isRecord(raw)) {
    throw new CniError(
      CNI_ERROR_CODES.decodingFailure,
      "Cannot decode the network config: not a JSON object",
    );
  }
  const cniVersion = optionalString(raw, "cniVersion") ?? "";
  if (!SUPPORTED_CNI_VERSIONS.includes(cniVersion)) {
    throw new CniError(
      CNI_ERROR_CODES.incompatibleVersion,
      `Unsupported CNI version "${cniVersion}": the plugin supports ${
        SUPPORTED_CNI_VERSIONS.join(", ")
      }`,
    );
  }
  const name = optionalString(raw, "name");
  if (!name) throw invalid(`Invalid network config: "name" is required`);
  const bridge = optionalString(raw, "bridge") ?? DEFAULT_BRIDGE;
  if (!IFNAME.test(bridge)) {
    throw invalid(`Invalid network config: "bridge" "${bridge}" is not an interface name`);
  }
  const mtuRaw = raw.mtu ?? 1500;
  if (typeof mtuRaw !== "number" || !Number.isInteger(mtuRaw) || mtuRaw < 576 || mtuRaw > 65535) {
    throw invalid(
      `Invalid network config: "mtu" ${
        JSON.stringify(mtuRaw)
      } must be an integer from 576 to 65535`,
    );
  }
  const ipam = parseIpam(raw.ipam, name);
  const clusterText = optionalString(raw, "clusterCidr");
  const clusterCidr = clusterText === undefined ? ipam.subnet : parseIpv4Cidr(clusterText);
  if (clusterCidr === null) {
    throw invalid(`Invalid network config: "clusterCidr" "${clusterText}" is not an IPv4 CIDR`);
  }
  const nftTable = optionalString(raw, "nftTable") ?? DEFAULT_NFT_TABLE;
  if (!NFT_NAME.test(nftTable)) {
    throw invalid(`Invalid network config: "nftTable" "${nftTable}" is not a table name`);
  }
  const runtimeConfig = raw.runtimeConfig;
  if (runtimeConfig !== undefined && runtimeConfig !== null && !isRecord(runtimeConfig)) {
    throw invalid(`Invalid network config: "runtimeConfig" must be an object`);
  }
  const prevResult = raw.prevResult;
  if (prevResult !== undefined && prevResult !== null && !isRecord(prevResult)) {
    throw invalid(`Invalid network config: "prevResult" must be an object`);
  }
  return {
    cniVersion,
    name,
    type: optionalString(raw, "type") ?? "",
    bridge,
    mtu: mtuRaw,
    hairpinMode: optionalBoolean(raw, "hairpinMode", true),
    ipMasq: optionalBoolean(raw, "ipMasq", true),
    isDefaultGateway: optionalBoolean(raw, "isDefaultGateway", true),
    clusterCidr,
    nftTable,
    ipam,
    portMappings: isRecord(runtimeConfig)
      ? parsePortMappings(field(runtimeConfig, "portMappings"))
      : [],
    prevResult: isRecord(prevResult) ? prevResult : undefined,
  };
}

/** The `cniVersion` of `text` if it has one, for error JSON written before parsing succeeded. */
export function sniffCniVersion(text: string): string | undefined {
  try {
    const raw: unknown = JSON.parse(text);
    return isRecord(raw) && typeof raw.cniVersion === "string" ? raw.cniVersion : undefined;
  } catch {
    return undefined;
  }
}

function envError(message: string): CniError {
  return new CniError(CNI_ERROR_CODES.invalidEnvironment, message);
}

/** `K=V;K2=V2` as a map. */
export function parseCniArgs(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const pair of text.split(";")) {
    if (pair === "") continue;
    const eq = pair.indexOf("=");
    if (eq <= 0) throw envError(`Invalid CNI_ARGS: "${pair}" is not a KEY=VALUE pair`);
    out.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
  return out;
}

/**
 * The `CNI_*` variables of a call, checked as the spec requires: ADD and CHECK need
 * CONTAINERID, NETNS and IFNAME; DEL needs CONTAINERID and IFNAME; VERSION nothing.
 *
 * @throws {CniError} code 4 for a missing or invalid variable.
 */
export function parseCniEnv(get: (name: string) => string | undefined): CniEnv {
  const command = get("CNI_COMMAND") ?? "";
  const containerId = get("CNI_CONTAINERID") ?? "";
  const netns = get("CNI_NETNS") ?? "";
  const ifname = get("CNI_IFNAME") ?? "";
  const needs: string[] = [];
  if (command === "ADD" || command === "CHECK" || command === "DEL") {
    if (containerId === "") needs.push("CNI_CONTAINERID");
    if (ifname === "") needs.push("CNI_IFNAME");
    if (command !== "DEL" && netns === "") needs.push("CNI_NETNS");
  }
  if (needs.length > 0) {
    throw envError(`Missing environment variables for ${command}: ${needs.join(", ")}`);
  }
  if (ifname !== "" && !IFNAME.test(ifname)) throw envError(`Invalid CNI_IFNAME "${ifname}"`);
  if (containerId !== "" && !/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(containerId)) {
    throw envError(`Invalid CNI_CONTAINERID "${containerId}"`);
  }
  return {
    command,
    containerId,
    netns,
    ifname,
    args: parseCniArgs(get("CNI_ARGS") ?? ""),
    path: (get("CNI_PATH") ?? "").split(":").filter((p) => p !== ""),
  };
}
