/**
 * {@linkcode ClusterZone}: the answers for names under the cluster domain and for reverse
 * names of cluster addresses, from a {@linkcode ClusterRecordIndex}, following the Kubernetes
 * DNS specification (schema 1.1.0) the way CoreDNS's `kubernetes` plugin serves it with
 * `pods insecure` and `fallthrough in-addr.arpa ip6.arpa`:
 *
 * - `<svc>.<ns>.svc.<zone>`: A/AAAA of the ClusterIPs by family; a headless Service's
 *   published endpoint addresses (NXDOMAIN when it has none); an ExternalName Service's CNAME
 *   (the caller follows it, see {@linkcode ZoneAnswer.chase}); SRV for every port.
 * - `<host>.<svc>.<ns>.svc.<zone>`: the endpoints with that hostname (or dashed address).
 * - `_<port>._<proto>.<svc>.<ns>.svc.<zone>`: SRV for the named port, one per endpoint of a
 *   headless Service, with the targets' addresses in the additional section.
 * - `<a-b-c-d>.<ns>.pod.<zone>`: the address the label spells, when the namespace exists.
 * - `dns-version.<zone>` TXT `"1.1.0"`; the apex's SOA and NS (`ns.dns.<zone>`).
 * - PTR for ClusterIPs (the Service) and published endpoint addresses (every
 *   `<host>.<svc>.<ns>.svc.<zone>`); an address it does not know is left to the caller.
 *
 * A name that exists without records of the asked type is NODATA (NOERROR, no answers); a name
 * that does not exist is NXDOMAIN. Both carry the zone's SOA in the authority section (its
 * minimum is the TTL, for negative caching). `<ns>.svc.<zone>` exists when the namespace does;
 * `svc.<zone>`, `pod.<zone>` and the apex always do.
 *
 * @module
 */
import { canonicalIp, ipFromDashed, ipFromReverseName } from "./_ip.ts";
import { type DnsQuestion, type DnsRecord, RCODE } from "./dns_message.ts";
import type {
  ClusterRecordIndex,
  EndpointEntry,
  PortRecord,
  ServiceEntry,
} from "./record_index.ts";

/** The schema version of the Kubernetes DNS specification served in `dns-version.<zone>`. */
export const DNS_SCHEMA_VERSION = "1.1.0";

/** The TTL of the `dns-version` TXT record (as CoreDNS serves it). */
const SCHEMA_VERSION_TTL_SECONDS = 28800;

/** An answer from the zone. */
export interface ZoneAnswer {
  /** NOERROR or NXDOMAIN. */
  readonly rcode: number;
  readonly answers: readonly DnsRecord[];
  readonly authorities: readonly DnsRecord[];
  readonly additionals: readonly DnsRecord[];
  /**
   * A CNAME to follow (an ExternalName Service asked for A, AAAA or ANY): resolve `name` for
   * `type` and append those answers.
   */
  readonly chase?: { readonly name: string; readonly type: string };
}

/** Options of {@linkcode ClusterZone}. */
export interface ClusterZoneOptions {
  /** The cluster domain, e.g. `cluster.local` (any case, trailing dot optional). */
  readonly domain: string;
  /** The TTL of every record (and the SOA minimum). */
  readonly ttlSeconds: number;
  /** The DNS server's own addresses, answered for `ns.dns.<zone>`. */
  readonly nameserverAddresses: readonly string[];
  /** The SOA serial. @default {the index's change count} */
  readonly serial?: () => number;
}

const NO_RECORDS: readonly DnsRecord[] = Object.freeze([]);

/** Answers names of the cluster domain (see the module doc). */
export class ClusterZone {
  readonly domain: string;
  readonly #index: ClusterRecordIndex;
  readonly #ttl: number;
  readonly #suffix: string;
  readonly #nsV4: readonly string[];
  readonly #nsV6: readonly string[];
  readonly #serial: () => number;
  #rotation = 0;

  constructor(index: ClusterRecordIndex, options: ClusterZoneOptions) {
    this.#index = index;
    this.domain = options.domain.toLowerCase().replace(/\.$/, "");
    this.#suffix = `.${this.domain}`;
    this.#ttl = options.ttlSeconds;
    this.#nsV4 = options.nameserverAddresses.filter((a) => !a.includes(":"));
    this.#nsV6 = options.nameserverAddresses.filter((a) => a.includes(":"));
    this.#serial = options.serial ?? (() => index.changes);
  }

  /** Whether `lowerName` (lower case, no trailing dot) is in the cluster domain. */
  contains(lowerName: string): boolean {
    return lowerName === this.domain || lowerName.endsWith(this.#suffix);
  }

  /** The zone's SOA record. */
  soa(): DnsRecord {
    return {
      type: "SOA",
      name: this.domain,
      ttl: this.#ttl,
      class: "IN",
      data: {
        mname: `ns.dns.${this.domain}`,
        rname: `hostmaster.${this.domain}`,
        serial: this.#serial() >>> 0,
        refresh: 7200,
        retry: 1800,
        expire: 86400,
        minimum: this.#ttl,
      },
    };
  }

  /** Answers `question`, whose name must be in the zone ({@linkcode ClusterZone.contains}). */
  answer(question: DnsQuestion): ZoneAnswer {
    const lname = question.name.toLowerCase();
    const base = lname === this.domain ? "" : lname.slice(0, -this.#suffix.length);
    const labels = base === "" ? [] : base.split(".");
    const type = question.type;
    const last = labels[labels.length - 1];
    if (labels.length === 0) return this.#apex(question);
    if (labels.length === 1 && (last === "svc" || last === "pod" || last === "dns")) {
      return this.#nodata();
    }
    if (base === "dns-version") {
      if (type !== "TXT" && type !== "ANY") return this.#nodata();
      return this.#found([{
        type: "TXT",
        name: question.name,
        ttl: SCHEMA_VERSION_TTL_SECONDS,
        class: "IN",
        data: [DNS_SCHEMA_VERSION],
      }]);
    }
    if (base === "ns.dns") return this.#addresses(question, this.#nsV4, this.#nsV6);
    if (last !== "svc" && last !== "pod") return this.#nxdomain();
    const namespace = labels[labels.length - 2]!;
    if (!this.#index.hasNamespace(namespace)) return this.#nxdomain();
    if (labels.length === 2) return this.#nodata();
    const name = labels[labels.length - 3]!;
    if (last === "pod") return labels.length === 3 ? this.#pod(question, name) : this.#nxdomain();
    const svc = this.#index.service(namespace, name);
    if (!svc) return this.#nxdomain();
    switch (labels.length) {
      case 3:
        return this.#service(question, svc);
      case 4:
        return this.#endpoint(question, svc, labels[0]!);
      case 5:
        return this.#port(question, svc, unscore(labels[0]!), unscore(labels[1]!));
      default:
        return this.#nxdomain();
    }
  }

  /**
   * Answers a PTR question for an address the cluster knows; undefined for any other question
   * (another type, a name that is no full reverse name, an unknown address) so that the caller
   * forwards it.
   */
  reverse(question: DnsQuestion): ZoneAnswer | undefined {
    if (question.type !== "PTR") return undefined;
    const ip = ipFromReverseName(question.name.toLowerCase());
    if (!ip) return undefined;
    const targets = this.#index.ptrTargets(ip.text);
    if (targets.length === 0) return undefined;
    return this.#found(targets.map((t) => ({
      type: "PTR",
      name: question.name,
      ttl: this.#ttl,
      class: "IN",
      data: `${t.host ? `${t.host}.` : ""}${t.service}.${t.namespace}.svc.${this.domain}`,
    })));
  }

  #apex(question: DnsQuestion): ZoneAnswer {
    const ns: DnsRecord = {
      type: "NS",
      name: question.name,
      ttl: this.#ttl,
      class: "IN",
      data: `ns.dns.${this.domain}`,
    };
    const glue = this.#addressRecords(`ns.dns.${this.domain}`, this.#nsV4, this.#nsV6, "ANY");
    switch (question.type) {
      case "SOA":
        return this.#found([{ ...this.soa(), name: question.name }]);
      case "NS":
        return this.#found([ns], glue);
      case "ANY":
        return this.#found([{ ...this.soa(), name: question.name }, ns], glue);
      default:
        return this.#nodata();
    }
  }

  #pod(question: DnsQuestion, label: string): ZoneAnswer {
    const ip = ipFromDashed(label);
    if (!ip) return this.#nxdomain();
    return ip.family === 4
      ? this.#addresses(question, [ip.text], [])
      : this.#addresses(question, [], [ip.text]);
  }

  #service(question: DnsQuestion, svc: ServiceEntry): ZoneAnswer {
    if (svc.kind === "ExternalName") return this.#externalName(question, svc);
    const fqdn = this.#serviceName(svc);
    if (svc.kind === "ClusterIP") {
      if (question.type === "SRV") {
        const srv = svc.ports.map((p) => ({ port: p.port, target: fqdn }));
        return this.#srv(question, srv, this.#addressRecords(fqdn, svc.ipv4, svc.ipv6, "ANY"));
      }
      return this.#addresses(question, svc.ipv4, svc.ipv6);
    }
    const eps = this.#index.endpoints(svc.namespace, svc.name);
    if (eps.all.length === 0) return this.#nxdomain();
    if (question.type === "SRV") return this.#endpointSrv(question, svc, eps.all, undefined);
    return this.#addresses(question, eps.ipv4, eps.ipv6);
  }

  #endpoint(question: DnsQuestion, svc: ServiceEntry, host: string): ZoneAnswer {
    if (svc.kind === "ExternalName") return this.#nxdomain();
    const eps = this.#index.endpoints(svc.namespace, svc.name).byHost.get(host);
    if (!eps) return this.#nxdomain();
    if (question.type === "SRV") return this.#endpointSrv(question, svc, eps, undefined);
    const ipv4 = eps.filter((e) => e.ip.family === 4).map((e) => e.ip.text);
    const ipv6 = eps.filter((e) => e.ip.family === 6).map((e) => e.ip.text);
    return this.#addresses(question, ipv4, ipv6);
  }

  #port(question: DnsQuestion, svc: ServiceEntry, port: string, protocol: string): ZoneAnswer {
    const match = (p: PortRecord) => p.name === port && p.protocol === protocol;
    if (svc.kind === "ClusterIP") {
      const ports = svc.ports.filter(match);
      if (ports.length === 0) return this.#nxdomain();
      if (question.type !== "SRV") return this.#nodata();
      const fqdn = this.#serviceName(svc);
      return this.#srv(
        question,
        ports.map((p) => ({ port: p.port, target: fqdn })),
        this.#addressRecords(fqdn, svc.ipv4, svc.ipv6, "ANY"),
      );
    }
    if (svc.kind === "ExternalName") return this.#nxdomain();
    const eps = this.#index.endpoints(svc.namespace, svc.name).all;
    if (!eps.some((e) => e.ports.some(match))) return this.#nxdomain();
    if (question.type !== "SRV") return this.#nodata();
    return this.#endpointSrv(question, svc, eps, match);
  }

  #externalName(question: DnsQuestion, svc: ServiceEntry): ZoneAnswer {
    // CoreDNS serves no CNAME for an empty or IP-address externalName.
    if (!svc.externalName || canonicalIp(svc.externalName)) {
      return this.#nxdomain();
    }
    if (question.type === "SRV") return this.#nodata();
    const cname: DnsRecord = {
      type: "CNAME",
      name: question.name,
      ttl: this.#ttl,
      class: "IN",
      data: svc.externalName,
    };
    const type = question.type;
    if (type === "A" || type === "AAAA" || type === "ANY") {
      return { ...this.#found([cname]), chase: { name: svc.externalName, type } };
    }
    return this.#found([cname]);
  }

  /** SRV records for endpoints (each port of each, or those `match` takes). */
  #endpointSrv(
    question: DnsQuestion,
    svc: ServiceEntry,
    endpoints: readonly EndpointEntry[],
    match: ((p: PortRecord) => boolean) | undefined,
  ): ZoneAnswer {
    const srv: { port: number; target: string }[] = [];
    const extra: DnsRecord[] = [];
    const svcName = this.#serviceName(svc);
    for (const e of endpoints) {
      const target = `${e.host}.${svcName}`;
      let used = false;
      for (const p of e.ports) {
        if (match && !match(p)) continue;
        srv.push({ port: p.port, target });
        used = true;
      }
      if (used) extra.push(this.#addressRecord(target, e.ip.text, e.ip.family));
    }
    return this.#srv(question, srv, extra);
  }

  #srv(
    question: DnsQuestion,
    srv: readonly { port: number; target: string }[],
    additionals: readonly DnsRecord[],
  ): ZoneAnswer {
    if (srv.length === 0) return this.#nodata();
    const weight = Math.max(1, Math.floor(100 / srv.length));
    return this.#found(
      srv.map((s) => ({
        type: "SRV",
        name: question.name,
        ttl: this.#ttl,
        class: "IN",
        data: { priority: 0, weight, port: s.port, target: s.target },
      })),
      additionals,
    );
  }

  /** A, AAAA or both (ANY) of a name that exists; NODATA for other types or no address. */
  #addresses(
    question: DnsQuestion,
    ipv4: readonly string[],
    ipv6: readonly string[],
  ): ZoneAnswer {
    const type = question.type;
    if (type !== "A" && type !== "AAAA" && type !== "ANY") return this.#nodata();
    const records = this.#addressRecords(question.name, ipv4, ipv6, type);
    return records.length === 0 ? this.#nodata() : this.#found(records);
  }

  #addressRecords(
    name: string,
    ipv4: readonly string[],
    ipv6: readonly string[],
    type: string,
  ): DnsRecord[] {
    const out: DnsRecord[] = [];
    if (type === "A" || type === "ANY") {
      for (const ip of this.#rotate(ipv4)) out.push(this.#addressRecord(name, ip, 4));
    }
    if (type === "AAAA" || type === "ANY") {
      for (const ip of this.#rotate(ipv6)) out.push(this.#addressRecord(name, ip, 6));
    }
    return out;
  }

  #addressRecord(name: string, ip: string, family: 4 | 6): DnsRecord {
    return { type: family === 4 ? "A" : "AAAA", name, ttl: this.#ttl, class: "IN", data: ip };
  }

  /** Round-robin order for address sets (k3s's Corefile has `loadbalance`). */
  #rotate(ips: readonly string[]): readonly string[] {
    if (ips.length < 2) return ips;
    const start = this.#rotation++ % ips.length;
    return [...ips.slice(start), ...ips.slice(0, start)];
  }

  #serviceName(svc: ServiceEntry): string {
    return `${svc.name}.${svc.namespace}.svc.${this.domain}`;
  }

  #found(
    answers: readonly DnsRecord[],
    additionals: readonly DnsRecord[] = NO_RECORDS,
  ): ZoneAnswer {
    return { rcode: RCODE.NOERROR, answers, authorities: NO_RECORDS, additionals };
  }

  #nodata(): ZoneAnswer {
    return {
      rcode: RCODE.NOERROR,
      answers: NO_RECORDS,
      authorities: [this.soa()],
      additionals: NO_RECORDS,
    };
  }

  #nxdomain(): ZoneAnswer {
    return {
      rcode: RCODE.NXDOMAIN,
      answers: NO_RECORDS,
      authorities: [this.soa()],
      additionals: NO_RECORDS,
    };
  }
}

function unscore(label: string): string {
  return label.startsWith("_") ? label.slice(1) : label;
}
