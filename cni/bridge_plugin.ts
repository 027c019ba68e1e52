/**
 * {@linkcode BridgePlugin}: ADD, DEL and CHECK of skiff's bridge plugin, with `ip` (iproute2)
 * and `nft` run through a {@linkcode CniCommandRunner}.
 *
 * - One Linux bridge per node (`skiff0`), holding the gateway (the subnet's first address) and
 *   a fixed MAC derived from it, so the pods' gateway MAC never changes as ports come and go.
 * - Per pod a veth pair created with its container end directly in the pod's netns
 *   (`ip link add … peer name eth0 netns <CNI_NETNS>`, which takes a path); the host end gets
 *   a name derived from the container ID and ifname (`veth` + 10 hex digits), so DEL finds it
 *   without entering the netns, joins the bridge with hairpin mode and comes up. All of that
 *   is one `ip -j -batch -` whose first line shows the bridge (missing: it is created and the
 *   batch repeated; without its address or down: fixed after).
 * - Inside the netns, `nsenter --net=<CNI_NETNS> ip -batch -` sets the pod's MAC, its address,
 *   the link up and the default route. nsenter takes any netns path (containerd's
 *   `/var/run/netns/cni-…` or its state dir); `ip -n` takes only names under `/var/run/netns`.
 * - Addresses come from an on-disk {@linkcode IpStore}, allocated while the host side is made;
 *   the pod's MAC is `0a:58:` + its IPv4.
 * - nftables (table `ip skiff-cni`): masquerade of pod traffic leaving the cluster CIDR and
 *   hostPort DNAT maps. Each ADD lists the table (`nft -j list table`, at the same time as the
 *   links are made) and rewrites its base chains only when they are not current; a pod's
 *   hostPort elements (with the base when it needs rewriting) go in one `nft -f` transaction
 *   once its links are up. A base transaction waits for the kernel's RCU grace periods
 *   (~15 ms), the listing does not (~3 ms): a node's ADDs after the first skip it.
 * - A pod start costs three processes (`ip`, `nsenter` + `ip`, `nft`), besides this one.
 *
 * DEL deletes the host veth (which removes its peer), the pod's hostPort elements and its
 * address; every step tolerates what is already gone, so DEL can repeat, with or without a
 * netns.
 *
 * @module
 */
import { CNI_ERROR_CODES, CniError } from "./errors.ts";
import type { CniCommandResult, CniCommandRunner } from "./command_runner.ts";
import { IpStore } from "./ip_store.ts";
import type { CniEnv, NetConf } from "./net_conf.ts";
import { formatIpv4, parseIpv4 } from "./_ipv4.ts";
import {
  addElementsScript,
  deleteElementsScript,
  type HostPortElement,
  hostPortElements,
  nftBaseIsCurrent,
  type NftBaseOptions,
  nftBaseScript,
  parseHostPortElements,
} from "./_nft_rules.ts";
import { type CniSysctl, ProcCniSysctl } from "./sysctl.ts";

/** One interface of a CNI result. */
export interface CniInterface {
  readonly name: string;
  readonly mac: string;
  readonly sandbox?: string;
}

/** One address of a CNI result. */
export interface CniIpConfig {
  readonly address: string;
  readonly gateway?: string;
  /** Index into `interfaces`. */
  readonly interface: number;
  /** `"4"`, in results of CNI versions before 1.0.0 only. */
  readonly version?: string;
}

/** The result of ADD (CNI 1.0.0 layout). */
export interface CniResult {
  readonly cniVersion: string;
  readonly interfaces: readonly CniInterface[];
  readonly ips: readonly CniIpConfig[];
  readonly routes: readonly { readonly dst: string; readonly gw?: string }[];
  readonly dns: Readonly<Record<string, unknown>>;
}

/** What {@linkcode BridgePlugin} works with. */
export interface BridgePluginDeps {
  readonly runner: CniCommandRunner;
  /** @default {new ProcCniSysctl()} */
  readonly sysctl?: CniSysctl;
  /** The IP store of a network. @default {an IpStore under `ipam.dataDir/<name>`} */
  readonly store?: (conf: NetConf) => IpStore;
  /** Whether a netns path exists. @default {Deno.stat} */
  readonly netnsExists?: (path: string) => Promise<boolean>;
}

/** The IP store of `conf`'s network: `<ipam.dataDir>/<name>`, gateway reserved. */
export function ipStoreFor(conf: NetConf): IpStore {
  return new IpStore({
    dir: `${conf.ipam.dataDir}/${conf.name}`,
    rangeStart: conf.ipam.rangeStart,
    rangeEnd: conf.ipam.rangeEnd,
    reserved: [conf.ipam.gateway],
  });
}

/** The host end of a pod's veth pair: `veth` + 10 hex digits of SHA-256(containerId/ifname). */
export async function hostVethName(containerId: string, ifname: string): Promise<string> {
  return `veth${(await digestHex(`${containerId}/${ifname}`)).slice(0, 10)}`;
}

/** `0a:58:` + the four bytes of `ip` (the pod's and the bridge's MAC). */
export function macForIp(ip: string): string {
  const value = parseIpv4(ip);
  if (value === null) throw new TypeError(`Invalid IPv4 address "${ip}"`);
  const bytes = [0x0a, 0x58, value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255];
  return bytes.map((b) => b.toString(16).padStart(2, "0")).join(":");
}

async function digestHex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

async function hostVethMac(containerId: string, ifname: string): Promise<string> {
  const hex = (await digestHex(`mac/${containerId}/${ifname}`)).slice(0, 10);
  return `02:${hex.match(/../g)!.join(":")}`;
}

function isNotFound(result: CniCommandResult): boolean {
  return /Cannot find device|does not exist|No such device|No such file or directory/.test(
    result.stderr,
  );
}

function commandError(what: string, argv: readonly string[], result: CniCommandResult): Error {
  const text = (result.stderr.trim() || result.stdout.trim()).replace(/\s+/g, " ");
  return new CniError(CNI_ERROR_CODES.generic, `${what}: ${text || `exit code ${result.code}`}`, {
    details: `${argv.join(" ")} exited with ${result.code}`,
  });
}

async function defaultNetnsExists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

interface AddressInfo {
  readonly family?: string;
  readonly local?: string;
  readonly prefixlen?: number;
}

interface LinkJson {
  readonly ifname?: string;
  readonly address?: string;
  readonly flags?: readonly string[];
  readonly operstate?: string;
  readonly master?: string;
  readonly "addr_info"?: readonly AddressInfo[];
}

function parseLinks(text: string): LinkJson[] {
  try {
    const parsed: unknown = JSON.parse(text);
    return Array.isArray(parsed) ? parsed as LinkJson[] : [];
  } catch {
    return [];
  }
}

/** What one listing of the plugin's nftables table showed. */
interface NftState {
  /** The base chains hold the current rules ({@linkcode nftBaseIsCurrent}). */
  readonly baseCurrent: boolean;
  readonly elements: readonly HostPortElement[];
}

/** ADD, DEL and CHECK of the bridge plugin. */
export class BridgePlugin {
  readonly #runner: CniCommandRunner;
  readonly #sysctl: CniSysctl;
  readonly #store: (conf: NetConf) => IpStore;
  readonly #netnsExists: (path: string) => Promise<boolean>;

  constructor(deps: BridgePluginDeps) {
    this.#runner = deps.runner;
    this.#sysctl = deps.sysctl ?? new ProcCniSysctl();
    this.#store = deps.store ?? ipStoreFor;
    this.#netnsExists = deps.netnsExists ?? defaultNetnsExists;
  }

  async #run(argv: readonly string[], stdin?: string): Promise<CniCommandResult> {
    return await this.#runner.run(argv, stdin === undefined ? {} : { stdin });
  }

  async #must(what: string, argv: readonly string[], stdin?: string): Promise<string> {
    const result = await this.#run(argv, stdin);
    if (result.code !== 0) throw commandError(what, argv, result);
    return result.stdout;
  }

  /** Connects the container `env.containerId` to the network; the result for stdout. */
  async add(conf: NetConf, env: CniEnv): Promise<CniResult> {
    if (!(await this.#netnsExists(env.netns))) {
      throw new CniError(
        CNI_ERROR_CODES.generic,
        `Cannot open netns "${env.netns}": it does not exist`,
      );
    }
    const owner = { containerId: env.containerId, ifname: env.ifname };
    const store = this.#store(conf);
    const hostVeth = await hostVethName(env.containerId, env.ifname);
    const hostMac = await hostVethMac(env.containerId, env.ifname);
    // Three things at once: the address (the IP store's file I/O), the host side of the links
    // (which needs no address: the pod's MAC, derived from it, is set in the netns), and the
    // nftables listing. The netns side waits for the first two; a pod's hostPort elements,
    // for everything (a failed ADD leaves none behind).
    let created = false;
    const allocation = store.allocate(owner);
    const links = (async () => {
      const bridgeMac = await this.#attachVeth(conf, env, { hostVeth, hostMac }, () => {
        created = true;
      });
      await this.#configureContainerEnd(conf, env, (await allocation).ip);
      return bridgeMac;
    })();
    const mapsHostPorts = hostPortElements("0.0.0.0", conf.portMappings).length > 0;
    const nft = (async () => {
      await this.#ensureForwarding();
      return await this.#prepareNft(conf, { applyBase: !mapsHostPorts });
    })();
    const [allocated, linksDone, nftDone] = await Promise.allSettled([allocation, links, nft]);
    try {
      if (allocated.status === "rejected") throw allocated.reason;
      if (linksDone.status === "rejected") throw linksDone.reason;
      if (nftDone.status === "rejected") throw nftDone.reason;
      const { ip } = allocated.value;
      const podMac = macForIp(ip);
      const elements = hostPortElements(ip, conf.portMappings);
      if (elements.length > 0) await this.#applyElements(conf, ip, elements, nftDone.value);
      const bridgeMac = linksDone.value;
      const gateway = formatIpv4(conf.ipam.gateway);
      const legacy = conf.cniVersion !== "1.0.0";
      return {
        cniVersion: conf.cniVersion,
        interfaces: [
          { name: conf.bridge, mac: bridgeMac },
          { name: hostVeth, mac: hostMac },
          { name: env.ifname, mac: podMac, sandbox: env.netns },
        ],
        ips: [{
          ...(legacy ? { version: "4" } : {}),
          address: `${ip}/${conf.ipam.subnet.prefix}`,
          gateway,
          interface: 2,
        }],
        routes: conf.isDefaultGateway ? [{ dst: "0.0.0.0/0", gw: gateway }] : [],
        dns: {},
      };
    } catch (err) {
      if (created) await this.#run(["ip", "link", "del", hostVeth]).catch(() => {});
      if (allocated.status === "fulfilled" && !allocated.value.reused) {
        await store.release(owner).catch(() => {});
      }
      throw err;
    }
  }

  /** Disconnects the container and frees its address; succeeds when all is gone already. */
  async del(conf: NetConf, env: CniEnv): Promise<void> {
    const hostVeth = await hostVethName(env.containerId, env.ifname);
    const argv = ["ip", "link", "del", hostVeth];
    const result = await this.#run(argv);
    if (result.code !== 0 && !isNotFound(result)) {
      throw commandError(`Cannot delete interface "${hostVeth}"`, argv, result);
    }
    if (result.code !== 0 && env.netns !== "" && await this.#netnsExists(env.netns)) {
      // No host end by our name: remove the container end itself if it is there.
      const inner = ["nsenter", `--net=${env.netns}`, "ip", "link", "del", env.ifname];
      const r = await this.#run(inner);
      if (r.code !== 0 && !isNotFound(r)) {
        throw commandError(`Cannot delete interface "${env.ifname}" in "${env.netns}"`, inner, r);
      }
    }
    const store = this.#store(conf);
    const owner = { containerId: env.containerId, ifname: env.ifname };
    const ip = await store.lookup(owner);
    if (ip !== undefined) {
      const stale = (await this.#listElements(conf)).filter((e) => e.podIp === ip);
      if (stale.length > 0) {
        await this.#must(
          `Cannot remove the hostPort mappings of "${ip}"`,
          ["nft", "-f", "-"],
          deleteElementsScript(conf.nftTable, stale),
        );
      }
    }
    await store.release(owner);
  }

  /** Checks that the container is still connected as ADD left it. */
  async check(conf: NetConf, env: CniEnv): Promise<void> {
    if (conf.cniVersion === "0.3.0" || conf.cniVersion === "0.3.1") {
      throw new CniError(
        CNI_ERROR_CODES.incompatibleVersion,
        `CHECK is not supported for CNI version "${conf.cniVersion}"`,
      );
    }
    const prev = conf.prevResult;
    if (prev === undefined) {
      throw new CniError(CNI_ERROR_CODES.invalidNetworkConfig, "Required prevResult missing");
    }
    const ip = await this.#store(conf).lookup({ containerId: env.containerId, ifname: env.ifname });
    if (ip === undefined) {
      throw new CniError(
        CNI_ERROR_CODES.generic,
        `No IP address is allocated to container "${env.containerId}" interface "${env.ifname}"`,
      );
    }
    const address = `${ip}/${conf.ipam.subnet.prefix}`;
    const prevIps = Array.isArray(prev.ips) ? prev.ips as { address?: unknown }[] : [];
    if (!prevIps.some((p) => p.address === address)) {
      throw new CniError(
        CNI_ERROR_CODES.generic,
        `The previous result does not hold the allocated address "${address}"`,
      );
    }
    if (!(await this.#netnsExists(env.netns))) {
      throw new CniError(
        CNI_ERROR_CODES.generic,
        `Cannot open netns "${env.netns}": it does not exist`,
      );
    }
    const inner = ["nsenter", `--net=${env.netns}`, "ip", "-j", "addr", "show", "dev", env.ifname];
    const link = parseLinks(
      await this.#must(`Cannot find interface "${env.ifname}" in "${env.netns}"`, inner),
    )[0];
    const has = link?.addr_info?.some((a) =>
      a.family === "inet" && `${a.local}/${a.prefixlen}` === address
    );
    if (!link || !has) {
      throw new CniError(
        CNI_ERROR_CODES.generic,
        `Interface "${env.ifname}" in "${env.netns}" does not have address "${address}"`,
      );
    }
    if (!link.flags?.includes("UP")) {
      throw new CniError(
        CNI_ERROR_CODES.generic,
        `Interface "${env.ifname}" in "${env.netns}" is down`,
      );
    }
    if (conf.isDefaultGateway) {
      const gateway = formatIpv4(conf.ipam.gateway);
      const routes = JSON.parse(
        await this.#must("Cannot read routes", [
          "nsenter",
          `--net=${env.netns}`,
          "ip",
          "-j",
          "route",
          "show",
          "default",
        ]),
      ) as { gateway?: string; dev?: string }[];
      if (!routes.some((r) => r.gateway === gateway && r.dev === env.ifname)) {
        throw new CniError(
          CNI_ERROR_CODES.generic,
          `No default route via "${gateway}" in "${env.netns}"`,
        );
      }
    }
    const hostVeth = await hostVethName(env.containerId, env.ifname);
    const host = parseLinks(
      await this.#must(`Cannot find interface "${hostVeth}"`, [
        "ip",
        "-j",
        "link",
        "show",
        "dev",
        hostVeth,
      ]),
    )[0];
    if (host?.master !== conf.bridge) {
      throw new CniError(
        CNI_ERROR_CODES.generic,
        `Interface "${hostVeth}" is not attached to bridge "${conf.bridge}"`,
      );
    }
  }

  /**
   * Creates the veth pair (the container end straight into the netns) and attaches the host
   * end to the bridge, in one `ip -j -batch -` whose first line reads the bridge: creates the
   * bridge when it is missing, gives it its address and brings it up when it lacks either, and
   * replaces a host veth an earlier attempt for this container left. `onCreated` is called
   * once the host veth may exist (to be deleted if a later step fails). Returns the bridge's MAC.
   */
  async #attachVeth(
    conf: NetConf,
    env: CniEnv,
    names: { readonly hostVeth: string; readonly hostMac: string },
    onCreated: () => void,
  ): Promise<string> {
    const mtu = String(conf.mtu);
    const lines = [
      `addr show dev ${conf.bridge}`,
      `link add ${names.hostVeth} mtu ${mtu} address ${names.hostMac} type veth peer name ${env.ifname} mtu ${mtu} netns ${env.netns}`,
      `link set dev ${names.hostVeth} master ${conf.bridge}`,
    ];
    if (conf.hairpinMode) {
      lines.push(`link set dev ${names.hostVeth} type bridge_slave hairpin on`);
    }
    lines.push(`link set dev ${names.hostVeth} up`);
    const argv = ["ip", "-j", "-batch", "-"];
    const batch = lines.join("\n") + "\n";
    let result = await this.#run(argv, batch);
    // Nothing printed: the first line (the bridge) failed, and the batch stopped there.
    if (result.code !== 0 && result.stdout.trim() === "") {
      if (!isNotFound(result)) {
        throw commandError(`Cannot read bridge "${conf.bridge}"`, argv, result);
      }
      await this.#createBridge(conf);
      result = await this.#run(argv, batch);
      if (result.code !== 0 && result.stdout.trim() === "") {
        throw commandError(`Cannot read bridge "${conf.bridge}"`, argv, result);
      }
    }
    if (result.code !== 0 && /File exists/.test(result.stderr)) {
      const stale = await this.#run(["ip", "link", "show", "dev", names.hostVeth]);
      if (stale.code !== 0) {
        throw new CniError(
          CNI_ERROR_CODES.generic,
          `Cannot create interface "${env.ifname}" in "${env.netns}": it already exists`,
        );
      }
      // Left by an earlier attempt for this container and ifname.
      await this.#must(`Cannot delete interface "${names.hostVeth}"`, [
        "ip",
        "link",
        "del",
        names.hostVeth,
      ]);
      result = await this.#run(argv, batch);
    }
    if (result.code !== 0) {
      onCreated();
      throw commandError(`Cannot create the veth pair "${names.hostVeth}"`, argv, result);
    }
    onCreated();
    return await this.#configureBridge(conf, result.stdout);
  }

  /** Creates the bridge (tolerating a concurrent ADD that just did). */
  async #createBridge(conf: NetConf): Promise<void> {
    const add = [
      "ip",
      "link",
      "add",
      conf.bridge,
      "mtu",
      String(conf.mtu),
      "address",
      macForIp(formatIpv4(conf.ipam.gateway)),
      "type",
      "bridge",
    ];
    const created = await this.#run(add);
    if (created.code !== 0 && !/File exists/.test(created.stderr)) {
      throw commandError(`Cannot create bridge "${conf.bridge}"`, add, created);
    }
  }

  /** Gives the bridge (as `ip -j addr show` printed it) its address and brings it up; its MAC. */
  async #configureBridge(conf: NetConf, shown: string): Promise<string> {
    const gateway = formatIpv4(conf.ipam.gateway);
    const prefix = conf.ipam.subnet.prefix;
    const link = parseLinks(shown)[0];
    const hasAddress = link?.addr_info?.some((a) =>
      a.family === "inet" && a.local === gateway && a.prefixlen === prefix
    );
    if (!hasAddress || !link?.flags?.includes("UP")) {
      await this.#must(
        `Cannot configure bridge "${conf.bridge}"`,
        ["ip", "-batch", "-"],
        [
          `addr replace ${gateway}/${prefix} dev ${conf.bridge}`,
          `link set dev ${conf.bridge} up`,
        ].join("\n") + "\n",
      );
    }
    return link?.address ?? macForIp(gateway);
  }

  async #ensureForwarding(): Promise<void> {
    const key = "net.ipv4.ip_forward";
    if ((await this.#sysctl.get(key)) !== "1") await this.#sysctl.set(key, "1");
  }

  async #configureContainerEnd(conf: NetConf, env: CniEnv, ip: string): Promise<void> {
    const lines = [
      `link set dev ${env.ifname} address ${macForIp(ip)}`,
      `addr add ${ip}/${conf.ipam.subnet.prefix} dev ${env.ifname}`,
      `link set dev ${env.ifname} up`,
    ];
    if (conf.isDefaultGateway) {
      lines.push(`route add default via ${formatIpv4(conf.ipam.gateway)} dev ${env.ifname}`);
    }
    await this.#must(
      `Cannot configure interface "${env.ifname}" in "${env.netns}"`,
      ["nsenter", `--net=${env.netns}`, "ip", "-batch", "-"],
      lines.join("\n") + "\n",
    );
  }

  async #listElements(conf: NetConf): Promise<HostPortElement[]> {
    const result = await this.#run(["nft", "-j", "list", "table", "ip", conf.nftTable]);
    if (result.code !== 0) return [];
    return parseHostPortElements(result.stdout);
  }

  #baseOptions(conf: NetConf): NftBaseOptions {
    return {
      table: conf.nftTable,
      subnet: conf.ipam.subnet,
      clusterCidr: conf.clusterCidr,
      ipMasq: conf.ipMasq,
    };
  }

  /**
   * Lists the table: whether its base is current and the hostPort elements it holds. With
   * `applyBase`, a base that is not current is rewritten at once (one transaction).
   */
  async #prepareNft(conf: NetConf, options: { readonly applyBase: boolean }): Promise<NftState> {
    const result = await this.#run(["nft", "-j", "list", "table", "ip", conf.nftTable]);
    let state: NftState = { baseCurrent: false, elements: [] };
    if (result.code === 0) {
      try {
        state = {
          baseCurrent: nftBaseIsCurrent(result.stdout, this.#baseOptions(conf)),
          elements: parseHostPortElements(result.stdout),
        };
      } catch {
        // Not a listing we can read: rewrite the base, replace no element.
      }
    }
    if (!options.applyBase || state.baseCurrent) return state;
    await this.#must(
      "Cannot program nftables",
      ["nft", "-f", "-"],
      nftBaseScript(this.#baseOptions(conf)),
    );
    return { ...state, baseCurrent: true };
  }

  /**
   * The pod's hostPort elements, replacing stale ones (and the base if it is not current), in
   * one transaction.
   */
  async #applyElements(
    conf: NetConf,
    ip: string,
    elements: readonly HostPortElement[],
    state: NftState,
  ): Promise<void> {
    const keys = new Set(elements.map((e) => `${e.map}/${e.key}`));
    const stale = state.elements.filter((e) => e.podIp === ip || keys.has(`${e.map}/${e.key}`));
    const script = (state.baseCurrent ? "" : nftBaseScript(this.#baseOptions(conf))) +
      deleteElementsScript(conf.nftTable, stale) + addElementsScript(conf.nftTable, elements);
    await this.#must("Cannot program nftables", ["nft", "-f", "-"], script);
  }
}
