/**
 * Leader election on a `coordination.k8s.io/v1` Lease, as client-go's `leaderelection`: of all
 * the candidates running a {@linkcode LeaderElector} on the same Lease, one at a time leads.
 *
 * - A candidate tries every `retryPeriod` (jittered by up to 1.2×) to take the Lease: it may
 *   when the Lease does not exist, has no holder, or its record has not changed for
 *   `leaseDurationSeconds` by the candidate's own clock (clocks of different machines are never
 *   compared). Writes carry the Lease's resourceVersion, so of two candidates racing one wins.
 * - The leader renews every `retryPeriod`. When renewing keeps failing for `renewDeadline`, it
 *   has lost the lease: the signal given to `onStartedLeading` aborts, and once that work has
 *   returned the elector goes back to being a candidate — the process keeps running.
 * - When the elector is stopped while leading, it stops the work, waits for it, then releases
 *   the Lease (clears `holderIdentity`) so that a successor takes over at once.
 *
 * Defaults as client-go's: leaseDuration 15 s, renewDeadline 10 s, retryPeriod 2 s.
 *
 * @example Run the scheduler only while leading
 * ```ts ignore
 * const elector = new LeaderElector({
 *   client,
 *   lease: { namespace: "kube-system", name: "kube-scheduler" },
 *   identity: `${hostname}_${crypto.randomUUID()}`,
 *   clock,
 *   logger,
 *   onStartedLeading: (leading) => scheduler.run(leading),
 * });
 * await elector.run(signal);
 * ```
 *
 * @module
 */
import { formatMicroTime as microTime } from "../util/k8s_time.ts";
import type { Lease, LeaseSpec } from "../api/types/coordination_v1.ts";
import type { Clock } from "../util/clock.ts";
import type { Logger } from "../util/logger.ts";
import type { Client, ResourceClient } from "./client.ts";
import { isNotFound } from "./errors.ts";
import { LEASES } from "./resources.ts";

/** client-go's `JitterFactor` for the candidates' retries. */
const JITTER_FACTOR = 1.2;

/** Options of {@linkcode LeaderElector}. */
export interface LeaderElectorOptions {
  readonly client: Client;
  /** The Lease everyone elects on. */
  readonly lease: { readonly namespace: string; readonly name: string };
  /** This candidate's unique name (written to `holderIdentity`). */
  readonly identity: string;
  readonly clock: Clock;
  readonly logger: Logger;
  /**
   * Starts the leader's work; `leading` aborts when leadership ends. The elector waits for a
   * returned promise before it releases the lease or competes again.
   */
  readonly onStartedLeading: (leading: AbortSignal) => void | Promise<void>;
  /** Called after the leader's work has ended. */
  readonly onStoppedLeading?: () => void;
  /** Called when the observed holder changes (also to this candidate). */
  readonly onNewLeader?: (identity: string) => void;
  /** How long a lease is valid after its last renewal. @default {15000} */
  readonly leaseDurationMs?: number;
  /** How long the leader keeps retrying a renewal before it gives up. @default {10000} */
  readonly renewDeadlineMs?: number;
  /** How often candidates try and the leader renews. @default {2000} */
  readonly retryPeriodMs?: number;
  /** Clear the holder when stopped while leading. @default {true} */
  readonly releaseOnCancel?: boolean;
  /** A random number in `[0, 1)` (jitter). @default {Math.random} */
  readonly random?: () => number;
}

function recordText(spec: LeaseSpec | undefined): string {
  return JSON.stringify([
    spec?.holderIdentity ?? "",
    spec?.leaseDurationSeconds ?? 0,
    spec?.acquireTime ?? "",
    spec?.renewTime ?? "",
    spec?.leaseTransitions ?? 0,
  ]);
}

/** Campaigns for a Lease and runs work while holding it. */
export class LeaderElector {
  readonly #options: LeaderElectorOptions;
  readonly #leases: ResourceClient<Lease>;
  readonly #logger: Logger;
  readonly #leaseDurationMs: number;
  readonly #renewDeadlineMs: number;
  readonly #retryPeriodMs: number;
  /** The Lease as last read or written. */
  #lease: Lease | null = null;
  #observedRecord = "";
  /** When (by our clock) the record last changed. */
  #observedTimeMs = 0;
  #leading = false;
  #running = false;

  constructor(options: LeaderElectorOptions) {
    const leaseDurationMs = options.leaseDurationMs ?? 15_000;
    const renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    const retryPeriodMs = options.retryPeriodMs ?? 2_000;
    if (!(leaseDurationMs > renewDeadlineMs)) {
      throw new RangeError(
        `Cannot elect with leaseDuration ${leaseDurationMs} ms: it must be greater than renewDeadline ${renewDeadlineMs} ms`,
      );
    }
    if (!(renewDeadlineMs > JITTER_FACTOR * retryPeriodMs)) {
      throw new RangeError(
        `Cannot elect with renewDeadline ${renewDeadlineMs} ms: it must be greater than ${JITTER_FACTOR} × retryPeriod ${retryPeriodMs} ms`,
      );
    }
    if (!(retryPeriodMs > 0)) {
      throw new RangeError(
        `Cannot elect with retryPeriod ${retryPeriodMs} ms: it must be positive`,
      );
    }
    if (options.identity === "") throw new TypeError("Cannot elect without an identity");
    this.#options = options;
    this.#leases = options.client.resource(LEASES);
    this.#logger = options.logger.with({
      lease: `${options.lease.namespace}/${options.lease.name}`,
      identity: options.identity,
    });
    this.#leaseDurationMs = leaseDurationMs;
    this.#renewDeadlineMs = renewDeadlineMs;
    this.#retryPeriodMs = retryPeriodMs;
  }

  /** Whether this candidate leads now. */
  isLeader(): boolean {
    return this.#leading;
  }

  /** The holder last observed on the Lease (`""` when none). */
  getLeader(): string {
    return this.#lease?.spec?.holderIdentity ?? "";
  }

  /**
   * Campaigns, leads, and campaigns again after a lost lease, until `signal` aborts; then
   * stops the work, releases the Lease if it holds it, and resolves.
   */
  async run(signal: AbortSignal): Promise<void> {
    if (this.#running) throw new TypeError("Cannot run a leader elector twice at once");
    this.#running = true;
    this.#logger.info("Starting leader election");
    try {
      while (!signal.aborted) {
        if (!(await this.#acquire(signal))) break;
        await this.#lead(signal);
      }
    } finally {
      this.#running = false;
      this.#logger.info("Shutting down leader election");
    }
  }

  async #lead(signal: AbortSignal): Promise<void> {
    this.#leading = true;
    const leading = new AbortController();
    const work = (async () => {
      try {
        await this.#options.onStartedLeading(leading.signal);
      } catch (err) {
        this.#logger.error("Leader work failed", { error: err });
      }
    })();
    await this.#renewLoop(signal);
    leading.abort(new Error("Leadership ended"));
    this.#leading = false;
    await work;
    try {
      this.#options.onStoppedLeading?.();
    } catch (err) {
      this.#logger.error("onStoppedLeading failed", { error: err });
    }
    if (signal.aborted && (this.#options.releaseOnCancel ?? true)) await this.#release();
  }

  async #acquire(signal: AbortSignal): Promise<boolean> {
    const random = this.#options.random ?? Math.random;
    this.#logger.info("Attempting to acquire leader lease");
    while (!signal.aborted) {
      if (await this.#tryAcquireOrRenew(signal)) {
        this.#logger.info("Successfully acquired lease");
        return true;
      }
      const waitMs = this.#retryPeriodMs * (1 + JITTER_FACTOR * random());
      try {
        await this.#options.clock.sleep(waitMs, signal);
      } catch {
        return false;
      }
    }
    return false;
  }

  /** Renews until renewing fails for renewDeadline (lost) or `signal` aborts. */
  async #renewLoop(signal: AbortSignal): Promise<void> {
    const clock = this.#options.clock;
    while (!signal.aborted) {
      const deadline = new AbortController();
      const timer = clock.setTimeout(
        () => deadline.abort(new Error("Renew deadline passed")),
        this.#renewDeadlineMs,
      );
      const attempt = AbortSignal.any([signal, deadline.signal]);
      let renewed = false;
      try {
        for (;;) {
          if (await this.#tryAcquireOrRenew(attempt)) {
            renewed = true;
            break;
          }
          await clock.sleep(this.#retryPeriodMs, attempt);
        }
      } catch {
        // the deadline passed or the elector stops
      } finally {
        timer.cancel();
      }
      if (signal.aborted) return;
      if (!renewed) {
        this.#logger.warn("Failed to renew lease; leadership lost", {
          renewDeadlineMs: this.#renewDeadlineMs,
        });
        return;
      }
      try {
        await clock.sleep(this.#retryPeriodMs, signal);
      } catch {
        return;
      }
    }
  }

  #observe(lease: Lease, nowMs: number): void {
    const previousHolder = this.#lease?.spec?.holderIdentity ?? "";
    this.#lease = lease;
    const record = recordText(lease.spec);
    if (record !== this.#observedRecord) {
      this.#observedRecord = record;
      this.#observedTimeMs = nowMs;
    }
    const holder = lease.spec?.holderIdentity ?? "";
    if (holder !== previousHolder && holder !== "") {
      this.#logger.info("New leader elected", { leader: holder });
      try {
        this.#options.onNewLeader?.(holder);
      } catch (err) {
        this.#logger.error("onNewLeader failed", { error: err });
      }
    }
  }

  async #tryAcquireOrRenew(signal: AbortSignal): Promise<boolean> {
    const { namespace, name } = this.#options.lease;
    const identity = this.#options.identity;
    const clock = this.#options.clock;
    const durationSeconds = Math.max(1, Math.round(this.#leaseDurationMs / 1000));
    let current: Lease;
    try {
      current = await this.#leases.get(name, { namespace, signal });
    } catch (err) {
      if (signal.aborted) return false;
      if (!isNotFound(err)) {
        this.#logger.warn("Cannot read leader lease", { error: err });
        return false;
      }
      const nowMs = clock.now();
      try {
        const created = await this.#leases.create({
          apiVersion: "coordination.k8s.io/v1",
          kind: "Lease",
          metadata: { namespace, name },
          spec: {
            holderIdentity: identity,
            leaseDurationSeconds: durationSeconds,
            acquireTime: microTime(nowMs),
            renewTime: microTime(nowMs),
            leaseTransitions: 0,
          },
        }, { signal });
        this.#observe(created, clock.now());
        return true;
      } catch (createErr) {
        if (!signal.aborted) this.#logger.info("Cannot create leader lease", { error: createErr });
        return false;
      }
    }
    const nowMs = clock.now();
    this.#observe(current, nowMs);
    const spec = current.spec ?? {};
    const holder = spec.holderIdentity ?? "";
    const validMs = (spec.leaseDurationSeconds ?? 0) * 1000;
    if (holder !== "" && holder !== identity && this.#observedTimeMs + validMs > nowMs) {
      this.#logger.debug("Lease is held by another candidate", { leader: holder });
      return false;
    }
    const renewing = holder === identity;
    const updated: Lease = {
      ...current,
      spec: {
        ...spec,
        holderIdentity: identity,
        leaseDurationSeconds: durationSeconds,
        acquireTime: renewing && spec.acquireTime ? spec.acquireTime : microTime(nowMs),
        renewTime: microTime(nowMs),
        leaseTransitions: renewing ? spec.leaseTransitions ?? 0 : (spec.leaseTransitions ?? 0) + 1,
      },
    };
    try {
      this.#observe(await this.#leases.update(updated, { signal }), clock.now());
      return true;
    } catch (err) {
      if (!signal.aborted) this.#logger.info("Cannot update leader lease", { error: err });
      return false;
    }
  }

  /** Clears the holder if it is still us, so a successor need not wait out the lease. */
  async #release(): Promise<void> {
    const lease = this.#lease;
    if (!lease || lease.spec?.holderIdentity !== this.#options.identity) return;
    const clock = this.#options.clock;
    const stop = new AbortController();
    const timer = clock.setTimeout(() => stop.abort(), this.#renewDeadlineMs);
    const nowMs = clock.now();
    try {
      const released = await this.#leases.update({
        ...lease,
        spec: {
          ...lease.spec,
          holderIdentity: "",
          leaseDurationSeconds: 1,
          acquireTime: microTime(nowMs),
          renewTime: microTime(nowMs),
          leaseTransitions: lease.spec.leaseTransitions ?? 0,
        },
      }, { signal: stop.signal });
      this.#lease = released;
      this.#logger.info("Released leader lease");
    } catch (err) {
      this.#logger.warn("Cannot release leader lease", { error: err });
    } finally {
      timer.cancel();
    }
  }
}
