/**
 * Where a `pods/proxy`, `services/proxy` or `nodes/proxy` request goes, as kube-apiserver's
 * REST storage works it out (`ResourceLocation` of pods, services and nodes):
 *
 * - the name segment is `name`, `name:port` or `scheme:name:port`, the scheme `http`, `https`
 *   or empty (400 `invalid pod request "a:b:c:d"`, `invalid service request …`,
 *   `invalid node request …`);
 * - a pod: its first pod IP, which must be a global unicast address (400
 *   `address not allowed`), and the port asked for, else the first declared container port,
 *   else none (the scheme's default). The port is not looked up by name: upstream dials
 *   `ip:name`, which is no port;
 * - a Service: a port number is first turned into the name of the Service port with that
 *   number (503 `no service port 81 found for service "web"`); then the Service's Endpoints
 *   (404 when missing, 503 `no endpoints available for service "web"` when they have no
 *   subsets) are searched, from a random subset and address on, for a subset with an address
 *   and an endpoint port of that name, whose address belongs to a pod of the namespace that
 *   has that IP — addresses without a pod behind them (the `kubernetes` Service's) never
 *   qualify; none found is 503 `no endpoints available for service "web:http"` (the whole
 *   name segment, as upstream words it);
 * - a node: its kubelet (the preferred address, `status.daemonEndpoints`), which must be a
 *   proxyable address (400 `address not allowed`); without a port, or with the kubelet's
 *   port, the kubelet API over TLS with the API server's kubelet client certificate, else
 *   the asked port and scheme on the node's address, as for pods.
 *
 * @module
 */
import { isIP } from "node:net";
import { ApiError } from "../errors.ts";
import { KubeletAddressError, kubeletEndpoint } from "../kubelet_connection.ts";
import type { Node } from "../types/core_v1_node.ts";
import type { Pod } from "../types/core_v1_pod.ts";
import type { Endpoints, Service } from "../types/core_v1_service.ts";

/** The parts of a proxy request's name segment (upstream `SplitSchemeNamePort`). */
export interface ProxyId {
  /** `http`, `https` or "" (then http). */
  readonly scheme: "" | "http" | "https";
  readonly name: string;
  /** "" when none was given. */
  readonly port: string;
}

/**
 * Splits `name`, `name:port` or `scheme:name:port`; null when there are more parts, the name
 * is empty or the scheme is not `http` or `https`.
 */
export function splitSchemeNamePort(id: string): ProxyId | null {
  const parts = id.split(":");
  let scheme = "";
  let name: string;
  let port = "";
  switch (parts.length) {
    case 1:
      name = parts[0]!;
      break;
    case 2:
      name = parts[0]!;
      port = parts[1]!;
      break;
    case 3:
      scheme = parts[0]!;
      name = parts[1]!;
      port = parts[2]!;
      break;
    default:
      return null;
  }
  if (name === "" || (scheme !== "" && scheme !== "http" && scheme !== "https")) return null;
  return { scheme: scheme as ProxyId["scheme"], name, port };
}

/** Which transport carries a proxied request. */
export type ProxyTransportKind = "proxy" | "kubelet";

/** Where a proxied request goes. */
export interface ProxyLocation {
  readonly scheme: "http" | "https";
  /**
   * The URL authority as upstream builds it: `10.42.0.5:8080`, `[fd00::5]:8080`, or the IP
   * alone when no port is known (the scheme's default port is dialled).
   */
  readonly host: string;
  /** The address dialled. */
  readonly hostname: string;
  /**
   * The port dialled, as text: upstream puts whatever was asked in the URL; a port that is not
   * a number fails at the dial.
   */
  readonly port: string;
  /** `kubelet`: TLS with the API server's kubelet client certificate (nodes' kubelet port). */
  readonly transport: ProxyTransportKind;
}

/** `host:port`, IPv6 in brackets (Go's `net.JoinHostPort`). */
export function joinHostPort(host: string, port: string): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

function location(
  scheme: ProxyId["scheme"],
  target: {
    readonly hostname: string;
    readonly port: string;
    readonly transport?: ProxyTransportKind;
  },
): ProxyLocation {
  const s = scheme === "" ? "http" : scheme;
  const { hostname, port } = target;
  return {
    scheme: s,
    host: port === ""
      ? (hostname.includes(":") ? `[${hostname}]` : hostname)
      : joinHostPort(hostname, port),
    hostname,
    port: port === "" ? (s === "https" ? "443" : "80") : port,
    transport: target.transport ?? "proxy",
  };
}

/** The bytes of an IPv4 address, or null. */
function ipv4Bytes(text: string): number[] | null {
  if (isIP(text) !== 4) return null;
  return text.split(".").map(Number);
}

/** The 16 bytes of an IPv6 address, or null. */
function ipv6Bytes(text: string): number[] | null {
  if (isIP(text) !== 6) return null;
  let s = text.toLowerCase();
  const zone = s.indexOf("%");
  if (zone >= 0) s = s.slice(0, zone);
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(s);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    s = `${s.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const words = (part: string) => part === "" ? [] : part.split(":").map((w) => parseInt(w, 16));
  const halves = s.split("::");
  let all = words(halves[0]!);
  if (halves.length === 2) {
    const tail = words(halves[1]!);
    all = [...all, ...new Array<number>(8 - all.length - tail.length).fill(0), ...tail];
  }
  return all.flatMap((w) => [w >> 8, w & 0xff]);
}

/**
 * Whether `ip` is a global unicast address (Go's `IP.IsGlobalUnicast`): not unspecified,
 * loopback, multicast, link-local or the IPv4 broadcast address. Private ranges are global
 * unicast. False for anything that is not an IP.
 */
export function isGlobalUnicast(ip: string): boolean {
  let v4 = ipv4Bytes(ip);
  if (!v4) {
    const v6 = ipv6Bytes(ip);
    if (!v6) return false;
    const mapped = v6.slice(0, 10).every((b) => b === 0) && v6[10] === 0xff && v6[11] === 0xff;
    if (mapped) {
      v4 = v6.slice(12);
    } else {
      if (v6.every((b) => b === 0)) return false; // ::
      if (v6.slice(0, 15).every((b) => b === 0) && v6[15] === 1) return false; // ::1
      if (v6[0] === 0xff) return false; // multicast
      if (v6[0] === 0xfe && (v6[1]! & 0xc0) === 0x80) return false; // fe80::/10
      return true;
    }
  }
  const [a, b] = v4 as [number, number, number, number];
  if (v4.every((x) => x === 0) || v4.every((x) => x === 255)) return false;
  if (a === 127 || a >= 224 && a <= 239 || (a === 169 && b === 254)) return false;
  return true;
}

/** The first pod IP (upstream reads `status.podIPs` only). */
function podIP(pod: Pod): string {
  return pod.status?.podIPs?.[0]?.ip ?? "";
}

/** The first declared container port, as text; "" when no container declares one. */
function firstContainerPort(pod: Pod): string {
  for (const c of pod.spec?.containers ?? []) {
    const p = c.ports?.[0];
    if (p) return String(p.containerPort);
  }
  return "";
}

/**
 * Where a `pods/proxy` request with name segment `id` goes, given the pod it names.
 *
 * @throws {ApiError} 400 when the pod has no usable address.
 */
export function podProxyLocation(pod: Pod, id: ProxyId): ProxyLocation {
  const port = id.port === "" ? firstContainerPort(pod) : id.port;
  const ip = podIP(pod);
  if (!isGlobalUnicast(ip)) throw ApiError.badRequest("address not allowed");
  return location(id.scheme, { hostname: ip, port });
}

/** What {@linkcode serviceProxyLocation} reads. */
export interface ServiceProxyReaders {
  readonly getService: (namespace: string, name: string) => Promise<Service | undefined>;
  readonly getEndpoints: (namespace: string, name: string) => Promise<Endpoints | undefined>;
  readonly getPod: (namespace: string, name: string) => Promise<Pod | undefined>;
  /** A number in [0, 1), where upstream picks at random. @default {Math.random} */
  readonly random?: () => number;
}

/** Whether an endpoint address belongs to a pod of `namespace` with that IP (`isValidAddress`). */
async function isValidAddress(
  address: { readonly ip?: string; readonly targetRef?: { namespace?: string; name?: string } },
  context: { readonly namespace: string; readonly readers: ServiceProxyReaders },
): Promise<boolean> {
  const ref = address.targetRef;
  if (!ref || (ref.namespace ?? "") !== context.namespace) return false;
  const pod = await context.readers.getPod(context.namespace, ref.name ?? "");
  return (pod?.status?.podIPs ?? []).some((p) => p.ip === address.ip);
}

/**
 * Where a `services/proxy` request with name segment `id` (and its raw text, for the last
 * error) goes in `namespace`.
 *
 * @throws {ApiError} 404 for a missing Service (when a port number must be looked up) or
 *   Endpoints, 503 when no endpoint qualifies.
 */
export async function serviceProxyLocation(
  request: { readonly namespace: string; readonly id: ProxyId; readonly raw: string },
  readers: ServiceProxyReaders,
): Promise<ProxyLocation> {
  const { namespace, id } = request;
  const random = readers.random ?? Math.random;
  let portName = id.port;
  if (/^[+-]?\d+$/.test(portName)) {
    const number = Number(portName);
    const service = await readers.getService(namespace, id.name);
    if (!service) throw ApiError.notFound({ group: "", resource: "services" }, id.name);
    const found = (service.spec?.ports ?? []).find((p) => p.port === number);
    if (!found) {
      throw ApiError.unavailable(
        `no service port ${number} found for service ${JSON.stringify(id.name)}`,
      );
    }
    portName = found.name ?? "";
  }
  const endpoints = await readers.getEndpoints(namespace, id.name);
  if (!endpoints) throw ApiError.notFound({ group: "", resource: "endpoints" }, id.name);
  const subsets = endpoints.subsets ?? [];
  if (subsets.length === 0) {
    throw ApiError.unavailable(`no endpoints available for service ${JSON.stringify(id.name)}`);
  }
  const subsetSeed = Math.floor(random() * subsets.length);
  for (let i = 0; i < subsets.length; i++) {
    const subset = subsets[(subsetSeed + i) % subsets.length]!;
    const addresses = subset.addresses ?? [];
    if (addresses.length === 0) continue;
    for (const port of subset.ports ?? []) {
      if ((port.name ?? "") !== portName) continue;
      const addressSeed = Math.floor(random() * addresses.length);
      for (let t = 0; t < addresses.length; t++) {
        const address = addresses[(addressSeed + t) % addresses.length]!;
        if (!await isValidAddress(address, { namespace, readers })) continue;
        return location(id.scheme, { hostname: address.ip, port: String(port.port) });
      }
    }
  }
  throw ApiError.unavailable(`no endpoints available for service ${JSON.stringify(request.raw)}`);
}

/** Resolves a node's host name to its addresses (a node may list a `Hostname` only). */
export type HostResolver = (hostname: string) => Promise<readonly string[]>;

/**
 * Where a `nodes/proxy` request with name segment `id` goes, given the node it names.
 *
 * @throws {ApiError} 500 when the node lists no address, 400 when its address is not
 *   proxyable.
 */
export async function nodeProxyLocation(
  node: Node,
  options: { readonly id: ProxyId; readonly resolve: HostResolver },
): Promise<ProxyLocation> {
  const { id } = options;
  let kubelet;
  try {
    kubelet = kubeletEndpoint(node);
  } catch (err) {
    if (err instanceof KubeletAddressError) {
      throw new ApiError(err.message, { code: 500, reason: "", cause: err });
    }
    throw err;
  }
  let ips: readonly string[];
  if (isIP(kubelet.host) !== 0) {
    ips = [kubelet.host];
  } else {
    try {
      ips = await options.resolve(kubelet.host);
    } catch (err) {
      throw ApiError.badRequest(err instanceof Error ? err.message : String(err));
    }
  }
  if (ips.length === 0 || !ips.every(isGlobalUnicast)) {
    throw ApiError.badRequest("address not allowed");
  }
  const kubeletPort = String(kubelet.port);
  if (id.port === "" || id.port === kubeletPort) {
    return {
      scheme: "https",
      host: joinHostPort(kubelet.host, kubeletPort),
      hostname: kubelet.host,
      port: kubeletPort,
      transport: "kubelet",
    };
  }
  return location(id.scheme, { hostname: kubelet.host, port: id.port });
}
