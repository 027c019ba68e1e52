/**
 * The scheduler (kube-scheduler's `Scheduler` and `scheduleOne`): watches pods and nodes through
 * the API, keeps the {@linkcode SchedulerCache} and the {@linkcode SchedulingQueue} current, and
 * places one pod at a time.
 *
 * - **Informers.** Pods that are not terminal (`status.phase!=Succeeded,status.phase!=Failed`, as
 *   kube-scheduler lists them) and nodes; plus namespaces, PodDisruptionBudgets and the workloads
 *   that select pods (Services, ReplicaSets, StatefulSets) only when a profile enables the plugin
 *   that reads them. Bound pods feed the cache; unbound pods whose `spec.schedulerName` is one of
 *   the profiles' feed the queue; pods for other schedulers are left alone.
 * - **The loop.** Pop → skip a pod being deleted or already assumed → snapshot → the profile's
 *   `schedulePod` → on success assume the pod in the cache, run Reserve and Permit, and bind in
 *   the background (PreBind, Bind, PostBind) while the loop goes on; on failure run PostFilter
 *   (preemption) for a FitError, record a `FailedScheduling` event, write the `PodScheduled`
 *   condition (only when it changed) and hand the pod back to the queue.
 * - **Binding.** DefaultBinder creates `pods/binding`; a `Scheduled` event follows. A failed bind
 *   unreserves, forgets the assumed pod, tells the queue room was freed, and requeues the pod
 *   with error backoff.
 *
 * Errors never end the loop: a plugin error, a failed API call or a malformed pod becomes a
 * `FailedScheduling` event and a retry after backoff for that pod only.
 *
 * @example Run the scheduler until aborted
 * ```ts ignore
 * const scheduler = new Scheduler({ client, clock: systemClock, logger });
 * await scheduler.run(signal);
 * ```
 *
 * @module
 */
import { setImmediate } from "node:timers";
import type { ReplicaSet, StatefulSet } from "../api/types/apps_v1.ts";
import type { ReplicationController } from "../api/types/core_v1_replication_controller.ts";
import type { Namespace } from "../api/types/core_v1_namespace.ts";
import type { Node } from "../api/types/core_v1_node.ts";
import type { Pod } from "../api/types/core_v1_pod.ts";
import type { Service } from "../api/types/core_v1_service.ts";
import type { PodDisruptionBudget } from "../api/types/policy_v1.ts";
import type { Client } from "../client/client.ts";
import type { Informer } from "../client/informer.ts";
import {
  NAMESPACES,
  NODES,
  POD_DISRUPTION_BUDGETS,
  PODS,
  REPLICA_SETS,
  REPLICATION_CONTROLLERS,
  SERVICES,
  STATEFUL_SETS,
} from "../client/resources.ts";
import { SharedInformerFactory } from "../client/shared_informer_factory.ts";
import type { Clock } from "../util/clock.ts";
import type { Logger } from "../util/logger.ts";
import { type EventInit, EventRecorder } from "./_event_recorder.ts";
import { podUid } from "./_nominator.ts";
import {
  podScheduledFailurePatch,
  REASON_SCHEDULER_ERROR,
  REASON_UNSCHEDULABLE,
  rfc3339Seconds,
} from "./_pod_status.ts";
import { PreemptionExecutor } from "./_preemption_executor.ts";
import { SchedulerCache } from "./cache.ts";
import { CycleState } from "./cycle_state.ts";
import { Diagnosis, FitError } from "./fit_error.ts";
import type { QueuedPodInfo, WorkloadListers } from "./framework.ts";
import { newPodInfo, type PodInfo } from "./node_info.ts";
import { isPreEnqueuePlugin } from "./plugins/scheduling_gates.ts";
import { DEFAULT_PROFILE_NAME, type Profile } from "./profile.ts";
import { defaultProfile, newInTreeRegistry, PLUGIN_NAMES } from "./registry.ts";
import { type Framework, newFramework, type PermitRun, type Registry } from "./runtime.ts";
import {
  ACTION_TYPE,
  CLUSTER_EVENTS,
  IN_TREE_PLUGIN_EVENTS,
  nodeUpdateEvents,
  type PluginEvents,
  type PreEnqueuePlugin,
  type QueuedPod,
  SchedulingQueue,
  type SchedulingQueueOptions,
} from "./scheduling_queue.ts";
import {
  errorStatus,
  isRejected,
  isSkip,
  isSuccess,
  isWait,
  newStatus,
  type PluginStatus,
  pluginStatusMessage,
  unschedulable,
  withPlugin,
} from "./status.ts";

/**
 * The events each plugin's rejection (or gate) may be lifted by: the in-tree filters', plus
 * DefaultPreemption's gate, which waits for a victim's deletion (upstream registers Pod/Delete).
 */
const PLUGIN_EVENTS: PluginEvents = Object.freeze({
  ...IN_TREE_PLUGIN_EVENTS,
  [PLUGIN_NAMES.DefaultPreemption]: [
    Object.freeze({ resource: "Pod", actionType: ACTION_TYPE.Delete }),
  ],
});

/** What the nominator gives for a node without nominated pods (Filter asks for every node). */
const NO_POD_INFOS: readonly PodInfo[] = Object.freeze([]);

/** The field selector of the pod informer: every pod that is not terminal. */
export const NON_TERMINAL_PODS = "status.phase!=Succeeded,status.phase!=Failed";

/** What {@linkcode Scheduler} needs. */
export interface SchedulerDeps {
  readonly client: Client;
  readonly clock: Clock;
  readonly logger: Logger;
  /** A random number in `[0, 1)`: ties between nodes, jitter. @default {Math.random} */
  readonly random?: () => number;
  /** The profiles, one per scheduler name. @default {[defaultProfile()]} (`default-scheduler`) */
  readonly profiles?: readonly Profile[];
  /** The plugin factories. @default {newInTreeRegistry()} */
  readonly registry?: Registry;
  /** This machine's name, in events' `reportingInstance` (`<scheduler name>-<hostname>`). */
  readonly hostname?: string;
}

/** Options of {@linkcode Scheduler}: the queue's backoff and retry settings. */
export type SchedulerOptions = Pick<
  SchedulingQueueOptions,
  "podInitialBackoffMs" | "podMaxBackoffMs" | "podMaxInUnschedulablePodsMs" | "popFromBackoffQ"
>;

/** A pod's scheduler name (the API defaults it to `default-scheduler`). */
function schedulerNameOf(pod: Pod): string {
  return pod.spec?.schedulerName || DEFAULT_PROFILE_NAME;
}

function keyOf(pod: Pod): string {
  return `${pod.metadata?.namespace ?? ""}/${pod.metadata?.name ?? ""}`;
}

function isAssigned(pod: Pod): boolean {
  return (pod.spec?.nodeName ?? "") !== "";
}

function isTerminal(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase === "Succeeded" || phase === "Failed";
}

function priorityOf(pod: Pod): number {
  return pod.spec?.priority ?? 0;
}

/** Waits one turn of the event loop, so I/O (watch events, API answers) is not starved. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** How a failure changes the pod's nomination: a node, `""` to clear, `undefined` to leave. */
type Nominating = string | undefined;

/** A failed attempt, for {@linkcode Scheduler}'s failure handler. */
interface Failure {
  readonly info: QueuedPod;
  readonly cycle: number;
  /** The status: rejected (`Unschedulable`) or an error. */
  readonly status: PluginStatus;
  /** The error the message comes from: a FitError, or any error. */
  readonly error: Error;
  readonly nominating: Nominating;
}

/** What one scheduling cycle hands to its binding cycle. */
interface Placement {
  readonly fwk: Framework;
  readonly state: CycleState;
  readonly info: QueuedPod;
  readonly cycle: number;
  readonly assumed: Pod;
  readonly host: string;
  readonly permit: PermitRun;
  readonly evaluatedNodes: number;
  readonly feasibleNodes: number;
}

/** Everything that lives for one {@linkcode Scheduler.run}. */
interface RunState {
  readonly signal: AbortSignal;
  readonly cache: SchedulerCache;
  readonly queue: SchedulingQueue;
  readonly pods: Informer<Pod>;
  readonly recorders: ReadonlyMap<string, EventRecorder>;
  readonly executor: PreemptionExecutor;
  /** Background work (bindings, status writes) to wait for on shutdown. */
  readonly background: Set<Promise<void>>;
}

/** Places pods on nodes; see the module docs. */
export class Scheduler {
  readonly #deps: SchedulerDeps;
  readonly #options: SchedulerOptions;
  readonly #logger: Logger;
  readonly #profiles: readonly Profile[];
  readonly #frameworks = new Map<string, Framework>();
  /** PodInfos of nominated pods, parsed once per pod object. */
  readonly #podInfos = new WeakMap<Pod, PodInfo>();
  #run: RunState | null = null;
  #listers: {
    namespaces?: Informer<Namespace>;
    pdbs?: Informer<PodDisruptionBudget>;
    services?: Informer<Service>;
    replicationControllers?: Informer<ReplicationController>;
    replicaSets?: Informer<ReplicaSet>;
    statefulSets?: Informer<StatefulSet>;
  } = {};
  #started = false;

  /**
   * Builds a framework per profile.
   *
   * @throws {TypeError} for an invalid profile, two profiles with one scheduler name, or
   *   profiles with different queue sort plugins.
   */
  constructor(deps: SchedulerDeps, options: SchedulerOptions = {}) {
    this.#deps = deps;
    this.#options = options;
    this.#logger = deps.logger;
    const registry = deps.registry ?? newInTreeRegistry();
    this.#profiles = deps.profiles ?? [defaultProfile({ registry })];
    if (this.#profiles.length === 0) {
      throw new TypeError("Cannot create a scheduler without profiles");
    }
    const nominator = {
      nominatedPodsForNode: (nodeName: string): readonly PodInfo[] => {
        const pods = this.#run?.queue.nominatedPodsForNode(nodeName);
        return pods === undefined || pods.length === 0
          ? NO_POD_INFOS
          : pods.map((pod) => this.#podInfoOf(pod));
      },
    };
    const executor = {
      preempt: (p: Parameters<PreemptionExecutor["preempt"]>[0]) => this.#run?.executor.preempt(p),
      isPreempting: (uid: string) => this.#run?.executor.isPreempting(uid) ?? false,
    };
    for (const profile of this.#profiles) {
      if (this.#frameworks.has(profile.schedulerName)) {
        throw new TypeError(
          `Invalid scheduler profiles: scheduler name "${profile.schedulerName}" is used twice`,
        );
      }
      this.#frameworks.set(
        profile.schedulerName,
        newFramework(profile, {
          registry,
          client: deps.client,
          podNominator: nominator,
          preemptor: executor,
          namespaceLabels: (name) => this.#listers.namespaces?.store.get(name)?.metadata?.labels,
          podDisruptionBudgets: () => this.#listers.pdbs?.store.list() ?? [],
          workloadListers: this.#workloadListers(),
          ...deps.random ? { random: deps.random } : {},
        }),
      );
    }
    const sorts = new Set(
      [...this.#frameworks.values()].map((f) => f.listPlugins().queueSort?.[0]),
    );
    if (sorts.size > 1) {
      throw new TypeError(
        "Invalid scheduler profiles: every profile must use the same queue sort plugin",
      );
    }
  }

  /** The scheduler names this scheduler serves. */
  get schedulerNames(): string[] {
    return [...this.#frameworks.keys()];
  }

  /**
   * Watches and schedules until `signal` aborts; then stops the informers, waits for bindings
   * and writes under way, and resolves. Runs at most once.
   */
  async run(signal: AbortSignal): Promise<void> {
    if (this.#started) throw new TypeError("Cannot run a scheduler twice");
    this.#started = true;
    const { client, clock } = this.#deps;
    const logger = this.#logger;
    logger.info("Starting scheduler", { profiles: this.schedulerNames });
    const stop = new AbortController();
    const runSignal = AbortSignal.any([signal, stop.signal]);
    const factory = new SharedInformerFactory(client, {
      clock,
      logger,
      ...this.#deps.random ? { random: this.#deps.random } : {},
    });
    const first = this.#frameworks.values().next().value!;
    const queue = new SchedulingQueue({
      clock,
      logger,
      less: (a: QueuedPodInfo, b: QueuedPodInfo) => first.queueSortLess(a, b),
    }, {
      ...this.#options,
      preEnqueuePlugins: this.#preEnqueuePlugins(),
      pluginEvents: PLUGIN_EVENTS,
    });
    const pods = factory.informerFor(PODS, { fieldSelector: NON_TERMINAL_PODS });
    const nodes = factory.informerFor(NODES);
    this.#startListers(factory);
    const recorders = new Map<string, EventRecorder>();
    const hostname = this.#deps.hostname ?? "skiff";
    for (const name of this.#frameworks.keys()) {
      recorders.set(
        name,
        new EventRecorder({
          client,
          clock,
          logger,
          reportingController: name,
          reportingInstance: `${name}-${hostname}`,
          ...this.#deps.random ? { random: this.#deps.random } : {},
        }),
      );
    }
    const run: RunState = {
      signal: runSignal,
      cache: new SchedulerCache(),
      queue,
      pods,
      recorders,
      executor: new PreemptionExecutor({
        client,
        logger,
        now: () => rfc3339Seconds(clock.now()),
        recorderFor: (pod) => recorders.get(schedulerNameOf(pod)),
        activate: (pod) => queue.activate([pod]),
      }),
      background: new Set(),
    };
    this.#run = run;
    pods.addHandler({
      add: (pod) => this.#onPodAdd(pod),
      update: (oldPod, newPod) => this.#onPodUpdate(oldPod, newPod),
      delete: (pod) => this.#onPodDelete(pod),
    });
    nodes.addHandler({
      add: (node) => this.#onNodeAdd(node),
      update: (oldNode, newNode) => this.#onNodeUpdate(oldNode, newNode),
      delete: (node) => this.#onNodeDelete(node),
    });
    factory.start(runSignal);
    try {
      if (await factory.waitForCacheSync(runSignal)) {
        logger.info("Scheduler caches synced", {
          nodes: run.cache.nodeCount,
          pods: run.cache.podCount,
        });
        await this.#loop(run);
      }
    } finally {
      stop.abort();
      queue.close();
      await Promise.allSettled([...run.background]);
      await run.executor.drain();
      await Promise.all([...recorders.values()].map((r) => r.stop()));
      await factory.shutdown();
      this.#run = null;
      logger.info("Shutting down scheduler");
    }
  }

  async #loop(run: RunState): Promise<void> {
    while (!run.signal.aborted) {
      let info: QueuedPod | undefined;
      try {
        info = await run.queue.pop(run.signal);
      } catch {
        return; // aborted
      }
      if (info === undefined) return;
      const cycle = run.queue.schedulingCycle;
      try {
        this.#scheduleOne(run, info, cycle);
      } catch (err) {
        // Never reached by design; the loop must survive a bug all the same.
        this.#logger.error("Scheduling cycle failed", { pod: keyOf(info.pod), error: err });
        run.queue.done(podUid(info.pod));
      }
      await yieldToEventLoop();
    }
  }

  // ---- the scheduling cycle ----

  #scheduleOne(run: RunState, info: QueuedPod, cycle: number): void {
    const pod = info.pod;
    const fwk = this.#frameworks.get(schedulerNameOf(pod));
    if (fwk === undefined) {
      this.#logger.error("Profile not found for scheduler name", {
        pod: keyOf(pod),
        schedulerName: schedulerNameOf(pod),
      });
      run.queue.done(podUid(pod));
      return;
    }
    if (pod.metadata?.deletionTimestamp) {
      this.#record(run, pod, {
        type: "Warning",
        reason: "FailedScheduling",
        action: "Scheduling",
        note: `skip schedule deleting pod: ${keyOf(pod)}`,
      });
      run.queue.done(podUid(pod));
      return;
    }
    if (run.cache.isAssumedPod(pod)) {
      run.queue.done(podUid(pod));
      return;
    }
    this.#logger.debug("Attempting to schedule pod", { pod: keyOf(pod) });
    const state = new CycleState();
    let result;
    try {
      result = fwk.schedulePod(pod, { snapshot: run.cache.snapshot(), state });
    } catch (err) {
      this.#fail(run, {
        info,
        cycle,
        status: errorStatus(err),
        error: asError(err),
        nominating: "",
      });
      return;
    }
    if (result instanceof FitError) {
      this.#failFit(run, { fwk, info, cycle, state, fitError: result });
      return;
    }
    const host = result.suggestedHost;
    let assumed: Pod;
    try {
      assumed = run.cache.assumePod(pod, host);
    } catch (err) {
      this.#fail(run, {
        info,
        cycle,
        status: errorStatus(err),
        error: asError(err),
        nominating: "",
      });
      return;
    }
    run.queue.deleteNominatedPodIfExists(assumed);
    const reserve = this.#guard(() => fwk.runReservePluginsReserve(state, assumed, host));
    if (!isSuccess(reserve)) {
      this.#undo(run, { fwk, state, assumed, host });
      this.#failAfterChoice(run, { info, cycle, status: reserve!, host });
      return;
    }
    let permit: PermitRun;
    try {
      permit = fwk.runPermitPlugins(state, assumed, host);
    } catch (err) {
      permit = { status: errorStatus(err), waitingPlugins: new Map() };
    }
    if (!isSuccess(permit.status) && !isWait(permit.status)) {
      this.#undo(run, { fwk, state, assumed, host });
      this.#failAfterChoice(run, { info, cycle, status: permit.status!, host });
      return;
    }
    this.#background(
      run,
      this.#bindingCycle(run, {
        fwk,
        state,
        info,
        cycle,
        assumed,
        host,
        permit,
        evaluatedNodes: result.evaluatedNodes,
        feasibleNodes: result.feasibleNodes,
      }),
    );
  }

  /** A pod fits no node: PostFilter (preemption) may nominate it somewhere. */
  #failFit(
    run: RunState,
    attempt: {
      fwk: Framework;
      info: QueuedPod;
      cycle: number;
      state: CycleState;
      fitError: FitError;
    },
  ): void {
    const { fwk, info, cycle, state, fitError } = attempt;
    if (fitError.numAllNodes === 0) {
      // No nodes at all (upstream ErrNoNodesAvailable): no preemption, retried after backoff.
      this.#fail(run, {
        info,
        cycle,
        status: newStatus("UnschedulableAndUnresolvable", fitError.message),
        error: new Error(fitError.message),
        nominating: "",
      });
      return;
    }
    let nominating: Nominating = "";
    if (fwk.hasPostFilterPlugins()) {
      nominating = undefined;
      try {
        const post = fwk.runPostFilterPlugins(state, info.pod, fitError.diagnosis.nodeToStatus);
        fitError.setPostFilterMessage(pluginStatusMessage(post.status));
        if (post.status?.code === "Error") {
          this.#logger.error("Status after running PostFilter plugins for pod", {
            pod: keyOf(info.pod),
            status: pluginStatusMessage(post.status),
          });
        }
        nominating = post.nominatedNodeName;
      } catch (err) {
        this.#logger.error("PostFilter plugins failed", { pod: keyOf(info.pod), error: err });
      }
    }
    this.#fail(run, {
      info,
      cycle,
      status: newStatus("Unschedulable", fitError.message),
      error: fitError,
      nominating,
    });
  }

  /** Reserve or Permit failed on the chosen node. */
  #failAfterChoice(
    run: RunState,
    attempt: {
      info: QueuedPod;
      cycle: number;
      status: PluginStatus;
      host: string;
    },
  ): void {
    const { info, cycle, status, host } = attempt;
    if (isRejected(status)) {
      const diagnosis = new Diagnosis();
      diagnosis.nodeToStatus.set(host, status);
      diagnosis.addPluginStatus(status);
      const error = new FitError({ pod: info.pod, numAllNodes: 1, diagnosis });
      this.#fail(run, { info, cycle, status, error, nominating: "" });
      return;
    }
    this.#fail(run, {
      info,
      cycle,
      status,
      error: new Error(pluginStatusMessage(status)),
      nominating: "",
    });
  }

  /** Unreserve and forget an assumed pod. Returns whether it was forgotten. */
  #undo(
    run: RunState,
    placed: { fwk: Framework; state: CycleState; assumed: Pod; host: string },
  ): boolean {
    const { fwk, state, assumed, host } = placed;
    this.#guard(() => fwk.runReservePluginsUnreserve(state, assumed, host));
    try {
      run.cache.forgetPod(assumed);
      return true;
    } catch (err) {
      this.#logger.error("Scheduler cache ForgetPod failed", { pod: keyOf(assumed), error: err });
      return false;
    }
  }

  // ---- the binding cycle ----

  async #bindingCycle(run: RunState, p: Placement): Promise<void> {
    const { fwk, state, assumed, host } = p;
    let status: PluginStatus | null;
    try {
      status = await this.#waitOnPermit(run, p);
      if (isSuccess(status)) {
        // Past Permit nothing can make the pod unschedulable: free the queue's record now.
        run.queue.done(podUid(assumed));
        status = await fwk.runPreBindPlugins(state, assumed, host);
      }
      if (isSuccess(status)) {
        status = await fwk.runBindPlugins(state, assumed, host);
        if (isSkip(status)) status = errorStatus("no bind plugin bound the pod");
      }
    } catch (err) {
      status = errorStatus(err);
    }
    if (!isSuccess(status)) {
      this.#bindingFailed(run, p, status!);
      return;
    }
    this.#record(run, assumed, {
      type: "Normal",
      reason: "Scheduled",
      action: "Binding",
      note: `Successfully assigned ${keyOf(assumed)} to ${host}`,
    });
    this.#logger.debug("Successfully bound pod to node", {
      pod: keyOf(assumed),
      node: host,
      evaluatedNodes: p.evaluatedNodes,
      feasibleNodes: p.feasibleNodes,
    });
    this.#guard(() => fwk.runPostBindPlugins(state, assumed, host));
  }

  /**
   * Permit's `Wait`: nothing in skiff allows a waiting pod early, so it is rejected once the
   * shortest timeout passes (or the scheduler stops), as upstream rejects on timeout.
   */
  async #waitOnPermit(run: RunState, p: Placement): Promise<PluginStatus | null> {
    if (!isWait(p.permit.status)) return null;
    let plugin = "";
    let timeoutMs = Infinity;
    for (const [name, ms] of p.permit.waitingPlugins) {
      if (ms < timeoutMs) [plugin, timeoutMs] = [name, ms];
    }
    try {
      await this.#deps.clock.sleep(timeoutMs, run.signal);
    } catch {
      return withPlugin(unschedulable("the scheduler is stopping"), plugin);
    }
    return withPlugin(
      unschedulable(
        `rejected due to timeout after waiting ${timeoutMs / 1000}s at plugin ${plugin}`,
      ),
      plugin,
    );
  }

  #bindingFailed(run: RunState, p: Placement, status: PluginStatus): void {
    const { info, cycle, assumed, host } = p;
    const forgotten = this.#undo(run, p);
    const rejected = isRejected(status);
    const uid = podUid(assumed);
    // The assumed pod's room is free again: that may help pods waiting for room.
    if (forgotten && !rejected) run.queue.assignedPodDeleted(assumed);
    if (rejected) {
      const diagnosis = new Diagnosis();
      diagnosis.nodeToStatus.set(host, status);
      diagnosis.unschedulablePlugins.add(status.plugin ?? "");
      const error = new FitError({ pod: info.pod, numAllNodes: 1, diagnosis });
      this.#fail(run, { info, cycle, status, error, nominating: "" });
    } else {
      this.#fail(run, {
        // Bind errors back off as errors: no plugin rejected the pod.
        info: { ...info, unschedulablePlugins: new Set(), pendingPlugins: new Set() },
        cycle,
        status,
        error: new Error(pluginStatusMessage(status)),
        nominating: "",
      });
    }
    if (forgotten && rejected) {
      run.queue.moveAllToActiveOrBackoffQueue(
        CLUSTER_EVENTS.assignedPodDelete,
        (pod) => podUid(pod) !== uid,
      );
    }
  }

  // ---- failures ----

  /** Upstream `handleSchedulingFailure`: requeue, nominate, event, PodScheduled condition. */
  #fail(run: RunState, failure: Failure): void {
    const { info, cycle, status, error, nominating } = failure;
    const pod = info.pod;
    const uid = podUid(pod);
    const rejected = isRejected(status);
    const reason = rejected ? REASON_UNSCHEDULABLE : REASON_SCHEDULER_ERROR;
    const message = error.message || pluginStatusMessage(status);
    let unschedulablePlugins: ReadonlySet<string> = new Set();
    let pendingPlugins: ReadonlySet<string> = new Set();
    if (error instanceof FitError) {
      unschedulablePlugins = error.diagnosis.unschedulablePlugins;
      pendingPlugins = error.diagnosis.pendingPlugins;
      this.#logger.debug("Unable to schedule pod; no fit; waiting", {
        pod: keyOf(pod),
        error: message,
      });
    } else if (rejected) {
      this.#logger.debug(
        "Unable to schedule pod; no nodes are registered to the cluster; waiting",
        {
          pod: keyOf(pod),
        },
      );
    } else {
      this.#logger.error("Error scheduling pod; retrying", { pod: keyOf(pod), error: message });
    }
    const cached = run.pods.store.get(keyOf(pod));
    const current = cached !== undefined && podUid(cached) === uid ? cached : undefined;
    if (current === undefined) {
      this.#logger.debug("Pod doesn't exist in informer cache", { pod: keyOf(pod) });
      run.queue.done(uid);
    } else if (isAssigned(current)) {
      this.#logger.debug("Pod has been assigned to node. Abort adding it back to queue.", {
        pod: keyOf(pod),
        node: current.spec?.nodeName,
      });
      run.queue.done(uid);
    } else {
      run.queue.addUnschedulableIfNotPresent(
        { ...info, pod: current, unschedulablePlugins, pendingPlugins },
        { podSchedulingCycle: cycle },
      );
      run.queue.addNominatedPod(current, nominating === undefined ? {} : { nodeName: nominating });
    }
    this.#record(run, pod, {
      type: "Warning",
      reason: "FailedScheduling",
      action: "Scheduling",
      note: message,
    });
    const patch = podScheduledFailurePatch(current ?? pod, {
      reason,
      message,
      nominatedNodeName: nominating,
      now: rfc3339Seconds(this.#deps.clock.now()),
    });
    if (patch === null || current === undefined) return;
    this.#background(run, this.#patchStatus(pod, patch));
  }

  async #patchStatus(pod: Pod, patch: { status: Record<string, unknown> }): Promise<void> {
    try {
      await this.#deps.client.resource(PODS).patch(pod.metadata?.name ?? "", {
        namespace: pod.metadata?.namespace ?? "",
        type: "strategic",
        subresource: "status",
        body: patch,
      });
    } catch (err) {
      this.#logger.warn("Error updating pod", { pod: keyOf(pod), error: err });
    }
  }

  #record(run: RunState, pod: Pod, init: EventInit): void {
    // Watched pods carry their kind already; a copy only for one that does not.
    const regarding = pod.apiVersion === "v1" && pod.kind === "Pod"
      ? pod
      : { apiVersion: "v1", kind: "Pod", ...pod };
    run.recorders.get(schedulerNameOf(pod))?.record(regarding, init);
  }

  #background(run: RunState, work: Promise<void>): void {
    const tracked = work.catch((err) => {
      this.#logger.error("Background scheduler work failed", { error: err });
    }).finally(() => run.background.delete(tracked));
    run.background.add(tracked);
  }

  #guard<T>(fn: () => T): T | PluginStatus {
    try {
      return fn();
    } catch (err) {
      return errorStatus(err);
    }
  }

  // ---- event handlers (upstream eventhandlers.go) ----

  #responsible(pod: Pod): boolean {
    return this.#frameworks.has(schedulerNameOf(pod));
  }

  #onPodAdd(pod: Pod): void {
    if (isTerminal(pod)) return;
    if (isAssigned(pod)) this.#addPodToCache(pod);
    else if (this.#responsible(pod)) this.#run?.queue.add(pod);
  }

  #onPodUpdate(oldPod: Pod, newPod: Pod): void {
    const run = this.#run;
    if (run === null) return;
    const oldAssigned = !isTerminal(oldPod) && isAssigned(oldPod);
    const newAssigned = !isTerminal(newPod) && isAssigned(newPod);
    // The bound pods' handler (the cache) runs first, as upstream registers it first.
    if (oldAssigned && newAssigned) this.#updatePodInCache(oldPod, newPod);
    else if (!oldAssigned && newAssigned) this.#addPodToCache(newPod);
    else if (oldAssigned && !newAssigned) this.#deletePodFromCache(oldPod);
    const oldPending = !isTerminal(oldPod) && !isAssigned(oldPod) && this.#responsible(oldPod);
    const newPending = !isTerminal(newPod) && !isAssigned(newPod) && this.#responsible(newPod);
    if (oldPending && newPending) this.#updatePodInQueue(oldPod, newPod);
    else if (!oldPending && newPending) run.queue.add(newPod);
    else if (oldPending && !newPending) this.#deletePodFromQueue(oldPod);
  }

  #onPodDelete(pod: Pod): void {
    if (isAssigned(pod)) this.#deletePodFromCache(pod);
    else if (this.#responsible(pod)) this.#deletePodFromQueue(pod);
  }

  #updatePodInQueue(oldPod: Pod, newPod: Pod): void {
    const run = this.#run!;
    // A resync or a replay carries the same object: nothing changed.
    if (oldPod.metadata?.resourceVersion === newPod.metadata?.resourceVersion) return;
    if (run.cache.isAssumedPod(newPod)) return;
    run.queue.update(oldPod, newPod);
    if ((oldPod.status?.nominatedNodeName ?? "") !== (newPod.status?.nominatedNodeName ?? "")) {
      // Room held for the old nomination is free for pods of lower or equal priority.
      const priority = priorityOf(oldPod);
      run.queue.moveAllToActiveOrBackoffQueue(
        CLUSTER_EVENTS.assignedPodDelete,
        (pod) => priorityOf(pod) <= priority,
      );
    }
  }

  #deletePodFromQueue(pod: Pod): void {
    this.#run?.queue.delete(pod);
  }

  /**
   * One update of the cache from an informer event; a failure (an event the cache finds
   * inconsistent) is logged, never thrown into the informer.
   */
  #cacheUpdate(op: string, fields: Record<string, unknown>, update: () => void): void {
    try {
      update();
    } catch (err) {
      this.#logger.error(`Scheduler cache ${op} failed`, { ...fields, error: err });
    }
  }

  #addPodToCache(pod: Pod): void {
    const run = this.#run;
    if (run === null) return;
    this.#cacheUpdate("AddPod", { pod: keyOf(pod) }, () => run.cache.addPod(pod));
    run.queue.assignedPodAdded(pod);
  }

  #updatePodInCache(oldPod: Pod, newPod: Pod): void {
    const run = this.#run!;
    if (podUid(oldPod) !== podUid(newPod)) {
      // A delete and an add merged into one update: a different pod of the same name.
      this.#deletePodFromCache(oldPod);
      this.#addPodToCache(newPod);
      return;
    }
    this.#cacheUpdate(
      "UpdatePod",
      { pod: keyOf(newPod) },
      () => run.cache.updatePod(oldPod, newPod),
    );
    run.queue.assignedPodUpdated(oldPod, newPod);
  }

  #deletePodFromCache(pod: Pod): void {
    const run = this.#run;
    if (run === null) return;
    this.#cacheUpdate("RemovePod", { pod: keyOf(pod) }, () => run.cache.removePod(pod));
    run.queue.assignedPodDeleted(pod);
  }

  #onNodeAdd(node: Node): void {
    const run = this.#run;
    if (run === null) return;
    this.#cacheUpdate("AddNode", { node: node.metadata?.name }, () => run.cache.addNode(node));
    run.queue.moveAllToActiveOrBackoffQueue(CLUSTER_EVENTS.nodeAdd);
  }

  #onNodeUpdate(oldNode: Node, newNode: Node): void {
    const run = this.#run;
    if (run === null) return;
    this.#cacheUpdate(
      "UpdateNode",
      { node: newNode.metadata?.name },
      () => run.cache.updateNode(newNode),
    );
    for (const event of nodeUpdateEvents(oldNode, newNode)) {
      run.queue.moveAllToActiveOrBackoffQueue(event);
    }
  }

  #onNodeDelete(node: Node): void {
    const run = this.#run;
    if (run === null) return;
    this.#cacheUpdate(
      "RemoveNode",
      { node: node.metadata?.name },
      () => run.cache.removeNode(node),
    );
    run.queue.moveAllToActiveOrBackoffQueue(CLUSTER_EVENTS.nodeDelete);
  }

  // ---- plugin helpers ----

  #podInfoOf(pod: Pod): PodInfo {
    let info = this.#podInfos.get(pod);
    if (info === undefined) {
      info = newPodInfo(pod);
      this.#podInfos.set(pod, info);
    }
    return info;
  }

  /** Whether any profile enables `plugin`. */
  #enabled(plugin: string): boolean {
    return [...this.#frameworks.values()].some((f) => f.plugin(plugin) !== undefined);
  }

  #startListers(factory: SharedInformerFactory): void {
    this.#listers = {
      ...this.#enabled(PLUGIN_NAMES.InterPodAffinity)
        ? { namespaces: factory.informerFor(NAMESPACES) }
        : {},
      ...this.#enabled(PLUGIN_NAMES.DefaultPreemption)
        ? { pdbs: factory.informerFor(POD_DISRUPTION_BUDGETS) }
        : {},
      ...this.#enabled(PLUGIN_NAMES.PodTopologySpread)
        ? {
          services: factory.informerFor(SERVICES),
          replicationControllers: factory.informerFor(REPLICATION_CONTROLLERS),
          replicaSets: factory.informerFor(REPLICA_SETS),
          statefulSets: factory.informerFor(STATEFUL_SETS),
        }
        : {},
    };
  }

  #workloadListers(): WorkloadListers {
    return {
      services: (namespace) => this.#listers.services?.store.byIndex("namespace", namespace) ?? [],
      replicationController: (namespace, name) =>
        this.#listers.replicationControllers?.store.get(`${namespace}/${name}`),
      replicaSet: (namespace, name) => this.#listers.replicaSets?.store.get(`${namespace}/${name}`),
      statefulSet: (namespace, name) =>
        this.#listers.statefulSets?.store.get(`${namespace}/${name}`),
    };
  }

  /**
   * The PreEnqueue plugins of every profile, one entry per plugin name that runs the plugin of
   * the pod's own profile (upstream keeps them per profile too).
   */
  #preEnqueuePlugins(): PreEnqueuePlugin[] {
    const byName = new Map<string, Map<string, PreEnqueuePlugin>>();
    for (const profile of this.#profiles) {
      const fwk = this.#frameworks.get(profile.schedulerName)!;
      for (const ref of profile.plugins) {
        const plugin = fwk.plugin(ref.name);
        if (plugin === undefined || !isPreEnqueuePlugin(plugin)) continue;
        let perProfile = byName.get(ref.name);
        if (perProfile === undefined) byName.set(ref.name, perProfile = new Map());
        perProfile.set(profile.schedulerName, plugin);
      }
    }
    return [...byName].map(([name, perProfile]) => ({
      name,
      preEnqueue: (pod: Pod) => perProfile.get(schedulerNameOf(pod))?.preEnqueue(pod) ?? null,
    }));
  }
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
