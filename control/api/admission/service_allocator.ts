/**
 * ClusterIP and NodePort allocation for Services, as kube-apiserver's service registry does it:
 * a Service without a clusterIP gets a free address of the service CIDR (dynamic allocations
 * prefer the range above the static band, so addresses users pick — the `kubernetes` Service's
 * first address, the cluster DNS address — stay free), one with an explicit clusterIP gets it
 * if it is in range and free, `None` is headless; NodePort and LoadBalancer ports get node
 * ports from 30000–32767. Reservations a failed or dry-run write made are released; deletes
 * release what the Service held. Errors are upstream's 422 texts.
 *
 * The allocation state is rebuilt from the stored Services on first use.
 *
 * @module
 */
import type { Storage } from "../../storage/types.ts";
import { ApiError } from "../errors.ts";
import { decodeStored } from "../store/object_codec.ts";
import type { KubeObject } from "../types/meta_v1.ts";
import { type FieldError, FieldPath, invalid } from "../validation/field_errors.ts";
import type { AdmissionAttributes, AdmissionPlugin } from "./admission.ts";

/** An IPv4 range. */
interface Ipv4Range {
  readonly base: number;
  readonly size: number;
  readonly text: string;
}

function parseIpv4(ip: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return null;
  return ((parts[0]! << 24) >>> 0) + (parts[1]! << 16) + (parts[2]! << 8) + parts[3]!;
}

function formatIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

/** Parses an IPv4 CIDR. */
export function parseServiceCidr(cidr: string): Ipv4Range {
  const [ip = "", bits = ""] = cidr.split("/");
  const base = parseIpv4(ip);
  const prefix = Number(bits);
  if (base === null || !Number.isInteger(prefix) || prefix < 8 || prefix > 30) {
    throw new TypeError(`Cannot use service CIDR "${cidr}": expected an IPv4 CIDR from /8 to /30`);
  }
  const size = 2 ** (32 - prefix);
  return { base: base - (base % size), size, text: cidr };
}

/** The first usable address of a range: the `kubernetes` Service's address. */
export function firstServiceIp(cidr: string): string {
  return formatIpv4(parseServiceCidr(cidr).base + 1);
}

/** The lowest node port. */
export const NODE_PORT_MIN = 30000;
/** The highest node port. */
export const NODE_PORT_MAX = 32767;

interface Reservation {
  ips: string[];
  ports: number[];
}

interface ServiceSpec {
  type?: string;
  clusterIP?: string;
  clusterIPs?: string[];
  ports?: { nodePort?: number; port?: number }[];
  healthCheckNodePort?: number;
  externalTrafficPolicy?: string;
}

function specOf(obj: KubeObject | undefined): ServiceSpec {
  return (obj?.spec ?? {}) as ServiceSpec;
}

function needsNodePorts(spec: ServiceSpec): boolean {
  return spec.type === "NodePort" || spec.type === "LoadBalancer";
}

/** Options of {@linkcode ServiceAllocator}. */
export interface ServiceAllocatorOptions {
  readonly storage: Storage;
  readonly serviceCidr: string;
  /** Picks among free candidates (tests pin it). @default {Math.random} */
  readonly random?: () => number;
}

/** The ClusterIP/NodePort allocator, as an admission plugin. */
export class ServiceAllocator implements AdmissionPlugin {
  readonly name = "ServiceAllocator";
  readonly #storage: Storage;
  readonly #range: Ipv4Range;
  readonly #random: () => number;
  readonly #ips = new Set<number>();
  readonly #ports = new Set<number>();
  readonly #pending = new WeakMap<AdmissionAttributes, Reservation>();
  #loaded: Promise<void> | null = null;

  constructor(options: ServiceAllocatorOptions) {
    this.#storage = options.storage;
    this.#range = parseServiceCidr(options.serviceCidr);
    this.#random = options.random ?? Math.random;
  }

  #load(): Promise<void> {
    this.#loaded ??= (async () => {
      const page = await this.#storage.list("/registry/services/");
      for (const kv of page.items) this.#hold(decodeStored(kv.value, kv.modRevision));
    })();
    this.#loaded.catch(() => this.#loaded = null);
    return this.#loaded;
  }

  #hold(svc: KubeObject): void {
    const spec = specOf(svc);
    for (const ip of spec.clusterIPs ?? (spec.clusterIP ? [spec.clusterIP] : [])) {
      const n = parseIpv4(ip);
      if (n !== null) this.#ips.add(n);
    }
    for (const p of spec.ports ?? []) if (p.nodePort) this.#ports.add(p.nodePort);
    if (spec.healthCheckNodePort) this.#ports.add(spec.healthCheckNodePort);
  }

  #release(r: Reservation): void {
    for (const ip of r.ips) {
      const n = parseIpv4(ip);
      if (n !== null) this.#ips.delete(n);
    }
    for (const p of r.ports) this.#ports.delete(p);
  }

  /** The static band at the bottom of the range, as upstream (16–256 addresses). */
  #staticBand(): number {
    return Math.min(Math.max(16, Math.floor(this.#range.size / 16)), 256);
  }

  #allocateIp(): string | null {
    const first = this.#range.base + 1;
    const last = this.#range.base + this.#range.size - 2;
    const band = first + this.#staticBand();
    const pick = (lo: number, hi: number): number | null => {
      const count = hi - lo + 1;
      if (count <= 0) return null;
      const start = Math.floor(this.#random() * count);
      for (let i = 0; i < count; i++) {
        const n = lo + ((start + i) % count);
        if (!this.#ips.has(n)) return n;
      }
      return null;
    };
    const n = pick(Math.min(band, last), last) ?? pick(first, last);
    if (n === null) return null;
    this.#ips.add(n);
    return formatIpv4(n);
  }

  #allocatePort(): number | null {
    const count = NODE_PORT_MAX - NODE_PORT_MIN + 1;
    const start = Math.floor(this.#random() * count);
    for (let i = 0; i < count; i++) {
      const p = NODE_PORT_MIN + ((start + i) % count);
      if (!this.#ports.has(p)) {
        this.#ports.add(p);
        return p;
      }
    }
    return null;
  }

  #claimIp(ip: string, r: Reservation, errs: FieldError[]): void {
    const path = new FieldPath("spec").child("clusterIPs");
    const n = parseIpv4(ip);
    if (n === null) return; // the strategy reports malformed addresses
    const { base, size } = this.#range;
    if (n <= base || n >= base + size - 1) {
      errs.push(invalid(path, {
        value: [ip],
        detail:
          `failed to allocate IP ${ip}: the provided IP (${ip}) is not in the valid range. The range of valid IPs is ${this.#range.text}`,
      }));
      return;
    }
    if (this.#ips.has(n)) {
      errs.push(invalid(path, {
        value: [ip],
        detail: `failed to allocate IP ${ip}: provided IP is already allocated`,
      }));
      return;
    }
    this.#ips.add(n);
    r.ips.push(ip);
  }

  #claimPort(port: number, path: FieldPath, r: Reservation, errs: FieldError[]): void {
    if (port < NODE_PORT_MIN || port > NODE_PORT_MAX) {
      errs.push(invalid(path, {
        value: port,
        detail:
          `provided port is not in the valid range. The range of valid ports is ${NODE_PORT_MIN}-${NODE_PORT_MAX}`,
      }));
      return;
    }
    if (this.#ports.has(port)) {
      errs.push(invalid(path, { value: port, detail: "provided port is already allocated" }));
      return;
    }
    this.#ports.add(port);
    r.ports.push(port);
  }

  async admit(a: AdmissionAttributes): Promise<void> {
    if (a.def.group !== "" || a.def.resource !== "services" || a.subresource !== "") return;
    if (a.operation !== "CREATE" && a.operation !== "UPDATE") return;
    await this.#load();
    const svc = a.object!;
    const spec = (svc.spec ??= {}) as ServiceSpec;
    const old = a.operation === "UPDATE" ? specOf(a.oldObject) : undefined;
    const r: Reservation = { ips: [], ports: [] };
    const errs: FieldError[] = [];
    const path = new FieldPath("spec");

    if (spec.type === "ExternalName") {
      // No address; a previous one is released when the update commits.
    } else if (old && (old.clusterIP ?? "") !== "" && old.type !== "ExternalName") {
      // Addresses never change; an update that leaves them out keeps them.
      if (!spec.clusterIP) spec.clusterIP = old.clusterIP!;
      if (!spec.clusterIPs?.length) spec.clusterIPs = old.clusterIPs ?? [old.clusterIP!];
    } else if (spec.clusterIP === "None") {
      spec.clusterIPs = ["None"];
    } else if (spec.clusterIP) {
      this.#claimIp(spec.clusterIP, r, errs);
      spec.clusterIPs = [spec.clusterIP];
    } else {
      const ip = this.#allocateIp();
      if (ip === null) {
        this.#release(r);
        throw ApiError.internal(new Error(`failed to allocate a serviceIP: range is full`));
      }
      r.ips.push(ip);
      spec.clusterIP = ip;
      spec.clusterIPs = [ip];
    }

    if (needsNodePorts(spec)) {
      const held = new Set<number>();
      for (const p of old?.ports ?? []) if (p.nodePort) held.add(p.nodePort);
      (spec.ports ?? []).forEach((p, i) => {
        const oldPort = old?.ports?.find((o) => o.port === p.port)?.nodePort;
        if (!p.nodePort && oldPort && needsNodePorts(old!)) p.nodePort = oldPort;
        if (p.nodePort) {
          if (!held.has(p.nodePort)) {
            this.#claimPort(p.nodePort, path.child("ports").index(i).child("nodePort"), r, errs);
          }
          return;
        }
        const port = this.#allocatePort();
        if (port === null) {
          errs.push(invalid(path.child("ports").index(i).child("nodePort"), {
            value: 0,
            detail: "range is full",
          }));
          return;
        }
        r.ports.push(port);
        p.nodePort = port;
      });
      if (spec.type === "LoadBalancer" && spec.externalTrafficPolicy === "Local") {
        if (!spec.healthCheckNodePort) {
          const port = old?.healthCheckNodePort ?? this.#allocatePort();
          if (port !== null) {
            spec.healthCheckNodePort = port;
            if (port !== old?.healthCheckNodePort) r.ports.push(port);
          }
        } else if (spec.healthCheckNodePort !== old?.healthCheckNodePort) {
          this.#claimPort(spec.healthCheckNodePort, path.child("healthCheckNodePort"), r, errs);
        }
      }
    } else {
      for (const p of spec.ports ?? []) delete p.nodePort;
      delete spec.healthCheckNodePort;
    }

    if (errs.length > 0) {
      this.#release(r);
      throw ApiError.invalid({ group: "", kind: "Service" }, { name: a.name, errors: errs });
    }
    this.#pending.set(a, r);
  }

  committed(a: AdmissionAttributes, ok: boolean): void {
    if (a.def.group !== "" || a.def.resource !== "services" || a.subresource !== "") return;
    const r = this.#pending.get(a);
    this.#pending.delete(a);
    if (!ok || a.dryRun) {
      if (r) this.#release(r);
      return;
    }
    if (a.operation === "DELETE" && a.oldObject) {
      const spec = specOf(a.oldObject);
      this.#release({
        ips: spec.clusterIPs ?? (spec.clusterIP ? [spec.clusterIP] : []),
        ports: [
          ...(spec.ports ?? []).map((p) => p.nodePort ?? 0).filter((p) => p > 0),
          ...(spec.healthCheckNodePort ? [spec.healthCheckNodePort] : []),
        ],
      });
      return;
    }
    if (a.operation === "UPDATE" && a.oldObject && a.object) {
      // Release what the old version held and the new one no longer does.
      const before = specOf(a.oldObject);
      const after = specOf(a.object);
      const keptPorts = new Set((after.ports ?? []).map((p) => p.nodePort));
      if (after.healthCheckNodePort) keptPorts.add(after.healthCheckNodePort);
      const ips = after.type === "ExternalName" ? before.clusterIPs ?? [] : [];
      const ports = [
        ...(before.ports ?? []).map((p) => p.nodePort ?? 0),
        before.healthCheckNodePort ?? 0,
      ].filter((p) => p > 0 && !keptPorts.has(p));
      this.#release({ ips: ips.filter((ip) => ip !== "None"), ports });
    }
  }
}
