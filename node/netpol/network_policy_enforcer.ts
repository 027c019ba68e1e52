/**
 * The node's NetworkPolicy enforcer: watches NetworkPolicies, pods (all namespaces: peers
 * may be anywhere) and namespaces, and keeps the `inet` table (default `skiff-netpol`)
 * enforcing them for the pods bound to this node — one `nft -f -` transaction per sync.
 *
 * The first sync (once the informers have synced) and the first one after a failure write
 * the whole table; every other sync sends only what changed since the last applied ruleset,
 * kept in memory ({@linkcode incrementalNetpolTransaction}). A change starts a sync after
 * `debounceMs` (changes meanwhile join it); a failed sync is retried with backoff. While
 * nothing changes no timer is pending. Pod updates that cannot change the rules (status
 * conditions, annotations) do not start a sync.
 *
 * At start it makes sure bridged IPv4 traffic goes through the inet hooks
 * (`net.bridge.bridge-nf-call-iptables=1`, loading `br_netfilter` if need be, as k3s's agent
 * does): traffic between two pods of this node crosses the bridge and would otherwise never
 * reach the forward hook. If that fails it logs a warning and goes on (routed traffic is
 * still filtered).
 *
 * The table outlives {@linkcode NetworkPolicyEnforcer.run}: policies stay enforced while the
 * agent restarts. {@linkcode deleteNetpolTable} removes it (for an agent started with
 * NetworkPolicy disabled).
 *
 * @example Wire it into an agent
 * ```ts ignore
 * const netpol = new NetworkPolicyEnforcer(
 *   { informers, clock, logger, runner },
 *   { nodeName: "edge-1" },
 * );
 * informers.start(signal);
 * const done = netpol.run(signal);
 * await netpol.ready;
 * ```
 *
 * @module
 */
import type { Namespace } from "../../control/api/types/core_v1_namespace.ts";
import type { Pod } from "../../control/api/types/core_v1_pod.ts";
import type { NetworkPolicy } from "../../control/api/types/networking_v1.ts";
import { Backoff, type BackoffOptions } from "../../control/client/backoff.ts";
import type { Informer } from "../../control/client/informer.ts";
import { NAMESPACES, NETWORK_POLICIES, PODS } from "../../control/client/resources.ts";
import type { SharedInformerFactory } from "../../control/client/shared_informer_factory.ts";
import type { Clock } from "../../control/util/clock.ts";
import type { Logger } from "../../control/util/logger.ts";
import type { CommandRunner } from "../containerd/command_runner.ts";
import {
  buildNetpolRuleset,
  NETPOL_EGRESS_MAP,
  NETPOL_INGRESS_MAP,
  netpolPodIp,
  type NetpolRuleset,
} from "./netpol_ruleset.ts";
import { fullNetpolTransaction, incrementalNetpolTransaction } from "./nft_transaction.ts";

/** What {@linkcode NetworkPolicyEnforcer} needs. */
export interface NetworkPolicyEnforcerDeps {
  /** Asked for NetworkPolicy, Pod and Namespace informers in the constructor. */
  readonly informers: SharedInformerFactory;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Runs `nft` (and `sysctl`/`modprobe` once at start). */
  readonly runner: CommandRunner;
}

/** Options of {@linkcode NetworkPolicyEnforcer}. */
export interface NetworkPolicyEnforcerOptions {
  /** Policies are enforced for the pods with this `spec.nodeName`. */
  readonly nodeName: string;
  /** The `inet` table. @default {"skiff-netpol"} */
  readonly table?: string;
  /** How long after a change the sync starts (changes meanwhile join it). @default {100} */
  readonly debounceMs?: number;
  /** The nft command. @default {"nft"} */
  readonly nft?: string;
  /**
   * Make sure bridged traffic reaches the inet hooks (`net.bridge.bridge-nf-call-iptables`).
   * @default {true}
   */
  readonly bridgeNetfilter?: boolean;
  /** Retry delays after a failed sync. @default {{ initialMs: 1000, maxMs: 30000 }} */
  readonly retry?: BackoffOptions;
  /** Node addresses every pod reaches whatever its egress policy: the node-local DNS. */
  readonly nodeLocalServiceIPs?: readonly string[];
}

/** Counters of the syncs so far. */
export interface NetpolSyncStats {
  /** Transactions applied (syncs that found nothing to change are not counted). */
  readonly applied: number;
  readonly fullSyncs: number;
  readonly failures: number;
  /** How long the last applied sync took, from reading the caches to nft's exit. */
  readonly lastSyncMs: number;
  /** Lines of the last applied transaction. */
  readonly lastLines: number;
}

/** The default table name. */
export const DEFAULT_NETPOL_TABLE = "skiff-netpol";

const BRIDGE_NF_SYSCTL = "net.bridge.bridge-nf-call-iptables=1";

function podFingerprint(pod: Pod): string {
  return JSON.stringify([
    pod.metadata?.labels ?? {},
    netpolPodIp(pod) ?? "",
    pod.spec?.nodeName ?? "",
    (pod.spec?.containers ?? []).map((c) => c.ports ?? []),
  ]);
}

/** Keeps this node's NetworkPolicy table in step with the API (see the module doc). */
export class NetworkPolicyEnforcer {
  /** Resolves after the first full sync; rejects if `run` stops before one succeeded. */
  readonly ready: Promise<void>;
  readonly #deps: NetworkPolicyEnforcerDeps;
  readonly #logger: Logger;
  readonly #nodeName: string;
  readonly #table: string;
  readonly #debounceMs: number;
  readonly #nft: string;
  readonly #bridgeNetfilter: boolean;
  readonly #nodeLocalServiceIPs: readonly string[];
  readonly #backoff: Backoff;
  readonly #policies: Informer<NetworkPolicy>;
  readonly #pods: Informer<Pod>;
  readonly #namespaces: Informer<Namespace>;
  #resolveReady!: () => void;
  #rejectReady!: (err: Error) => void;
  #isReady = false;
  #dirty = false;
  #wake: (() => void) | null = null;
  #mirror: NetpolRuleset | null = null;
  #problems = "";
  #stats: NetpolSyncStats = { applied: 0, fullSyncs: 0, failures: 0, lastSyncMs: 0, lastLines: 0 };

  constructor(deps: NetworkPolicyEnforcerDeps, options: NetworkPolicyEnforcerOptions) {
    this.#deps = deps;
    this.#nodeName = options.nodeName;
    this.#table = options.table ?? DEFAULT_NETPOL_TABLE;
    this.#debounceMs = options.debounceMs ?? 100;
    this.#nft = options.nft ?? "nft";
    this.#bridgeNetfilter = options.bridgeNetfilter ?? true;
    this.#nodeLocalServiceIPs = options.nodeLocalServiceIPs ?? [];
    this.#backoff = new Backoff(options.retry ?? { initialMs: 1000, maxMs: 30_000 });
    this.#logger = deps.logger.with({ component: "netpol" });
    this.ready = new Promise<void>((resolve, reject) => {
      this.#resolveReady = resolve;
      this.#rejectReady = reject;
    });
    this.ready.catch(() => {});

    const changed = () => this.#changed();
    this.#policies = deps.informers.informerFor(NETWORK_POLICIES);
    this.#policies.addHandler({
      add: changed,
      update: (before, after) => {
        if (JSON.stringify(before.spec) !== JSON.stringify(after.spec)) changed();
      },
      delete: changed,
    });
    this.#pods = deps.informers.informerFor(PODS);
    this.#pods.addHandler({
      add: (pod) => {
        if (netpolPodIp(pod)) changed();
      },
      update: (before, after) => {
        if (podFingerprint(before) !== podFingerprint(after)) changed();
      },
      delete: (pod) => {
        if (netpolPodIp(pod)) changed();
      },
    });
    this.#namespaces = deps.informers.informerFor(NAMESPACES);
    this.#namespaces.addHandler({
      add: changed,
      update: (before, after) => {
        if (JSON.stringify(before.metadata?.labels) !== JSON.stringify(after.metadata?.labels)) {
          changed();
        }
      },
      delete: changed,
    });
  }

  /** Counters of the syncs so far. */
  get stats(): NetpolSyncStats {
    return this.#stats;
  }

  /** Syncs until `signal` aborts (the table stays). */
  async run(signal: AbortSignal): Promise<void> {
    this.#logger.info("Starting network policy enforcer", {
      node: this.#nodeName,
      table: `inet ${this.#table}`,
    });
    const onAbort = () => this.#wake?.();
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      const synced = await Promise.all(
        [this.#policies, this.#pods, this.#namespaces].map((i) => i.waitForSync(signal)),
      );
      if (!synced.every((ok) => ok)) return;
      if (this.#bridgeNetfilter) await this.#ensureBridgeNetfilter(signal);
      let full = true;
      while (!signal.aborted) {
        try {
          await this.#sync(full, signal);
          full = false;
          this.#backoff.reset();
          if (!this.#isReady) {
            this.#isReady = true;
            this.#resolveReady();
          }
        } catch (err) {
          if (signal.aborted) break;
          full = true;
          this.#stats = { ...this.#stats, failures: this.#stats.failures + 1 };
          const retryInMs = this.#backoff.next();
          this.#logger.error("Cannot sync network policies", { error: err, retryInMs });
          if (!await this.#sleep(retryInMs, signal)) break;
          continue;
        }
        await this.#nextChange(signal);
        if (signal.aborted || !await this.#sleep(this.#debounceMs, signal)) break;
      }
    } finally {
      signal.removeEventListener("abort", onAbort);
      if (!this.#isReady) {
        this.#rejectReady(new Error("Network policy enforcer stopped before its first sync"));
      }
      this.#logger.info("Shutting down network policy enforcer");
    }
  }

  #changed(): void {
    this.#dirty = true;
    this.#wake?.();
  }

  async #nextChange(signal: AbortSignal): Promise<void> {
    while (!this.#dirty && !signal.aborted) {
      await new Promise<void>((resolve) => this.#wake = resolve);
      this.#wake = null;
    }
  }

  async #sleep(ms: number, signal: AbortSignal): Promise<boolean> {
    try {
      await this.#deps.clock.sleep(ms, signal);
      return true;
    } catch {
      return false;
    }
  }

  async #sync(full: boolean, signal: AbortSignal): Promise<void> {
    this.#dirty = false;
    const startedMs = this.#deps.clock.now();
    const next = buildNetpolRuleset({
      nodeName: this.#nodeName,
      policies: this.#policies.store.list(),
      pods: this.#pods.store.list(),
      namespaces: this.#namespaces.store.list(),
    });
    const problems = next.problems.join("\n");
    if (problems !== this.#problems) {
      this.#problems = problems;
      if (problems !== "") {
        this.#logger.warn("Cannot enforce parts of network policies", {
          problems: next.problems,
        });
      }
    }
    const options = { table: this.#table, nodeLocalServiceIPs: this.#nodeLocalServiceIPs };
    let text = !full && this.#mirror
      ? incrementalNetpolTransaction({ previous: this.#mirror, next }, options)
      : undefined;
    const isFull = text === undefined;
    text ??= fullNetpolTransaction(next, options);
    if (text !== "") {
      this.#mirror = null;
      const result = await this.#deps.runner.run([this.#nft, "-f", "-"], { stdin: text, signal });
      if (result.code !== 0) {
        throw new Error(
          `Cannot apply network policies to table "inet ${this.#table}": nft exited with ${result.code}: ${result.stderr.trim()}`,
        );
      }
      const lines = text.split("\n").length - 1;
      const durationMs = this.#deps.clock.now() - startedMs;
      this.#stats = {
        applied: this.#stats.applied + 1,
        fullSyncs: this.#stats.fullSyncs + (isFull ? 1 : 0),
        failures: this.#stats.failures,
        lastSyncMs: durationMs,
        lastLines: lines,
      };
      this.#logger.debug("Synced network policies", {
        full: isFull,
        durationMs,
        lines,
        isolatedPods: next.maps.get(NETPOL_INGRESS_MAP)!.size +
          next.maps.get(NETPOL_EGRESS_MAP)!.size,
      });
    }
    this.#mirror = next;
  }

  async #ensureBridgeNetfilter(signal: AbortSignal): Promise<void> {
    const run = async (argv: string[]): Promise<string | null> => {
      try {
        const result = await this.#deps.runner.run(argv, { signal });
        return result.code === 0 ? null : result.stderr.trim() || `exit code ${result.code}`;
      } catch (err) {
        return (err as Error).message;
      }
    };
    let problem = await run(["sysctl", "-w", BRIDGE_NF_SYSCTL]);
    if (problem === null) return;
    await run(["modprobe", "br_netfilter"]);
    problem = await run(["sysctl", "-w", BRIDGE_NF_SYSCTL]);
    if (problem === null) return;
    this.#logger.warn(
      "Cannot pass bridged traffic through nftables: traffic between pods of this node is not filtered",
      { error: problem },
    );
  }
}

/** Options of {@linkcode deleteNetpolTable}. */
export interface DeleteNetpolTableOptions {
  /** @default {"skiff-netpol"} */
  readonly table?: string;
  /** @default {"nft"} */
  readonly nft?: string;
}

/**
 * Deletes the enforcer's table if it exists (an agent with NetworkPolicy disabled must not
 * keep enforcing an earlier run's policies).
 *
 * @throws {Error} when nft fails for another reason than the table being absent.
 */
export async function deleteNetpolTable(
  runner: CommandRunner,
  options: DeleteNetpolTableOptions = {},
): Promise<void> {
  const table = options.table ?? DEFAULT_NETPOL_TABLE;
  const nft = options.nft ?? "nft";
  // `add` first makes the delete succeed whether or not the table was there.
  const result = await runner.run([nft, "-f", "-"], {
    stdin: `add table inet ${table}\ndelete table inet ${table}\n`,
  });
  if (result.code !== 0) {
    throw new Error(
      `Cannot delete table "inet ${table}": nft exited with ${result.code}: ${result.stderr.trim()}`,
    );
  }
}
