/**
 * The plugin's nftables table, as `nft -f` text (pure functions): masquerade of pod traffic
 * leaving the cluster network, and hostPort DNAT through two maps,
 * `hostports` (`proto . port : podIP . port`) and `hostip_ports` (`hostIP . proto . port : …`).
 *
 * The base chains are flushed and refilled in the same transaction on every ADD, so the table
 * always matches the current config and repeated ADDs add nothing. Map elements are per pod.
 *
 * @module
 */
import { formatCidr, type Ipv4Cidr } from "./_ipv4.ts";
import type { PortMapping } from "./net_conf.ts";

/**
 * The conntrack mark bit of connections DNATed to a hostPort, so that those coming from pods
 * are masqueraded (their replies must come back through the node) while other DNAT — a
 * Service proxy's — keeps the pod source address NetworkPolicy needs.
 */
export const HOSTPORT_CT_MARK = 0x00010000;

/** What the base table depends on. */
export interface NftBaseOptions {
  readonly table: string;
  readonly subnet: Ipv4Cidr;
  /** Traffic to this block keeps its pod source address. */
  readonly clusterCidr: Ipv4Cidr;
  readonly ipMasq: boolean;
}

function hex(value: number): string {
  return `0x${value.toString(16).padStart(8, "0")}`;
}

/** One hostPort map element. */
export interface HostPortElement {
  readonly map: "hostports" | "hostip_ports";
  /** The key as nft prints it: `tcp . 8080` or `192.168.1.5 . tcp . 8080`. */
  readonly key: string;
  /** The pod address the element points at. */
  readonly podIp: string;
  readonly containerPort: number;
}

/** The table, its maps and chains, with the chains' rules replaced. */
export function nftBaseScript(options: NftBaseOptions): string {
  const t = `ip ${options.table}`;
  const subnet = formatCidr(options.subnet);
  const cluster = formatCidr(options.clusterCidr);
  const mark = `ct mark set ct mark | ${hex(HOSTPORT_CT_MARK)}`;
  const lines = [
    `add table ${t}`,
    `add map ${t} hostports { type inet_proto . inet_service : ipv4_addr . inet_service; }`,
    `add map ${t} hostip_ports { type ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service; }`,
    `add chain ${t} prerouting { type nat hook prerouting priority -100; policy accept; }`,
    `add chain ${t} output { type nat hook output priority -100; policy accept; }`,
    `add chain ${t} postrouting { type nat hook postrouting priority 100; policy accept; }`,
    `flush chain ${t} prerouting`,
    `flush chain ${t} output`,
    `flush chain ${t} postrouting`,
    `add rule ${t} prerouting fib daddr type local ip daddr . meta l4proto . th dport @hostip_ports ${mark} dnat ip addr . port to ip daddr . meta l4proto . th dport map @hostip_ports`,
    `add rule ${t} prerouting fib daddr type local meta l4proto . th dport @hostports ${mark} dnat ip addr . port to meta l4proto . th dport map @hostports`,
    `add rule ${t} output ip daddr != 127.0.0.0/8 fib daddr type local dnat ip addr . port to ip daddr . meta l4proto . th dport map @hostip_ports`,
    `add rule ${t} output ip daddr != 127.0.0.0/8 fib daddr type local dnat ip addr . port to meta l4proto . th dport map @hostports`,
    // A pod reaching a hostPort (of another pod or its own: hairpin) must see the reply come
    // from the address it called.
    `add rule ${t} postrouting ct mark & ${hex(HOSTPORT_CT_MARK)} == ${
      hex(HOSTPORT_CT_MARK)
    } ip saddr ${subnet} masquerade`,
  ];
  if (options.ipMasq) {
    lines.push(
      `add rule ${t} postrouting ip saddr ${subnet} ip daddr != ${cluster} ip daddr != 224.0.0.0/4 masquerade`,
    );
  }
  return lines.join("\n") + "\n";
}

/** The map elements of a pod's port mappings (IPv6 host addresses are skipped). */
export function hostPortElements(
  podIp: string,
  mappings: readonly PortMapping[],
): HostPortElement[] {
  const out: HostPortElement[] = [];
  for (const m of mappings) {
    if (m.hostIP.includes(":")) continue;
    const key = `${m.protocol} . ${m.hostPort}`;
    out.push(
      m.hostIP === "" ? { map: "hostports", key, podIp, containerPort: m.containerPort } : {
        map: "hostip_ports",
        key: `${m.hostIP} . ${key}`,
        podIp,
        containerPort: m.containerPort,
      },
    );
  }
  return out;
}

/** `add element` lines for `elements`. */
export function addElementsScript(table: string, elements: readonly HostPortElement[]): string {
  return elements.map((e) =>
    `add element ip ${table} ${e.map} { ${e.key} : ${e.podIp} . ${e.containerPort} }\n`
  ).join("");
}

/** `delete element` lines for `elements`. */
export function deleteElementsScript(table: string, elements: readonly HostPortElement[]): string {
  return elements.map((e) => `delete element ip ${table} ${e.map} { ${e.key} }\n`).join("");
}

/** The hostPort elements in `nft -j list table` output. */
export function parseHostPortElements(json: string): HostPortElement[] {
  const out: HostPortElement[] = [];
  const doc = JSON.parse(json) as { nftables?: unknown[] };
  for (const item of doc.nftables ?? []) {
    const map = (item as { map?: { name?: string; elem?: unknown[] } }).map;
    if (!map || (map.name !== "hostports" && map.name !== "hostip_ports")) continue;
    for (const elem of map.elem ?? []) {
      if (!Array.isArray(elem) || elem.length !== 2) continue;
      const key = (elem[0] as { concat?: unknown[] }).concat;
      const value = (elem[1] as { concat?: unknown[] }).concat;
      if (!key || !value || value.length !== 2) continue;
      out.push({
        map: map.name,
        key: key.map(String).join(" . "),
        podIp: String(value[0]),
        containerPort: Number(value[1]),
      });
    }
  }
  return out;
}
