/**
 * What the kernel must hold for pod traffic to reach other nodes, and the `ip` / `bridge`
 * commands that take it there from what it holds now ({@linkcode planRouteCommands}): pure,
 * so every backend's exact argv is tested without root.
 *
 * Only skiff's own state is ever touched: routes carrying skiff's route protocol number
 * (`proto N`, see `ROUTES_PROTOCOL`), and the VXLAN device skiff creates with everything on
 * it (its address, neighbour and forwarding-database entries). What already matches is left
 * alone, so an agent restarting over a working network changes nothing.
 *
 * The VXLAN layout is flannel's: each node has a VXLAN device whose address is the network
 * address of its pod CIDR (`10.42.1.0/32`); for a peer with pod CIDR `10.42.2.0/24`, VTEP MAC
 * `M` and node address `P` there is a forwarding entry `M → P`, a permanent neighbour entry
 * `10.42.2.0 → M` and a route `10.42.2.0/24 via 10.42.2.0 dev <vxlan> onlink`.
 *
 * @example Route a new peer over host-gw
 * ```ts
 * import assert from "node:assert/strict";
 * import { planRouteCommands } from "./route_plan.ts";
 *
 * const commands = planRouteCommands({
 *   desired: {
 *     routes: [{ dst: "10.42.2.0/24", via: "192.168.1.12", dev: "eth0", onlink: false }],
 *     vteps: [],
 *   },
 *   observed: { routes: [], neighbours: [], fdb: [] },
 * }, { protocol: 73, device: "skiff.vxlan" });
 * assert.deepEqual(commands, [
 *   ["ip", "route", "replace", "10.42.2.0/24", "via", "192.168.1.12", "dev", "eth0", "proto", "73"],
 * ]);
 * ```
 *
 * @module
 */

/** The VXLAN device a node should have. */
export interface VxlanDevice {
  /** The VXLAN network identifier. */
  readonly vni: number;
  /** The UDP port (8472, the Linux default flannel uses). */
  readonly port: number;
  /** The node's own address, the tunnels' local end. */
  readonly local: string;
  /** The interface holding `local`, the device's underlay. */
  readonly underlay: string;
  readonly mtu: number;
  /** The device's address (no prefix; it is a /32): the node's pod CIDR network address. */
  readonly address: string;
}

/** A route to another node's pods. */
export interface PodRoute {
  /** The peer's pod CIDR. */
  readonly dst: string;
  readonly via: string;
  readonly dev: string;
  readonly onlink: boolean;
}

/** One VXLAN peer: its VTEP address and MAC, and the node address to tunnel to. */
export interface VtepEntry {
  readonly address: string;
  readonly mac: string;
  readonly remote: string;
}

/** The state wanted. */
export interface DesiredRoutes {
  /** The VXLAN device; absent: skiff's VXLAN device must not exist (host-gw). */
  readonly vxlan?: VxlanDevice;
  readonly routes: readonly PodRoute[];
  /** VXLAN peers (empty without `vxlan`). */
  readonly vteps: readonly VtepEntry[];
}

/** skiff's VXLAN device as the kernel shows it. */
export interface ObservedVxlanDevice {
  /** The link kind: `vxlan`, or another if an interface of another kind has the name. */
  readonly kind: string;
  readonly vni?: number | undefined;
  readonly port?: number | undefined;
  readonly local?: string | undefined;
  readonly underlay?: string | undefined;
  readonly learning?: boolean | undefined;
  readonly mtu?: number | undefined;
  readonly up: boolean;
  readonly mac?: string | undefined;
  /** Its IPv4 addresses, `a.b.c.d/len`. */
  readonly addresses: readonly string[];
}

/** What the kernel holds now. */
export interface ObservedRoutes {
  readonly device?: ObservedVxlanDevice;
  /** Routes with skiff's protocol number. */
  readonly routes: readonly PodRoute[];
  /** Neighbour entries on the VXLAN device (`mac` unset for incomplete ones). */
  readonly neighbours: readonly { readonly address: string; readonly mac?: string | undefined }[];
  /** Forwarding entries with a remote on the VXLAN device. */
  readonly fdb: readonly { readonly mac: string; readonly remote: string }[];
}

/** The two states {@linkcode planRouteCommands} compares. */
export interface RouteStates {
  readonly desired: DesiredRoutes;
  readonly observed: ObservedRoutes;
}

/** Options of {@linkcode planRouteCommands}. */
export interface RoutePlanOptions {
  /** The route protocol number marking skiff's routes. */
  readonly protocol: number;
  /** The VXLAN device's name. */
  readonly device: string;
}

function sameRoute(a: PodRoute, b: PodRoute): boolean {
  return a.via === b.via && a.dev === b.dev && a.onlink === b.onlink;
}

/** Whether the observed device is the one wanted, up to MTU, state and addresses. */
function deviceMatches(have: ObservedVxlanDevice, want: VxlanDevice): boolean {
  return have.kind === "vxlan" && have.vni === want.vni && have.port === want.port &&
    have.local === want.local && have.underlay === want.underlay && have.learning === false;
}

/**
 * The commands, in order, that turn `states.observed` into `states.desired` (see the module doc): stale
 * routes go first, then the device is created or fixed, stale neighbour and forwarding
 * entries go, and missing or changed entries and routes are written with `replace`.
 */
export function planRouteCommands(states: RouteStates, options: RoutePlanOptions): string[][] {
  const { desired, observed } = states;
  const proto = String(options.protocol);
  const name = options.device;
  const out: string[][] = [];
  let device = observed.device;
  let neighbours = observed.neighbours;
  let fdb = observed.fdb;
  let routes = observed.routes;
  const recreate = device !== undefined &&
    (desired.vxlan === undefined || !deviceMatches(device, desired.vxlan));
  if (recreate) {
    // Deleting the device takes its entries and its routes with it.
    routes = routes.filter((r) => r.dev !== name);
    neighbours = [];
    fdb = [];
  }

  const wanted = new Map(desired.routes.map((r) => [r.dst, r]));
  for (const route of routes) {
    if (!wanted.has(route.dst)) out.push(["ip", "route", "del", route.dst, "proto", proto]);
  }

  if (recreate) {
    out.push(["ip", "link", "del", name]);
    device = undefined;
  }
  const vxlan = desired.vxlan;
  if (vxlan) {
    if (device === undefined) {
      out.push([
        "ip",
        "link",
        "add",
        name,
        "type",
        "vxlan",
        "id",
        String(vxlan.vni),
        "local",
        vxlan.local,
        "dev",
        vxlan.underlay,
        "dstport",
        String(vxlan.port),
        "nolearning",
      ]);
    }
    if (device === undefined || device.mtu !== vxlan.mtu || !device.up) {
      out.push(["ip", "link", "set", name, "mtu", String(vxlan.mtu), "up"]);
    }
    const address = `${vxlan.address}/32`;
    for (const a of device?.addresses ?? []) {
      if (a !== address) out.push(["ip", "addr", "del", a, "dev", name]);
    }
    if (!(device?.addresses ?? []).includes(address)) {
      out.push(["ip", "addr", "add", address, "dev", name]);
    }

    const wantFdb = new Map(desired.vteps.map((v) => [v.mac, v.remote]));
    const wantNeigh = new Map(desired.vteps.map((v) => [v.address, v.mac]));
    for (const entry of fdb) {
      if (wantFdb.get(entry.mac) !== entry.remote) {
        out.push(["bridge", "fdb", "del", entry.mac, "dev", name, "dst", entry.remote, "self"]);
      }
    }
    for (const entry of neighbours) {
      if (!wantNeigh.has(entry.address)) {
        out.push(["ip", "neigh", "del", entry.address, "dev", name]);
      }
    }
    for (const vtep of desired.vteps) {
      if (!fdb.some((e) => e.mac === vtep.mac && e.remote === vtep.remote)) {
        out.push([
          "bridge",
          "fdb",
          "replace",
          vtep.mac,
          "dev",
          name,
          "dst",
          vtep.remote,
          "self",
          "permanent",
        ]);
      }
      if (!neighbours.some((e) => e.address === vtep.address && e.mac === vtep.mac)) {
        out.push([
          "ip",
          "neigh",
          "replace",
          vtep.address,
          "lladdr",
          vtep.mac,
          "dev",
          name,
          "nud",
          "permanent",
        ]);
      }
    }
  }

  const have = new Map(routes.map((r) => [r.dst, r]));
  for (const route of desired.routes) {
    const current = have.get(route.dst);
    if (current && sameRoute(current, route)) continue;
    out.push([
      "ip",
      "route",
      "replace",
      route.dst,
      "via",
      route.via,
      "dev",
      route.dev,
      ...(route.onlink ? ["onlink"] : []),
      "proto",
      proto,
    ]);
  }
  return out;
}
