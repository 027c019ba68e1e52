/**
 * The scheduling framework's plugin interfaces (upstream `kube-scheduler/framework`): a
 * {@linkcode Plugin} has only a name, and each extension point is its own interface a plugin
 * implements when it needs it. A scheduling cycle runs QueueSort (ordering the queue), then
 * PreFilter → Filter (every node) → PostFilter (only when no node fits, e.g. preemption) →
 * PreScore → Score (+ NormalizeScore) → Reserve → Permit; the binding cycle then runs PreBind →
 * Bind → PostBind, and Unreserve when anything after Reserve fails.
 *
 * Results are a {@linkcode PluginStatus} or `null` (success); scores are whole numbers within
 * {@linkcode MIN_NODE_SCORE}–{@linkcode MAX_NODE_SCORE} after normalization.
 *
 * @example A Filter plugin
 * ```ts
 * import assert from "node:assert/strict";
 * import type { FilterPlugin } from "./framework.ts";
 * import { isFilterPlugin } from "./framework.ts";
 * import { unresolvable } from "./status.ts";
 *
 * const onlyEdge1: FilterPlugin = {
 *   name: "OnlyEdge1",
 *   filter: (_state, _pod, node) => node.name === "edge-1" ? null : unresolvable("not edge-1"),
 * };
 * assert.ok(isFilterPlugin(onlyEdge1));
 * ```
 *
 * @module
 */
import type { ReplicaSet, StatefulSet } from "../api/types/apps_v1.ts";
import type { Client } from "../client/client.ts";
import type { Pod } from "../api/types/core_v1_pod.ts";
import type { PodDisruptionBudget } from "../api/types/policy_v1.ts";
import type { Service } from "../api/types/core_v1_service.ts";
import type { CycleState } from "./cycle_state.ts";
import type { NodeToStatusReader } from "./fit_error.ts";
import type { NodeInfo, PodInfo } from "./node_info.ts";
import type { Snapshot } from "./snapshot.ts";
import type { PluginStatus } from "./status.ts";

/** The lowest score a plugin may give a node (after normalization). */
export const MIN_NODE_SCORE = 0;
/** The highest score a plugin may give a node (after normalization). */
export const MAX_NODE_SCORE = 100;

/** What every plugin has: its name, as used in profiles and in statuses. */
export interface Plugin {
  readonly name: string;
}

/** A pod waiting in the scheduling queue, as QueueSort sees it. */
export interface QueuedPodInfo {
  readonly pod: Pod;
  /** When the pod was (last) added to the queue, in milliseconds. */
  readonly timestampMs: number;
}

/** Orders the scheduling queue; a profile has at most one. */
export interface QueueSortPlugin extends Plugin {
  /** Whether `a` should be scheduled before `b`. */
  less(a: QueuedPodInfo, b: QueuedPodInfo): boolean;
}

/** PreFilter's narrowing of the candidate nodes: only these may fit. */
export interface PreFilterResult {
  readonly nodeNames: ReadonlySet<string>;
}

/**
 * What PreFilter returns: `null` (go on, all nodes), a {@linkcode PreFilterResult} (go on, only
 * these nodes), or a status (`Skip`: this plugin's Filter has nothing to do; a rejection or an
 * error ends the cycle).
 */
export type PreFilterOutcome = PluginStatus | PreFilterResult | null;

/** A pod added to or removed from a node, for {@linkcode PreFilterExtensions}. */
export interface PodChange {
  /** The pod added or removed. */
  readonly podInfo: PodInfo;
  /** The node, already with (or without) the pod. */
  readonly nodeInfo: NodeInfo;
}

/**
 * Lets preemption and nominated pods update a PreFilter plugin's cycle state incrementally
 * (upstream `PreFilterExtensions`).
 */
export interface PreFilterExtensions {
  addPod(state: CycleState, podToSchedule: Pod, change: PodChange): PluginStatus | null;
  removePod(state: CycleState, podToSchedule: Pod, change: PodChange): PluginStatus | null;
}

/** Runs once per cycle before Filter, to compute state or reject the pod early. */
export interface PreFilterPlugin extends Plugin {
  preFilter(state: CycleState, pod: Pod, nodes: readonly NodeInfo[]): PreFilterOutcome;
  /** Present when the plugin's state depends on the pods on nodes. */
  readonly preFilterExtensions?: PreFilterExtensions;
}

/** Decides whether `pod` may run on one node; runs for every candidate node. */
export interface FilterPlugin extends Plugin {
  /** `null` when the pod fits; a rejection (or an error) status otherwise. */
  filter(state: CycleState, pod: Pod, nodeInfo: NodeInfo): PluginStatus | null;
}

/** What PostFilter returns. */
export interface PostFilterResult {
  /** `null` or `Success` when the plugin made the pod schedulable (e.g. by preempting). */
  readonly status: PluginStatus | null;
  /** The node the pod is nominated to, when the plugin made room on one. */
  readonly nominatedNodeName?: string;
}

/** Runs when no node fits (e.g. preemption). */
export interface PostFilterPlugin extends Plugin {
  postFilter(state: CycleState, pod: Pod, statuses: NodeToStatusReader): PostFilterResult;
}

/** Runs once per cycle before Score, with the feasible nodes. */
export interface PreScorePlugin extends Plugin {
  /** `null`, `Skip` (this plugin's Score has nothing to do), or an error. */
  preScore(state: CycleState, pod: Pod, nodes: readonly NodeInfo[]): PluginStatus | null;
}

/** A node's score from one plugin. */
export interface NodeScore {
  readonly name: string;
  score: number;
}

/** Scores each feasible node; the framework weights and sums the scores. */
export interface ScorePlugin extends Plugin {
  /** A whole-number score, or an error status. */
  score(state: CycleState, pod: Pod, nodeInfo: NodeInfo): number | PluginStatus;
  /** Rescales this plugin's scores, in place, into 0–100 (upstream `ScoreExtensions`). */
  normalizeScore?(state: CycleState, pod: Pod, scores: NodeScore[]): PluginStatus | null;
}

/** Reserves resources for the pod on the chosen node before binding (e.g. volumes). */
export interface ReservePlugin extends Plugin {
  reserve(state: CycleState, pod: Pod, nodeName: string): PluginStatus | null;
  /** Undoes `reserve`; must be idempotent and never fail. */
  unreserve(state: CycleState, pod: Pod, nodeName: string): void;
}

/** What Permit returns. */
export interface PermitResult {
  /** `null` to allow, `Wait` to hold the pod, or a rejection. */
  readonly status: PluginStatus | null;
  /** With `Wait`: how long to wait before rejecting. */
  readonly timeoutMs?: number;
}

/** Allows, holds or rejects the pod before binding (e.g. gang scheduling). */
export interface PermitPlugin extends Plugin {
  permit(state: CycleState, pod: Pod, nodeName: string): PermitResult;
}

/** Runs before binding (e.g. provisions a volume). */
export interface PreBindPlugin extends Plugin {
  preBind(state: CycleState, pod: Pod, nodeName: string): Promise<PluginStatus | null>;
}

/** Binds the pod to the node; `Skip` leaves it to the next bind plugin. */
export interface BindPlugin extends Plugin {
  bind(state: CycleState, pod: Pod, nodeName: string): Promise<PluginStatus | null>;
}

/** Informational, after a successful bind. */
export interface PostBindPlugin extends Plugin {
  postBind(state: CycleState, pod: Pod, nodeName: string): void;
}

/**
 * The objects that select pods, as PodTopologySpread's default constraints read them (upstream's
 * Service, ReplicationController, ReplicaSet and StatefulSet listers).
 */
export interface WorkloadListers {
  /** The Services of `namespace`. */
  services(namespace: string): readonly Pick<Service, "spec">[];
  /** The ReplicationController `namespace/name`, if known. */
  replicationController(
    namespace: string,
    name: string,
  ): { readonly spec?: { readonly selector?: Readonly<Record<string, string>> } } | undefined;
  /** The ReplicaSet `namespace/name`, if known. */
  replicaSet(namespace: string, name: string): Pick<ReplicaSet, "spec"> | undefined;
  /** The StatefulSet `namespace/name`, if known. */
  statefulSet(namespace: string, name: string): Pick<StatefulSet, "spec"> | undefined;
}

/**
 * The framework's runs of other plugins that PostFilter plugins use for dry runs (upstream
 * `PluginsRunner`): a preemption dry run removes pods from a copy of a node, tells the PreFilter
 * extensions, and filters the pod again.
 */
export interface PluginsRunner {
  /** Filter on `nodeInfo`, counting the pods nominated to it with at least the pod's priority. */
  runFilterPluginsWithNominatedPods(
    state: CycleState,
    pod: Pod,
    nodeInfo: NodeInfo,
  ): PluginStatus | null;
  /** Tells every PreFilter extension that `change.podInfo` was added to `change.nodeInfo`. */
  runPreFilterExtensionAddPod(state: CycleState, pod: Pod, change: PodChange): PluginStatus | null;
  /** Tells every PreFilter extension that `change.podInfo` was removed from `change.nodeInfo`. */
  runPreFilterExtensionRemovePod(
    state: CycleState,
    pod: Pod,
    change: PodChange,
  ): PluginStatus | null;
}

/** A preemption decided by a PostFilter plugin, for the scheduler to carry out. */
export interface Preemption {
  /** The pod that preempts (it is nominated to {@linkcode Preemption.nodeName}). */
  readonly preemptor: Pod;
  /** The node the victims are evicted from. */
  readonly nodeName: string;
  /**
   * The pods to evict, most important first; pods already terminating are left out. Each gets a
   * `DisruptionTarget` condition, is deleted, and gets a `Preempted` event.
   */
  readonly victims: readonly Pod[];
  /** Lower-priority pods nominated to the node, whose `status.nominatedNodeName` is cleared. */
  readonly nominatedPodsToClear: readonly Pod[];
}

/**
 * Carries out preemptions through the API, on the scheduler's side (upstream's preemption
 * executor with async preemption, the default since 1.33). PostFilter runs inside the scheduling
 * cycle, so {@linkcode Preemptor.preempt} only starts the work.
 */
export interface Preemptor {
  /**
   * Starts `preemption` and returns at once; never throws. Until the work ends,
   * {@linkcode Preemptor.isPreempting} is `true` for the preemptor.
   */
  preempt(preemption: Preemption): void;
  /** Whether a preemption started for the pod with this UID is still under way. */
  isPreempting?(podUid: string): boolean;
}

/** What plugins get from the framework (upstream `framework.Handle`). */
export interface FrameworkHandle extends Partial<PluginsRunner> {
  /** The snapshot of the cycle being run. */
  snapshot(): Snapshot;
  /**
   * The labels of namespace `name`, or `undefined` when it is not known (upstream's namespace
   * lister, for InterPodAffinity's namespace selectors). Absent: no namespace is known.
   */
  namespaceLabels?(name: string): Readonly<Record<string, string>> | undefined;
  /** The workload listers, when the scheduler has them (for default spreading). */
  workloadListers?(): WorkloadListers | undefined;
  /**
   * The API client (upstream `ClientSet()`), for plugins that write, such as DefaultBinder.
   * Absent or `undefined`: the framework runs without an API.
   */
  client?(): Client | undefined;
  /** The pods nominated to run on `nodeName` (upstream `PodNominator`). Absent: none. */
  nominatedPodsForNode?(nodeName: string): readonly PodInfo[];
  /** Every PodDisruptionBudget (upstream's PDB lister, for preemption). Absent: none. */
  podDisruptionBudgets?(): readonly PodDisruptionBudget[];
  /** What carries out preemptions, when the scheduler has one. */
  preemptor?(): Preemptor | undefined;
  /** A random number in [0, 1), from the framework's injected source. */
  random?(): number;
}

/** Builds a plugin from its (unvalidated) args; validates them, throwing `TypeError`. */
export type PluginFactory = (args: unknown, handle: FrameworkHandle) => Plugin;

/** Whether `p` implements QueueSort. */
export function isQueueSortPlugin(p: Plugin): p is QueueSortPlugin {
  return typeof (p as Partial<QueueSortPlugin>).less === "function";
}

/** Whether `p` implements PreFilter. */
export function isPreFilterPlugin(p: Plugin): p is PreFilterPlugin {
  return typeof (p as Partial<PreFilterPlugin>).preFilter === "function";
}

/** Whether `p` implements Filter. */
export function isFilterPlugin(p: Plugin): p is FilterPlugin {
  return typeof (p as Partial<FilterPlugin>).filter === "function";
}

/** Whether `p` implements PostFilter. */
export function isPostFilterPlugin(p: Plugin): p is PostFilterPlugin {
  return typeof (p as Partial<PostFilterPlugin>).postFilter === "function";
}

/** Whether `p` implements PreScore. */
export function isPreScorePlugin(p: Plugin): p is PreScorePlugin {
  return typeof (p as Partial<PreScorePlugin>).preScore === "function";
}

/** Whether `p` implements Score. */
export function isScorePlugin(p: Plugin): p is ScorePlugin {
  return typeof (p as Partial<ScorePlugin>).score === "function";
}

/** Whether `p` implements Reserve. */
export function isReservePlugin(p: Plugin): p is ReservePlugin {
  return typeof (p as Partial<ReservePlugin>).reserve === "function";
}

/** Whether `p` implements Permit. */
export function isPermitPlugin(p: Plugin): p is PermitPlugin {
  return typeof (p as Partial<PermitPlugin>).permit === "function";
}

/** Whether `p` implements PreBind. */
export function isPreBindPlugin(p: Plugin): p is PreBindPlugin {
  return typeof (p as Partial<PreBindPlugin>).preBind === "function";
}

/** Whether `p` implements Bind. */
export function isBindPlugin(p: Plugin): p is BindPlugin {
  return typeof (p as Partial<BindPlugin>).bind === "function";
}

/** Whether `p` implements PostBind. */
export function isPostBindPlugin(p: Plugin): p is PostBindPlugin {
  return typeof (p as Partial<PostBindPlugin>).postBind === "function";
}

/** Whether a PreFilter outcome is a status (rather than `null` or a node-name result). */
export function isPreFilterStatus(outcome: PreFilterOutcome): outcome is PluginStatus {
  return outcome !== null && "code" in outcome;
}
