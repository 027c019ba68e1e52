/**
 * {@linkcode readRouteState}: what the kernel holds of skiff's cross-node pod routing, read
 * with `ip -j` and `bridge -j` — the routes carrying skiff's protocol number and skiff's VXLAN
 * device with its addresses, neighbour and forwarding entries — as the `ObservedRoutes` that
 * `planRouteCommands` converges. An agent reads it at start (and after a failure) instead of
 * assuming a clean slate, so a restart keeps what works.
 *
 * @module
 */
import type { CommandRunner } from "../containerd/command_runner.ts";
import type { ObservedRoutes, ObservedVxlanDevice, PodRoute } from "./route_plan.ts";

/** Options of {@linkcode readRouteState}. */
export interface ReadRouteStateOptions {
  readonly runner: CommandRunner;
  /** The protocol number of skiff's routes. */
  readonly protocol: number;
  /** The VXLAN device's name. */
  readonly device: string;
}

interface LinkJson {
  readonly ifname?: string;
  readonly mtu?: number;
  readonly flags?: readonly string[];
  readonly address?: string;
  readonly linkinfo?: {
    readonly "info_kind"?: string;
    readonly "info_data"?: {
      readonly id?: number;
      readonly local?: string;
      readonly link?: string;
      readonly port?: number;
      readonly learning?: boolean;
    };
  };
  readonly "addr_info"?: readonly {
    readonly family?: string;
    readonly local?: string;
    readonly prefixlen?: number;
  }[];
}

interface RouteJson {
  readonly dst?: string;
  readonly gateway?: string;
  readonly dev?: string;
  readonly flags?: readonly string[];
}

interface NeighJson {
  readonly dst?: string;
  readonly lladdr?: string;
}

interface FdbJson {
  readonly mac?: string;
  readonly dst?: string;
}

async function runJson<T>(runner: CommandRunner, argv: readonly string[]): Promise<T[]> {
  const out = await runner.run(argv);
  if (out.code !== 0) {
    throw new Error(
      `Cannot read the pod routes: "${
        argv.join(" ")
      }" exited with ${out.code}: ${out.stderr.trim()}`,
    );
  }
  return JSON.parse(out.stdout.trim() || "[]") as T[];
}

/** The device, or `undefined` when it does not exist. */
async function readDevice(
  runner: CommandRunner,
  device: string,
): Promise<ObservedVxlanDevice | undefined> {
  const argv = ["ip", "-j", "-d", "addr", "show", "dev", device];
  const out = await runner.run(argv);
  if (out.code !== 0) {
    if (/does not exist|Cannot find device/.test(out.stderr)) return undefined;
    throw new Error(
      `Cannot read the pod routes: "${
        argv.join(" ")
      }" exited with ${out.code}: ${out.stderr.trim()}`,
    );
  }
  const link = (JSON.parse(out.stdout.trim() || "[]") as LinkJson[])[0];
  if (!link) return undefined;
  const data = link.linkinfo?.["info_data"];
  return {
    kind: link.linkinfo?.["info_kind"] ?? "",
    vni: data?.id,
    port: data?.port,
    local: data?.local,
    underlay: data?.link,
    learning: data?.learning,
    mtu: link.mtu,
    up: (link.flags ?? []).includes("UP"),
    mac: link.address,
    addresses: (link["addr_info"] ?? []).filter((a) => a.family === "inet" && a.local)
      .map((a) => `${a.local}/${a.prefixlen ?? 32}`),
  };
}

/** Reads skiff's routes and VXLAN device (see the module doc). */
export async function readRouteState(options: ReadRouteStateOptions): Promise<ObservedRoutes> {
  const { runner, device: name } = options;
  const routes: PodRoute[] = [];
  const shown = await runJson<RouteJson>(runner, [
    "ip",
    "-j",
    "-4",
    "route",
    "show",
    "table",
    "main",
    "proto",
    String(options.protocol),
  ]);
  for (const r of shown) {
    if (!r.dst || !r.gateway || !r.dev) continue;
    // A host route prints without its /32.
    const dst = r.dst.includes("/") ? r.dst : `${r.dst}/32`;
    routes.push({ dst, via: r.gateway, dev: r.dev, onlink: (r.flags ?? []).includes("onlink") });
  }
  const device = await readDevice(runner, name);
  if (!device) return { routes, neighbours: [], fdb: [] };
  const neighbours =
    (await runJson<NeighJson>(runner, ["ip", "-j", "-4", "neigh", "show", "dev", name]))
      .filter((n) => n.dst)
      .map((n) => ({ address: n.dst!, mac: n.lladdr }));
  const fdb = (await runJson<FdbJson>(runner, ["bridge", "-j", "fdb", "show", "dev", name]))
    .filter((e) => e.mac && e.dst)
    .map((e) => ({ mac: e.mac!, remote: e.dst! }));
  return { device, routes, neighbours, fdb };
}
