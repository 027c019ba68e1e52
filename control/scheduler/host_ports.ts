/**
 * Host ports in use on a node, by IP, protocol and port (upstream `framework.HostPortInfo`). An
 * empty IP means all addresses (`0.0.0.0`) and an empty protocol means TCP. A port bound on
 * `0.0.0.0` conflicts with the same protocol and port on any IP, and the reverse.
 *
 * @example Two pods asking for port 8080
 * ```ts
 * import assert from "node:assert/strict";
 * import { HostPortInfo } from "./host_ports.ts";
 *
 * const used = HostPortInfo.EMPTY.withPorts([{ hostIP: "10.0.0.1", protocol: "TCP", hostPort: 8080 }]);
 * assert.ok(used.conflicts({ hostPort: 8080 }));
 * assert.ok(!used.conflicts({ hostIP: "10.0.0.2", hostPort: 8080 }));
 * assert.ok(!used.conflicts({ hostPort: 8080, protocol: "UDP" }));
 * ```
 *
 * @module
 */
import type { Pod } from "../api/types/core_v1_pod.ts";

/** The IP a port without `hostIP` binds to. */
export const DEFAULT_BIND_ALL_HOST_IP = "0.0.0.0";

/** A host port a pod asks for. */
export interface HostPort {
  /** The host IP; empty or absent means `0.0.0.0`. */
  readonly hostIP?: string;
  /** `TCP` (the default), `UDP` or `SCTP`. */
  readonly protocol?: string;
  /** The port; 0 or less means none. */
  readonly hostPort: number;
}

function portKey(protocol: string | undefined, port: number): string {
  return `${protocol || "TCP"}/${port}`;
}

/** Host ports in use, immutable: {@linkcode HostPortInfo.withPorts} returns a new one. */
export class HostPortInfo {
  /** No ports in use. */
  static readonly EMPTY: HostPortInfo = new HostPortInfo(new Map());

  /** IP → `"PROTOCOL/port"` → how many pods use it. */
  readonly #byIp: ReadonlyMap<string, ReadonlyMap<string, number>>;

  /** Ports in use as built by {@linkcode HostPortInfo.withPorts}; use `EMPTY` to start. */
  constructor(byIp: ReadonlyMap<string, ReadonlyMap<string, number>> = new Map()) {
    this.#byIp = byIp;
  }

  /** Whether no port is in use. */
  get isEmpty(): boolean {
    return this.#byIp.size === 0;
  }

  /** These ports plus `ports` (ports of 0 or less are ignored). */
  withPorts(ports: readonly HostPort[]): HostPortInfo {
    return this.#change(ports, 1);
  }

  /** These ports minus `ports`, as counted by {@linkcode HostPortInfo.withPorts}. */
  withoutPorts(ports: readonly HostPort[]): HostPortInfo {
    return this.#change(ports, -1);
  }

  #change(ports: readonly HostPort[], delta: 1 | -1): HostPortInfo {
    const relevant = ports.filter((p) => p.hostPort > 0);
    if (relevant.length === 0) return this;
    const byIp = new Map<string, Map<string, number>>();
    for (const [ip, m] of this.#byIp) byIp.set(ip, new Map(m));
    for (const p of relevant) {
      const ip = p.hostIP || DEFAULT_BIND_ALL_HOST_IP;
      const key = portKey(p.protocol, p.hostPort);
      let m = byIp.get(ip);
      if (m === undefined) {
        if (delta < 0) continue;
        m = new Map();
        byIp.set(ip, m);
      }
      const count = (m.get(key) ?? 0) + delta;
      if (count > 0) m.set(key, count);
      else m.delete(key);
      if (m.size === 0) byIp.delete(ip);
    }
    return new HostPortInfo(byIp);
  }

  /**
   * Whether `port` conflicts with a port in use (upstream `CheckConflict`): on `0.0.0.0` it
   * conflicts with the same protocol and port on any IP; on another IP, with that IP or
   * `0.0.0.0`.
   */
  conflicts(port: HostPort): boolean {
    if (port.hostPort <= 0) return false;
    const ip = port.hostIP || DEFAULT_BIND_ALL_HOST_IP;
    const key = portKey(port.protocol, port.hostPort);
    if (ip === DEFAULT_BIND_ALL_HOST_IP) {
      for (const m of this.#byIp.values()) if (m.has(key)) return true;
      return false;
    }
    return (this.#byIp.get(DEFAULT_BIND_ALL_HOST_IP)?.has(key) ?? false) ||
      (this.#byIp.get(ip)?.has(key) ?? false);
  }

  /** The ports in use as `[ip, "PROTOCOL/port"]` pairs, for tests and debugging. */
  entries(): [string, string][] {
    const out: [string, string][] = [];
    for (const [ip, m] of this.#byIp) for (const key of m.keys()) out.push([ip, key]);
    return out.sort();
  }
}

/**
 * The host ports `pod` asks for (upstream `GetHostPorts`): those of restartable (sidecar) init
 * containers, which run for the pod's whole life, then those of the containers; only ports with
 * a `hostPort` above 0, with the IP and protocol defaulted (`0.0.0.0`, `TCP`).
 */
export function podHostPorts(pod: Pod): HostPort[] {
  const out: HostPort[] = [];
  const spec = pod.spec;
  if (spec === undefined) return out;
  const containers = [
    ...(spec.initContainers ?? []).filter((c) => c.restartPolicy === "Always"),
    ...spec.containers ?? [],
  ];
  for (const c of containers) {
    for (const p of c.ports ?? []) {
      const hostPort = p.hostPort ?? 0;
      if (hostPort <= 0) continue;
      out.push({
        hostIP: p.hostIP || DEFAULT_BIND_ALL_HOST_IP,
        protocol: p.protocol || "TCP",
        hostPort,
      });
    }
  }
  return out;
}
