/**
 * A ruleset with kube-proxy's nftables-mode shape (node-runtime.md §4.1) for the same
 * Services, as the benchmark's baseline: per Service a service chain (cluster-IP masquerade
 * rule, `numgen random mod N vmap` to endpoint chains), per endpoint a chain (hairpin mark,
 * `dnat to`), and a `service-ips` verdict map. No base chains are hooked: the table only
 * measures how fast nft loads such a ruleset, it carries no traffic.
 *
 * @module
 */

/** One Service of the baseline: a cluster IP, TCP port 80, endpoints on port 8080. */
export interface LikeService {
  readonly name: string;
  readonly ip: string;
  readonly endpoints: readonly string[];
}

/** The `nft -f` text that builds table `ip <table>` from nothing. */
export function kubeProxyLikeRuleset(
  services: readonly LikeService[],
  options: { readonly table: string; readonly clusterCidr: string },
): string {
  const t = `ip ${options.table}`;
  const lines = [
    `add table ${t}`,
    `delete table ${t}`,
    `add table ${t}`,
    `add map ${t} service-ips { type ipv4_addr . inet_proto . inet_service : verdict; }`,
    `add chain ${t} mark-for-masquerade`,
    `add rule ${t} mark-for-masquerade meta mark set meta mark | 0x00004000`,
  ];
  const elements: string[] = [];
  for (const svc of services) {
    const base = `default/${svc.name}/tcp/80`;
    const chain = `service-${base}`;
    const endpointChains = svc.endpoints.map((ep) => `endpoint-${base}__${ep}/8080`);
    lines.push(`add chain ${t} ${chain}`);
    for (const ep of endpointChains) lines.push(`add chain ${t} ${ep}`);
    lines.push(
      `add rule ${t} ${chain} ip daddr ${svc.ip} tcp dport 80 ip saddr != ${options.clusterCidr} jump mark-for-masquerade`,
      `add rule ${t} ${chain} numgen random mod ${endpointChains.length} vmap { ${
        endpointChains.map((ep, i) => `${i} : goto ${ep}`).join(", ")
      } }`,
    );
    svc.endpoints.forEach((ep, i) => {
      lines.push(
        `add rule ${t} ${endpointChains[i]} ip saddr ${ep} jump mark-for-masquerade`,
        `add rule ${t} ${endpointChains[i]} meta l4proto tcp dnat to ${ep}:8080`,
      );
    });
    elements.push(`${svc.ip} . tcp . 80 : goto ${chain}`);
  }
  if (elements.length > 0) lines.push(`add element ${t} service-ips { ${elements.join(", ")} }`);
  return lines.join("\n") + "\n";
}
