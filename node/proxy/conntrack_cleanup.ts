/**
 * UDP has no connection end, so conntrack keeps sending a UDP "connection" to the endpoint it
 * was DNATed to — even after that endpoint is gone — until the entry times out. As kube-proxy
 * does, the proxy deletes such entries with the `conntrack` tool after the rules changed:
 * {@linkcode staleUdpFlows} lists the `conntrack -D` commands for one Service's change.
 *
 * - An endpoint a UDP port no longer uses: the entries DNATed to it from each of the port's
 *   addresses and from its node port.
 * - A UDP port that had no endpoints and now has some: the entries to its addresses (they
 *   were made while the traffic was rejected or dropped).
 *
 * @module
 */
import type { ProxyServicePort } from "./service_ports.ts";

function usedEndpoints(port: ProxyServicePort): Set<string> {
  return new Set([...port.cluster, ...port.local].map((ep) => ep.ip));
}

/** The `conntrack` argv lists that flush what `before` left and `after` no longer wants. */
export function staleUdpFlows(
  before: readonly ProxyServicePort[],
  after: readonly ProxyServicePort[],
): string[][] {
  const out: string[][] = [];
  const afterById = new Map(after.map((p) => [p.id, p]));
  for (const old of before) {
    if (old.protocol !== "udp") continue;
    const now = afterById.get(old.id);
    const kept = now ? usedEndpoints(now) : new Set<string>();
    for (const ip of usedEndpoints(old)) {
      if (kept.has(ip)) continue;
      for (const address of [...old.clusterIPs, ...old.externalIPs]) {
        out.push(["conntrack", "-D", "-p", "udp", "--orig-dst", address, "--dst-nat", ip]);
      }
      if (old.nodePort > 0) {
        out.push([
          "conntrack",
          "-D",
          "-p",
          "udp",
          "--orig-port-dst",
          String(old.nodePort),
          "--dst-nat",
          ip,
        ]);
      }
    }
  }
  const beforeById = new Map(before.map((p) => [p.id, p]));
  for (const now of after) {
    if (now.protocol !== "udp" || usedEndpoints(now).size === 0) continue;
    const old = beforeById.get(now.id);
    if (old && usedEndpoints(old).size > 0) continue;
    for (const address of [...now.clusterIPs, ...now.externalIPs]) {
      out.push([
        "conntrack",
        "-D",
        "-p",
        "udp",
        "--orig-dst",
        address,
        "--orig-port-dst",
        String(now.port),
      ]);
    }
  }
  return out;
}
