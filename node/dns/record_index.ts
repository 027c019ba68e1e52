/**
 * {@linkcode ClusterRecordIndex}: what the cluster DNS knows of the API, kept in memory and
 * updated one object at a time from informer events (never rebuilt by scanning): Services by
 * namespace and name, each Service's published endpoints (merged from its EndpointSlices, by
 * hostname too), the namespaces that exist, and the reverse maps from ClusterIPs and endpoint
 * addresses to names.
 *
 * An endpoint is published when its `ready` condition is not false, or always when its Service
 * sets `publishNotReadyAddresses`. Its DNS hostname is its `hostname` (a StatefulSet pod, a pod
 * with `subdomain`) or else its address in dashed form (`10-42-0-5`), as CoreDNS names it.
 * Slices of type FQDN are ignored. Every name is kept in lower case.
 *
 * @module
 */
import type { Namespace } from "../../control/api/types/core_v1_namespace.ts";
import type { Service } from "../../control/api/types/core_v1_service.ts";
import { type EndpointSlice, LABEL_SERVICE_NAME } from "../../control/api/types/discovery_v1.ts";
import { type CanonicalIp, canonicalIp, dashedIp } from "./_ip.ts";

/** A port of a Service or of an EndpointSlice; `name` and `protocol` in lower case. */
export interface PortRecord {
  readonly name: string;
  readonly protocol: string;
  readonly port: number;
}

/** How a Service is answered. */
export type ServiceKind = "ClusterIP" | "Headless" | "ExternalName";

/** A Service as the cluster DNS needs it. */
export interface ServiceEntry {
  readonly namespace: string;
  readonly name: string;
  readonly kind: ServiceKind;
  /** ClusterIPs by family (empty for headless and ExternalName Services). */
  readonly ipv4: readonly string[];
  readonly ipv6: readonly string[];
  /** The CNAME target of an ExternalName Service, lower case without the trailing dot. */
  readonly externalName: string;
  readonly ports: readonly PortRecord[];
  readonly publishNotReadyAddresses: boolean;
}

/** One published endpoint address of a Service. */
export interface EndpointEntry {
  readonly ip: CanonicalIp;
  /** The DNS label naming it: its hostname, else its dashed address. */
  readonly host: string;
  /** The ports of the slice(s) it came from. */
  readonly ports: readonly PortRecord[];
}

/** The published endpoints of one Service. */
export interface ServiceEndpoints {
  /** Deduplicated by address and host, in slice order. */
  readonly all: readonly EndpointEntry[];
  readonly byHost: ReadonlyMap<string, readonly EndpointEntry[]>;
  /** The distinct addresses by family. */
  readonly ipv4: readonly string[];
  readonly ipv6: readonly string[];
}

/** A name a reverse (PTR) lookup points to: `<host>.<service>.<namespace>` (`host` optional). */
export interface PtrTarget {
  readonly namespace: string;
  readonly service: string;
  /** Set for an endpoint address, unset for a ClusterIP. */
  readonly host?: string;
}

interface SliceEndpoint {
  readonly ips: readonly CanonicalIp[];
  readonly hostname: string;
  readonly ready: boolean;
}

interface SliceEntry {
  /** `namespace/service` of the Service the slice belongs to. */
  readonly serviceKey: string;
  readonly endpoints: readonly SliceEndpoint[];
  readonly ports: readonly PortRecord[];
}

const EMPTY_ENDPOINTS: ServiceEndpoints = Object.freeze({
  all: [],
  byHost: new Map(),
  ipv4: [],
  ipv6: [],
});

function keyOf(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

function lower(s: string | undefined): string {
  return (s ?? "").toLowerCase();
}

function toServiceEntry(svc: Service): ServiceEntry {
  const spec = svc.spec ?? {};
  const type = spec.type ?? "ClusterIP";
  const kind: ServiceKind = type === "ExternalName"
    ? "ExternalName"
    : spec.clusterIP === "None"
    ? "Headless"
    : "ClusterIP";
  const ipv4: string[] = [];
  const ipv6: string[] = [];
  if (kind === "ClusterIP") {
    const ips = spec.clusterIPs?.length ? spec.clusterIPs : spec.clusterIP ? [spec.clusterIP] : [];
    for (const raw of ips) {
      const ip = canonicalIp(raw);
      if (!ip) continue;
      const list = ip.family === 4 ? ipv4 : ipv6;
      if (!list.includes(ip.text)) list.push(ip.text);
    }
  }
  return {
    namespace: lower(svc.metadata?.namespace || "default"),
    name: lower(svc.metadata?.name),
    kind,
    ipv4,
    ipv6,
    externalName: lower(spec.externalName).replace(/\.$/, ""),
    ports: (spec.ports ?? []).map((p) => ({
      name: lower(p.name),
      protocol: lower(p.protocol ?? "TCP"),
      port: p.port,
    })),
    publishNotReadyAddresses: spec.publishNotReadyAddresses === true,
  };
}

function toSliceEntry(slice: EndpointSlice): SliceEntry | undefined {
  const service = slice.metadata?.labels?.[LABEL_SERVICE_NAME];
  if (!service || slice.addressType === "FQDN") return undefined;
  const namespace = lower(slice.metadata?.namespace || "default");
  return {
    serviceKey: keyOf(namespace, lower(service)),
    endpoints: (slice.endpoints ?? []).map((e) => ({
      ips: e.addresses.map((a) => canonicalIp(a)).filter((ip): ip is CanonicalIp =>
        ip !== undefined
      ),
      hostname: lower(e.hostname),
      ready: e.conditions?.ready !== false,
    })),
    ports: (slice.ports ?? []).map((p) => ({
      name: lower(p.name),
      protocol: lower(p.protocol ?? "TCP"),
      port: p.port ?? 0,
    })),
  };
}

function samePort(a: PortRecord, b: PortRecord): boolean {
  return a.name === b.name && a.protocol === b.protocol && a.port === b.port;
}

/** The in-memory DNS view of the cluster (see the module doc). */
export class ClusterRecordIndex {
  readonly #services = new Map<string, ServiceEntry>();
  readonly #slices = new Map<string, SliceEntry>();
  readonly #slicesByService = new Map<string, Set<string>>();
  readonly #endpoints = new Map<string, ServiceEndpoints>();
  readonly #namespaces = new Set<string>();
  /** ClusterIP → the Services holding it (normally one). */
  readonly #clusterIpOwners = new Map<string, Set<string>>();
  /** Endpoint address → Service key → hosts. */
  readonly #endpointOwners = new Map<string, Map<string, string[]>>();
  #changes = 0;

  /** How many changes the index has taken (a SOA serial source and a cache generation). */
  get changes(): number {
    return this.#changes;
  }

  /** The number of Services indexed. */
  get serviceCount(): number {
    return this.#services.size;
  }

  /** Adds or replaces a Service. */
  setService(svc: Service): void {
    const entry = toServiceEntry(svc);
    const key = keyOf(entry.namespace, entry.name);
    const old = this.#services.get(key);
    if (old) this.#unindexClusterIps(key, old);
    this.#services.set(key, entry);
    this.#indexClusterIps(key, entry);
    // Which endpoints are published depends on the kind and publishNotReadyAddresses.
    this.#rebuildEndpoints(key);
    this.#changes++;
  }

  /** Removes a Service (its slices stay, as in the API, until they are deleted). */
  deleteService(svc: Service): void {
    const key = keyOf(lower(svc.metadata?.namespace || "default"), lower(svc.metadata?.name));
    const old = this.#services.get(key);
    if (!old) return;
    this.#unindexClusterIps(key, old);
    this.#services.delete(key);
    this.#rebuildEndpoints(key);
    this.#changes++;
  }

  /** Adds or replaces an EndpointSlice. */
  setEndpointSlice(slice: EndpointSlice): void {
    const sliceKey = keyOf(
      lower(slice.metadata?.namespace || "default"),
      slice.metadata?.name ?? "",
    );
    const old = this.#slices.get(sliceKey);
    const entry = toSliceEntry(slice);
    if (old) this.#detachSlice(sliceKey, old);
    if (entry) {
      this.#slices.set(sliceKey, entry);
      let keys = this.#slicesByService.get(entry.serviceKey);
      if (!keys) this.#slicesByService.set(entry.serviceKey, keys = new Set());
      keys.add(sliceKey);
      this.#rebuildEndpoints(entry.serviceKey);
    }
    if (old && old.serviceKey !== entry?.serviceKey) this.#rebuildEndpoints(old.serviceKey);
    this.#changes++;
  }

  /** Removes an EndpointSlice. */
  deleteEndpointSlice(slice: EndpointSlice): void {
    const sliceKey = keyOf(
      lower(slice.metadata?.namespace || "default"),
      slice.metadata?.name ?? "",
    );
    const old = this.#slices.get(sliceKey);
    if (!old) return;
    this.#detachSlice(sliceKey, old);
    this.#rebuildEndpoints(old.serviceKey);
    this.#changes++;
  }

  /** Records that a namespace exists. */
  setNamespace(ns: Namespace): void {
    this.#namespaces.add(lower(ns.metadata?.name));
    this.#changes++;
  }

  /** Records that a namespace is gone. */
  deleteNamespace(ns: Namespace): void {
    this.#namespaces.delete(lower(ns.metadata?.name));
    this.#changes++;
  }

  /** Whether namespace `name` (lower case) exists. */
  hasNamespace(name: string): boolean {
    return this.#namespaces.has(name);
  }

  /** The Service `namespace/name` (lower case), if any. */
  service(namespace: string, name: string): ServiceEntry | undefined {
    return this.#services.get(keyOf(namespace, name));
  }

  /** The published endpoints of the Service `namespace/name` (lower case). */
  endpoints(namespace: string, name: string): ServiceEndpoints {
    return this.#endpoints.get(keyOf(namespace, name)) ?? EMPTY_ENDPOINTS;
  }

  /**
   * The names address `ip` (canonical text) has: the Service holding it as a ClusterIP if any
   * (one name), else every published endpoint with that address.
   */
  ptrTargets(ip: string): PtrTarget[] {
    const owners = this.#clusterIpOwners.get(ip);
    if (owners) {
      for (const key of owners) {
        const svc = this.#services.get(key);
        if (svc) return [{ namespace: svc.namespace, service: svc.name }];
      }
    }
    const eps = this.#endpointOwners.get(ip);
    if (!eps) return [];
    const out: PtrTarget[] = [];
    for (const [key, hosts] of eps) {
      const [namespace, service] = key.split("/") as [string, string];
      for (const host of hosts) out.push({ namespace, service, host });
    }
    return out;
  }

  #indexClusterIps(key: string, entry: ServiceEntry): void {
    for (const ip of [...entry.ipv4, ...entry.ipv6]) {
      let owners = this.#clusterIpOwners.get(ip);
      if (!owners) this.#clusterIpOwners.set(ip, owners = new Set());
      owners.add(key);
    }
  }

  #unindexClusterIps(key: string, entry: ServiceEntry): void {
    for (const ip of [...entry.ipv4, ...entry.ipv6]) {
      const owners = this.#clusterIpOwners.get(ip);
      owners?.delete(key);
      if (owners?.size === 0) this.#clusterIpOwners.delete(ip);
    }
  }

  #detachSlice(sliceKey: string, old: SliceEntry): void {
    this.#slices.delete(sliceKey);
    const keys = this.#slicesByService.get(old.serviceKey);
    keys?.delete(sliceKey);
    if (keys?.size === 0) this.#slicesByService.delete(old.serviceKey);
  }

  /** Recomputes one Service's published endpoints and their reverse entries. */
  #rebuildEndpoints(serviceKey: string): void {
    const previous = this.#endpoints.get(serviceKey);
    if (previous) {
      for (const e of previous.all) {
        const owners = this.#endpointOwners.get(e.ip.text);
        owners?.delete(serviceKey);
        if (owners?.size === 0) this.#endpointOwners.delete(e.ip.text);
      }
    }
    const svc = this.#services.get(serviceKey);
    const sliceKeys = this.#slicesByService.get(serviceKey);
    if (!svc || svc.kind === "ExternalName" || !sliceKeys) {
      this.#endpoints.delete(serviceKey);
      return;
    }
    const all: EndpointEntry[] = [];
    const seen = new Map<string, EndpointEntry>();
    for (const sliceKey of sliceKeys) {
      const slice = this.#slices.get(sliceKey)!;
      for (const e of slice.endpoints) {
        if (!e.ready && !svc.publishNotReadyAddresses) continue;
        for (const ip of e.ips) {
          const host = e.hostname || dashedIp(ip);
          const id = `${ip.text} ${host}`;
          const had = seen.get(id);
          if (had) {
            const ports = [...had.ports];
            for (const p of slice.ports) if (!ports.some((q) => samePort(p, q))) ports.push(p);
            const merged = { ip, host, ports };
            seen.set(id, merged);
            all[all.indexOf(had)] = merged;
            continue;
          }
          const entry = { ip, host, ports: slice.ports };
          seen.set(id, entry);
          all.push(entry);
        }
      }
    }
    if (all.length === 0) {
      this.#endpoints.delete(serviceKey);
      return;
    }
    const byHost = new Map<string, EndpointEntry[]>();
    const ipv4 = new Set<string>();
    const ipv6 = new Set<string>();
    for (const e of all) {
      const list = byHost.get(e.host);
      if (list) list.push(e);
      else byHost.set(e.host, [e]);
      (e.ip.family === 4 ? ipv4 : ipv6).add(e.ip.text);
      let owners = this.#endpointOwners.get(e.ip.text);
      if (!owners) this.#endpointOwners.set(e.ip.text, owners = new Map());
      const hosts = owners.get(serviceKey);
      if (hosts) {
        if (!hosts.includes(e.host)) hosts.push(e.host);
      } else owners.set(serviceKey, [e.host]);
    }
    this.#endpoints.set(serviceKey, { all, byHost, ipv4: [...ipv4], ipv6: [...ipv6] });
  }
}
