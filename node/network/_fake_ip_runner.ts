/**
 * A test double of the kernel as `ip` and `bridge` show it, for the commands cross-node
 * routing runs: one link with the node's address (and a second net reached via a gateway),
 * the VXLAN device, routes with their protocol, neighbour and forwarding entries. It records
 * every command and answers `-j` reads in iproute2's JSON shapes.
 *
 * @module
 */
import type { CommandResult, CommandRunner } from "../containerd/command_runner.ts";

interface FakeRoute {
  dst: string;
  via: string;
  dev: string;
  onlink: boolean;
  proto: string;
}

interface FakeDevice {
  vni: number;
  local: string;
  underlay: string;
  port: number;
  learning: boolean;
  mtu: number;
  up: boolean;
  mac: string;
  addresses: string[];
}

/** Options of {@linkcode FakeIpRunner}. */
export interface FakeIpRunnerOptions {
  /** The node's link: name, address (no prefix), prefix length, MTU. */
  readonly link: { name: string; address: string; prefix: number; mtu: number };
  /** Addresses reached through a gateway (`ip route get` shows it). */
  readonly viaGateway?: Readonly<Record<string, string>>;
}

function ok(stdout = ""): Promise<CommandResult> {
  return Promise.resolve({ code: 0, stdout, stderr: "" });
}

function fail(code: number, stderr: string): Promise<CommandResult> {
  return Promise.resolve({ code, stdout: "", stderr });
}

function inSubnet(address: string, network: string, prefix: number): boolean {
  const n = (a: string) => a.split(".").reduce((v, o) => v * 256 + Number(o), 0);
  const size = 2 ** (32 - prefix);
  return Math.floor(n(address) / size) === Math.floor(n(network) / size);
}

/** A kernel for `ip` / `bridge` commands (see the module doc). */
export class FakeIpRunner implements CommandRunner {
  /** Every command, space-joined. */
  readonly commands: string[] = [];
  readonly routes: FakeRoute[] = [];
  device: FakeDevice | undefined;
  readonly neighbours = new Map<string, string>();
  readonly fdb = new Map<string, string>();
  readonly #o: FakeIpRunnerOptions;
  #macs = 0;
  /** Commands (space-joined prefixes) that fail once with this stderr. */
  readonly failOnce = new Map<string, string>();

  constructor(options: FakeIpRunnerOptions) {
    this.#o = options;
  }

  /** The commands that changed something (not `-j` reads), and forgets all recorded. */
  takeWrites(): string[] {
    const writes = this.commands.filter((c) => !/^(ip|bridge) -j/.test(c));
    this.commands.length = 0;
    return writes;
  }

  run(argv: readonly string[]): Promise<CommandResult> {
    const line = argv.join(" ");
    this.commands.push(line);
    for (const [prefix, stderr] of this.failOnce) {
      if (line.startsWith(prefix)) {
        this.failOnce.delete(prefix);
        return fail(2, stderr);
      }
    }
    const [cmd, ...a] = argv;
    if (cmd === "bridge") return this.#bridge(a);
    if (cmd !== "ip") return fail(127, `${cmd}: not found`);
    const json = a[0] === "-j";
    const args = a.filter((x) => x !== "-j" && x !== "-4" && x !== "-d");
    const [object, verb, ...rest] = args;
    const key = `${object} ${verb}`;
    const name = this.device ? "skiff.vxlan" : undefined;
    const link = this.#o.link;
    switch (key) {
      case "addr show": {
        if (rest[0] === "dev") {
          if (!this.device || rest[1] !== name) {
            return fail(1, `Device "${rest[1]}" does not exist.`);
          }
          const d = this.device;
          return ok(JSON.stringify([{
            ifname: name,
            mtu: d.mtu,
            flags: d.up ? ["BROADCAST", "UP"] : ["BROADCAST"],
            address: d.mac,
            linkinfo: {
              info_kind: "vxlan",
              info_data: {
                id: d.vni,
                local: d.local,
                link: d.underlay,
                port: d.port,
                learning: d.learning,
              },
            },
            addr_info: d.addresses.map((x) => ({
              family: "inet",
              local: x.split("/")[0],
              prefixlen: Number(x.split("/")[1]),
            })),
          }]));
        }
        return ok(JSON.stringify([
          { ifname: "lo", mtu: 65536, addr_info: [{ family: "inet", local: "127.0.0.1" }] },
          {
            ifname: link.name,
            mtu: link.mtu,
            addr_info: [{ family: "inet", local: link.address }],
          },
        ]));
      }
      case "link show":
        if (!this.device || rest[1] !== name) return fail(1, `Device "${rest[1]}" does not exist.`);
        return ok(JSON.stringify([{ ifname: name, address: this.device.mac }]));
      case "link add": {
        const at = (k: string) => rest[rest.indexOf(k) + 1]!;
        if (this.device) return fail(2, "RTNETLINK answers: File exists");
        this.#macs++;
        this.device = {
          vni: Number(at("id")),
          local: at("local"),
          underlay: at("dev"),
          port: Number(at("dstport")),
          learning: !rest.includes("nolearning"),
          mtu: 1500,
          up: false,
          mac: `0a:00:00:00:00:${this.#macs.toString(16).padStart(2, "0")}`,
          addresses: [],
        };
        return ok();
      }
      case "link set":
        if (!this.device) return fail(1, `Cannot find device "${rest[0]}"`);
        this.device.mtu = Number(rest[rest.indexOf("mtu") + 1]);
        this.device.up = rest.includes("up");
        return ok();
      case "link del":
        if (!this.device) return fail(1, `Cannot find device "${rest[0]}"`);
        this.device = undefined;
        this.neighbours.clear();
        this.fdb.clear();
        for (let i = this.routes.length - 1; i >= 0; i--) {
          if (this.routes[i]!.dev === "skiff.vxlan") this.routes.splice(i, 1);
        }
        return ok();
      case "addr add":
        this.device!.addresses.push(rest[0]!);
        return ok();
      case "addr del":
        this.device!.addresses = this.device!.addresses.filter((x) => x !== rest[0]);
        return ok();
      case "neigh show":
        return ok(JSON.stringify(
          [...this.neighbours].map(([dst, lladdr]) => ({ dst, lladdr, state: ["PERMANENT"] })),
        ));
      case "neigh replace":
        this.neighbours.set(rest[0]!, rest[rest.indexOf("lladdr") + 1]!);
        return ok();
      case "neigh del":
        return this.neighbours.delete(rest[0]!)
          ? ok()
          : fail(2, "RTNETLINK answers: No such file or directory");
      case "route get": {
        const gw = this.#o.viaGateway?.[rest[0]!];
        if (gw) return ok(JSON.stringify([{ dst: rest[0], gateway: gw, dev: link.name }]));
        if (inSubnet(rest[0]!, link.address, link.prefix)) {
          return ok(JSON.stringify([{ dst: rest[0], dev: link.name, prefsrc: link.address }]));
        }
        return fail(2, "RTNETLINK answers: Network is unreachable");
      }
      case "route show": {
        const proto = rest[rest.indexOf("proto") + 1];
        return ok(JSON.stringify(
          this.routes.filter((r) => r.proto === proto).map((r) => ({
            dst: r.dst,
            gateway: r.via,
            dev: r.dev,
            flags: r.onlink ? ["onlink"] : [],
          })),
        ));
      }
      case "route replace": {
        const at = (k: string) => rest[rest.indexOf(k) + 1]!;
        const route = {
          dst: rest[0]!,
          via: at("via"),
          dev: at("dev"),
          onlink: rest.includes("onlink"),
          proto: at("proto"),
        };
        if (route.dev === "skiff.vxlan" && !this.device) {
          return fail(1, 'Cannot find device "skiff.vxlan"');
        }
        const i = this.routes.findIndex((r) => r.dst === route.dst);
        if (i >= 0) this.routes[i] = route;
        else this.routes.push(route);
        return ok();
      }
      case "route del": {
        const i = this.routes.findIndex((r) =>
          r.dst === rest[0] && r.proto === rest[rest.indexOf("proto") + 1]
        );
        if (i < 0) return fail(2, "RTNETLINK answers: No such process");
        this.routes.splice(i, 1);
        return ok();
      }
    }
    return json ? ok("[]") : fail(1, `Unknown command "${line}"`);
  }

  #bridge(a: readonly string[]): Promise<CommandResult> {
    const args = a.filter((x) => x !== "-j");
    const [, verb, ...rest] = args;
    switch (verb) {
      case "show":
        return ok(JSON.stringify(
          [...this.fdb].map(([mac, dst]) => ({ mac, dst, flags: ["self"], state: "permanent" })),
        ));
      case "replace":
        this.fdb.set(rest[0]!, rest[rest.indexOf("dst") + 1]!);
        return ok();
      case "del":
        return this.fdb.delete(rest[0]!)
          ? ok()
          : fail(2, "RTNETLINK answers: No such file or directory");
    }
    return fail(1, `Unknown command "bridge ${a.join(" ")}"`);
  }
}
