/**
 * Runs the {@linkcode Scheduler} under leader election on the Lease `kube-system/kube-scheduler`,
 * as kube-scheduler does, so that several servers may run it and only one schedules. Each term
 * of leadership gets a fresh scheduler (informers, cache, queue); losing the lease stops it
 * cleanly and the candidate campaigns again — the process, and everything else in it, goes on.
 *
 * @example Schedule while leading, until SIGTERM
 * ```ts ignore
 * await runScheduler({ client, clock: systemClock, logger, identity: `${host}_${crypto.randomUUID()}`, signal });
 * ```
 *
 * @module
 */
import type { Client } from "../client/client.ts";
import { LeaderElector } from "../client/leader_election.ts";
import type { Clock } from "../util/clock.ts";
import type { Logger } from "../util/logger.ts";
import type { Profile } from "./profile.ts";
import type { Registry } from "./runtime.ts";
import { Scheduler, type SchedulerOptions } from "./scheduler.ts";

/** The Lease the schedulers elect on (upstream's default `leaderElection.resourceName`). */
export const SCHEDULER_LEASE = Object.freeze({ namespace: "kube-system", name: "kube-scheduler" });

/** Leader election timings. */
export interface LeaderElectionTimings {
  /** How long a lease is valid after its last renewal. */
  readonly leaseDurationMs: number;
  /** How long the leader keeps retrying a renewal before it gives up. */
  readonly renewDeadlineMs: number;
  /** How often candidates try and the leader renews. */
  readonly retryPeriodMs: number;
}

/**
 * skiff's timings, four to seven times client-go's 15 s / 10 s / 2 s. A leader alone renews
 * (one Lease write) every retry period: every 15 s is 5,760 writes a day where 2 s would be
 * 43,200, on storage that is often an SD card worn out by writes. What it costs: after a leader
 * crashes, a standby takes over within about lease + one jittered retry (60 s + up to 33 s);
 * a leader that shuts down cleanly releases the lease, so a standby takes over at its next try.
 * Running pods are not affected meanwhile; only new pods wait. The 40 s renew deadline lets a
 * leader ride out two failed renewals (a slow disk, an etcd election) before it steps down.
 */
export const SKIFF_SCHEDULER_LEADER_ELECTION: LeaderElectionTimings = Object.freeze({
  leaseDurationMs: 60_000,
  renewDeadlineMs: 40_000,
  retryPeriodMs: 15_000,
});

/** Options of {@linkcode runScheduler}. */
export interface RunSchedulerOptions {
  readonly client: Client;
  readonly clock: Clock;
  readonly logger: Logger;
  /** This candidate's unique name, e.g. `<hostname>_<uuid>` as kube-scheduler's. */
  readonly identity: string;
  /** Aborting it stops the scheduler and releases the lease. */
  readonly signal: AbortSignal;
  /**
   * `false`: schedule without electing (a single server). Otherwise the timings.
   * @default {SKIFF_SCHEDULER_LEADER_ELECTION}
   */
  readonly leaderElection?: false | LeaderElectionTimings;
  /** The host name in events' `reportingInstance`. */
  readonly hostname?: string;
  readonly profiles?: readonly Profile[];
  readonly registry?: Registry;
  readonly random?: () => number;
  /** The queue's backoff settings. */
  readonly schedulerOptions?: SchedulerOptions;
}

/**
 * Schedules while this candidate holds the scheduler Lease, until `options.signal` aborts.
 *
 * @throws {TypeError} for invalid profiles (before campaigning).
 */
export async function runScheduler(options: RunSchedulerOptions): Promise<void> {
  const { client, clock, logger, signal } = options;
  const newScheduler = () =>
    new Scheduler({
      client,
      clock,
      logger,
      ...options.hostname === undefined ? {} : { hostname: options.hostname },
      ...options.profiles === undefined ? {} : { profiles: options.profiles },
      ...options.registry === undefined ? {} : { registry: options.registry },
      ...options.random === undefined ? {} : { random: options.random },
    }, options.schedulerOptions);
  // Fail fast on a bad profile, rather than at every term of leadership.
  newScheduler();
  if (options.leaderElection === false) {
    await newScheduler().run(signal);
    return;
  }
  const timings = options.leaderElection ?? SKIFF_SCHEDULER_LEADER_ELECTION;
  const elector = new LeaderElector({
    client,
    lease: SCHEDULER_LEASE,
    identity: options.identity,
    clock,
    logger,
    ...timings,
    ...options.random === undefined ? {} : { random: options.random },
    onStartedLeading: (leading) => newScheduler().run(leading),
    onStoppedLeading: () => {
      if (!signal.aborted) logger.info("Stopped leading; the scheduler waits to lead again");
    },
  });
  await elector.run(signal);
}
