/**
 * For tests: what the kernel would do with the first packet of a connection given a
 * {@linkcode NetpolRuleset} and the base chains `nft_transaction.ts` writes — the
 * egress check of the sender, then (unless the packet is for the node itself) the ingress
 * check of the receiver. Lets semantics tests state "x may reach y on tcp/80" instead of
 * reading rules.
 *
 * @module
 */
import { cidrContains, parseIpv4, parseIpv4Cidr } from "../network/ipv4.ts";
import {
  NETPOL_EGRESS_MAP,
  NETPOL_INGRESS_MAP,
  NETPOL_SELF_SET,
  type NetpolMatch,
  type NetpolRuleset,
} from "./netpol_ruleset.ts";

/** The first packet of a connection. */
export interface TestPacket {
  readonly from: string;
  readonly to: string;
  readonly protocol: "tcp" | "udp" | "sctp" | "icmp";
  readonly port?: number;
  /** The destination is an address of the node itself (input hook, not forward). */
  readonly toNode?: boolean;
}

type Outcome = "accept" | "drop" | "continue";

function inCidr(cidr: string, ip: string): boolean {
  return cidrContains(parseIpv4Cidr(cidr)!, parseIpv4(ip)!);
}

function holds(ruleset: NetpolRuleset, m: NetpolMatch, p: TestPacket): boolean {
  switch (m.kind) {
    case "inSet":
      return ruleset.sets.get(m.set)?.elements.has(m.field === "saddr" ? p.from : p.to) ?? false;
    case "inCidr": {
      const ip = m.field === "saddr" ? p.from : p.to;
      return inCidr(m.cidr, ip) && !m.except.some((e) => inCidr(e, ip));
    }
    case "protocol":
      return p.protocol === m.protocol;
    case "port":
      return p.protocol === m.protocol && p.port !== undefined && p.port >= m.first &&
        p.port <= m.last;
    case "namedPort":
      return p.protocol === m.protocol &&
        (ruleset.sets.get(m.set)?.elements.has(`${p.to} . ${p.port}`) ?? false);
  }
}

function runChain(ruleset: NetpolRuleset, chain: string, p: TestPacket, depth = 0): Outcome {
  if (depth > 16) throw new Error(`Chain loop at "${chain}"`);
  const rules = ruleset.chains.get(chain);
  if (!rules) throw new Error(`No chain "${chain}"`);
  for (const rule of rules) {
    if (!rule.matches.every((m) => holds(ruleset, m, p))) continue;
    if (rule.verdict === "accept" || rule.verdict === "drop") return rule.verdict;
    const outcome = runChain(ruleset, rule.verdict.jump, p, depth + 1);
    if (outcome !== "continue") return outcome;
  }
  return "continue";
}

/** Whether the connection's first packet passes the enforcer's chains. */
export function packetAllowed(ruleset: NetpolRuleset, p: TestPacket): boolean {
  const self = !p.toNode &&
    (ruleset.sets.get(NETPOL_SELF_SET)?.elements.has(`${p.from} . ${p.to}`) ??
      false);
  if (self) return true;
  const egress = ruleset.maps.get(NETPOL_EGRESS_MAP)?.get(p.from);
  if (egress && runChain(ruleset, egress, p) === "drop") return false;
  if (p.toNode) return true;
  const ingress = ruleset.maps.get(NETPOL_INGRESS_MAP)?.get(p.to);
  if (ingress && runChain(ruleset, ingress, p) === "drop") return false;
  return true;
}
