/**
 * skiff's kube-controller-manager: runs the enabled controllers, sharing one
 * {@linkcode SharedInformerFactory} (one list + watch per resource for all of them) and one
 * {@linkcode EventBroadcaster}, while this candidate holds the Lease
 * `kube-system/kube-controller-manager`.
 *
 * - Controllers are named factories ({@linkcode ControllerDescriptor}); which run is chosen as
 *   kube-controller-manager's `--controllers` flag does: `*` (all enabled by default), `name`,
 *   `-name`.
 * - Each term of leadership builds fresh controllers and informers and starts them; when the
 *   lease is lost (or the manager stops) the controllers stop, their informers stop, and the
 *   candidate campaigns again. The process — and the node agent beside it — goes on, unlike
 *   upstream, which exits.
 * - A controller that fails to start or stops with an error is logged; the others keep running.
 *
 * @example Run the default controllers under leader election
 * ```ts ignore
 * const manager = new ControllerManager({
 *   client: new Client(transport, { fieldManager: "kube-controller-manager" }),
 *   clock: systemClock,
 *   logger,
 *   identity: `${hostname}_${crypto.randomUUID()}`,
 * });
 * await manager.run(signal);
 * ```
 *
 * @module
 */
import type { Client } from "../client/client.ts";
import { EventBroadcaster, type EventRecorder } from "../client/event_recorder.ts";
import { LeaderElector } from "../client/leader_election.ts";
import { DEPLOYMENTS, PODS, REPLICA_SETS } from "../client/resources.ts";
import { SharedInformerFactory } from "../client/shared_informer_factory.ts";
import type { Clock } from "../util/clock.ts";
import type { Logger } from "../util/logger.ts";
import { DEPLOYMENT_CONTROLLER_NAME, DeploymentController } from "./deployment.ts";
import { ENDPOINT_SLICE_CONTROLLER_NAME, EndpointSliceController } from "./endpoint_slice.ts";
import { CRON_JOB_CONTROLLER_NAME, cronJobController } from "./cron_job.ts";
import { DAEMON_SET_CONTROLLER_NAME, daemonSetController } from "./daemon_set.ts";
import { DISRUPTION_CONTROLLER_NAME, disruptionController } from "./disruption.ts";
import { ENDPOINTS_CONTROLLER_NAME, EndpointsController } from "./endpoints.ts";
import {
  GARBAGE_COLLECTOR_CONTROLLER_NAME,
  garbageCollectorController,
} from "./garbage_collector.ts";
import { JOB_CONTROLLER_NAME, jobController } from "./job.ts";
import { NAMESPACE_CONTROLLER_NAME, NamespaceController } from "./namespace.ts";
import { NODE_IPAM_CONTROLLER_NAME, nodeIpamController } from "./node_ipam.ts";
import { NODE_LIFECYCLE_CONTROLLER_NAME, nodeLifecycleController } from "./node_lifecycle.ts";
import { ApiPodControl } from "./pod_control.ts";
import { POD_GC_CONTROLLER_NAME, podGcController } from "./pod_gc.ts";
import { REPLICASET_CONTROLLER_NAME, ReplicaSetController } from "./replicaset.ts";
import {
  REPLICATIONCONTROLLER_CONTROLLER_NAME,
  replicationControllerController,
} from "./replication_controller.ts";
import { SERVICE_LB_CONTROLLER_NAME, serviceLbController } from "./service_lb.ts";
import { STATEFUL_SET_CONTROLLER_NAME, statefulSetController } from "./stateful_set.ts";
import { TAINT_EVICTION_CONTROLLER_NAME, taintEvictionController } from "./taint_eviction.ts";
import {
  TTL_AFTER_FINISHED_CONTROLLER_NAME,
  ttlAfterFinishedController,
} from "./ttl_after_finished.ts";

/** The Lease the controller managers elect on (upstream's default). */
export const CONTROLLER_MANAGER_LEASE = Object.freeze({
  namespace: "kube-system",
  name: "kube-controller-manager",
});

/** The timings of the controller manager's leader election. */
export interface ControllerManagerLeaderElection {
  /** How long a lease is valid after its last renewal. */
  readonly leaseDurationMs: number;
  /** How long the leader keeps retrying a renewal before it gives up. */
  readonly renewDeadlineMs: number;
  /** How often candidates try and the leader renews. */
  readonly retryPeriodMs: number;
}

/**
 * 60 s / 40 s / 15 s instead of client-go's 15 s / 10 s / 2 s. The leader renews its Lease (one
 * write to storage) every retry period, forever, even when nothing else happens: every 15 s is
 * 5,760 writes a day instead of 43,200, and edge storage is often an SD card that dies of writes.
 * The price is a slower failover when a leader dies without releasing the lease (up to about a
 * minute and a half); running pods are not affected, only reconciliation pauses. A clean
 * shutdown releases the lease, so a standby takes over at its next try. The 40 s renew deadline
 * rides out a couple of failed renewals (a slow disk, an etcd election) before stepping down.
 */
export const SKIFF_CONTROLLER_MANAGER_LEADER_ELECTION: ControllerManagerLeaderElection = Object
  .freeze({
    leaseDurationMs: 60_000,
    renewDeadlineMs: 40_000,
    retryPeriodMs: 15_000,
  });

/** What a controller factory is given: the shared parts of one term of leadership. */
export interface ControllerContext {
  /** Every controller's requests go through it. */
  readonly client: Client;
  /** Ask for informers here; the manager starts them after every factory has run. */
  readonly informers: SharedInformerFactory;
  /** A recorder whose events name `component` (`replicaset-controller`) as their source. */
  recorder(component: string): EventRecorder;
  readonly clock: Clock;
  readonly logger: Logger;
  /** `--cluster-cidr`, the pod network the nodes' pod CIDRs come from. */
  readonly clusterCidr?: string;
  /** `--service-cidr`, the Service ClusterIP range. */
  readonly serviceCidr?: string;
}

/** A built controller: runs until `signal` aborts (waiting for its caches first). */
export interface RunnableController {
  run(signal: AbortSignal): Promise<void>;
}

/** One controller the manager can run. */
export interface ControllerDescriptor {
  /** The name in `--controllers` and in logs (`replicaset`). */
  readonly name: string;
  /** Builds the controller for one term; must not do I/O (informers are started later). */
  readonly factory: (context: ControllerContext) => RunnableController;
  /** Whether `*` includes it. @default {true} */
  readonly enabledByDefault?: boolean;
}

function replicaSetController(context: ControllerContext): RunnableController {
  return new ReplicaSetController({
    client: context.client,
    rsInformer: context.informers.informerFor(REPLICA_SETS),
    podInformer: context.informers.informerFor(PODS),
    podControl: new ApiPodControl({
      client: context.client,
      recorder: context.recorder("replicaset-controller"),
      logger: context.logger,
    }),
    clock: context.clock,
    logger: context.logger,
  });
}

function deploymentController(context: ControllerContext): RunnableController {
  return new DeploymentController({
    client: context.client,
    deploymentInformer: context.informers.informerFor(DEPLOYMENTS),
    rsInformer: context.informers.informerFor(REPLICA_SETS),
    podInformer: context.informers.informerFor(PODS),
    recorder: context.recorder("deployment-controller"),
    clock: context.clock,
    logger: context.logger,
  });
}

function namespaceController(context: ControllerContext): RunnableController {
  return new NamespaceController({
    client: context.client,
    informers: context.informers,
    clock: context.clock,
    logger: context.logger,
  });
}

function endpointSliceController(context: ControllerContext): RunnableController {
  return new EndpointSliceController({
    client: context.client,
    informers: context.informers,
    clock: context.clock,
    logger: context.logger,
    events: context.recorder("endpoint-slice-controller"),
  });
}

function endpointsController(context: ControllerContext): RunnableController {
  return new EndpointsController({
    client: context.client,
    informers: context.informers,
    clock: context.clock,
    logger: context.logger,
    events: context.recorder("endpoint-controller"),
  });
}

/** The controllers skiff has, in the order they start. */
export function defaultControllers(): ControllerDescriptor[] {
  return [
    { name: REPLICASET_CONTROLLER_NAME, factory: replicaSetController },
    { name: REPLICATIONCONTROLLER_CONTROLLER_NAME, factory: replicationControllerController },
    { name: DEPLOYMENT_CONTROLLER_NAME, factory: deploymentController },
    { name: NAMESPACE_CONTROLLER_NAME, factory: namespaceController },
    { name: ENDPOINT_SLICE_CONTROLLER_NAME, factory: endpointSliceController },
    { name: ENDPOINTS_CONTROLLER_NAME, factory: endpointsController },
    { name: STATEFUL_SET_CONTROLLER_NAME, factory: statefulSetController },
    { name: DAEMON_SET_CONTROLLER_NAME, factory: daemonSetController },
    { name: JOB_CONTROLLER_NAME, factory: jobController },
    { name: CRON_JOB_CONTROLLER_NAME, factory: cronJobController },
    { name: TTL_AFTER_FINISHED_CONTROLLER_NAME, factory: ttlAfterFinishedController },
    { name: GARBAGE_COLLECTOR_CONTROLLER_NAME, factory: garbageCollectorController },
    { name: DISRUPTION_CONTROLLER_NAME, factory: (context) => disruptionController(context) },
    { name: POD_GC_CONTROLLER_NAME, factory: (context) => podGcController(context) },
    {
      name: NODE_LIFECYCLE_CONTROLLER_NAME,
      factory: (context) => nodeLifecycleController(context),
    },
    {
      name: TAINT_EVICTION_CONTROLLER_NAME,
      factory: (context) => taintEvictionController(context),
    },
    { name: NODE_IPAM_CONTROLLER_NAME, factory: (context) => nodeIpamController(context) },
    // k3s's, not kube-controller-manager's: off with `--disable servicelb` (`-servicelb`).
    { name: SERVICE_LB_CONTROLLER_NAME, factory: serviceLbController },
  ];
}

/**
 * The controllers `list` enables, as kube-controller-manager's `--controllers`: `*` enables
 * those enabled by default, `name` enables one, `-name` disables one (winning over `*`). Keeps
 * `known`'s order.
 *
 * @throws {TypeError} for a name that is not in `known`.
 */
export function enabledControllers(
  list: readonly string[],
  known: readonly ControllerDescriptor[],
): ControllerDescriptor[] {
  const names = new Set(known.map((c) => c.name));
  const on = new Set<string>();
  const off = new Set<string>();
  let star = false;
  for (const raw of list) {
    const item = raw.trim();
    if (item === "") continue;
    if (item === "*") {
      star = true;
      continue;
    }
    const disable = item.startsWith("-");
    const name = disable ? item.slice(1) : item;
    if (!names.has(name)) {
      throw new TypeError(
        `Cannot enable controllers: "${name}" is not in the list of known controllers (${
          [...names].join(", ")
        })`,
      );
    }
    (disable ? off : on).add(name);
  }
  return known.filter((c) =>
    !off.has(c.name) && (on.has(c.name) || (star && (c.enabledByDefault ?? true)))
  );
}

/** Options of {@linkcode ControllerManager}. */
export interface ControllerManagerOptions {
  readonly client: Client;
  readonly clock: Clock;
  readonly logger: Logger;
  /** This candidate's unique name, e.g. `<hostname>_<uuid>` as kube-controller-manager's. */
  readonly identity: string;
  /** `--controllers`. @default {["*"]} */
  readonly controllers?: readonly string[];
  /** The controllers there are. @default {defaultControllers()} */
  readonly registry?: readonly ControllerDescriptor[];
  /**
   * `false`: run without electing (one server and nothing else). Otherwise the timings.
   * @default {SKIFF_CONTROLLER_MANAGER_LEADER_ELECTION}
   */
  readonly leaderElection?: false | ControllerManagerLeaderElection;
  /** The Lease to elect on. @default {CONTROLLER_MANAGER_LEASE} */
  readonly lease?: { readonly namespace: string; readonly name: string };
  /** Informers' resync period (0: none). @default {0} */
  readonly resyncPeriodMs?: number;
  /** A random number in `[0, 1)` (election and watch jitter). @default {Math.random} */
  readonly random?: () => number;
  /** `--cluster-cidr`, for the nodeipam controller. @default {"10.42.0.0/16"} */
  readonly clusterCidr?: string;
  /** `--service-cidr`, whose overlap with the cluster CIDR nodeipam never hands out. */
  readonly serviceCidr?: string;
}

/** Runs the enabled controllers while holding the controller manager's Lease. */
export class ControllerManager {
  readonly #options: ControllerManagerOptions;
  readonly #controllers: readonly ControllerDescriptor[];
  readonly #logger: Logger;
  readonly #events: EventBroadcaster;
  #elector: LeaderElector | null = null;
  #running = false;
  #terms = 0;

  /** @throws {TypeError} for an unknown controller name. */
  constructor(options: ControllerManagerOptions) {
    this.#options = options;
    this.#controllers = enabledControllers(
      options.controllers ?? ["*"],
      options.registry ?? defaultControllers(),
    );
    this.#logger = options.logger.with({ component: "controller-manager" });
    this.#events = new EventBroadcaster({
      client: options.client,
      clock: options.clock,
      logger: options.logger,
      ...(options.random ? { random: options.random } : {}),
    });
  }

  /** The names of the controllers this manager runs. */
  get controllers(): string[] {
    return this.#controllers.map((c) => c.name);
  }

  /** How many terms of leadership have started (each runs a fresh set of controllers). */
  get terms(): number {
    return this.#terms;
  }

  /** Whether the controllers run now (always while running without leader election). */
  isLeader(): boolean {
    return this.#options.leaderElection === false
      ? this.#running
      : this.#elector?.isLeader() ?? false;
  }

  /**
   * Campaigns and runs the controllers while leading, until `signal` aborts; then stops them,
   * releases the lease and flushes pending events.
   */
  async run(signal: AbortSignal): Promise<void> {
    if (this.#running) throw new TypeError("Cannot run a controller manager twice at once");
    this.#running = true;
    this.#logger.info("Starting controller manager", { controllers: this.controllers });
    try {
      if (this.#options.leaderElection === false) {
        await this.#term(signal);
        return;
      }
      const timings = this.#options.leaderElection ?? SKIFF_CONTROLLER_MANAGER_LEADER_ELECTION;
      this.#elector = new LeaderElector({
        client: this.#options.client,
        lease: this.#options.lease ?? CONTROLLER_MANAGER_LEASE,
        identity: this.#options.identity,
        clock: this.#options.clock,
        logger: this.#options.logger,
        ...timings,
        ...(this.#options.random ? { random: this.#options.random } : {}),
        onStartedLeading: (leading) => this.#term(leading),
        onStoppedLeading: () =>
          this.#logger.info("Stopped leading; the controllers wait to lead again"),
      });
      await this.#elector.run(signal);
    } finally {
      await this.#events.shutdown();
      this.#running = false;
      this.#logger.info("Shutting down controller manager");
    }
  }

  /** One term: fresh informers and controllers, run until `leading` aborts. */
  async #term(leading: AbortSignal): Promise<void> {
    this.#terms++;
    const { client, clock, logger } = this.#options;
    const informers = new SharedInformerFactory(client, {
      clock,
      logger,
      ...(this.#options.resyncPeriodMs ? { resyncPeriodMs: this.#options.resyncPeriodMs } : {}),
      ...(this.#options.random ? { random: this.#options.random } : {}),
    });
    const recorders = new Map<string, EventRecorder>();
    const context: ControllerContext = {
      client,
      informers,
      clock,
      logger,
      ...(this.#options.clusterCidr !== undefined
        ? { clusterCidr: this.#options.clusterCidr }
        : {}),
      ...(this.#options.serviceCidr !== undefined
        ? { serviceCidr: this.#options.serviceCidr }
        : {}),
      recorder: (component) => {
        let recorder = recorders.get(component);
        if (!recorder) recorders.set(component, recorder = this.#events.newRecorder({ component }));
        return recorder;
      },
    };
    const built: { name: string; controller: RunnableController }[] = [];
    for (const descriptor of this.#controllers) {
      try {
        built.push({ name: descriptor.name, controller: descriptor.factory(context) });
      } catch (err) {
        this.#logger.error("Error starting controller", {
          controller: descriptor.name,
          error: err,
        });
      }
    }
    if (leading.aborted) return;
    informers.start(leading);
    this.#logger.info("Started controllers", { controllers: built.map((b) => b.name) });
    await Promise.all(built.map(async ({ name, controller }) => {
      try {
        await controller.run(leading);
      } catch (err) {
        this.#logger.error("Controller stopped with an error", { controller: name, error: err });
      }
    }));
    await informers.shutdown();
  }
}
