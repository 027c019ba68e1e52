/**
 * {@linkcode ClusterDns}: the DNS server every node runs for its pods, on the cluster DNS
 * address (`--cluster-dns`, put on the `skiff-dns` interface by `ensureDnsAddress`),
 * UDP and TCP. It answers the cluster domain from a {@linkcode ClusterRecordIndex} that the
 * shared Service, EndpointSlice and Namespace informers keep current event by event (see
 * {@linkcode ClusterZone} for the records) and forwards every other name to the host's
 * resolvers (`/etc/resolv.conf`, see {@linkcode upstreamsFromResolvConf}) through a bounded
 * cache ({@linkcode DnsForwarder}).
 *
 * Record TTL: 30 s by default, the value kubeadm's and k3s's Corefiles give CoreDNS. The
 * server itself never serves a stale cluster record (it reads the live index), so the TTL
 * only bounds how long clients that cache (a node-local cache, a JVM, systemd-resolved in a
 * pod) may keep an answer, and it is also the negative-caching time of the SOA: the same
 * freshness users see on k3s, where `cache 30` holds CoreDNS's answers up to 30 s.
 *
 * resolv.conf is read at start, and again (at most every 30 s) when a question fails on every
 * upstream: a device that moved networks may have new resolvers.
 *
 * Start-up: the sockets are bound at once (retried with backoff while the address is not
 * there yet), so forwarding works even while the API is out of reach; cluster names get
 * SERVFAIL until the informers' first lists are in, as with CoreDNS. `ready` resolves when
 * both are done.
 *
 * @module
 */
import type { Namespace } from "../../control/api/types/core_v1_namespace.ts";
import type { Service } from "../../control/api/types/core_v1_service.ts";
import type { EndpointSlice } from "../../control/api/types/discovery_v1.ts";
import { Backoff } from "../../control/client/backoff.ts";
import type { Informer } from "../../control/client/informer.ts";
import { ENDPOINT_SLICES, NAMESPACES, SERVICES } from "../../control/client/resources.ts";
import type { SharedInformerFactory } from "../../control/client/shared_informer_factory.ts";
import type { Clock } from "../../control/util/clock.ts";
import type { Logger } from "../../control/util/logger.ts";
import { canonicalIp } from "./_ip.ts";
import { ClusterZone } from "./cluster_zone.ts";
import { DEFAULT_UDP_PAYLOAD_BYTES } from "./dns_message.ts";
import { DnsListener } from "./dns_listener.ts";
import { DnsForwarder, type ForwarderStats } from "./forwarder.ts";
import { DnsQueryHandler, type QueryHandlerStats } from "./query_handler.ts";
import { ClusterRecordIndex } from "./record_index.ts";
import { upstreamsFromResolvConf } from "./resolv_conf.ts";
import { DnsCache } from "./response_cache.ts";
import {
  SocketUpstreamTransport,
  type UpstreamServer,
  type UpstreamTransport,
} from "./upstream_transport.ts";

/** What {@linkcode ClusterDns} uses. */
export interface ClusterDnsDeps {
  /** The node's shared informer factory (Services and EndpointSlices are shared with the proxy). */
  readonly informers: SharedInformerFactory;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Reads resolv.conf files, `null` when missing. @default {readTextFileIfPresent} */
  readonly readTextFile?: (path: string) => Promise<string | null>;
  /** How upstreams are reached. @default {a SocketUpstreamTransport} */
  readonly upstreamTransport?: UpstreamTransport;
}

/** An address to serve on, UDP and TCP. */
export interface ListenAddress {
  readonly hostname: string;
  /** 0 picks a free port (tests). @default {53} */
  readonly port?: number;
}

/** Options of {@linkcode ClusterDns}. */
export interface ClusterDnsOptions {
  /** Where to serve, e.g. `[{ hostname: "10.43.0.10" }]`. */
  readonly listen: readonly ListenAddress[];
  /** @default {"cluster.local"} */
  readonly clusterDomain?: string;
  /** The servers to forward to; unset: from resolv.conf. */
  readonly upstreams?: readonly UpstreamServer[];
  /** @default {"/etc/resolv.conf"} */
  readonly resolvConfPath?: string;
  /** Used when resolv.conf names only loopback servers. @default {"/run/systemd/resolve/resolv.conf"} */
  readonly systemdResolvConfPath?: string;
  /** Addresses never forwarded to (besides the listen addresses): the cluster DNS IPs. */
  readonly clusterDnsIPs?: readonly string[];
  /** The TTL of cluster records and the SOA minimum. @default {30} */
  readonly ttlSeconds?: number;
  /** Forwarded answers kept at most. @default {4096} */
  readonly cacheSize?: number;
  /** Wire bytes of forwarded answers kept at most. @default {4 MiB} */
  readonly cacheMaxBytes?: number;
  /** The longest a forwarded answer is kept, positive or negative. @default {30} */
  readonly cacheMaxTtlSeconds?: number;
  /** One upstream attempt's timeout. @default {2000} */
  readonly upstreamTimeoutMs?: number;
  /** The largest UDP reply. @default {DEFAULT_UDP_PAYLOAD_BYTES} */
  readonly maxUdpPayloadBytes?: number;
  /** Encoded cluster replies kept for repeated questions (0: none). @default {1024} */
  readonly replyCacheSize?: number;
}

/** The shortest time between two reads of resolv.conf after failures. */
const UPSTREAM_REREAD_MS = 30_000;

/** The default record TTL (see the module doc). */
export const DEFAULT_DNS_TTL_SECONDS = 30;

/** One address served, with the port bound. */
export interface ServedAddress {
  readonly hostname: string;
  readonly port: number;
}

/** The node's cluster DNS server (see the module doc). */
export class ClusterDns {
  /** Resolves once the sockets are bound and the cluster records complete. */
  readonly ready: Promise<void>;
  readonly index: ClusterRecordIndex = new ClusterRecordIndex();
  readonly #deps: ClusterDnsDeps;
  readonly #options: ClusterDnsOptions;
  readonly #logger: Logger;
  readonly #services: Informer<Service>;
  readonly #slices: Informer<EndpointSlice>;
  readonly #namespaces: Informer<Namespace>;
  readonly #forwarder: DnsForwarder;
  readonly #handler: DnsQueryHandler;
  readonly #listeners: DnsListener[] = [];
  #modifiedS: number;
  #lastUpstreamReadMs = -Infinity;
  #rereading = false;
  #resolveReady!: () => void;

  constructor(deps: ClusterDnsDeps, options: ClusterDnsOptions) {
    if (options.listen.length === 0) {
      throw new TypeError("Cannot serve cluster DNS: no listen address given");
    }
    this.#deps = deps;
    this.#options = options;
    this.#logger = deps.logger.with({ component: "dns" });
    this.ready = new Promise((resolve) => this.#resolveReady = resolve);
    this.#modifiedS = Math.floor(deps.clock.now() / 1000);
    this.#services = deps.informers.informerFor(SERVICES);
    this.#slices = deps.informers.informerFor(ENDPOINT_SLICES);
    this.#namespaces = deps.informers.informerFor(NAMESPACES);
    const index = this.index;
    // Each change moves the SOA serial (seconds of the last change, as CoreDNS's).
    const changed = (apply: () => void) => {
      apply();
      this.#modifiedS = Math.floor(deps.clock.now() / 1000);
    };
    this.#services.addHandler({
      add: (s) => changed(() => index.setService(s)),
      update: (_, s) => changed(() => index.setService(s)),
      delete: (s) => changed(() => index.deleteService(s)),
    });
    this.#slices.addHandler({
      add: (s) => changed(() => index.setEndpointSlice(s)),
      update: (_, s) => changed(() => index.setEndpointSlice(s)),
      delete: (s) => changed(() => index.deleteEndpointSlice(s)),
    });
    this.#namespaces.addHandler({
      add: (n) => changed(() => index.setNamespace(n)),
      delete: (n) => changed(() => index.deleteNamespace(n)),
    });
    const ttl = options.ttlSeconds ?? DEFAULT_DNS_TTL_SECONDS;
    const zone = new ClusterZone(index, {
      domain: options.clusterDomain ?? "cluster.local",
      ttlSeconds: ttl,
      nameserverAddresses: this.#selfAddresses(),
      serial: () => this.#modifiedS,
    });
    const maxTtl = options.cacheMaxTtlSeconds ?? 30;
    this.#forwarder = new DnsForwarder({
      upstreams: [],
      transport: deps.upstreamTransport ?? new SocketUpstreamTransport(),
      cache: new DnsCache({
        clock: deps.clock,
        maxEntries: options.cacheSize ?? 4096,
        ...(options.cacheMaxBytes !== undefined ? { maxBytes: options.cacheMaxBytes } : {}),
        maxTtlSeconds: maxTtl,
      }),
      clock: deps.clock,
      ...(options.upstreamTimeoutMs !== undefined ? { timeoutMs: options.upstreamTimeoutMs } : {}),
      onFailure: () => this.#rereadUpstreams(),
    });
    this.#handler = new DnsQueryHandler({
      zone,
      forwarder: this.#forwarder,
      synced: () => this.synced,
      maxUdpPayloadBytes: options.maxUdpPayloadBytes ?? DEFAULT_UDP_PAYLOAD_BYTES,
      generation: () => index.changes,
      ...(options.replyCacheSize !== undefined ? { replyCacheSize: options.replyCacheSize } : {}),
    });
  }

  /** Whether the Service, EndpointSlice and Namespace informers have synced. */
  get synced(): boolean {
    return this.#services.hasSynced() && this.#slices.hasSynced() &&
      this.#namespaces.hasSynced();
  }

  /** The addresses served, with the ports bound (empty before the sockets are bound). */
  get addresses(): readonly ServedAddress[] {
    return this.#listeners.map((l) => ({ hostname: l.hostname, port: l.port }));
  }

  /** The servers forwarded to (known once `run` has read resolv.conf). */
  get upstreams(): readonly UpstreamServer[] {
    return this.#forwarder.upstreams;
  }

  /** Counters: queries, drops, forwarder cache hits and upstream queries. */
  get stats(): QueryHandlerStats & ForwarderStats {
    return { ...this.#handler.stats, ...this.#forwarder.stats };
  }

  /** Serves until `signal` aborts, then closes the sockets. */
  async run(signal: AbortSignal): Promise<void> {
    const log = this.#logger;
    const domain = this.#options.clusterDomain ?? "cluster.local";
    log.info("Starting cluster DNS", {
      listen: this.#options.listen.map((l) => `${l.hostname}:${l.port ?? 53}`),
      clusterDomain: domain,
    });
    try {
      const upstreams = await this.#upstreams().catch((err) => {
        log.warn("Cannot read the host's resolvers", { error: err });
        return [];
      });
      this.#lastUpstreamReadMs = this.#deps.clock.now();
      this.#forwarder.setUpstreams(upstreams);
      if (upstreams.length === 0) {
        log.warn("No upstream DNS servers: names outside the cluster domain get SERVFAIL", {
          resolvConf: this.#options.resolvConfPath ?? "/etc/resolv.conf",
        });
      }
      await this.#bind(signal);
      if (signal.aborted) return;
      log.info("Cluster DNS is serving", {
        addresses: this.addresses.map((a) => `${a.hostname}:${a.port}`),
        upstreams: upstreams.map((u) => `${u.hostname}:${u.port ?? 53}`),
      });
      const startMs = this.#deps.clock.now();
      const synced = await Promise.all([
        this.#services.waitForSync(signal),
        this.#slices.waitForSync(signal),
        this.#namespaces.waitForSync(signal),
      ]);
      if (synced.every(Boolean)) {
        log.debug("Cluster DNS records synced", {
          services: this.index.serviceCount,
          durationMs: this.#deps.clock.now() - startMs,
        });
        this.#resolveReady();
      }
      if (!signal.aborted) {
        await new Promise<void>((resolve) =>
          signal.addEventListener("abort", () => resolve(), { once: true })
        );
      }
    } finally {
      log.info("Shutting down cluster DNS");
      await Promise.allSettled(this.#listeners.map((l) => l.close()));
    }
  }

  /**
   * After a question failed on every upstream, reads resolv.conf again (at most every 30 s, and
   * never on a timer): a device that moved networks may have new resolvers by now.
   */
  #rereadUpstreams(): void {
    if (this.#options.upstreams || this.#rereading) return;
    const now = this.#deps.clock.now();
    if (now - this.#lastUpstreamReadMs < UPSTREAM_REREAD_MS) return;
    this.#lastUpstreamReadMs = now;
    this.#rereading = true;
    this.#upstreams().then((upstreams) => {
      const text = (list: readonly UpstreamServer[]) =>
        list.map((u) => `${u.hostname}:${u.port ?? 53}`).join(",");
      if (text(upstreams) === text(this.#forwarder.upstreams)) return;
      this.#logger.info("Upstream DNS servers changed", { upstreams: text(upstreams).split(",") });
      this.#forwarder.setUpstreams(upstreams);
    }, (err) => this.#logger.warn("Cannot read the host's resolvers", { error: err }))
      .finally(() => this.#rereading = false);
  }

  /** Upstreams from the options or resolv.conf, without this server's own addresses. */
  async #upstreams(): Promise<UpstreamServer[]> {
    let servers: UpstreamServer[];
    if (this.#options.upstreams) {
      servers = [...this.#options.upstreams];
    } else {
      const found = await upstreamsFromResolvConf({
        ...(this.#options.resolvConfPath ? { path: this.#options.resolvConfPath } : {}),
        ...(this.#options.systemdResolvConfPath
          ? { systemdPath: this.#options.systemdResolvConfPath }
          : {}),
        ...(this.#deps.readTextFile ? { readTextFile: this.#deps.readTextFile } : {}),
      });
      servers = found.servers.map((hostname) => ({ hostname, port: 53 }));
    }
    // Forwarding to ourselves would loop (a pod's resolv.conf copied to the host, say).
    const self = new Set([
      ...this.#options.listen.map((l) => `${canonicalIp(l.hostname)?.text} ${l.port ?? 53}`),
      ...(this.#options.clusterDnsIPs ?? []).map((a) => `${canonicalIp(a)?.text} 53`),
    ]);
    return servers.filter((s) => {
      const ip = canonicalIp(s.hostname.replace(/^\[|\]$/g, "").split("%")[0]!);
      return !(ip && self.has(`${ip.text} ${s.port ?? 53}`));
    });
  }

  #selfAddresses(): string[] {
    const out = new Set<string>();
    for (
      const a of [
        ...this.#options.listen.map((l) => l.hostname),
        ...(this.#options.clusterDnsIPs ?? []),
      ]
    ) {
      const ip = canonicalIp(a);
      if (ip && ip.text !== "0.0.0.0" && ip.text !== "::") out.add(ip.text);
    }
    return [...out];
  }

  /** Binds every listen address, retrying with backoff until all are bound or `signal` aborts. */
  async #bind(signal: AbortSignal): Promise<void> {
    const backoff = new Backoff({ initialMs: 500, maxMs: 30_000 });
    const pending = [...this.#options.listen];
    while (pending.length > 0 && !signal.aborted) {
      const address = pending[0]!;
      const listener = new DnsListener({
        hostname: address.hostname,
        port: address.port ?? 53,
        handler: this.#handler,
        clock: this.#deps.clock,
        logger: this.#logger,
      });
      try {
        await listener.start();
        this.#listeners.push(listener);
        pending.shift();
        backoff.reset();
      } catch (err) {
        const delayMs = backoff.next();
        this.#logger.warn("Cannot listen for DNS queries", {
          address: `${address.hostname}:${address.port ?? 53}`,
          error: err,
          retryInMs: delayMs,
        });
        await this.#deps.clock.sleep(delayMs, signal).catch(() => {});
      }
    }
  }
}
