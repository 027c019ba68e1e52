/**
 * NetworkPolicies, pods and namespaces → the nftables objects that enforce the policies for
 * one node's pods ({@linkcode buildNetpolRuleset}): pure, so it is table-tested, and the same
 * input always gives the same names and order.
 *
 * What it builds (rendered by `nft_transaction.ts`):
 * - **Peer sets** `pods-<hash>` (`ipv4_addr`): the IPs of the pods, anywhere in the cluster,
 *   that one peer selects — `podSelector` in the policy's namespace, `namespaceSelector`
 *   (every pod of the selected namespaces) or both (the pods `podSelector` selects in the
 *   namespaces `namespaceSelector` selects). The hash is of the selector pair, so two rules
 *   with the same selectors share one set.
 * - **Named-port sets** `named-<protocol>-<name>` (`ipv4_addr . inet_service`): for every pod
 *   with a container port of that name and protocol, `<pod IP> . <port>`. A rule's named port
 *   matches `ip daddr . <protocol> dport` in the set, so it resolves per destination pod: the
 *   selected pod for ingress, the peer for egress.
 * - **Policy chains** `<ingress|egress>-<hash>-<namespace>/<name>`: one rule per allowed
 *   (peer, port) combination ending in `accept` (a rule with several peers and several ports
 *   jumps from each peer to a sub-chain `…/<rule index>` of its ports). A policy with no
 *   rules for a direction it isolates has an empty chain: it allows nothing.
 * - **Combination chains** `<ingress|egress>-policies-<hash>`: `jump` to each policy chain
 *   that selects a pod, then `drop`. Pods selected by the same policies share one, so the
 *   rules of a pod are the union of its policies'.
 * - **Verdict maps** `ingress-pods` and `egress-pods`: this node's isolated pods' IPs →
 *   `goto` their combination chain. A pod not isolated for a direction is not in the map.
 * - **`self`** (`ipv4_addr . ipv4_addr`): `<ip> . <ip>` for each isolated local pod: a pod
 *   may always reach itself (through a Service, the only way its traffic reaches the node).
 *
 * A pod appearing, going away or changing labels thus changes set and map elements only;
 * chains change only with the policies (and a combination chain appears the first time a
 * pod is selected by exactly those policies).
 *
 * Semantics (Kubernetes'): a pod is isolated for a direction only if a policy selecting it
 * has that policy type (`policyTypes` defaulting to Ingress, plus Egress when `egress` rules
 * are present); empty or absent `from`/`to` is every peer and empty or absent `ports` every
 * port; `protocol` defaults to TCP; `endPort` makes a range. ipBlock matches any address,
 * pod IPs included (as Calico and kube-router do, and as upstream's e2e "egress access to
 * server in CIDR block" expects), minus `except`. Only IPv4 is enforced: skiff's pods have
 * IPv4 addresses only, so IPv6 ipBlocks cannot match and are left out. Pods that use the
 * host network, have no IPv4 address yet or have finished (Succeeded/Failed) are neither
 * selected nor peers.
 *
 * @example Isolate a pod and let one peer in
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildNetpolRuleset } from "./netpol_ruleset.ts";
 *
 * const ruleset = buildNetpolRuleset({
 *   nodeName: "edge-1",
 *   namespaces: [{ metadata: { name: "default" } }],
 *   pods: [{
 *     metadata: { namespace: "default", name: "db", labels: { app: "db" } },
 *     spec: { nodeName: "edge-1", containers: [] },
 *     status: { podIP: "10.42.0.5" },
 *   }],
 *   policies: [{
 *     metadata: { namespace: "default", name: "db" },
 *     spec: {
 *       podSelector: { matchLabels: { app: "db" } },
 *       ingress: [{ from: [{ podSelector: { matchLabels: { app: "web" } } }] }],
 *     },
 *   }],
 * });
 * assert.ok(ruleset.maps.get("ingress-pods")?.has("10.42.0.5"));
 * assert.equal(ruleset.maps.get("egress-pods")?.size, 0);
 * ```
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { Namespace } from "../../control/api/types/core_v1_namespace.ts";
import type { Pod } from "../../control/api/types/core_v1_pod.ts";
import type { LabelSelector } from "../../control/api/types/meta_v1.ts";
import type {
  IPBlock,
  NetworkPolicy,
  NetworkPolicyPeer,
  NetworkPolicyPort,
} from "../../control/api/types/networking_v1.ts";
import {
  type CompiledLabelSelector,
  compileLabelSelector,
  type LabelSet,
} from "../../control/client/label_selector.ts";
import {
  cidrContainsCidr,
  formatIpv4Cidr,
  type Ipv4Cidr,
  isIpv4,
  parseIpv4Cidr,
} from "../network/ipv4.ts";

/** The transport protocols a policy port names, as nft spells them. */
export type NetpolProtocol = "tcp" | "udp" | "sctp";

/** Which address of the packet a match tests. */
export type NetpolAddressField = "saddr" | "daddr";

/** One condition of a rule. */
export type NetpolMatch =
  /** `ip <field> @<set>` */
  | { readonly kind: "inSet"; readonly field: NetpolAddressField; readonly set: string }
  /** `ip <field> <cidr>`, then `ip <field> != { <except> }` when there are exceptions. */
  | {
    readonly kind: "inCidr";
    readonly field: NetpolAddressField;
    readonly cidr: string;
    readonly except: readonly string[];
  }
  /** `meta l4proto <protocol>` */
  | { readonly kind: "protocol"; readonly protocol: NetpolProtocol }
  /** `<protocol> dport <first>[-<last>]` */
  | {
    readonly kind: "port";
    readonly protocol: NetpolProtocol;
    readonly first: number;
    readonly last: number;
  }
  /** `ip daddr . <protocol> dport @<set>` */
  | { readonly kind: "namedPort"; readonly protocol: NetpolProtocol; readonly set: string };

/** What a rule does when all its matches hold. */
export type NetpolVerdict = "accept" | "drop" | { readonly jump: string };

/** A rule of a regular chain. */
export interface NetpolRule {
  readonly matches: readonly NetpolMatch[];
  readonly verdict: NetpolVerdict;
}

/** The key types of the sets. */
export type NetpolSetType = "ipv4_addr" | "ipv4_addr . inet_service" | "ipv4_addr . ipv4_addr";

/** A named set and its elements (as nft writes them: `10.42.0.5`, `10.42.0.5 . 8080`). */
export interface NetpolSet {
  readonly type: NetpolSetType;
  readonly elements: ReadonlySet<string>;
}

/** The name of the verdict map of pods isolated for ingress. */
export const NETPOL_INGRESS_MAP = "ingress-pods";
/** The name of the verdict map of pods isolated for egress. */
export const NETPOL_EGRESS_MAP = "egress-pods";
/** The name of the set of `<ip> . <ip>` pairs of isolated local pods. */
export const NETPOL_SELF_SET = "self";

/** Everything the enforcer keeps in its table besides the base chains. */
export interface NetpolRuleset {
  /** Peer, named-port and self sets by name. */
  readonly sets: ReadonlyMap<string, NetpolSet>;
  /** {@linkcode NETPOL_INGRESS_MAP} and {@linkcode NETPOL_EGRESS_MAP}: pod IP → chain to `goto`. */
  readonly maps: ReadonlyMap<string, ReadonlyMap<string, string>>;
  /** Regular chains by name, in the order they were made. */
  readonly chains: ReadonlyMap<string, readonly NetpolRule[]>;
  /** Policies or parts of them that could not be enforced, and why (e.g. a bad selector). */
  readonly problems: readonly string[];
}

/** What {@linkcode buildNetpolRuleset} takes. */
export interface NetpolInput {
  /** Pods with this `spec.nodeName` are the ones policies are enforced for. */
  readonly nodeName: string;
  readonly policies: readonly NetworkPolicy[];
  /** All pods of the cluster: peers may be anywhere. */
  readonly pods: readonly Pod[];
  readonly namespaces: readonly Namespace[];
}

/** The label the API server puts on every namespace (its name). */
const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";
const PROTOCOLS: ReadonlySet<string> = new Set(["tcp", "udp", "sctp"]);
const PORT_NAME = /^[a-z0-9]([a-z0-9-]{0,13}[a-z0-9])?$/;
const BASE32 = "abcdefghijklmnopqrstuvwxyz234567";

/** The first `length` base32 characters of the SHA-256 of `text`. */
export function netpolNameHash(text: string, length: number): string {
  const digest = createHash("sha256").update(text).digest();
  let out = "";
  let bits = 0;
  let value = 0;
  for (const byte of digest) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.length < length) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
    if (out.length >= length) break;
  }
  return out;
}

interface PodView {
  readonly namespace: string;
  readonly labels: LabelSet;
  readonly ip: string;
  readonly local: boolean;
  readonly pod: Pod;
}

/** The pod's IPv4 address, if it has one and takes part in policies (see the module doc). */
export function netpolPodIp(pod: Pod): string | undefined {
  if (pod.spec?.hostNetwork) return undefined;
  const phase = pod.status?.phase;
  if (phase === "Succeeded" || phase === "Failed") return undefined;
  for (const entry of pod.status?.podIPs ?? []) {
    if (entry.ip && isIpv4(entry.ip)) return entry.ip;
  }
  const ip = pod.status?.podIP;
  return ip && isIpv4(ip) ? ip : undefined;
}

function selectorKey(selector: CompiledLabelSelector): string {
  const parts = selector.requirements.map((r) =>
    JSON.stringify([r.key, r.operator, [...r.values].sort()])
  );
  return `[${parts.sort().join(",")}]`;
}

function policyKey(policy: NetworkPolicy): string {
  return `${policy.metadata?.namespace ?? ""}/${policy.metadata?.name ?? ""}`;
}

function chainNameFor(direction: "ingress" | "egress", key: string): string {
  return `${direction}-${netpolNameHash(key, 8)}-${key}`.slice(0, 200);
}

function protocolOf(text: string | undefined): NetpolProtocol | undefined {
  const protocol = (text ?? "TCP").toLowerCase();
  return PROTOCOLS.has(protocol) ? protocol as NetpolProtocol : undefined;
}

interface PeerSelection {
  /** Set: the namespace the peer is limited to; unset: `namespaces` decides. */
  readonly namespace?: string;
  readonly namespaces?: CompiledLabelSelector;
  readonly pods: CompiledLabelSelector;
}

/** The rules for one direction of one policy, and the sets they refer to. */
class Builder {
  readonly sets = new Map<string, NetpolSet>();
  readonly chains = new Map<string, NetpolRule[]>();
  readonly problems: string[] = [];
  readonly #peers = new Map<string, PeerSelection>();
  readonly #namedPorts = new Map<string, { protocol: NetpolProtocol; name: string }>();

  /** The set of pods a selector peer selects, or `undefined` if a selector is invalid. */
  peerSet(peer: NetworkPolicyPeer, namespace: string, where: string): string | undefined {
    const pods = this.#compile(peer.podSelector ?? {}, `${where}.podSelector`);
    if (!pods) return undefined;
    let key: string;
    let selection: PeerSelection;
    if (peer.namespaceSelector) {
      const namespaces = this.#compile(peer.namespaceSelector, `${where}.namespaceSelector`);
      if (!namespaces) return undefined;
      key = `namespaces ${selectorKey(namespaces)} pods ${selectorKey(pods)}`;
      selection = { namespaces, pods };
    } else {
      key = `namespace ${namespace} pods ${selectorKey(pods)}`;
      selection = { namespace, pods };
    }
    const name = `pods-${netpolNameHash(key, 16)}`;
    this.#peers.set(name, selection);
    return name;
  }

  /** The set resolving port `name` of `protocol` on every pod. */
  namedPortSet(protocol: NetpolProtocol, name: string): string {
    const set = PORT_NAME.test(name)
      ? `named-${protocol}-${name}`
      : `named-${protocol}-${netpolNameHash(name, 16)}`;
    this.#namedPorts.set(set, { protocol, name });
    return set;
  }

  /** Fills the peer and named-port sets from the pods. */
  fillSets(pods: readonly PodView[], namespaceLabels: (namespace: string) => LabelSet): void {
    for (const [name, selection] of [...this.#peers].sort(byKey)) {
      const elements = new Set<string>();
      for (const pod of pods) {
        if (selection.namespace !== undefined) {
          if (pod.namespace !== selection.namespace) continue;
        } else if (!selection.namespaces?.matches(namespaceLabels(pod.namespace))) continue;
        if (selection.pods.matches(pod.labels)) elements.add(pod.ip);
      }
      this.sets.set(name, { type: "ipv4_addr", elements });
    }
    for (const [set, { protocol, name }] of [...this.#namedPorts].sort(byKey)) {
      const elements = new Set<string>();
      for (const pod of pods) {
        for (const container of pod.pod.spec?.containers ?? []) {
          for (const port of container.ports ?? []) {
            if (port.name !== name || protocolOf(port.protocol) !== protocol) continue;
            elements.add(`${pod.ip} . ${port.containerPort}`);
          }
        }
      }
      this.sets.set(set, { type: "ipv4_addr . inet_service", elements });
    }
  }

  #compile(selector: LabelSelector, where: string): CompiledLabelSelector | undefined {
    try {
      return compileLabelSelector(selector);
    } catch (err) {
      this.problems.push(`${where}: ${(err as Error).message}`);
      return undefined;
    }
  }
}

function byKey<T>(a: readonly [string, T], b: readonly [string, T]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}

/**
 * The matches of an ipBlock peer, or `undefined` when it can match no IPv4 address (an
 * IPv6 block, a bad CIDR, or `except` covering it all).
 */
function ipBlockMatches(
  block: IPBlock,
  field: NetpolAddressField,
  report: (problem: string) => void,
): NetpolMatch[] | undefined {
  const cidr = parseIpv4Cidr(block.cidr);
  if (!cidr) {
    if (!block.cidr.includes(":")) report(`ipBlock.cidr: cannot parse "${block.cidr}"`);
    return undefined;
  }
  const excepts: Ipv4Cidr[] = [];
  for (const text of block.except ?? []) {
    const except = parseIpv4Cidr(text);
    if (!except) {
      if (!text.includes(":")) report(`ipBlock.except: cannot parse "${text}"`);
      continue;
    }
    if (cidrContainsCidr(except, cidr)) return undefined;
    if (cidrContainsCidr(cidr, except)) excepts.push(except);
  }
  const kept = excepts.filter((e, i) =>
    !excepts.some((other, j) =>
      j !== i && cidrContainsCidr(other, e) && (other.prefix < e.prefix || j < i)
    )
  ).sort((a, b) => a.network - b.network || a.prefix - b.prefix);
  return [{
    kind: "inCidr",
    field,
    cidr: formatIpv4Cidr(cidr),
    except: kept.map(formatIpv4Cidr),
  }];
}

/** Rules for one policy rule: `accept` for each (peer, port) pair. */
function ruleRules(
  chain: string,
  index: number,
  peers: NetpolMatch[][] | undefined,
  ports: NetpolMatch[][] | undefined,
  chains: Map<string, NetpolRule[]>,
): NetpolRule[] {
  const from = peers ?? [[]];
  const to = ports ?? [[]];
  if (from.length === 0 || to.length === 0) return [];
  if (to.length === 1) {
    return from.map((p) => ({ matches: [...p, ...to[0]!], verdict: "accept" }));
  }
  if (from.length === 1) {
    return to.map((q) => ({ matches: [...from[0]!, ...q], verdict: "accept" }));
  }
  const sub = `${chain}/${index}`;
  chains.set(sub, to.map((q) => ({ matches: q, verdict: "accept" })));
  return from.map((p) => ({ matches: p, verdict: { jump: sub } }));
}

function portMatches(
  list: readonly NetworkPolicyPort[] | undefined,
  builder: Builder,
): NetpolMatch[][] | undefined {
  if (!list || list.length === 0) return undefined;
  const out: NetpolMatch[][] = [];
  for (const entry of list) {
    const protocol = protocolOf(entry.protocol);
    if (!protocol) continue;
    const port = entry.port as number | string | undefined | null;
    if (port === undefined || port === null) {
      out.push([{ kind: "protocol", protocol }]);
    } else if (typeof port === "number") {
      const last = entry.endPort ?? port;
      if (!(port >= 1 && last >= port && last <= 65535)) continue;
      out.push([{ kind: "port", protocol, first: port, last }]);
    } else {
      out.push([{ kind: "namedPort", protocol, set: builder.namedPortSet(protocol, port) }]);
    }
  }
  return out;
}

function peerMatches(
  list: readonly NetworkPolicyPeer[] | undefined,
  field: NetpolAddressField,
  context: { builder: Builder; namespace: string; where: string },
): NetpolMatch[][] | undefined {
  if (!list || list.length === 0) return undefined;
  const out: NetpolMatch[][] = [];
  list.forEach((peer, i) => {
    const where = `${context.where}[${i}]`;
    if (peer.podSelector || peer.namespaceSelector) {
      const set = context.builder.peerSet(peer, context.namespace, where);
      if (set) out.push([{ kind: "inSet", field, set }]);
    } else if (peer.ipBlock) {
      const matches = ipBlockMatches(
        peer.ipBlock,
        field,
        (problem) => context.builder.problems.push(`${where}.${problem}`),
      );
      if (matches) out.push(matches);
    }
  });
  return out;
}

/** Which directions a policy isolates (upstream `policyTypes` defaulting when unset). */
export function networkPolicyDirections(
  policy: NetworkPolicy,
): { ingress: boolean; egress: boolean } {
  const spec = policy.spec ?? {};
  const types = spec.policyTypes ?? [];
  if (types.length > 0) {
    return { ingress: types.includes("Ingress"), egress: types.includes("Egress") };
  }
  return { ingress: true, egress: (spec.egress?.length ?? 0) > 0 };
}

/** The nftables objects enforcing `input.policies` for `input.nodeName`'s pods. */
export function buildNetpolRuleset(input: NetpolInput): NetpolRuleset {
  const builder = new Builder();
  const namespaceLabels = new Map<string, LabelSet>();
  for (const ns of input.namespaces) {
    const name = ns.metadata?.name ?? "";
    namespaceLabels.set(name, { [NAMESPACE_NAME_LABEL]: name, ...ns.metadata?.labels });
  }
  const labelsOf = (namespace: string): LabelSet =>
    namespaceLabels.get(namespace) ?? { [NAMESPACE_NAME_LABEL]: namespace };

  const pods: PodView[] = [];
  for (const pod of input.pods) {
    const ip = netpolPodIp(pod);
    if (!ip) continue;
    pods.push({
      namespace: pod.metadata?.namespace ?? "",
      labels: pod.metadata?.labels ?? {},
      ip,
      local: pod.spec?.nodeName === input.nodeName,
      pod,
    });
  }
  pods.sort((a, b) => (a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : 0));
  const localPods = pods.filter((p) => p.local);

  // Local pod IP → the policy chains that apply to it, per direction.
  const ingressOf = new Map<string, string[]>();
  const egressOf = new Map<string, string[]>();
  const policies = [...input.policies].sort((a, b) =>
    policyKey(a) < policyKey(b) ? -1 : policyKey(a) > policyKey(b) ? 1 : 0
  );
  for (const policy of policies) {
    const key = policyKey(policy);
    const namespace = policy.metadata?.namespace ?? "";
    const spec = policy.spec ?? {};
    let selector: CompiledLabelSelector;
    try {
      selector = compileLabelSelector(spec.podSelector ?? {});
    } catch (err) {
      builder.problems.push(`NetworkPolicy "${key}": podSelector: ${(err as Error).message}`);
      continue;
    }
    const selected = localPods.filter((p) =>
      p.namespace === namespace && selector.matches(p.labels)
    );
    const directions = networkPolicyDirections(policy);
    const sections = [
      { direction: "ingress", on: directions.ingress, of: ingressOf },
      { direction: "egress", on: directions.egress, of: egressOf },
    ] as const;
    for (const { direction, on, of } of sections) {
      if (!on) continue;
      const chain = chainNameFor(direction, key);
      const problemsBefore = builder.problems.length;
      const rules: NetpolRule[] = [];
      builder.chains.set(chain, rules);
      const list = direction === "ingress"
        ? (spec.ingress ?? []).map((r) => ({ peers: r.from, ports: r.ports, field: "from" }))
        : (spec.egress ?? []).map((r) => ({ peers: r.to, ports: r.ports, field: "to" }));
      list.forEach((rule, i) => {
        const peers = peerMatches(rule.peers, direction === "ingress" ? "saddr" : "daddr", {
          builder,
          namespace,
          where: `${direction}[${i}].${rule.field}`,
        });
        const ports = portMatches(rule.ports, builder);
        rules.push(...ruleRules(chain, i, peers, ports, builder.chains));
      });
      for (let i = problemsBefore; i < builder.problems.length; i++) {
        builder.problems[i] = `NetworkPolicy "${key}": spec.${builder.problems[i]}`;
      }
      for (const pod of selected) {
        const chains = of.get(pod.ip) ?? [];
        chains.push(chain);
        of.set(pod.ip, chains);
      }
    }
  }

  builder.fillSets(pods, labelsOf);
  const self = new Set<string>();
  const maps = new Map<string, Map<string, string>>();
  for (
    const [mapName, direction, of] of [
      [NETPOL_INGRESS_MAP, "ingress", ingressOf],
      [NETPOL_EGRESS_MAP, "egress", egressOf],
    ] as const
  ) {
    const map = new Map<string, string>();
    for (const [ip, chains] of [...of].sort(byKey)) {
      const combination = `${direction}-policies-${netpolNameHash(chains.join("\n"), 16)}`;
      if (!builder.chains.has(combination)) {
        builder.chains.set(combination, [
          ...chains.map((c): NetpolRule => ({ matches: [], verdict: { jump: c } })),
          { matches: [], verdict: "drop" },
        ]);
      }
      map.set(ip, combination);
      self.add(`${ip} . ${ip}`);
    }
    maps.set(mapName, map);
  }
  builder.sets.set(NETPOL_SELF_SET, { type: "ipv4_addr . ipv4_addr", elements: self });
  return {
    sets: builder.sets,
    maps,
    chains: builder.chains,
    problems: builder.problems,
  };
}

/** A rule as nft text: its matches, then its verdict. */
export function renderNetpolRule(rule: NetpolRule): string {
  const parts: string[] = [];
  for (const m of rule.matches) {
    switch (m.kind) {
      case "inSet":
        parts.push(`ip ${m.field} @${m.set}`);
        break;
      case "inCidr":
        parts.push(`ip ${m.field} ${m.cidr}`);
        if (m.except.length > 0) parts.push(`ip ${m.field} != { ${m.except.join(", ")} }`);
        break;
      case "protocol":
        parts.push(`meta l4proto ${m.protocol}`);
        break;
      case "port":
        parts.push(
          `${m.protocol} dport ${m.first === m.last ? m.first : `${m.first}-${m.last}`}`,
        );
        break;
      case "namedPort":
        parts.push(`ip daddr . ${m.protocol} dport @${m.set}`);
        break;
    }
  }
  parts.push(typeof rule.verdict === "string" ? rule.verdict : `jump ${rule.verdict.jump}`);
  return parts.join(" ");
}
