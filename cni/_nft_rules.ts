/**
 * The plugin's nftables table, as `nft -f` text (pure functions): masquerade of pod traffic
 * leaving the cluster network, and hostPort DNAT through two maps,
 * `hostports` (`proto . port : podIP . port`) and `hostip_ports` (`hostIP . proto . port : …`).
 *
 * Each base rule carries a comment with a hash of all of them ({@linkcode nftBaseMarker}), so
 * one listing tells an ADD whether the table is current ({@linkcode nftBaseIsCurrent}); when it
 * is not (missing, edited, another config, an older skiff), the ADD flushes and refills the
 * base chains in one transaction, so the table always matches the current config and repeated
 * ADDs add nothing. Map elements are per pod.
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

/** The base chains: name and hook, all of type `nat` with policy accept. */
const BASE_CHAINS: readonly { readonly name: string; readonly priority: number }[] = [
  { name: "prerouting", priority: -100 },
  { name: "output", priority: -100 },
  { name: "postrouting", priority: 100 },
];

/** One rule of a base chain, as `nft` text after `add rule <table> <chain>`. */
interface BaseRule {
  readonly chain: string;
  readonly text: string;
}

function baseRules(options: NftBaseOptions): BaseRule[] {
  const subnet = formatCidr(options.subnet);
  const cluster = formatCidr(options.clusterCidr);
  const mark = `ct mark set ct mark | ${hex(HOSTPORT_CT_MARK)}`;
  const rules: BaseRule[] = [
    {
      chain: "prerouting",
      text:
        `fib daddr type local ip daddr . meta l4proto . th dport @hostip_ports ${mark} dnat ip addr . port to ip daddr . meta l4proto . th dport map @hostip_ports`,
    },
    {
      chain: "prerouting",
      text:
        `fib daddr type local meta l4proto . th dport @hostports ${mark} dnat ip addr . port to meta l4proto . th dport map @hostports`,
    },
    {
      chain: "output",
      text:
        `ip daddr != 127.0.0.0/8 fib daddr type local dnat ip addr . port to ip daddr . meta l4proto . th dport map @hostip_ports`,
    },
    {
      chain: "output",
      text:
        `ip daddr != 127.0.0.0/8 fib daddr type local dnat ip addr . port to meta l4proto . th dport map @hostports`,
    },
    // A pod reaching a hostPort (of another pod or its own: hairpin) must see the reply come
    // from the address it called.
    {
      chain: "postrouting",
      text: `ct mark & ${hex(HOSTPORT_CT_MARK)} == ${
        hex(HOSTPORT_CT_MARK)
      } ip saddr ${subnet} masquerade`,
    },
  ];
  if (options.ipMasq) {
    rules.push({
      chain: "postrouting",
      text: `ip saddr ${subnet} ip daddr != ${cluster} ip daddr != 224.0.0.0/4 masquerade`,
    });
  }
  return rules;
}

/** FNV-1a (32 bits) of `text`, as 8 hex digits: a change detector, not a digest. */
function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, "0");
}

/**
 * The comment every base rule carries: `skiff-cni <hash of the table's rules>`, so that one
 * listing tells whether the chains hold exactly what {@linkcode nftBaseScript} would write.
 */
export function nftBaseMarker(options: NftBaseOptions): string {
  const rules = baseRules(options);
  return `skiff-cni ${
    fnv1a(`${options.table}\n${rules.map((r) => `${r.chain} ${r.text}`).join("\n")}`)
  }`;
}

/**
 * The table, its maps and chains, with the chains' rules replaced; each rule carries
 * {@linkcode nftBaseMarker}'s comment.
 */
export function nftBaseScript(options: NftBaseOptions): string {
  const t = `ip ${options.table}`;
  const comment = `comment "${nftBaseMarker(options)}"`;
  const lines = [
    `add table ${t}`,
    `add map ${t} hostports { type inet_proto . inet_service : ipv4_addr . inet_service; }`,
    `add map ${t} hostip_ports { type ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service; }`,
    ...BASE_CHAINS.map((c) =>
      `add chain ${t} ${c.name} { type nat hook ${c.name} priority ${c.priority}; policy accept; }`
    ),
    ...BASE_CHAINS.map((c) => `flush chain ${t} ${c.name}`),
    ...baseRules(options).map((r) => `add rule ${t} ${r.chain} ${r.text} ${comment}`),
  ];
  return lines.join("\n") + "\n";
}

interface ListedChain {
  readonly name?: string;
  readonly type?: string;
  readonly hook?: string;
  readonly prio?: number;
  readonly policy?: string;
}

interface ListedRule {
  readonly chain?: string;
  readonly comment?: string;
}

/**
 * Whether `json` (`nft -j list table ip <table>` output) shows the table exactly as
 * {@linkcode nftBaseScript} leaves it for `options`: both maps, the three base chains with
 * their hooks, and in each chain only its rules, all carrying the current marker. When it
 * does, an ADD needs no base transaction (which waits for the kernel's RCU grace periods:
 * about 15 ms, where the listing takes 3).
 */
export function nftBaseIsCurrent(json: string, options: NftBaseOptions): boolean {
  let doc: { nftables?: unknown[] };
  try {
    doc = JSON.parse(json) as { nftables?: unknown[] };
  } catch {
    return false;
  }
  const maps = new Set<string>();
  const chains = new Map<string, ListedChain>();
  const rules = new Map<string, ListedRule[]>();
  for (const item of doc.nftables ?? []) {
    const entry = item as { map?: { name?: string }; chain?: ListedChain; rule?: ListedRule };
    if (entry.map?.name) maps.add(entry.map.name);
    if (entry.chain?.name) chains.set(entry.chain.name, entry.chain);
    if (entry.rule?.chain) {
      rules.set(entry.rule.chain, [...(rules.get(entry.rule.chain) ?? []), entry.rule]);
    }
  }
  if (!maps.has("hostports") || !maps.has("hostip_ports")) return false;
  const marker = nftBaseMarker(options);
  const wanted = baseRules(options);
  for (const c of BASE_CHAINS) {
    const chain = chains.get(c.name);
    if (
      chain?.type !== "nat" || chain.hook !== c.name || chain.prio !== c.priority ||
      chain.policy !== "accept"
    ) return false;
    const listed = rules.get(c.name) ?? [];
    if (listed.length !== wanted.filter((r) => r.chain === c.name).length) return false;
    if (!listed.every((r) => r.comment === marker)) return false;
  }
  return true;
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
