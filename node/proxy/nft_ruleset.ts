/**
 * The proxy's nftables ruleset as `nft -f` commands (pure functions): the fixed part of the
 * table ({@linkcode nftBaseCommands}) and each Service's part of it ({@linkcode serviceFragment}).
 *
 * The structure is kube-proxy's nftables mode (node-runtime.md §4): verdict maps dispatching on
 * `daddr . proto . dport` (`service-ips`) and `proto . dport` (`service-nodeports`), a reject
 * chain behind `no-endpoint-*` maps, `cluster-ips` for wrong ports and a drop for unallocated
 * service addresses, masquerade by packet mark. Unlike kube-proxy it does not make chains per
 * Service and per endpoint, which load slowly on nft 1.0.6 (performance-anchors.md §6): a
 * Service with the common shape points at a chain shared by every Service with the same number
 * of endpoints, protocol and policy (`cluster-tcp-2`, `external-local-udp-3-1`…), and that
 * chain picks the endpoint from one map per protocol keyed by the packet's `daddr . dport`
 * plus `numgen random mod N`:
 *
 * ```
 * add rule ip skiff-proxy cluster-tcp-2 dnat ip addr . port to ip daddr . tcp dport . numgen random mod 2 map @endpoints-tcp
 * add element ip skiff-proxy service-ips { 10.43.0.5 . tcp . 80 : goto cluster-tcp-2 }
 * add element ip skiff-proxy endpoints-tcp { 10.43.0.5 . 80 . 0 : 10.42.0.7 . 8080, 10.43.0.5 . 80 . 1 : 10.42.1.4 . 8080 }
 * ```
 *
 * so a Service or endpoint change is a few map elements. (The endpoint maps are per protocol
 * because nft 1.0.6 cannot add a rule that uses an existing map whose `typeof` data is
 * `th dport`: "conflicting protocols specified: ip vs. th"; and `tcp dport` data makes the
 * rule match TCP only.) Only ports with ClientIP session
 * affinity get kube-proxy's per-Service chains (`svc-`, `loc-`, `ext-`, per-endpoint `ep-`
 * chains and `aff-` sets), since the chosen endpoint must be remembered per client.
 *
 * Hairpin traffic (a pod reaching itself through its Service) is found after DNAT by the
 * `hairpin` set of `endpoint . endpoint` pairs and masqueraded.
 *
 * @module
 */
import { formatIpv4Cidr, isIpv4, parseIpv4Cidr } from "../network/ipv4.ts";
import type { ProxyEndpoint } from "./endpoint_selection.ts";
import type { ProxyProtocol, ProxyServicePort } from "./service_ports.ts";

/** The packet mark bit of connections to masquerade (kube-proxy's default bit 14). */
export const MASQUERADE_MARK = 0x4000;

/** What the ruleset depends on besides the Services. */
export interface NftRulesetOptions {
  /** The `ip` table's name. */
  readonly table: string;
  /** Pod addresses: cluster-IP traffic from elsewhere is masqueraded. Unset: none is. */
  readonly clusterCidr?: string;
  /** Unallocated addresses in these blocks are dropped. */
  readonly serviceCidrs: readonly string[];
  /** Where node ports answer. Empty: every local address but 127.0.0.0/8. */
  readonly nodeIPs: readonly string[];
  /** Addresses served on the node itself: never rejected or dropped. */
  readonly localServiceIPs: readonly string[];
}

/** A map or set element: `value` is `""` for a set. */
export interface NftElement {
  readonly map: string;
  readonly key: string;
  readonly value: string;
}

/** A regular chain and its rules (without the `add rule ip <table> <chain>` prefix). */
export interface NftChain {
  readonly name: string;
  readonly rules: readonly string[];
  /**
   * A chain shared by Services of one shape: kept for a while after its last user goes, since
   * a Service flapping between two endpoint counts would otherwise make and delete it each time.
   */
  readonly shared?: boolean;
}

/** A set of the clients that a session-affinity endpoint keeps for `timeoutSeconds`. */
export interface NftAffinitySet {
  readonly name: string;
  readonly timeoutSeconds: number;
}

/** One Service's part of the ruleset. */
export interface NftFragment {
  readonly elements: readonly NftElement[];
  readonly chains: readonly NftChain[];
  readonly affinitySets: readonly NftAffinitySet[];
}

/** Names of the maps and sets Services fill. */
export const NFT_MAPS = {
  serviceIps: "service-ips",
  serviceNodePorts: "service-nodeports",
  noEndpointServices: "no-endpoint-services",
  noEndpointNodePorts: "no-endpoint-nodeports",
  clusterIps: "cluster-ips",
  hairpin: "hairpin",
} as const;

const PROTOCOLS = ["tcp", "udp", "sctp"] as const;

/** The map of a protocol's endpoints by `daddr . dport . index`. */
export function endpointsMap(protocol: ProxyProtocol): string {
  return `endpoints-${protocol}`;
}

/** The map of a protocol's endpoints by `nodePort . index`. */
export function nodePortEndpointsMap(protocol: ProxyProtocol): string {
  return `nodeport-endpoints-${protocol}`;
}

const REJECT = "goto reject-chain";
const MARK = "jump mark-for-masquerade";

function hex(value: number): string {
  return `0x${value.toString(16).padStart(8, "0")}`;
}

function ipv4Cidrs(cidrs: readonly string[]): string[] {
  return cidrs.flatMap((c) => {
    const parsed = parseIpv4Cidr(c);
    return parsed ? [formatIpv4Cidr(parsed)] : [];
  });
}

/** The pod block in nft syntax, or `undefined`. */
function podCidr(options: NftRulesetOptions): string | undefined {
  const parsed = options.clusterCidr ? parseIpv4Cidr(options.clusterCidr) : undefined;
  return parsed ? formatIpv4Cidr(parsed) : undefined;
}

/**
 * The table without any Service: maps, sets, base chains hooked at numeric priorities (nft
 * 1.0.6 rejects `dstnat` on output) and the fixed chains. A full sync runs
 * `add table` + `delete table` before it, so the table is rebuilt from nothing.
 */
export function nftBaseCommands(options: NftRulesetOptions): string[] {
  const t = `ip ${options.table}`;
  const nodeIPs = options.nodeIPs.filter(isIpv4);
  const localIPs = options.localServiceIPs.filter(isIpv4);
  const serviceCidrs = ipv4Cidrs(options.serviceCidrs);
  const addrKey = "ip daddr . meta l4proto . th dport";
  const portKey = "meta l4proto . th dport";
  const addrType = "ipv4_addr . inet_proto . inet_service";
  const portType = "inet_proto . inet_service";
  const nodeAddress = nodeIPs.length > 0
    ? "ip daddr @nodeport-ips"
    : "fib daddr type local ip daddr != 127.0.0.0/8";
  const lines = [
    `add table ${t} { comment "skiff service proxy"; }`,
    `add map ${t} ${NFT_MAPS.serviceIps} { type ${addrType} : verdict; }`,
    `add map ${t} ${NFT_MAPS.serviceNodePorts} { type ${portType} : verdict; }`,
    `add map ${t} ${NFT_MAPS.noEndpointServices} { type ${addrType} : verdict; }`,
    `add map ${t} ${NFT_MAPS.noEndpointNodePorts} { type ${portType} : verdict; }`,
    `add set ${t} ${NFT_MAPS.clusterIps} { type ipv4_addr; }`,
    `add set ${t} ${NFT_MAPS.hairpin} { type ipv4_addr . ipv4_addr; }`,
  ];
  for (const p of PROTOCOLS) {
    const pick = "numgen random mod 1";
    lines.push(
      `add map ${t} ${
        endpointsMap(p)
      } { typeof ip daddr . ${p} dport . ${pick} : ip daddr . ${p} dport; }`,
      `add map ${t} ${
        nodePortEndpointsMap(p)
      } { typeof ${p} dport . ${pick} : ip daddr . ${p} dport; }`,
    );
  }
  if (nodeIPs.length > 0) {
    lines.push(
      `add set ${t} nodeport-ips { type ipv4_addr; elements = { ${nodeIPs.join(", ")} }; }`,
    );
  }
  const base: [string, string, string, number][] = [
    ["filter-input", "filter", "input", -110],
    ["filter-forward", "filter", "forward", -110],
    ["filter-output", "filter", "output", -110],
    ["filter-output-post-dnat", "filter", "output", -90],
    ["nat-prerouting", "nat", "prerouting", -100],
    ["nat-output", "nat", "output", -100],
    ["nat-postrouting", "nat", "postrouting", 100],
  ];
  for (const [name, type, hook, priority] of base) {
    lines.push(
      `add chain ${t} ${name} { type ${type} hook ${hook} priority ${priority}; policy accept; }`,
    );
  }
  for (
    const name of [
      "services",
      "masquerading",
      "mark-for-masquerade",
      "reject-chain",
      "service-endpoints-check",
      "nodeport-endpoints-check",
      "cluster-ips-check",
    ]
  ) {
    lines.push(`add chain ${t} ${name}`);
  }
  const rule = (chain: string, text: string) => lines.push(`add rule ${t} ${chain} ${text}`);
  rule("filter-input", "ct state new jump nodeport-endpoints-check");
  rule("filter-input", "ct state new jump service-endpoints-check");
  rule("filter-forward", "ct state new jump service-endpoints-check");
  rule("filter-forward", "ct state new jump cluster-ips-check");
  rule("filter-output", "ct state new jump service-endpoints-check");
  rule("filter-output-post-dnat", "ct state new jump cluster-ips-check");
  rule("nat-prerouting", "jump services");
  rule("nat-output", "jump services");
  rule("nat-postrouting", "jump masquerading");
  rule("services", `${addrKey} vmap @${NFT_MAPS.serviceIps}`);
  rule("services", `${nodeAddress} ${portKey} vmap @${NFT_MAPS.serviceNodePorts}`);
  const mark = hex(MASQUERADE_MARK);
  rule("mark-for-masquerade", `meta mark set meta mark | ${mark}`);
  rule(
    "masquerading",
    `ip saddr . ip daddr @${NFT_MAPS.hairpin} meta mark set meta mark | ${mark}`,
  );
  rule("masquerading", `meta mark & ${mark} == ${hex(0)} return`);
  rule("masquerading", `meta mark set meta mark ^ ${mark}`);
  rule("masquerading", "masquerade fully-random");
  // A TCP reset fails connect() at once; an ICMP error reaching a socket its owner holds
  // is only a soft error, and the SYN is retried a second later.
  rule("reject-chain", "meta l4proto tcp reject with tcp reset");
  rule("reject-chain", "reject");
  rule("service-endpoints-check", `${addrKey} vmap @${NFT_MAPS.noEndpointServices}`);
  rule(
    "nodeport-endpoints-check",
    `${nodeAddress} ${portKey} vmap @${NFT_MAPS.noEndpointNodePorts}`,
  );
  if (localIPs.length > 0) rule("cluster-ips-check", `ip daddr { ${localIPs.join(", ")} } return`);
  rule("cluster-ips-check", `ip daddr @${NFT_MAPS.clusterIps} ${REJECT}`);
  if (serviceCidrs.length > 0) {
    rule("cluster-ips-check", `ip daddr { ${serviceCidrs.join(", ")} } drop`);
  }
  return lines;
}

/** Where a shared chain's `dnat` looks its endpoint up. */
type KeyKind = "ip" | "nodeport";

function dnatRule(kind: KeyKind, protocol: ProxyProtocol, range: [number, number]): string {
  const [count, offset] = range;
  const key = kind === "ip" ? `ip daddr . ${protocol} dport` : `${protocol} dport`;
  const map = kind === "ip" ? endpointsMap(protocol) : nodePortEndpointsMap(protocol);
  const pick = `numgen random mod ${count}${offset > 0 ? ` offset ${offset}` : ""}`;
  return `dnat ip addr . port to ${key} . ${pick} map @${map}`;
}

/**
 * A shared chain's rules, from its name: `cluster-<proto>-N` (cluster IPs),
 * `external-<proto>-N` and `nodeport-<proto>-N` (Cluster policy), `external-local-<proto>-N-M`
 * and `nodeport-local-<proto>-N-M` (Local policy: indexes `0…N-1` are the Cluster endpoints,
 * for pods and the node itself; `N…N+M-1` the node's own).
 */
export function sharedChainRules(name: string, options: NftRulesetOptions): string[] {
  const match = /^(cluster|external|nodeport)(-local)?-(tcp|udp|sctp)-(\d+)(?:-(\d+))?$/.exec(
    name,
  );
  if (!match) throw new TypeError(`Cannot make shared chain "${name}": unknown shape`);
  const [, what, local, protocolText, nText, mText] = match;
  const protocol = protocolText as ProxyProtocol;
  const n = Number(nText);
  const kind: KeyKind = what === "nodeport" ? "nodeport" : "ip";
  const pods = podCidr(options);
  if (what === "cluster") {
    return [...(pods ? [`ip saddr != ${pods} ${MARK}`] : []), dnatRule("ip", protocol, [n, 0])];
  }
  const all = dnatRule(kind, protocol, [n, 0]);
  if (!local) return [MARK, all];
  const m = Number(mText ?? "0");
  return [
    // Pods and the node itself reaching an external address get Cluster policy.
    ...(pods ? [`ip saddr ${pods} ${all}`] : []),
    `fib saddr type local ${MARK}`,
    `fib saddr type local ${all}`,
    m > 0 ? dnatRule(kind, protocol, [m, n]) : "drop",
  ];
}

function chainOf(name: string, options: NftRulesetOptions): NftChain {
  return { name, rules: sharedChainRules(name, options), shared: true };
}

/** The node-local endpoints a hairpin pair is kept for (`nodeName` unset counts as local). */
function mayBeLocal(ep: ProxyEndpoint, nodeName: string): boolean {
  return ep.nodeName === "" || ep.nodeName === nodeName;
}

/** What {@linkcode serviceFragment} needs besides the ports. */
export interface FragmentOptions extends NftRulesetOptions {
  readonly nodeName: string;
}

/** The elements, chains and sets of one Service's ports (see the module doc). */
export function serviceFragment(
  ports: readonly ProxyServicePort[],
  options: FragmentOptions,
): NftFragment {
  const elements: NftElement[] = [];
  const chains = new Map<string, NftChain>();
  const affinitySets: NftAffinitySet[] = [];
  const seen = new Set<string>();
  const setElement = (map: string, key: string) => {
    const id = `${map} ${key}`;
    if (seen.has(id)) return;
    seen.add(id);
    elements.push({ map, key, value: "" });
  };
  const shared = (name: string) => {
    if (!chains.has(name)) chains.set(name, chainOf(name, options));
    return `goto ${name}`;
  };
  for (const port of ports) {
    for (const ip of port.clusterIPs) setElement(NFT_MAPS.clusterIps, ip);
    for (const ep of [...port.cluster, ...port.local]) {
      if (mayBeLocal(ep, options.nodeName)) setElement(NFT_MAPS.hairpin, `${ep.ip} . ${ep.ip}`);
    }
    const p = port.protocol;
    const internal = port.internalLocal ? port.local : port.cluster;
    const n = port.cluster.length;
    const m = port.local.length;
    /** Endpoint elements `<endpointKey> . <from + i>`: the endpoint maps are per protocol. */
    const endpointElements = (
      target: { map: string; key: string },
      list: readonly ProxyEndpoint[],
      from: number,
    ) =>
      list.forEach((ep, i) =>
        elements.push({
          map: target.map,
          key: `${target.key} . ${from + i}`,
          value: `${ep.ip} . ${ep.port}`,
        })
      );
    const affinity = port.affinitySeconds > 0 ? affinityChains(port, options) : undefined;
    if (affinity) {
      for (const chain of affinity.chains) chains.set(chain.name, chain);
      affinitySets.push(...affinity.sets);
    }
    // Cluster IPs.
    for (const ip of port.clusterIPs) {
      const key = `${ip} . ${p} . ${port.port}`;
      if (internal.length === 0) {
        elements.push({
          map: NFT_MAPS.noEndpointServices,
          key,
          value: port.hasAnyEndpoints ? "drop" : REJECT,
        });
      } else if (affinity) {
        elements.push({
          map: NFT_MAPS.serviceIps,
          key,
          value: `goto ${port.internalLocal ? "loc" : "svc"}-${port.id}`,
        });
      } else {
        elements.push({
          map: NFT_MAPS.serviceIps,
          key,
          value: shared(`cluster-${p}-${internal.length}`),
        });
        endpointElements({ map: endpointsMap(p), key: `${ip} . ${port.port}` }, internal, 0);
      }
    }
    // External IPs, load-balancer IPs and the node port.
    const external = [
      ...port.externalIPs.map((ip) => ({
        kind: "ip" as KeyKind,
        key: `${ip} . ${p} . ${port.port}`,
        endpoints: { map: endpointsMap(p), key: `${ip} . ${port.port}` },
      })),
      ...(port.nodePort > 0
        ? [{
          kind: "nodeport" as KeyKind,
          key: `${p} . ${port.nodePort}`,
          endpoints: { map: nodePortEndpointsMap(p), key: `${port.nodePort}` },
        }]
        : []),
    ];
    for (const { kind, key, endpoints } of external) {
      const dispatch = kind === "ip" ? NFT_MAPS.serviceIps : NFT_MAPS.serviceNodePorts;
      const noEndpoints = kind === "ip"
        ? NFT_MAPS.noEndpointServices
        : NFT_MAPS.noEndpointNodePorts;
      const prefix = kind === "ip" ? "external" : "nodeport";
      if (n === 0) {
        elements.push({ map: noEndpoints, key, value: REJECT });
      } else if (affinity) {
        elements.push({ map: dispatch, key, value: `goto ext-${port.id}` });
      } else if (!port.externalLocal) {
        elements.push({ map: dispatch, key, value: shared(`${prefix}-${p}-${n}`) });
        endpointElements(endpoints, port.cluster, 0);
      } else {
        elements.push({ map: dispatch, key, value: shared(`${prefix}-local-${p}-${n}-${m}`) });
        endpointElements(endpoints, port.cluster, 0);
        endpointElements(endpoints, port.local, n);
      }
    }
  }
  return { elements, chains: [...chains.values()], affinitySets };
}

/** The name of an endpoint's affinity set and chain suffix: `<id>__<ip>/<port>`. */
function endpointName(port: ProxyServicePort, ep: ProxyEndpoint): string {
  return `${port.id}__${ep.ip}/${ep.port}`;
}

/**
 * kube-proxy's per-port chains for ClientIP affinity: `svc-<id>` (Cluster endpoints),
 * `loc-<id>` (Local ones), `ext-<id>` (external traffic), and per endpoint an `ep-` chain that
 * records the client in its `aff-` set (named with the timeout, so a new timeout is a new set).
 */
function affinityChains(
  port: ProxyServicePort,
  options: NftRulesetOptions,
): { chains: NftChain[]; sets: NftAffinitySet[] } {
  const chains: NftChain[] = [];
  const sets: NftAffinitySet[] = [];
  const pods = podCidr(options);
  const setName = (ep: ProxyEndpoint) => `aff-${endpointName(port, ep)}__${port.affinitySeconds}`;
  const epChain = (ep: ProxyEndpoint) => `ep-${endpointName(port, ep)}`;
  const masquerade = pods
    ? port.clusterIPs.map((ip) => `ip daddr ${ip} ip saddr != ${pods} ${MARK}`)
    : [];
  const pick = (list: readonly ProxyEndpoint[]) => [
    ...list.map((ep) => `ip saddr @${setName(ep)} goto ${epChain(ep)}`),
    `numgen random mod ${list.length} vmap { ${
      list.map((ep, i) => `${i} : goto ${epChain(ep)}`).join(", ")
    } }`,
  ];
  if (port.cluster.length > 0) {
    chains.push({ name: `svc-${port.id}`, rules: [...masquerade, ...pick(port.cluster)] });
  }
  const usesLocal = port.internalLocal || port.externalLocal;
  if (usesLocal && port.local.length > 0) {
    chains.push({
      name: `loc-${port.id}`,
      rules: [...(port.internalLocal ? masquerade : []), ...pick(port.local)],
    });
  }
  const externallyAccessible = port.nodePort > 0 || port.externalIPs.length > 0;
  if (externallyAccessible && port.cluster.length > 0) {
    const svc = `goto svc-${port.id}`;
    chains.push({
      name: `ext-${port.id}`,
      rules: port.externalLocal
        ? [
          ...(pods ? [`ip saddr ${pods} ${svc}`] : []),
          `fib saddr type local ${MARK}`,
          `fib saddr type local ${svc}`,
          port.local.length > 0 ? `goto loc-${port.id}` : "drop",
        ]
        : [MARK, svc],
    });
  }
  const seen = new Set<string>();
  for (const ep of [...port.cluster, ...port.local]) {
    const name = epChain(ep);
    if (seen.has(name)) continue;
    seen.add(name);
    sets.push({ name: setName(ep), timeoutSeconds: port.affinitySeconds });
    chains.push({
      name,
      rules: [
        `update @${setName(ep)} { ip saddr }`,
        `meta l4proto ${port.protocol} dnat to ${ep.ip}:${ep.port}`,
      ],
    });
  }
  return { chains, sets };
}
