/**
 * The scheduling queue (kube-scheduler's `PriorityQueue`): pods waiting to be scheduled, in three
 * sets.
 * - **activeQ**: a heap in the profile's QueueSort order (PrioritySort: higher `spec.priority`
 *   first, then the pod queued earlier); {@linkcode SchedulingQueue.pop} takes its head.
 * - **backoffQ**: pods that may be retried once their backoff ends (1 s after the first attempt,
 *   doubling per attempt up to 10 s), a heap by backoff expiry. Expiries fall into 1 s windows
 *   and a pod leaves at the end of its window, pods of one window in QueueSort order; while
 *   activeQ is empty, `pop` takes backoffQ's head at once (upstream `SchedulerPopFromBackoffQ`,
 *   on by default in 1.33). Pods that failed with an error (no plugin rejected them) back off
 *   in a heap of their own that `pop` never takes early.
 * - **unschedulablePods**: pods that no node fits. They stay until a cluster event that one of
 *   the plugins that rejected them registered (see {@linkcode IN_TREE_PLUGIN_EVENTS}), their own
 *   update, or 5 minutes, then move to backoffQ (if still backing off) or activeQ. Pods with
 *   scheduling gates wait here too (`gated`) until an update removes the gates.
 *
 * Time comes from a {@linkcode Clock}: one timer for the earliest backoff expiry and one for the
 * earliest 5-minute deadline, and none when nothing waits (upstream polls every 1 s and 30 s).
 *
 * @example Schedule, fail, and retry on a node event
 * ```ts
 * import assert from "node:assert/strict";
 * import { FakeClock } from "../util/clock.ts";
 * import { CLUSTER_EVENTS, SchedulingQueue } from "./scheduling_queue.ts";
 *
 * const clock = new FakeClock();
 * using queue = new SchedulingQueue({ clock });
 * queue.add({ metadata: { name: "web", namespace: "default", uid: "u1" }, spec: { containers: [] } });
 * const info = (await queue.pop())!;
 * const cycle = queue.schedulingCycle;
 * // No node fits: the scheduler records which plugins rejected the pod.
 * queue.addUnschedulableIfNotPresent(
 *   { ...info, unschedulablePlugins: new Set(["NodeResourcesFit"]) },
 *   { podSchedulingCycle: cycle },
 * );
 * assert.equal(queue.pendingPods().unschedulable.length, 1);
 * // A node was added: the pod waits out its backoff (1 s, to the end of its 1 s window)…
 * queue.moveAllToActiveOrBackoffQueue(CLUSTER_EVENTS.nodeAdd);
 * assert.equal(queue.pendingPods().backoff.length, 1);
 * clock.advance(2_000);
 * assert.equal(queue.pendingPods().active.length, 1);
 * // …and is tried again.
 * assert.equal((await queue.pop())?.attempts, 2);
 * ```
 *
 * @module
 */
import type { Pod } from "../api/types/core_v1_pod.ts";
import { type Clock, setTimeoutAt, systemClock, type TimerHandle } from "../util/clock.ts";
import type { Logger } from "../util/logger.ts";
import type { Plugin, QueuedPodInfo } from "./framework.ts";
import { less as prioritySortLess } from "./plugins/priority_sort.ts";
import { podRequests } from "./resources.ts";
import { errorStatus, isSuccess, type PluginStatus, unresolvable } from "./status.ts";
import {
  ACTION_TYPE,
  CLUSTER_EVENTS,
  type ClusterEvent,
  clusterEventLabel,
  IN_TREE_PLUGIN_EVENTS,
  isWildcardEvent,
  matchesClusterEvent,
  type PluginEvents,
} from "./_cluster_event.ts";
import { KeyedHeap } from "./_keyed_heap.ts";
import { Nominator, podUid } from "./_nominator.ts";
import { isPodUpdated, jsonEqual } from "./_pod_updated.ts";

export {
  ACTION_TYPE,
  CLUSTER_EVENTS,
  type ClusterEvent,
  clusterEventLabel,
  type EventResource,
  IN_TREE_PLUGIN_EVENTS,
  isWildcardEvent,
  matchesClusterEvent,
  nodeUpdateEvents,
  type PluginEvents,
} from "./_cluster_event.ts";

/** The backoff after a pod's first attempt (upstream `podInitialBackoffSeconds`). */
export const DEFAULT_POD_INITIAL_BACKOFF_MS = 1_000;
/** The longest backoff (upstream `podMaxBackoffSeconds`). */
export const DEFAULT_POD_MAX_BACKOFF_MS = 10_000;
/** How long a pod stays unschedulable before it is retried anyway (upstream: 5 minutes). */
export const DEFAULT_POD_MAX_IN_UNSCHEDULABLE_PODS_MS = 5 * 60_000;
/** The width of backoffQ's ordering windows when popping from backoffQ is on. */
export const BACKOFF_ORDERING_WINDOW_MS = 1_000;

/** Keeps a pod out of activeQ until it passes (upstream `PreEnqueuePlugin`). */
export interface PreEnqueuePlugin extends Plugin {
  /** `null` (or `Success`) lets the pod in; anything else keeps it aside, gated. */
  preEnqueue(pod: Pod): PluginStatus | null;
}

/** SchedulingGates: a pod with `spec.schedulingGates` waits until they are all removed. */
export const SCHEDULING_GATES_PLUGIN: PreEnqueuePlugin = Object.freeze({
  name: "SchedulingGates",
  preEnqueue(pod: Pod): PluginStatus | null {
    const gates = pod.spec?.schedulingGates ?? [];
    if (gates.length === 0) return null;
    return unresolvable(`waiting for scheduling gates: [${gates.map((g) => g.name).join(" ")}]`);
  },
});

/** Where a pod waits. */
export type QueueName = "active" | "backoff" | "unschedulable";

/** A pod in (or popped from) the scheduling queue (upstream `framework.QueuedPodInfo`). */
export interface QueuedPod extends QueuedPodInfo {
  readonly pod: Pod;
  /** When the pod was added, or last failed to schedule, in milliseconds. */
  readonly timestampMs: number;
  /** Scheduling attempts so far; `pop` counts the attempt it starts. */
  readonly attempts: number;
  /** When the pod first entered activeQ, in milliseconds (for latency); unset while gated. */
  readonly initialAttemptTimestampMs: number | undefined;
  /**
   * The plugins that rejected the pod in its last attempt (`Unschedulable` or
   * `UnschedulableAndUnresolvable`), or that gate it. Empty in a popped pod: the scheduler sets
   * them from the attempt's diagnosis before {@linkcode SchedulingQueue.addUnschedulableIfNotPresent}.
   * Empty after a failure means an error (e.g. a failed API call): the pod is retried after
   * backoff whatever happens.
   */
  readonly unschedulablePlugins: ReadonlySet<string>;
  /** The plugins that returned `Pending` in the last attempt. */
  readonly pendingPlugins: ReadonlySet<string>;
  /** Whether a PreEnqueue plugin keeps the pod out of activeQ (e.g. scheduling gates). */
  readonly gated: boolean;
  /** The PreEnqueue plugin that gates the pod. */
  readonly gatingPlugin: string | undefined;
}

/** The three sets of the queue, for debugging and tests. */
export interface PendingPods {
  /** In pop order. */
  readonly active: readonly QueuedPod[];
  /** In backoff-expiry order (unschedulable retries, then error retries). */
  readonly backoff: readonly QueuedPod[];
  /** In insertion order, gated pods included. */
  readonly unschedulable: readonly QueuedPod[];
}

/** The collaborators of {@linkcode SchedulingQueue}. */
export interface SchedulingQueueDeps {
  /**
   * The clock of timestamps and backoff timers.
   *
   * @default {systemClock}
   */
  readonly clock?: Clock;
  /** Where debug messages go (nothing is logged above debug). */
  readonly logger?: Logger;
  /**
   * The profile's QueueSort order: whether `a` is scheduled before `b`
   * (`framework.queueSortLess`).
   *
   * @default {PrioritySort's less}
   */
  readonly less?: (a: QueuedPodInfo, b: QueuedPodInfo) => boolean;
}

/** Options of {@linkcode SchedulingQueue}. */
export interface SchedulingQueueOptions {
  /** @default {DEFAULT_POD_INITIAL_BACKOFF_MS} */
  readonly podInitialBackoffMs?: number;
  /** @default {DEFAULT_POD_MAX_BACKOFF_MS} */
  readonly podMaxBackoffMs?: number;
  /** @default {DEFAULT_POD_MAX_IN_UNSCHEDULABLE_PODS_MS} */
  readonly podMaxInUnschedulablePodsMs?: number;
  /**
   * Whether `pop` takes backoffQ's head while activeQ is empty, with backoff expiries in 1 s
   * ordering windows (upstream `SchedulerPopFromBackoffQ`).
   *
   * @default {true}
   */
  readonly popFromBackoffQ?: boolean;
  /**
   * The events each plugin registers; a pod rejected by a plugin moves only on those.
   *
   * @default {IN_TREE_PLUGIN_EVENTS}
   */
  readonly pluginEvents?: PluginEvents;
  /**
   * The PreEnqueue plugins, run before a pod enters activeQ (and backoffQ).
   *
   * @default {[SCHEDULING_GATES_PLUGIN]}
   */
  readonly preEnqueuePlugins?: readonly PreEnqueuePlugin[];
}

/** Options of {@linkcode SchedulingQueue.addUnschedulableIfNotPresent}. */
export interface AddUnschedulableOptions {
  /** {@linkcode SchedulingQueue.schedulingCycle} when the pod was popped. */
  readonly podSchedulingCycle: number;
}

/** Options of {@linkcode SchedulingQueue.addNominatedPod}. */
export interface NominateOptions {
  /**
   * The node to nominate the pod to, overriding `status.nominatedNodeName` (preemption, before
   * the API is updated); `""` clears the nomination.
   */
  readonly nodeName?: string;
}

/** Backoff settings of {@linkcode podBackoffMs}. */
export interface PodBackoffOptions {
  /** @default {DEFAULT_POD_INITIAL_BACKOFF_MS} */
  readonly initialMs?: number;
  /** @default {DEFAULT_POD_MAX_BACKOFF_MS} */
  readonly maxMs?: number;
}

/**
 * The backoff of a pod after `attempts` attempts: none before the first, then the initial
 * backoff doubled per further attempt, capped at the maximum (1, 2, 4, 8, 10, 10… s).
 */
export function podBackoffMs(attempts: number, options: PodBackoffOptions = {}): number {
  const { initialMs = DEFAULT_POD_INITIAL_BACKOFF_MS, maxMs = DEFAULT_POD_MAX_BACKOFF_MS } =
    options;
  if (attempts <= 0) return 0;
  let ms = initialMs;
  for (let i = 1; i < attempts; i++) {
    if (ms >= maxMs - ms) return maxMs;
    ms += ms;
  }
  return Math.min(ms, maxMs);
}

const SCHEDULE_ATTEMPT_FAILURE = "ScheduleAttemptFailure";
const BACKOFF_COMPLETE = "BackoffComplete";
const POD_TOPOLOGY_SPREAD = "PodTopologySpread";
const INTER_POD_AFFINITY = "InterPodAffinity";

/** A queued pod as the queue keeps it. */
interface Entry {
  /** `namespace/name`: the key of every set. */
  readonly key: string;
  readonly uid: string;
  pod: Pod;
  readonly timestampMs: number;
  readonly attempts: number;
  initialAttemptTimestampMs: number | undefined;
  readonly unschedulablePlugins: Set<string>;
  readonly pendingPlugins: Set<string>;
  gatingPlugin: string | undefined;
  /** The (window-aligned) backoff expiry that orders backoffQ; fixed while queued. */
  readonly backoffExpiryMs: number;
  /** The first instant the pod is no longer backing off. */
  readonly readyAtMs: number;
}

/** A pod handed out by `pop` and not yet done. */
interface InFlight {
  /** The latest version seen while in flight. */
  pod: Pod;
  /** Whether an update that may make it schedulable arrived while in flight. */
  updated: boolean;
  /** Whether it was deleted while in flight. */
  deleted: boolean;
}

interface Popper {
  readonly resolve: (info: QueuedPod | undefined) => void;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: () => void;
}

interface Armed {
  readonly atMs: number;
  readonly handle: TimerHandle;
}

function keyOf(pod: Pod): string {
  return `${pod.metadata?.namespace ?? ""}/${pod.metadata?.name ?? ""}`;
}

function rejectorCount(entry: Entry): number {
  return entry.unschedulablePlugins.size + entry.pendingPlugins.size;
}

function hasRequiredPodAffinity(pod: Pod): boolean {
  return (pod.spec?.affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [])
    .length > 0;
}

/** Whether any request of `newPod` is below `oldPod`'s (an in-place resize down). */
function isScaledDown(oldPod: Pod, newPod: Pod): boolean {
  try {
    const before = podRequests(oldPod, { useStatusResources: true });
    const after = podRequests(newPod, { useStatusResources: true });
    for (const [name, q] of before) {
      const now = after.get(name);
      if (now === undefined || now.cmp(q) < 0) return true;
    }
    return false;
  } catch {
    return true; // unparsable requests: assume resources may have been freed
  }
}

function snapshotOf(entry: Entry): QueuedPod {
  return Object.freeze({
    pod: entry.pod,
    timestampMs: entry.timestampMs,
    attempts: entry.attempts,
    initialAttemptTimestampMs: entry.initialAttemptTimestampMs,
    unschedulablePlugins: new Set(entry.unschedulablePlugins),
    pendingPlugins: new Set(entry.pendingPlugins),
    gated: entry.gatingPlugin !== undefined,
    gatingPlugin: entry.gatingPlugin,
  });
}

/**
 * The scheduling queue of one scheduler. Single-threaded: every method runs to completion, and
 * timers fire on the injected clock.
 */
export class SchedulingQueue implements Disposable {
  #clock: Clock;
  #logger: Logger | undefined;
  #less: (a: QueuedPodInfo, b: QueuedPodInfo) => boolean;
  #initialBackoffMs: number;
  #maxBackoffMs: number;
  #maxInUnschedulableMs: number;
  #popFromBackoffQ: boolean;
  #pluginEvents: Map<string, readonly ClusterEvent[]>;
  #registeredEvents: ClusterEvent[];
  /** Plugins seen that register no events: any event may help them. */
  #unknownPlugins = new Set<string>();
  #preEnqueue: readonly PreEnqueuePlugin[];

  #active: KeyedHeap<Entry>;
  #backoff: KeyedHeap<Entry>;
  #errorBackoff: KeyedHeap<Entry>;
  #unschedulable = new Map<string, Entry>();
  /** The non-gated unschedulable pods by timestamp, for the 5-minute flush. */
  #leftover: KeyedHeap<Entry>;
  #inFlight = new Map<string, InFlight>();
  #nominator = new Nominator();

  #schedulingCycle = 0;
  #moveRequestCycle = -1;
  #poppers: Popper[] = [];
  #backoffTimer: Armed | undefined;
  #leftoverTimer: Armed | undefined;
  #closed = false;

  constructor(deps: SchedulingQueueDeps = {}, options: SchedulingQueueOptions = {}) {
    this.#clock = deps.clock ?? systemClock;
    this.#logger = deps.logger;
    const less = deps.less ?? prioritySortLess;
    this.#less = less;
    this.#initialBackoffMs = options.podInitialBackoffMs ?? DEFAULT_POD_INITIAL_BACKOFF_MS;
    this.#maxBackoffMs = options.podMaxBackoffMs ?? DEFAULT_POD_MAX_BACKOFF_MS;
    this.#maxInUnschedulableMs = options.podMaxInUnschedulablePodsMs ??
      DEFAULT_POD_MAX_IN_UNSCHEDULABLE_PODS_MS;
    for (
      const [name, value] of [
        ["podInitialBackoffMs", this.#initialBackoffMs],
        ["podMaxBackoffMs", this.#maxBackoffMs],
        ["podMaxInUnschedulablePodsMs", this.#maxInUnschedulableMs],
      ] as const
    ) {
      if (!Number.isFinite(value) || value < 0) {
        throw new RangeError(`Cannot create scheduling queue: ${name} ${value} is not >= 0`);
      }
    }
    this.#popFromBackoffQ = options.popFromBackoffQ ?? true;
    this.#pluginEvents = new Map(Object.entries(options.pluginEvents ?? IN_TREE_PLUGIN_EVENTS));
    this.#registeredEvents = [...this.#pluginEvents.values()].flat();
    this.#preEnqueue = options.preEnqueuePlugins ?? [SCHEDULING_GATES_PLUGIN];
    for (const p of this.#preEnqueue) this.#notePlugin(p.name);

    const key = (e: Entry) => e.key;
    this.#active = new KeyedHeap({ key, less });
    const byExpiry = (a: Entry, b: Entry) =>
      a.backoffExpiryMs < b.backoffExpiryMs ||
      (a.backoffExpiryMs === b.backoffExpiryMs && less(a, b));
    this.#backoff = new KeyedHeap({ key, less: byExpiry });
    this.#errorBackoff = new KeyedHeap({ key, less: byExpiry });
    this.#leftover = new KeyedHeap({ key, less: (a, b) => a.timestampMs < b.timestampMs });
  }

  /** The number of pods popped so far: the cycle of the latest `pop`. */
  get schedulingCycle(): number {
    return this.#schedulingCycle;
  }

  /** Adds a new pending pod (an unscheduled pod was created): to activeQ unless gated. */
  add(pod: Pod): void {
    if (this.#closed) return;
    const uid = podUid(pod);
    if (this.#inFlight.has(uid) || this.#find(keyOf(pod)) !== undefined) {
      this.update(undefined, pod);
      return;
    }
    this.#moveToActive(this.#newEntry(pod, this.#clock.now()), CLUSTER_EVENTS.unscheduledPodAdd);
    this.#settle();
  }

  /**
   * A pending pod changed. In activeQ or backoffQ it is updated in place; in unschedulablePods it
   * moves to backoffQ (still backing off) or activeQ when the change may make it schedulable
   * (anything but status and bookkeeping metadata; removing its scheduling gates does), and stays
   * otherwise. An unknown pod is added. A pod being scheduled is not queued again: if the change
   * matters, it is retried after backoff should the attempt fail.
   */
  update(oldPod: Pod | undefined, newPod: Pod): void {
    if (this.#closed) return;
    const flight = this.#inFlight.get(podUid(newPod));
    if (flight !== undefined) {
      if (isPodUpdated(oldPod ?? flight.pod, newPod)) flight.updated = true;
      this.#nominator.update(oldPod ?? flight.pod, newPod);
      flight.pod = newPod;
      return;
    }
    const found = this.#find(keyOf(newPod));
    if (found === undefined) {
      const entry = this.#newEntry(newPod, this.#clock.now());
      this.#moveToActive(entry, CLUSTER_EVENTS.unscheduledPodUpdate);
      this.#settle();
      return;
    }
    const [entry, where] = found;
    const previous = oldPod ?? entry.pod;
    entry.pod = newPod;
    this.#nominator.update(previous, newPod);
    if (where === "active") {
      this.#active.push(entry);
      return;
    }
    if (where === "backoff") {
      (this.#backoff.has(entry.key) ? this.#backoff : this.#errorBackoff).push(entry);
      return;
    }
    if (!isPodUpdated(previous, newPod)) return;
    this.#requeue(entry, CLUSTER_EVENTS.unscheduledPodUpdate);
    this.#settle();
  }

  /** Removes a pod from wherever it waits (it was deleted, or bound by someone else). */
  delete(pod: Pod): void {
    if (this.#closed) return;
    this.#nominator.delete(pod);
    const flight = this.#inFlight.get(podUid(pod));
    if (flight !== undefined) flight.deleted = true;
    const key = keyOf(pod);
    if (this.#active.delete(key) ?? this.#backoff.delete(key) ?? this.#errorBackoff.delete(key)) {
      this.#settle();
      return;
    }
    this.#removeUnschedulable(key);
    this.#settle();
  }

  /**
   * The next pod to schedule: activeQ's head, else (popping from backoffQ on) backoffQ's head;
   * waits without polling until there is one. Starts a scheduling cycle: `attempts` counts it and
   * {@linkcode SchedulingQueue.schedulingCycle} is its number. Resolves `undefined` once the
   * queue is closed; rejects with `signal.reason` when `signal` aborts first.
   */
  pop(signal?: AbortSignal): Promise<QueuedPod | undefined> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#closed) return Promise.resolve(undefined);
    if (this.#poppers.length === 0 && this.#available()) {
      const info = this.#take();
      this.#rearm();
      return Promise.resolve(info);
    }
    return new Promise((resolve, reject) => {
      const popper: Popper = {
        resolve,
        signal,
        onAbort: () => {
          const i = this.#poppers.indexOf(popper);
          if (i >= 0) this.#poppers.splice(i, 1);
          reject(signal?.reason);
        },
      };
      signal?.addEventListener("abort", popper.onAbort, { once: true });
      this.#poppers.push(popper);
    });
  }

  /**
   * Marks the popped pod with `uid` as done (bound, or given up); a pod handed back with
   * {@linkcode SchedulingQueue.addUnschedulableIfNotPresent} is done already.
   */
  done(uid: string): void {
    this.#inFlight.delete(uid);
  }

  /**
   * Hands back a pod whose attempt failed (its `unschedulablePlugins` set from the diagnosis, and
   * `podSchedulingCycle` the cycle it was popped in). It goes to backoffQ when a move request
   * came since that cycle started (an event may have helped while it was being scheduled), when
   * it changed meanwhile, or when no plugin rejected it (an error); to unschedulablePods
   * otherwise. Returns where it went; where it already is when it is queued (nothing changes);
   * `undefined` when it was deleted meanwhile or the queue is closed. Marks the pod done.
   */
  addUnschedulableIfNotPresent(
    info: QueuedPod,
    options: AddUnschedulableOptions,
  ): QueueName | undefined {
    if (this.#closed) return undefined;
    const uid = podUid(info.pod);
    const flight = this.#inFlight.get(uid);
    this.#inFlight.delete(uid);
    if (flight?.deleted) {
      this.#debug("Pod deleted while being scheduled; not requeued", info.pod);
      return undefined;
    }
    const pod = flight?.pod ?? info.pod;
    const found = this.#find(keyOf(pod));
    if (found !== undefined) {
      this.#debug("Pod is already present in the scheduling queue", pod, { queue: found[1] });
      return found[1];
    }
    const entry = this.#newEntry(pod, this.#clock.now(), info);
    for (const p of entry.unschedulablePlugins) this.#notePlugin(p);
    for (const p of entry.pendingPlugins) this.#notePlugin(p);
    let where: QueueName = "unschedulable";
    if (
      this.#moveRequestCycle >= options.podSchedulingCycle || rejectorCount(entry) === 0 ||
      flight?.updated === true
    ) {
      if (this.#moveToBackoff(entry)) where = "backoff";
    } else {
      this.#putUnschedulable(entry);
    }
    this.#debug("Pod moved to an internal scheduling queue", pod, {
      event: SCHEDULE_ATTEMPT_FAILURE,
      queue: where,
      schedulingCycle: options.podSchedulingCycle,
      plugins: [...entry.unschedulablePlugins, ...entry.pendingPlugins],
    });
    this.#settle();
    return where;
  }

  /**
   * A cluster event happened: moves the unschedulable pods it may help — those rejected by a
   * plugin that registered a matching event, or by no plugin, and passing `preCheck` — to
   * backoffQ (still backing off) or activeQ, and records a move request for the pods being
   * scheduled. An event no plugin registered does nothing. Gated pods stay.
   */
  moveAllToActiveOrBackoffQueue(event: ClusterEvent, preCheck?: (pod: Pod) => boolean): void {
    if (this.#closed || !this.#isEventOfInterest(event)) return;
    const candidates: Entry[] = [];
    for (const entry of this.#unschedulable.values()) {
      if (preCheck === undefined || preCheck(entry.pod)) candidates.push(entry);
    }
    this.#movePods(candidates, event);
  }

  /**
   * A pod was bound (added to a node): moves the unschedulable pods it may help, those rejected
   * by PodTopologySpread in its namespace and by InterPodAffinity with required pod-affinity
   * terms (upstream checks the terms against the pod; this approximation may move a few more).
   */
  assignedPodAdded(pod: Pod): void {
    if (this.#closed) return;
    this.#movePods(this.#crossTopologyPods(pod, true), CLUSTER_EVENTS.assignedPodAdd);
  }

  /**
   * A bound pod changed: a resize down may free room for anything (all pods NodeResourcesFit
   * rejected); a label change may help pods rejected by PodTopologySpread (same namespace) or
   * InterPodAffinity.
   */
  assignedPodUpdated(oldPod: Pod, newPod: Pod): void {
    if (this.#closed) return;
    if (isScaledDown(oldPod, newPod)) {
      this.moveAllToActiveOrBackoffQueue({
        resource: "AssignedPod",
        actionType: ACTION_TYPE.UpdatePodScaleDown,
      });
    }
    if (!jsonEqual(oldPod.metadata?.labels ?? {}, newPod.metadata?.labels ?? {})) {
      this.#movePods(this.#crossTopologyPods(newPod, false), {
        resource: "AssignedPod",
        actionType: ACTION_TYPE.UpdatePodLabel,
      });
    }
  }

  /** A bound pod was deleted: its room may fit pending pods. */
  assignedPodDeleted(_pod: Pod): void {
    this.moveAllToActiveOrBackoffQueue(CLUSTER_EVENTS.assignedPodDelete);
  }

  /**
   * Moves these pods from unschedulablePods or backoffQ to activeQ now (upstream `Activate`, used
   * by plugins and preemption). A pod being scheduled gets a move request instead, so it is
   * retried soon if its attempt fails; other pods are ignored.
   */
  activate(pods: Iterable<Pod>): void {
    if (this.#closed) return;
    for (const pod of pods) {
      const key = keyOf(pod);
      const fromBackoff = this.#backoff.delete(key) ?? this.#errorBackoff.delete(key);
      const entry = fromBackoff ?? this.#unschedulable.get(key);
      if (entry === undefined) {
        if (this.#inFlight.has(podUid(pod))) this.#moveRequestCycle = this.#schedulingCycle;
        continue;
      }
      this.#moveToActive(entry, CLUSTER_EVENTS.forceActivate, fromBackoff !== undefined);
    }
    this.#settle();
  }

  /**
   * Records that `pod` is nominated to a node: `options.nodeName` (preemption's in-memory
   * choice; `""` clears it) or else its `status.nominatedNodeName`.
   */
  addNominatedPod(pod: Pod, options: NominateOptions = {}): void {
    if (this.#closed) return;
    this.#nominator.add(pod, options.nodeName);
  }

  /** Updates the nomination of a pod (keeping an in-memory one the update does not mention). */
  updateNominatedPod(oldPod: Pod, newPod: Pod): void {
    if (this.#closed) return;
    this.#nominator.update(oldPod, newPod);
  }

  /** Forgets the nomination of `pod`. */
  deleteNominatedPodIfExists(pod: Pod): void {
    this.#nominator.delete(pod);
  }

  /** The pods nominated to `nodeName`, each in its latest version known to the queue. */
  nominatedPodsForNode(nodeName: string): readonly Pod[] {
    const pods = this.#nominator.podsFor(nodeName);
    if (pods.length === 0) return pods;
    return pods.map((pod) =>
      this.#find(keyOf(pod))?.[0].pod ?? this.#inFlight.get(podUid(pod))?.pod ?? pod
    );
  }

  /** The pods popped and not yet done. */
  inFlightPods(): Pod[] {
    return [...this.#inFlight.values()].map((f) => f.pod);
  }

  /** The three sets, copied. */
  pendingPods(): PendingPods {
    return {
      active: this.#active.sorted().map(snapshotOf),
      backoff: [...this.#backoff.sorted(), ...this.#errorBackoff.sorted()].map(snapshotOf),
      unschedulable: [...this.#unschedulable.values()].map(snapshotOf),
    };
  }

  /** Stops the queue: pending pops resolve `undefined`, timers are cancelled, later calls do nothing. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#backoffTimer?.handle.cancel();
    this.#leftoverTimer?.handle.cancel();
    this.#backoffTimer = undefined;
    this.#leftoverTimer = undefined;
    for (const popper of this.#poppers.splice(0)) {
      popper.signal?.removeEventListener("abort", popper.onAbort);
      popper.resolve(undefined);
    }
    this.#active.clear();
    this.#backoff.clear();
    this.#errorBackoff.clear();
    this.#unschedulable.clear();
    this.#leftover.clear();
    this.#inFlight.clear();
    this.#nominator.clear();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  #newEntry(pod: Pod, timestampMs: number, from?: QueuedPod): Entry {
    const attempts = from?.attempts ?? 0;
    let backoffExpiryMs = -Infinity;
    let readyAtMs = -Infinity;
    if (attempts > 0) {
      const expiry = timestampMs +
        podBackoffMs(attempts, { initialMs: this.#initialBackoffMs, maxMs: this.#maxBackoffMs });
      if (this.#popFromBackoffQ) {
        const w = BACKOFF_ORDERING_WINDOW_MS;
        backoffExpiryMs = Math.floor(expiry / w) * w;
        readyAtMs = backoffExpiryMs + w;
      } else {
        backoffExpiryMs = expiry;
        readyAtMs = expiry;
      }
    }
    return {
      key: keyOf(pod),
      uid: podUid(pod),
      pod,
      timestampMs,
      attempts,
      initialAttemptTimestampMs: from?.initialAttemptTimestampMs,
      unschedulablePlugins: new Set(from?.unschedulablePlugins),
      pendingPlugins: new Set(from?.pendingPlugins),
      gatingPlugin: undefined,
      backoffExpiryMs,
      readyAtMs,
    };
  }

  #find(key: string): [Entry, QueueName] | undefined {
    const active = this.#active.get(key);
    if (active !== undefined) return [active, "active"];
    const backoff = this.#backoff.get(key) ?? this.#errorBackoff.get(key);
    if (backoff !== undefined) return [backoff, "backoff"];
    const unschedulable = this.#unschedulable.get(key);
    return unschedulable === undefined ? undefined : [unschedulable, "unschedulable"];
  }

  #isBackingOff(entry: Entry): boolean {
    return this.#clock.now() < entry.readyAtMs;
  }

  /** Runs the PreEnqueue plugins (the gating one first); sets or clears `gatingPlugin`. */
  #runPreEnqueue(entry: Entry): void {
    const gating = entry.gatingPlugin;
    const plugins = gating === undefined
      ? this.#preEnqueue
      : [...this.#preEnqueue.filter((p) => p.name === gating), ...this.#preEnqueue];
    const seen = new Set<string>();
    for (const plugin of plugins) {
      if (seen.has(plugin.name)) continue;
      seen.add(plugin.name);
      let status: PluginStatus | null;
      try {
        status = plugin.preEnqueue(entry.pod);
      } catch (err) {
        status = errorStatus(err);
      }
      if (isSuccess(status)) continue;
      entry.unschedulablePlugins.add(plugin.name);
      entry.gatingPlugin = plugin.name;
      this.#debug("Pod gated by a PreEnqueue plugin", entry.pod, {
        plugin: plugin.name,
        code: status?.code,
        reasons: status?.reasons,
      });
      return;
    }
    entry.gatingPlugin = undefined;
  }

  /** Moves `entry` to activeQ, or to unschedulablePods when a PreEnqueue plugin gates it. */
  #moveToActive(entry: Entry, event: ClusterEvent | string, fromBackoff = false): boolean {
    if (!(this.#popFromBackoffQ && fromBackoff)) this.#runPreEnqueue(entry);
    const label = typeof event === "string" ? event : clusterEventLabel(event);
    if (entry.gatingPlugin !== undefined) {
      this.#backoff.delete(entry.key);
      this.#errorBackoff.delete(entry.key);
      this.#putUnschedulable(entry);
      this.#debug(
        "Pod moved to an internal scheduling queue, because the pod is gated",
        entry.pod,
        {
          event: label,
          queue: "unschedulable",
        },
      );
      return false;
    }
    entry.initialAttemptTimestampMs ??= this.#clock.now();
    this.#removeUnschedulable(entry.key);
    this.#backoff.delete(entry.key);
    this.#errorBackoff.delete(entry.key);
    this.#active.push(entry);
    if (
      event === CLUSTER_EVENTS.unscheduledPodAdd || event === CLUSTER_EVENTS.unscheduledPodUpdate
    ) {
      this.#nominator.add(entry.pod);
    }
    this.#debug("Pod moved to an internal scheduling queue", entry.pod, {
      event: label,
      queue: "active",
    });
    return true;
  }

  /** Moves `entry` to backoffQ (error backoff when no plugin rejected it), unless gated. */
  #moveToBackoff(entry: Entry): boolean {
    if (this.#popFromBackoffQ) {
      this.#runPreEnqueue(entry);
      if (entry.gatingPlugin !== undefined) {
        this.#putUnschedulable(entry);
        return false;
      }
    }
    this.#removeUnschedulable(entry.key);
    if (rejectorCount(entry) === 0) {
      this.#backoff.delete(entry.key);
      this.#errorBackoff.push(entry);
    } else {
      this.#errorBackoff.delete(entry.key);
      this.#backoff.push(entry);
    }
    return true;
  }

  /** Moves an unschedulable `entry` to backoffQ if it is still backing off, else to activeQ. */
  #requeue(entry: Entry, event: ClusterEvent): QueueName {
    if (this.#isBackingOff(entry)) {
      const moved = this.#moveToBackoff(entry);
      this.#debug("Pod moved to an internal scheduling queue", entry.pod, {
        event: clusterEventLabel(event),
        queue: moved ? "backoff" : "unschedulable",
      });
      return moved ? "backoff" : "unschedulable";
    }
    return this.#moveToActive(entry, event) ? "active" : "unschedulable";
  }

  #putUnschedulable(entry: Entry): void {
    this.#unschedulable.set(entry.key, entry);
    if (entry.gatingPlugin === undefined) this.#leftover.push(entry);
    else this.#leftover.delete(entry.key);
  }

  #removeUnschedulable(key: string): void {
    this.#unschedulable.delete(key);
    this.#leftover.delete(key);
  }

  #notePlugin(name: string): void {
    if (!this.#pluginEvents.has(name)) this.#unknownPlugins.add(name);
  }

  /** Whether `plugin`'s rejection may be lifted by `event`. */
  #pluginCares(plugin: string, event: ClusterEvent): boolean {
    const registered = this.#pluginEvents.get(plugin);
    if (registered === undefined) return true;
    return registered.some((r) => matchesClusterEvent(r, event));
  }

  #isEventOfInterest(event: ClusterEvent): boolean {
    if (isWildcardEvent(event) || this.#unknownPlugins.size > 0) return true;
    return this.#registeredEvents.some((r) => matchesClusterEvent(r, event));
  }

  #worthRequeuing(entry: Entry, event: ClusterEvent): boolean {
    if (rejectorCount(entry) === 0 || isWildcardEvent(event)) return true;
    for (const p of entry.unschedulablePlugins) if (this.#pluginCares(p, event)) return true;
    for (const p of entry.pendingPlugins) if (this.#pluginCares(p, event)) return true;
    return false;
  }

  /** Requeues those of `entries` (unschedulable pods) that `event` may help. */
  #movePods(entries: readonly Entry[], event: ClusterEvent): void {
    if (!this.#isEventOfInterest(event)) return;
    for (const entry of entries) {
      if (entry.gatingPlugin !== undefined && !this.#pluginCares(entry.gatingPlugin, event)) {
        continue;
      }
      if (!this.#worthRequeuing(entry, event)) continue;
      this.#requeue(entry, event);
    }
    this.#moveRequestCycle = this.#schedulingCycle;
    this.#settle();
  }

  #crossTopologyPods(pod: Pod, added: boolean): Entry[] {
    const namespace = pod.metadata?.namespace ?? "";
    const out: Entry[] = [];
    for (const entry of this.#unschedulable.values()) {
      const rejected = entry.unschedulablePlugins;
      if (
        rejected.has(POD_TOPOLOGY_SPREAD) && (entry.pod.metadata?.namespace ?? "") === namespace
      ) {
        out.push(entry);
      } else if (
        rejected.has(INTER_POD_AFFINITY) && (!added || hasRequiredPodAffinity(entry.pod))
      ) {
        out.push(entry);
      }
    }
    return out;
  }

  #available(): boolean {
    return this.#active.size > 0 || (this.#popFromBackoffQ && this.#backoff.size > 0);
  }

  /** Pops the next pod (there must be one) and marks it in flight. */
  #take(): QueuedPod {
    const entry = this.#active.pop() ?? this.#backoff.pop()!;
    this.#schedulingCycle++;
    this.#inFlight.set(entry.uid, { pod: entry.pod, updated: false, deleted: false });
    return Object.freeze({
      pod: entry.pod,
      timestampMs: entry.timestampMs,
      attempts: entry.attempts + 1,
      initialAttemptTimestampMs: entry.initialAttemptTimestampMs ?? this.#clock.now(),
      unschedulablePlugins: new Set<string>(),
      pendingPlugins: new Set<string>(),
      gated: false,
      gatingPlugin: undefined,
    });
  }

  /** Wakes waiting pops, then (re)arms the timers. */
  #settle(): void {
    while (this.#poppers.length > 0 && this.#available()) {
      const popper = this.#poppers.shift()!;
      popper.signal?.removeEventListener("abort", popper.onAbort);
      popper.resolve(this.#take());
    }
    this.#rearm();
  }

  /** One timer for the earliest backoff expiry and one for the earliest 5-minute deadline. */
  #rearm(): void {
    if (this.#closed) return;
    const b = this.#backoff.peek()?.readyAtMs;
    const e = this.#errorBackoff.peek()?.readyAtMs;
    const backoffAt = b === undefined ? e : e === undefined ? b : Math.min(b, e);
    this.#backoffTimer = this.#retime(this.#backoffTimer, backoffAt, () => this.#flushBackoff());
    const oldest = this.#leftover.peek();
    const leftoverAt = oldest === undefined
      ? undefined
      : oldest.timestampMs + this.#maxInUnschedulableMs;
    this.#leftoverTimer = this.#retime(
      this.#leftoverTimer,
      leftoverAt,
      () => this.#flushLeftover(),
    );
  }

  #retime(
    current: Armed | undefined,
    atMs: number | undefined,
    run: () => void,
  ): Armed | undefined {
    if (current?.atMs === atMs) return current;
    current?.handle.cancel();
    if (atMs === undefined) return undefined;
    return { atMs, handle: setTimeoutAt(this.#clock, { atMs, run }) };
  }

  /** Moves the pods whose backoff has ended to activeQ. */
  #flushBackoff(): void {
    this.#backoffTimer = undefined;
    const nowMs = this.#clock.now();
    for (const heap of [this.#backoff, this.#errorBackoff]) {
      for (let e = heap.peek(); e !== undefined && e.readyAtMs <= nowMs; e = heap.peek()) {
        heap.pop();
        this.#moveToActive(e, BACKOFF_COMPLETE, true);
      }
    }
    this.#settle();
  }

  /** Retries the pods unschedulable for longer than the maximum. */
  #flushLeftover(): void {
    this.#leftoverTimer = undefined;
    const nowMs = this.#clock.now();
    const due: Entry[] = [];
    for (
      let e = this.#leftover.peek();
      e !== undefined && e.timestampMs + this.#maxInUnschedulableMs <= nowMs;
      e = this.#leftover.peek()
    ) {
      this.#leftover.pop();
      due.push(e);
    }
    if (due.length > 0) this.#movePods(due, CLUSTER_EVENTS.unschedulableTimeout);
    this.#settle();
  }

  #debug(msg: string, pod: Pod, fields: Record<string, unknown> = {}): void {
    this.#logger?.debug(msg, { pod: keyOf(pod), ...fields });
  }
}
