/**
 * skiff's kube-proxy: Services and EndpointSlices from the shared informers, programmed into
 * the node's nftables table (`ip skiff-proxy`) as {@linkcode nft_ruleset} describes.
 *
 * Each informer event only marks its Service dirty. A sync then recomputes the dirty Services'
 * fragments (level-triggered: from the informer stores, by key) and sends one `nft -f -`
 * transaction with just what changed against the in-memory mirror of the kernel
 * ({@linkcode NftState}). Syncs run at most once per `minSyncPeriodMs` (a change after a quiet
 * spell syncs at once; a burst shares syncs) and never overlap. The first sync rebuilds the
 * whole table; a failed transaction is logged and retried as a full rebuild with backoff.
 * Nothing runs while nothing changes. After a commit, stale UDP conntrack entries are flushed
 * ({@linkcode staleUdpFlows}).
 *
 * The rules stay when {@linkcode ServiceProxy.run} stops, so Services keep working while the
 * agent restarts (as kube-proxy leaves its rules); {@linkcode deleteProxyTable} removes them.
 *
 * @module
 */
import type { Node } from "../../control/api/types/core_v1_node.ts";
import type { Service } from "../../control/api/types/core_v1_service.ts";
import { type EndpointSlice, LABEL_SERVICE_NAME } from "../../control/api/types/discovery_v1.ts";
import { Backoff } from "../../control/client/backoff.ts";
import type { HandlerRegistration, Informer } from "../../control/client/informer.ts";
import { ENDPOINT_SLICES, NODES, SERVICES } from "../../control/client/resources.ts";
import type { SharedInformerFactory } from "../../control/client/shared_informer_factory.ts";
import { metaNamespaceKey } from "../../control/client/store.ts";
import type { Clock, TimerHandle } from "../../control/util/clock.ts";
import type { Logger } from "../../control/util/logger.ts";
import type { CommandRunner } from "../containerd/command_runner.ts";
import { staleUdpFlows } from "./conntrack_cleanup.ts";
import { type FragmentOptions, nftBaseCommands, serviceFragment } from "./nft_ruleset.ts";
import { NftState } from "./nft_state.ts";
import {
  type ProxyServicePort,
  proxyServicePorts,
  type ServicePortContext,
} from "./service_ports.ts";

/** The default table name. */
export const DEFAULT_PROXY_TABLE = "skiff-proxy";

/** The node label naming its zone (topology hints). */
const ZONE_LABEL = "topology.kubernetes.io/zone";

/** The EndpointSlice index the proxy looks slices up by: `namespace/service`. */
const SLICE_INDEX = "proxy-service";

function indexBySliceService(slice: EndpointSlice): readonly string[] {
  const service = slice.metadata?.labels?.[LABEL_SERVICE_NAME];
  return service ? [`${slice.metadata?.namespace ?? ""}/${service}`] : [];
}

/** What {@linkcode ServiceProxy} uses. */
export interface ServiceProxyDeps {
  readonly informers: SharedInformerFactory;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Runs `nft` and `conntrack` (in the node's network namespace). */
  readonly runner: CommandRunner;
}

/** What one sync did (for logs, tests and the benchmark). */
export interface ProxySyncInfo {
  readonly full: boolean;
  /** Clock time when the transaction was in the kernel. */
  readonly committedAtMs: number;
  /** From the start of the sync to the commit. */
  readonly durationMs: number;
  /** Of that, the `nft` run. */
  readonly nftMs: number;
  readonly servicesSynced: number;
  readonly elementsAdded: number;
  readonly elementsDeleted: number;
  readonly chainsWritten: number;
  readonly chainsDeleted: number;
}

/** Options of {@linkcode ServiceProxy}. */
export interface ServiceProxyOptions {
  readonly nodeName: string;
  /** Where node ports and load-balancer IPs answer (never 127.0.0.0/8). */
  readonly nodeIPs: readonly string[];
  /** Pod addresses (traffic from elsewhere to a cluster IP is masqueraded). */
  readonly clusterCidr?: string;
  /** @default {["10.43.0.0/16"]} */
  readonly serviceCidrs?: readonly string[];
  /** Service IPs served on the node itself (the cluster DNS): left alone completely. */
  readonly localServiceIPs?: readonly string[];
  /** @default {"skiff-proxy"} */
  readonly table?: string;
  /** The least time between the starts of two syncs. @default {10} */
  readonly minSyncPeriodMs?: number;
  /** Called after every successful sync. */
  readonly onSync?: (info: ProxySyncInfo) => void;
}

/** Deletes the proxy's table (`nft delete table`), if it exists. */
export async function deleteProxyTable(
  runner: CommandRunner,
  table: string = DEFAULT_PROXY_TABLE,
): Promise<void> {
  const text = `add table ip ${table}\ndelete table ip ${table}\n`;
  const result = await runner.run(["nft", "-f", "-"], { stdin: text });
  if (result.code !== 0) {
    throw new Error(`Cannot delete nft table "ip ${table}": ${result.stderr.trim()}`);
  }
}

/** The Service proxy (see the module doc). */
export class ServiceProxy {
  /** Resolves once the first full sync is in the kernel. */
  readonly ready: Promise<void>;
  readonly #deps: ServiceProxyDeps;
  readonly #log: Logger;
  readonly #options: ServiceProxyOptions;
  readonly #table: string;
  readonly #minSyncMs: number;
  readonly #services: Informer<Service>;
  readonly #slices: Informer<EndpointSlice>;
  readonly #nodes: Informer<Node>;
  readonly #state: NftState;
  readonly #fragmentOptions: FragmentOptions;
  readonly #localServiceIPs: ReadonlySet<string>;
  readonly #backoff = new Backoff({ initialMs: 250, maxMs: 30_000 });
  #resolveReady!: () => void;
  #dirty = new Set<string>();
  #allDirty = false;
  #needFull = true;
  #started = false;
  #firstDone = false;
  #syncing: Promise<void> | null = null;
  #timer: TimerHandle | null = null;
  #retrying = false;
  #lastSyncStartMs = -Infinity;
  #zone = "";
  #signal: AbortSignal | null = null;
  /** The ports of each Service with a UDP port, as last programmed (for conntrack). */
  readonly #udpPorts = new Map<string, readonly ProxyServicePort[]>();
  #conntrack: string[][] = [];
  readonly #registrations: HandlerRegistration[] = [];

  constructor(deps: ServiceProxyDeps, options: ServiceProxyOptions) {
    this.#deps = deps;
    this.#options = options;
    this.#table = options.table ?? DEFAULT_PROXY_TABLE;
    this.#minSyncMs = options.minSyncPeriodMs ?? 10;
    this.#log = deps.logger.with({ component: "proxy" });
    this.#localServiceIPs = new Set(options.localServiceIPs ?? []);
    const rulesetOptions = {
      table: this.#table,
      ...(options.clusterCidr ? { clusterCidr: options.clusterCidr } : {}),
      serviceCidrs: options.serviceCidrs ?? ["10.43.0.0/16"],
      nodeIPs: options.nodeIPs.filter((ip) => !ip.startsWith("127.")),
      localServiceIPs: options.localServiceIPs ?? [],
    };
    this.#fragmentOptions = { ...rulesetOptions, nodeName: options.nodeName };
    this.#state = new NftState({
      table: this.#table,
      baseCommands: nftBaseCommands(rulesetOptions),
    });
    this.ready = new Promise((resolve) => this.#resolveReady = resolve);
    this.#services = deps.informers.informerFor(SERVICES);
    this.#slices = deps.informers.informerFor(ENDPOINT_SLICES, {
      indexers: { [SLICE_INDEX]: indexBySliceService },
    });
    this.#nodes = deps.informers.informerFor(NODES);
    const registrations = this.#registrations;
    registrations.push(this.#services.addHandler({
      add: (svc) => this.#enqueue(metaNamespaceKey(svc)),
      update: (old, svc) => {
        if (old !== svc) this.#enqueue(metaNamespaceKey(svc));
      },
      delete: (svc) => this.#enqueue(metaNamespaceKey(svc)),
    }));
    const onSlice = (slice: EndpointSlice) => {
      for (const key of indexBySliceService(slice)) this.#enqueue(key);
    };
    registrations.push(this.#slices.addHandler({
      add: onSlice,
      update: (old, slice) => {
        if (old === slice) return;
        onSlice(old);
        onSlice(slice);
      },
      delete: onSlice,
    }));
    const onNode = (node: Node) => {
      if (node.metadata?.name !== options.nodeName) return;
      const zone = node.metadata?.labels?.[ZONE_LABEL] ?? "";
      if (zone === this.#zone) return;
      this.#zone = zone;
      this.#allDirty = true;
      this.#kick();
    };
    registrations.push(
      this.#nodes.addHandler({ add: onNode, update: (_old, node) => onNode(node) }),
    );
  }

  /** The table's name. */
  get table(): string {
    return this.#table;
  }

  /** Syncs until `signal` aborts; the shared informers must be started by the caller. */
  async run(signal: AbortSignal): Promise<void> {
    if (this.#signal) throw new TypeError("Cannot run a service proxy twice");
    this.#signal = signal;
    this.#log.info("Starting service proxy", { table: this.#table, node: this.#options.nodeName });
    const synced = await Promise.all([
      this.#services.waitForSync(signal),
      this.#slices.waitForSync(signal),
      this.#nodes.waitForSync(signal),
    ]);
    if (synced.every((s) => s) && !signal.aborted) {
      this.#started = true;
      this.#allDirty = true;
      this.#kick();
      await new Promise<void>((resolve) => {
        if (signal.aborted) resolve();
        else signal.addEventListener("abort", () => resolve(), { once: true });
      });
    }
    for (const registration of this.#registrations.splice(0)) registration.remove();
    this.#timer?.cancel();
    this.#timer = null;
    await this.#syncing;
    this.#log.info("Shutting down service proxy", { table: this.#table });
  }

  #enqueue(key: string): void {
    this.#dirty.add(key);
    this.#kick();
  }

  /** Schedules a sync unless one is pending, running (it reschedules) or backing off. */
  #kick(): void {
    if (!this.#started || this.#timer || this.#syncing || this.#signal?.aborted) return;
    const delayMs = Math.max(0, this.#lastSyncStartMs + this.#minSyncMs - this.#deps.clock.now());
    this.#timer = this.#deps.clock.setTimeout(() => {
      this.#timer = null;
      this.#retrying = false;
      this.#syncing = this.#sync().finally(() => {
        this.#syncing = null;
        if (!this.#retrying && (this.#dirty.size > 0 || this.#allDirty)) this.#kick();
      });
    }, delayMs);
  }

  async #sync(): Promise<void> {
    const clock = this.#deps.clock;
    const start = clock.now();
    this.#lastSyncStartMs = start;
    const keys = this.#dirty;
    this.#dirty = new Set();
    if (this.#allDirty) {
      this.#allDirty = false;
      for (const svc of this.#services.store.list()) keys.add(metaNamespaceKey(svc));
      for (const key of this.#udpPorts.keys()) keys.add(key);
      this.#zone = this.#nodes.store.get(this.#options.nodeName)?.metadata?.labels?.[ZONE_LABEL] ??
        "";
    }
    for (const key of keys) this.#updateService(key);
    const full = this.#needFull;
    const tx = full ? this.#state.full() : this.#state.incremental();
    let nftMs = 0;
    try {
      if (tx.text !== "") {
        const nftStart = clock.now();
        const result = await this.#deps.runner.run(["nft", "-f", "-"], {
          stdin: tx.text,
          ...(this.#signal ? { signal: this.#signal } : {}),
        });
        nftMs = clock.now() - nftStart;
        if (result.code !== 0) {
          throw new Error(
            `Cannot apply ${
              full ? "full" : "incremental"
            } nft transaction to table "ip ${this.#table}": ${
              result.stderr.trim().split("\n").slice(0, 6).join("; ")
            }`,
          );
        }
      }
    } catch (err) {
      if (this.#signal?.aborted) return;
      this.#needFull = true;
      this.#retrying = true;
      const delayMs = this.#backoff.next();
      this.#log.warn("Cannot sync service rules; retrying with a full resync", {
        error: err,
        full,
        retryInMs: Math.round(delayMs),
      });
      this.#timer = clock.setTimeout(() => {
        this.#timer = null;
        this.#retrying = false;
        this.#kick();
      }, delayMs);
      return;
    }
    const recovered = this.#backoff.failures > 0;
    this.#state.commit(full);
    this.#needFull = false;
    this.#backoff.reset();
    const info: ProxySyncInfo = {
      full,
      committedAtMs: clock.now(),
      durationMs: clock.now() - start,
      nftMs,
      servicesSynced: keys.size,
      elementsAdded: tx.elementsAdded,
      elementsDeleted: tx.elementsDeleted,
      chainsWritten: tx.chainsWritten,
      chainsDeleted: tx.chainsDeleted,
    };
    if (!this.#firstDone || recovered) {
      this.#log.info(recovered ? "Resynced service rules" : "Synced service rules", {
        ...info,
        services: this.#state.size,
      });
    } else {
      this.#log.debug("Synced service rules", { ...info });
    }
    if (!this.#firstDone) {
      this.#firstDone = true;
      // Entries left from before the proxy started are not worth a conntrack run per Service.
      this.#conntrack = [];
      this.#resolveReady();
    }
    this.#options.onSync?.(info);
    await this.#flushConntrack();
  }

  #updateService(key: string): void {
    const service = this.#services.store.get(key);
    const context: ServicePortContext = {
      nodeName: this.#options.nodeName,
      zone: this.#zone,
      localServiceIPs: this.#localServiceIPs,
    };
    const ports = service
      ? proxyServicePorts(service, {
        slices: this.#slices.store.byIndex(SLICE_INDEX, key),
        context,
      })
      : [];
    this.#state.setFragment(
      key,
      ports.length > 0 ? serviceFragment(ports, this.#fragmentOptions) : undefined,
    );
    const before = this.#udpPorts.get(key) ?? [];
    if (before.length > 0 || ports.some((p) => p.protocol === "udp")) {
      this.#conntrack.push(...staleUdpFlows(before, ports));
    }
    if (ports.some((p) => p.protocol === "udp")) this.#udpPorts.set(key, ports);
    else this.#udpPorts.delete(key);
  }

  async #flushConntrack(): Promise<void> {
    const commands = this.#conntrack;
    this.#conntrack = [];
    for (const argv of commands) {
      if (this.#signal?.aborted) return;
      try {
        const result = await this.#deps.runner.run(argv, {
          ...(this.#signal ? { signal: this.#signal } : {}),
        });
        // 1: nothing matched ("0 flow entries have been deleted").
        if (result.code > 1) {
          this.#log.warn("Cannot delete stale conntrack entries", {
            command: argv.join(" "),
            stderr: result.stderr.trim(),
          });
        }
      } catch (err) {
        if (this.#signal?.aborted) return;
        this.#log.warn("Cannot delete stale conntrack entries", {
          command: argv.join(" "),
          error: err,
        });
      }
    }
  }
}
