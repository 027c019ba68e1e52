/**
 * {@linkcode nodeLink}: the interface that holds the node's address (its `InternalIP`, or
 * `--node-ip`), and its MTU. Tunnels to other nodes are bound to it (the VXLAN device's
 * underlay) and sized from it (see `podMtu`).
 *
 * @module
 */
import type { CommandRunner } from "../containerd/command_runner.ts";

/** Options of {@linkcode nodeLink}. */
export interface NodeLinkOptions {
  /** Runs `ip`. */
  readonly runner: CommandRunner;
  /** The node's IPv4 address. */
  readonly address: string;
}

/** An interface of the node. */
export interface NodeLink {
  readonly name: string;
  readonly mtu: number;
}

interface IpAddrEntry {
  readonly ifname?: string;
  readonly mtu?: number;
  readonly "addr_info"?: readonly { readonly family?: string; readonly local?: string }[];
}

/** The interface with `options.address`, or `undefined` when no interface has it. */
export async function nodeLink(options: NodeLinkOptions): Promise<NodeLink | undefined> {
  const out = await options.runner.run(["ip", "-j", "-4", "addr", "show"]);
  if (out.code !== 0) {
    throw new Error(
      `Cannot list the node's addresses: ${out.stderr.trim() || `exit code ${out.code}`}`,
    );
  }
  const entries = JSON.parse(out.stdout || "[]") as IpAddrEntry[];
  for (const entry of entries) {
    const has = (entry["addr_info"] ?? []).some((a) =>
      a.family === "inet" && a.local === options.address
    );
    if (has && typeof entry.ifname === "string" && typeof entry.mtu === "number") {
      return { name: entry.ifname, mtu: entry.mtu };
    }
  }
  return undefined;
}
