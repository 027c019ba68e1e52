/**
 * The cluster DNS address on the node: {@linkcode ensureDnsAddress} puts it on a dummy
 * interface (`skiff-dns`) in the current network namespace, as a /32 (or /128), so that the
 * node's DNS server can bind it and pods reach it through the node's routing, the way
 * NodeLocal DNSCache holds its address; {@linkcode removeDnsAddress} undoes it. Both are
 * idempotent and run `ip` through the injected {@linkcode CommandRunner}.
 *
 * A kernel built without the dummy driver (`ip link add … type dummy` fails with "Unknown
 * device type", as on some VM and board kernels) gets an empty bridge of the same name
 * instead: with no ports it carries no traffic, and its address is local just the same.
 *
 * @module
 */
import type { CommandRunner } from "../containerd/command_runner.ts";
import { canonicalIp } from "./_ip.ts";

/** The interface name the agent uses. */
export const DEFAULT_DNS_INTERFACE = "skiff-dns";

/** Options of {@linkcode ensureDnsAddress}. */
export interface DnsAddressOptions {
  /** @default {DEFAULT_DNS_INTERFACE} */
  readonly interface?: string;
  /** The cluster DNS IP, e.g. `10.43.0.10`, or its IPs (one per family, dual-stack). */
  readonly address: string | readonly string[];
}

/** Options of {@linkcode removeDnsAddress}. */
export interface RemoveDnsAddressOptions {
  /** @default {DEFAULT_DNS_INTERFACE} */
  readonly interface?: string;
}

interface IpAddrInfo {
  readonly family?: string;
  readonly local?: string;
  readonly prefixlen?: number;
  readonly scope?: string;
}

interface IpLinkInfo {
  readonly ifname?: string;
  readonly flags?: readonly string[];
  readonly "link_type"?: string;
  readonly linkinfo?: { readonly "info_kind"?: string };
  readonly "addr_info"?: readonly IpAddrInfo[];
}

async function must(runner: CommandRunner, argv: readonly string[], what: string): Promise<string> {
  const out = await runner.run(argv);
  if (out.code !== 0) throw new Error(`Cannot ${what}: ${out.stderr.trim() || `exit ${out.code}`}`);
  return out.stdout;
}

/**
 * Makes sure dummy interface `options.interface` exists, is up and holds `options.address`
 * (each as a host route: /32, /128) as its only global addresses (one left from another
 * cluster DNS IP is removed).
 */
export async function ensureDnsAddress(
  runner: CommandRunner,
  options: DnsAddressOptions,
): Promise<void> {
  const dev = options.interface ?? DEFAULT_DNS_INTERFACE;
  const wanted = (typeof options.address === "string" ? [options.address] : options.address)
    .map((raw) => {
      const ip = canonicalIp(raw);
      if (!ip) throw new TypeError(`Cannot use "${raw}" as the cluster DNS address`);
      return { text: ip.text, prefix: ip.family === 4 ? 32 : 128 };
    });
  const shown = await runner.run(["ip", "-d", "-j", "addr", "show", "dev", dev]);
  let link: IpLinkInfo | undefined;
  if (shown.code === 0) {
    link = (JSON.parse(shown.stdout || "[]") as IpLinkInfo[])[0];
    const kind = link?.linkinfo?.["info_kind"];
    if (link && kind !== "dummy" && kind !== "bridge") {
      throw new Error(
        `Cannot put the cluster DNS address on interface "${dev}": it exists and is not a dummy interface`,
      );
    }
  }
  if (!link) {
    let added = await runner.run(["ip", "link", "add", dev, "type", "dummy"]);
    if (added.code !== 0 && /Unknown device type/i.test(added.stderr)) {
      added = await runner.run(["ip", "link", "add", dev, "type", "bridge"]);
    }
    // Another caller may have made it meanwhile.
    if (added.code !== 0 && !/File exists/i.test(added.stderr)) {
      throw new Error(`Cannot add dummy interface "${dev}": ${added.stderr.trim()}`);
    }
  }
  const present = new Set<string>();
  for (const a of link?.["addr_info"] ?? []) {
    if (a.scope === "link" || a.local === undefined) continue;
    const have = canonicalIp(a.local);
    if (wanted.some((w) => w.text === have?.text && w.prefix === a.prefixlen)) {
      present.add(have!.text);
      continue;
    }
    await must(
      runner,
      ["ip", "addr", "del", `${a.local}/${a.prefixlen}`, "dev", dev],
      `remove stale address "${a.local}/${a.prefixlen}" from interface "${dev}"`,
    );
  }
  for (const ip of wanted) {
    if (present.has(ip.text)) continue;
    const cidr = `${ip.text}/${ip.prefix}`;
    // No duplicate address detection for IPv6: the address would stay tentative (unbindable)
    // for a second or two, and it is this node's alone.
    const added = await runner.run(
      ["ip", "addr", "add", cidr, "dev", dev, ...(ip.prefix === 128 ? ["nodad"] : [])],
    );
    if (added.code !== 0 && !/File exists/i.test(added.stderr)) {
      throw new Error(
        `Cannot add address "${cidr}" to interface "${dev}": ${added.stderr.trim()}`,
      );
    }
  }
  if (!link?.flags?.includes("UP")) {
    await must(runner, ["ip", "link", "set", dev, "up"], `bring interface "${dev}" up`);
  }
}

/** Deletes the interface (and so its address); nothing happens when it is not there. */
export async function removeDnsAddress(
  runner: CommandRunner,
  options: RemoveDnsAddressOptions = {},
): Promise<void> {
  const dev = options.interface ?? DEFAULT_DNS_INTERFACE;
  const out = await runner.run(["ip", "link", "del", dev]);
  if (out.code !== 0 && !/Cannot find device|does not exist/i.test(out.stderr)) {
    throw new Error(`Cannot delete interface "${dev}": ${out.stderr.trim()}`);
  }
}
