/**
 * The resolv.conf of a pod's sandbox, as the kubelet's DNS configurer (`pkg/kubelet/network/dns`)
 * forms it from the pod's `dnsPolicy` and `dnsConfig`, the cluster DNS and the node's resolv.conf.
 *
 * @module
 */
import type { Pod } from "../../control/api/types/core_v1_pod.ts";
import type { DNSConfig } from "../cri/types.ts";

/** Most nameservers a resolv.conf may list (glibc's limit). */
export const MAX_DNS_NAMESERVERS = 3;
/** Most search domains of a pod's resolv.conf. */
export const MAX_DNS_SEARCH_PATHS = 32;
/** Longest search line (the domains joined by spaces) of a pod's resolv.conf. */
export const MAX_DNS_SEARCH_LIST_CHARS = 2048;
/** Longest single search domain: some resolvers abort on longer ones. */
const MAX_SEARCH_DOMAIN_LENGTH = 253;
/** Options of every ClusterFirst pod. */
const CLUSTER_FIRST_OPTIONS: readonly string[] = ["ndots:5"];

/** An event the kubelet records while forming a pod's DNS settings. */
export interface DnsEvent {
  /** The pod, or the node (`MissingClusterDNS` is recorded on both). */
  readonly on: "pod" | "node";
  readonly type: "Warning";
  readonly reason: "DNSConfigForming" | "MissingClusterDNS";
  readonly message: string;
}

/** What {@linkcode podDnsConfig} forms a pod's DNS settings from. */
export interface PodDnsOptions {
  /** The cluster DNS service IPs; empty makes ClusterFirst fall back to Default. */
  readonly clusterDns?: readonly string[];
  /** The cluster domain (`cluster.local`); empty adds no cluster search domains. */
  readonly clusterDomain?: string;
  /**
   * Text of the node's resolv.conf; `null` when the agent has none configured (the kubelet's
   * `--resolv-conf=""`), which points Default pods at the local host.
   */
  readonly resolvConf: string | null;
  /** The node's IPs, for the local-host nameservers when `resolvConf` is `null`. */
  readonly nodeIps?: readonly string[];
}

/** The nameservers, search domains and options of a resolv.conf. */
export interface ResolvConf {
  readonly nameservers: string[];
  readonly searches: string[];
  readonly options: string[];
}

/**
 * Parses resolv.conf text: nameservers accumulate, the last `search` line wins (trailing dots
 * dropped, `.` left out), options accumulate, a later one replacing an earlier one of its name. Throws when a `nameserver` line has no address.
 */
export function parseResolvConf(text: string): ResolvConf {
  const nameservers: string[] = [];
  let searches: string[] = [];
  const options = new Map<string, string>(); // by option name
  const errors: string[] = [];
  for (const line of text.split("\n")) {
    const trimmed = line.trim();
    if (trimmed.startsWith("#")) continue;
    const fields = trimmed.split(/\s+/).filter((f) => f !== "");
    const [keyword, ...rest] = fields;
    if (keyword === "nameserver") {
      if (rest[0] !== undefined) nameservers.push(rest[0]);
      else errors.push("nameserver list is empty ");
    } else if (keyword === "search") {
      searches = rest.filter((s) => s !== ".").map((s) => s.endsWith(".") ? s.slice(0, -1) : s);
    } else if (keyword === "options") {
      for (const option of rest) options.set(option.split(":")[0] ?? "", option);
    }
  }
  if (errors.length === 1) throw new SyntaxError(errors[0]);
  if (errors.length > 1) throw new SyntaxError(`[${errors.join(", ")}]`);
  return { nameservers, searches, options: [...options.values()] };
}

function omitDuplicates(values: readonly string[]): string[] {
  return [...new Set(values)];
}

/** Merges `name[:value]` options; later ones replace earlier ones of the same name, in place. */
function mergeOptions(
  existing: readonly string[],
  extra: readonly { readonly name?: string; readonly value?: string }[],
): string[] {
  const merged = new Map<string, string>();
  for (const op of existing) {
    const colon = op.indexOf(":");
    if (colon === -1) merged.set(op, "");
    else merged.set(op.slice(0, colon), op.slice(colon + 1));
  }
  for (const op of extra) merged.set(op.name ?? "", op.value ?? "");
  return [...merged].map(([name, value]) => value === "" ? name : `${name}:${value}`);
}

function fitSearches(searches: readonly string[], events: DnsEvent[]): string[] {
  let exceeded = false;
  let kept = [...searches];
  if (kept.length > MAX_DNS_SEARCH_PATHS) {
    kept = kept.slice(0, MAX_DNS_SEARCH_PATHS);
    exceeded = true;
  }
  const short = kept.filter((s) => s.length <= MAX_SEARCH_DOMAIN_LENGTH);
  if (short.length !== kept.length) exceeded = true;
  kept = short;
  const lineLength = kept.join(" ").length;
  if (lineLength > MAX_DNS_SEARCH_LIST_CHARS) {
    let cut = 0;
    let cutLength = 0;
    for (let i = kept.length - 1; i >= 0; i--) {
      cutLength += (kept[i]?.length ?? 0) + 1;
      cut++;
      if (lineLength - cutLength <= MAX_DNS_SEARCH_LIST_CHARS) break;
    }
    kept = kept.slice(0, kept.length - cut);
    exceeded = true;
  }
  if (exceeded) {
    events.push({
      on: "pod",
      type: "Warning",
      reason: "DNSConfigForming",
      message:
        `Search Line limits were exceeded, some search paths have been omitted, the applied search line is: ${
          kept.join(" ")
        }`,
    });
  }
  return kept;
}

function fitNameservers(servers: readonly string[], events: DnsEvent[]): string[] {
  if (servers.length <= MAX_DNS_NAMESERVERS) return [...servers];
  const kept = servers.slice(0, MAX_DNS_NAMESERVERS);
  events.push({
    on: "pod",
    type: "Warning",
    reason: "DNSConfigForming",
    message:
      `Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: ${
        kept.join(" ")
      }`,
  });
  return kept;
}

type DnsType = "cluster" | "host" | "none";

function dnsTypeOf(pod: Pod): DnsType {
  switch (pod.spec?.dnsPolicy) {
    case "None":
      return "none";
    case "Default":
      return "host";
    case "ClusterFirstWithHostNet":
      return "cluster";
    default: // ClusterFirst, and what the API server would have defaulted to it
      return pod.spec?.hostNetwork === true ? "host" : "cluster";
  }
}

/** `name_namespace(uid)`, the kubelet's way of naming a pod in messages. */
export function podDescription(pod: Pod): string {
  const m = pod.metadata ?? {};
  return `${m.name ?? ""}_${m.namespace ?? ""}(${m.uid ?? ""})`;
}

/**
 * The DNS settings of `pod`'s sandbox, and the events the kubelet records while forming them.
 * Throws `SyntaxError` when the node's resolv.conf cannot be parsed.
 */
export function podDnsConfig(
  pod: Pod,
  options: PodDnsOptions,
): { readonly dns: DNSConfig; readonly events: readonly DnsEvent[] } {
  const events: DnsEvent[] = [];
  const host = options.resolvConf === null
    ? { nameservers: [], searches: [], options: [] }
    : parseResolvConf(options.resolvConf);
  let servers: string[] = host.nameservers;
  let searches: string[] = host.searches;
  let opts: string[] = host.options;
  const type = dnsTypeOf(pod);
  const clusterDns = options.clusterDns ?? [];
  if (type === "none") {
    servers = [];
    searches = [];
    opts = [];
  } else if (type === "cluster" && clusterDns.length > 0) {
    servers = [...clusterDns];
    const domain = options.clusterDomain ?? "";
    if (domain !== "") {
      const ns = pod.metadata?.namespace ?? "";
      searches = omitDuplicates([`${ns}.svc.${domain}`, `svc.${domain}`, domain, ...searches]);
    }
    opts = [...CLUSTER_FIRST_OPTIONS];
  } else {
    if (type === "cluster") {
      const message =
        `kubelet does not have ClusterDNS IP configured and cannot create Pod using "ClusterFirst" policy. Falling back to "Default" policy.`;
      events.push({ on: "node", type: "Warning", reason: "MissingClusterDNS", message });
      events.push({
        on: "pod",
        type: "Warning",
        reason: "MissingClusterDNS",
        message: `pod: "${podDescription(pod)}". ${message}`,
      });
    }
    if (options.resolvConf === null) {
      servers = [];
      for (const ip of options.nodeIps ?? []) servers.push(ip.includes(":") ? "::1" : "127.0.0.1");
      if (servers.length === 0) servers.push("127.0.0.1");
      searches = ["."];
    }
  }
  const extra = pod.spec?.dnsConfig;
  if (extra !== undefined) {
    servers = omitDuplicates([...servers, ...(extra.nameservers ?? [])]);
    searches = omitDuplicates([...searches, ...(extra.searches ?? [])]);
    opts = mergeOptions(opts, extra.options ?? []);
  }
  servers = fitNameservers(servers, events);
  searches = fitSearches(searches, events);
  return { dns: { servers, searches, options: opts }, events };
}
