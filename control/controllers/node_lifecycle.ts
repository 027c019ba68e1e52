/**
 * The node lifecycle controller, as kube-controller-manager's `nodelifecycle` (v1.33, with the
 * taint eviction controller separate): it watches each node's heartbeats, marks a node whose
 * heartbeats stop as Unknown, and taints nodes by their conditions so that the scheduler keeps
 * new pods off them and the taint eviction controller (`taint_eviction.ts`) moves pods away.
 *
 * - **Health.** A heartbeat is a new `lastHeartbeatTime` on the node's Ready condition or a
 *   newer `renewTime` on its Lease `kube-node-lease/<node>`; the controller stamps it with its
 *   own clock when it sees it. When no heartbeat came for `nodeMonitorGracePeriodMs` (40 s;
 *   `nodeStartupGracePeriodMs`, 60 s from creation, for a node that never posted a Ready
 *   condition), Ready, MemoryPressure, DiskPressure and PIDPressure become `Unknown` with reason
 *   `NodeStatusUnknown` ("Kubelet stopped posting node status.", or `NodeStatusNeverUpdated`,
 *   "Kubelet never posted node status.", for one never reported). When this controller turns
 *   Ready from True to Unknown it records `NodeNotReady` on the node and sets the Ready
 *   condition of the node's pods to False (a `NodeNotReady` warning on each); pods bound to such
 *   a node later are marked too.
 * - **NoSchedule taints** follow the conditions (TaintNodesByCondition): Ready False
 *   `node.kubernetes.io/not-ready`, Ready Unknown `unreachable`, MemoryPressure, DiskPressure,
 *   PIDPressure, NetworkUnavailable True `memory-pressure`, `disk-pressure`, `pid-pressure`,
 *   `network-unavailable`, and `spec.unschedulable` `unschedulable`; added and removed in one
 *   patch.
 * - **NoExecute taints**: Ready False `not-ready`, Ready Unknown `unreachable`, swapped in one
 *   patch when the state changes, both removed when Ready is True again. Adding one is rate
 *   limited per zone (`topology.kubernetes.io/region` + `zone` labels): `nodeEvictionRate`
 *   nodes a second (0.1: one every 10 s) in a Normal zone; in a PartialDisruption zone (more
 *   than 2 nodes and at least `unhealthyZoneThreshold`, 55 %, not ready)
 *   `secondaryNodeEvictionRate` if it has more than `largeClusterSizeThreshold` (50) nodes, none
 *   otherwise. When every zone is in FullDisruption (no Ready node at all, the single-zone case
 *   included) the controller assumes the control plane lost its network, not the nodes: it
 *   removes every NoExecute taint it set and adds none ("Entering master disruption mode");
 *   when a node is Ready again, every node gets a fresh grace period ("Exiting master
 *   disruption mode"). Nodes labelled `node.kubernetes.io/exclude-disruption` do not count.
 * - **Labels**: `beta.kubernetes.io/os` and `beta.kubernetes.io/arch` are kept equal to
 *   `kubernetes.io/os` and `kubernetes.io/arch`.
 * - Events, as upstream's `node-controller`: `RegisteredNode` ("Node x event: Registered Node x
 *   in Controller") the first time this controller sees a node, `RemovingNode` when it goes.
 *
 * **Autonomy (skiff).** A node annotated `node.skiff.io/autonomy: "true"` is expected to lose
 * its link to the control plane for long stretches (an edge site behind a flaky uplink) and to
 * keep running its pods meanwhile. While the annotation is set and the node is unreachable
 * (Ready Unknown), the controller still sets its conditions to Unknown and adds the
 * `unreachable:NoSchedule` taint, but not `unreachable:NoExecute` (and removes a NoExecute
 * taint of its own that is there), so its pods are not evicted; it logs "Node is unreachable
 * but autonomous; not tainting it NoExecute" once each time. A node reporting Ready False is
 * tainted `not-ready:NoExecute` as usual: its kubelet is reachable and says it cannot run pods.
 * Removing the annotation while the node is still unreachable resumes normal handling (the
 * NoExecute taint is queued at once, subject to the zone's rate).
 *
 * **No polling.** Upstream re-examines every node every 5 s (`--node-monitor-period`). Here
 * informer events (node, Lease, pod) enqueue the node, and one timer per healthy node fires
 * when its grace period would run out (moved, not added, by each heartbeat); a zone waiting
 * for its next token has one timer. A quiet cluster wakes the controller only for heartbeats.
 * One trace of the monitor period stays: a node this controller has just marked Unknown is
 * tainted NoExecute `nodeMonitorPeriodMs` (5 s) later, as upstream decides from the state it
 * read before its own update, i.e. at its next pass. Nodes that go silent together (the
 * control plane's own link going down) are thus all counted as a full disruption before any
 * of them is tainted.
 *
 * Left out, as upstream no longer does them or skiff has no use: pod eviction without taints
 * (removed upstream), the `DaemonSet` informer, metrics. Unlike upstream, a node first seen by
 * a new leader keeps its NoExecute taint when it is still not ready, instead of losing it and
 * getting it back a moment later (which would restart every pod's toleration countdown).
 *
 * @example Run it in a controller manager
 * ```ts ignore
 * const registry = [{ name: NODE_LIFECYCLE_CONTROLLER_NAME, factory: nodeLifecycleController }];
 * ```
 *
 * @module
 */
import { NODE_LEASE_NAMESPACE } from "../api/types/coordination_v1.ts";
import type { Lease } from "../api/types/coordination_v1.ts";
import type { Node, NodeCondition } from "../api/types/core_v1_node.ts";
import type { Pod } from "../api/types/core_v1_pod.ts";
import type { KubeObject } from "../api/types/meta_v1.ts";
import type { Client, ResourceClient } from "../client/client.ts";
import { isNotFound } from "../client/errors.ts";
import type { EventRecorder } from "../client/event_recorder.ts";
import type { Informer } from "../client/informer.ts";
import { LEASES, NODES, PODS } from "../client/resources.ts";
import type { SharedInformerFactory } from "../client/shared_informer_factory.ts";
import { indexByNodeName, metaNamespaceKey, splitMetaNamespaceKey } from "../client/store.ts";
import type { WorkQueue } from "../client/workqueue.ts";
import { type Clock, setTimeoutAt, type TimerHandle } from "../util/clock.ts";
import type { Logger } from "../util/logger.ts";
import { ControllerLoop } from "./_controller_loop.ts";
import { errorText } from "./_errors.ts";
import type { ControllerContext, RunnableController } from "./controller_manager.ts";
import {
  healthExpired,
  type NodeHealth,
  observeNodeHealth,
  unknownConditions,
} from "./_node_health.ts";
import {
  hasTaint,
  nodeCondition,
  noScheduleTaintChange,
  NOT_READY_NO_EXECUTE,
  swapNodeTaints,
  type TaintKeyEffect,
  UNREACHABLE_NO_EXECUTE,
  zoneKeyOf,
} from "./_node_taints.ts";
import { podCondition, setPodCondition } from "./_pod_conditions.ts";
import { computeZoneState, type ZoneState, ZoneTainter } from "./_zone_tainter.ts";

/** The controller's name in `--controllers` and in logs. */
export const NODE_LIFECYCLE_CONTROLLER_NAME = "nodelifecycle";
/** The source component of its events (upstream's). */
export const NODE_CONTROLLER_COMPONENT = "node-controller";
/** skiff's per-node annotation: `"true"` keeps an unreachable node's pods (see the module doc). */
export const AUTONOMY_ANNOTATION = "node.skiff.io/autonomy";
/** Nodes with this label do not count in their zone's disruption state. */
export const EXCLUDE_DISRUPTION_LABEL = "node.kubernetes.io/exclude-disruption";
/** The pod index by `spec.nodeName` (shared with other controllers by name). */
export const NODE_NAME_INDEX = "nodeName";

/** The beta labels kept equal to the stable ones (upstream `labelReconcileInfo`). */
const LABEL_PAIRS: readonly (readonly [string, string])[] = [
  ["kubernetes.io/os", "beta.kubernetes.io/os"],
  ["kubernetes.io/arch", "beta.kubernetes.io/arch"],
];

/** Options of {@linkcode NodeLifecycleController}, with upstream's flag defaults. */
export interface NodeLifecycleControllerOptions {
  /** `--node-monitor-grace-period`. @default {40000} */
  readonly nodeMonitorGracePeriodMs?: number;
  /** `--node-startup-grace-period`. @default {60000} */
  readonly nodeStartupGracePeriodMs?: number;
  /**
   * How long NoExecute tainting waits after this controller itself marked a node Unknown
   * (upstream taints at its next monitor pass, `--node-monitor-period`). @default {5000}
   */
  readonly nodeMonitorPeriodMs?: number;
  /** `--node-eviction-rate`: nodes NoExecute-tainted per second and zone. @default {0.1} */
  readonly nodeEvictionRate?: number;
  /** `--secondary-node-eviction-rate`, in a large partially disrupted zone. @default {0.01} */
  readonly secondaryNodeEvictionRate?: number;
  /** `--large-cluster-size-threshold`. @default {50} */
  readonly largeClusterSizeThreshold?: number;
  /** `--unhealthy-zone-threshold`. @default {0.55} */
  readonly unhealthyZoneThreshold?: number;
  /** Keys synced at once. @default {8} */
  readonly workers?: number;
}

/** What {@linkcode NodeLifecycleController} works with. */
export interface NodeLifecycleControllerDeps {
  /** Node status, taint and label writes, pod status writes. */
  readonly client: Client;
  /** The node, Lease and pod informers come from here (start it after constructing). */
  readonly informers: SharedInformerFactory;
  /** Records as `node-controller`. */
  readonly recorder: EventRecorder;
  readonly clock: Clock;
  readonly logger: Logger;
}

interface ArmedTimer {
  readonly atMs: number;
  readonly handle: TimerHandle;
}

interface CensusEntry {
  readonly zone: string;
  readonly ready: boolean;
}

function checkNumber(name: string, value: number, min: number): void {
  if (!Number.isFinite(value) || value < min) {
    throw new RangeError(`Cannot use ${name} ${value}: expected a finite number >= ${min}`);
  }
}

function nodeRef(name: string, uid: string | undefined): KubeObject {
  return { apiVersion: "v1", kind: "Node", metadata: { name, ...(uid ? { uid } : {}) } };
}

/** Watches node heartbeats, marks silent nodes Unknown, and taints nodes by condition. */
export class NodeLifecycleController implements RunnableController {
  readonly #deps: NodeLifecycleControllerDeps;
  readonly #logger: Logger;
  readonly #nodes: Informer<Node>;
  readonly #leases: Informer<Lease>;
  readonly #pods: Informer<Pod>;
  readonly #nodeClient: ResourceClient<Node>;
  readonly #podClient: ResourceClient<Pod>;
  readonly #loop: ControllerLoop;
  readonly #queue: WorkQueue<string>;
  readonly #tainter: ZoneTainter;
  readonly #monitorGraceMs: number;
  readonly #startupGraceMs: number;
  readonly #monitorPeriodMs: number;
  readonly #evictionRate: number;
  readonly #secondaryRate: number;
  readonly #largeCluster: number;
  readonly #unhealthyThreshold: number;
  /** Per node: its health as last observed. */
  readonly #health = new Map<string, NodeHealth>();
  /** Per node: the timer of its next grace-period expiry. */
  readonly #timers = new Map<string, ArmedTimer>();
  /** The nodes this controller has registered, with their uids. */
  readonly #known = new Map<string, string>();
  /** Per node counted in disruption: its zone and whether it is Ready. */
  readonly #census = new Map<string, CensusEntry>();
  readonly #zoneStates = new Map<string, ZoneState>();
  /** Nodes the zone limiter let through, to be tainted NoExecute at their next sync. */
  readonly #granted = new Set<string>();
  /** Nodes kept from NoExecute by autonomy (logged once each time). */
  readonly #autonomous = new Set<string>();
  /** Per node just marked Unknown: until when NoExecute tainting waits. */
  readonly #holdUntil = new Map<string, number>();
  /** Nodes whose pods still have to be marked not ready. */
  readonly #podsToRetry = new Set<string>();
  #seeded = false;

  constructor(deps: NodeLifecycleControllerDeps, options: NodeLifecycleControllerOptions = {}) {
    const {
      nodeMonitorGracePeriodMs = 40_000,
      nodeStartupGracePeriodMs = 60_000,
      nodeMonitorPeriodMs = 5000,
      nodeEvictionRate = 0.1,
      secondaryNodeEvictionRate = 0.01,
      largeClusterSizeThreshold = 50,
      unhealthyZoneThreshold = 0.55,
      workers = 8,
    } = options;
    checkNumber("node monitor grace period", nodeMonitorGracePeriodMs, 0);
    checkNumber("node startup grace period", nodeStartupGracePeriodMs, 0);
    checkNumber("node monitor period", nodeMonitorPeriodMs, 0);
    checkNumber("node eviction rate", nodeEvictionRate, 0);
    checkNumber("secondary node eviction rate", secondaryNodeEvictionRate, 0);
    checkNumber("large cluster size threshold", largeClusterSizeThreshold, 0);
    checkNumber("unhealthy zone threshold", unhealthyZoneThreshold, 0);
    if (!Number.isInteger(workers) || workers < 1) {
      throw new RangeError(`Cannot run the node lifecycle controller with ${workers} workers`);
    }
    this.#deps = deps;
    this.#logger = deps.logger.with({ controller: NODE_LIFECYCLE_CONTROLLER_NAME });
    this.#monitorGraceMs = nodeMonitorGracePeriodMs;
    this.#startupGraceMs = nodeStartupGracePeriodMs;
    this.#monitorPeriodMs = nodeMonitorPeriodMs;
    this.#evictionRate = nodeEvictionRate;
    this.#secondaryRate = secondaryNodeEvictionRate;
    this.#largeCluster = largeClusterSizeThreshold;
    this.#unhealthyThreshold = unhealthyZoneThreshold;
    this.#nodeClient = deps.client.resource(NODES);
    this.#podClient = deps.client.resource(PODS);
    this.#loop = new ControllerLoop({
      name: NODE_LIFECYCLE_CONTROLLER_NAME,
      workers,
      clock: deps.clock,
      logger: deps.logger,
    });
    this.#queue = this.#loop.queue;
    this.#tainter = new ZoneTainter({
      clock: deps.clock,
      qps: nodeEvictionRate,
      onGrant: (node) => {
        this.#granted.add(node);
        this.#queue.add(node);
      },
    });
    this.#nodes = deps.informers.informerFor(NODES);
    this.#leases = deps.informers.informerFor(LEASES, { namespace: NODE_LEASE_NAMESPACE });
    this.#pods = deps.informers.informerFor(PODS, {
      indexers: { [NODE_NAME_INDEX]: indexByNodeName },
    });
    this.#loop.handle(this.#nodes, {
      add: (node) => this.#queue.add(node.metadata?.name ?? ""),
      update: (old, node) => {
        if (old.metadata?.resourceVersion === node.metadata?.resourceVersion) return;
        this.#queue.add(node.metadata?.name ?? "");
      },
      delete: (node) => this.#queue.add(node.metadata?.name ?? ""),
    });
    this.#loop.handle(this.#leases, {
      add: (lease) => this.#queue.add(lease.metadata?.name ?? ""),
      update: (old, lease) => {
        if (old.spec?.renewTime === lease.spec?.renewTime) return;
        this.#queue.add(lease.metadata?.name ?? "");
      },
    });
    this.#loop.handle(this.#pods, {
      add: (pod) => {
        if (pod.spec?.nodeName) this.#queue.add(metaNamespaceKey(pod));
      },
      update: (old, pod) => {
        if (pod.spec?.nodeName && pod.spec.nodeName !== old.spec?.nodeName) {
          this.#queue.add(metaNamespaceKey(pod));
        }
      },
    });
  }

  /** The keys waiting: node names, and `namespace/name` of pods just bound. */
  get queue(): WorkQueue<string> {
    return this.#queue;
  }

  /** The state of each zone (`""` is the zone of nodes without topology labels). */
  zoneStates(): ReadonlyMap<string, ZoneState> {
    return this.#zoneStates;
  }

  /** Waits for the caches, then syncs until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    try {
      await this.#loop.run(signal, {
        sync: (key) => this.sync(key),
        waitFor: [this.#nodes, this.#leases, this.#pods],
      });
    } finally {
      for (const timer of this.#timers.values()) timer.handle.cancel();
      this.#timers.clear();
      this.#tainter.stop();
    }
  }

  /**
   * Converges the node `key` (a node name), or marks the pod `key` (`namespace/name`) not
   * ready if its node is not. Throws to be retried with backoff.
   */
  async sync(key: string): Promise<void> {
    this.#seed();
    if (key.includes("/")) await this.#syncPod(key);
    else await this.#syncNode(key);
  }

  // --- nodes -------------------------------------------------------------------------------

  async #syncNode(name: string): Promise<void> {
    let node = this.#nodes.store.get(name);
    if (!node) {
      this.#forget(name);
      return;
    }
    const uid = node.metadata?.uid ?? "";
    if (this.#known.get(name) !== uid) {
      // A node of that name recreated starts afresh.
      if (this.#known.has(name)) this.#forget(name);
      this.#known.set(name, uid);
      this.#nodeEvent(node, {
        reason: "RegisteredNode",
        message: `Node ${name} event: Registered Node ${name} in Controller`,
      });
    }
    const observedReady = nodeCondition(node, "Ready");
    node = await this.#updateHealth(node);
    const ready = nodeCondition(node, "Ready");
    this.#count(node, ready);

    const errors: unknown[] = [];
    const step = async (fn: (n: Node) => Promise<Node>): Promise<void> => {
      try {
        node = await fn(node!);
      } catch (err) {
        errors.push(err);
      }
    };
    await step((n) => this.#noScheduleTaints(n));
    await step((n) => this.#noExecuteTaints(n, ready));
    await step((n) => this.#reconcileLabels(n));
    if (ready) {
      const flipped = ready.status !== "True" && observedReady?.status === "True";
      if (flipped) {
        this.#nodeEvent(node, {
          reason: "NodeNotReady",
          message: `Node ${name} status is now: NodeNotReady`,
        });
      }
      if (flipped || (this.#podsToRetry.has(name) && observedReady?.status !== "True")) {
        try {
          await this.#markPodsNotReady(this.#pods.store.byIndex(NODE_NAME_INDEX, name), name);
          this.#podsToRetry.delete(name);
        } catch (err) {
          this.#podsToRetry.add(name);
          errors.push(err);
        }
      } else {
        this.#podsToRetry.delete(name);
      }
    }
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) {
      throw new AggregateError(errors, `Cannot sync node "${name}": ${errorText(errors[0])}`);
    }
  }

  /**
   * Folds the latest heartbeats into the node's health; once the grace period has run out,
   * writes the Unknown conditions. Otherwise arms the timer of the next expiry.
   */
  async #updateHealth(node: Node): Promise<Node> {
    const name = node.metadata?.name ?? "";
    const nowMs = this.#deps.clock.now();
    const observation = observeNodeHealth(this.#health.get(name), {
      node,
      lease: this.#leases.store.get(`${NODE_LEASE_NAMESPACE}/${name}`),
      nowMs,
      monitorGracePeriodMs: this.#monitorGraceMs,
      startupGracePeriodMs: this.#startupGraceMs,
    });
    let health = observation.health;
    this.#health.set(name, health);
    if (!healthExpired(observation, nowMs)) {
      this.#arm(name, health.probeMs + observation.gracePeriodMs + 1);
      return node;
    }
    this.#disarm(name);
    const { conditions, readyChanged } = unknownConditions(node, nowMs);
    if (!readyChanged) return node;
    this.#logger.info("Node stopped posting status; its conditions are now Unknown", {
      node: name,
      lastHeartbeatAgoMs: nowMs - health.probeMs,
    });
    const written = await this.#nodeClient.updateStatus({
      ...node,
      status: { ...node.status, conditions },
    });
    health = { ...health, ready: nodeCondition(written, "Ready") };
    this.#health.set(name, health);
    // Upstream decides on NoExecute from the state it read before this update, i.e. at its
    // next pass: nodes lost together are counted together (a full disruption) before any is
    // tainted.
    this.#holdUntil.set(name, nowMs + this.#monitorPeriodMs);
    this.#queue.addAfter(name, this.#monitorPeriodMs);
    return written;
  }

  #arm(name: string, atMs: number): void {
    const current = this.#timers.get(name);
    if (current?.atMs === atMs) return;
    current?.handle.cancel();
    const handle = setTimeoutAt(this.#deps.clock, {
      atMs,
      run: () => {
        this.#timers.delete(name);
        this.#queue.add(name);
      },
    });
    this.#timers.set(name, { atMs, handle });
  }

  #disarm(name: string): void {
    this.#timers.get(name)?.handle.cancel();
    this.#timers.delete(name);
  }

  /** A node is gone: drop what is known of it. */
  #forget(name: string): void {
    const uid = this.#known.get(name);
    if (uid !== undefined) {
      this.#known.delete(name);
      this.#logger.info("Controller observed a Node deletion", { node: name });
      this.#nodeEvent(nodeRef(name, uid), {
        reason: "RemovingNode",
        message: `Node ${name} event: Removing Node ${name} from Controller`,
      });
    }
    this.#health.delete(name);
    this.#disarm(name);
    this.#tainter.remove(name);
    this.#granted.delete(name);
    this.#autonomous.delete(name);
    this.#holdUntil.delete(name);
    this.#podsToRetry.delete(name);
    if (this.#census.delete(name)) this.#handleDisruption();
  }

  #nodeEvent(node: Node | KubeObject, event: { reason: string; message: string }): void {
    this.#deps.recorder.event(nodeRef(node.metadata?.name ?? "", node.metadata?.uid), {
      type: "Normal",
      reason: event.reason,
      message: event.message,
    });
  }

  // --- taints ------------------------------------------------------------------------------

  async #noScheduleTaints(node: Node): Promise<Node> {
    const change = noScheduleTaintChange(node);
    if (change.add.length === 0 && change.remove.length === 0) return node;
    return await swapNodeTaints(this.#nodeClient, {
      node,
      ...change,
      nowMs: this.#deps.clock.now(),
    });
  }

  /** The NoExecute taint the node should have, or `null` (see the module doc). */
  #wantedNoExecute(node: Node, ready: NodeCondition): TaintKeyEffect | null {
    const name = node.metadata?.name ?? "";
    const autonomous = node.metadata?.annotations?.[AUTONOMY_ANNOTATION] === "true";
    if (ready.status === "Unknown" && autonomous) {
      if (!this.#autonomous.has(name)) {
        this.#autonomous.add(name);
        this.#logger.info("Node is unreachable but autonomous; not tainting it NoExecute", {
          node: name,
          annotation: AUTONOMY_ANNOTATION,
        });
      }
    } else if (this.#autonomous.delete(name) && ready.status === "Unknown") {
      this.#logger.info("Node is no longer autonomous; handling it as unreachable", {
        node: name,
      });
    }
    if (this.#allFullyDisrupted()) return null;
    switch (ready.status) {
      case "True":
        return null;
      case "False":
        return NOT_READY_NO_EXECUTE;
      default:
        return autonomous ? null : UNREACHABLE_NO_EXECUTE;
    }
  }

  async #noExecuteTaints(node: Node, ready: NodeCondition | undefined): Promise<Node> {
    // A node that never posted a Ready condition (still in its startup grace period).
    if (!ready) return node;
    const name = node.metadata?.name ?? "";
    const taints = node.spec?.taints;
    const want = this.#wantedNoExecute(node, ready);
    const nowMs = this.#deps.clock.now();
    if (want === null) {
      this.#tainter.remove(name);
      this.#granted.delete(name);
      const remove = [NOT_READY_NO_EXECUTE, UNREACHABLE_NO_EXECUTE].filter((t) =>
        hasTaint(taints, t)
      );
      if (remove.length === 0) return node;
      const updated = await swapNodeTaints(this.#nodeClient, { node, add: [], remove, nowMs });
      if (ready.status === "True") {
        this.#logger.info("Node is healthy again, removed all taints", { node: name });
      }
      return updated;
    }
    const holdUntil = this.#holdUntil.get(name);
    if (holdUntil !== undefined) {
      if (nowMs < holdUntil) return node;
      this.#holdUntil.delete(name);
    }
    const opposite = want === NOT_READY_NO_EXECUTE ? UNREACHABLE_NO_EXECUTE : NOT_READY_NO_EXECUTE;
    if (hasTaint(taints, want) && !hasTaint(taints, opposite)) {
      this.#tainter.remove(name);
      this.#granted.delete(name);
      return node;
    }
    // Swapping one NoExecute taint for the other is not rate limited; a first one waits for
    // its zone's limiter (which may let it through at once).
    if (!hasTaint(taints, opposite) && !this.#granted.has(name)) {
      if (!this.#tainter.has(name)) {
        this.#logger.info(
          ready.status === "False"
            ? "Node is NotReady. Adding it to the Taint queue"
            : "Node is unresponsive. Adding it to the Taint queue",
          { node: name },
        );
      }
      this.#tainter.add(zoneKeyOf(node), name);
      if (!this.#granted.has(name)) return node;
    }
    this.#tainter.remove(name);
    this.#granted.delete(name);
    const updated = await swapNodeTaints(this.#nodeClient, {
      node,
      add: [want],
      remove: [opposite],
      nowMs,
    });
    this.#logger.info("Tainted node NoExecute", { node: name, taint: want.key });
    return updated;
  }

  async #reconcileLabels(node: Node): Promise<Node> {
    const labels = node.metadata?.labels;
    if (!labels) return node;
    const update: Record<string, string> = {};
    for (const [primary, secondary] of LABEL_PAIRS) {
      const value = labels[primary];
      if (value !== undefined && labels[secondary] !== value) update[secondary] = value;
    }
    if (Object.keys(update).length === 0) return node;
    return await this.#nodeClient.patch(node.metadata?.name ?? "", {
      type: "merge",
      body: { metadata: { labels: update } },
    });
  }

  // --- zones -------------------------------------------------------------------------------

  /** Fills the census from the synced cache before the first sync, so zones start whole. */
  #seed(): void {
    if (this.#seeded) return;
    this.#seeded = true;
    for (const node of this.#nodes.store.list()) {
      const entry = this.#censusEntry(node, nodeCondition(node, "Ready"));
      if (entry) this.#census.set(node.metadata?.name ?? "", entry);
    }
    this.#handleDisruption();
  }

  #censusEntry(node: Node, ready: NodeCondition | undefined): CensusEntry | undefined {
    if (node.metadata?.labels?.[EXCLUDE_DISRUPTION_LABEL] !== undefined) return undefined;
    return { zone: zoneKeyOf(node), ready: ready?.status === "True" };
  }

  #count(node: Node, ready: NodeCondition | undefined): void {
    const name = node.metadata?.name ?? "";
    const entry = this.#censusEntry(node, ready);
    const old = this.#census.get(name);
    if (old?.zone === entry?.zone && old?.ready === entry?.ready) return;
    if (entry) this.#census.set(name, entry);
    else this.#census.delete(name);
    this.#handleDisruption();
  }

  #allFullyDisrupted(): boolean {
    if (this.#zoneStates.size === 0) return false;
    for (const state of this.#zoneStates.values()) if (state !== "FullDisruption") return false;
    return true;
  }

  #setZoneRate(zone: string, size: number, state: ZoneState): void {
    switch (state) {
      case "Normal":
      case "FullDisruption":
        this.#tainter.setQps(zone, this.#evictionRate);
        break;
      case "PartialDisruption":
        this.#tainter.setQps(zone, size > this.#largeCluster ? this.#secondaryRate : 0);
        break;
      case "Initial":
        break;
    }
  }

  #enqueueAllNodes(): void {
    for (const name of this.#nodes.store.keys()) this.#queue.add(name);
  }

  /** Recomputes the zones' states after a change of the census (upstream `handleDisruption`). */
  #handleDisruption(): void {
    const counts = new Map<string, { ready: number; notReady: number }>();
    for (const { zone, ready } of this.#census.values()) {
      const c = counts.get(zone) ?? { ready: 0, notReady: 0 };
      if (ready) c.ready++;
      else c.notReady++;
      counts.set(zone, c);
    }
    const next = new Map<string, ZoneState>();
    let allAre = true;
    for (const [zone, c] of counts) {
      const state = computeZoneState(c, this.#unhealthyThreshold);
      next.set(zone, state);
      if (state !== "FullDisruption") allAre = false;
      if (!this.#zoneStates.has(zone)) this.#zoneStates.set(zone, "Initial");
    }
    let allWas = true;
    for (const [zone, state] of [...this.#zoneStates]) {
      if (!counts.has(zone)) {
        this.#zoneStates.delete(zone);
        continue;
      }
      if (state !== "FullDisruption") allWas = false;
    }
    if (allAre && allWas) return;
    const size = (zone: string): number => {
      const c = counts.get(zone);
      return c ? c.ready + c.notReady : 0;
    };
    if (allAre) {
      this.#logger.info(
        "Controller detected that all Nodes are not-Ready. Entering master disruption mode",
      );
      for (const zone of this.#zoneStates.keys()) {
        this.#tainter.setQps(zone, 0);
        this.#zoneStates.set(zone, "FullDisruption");
      }
      // Every node loses its NoExecute taint at its sync.
      this.#enqueueAllNodes();
      return;
    }
    if (allWas) {
      this.#logger.info(
        "Controller detected that some Nodes are Ready. Exiting master disruption mode",
      );
      const nowMs = this.#deps.clock.now();
      for (const [name, health] of this.#health) {
        this.#health.set(name, { ...health, probeMs: nowMs });
      }
      for (const zone of this.#zoneStates.keys()) {
        const state = next.get(zone) ?? "Normal";
        this.#setZoneRate(zone, size(zone), state);
        this.#zoneStates.set(zone, state);
      }
      this.#enqueueAllNodes();
      return;
    }
    for (const [zone, state] of this.#zoneStates) {
      const newState = next.get(zone) ?? "Normal";
      if (state === newState) continue;
      this.#logger.info("Controller detected that zone is now in new state", {
        zone,
        newState,
      });
      this.#setZoneRate(zone, size(zone), newState);
      this.#zoneStates.set(zone, newState);
    }
  }

  // --- pods --------------------------------------------------------------------------------

  /** A pod bound to a node that is not Ready is marked not ready too (upstream `processPod`). */
  async #syncPod(key: string): Promise<void> {
    const pod = this.#pods.store.get(key);
    const nodeName = pod?.spec?.nodeName;
    if (!pod || !nodeName) return;
    const ready = this.#health.get(nodeName)?.ready;
    if (!ready || !this.#nodes.store.get(nodeName)) return;
    if (ready.status !== "True") await this.#markPodsNotReady([pod], nodeName);
  }

  /**
   * Sets the Ready condition of `pods` (those on `nodeName`) to False, with a `NodeNotReady`
   * warning on each (upstream `MarkPodsNotReady`). Throws the first failure, after trying all.
   */
  async #markPodsNotReady(pods: readonly Pod[], nodeName: string): Promise<void> {
    const errors: unknown[] = [];
    for (const pod of pods) {
      if (pod.spec?.nodeName !== nodeName) continue;
      if (!podCondition(pod.status, "Ready")) continue;
      const status = structuredClone(pod.status ?? {});
      const changed = setPodCondition(status, {
        update: { type: "Ready", status: "False" },
        nowMs: this.#deps.clock.now(),
      });
      if (!changed) continue;
      const { namespace, name } = splitMetaNamespaceKey(metaNamespaceKey(pod));
      try {
        await this.#podClient.updateStatus({ ...structuredClone(pod), status });
      } catch (err) {
        if (isNotFound(err)) continue;
        this.#logger.info("Failed to update status for pod", {
          pod: `${namespace}/${name}`,
          error: errorText(err),
        });
        errors.push(err);
      }
      this.#deps.recorder.event(
        { apiVersion: "v1", kind: "Pod", metadata: pod.metadata ?? {} },
        { type: "Warning", reason: "NodeNotReady", message: "Node is not ready" },
      );
    }
    if (errors.length > 0) {
      throw new Error(
        `Cannot mark the pods of node "${nodeName}" not ready: ${errorText(errors[0])}`,
        { cause: errors.length === 1 ? errors[0] : new AggregateError(errors) },
      );
    }
  }
}

/**
 * The factory the controller manager runs: a {@linkcode NodeLifecycleController} on the shared
 * informers, recording as `node-controller`.
 */
export function nodeLifecycleController(
  context: ControllerContext,
  options: NodeLifecycleControllerOptions = {},
): RunnableController {
  return new NodeLifecycleController({
    client: context.client,
    informers: context.informers,
    recorder: context.recorder(NODE_CONTROLLER_COMPONENT),
    clock: context.clock,
    logger: context.logger,
  }, options);
}
