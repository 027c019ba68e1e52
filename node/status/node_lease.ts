/**
 * The node's heartbeat: its Lease `kube-node-lease/<node>`, renewed every 10 s, as the
 * kubelet's node lease controller (`component-helpers/apimachinery/lease`) renews it. The
 * Lease names the node as `holderIdentity`, lasts 40 s (`leaseDurationSeconds`), carries
 * `renewTime` as a MicroTime, and is owned by the Node (an ownerReference with the Node's
 * UID, so it goes when the Node goes).
 *
 * Each renewal updates the Lease last written (no read first); when that fails it reads the
 * Lease, creating it when missing — a Lease is created only once its Node exists, so the
 * owner is known — waiting 200 ms, 400 ms … up to 7 s between failed attempts, then updates
 * it. Up to 5 updates are tried per renewal; a conflict reads the Lease again. One timer waits
 * between renewals (10 s, plus up to 4 % jitter); {@linkcode NodeLease.run} ends, without a
 * last write, when its signal aborts.
 *
 * @example Renew until stopped
 * ```ts ignore
 * const lease = new NodeLease({ client, clock, logger }, { nodeName: "edge-1" });
 * const stop = new AbortController();
 * const running = lease.run(stop.signal);
 * // …
 * stop.abort();
 * await running;
 * ```
 *
 * @module
 */
import { type Lease, NODE_LEASE_NAMESPACE } from "../../control/api/types/coordination_v1.ts";
import type { Client, ResourceClient } from "../../control/client/client.ts";
import { isConflict, isNotFound } from "../../control/client/errors.ts";
import { LEASES, NODES } from "../../control/client/resources.ts";
import type { Clock } from "../../control/util/clock.ts";
import type { Logger } from "../../control/util/logger.ts";
import { microTime } from "./_time.ts";

/** Upstream's node lease duration (`nodeLeaseDurationSeconds`). */
export const DEFAULT_NODE_LEASE_DURATION_SECONDS = 40;
/** The share of the duration between renewals (`nodeLeaseRenewIntervalFraction`). */
export const NODE_LEASE_RENEW_INTERVAL_FRACTION = 0.25;
/** Updates tried per renewal. */
const MAX_UPDATE_RETRIES = 5;
/** The first and the longest wait between failed reads or creates. */
const BACKOFF_INITIAL_MS = 200;
const BACKOFF_MAX_MS = 7000;

/** What a {@linkcode NodeLease} uses. */
export interface NodeLeaseDeps {
  readonly client: Client;
  readonly clock: Clock;
  readonly logger: Logger;
  /** A random number in `[0, 1)` (the jitter). @default {Math.random} */
  readonly random?: () => number;
  /** Called when a renewal's update fails more than once (e.g. to drop idle connections). */
  readonly onRepeatedFailure?: () => void;
}

/** Options of {@linkcode NodeLease}. */
export interface NodeLeaseOptions {
  readonly nodeName: string;
  /** @default {40} */
  readonly leaseDurationSeconds?: number;
  /** The wait between renewals. @default {a quarter of the duration: 10000} */
  readonly renewIntervalMs?: number;
  /** The wait between renewals is stretched by up to this fraction. @default {0.04} */
  readonly jitter?: number;
}

/** Renews the node's Lease. */
export class NodeLease {
  readonly #deps: NodeLeaseDeps;
  readonly #name: string;
  readonly #durationSeconds: number;
  readonly #intervalMs: number;
  readonly #jitter: number;
  readonly #leases: ResourceClient<Lease>;
  readonly #log: Logger;
  #latest: Lease | undefined;
  #running = false;

  constructor(deps: NodeLeaseDeps, options: NodeLeaseOptions) {
    if (options.nodeName === "") throw new TypeError("Cannot renew a node lease: empty node name");
    this.#deps = deps;
    this.#name = options.nodeName;
    this.#durationSeconds = options.leaseDurationSeconds ?? DEFAULT_NODE_LEASE_DURATION_SECONDS;
    if (!Number.isInteger(this.#durationSeconds) || this.#durationSeconds <= 0) {
      throw new RangeError(
        `Cannot renew a node lease of ${this.#durationSeconds} s: expected a whole number > 0`,
      );
    }
    this.#intervalMs = options.renewIntervalMs ??
      this.#durationSeconds * 1000 * NODE_LEASE_RENEW_INTERVAL_FRACTION;
    this.#jitter = options.jitter ?? 0.04;
    this.#leases = deps.client.resource(LEASES);
    this.#log = deps.logger.with({ component: "node-lease", node: this.#name });
  }

  /** The Lease as last written, if any. */
  get lease(): Lease | undefined {
    return this.#latest;
  }

  /** Renews the Lease now and every interval until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    if (this.#running) throw new Error(`Cannot run the lease of node "${this.#name}" twice`);
    this.#running = true;
    try {
      while (!signal.aborted) {
        await this.renew(signal);
        const random = this.#deps.random ?? Math.random;
        const waitMs = this.#intervalMs * (1 + this.#jitter * random());
        try {
          await this.#deps.clock.sleep(waitMs, signal);
        } catch {
          break;
        }
      }
    } finally {
      this.#running = false;
    }
  }

  /** One renewal (upstream `sync`); resolves once done or given up, never rejects. */
  async renew(signal: AbortSignal): Promise<void> {
    if (this.#latest !== undefined) {
      try {
        await this.#retryUpdate(this.#latest, signal);
        return;
      } catch (err) {
        if (signal.aborted) return;
        this.#log.info("Failed to update lease using latest lease, fallback to ensure lease", {
          err,
        });
      }
    }
    const ensured = await this.#backoffEnsure(signal);
    if (ensured === undefined) return;
    this.#latest = ensured.lease;
    if (ensured.created || ensured.lease === undefined) return;
    try {
      await this.#retryUpdate(ensured.lease, signal);
    } catch (err) {
      if (!signal.aborted) {
        this.#log.error("Will retry updating lease", { err, intervalMs: this.#intervalMs });
      }
    }
  }

  /** Reads (or creates) the Lease until that works; undefined once `signal` aborts. */
  async #backoffEnsure(
    signal: AbortSignal,
  ): Promise<{ lease: Lease | undefined; created: boolean } | undefined> {
    let sleepMs = BACKOFF_INITIAL_MS / 2;
    for (;;) {
      if (signal.aborted) return undefined;
      try {
        return await this.#ensure(signal);
      } catch (err) {
        if (signal.aborted) return undefined;
        sleepMs = Math.min(2 * sleepMs, BACKOFF_MAX_MS);
        this.#log.error("Failed to ensure lease exists, will retry", { err, intervalMs: sleepMs });
        try {
          await this.#deps.clock.sleep(sleepMs, signal);
        } catch {
          return undefined;
        }
      }
    }
  }

  async #ensure(signal: AbortSignal): Promise<{ lease: Lease | undefined; created: boolean }> {
    try {
      return {
        lease: await this.#leases.get(this.#name, { namespace: NODE_LEASE_NAMESPACE, signal }),
        created: false,
      };
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    const fresh = await this.#newLease(undefined, signal);
    // Without its owner (the Node is not there yet) the Lease is not created: next time.
    if (fresh.metadata?.ownerReferences === undefined) return { lease: undefined, created: false };
    return { lease: await this.#leases.create(fresh, { signal }), created: true };
  }

  async #retryUpdate(base: Lease, signal: AbortSignal): Promise<void> {
    let current: Lease | undefined = base;
    for (let i = 0; i < MAX_UPDATE_RETRIES; i++) {
      if (signal.aborted) throw signal.reason;
      try {
        if (current === undefined) throw new Error("no lease to update");
        this.#latest = await this.#leases.update(await this.#newLease(current, signal), { signal });
        return;
      } catch (err) {
        if (signal.aborted) throw err;
        this.#log.error("Failed to update lease", { err });
        if (isConflict(err)) {
          const ensured = await this.#backoffEnsure(signal);
          current = ensured?.lease;
          continue;
        }
        if (i > 0) this.#deps.onRepeatedFailure?.();
      }
    }
    throw new Error(
      `Cannot update lease "${NODE_LEASE_NAMESPACE}/${this.#name}": failed ${MAX_UPDATE_RETRIES} attempts`,
    );
  }

  /** `base` (or a new Lease) renewed now, with the Node as owner when it can be read. */
  async #newLease(base: Lease | undefined, signal: AbortSignal): Promise<Lease> {
    const lease: Lease = base ? structuredClone(base) : {
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: { name: this.#name, namespace: NODE_LEASE_NAMESPACE },
      spec: { holderIdentity: this.#name, leaseDurationSeconds: this.#durationSeconds },
    };
    lease.spec = { ...lease.spec, renewTime: microTime(this.#deps.clock.now()) };
    if ((lease.metadata?.ownerReferences ?? []).length === 0) {
      try {
        const node = await this.#deps.client.resource(NODES).get(this.#name, { signal });
        if (node.metadata?.uid) {
          lease.metadata = {
            ...lease.metadata,
            ownerReferences: [{
              apiVersion: "v1",
              kind: "Node",
              name: this.#name,
              uid: node.metadata.uid,
            }],
          };
        }
      } catch (err) {
        if (signal.aborted) throw err;
        this.#log.error("Failed to get node when trying to set owner ref to the node lease", {
          err,
        });
      }
    }
    return lease;
  }
}
