/**
 * The framework runtime (upstream `framework/runtime` plus the algorithm in `schedule_one.go`):
 * builds the plugins of a {@linkcode Profile} from a {@linkcode Registry}, runs each extension
 * point in profile order, and places one pod with {@linkcode Framework.schedulePod}:
 *
 * 1. PreFilter: computes state, may narrow the nodes to a set of names or reject the pod;
 * 2. a nominated node (`status.nominatedNodeName`, set by preemption) is tried first;
 * 3. Filter: nodes are examined starting where the previous cycle stopped, until
 *    {@linkcode numFeasibleNodesToFind} fit (upstream's `percentageOfNodesToScore`);
 * 4. one feasible node is taken as is; otherwise PreScore → Score → NormalizeScore → weights;
 * 5. the highest total wins, ties broken at random by the injected random source.
 *
 * A pod that fits nowhere gives a {@linkcode FitError} (returned, not thrown) with the
 * per-node diagnosis; an `Error` status from a plugin throws, as it aborts the cycle.
 *
 * @example Schedule a pod on the only node that has room
 * ```ts
 * import assert from "node:assert/strict";
 * import { newInTreeRegistry, defaultProfile } from "./registry.ts";
 * import { newFramework } from "./runtime.ts";
 * import { newSnapshot } from "./snapshot.ts";
 *
 * const framework = newFramework(defaultProfile(), { registry: newInTreeRegistry() });
 * const node = (name: string, cpu: string) => ({
 *   metadata: { name },
 *   status: { allocatable: { cpu, memory: "4Gi", pods: "110" } },
 * });
 * const snapshot = newSnapshot([node("small", "1"), node("big", "8")]);
 * const pod = {
 *   metadata: { name: "web", namespace: "default" },
 *   spec: { containers: [{ name: "c", resources: { requests: { cpu: "2" } } }] },
 * };
 * const result = framework.schedulePod(pod, { snapshot });
 * assert.ok(!(result instanceof Error));
 * assert.equal(result.suggestedHost, "big");
 * ```
 *
 * @module
 */
import type { Pod } from "../api/types/core_v1_pod.ts";
import type { Client } from "../client/client.ts";
import type { PodDisruptionBudget } from "../api/types/policy_v1.ts";
import { CycleState } from "./cycle_state.ts";
import { Diagnosis, FitError, type NodeToStatusReader } from "./fit_error.ts";
import {
  type BindPlugin,
  type FilterPlugin,
  type FrameworkHandle,
  isBindPlugin,
  isFilterPlugin,
  isPermitPlugin,
  isPostBindPlugin,
  isPostFilterPlugin,
  isPreBindPlugin,
  isPreFilterPlugin,
  isPreFilterStatus,
  isPreScorePlugin,
  isQueueSortPlugin,
  isReservePlugin,
  isScorePlugin,
  MAX_NODE_SCORE,
  MIN_NODE_SCORE,
  type NodeScore,
  type PermitPlugin,
  type Plugin,
  type PluginFactory,
  type PodChange,
  type PostBindPlugin,
  type PostFilterPlugin,
  type PostFilterResult,
  type PreBindPlugin,
  type Preemptor,
  type PreFilterPlugin,
  type PreScorePlugin,
  type QueuedPodInfo,
  type QueueSortPlugin,
  type ReservePlugin,
  type ScorePlugin,
  type WorkloadListers,
} from "./framework.ts";
import type { NodeInfo, PodInfo } from "./node_info.ts";
import { type Profile, validateProfile } from "./profile.ts";
import { Snapshot } from "./snapshot.ts";
import {
  errorStatus,
  isRejected,
  isSkip,
  isSuccess,
  isWait,
  newStatus,
  type PluginStatus,
  pluginStatusMessage,
  unresolvable,
  withPlugin,
} from "./status.ts";

/** Plugin name → factory (upstream `runtime.Registry`). */
export type Registry = ReadonlyMap<string, PluginFactory>;

/** Upstream's `minFeasibleNodesToFind`: below this many nodes, all are examined. */
export const MIN_FEASIBLE_NODES_TO_FIND = 100;
/** Upstream's `minFeasibleNodesPercentageToFind`: the adaptive percentage never goes lower. */
export const MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND = 5;
/** The longest a Permit plugin may make a pod wait (upstream `maxTimeout`, 15 minutes). */
export const MAX_PERMIT_TIMEOUT_MS = 15 * 60 * 1000;

/**
 * How many feasible nodes to find before scoring (upstream `numFeasibleNodesToFind`): all of
 * them below 100 nodes; otherwise `percentage` of them (when 0 or absent, the adaptive
 * `50 - nodes/125`, at least 5), and never fewer than 100.
 */
export function numFeasibleNodesToFind(
  numAllNodes: number,
  percentageOfNodesToScore?: number,
): number {
  if (numAllNodes < MIN_FEASIBLE_NODES_TO_FIND) return numAllNodes;
  let percentage = percentageOfNodesToScore ?? 0;
  if (percentage === 0) {
    percentage = 50 - Math.trunc(numAllNodes / 125);
    if (percentage < MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND) {
      percentage = MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND;
    }
  }
  const numNodes = Math.trunc(numAllNodes * percentage / 100);
  return numNodes < MIN_FEASIBLE_NODES_TO_FIND ? MIN_FEASIBLE_NODES_TO_FIND : numNodes;
}

/** One plugin's weighted score of a node. */
export interface PluginScore {
  readonly name: string;
  readonly score: number;
}

/** All plugins' weighted scores of a node, and their sum (upstream `NodePluginScores`). */
export interface NodePluginScores {
  readonly name: string;
  readonly scores: readonly PluginScore[];
  readonly totalScore: number;
}

/**
 * The node with the highest total score; among equals each is equally likely, picked by
 * reservoir sampling with `random` (a `Math.random`-like source in [0, 1)), as upstream's
 * `selectHost`.
 *
 * @throws {RangeError} when `scores` is empty.
 */
export function selectHost(scores: readonly NodePluginScores[], random: () => number): string {
  const first = scores[0];
  if (first === undefined) throw new RangeError("Cannot select a host: no node scores");
  let best = first;
  let ties = 1;
  for (let i = 1; i < scores.length; i++) {
    const s = scores[i]!;
    if (s.totalScore > best.totalScore) {
      best = s;
      ties = 1;
    } else if (s.totalScore === best.totalScore) {
      ties++;
      if (Math.floor(random() * ties) === 0) best = s;
    }
  }
  return best.name;
}

/** Pods nominated to nodes by preemption, considered by Filter (upstream `PodNominator`). */
export interface PodNominator {
  /** The pods nominated to run on `nodeName`. */
  nominatedPodsForNode(nodeName: string): readonly PodInfo[];
}

/** The dependencies of {@linkcode newFramework}. */
export interface FrameworkOptions {
  /** The plugin factories by name. */
  readonly registry: Registry;
  /** A random source in [0, 1) for ties between equally scored nodes. @default {Math.random} */
  readonly random?: () => number;
  /** Nominated pods to count on their nodes while filtering. */
  readonly podNominator?: PodNominator;
  /** The labels of a namespace, for plugins (see {@linkcode FrameworkHandle.namespaceLabels}). */
  readonly namespaceLabels?: (name: string) => Readonly<Record<string, string>> | undefined;
  /** The workload listers, for plugins (see {@linkcode FrameworkHandle.workloadListers}). */
  readonly workloadListers?: WorkloadListers;
  /** The API client, for plugins that write (see {@linkcode FrameworkHandle.client}). */
  readonly client?: Client;
  /** Every PodDisruptionBudget, for preemption (see {@linkcode FrameworkHandle.podDisruptionBudgets}). */
  readonly podDisruptionBudgets?: () => readonly PodDisruptionBudget[];
  /** What carries out preemptions (see {@linkcode FrameworkHandle.preemptor}). */
  readonly preemptor?: Preemptor;
}

/** The options of {@linkcode Framework.schedulePod}. */
export interface SchedulePodOptions {
  /** The cluster as this cycle sees it. */
  readonly snapshot: Snapshot;
  /** The cycle state; a new one when absent. */
  readonly state?: CycleState;
}

/** Where to put the pod (upstream `ScheduleResult`). */
export interface ScheduleResult {
  /** The chosen node. */
  readonly suggestedHost: string;
  /** How many nodes were filtered. */
  readonly evaluatedNodes: number;
  /** How many of them fit. */
  readonly feasibleNodes: number;
}

/** What {@linkcode Framework.runPreFilterPlugins} returns. */
export interface PreFilterRun {
  /** The node names PreFilter narrowed the candidates to; `null` means all nodes. */
  readonly nodeNames: ReadonlySet<string> | null;
  /** `null` to go on; a rejection; or an `Error` status. */
  readonly status: PluginStatus | null;
  /** The plugins that narrowed the nodes. */
  readonly pluginsWithNodes: ReadonlySet<string>;
}

/** What {@linkcode Framework.runPermitPlugins} returns. */
export interface PermitRun {
  /** `null` to go on, `Wait` with {@linkcode PermitRun.timeoutMs}, or a rejection. */
  readonly status: PluginStatus | null;
  /** With `Wait`: the shortest timeout asked for, per plugin. */
  readonly waitingPlugins: ReadonlyMap<string, number>;
}

/**
 * The index of the highest of `totals[0..length)`, ties picked by reservoir sampling exactly as
 * {@linkcode selectHost} does (same draws from `random`, so the same choice).
 */
function selectHostIndex(
  totals: Float64Array,
  options: { readonly length: number; readonly random: () => number },
): number {
  let best = 0;
  let ties = 1;
  for (let i = 1; i < options.length; i++) {
    const t = totals[i]!;
    if (t > totals[best]!) {
      best = i;
      ties = 1;
    } else if (t === totals[best]) {
      ties++;
      if (Math.floor(options.random() * ties) === 0) best = i;
    }
  }
  return best;
}

/** A node score the framework hands to NormalizeScore and reuses the next cycle. */
interface NodeScoreSlot {
  name: string;
  score: number;
}

/** Score's buffers, kept from cycle to cycle so that scoring a node allocates nothing. */
class ScoreBuffers {
  /** The active plugins' scores, plugin-major: raw, then normalized, then weighted. */
  weighted = new Float64Array(0);
  /** Each node's weighted total. */
  totals = new Float64Array(0);
  /** Per score plugin (by index), the slots handed to its NormalizeScore. */
  readonly #slots: NodeScoreSlot[][] = [];
  readonly #views: NodeScore[][] = [];

  /** Makes room for `scores` plugin scores and `nodes` totals. */
  reserve(scores: number, nodes: number): void {
    if (this.weighted.length < scores) {
      this.weighted = new Float64Array(Math.max(scores, this.weighted.length * 2));
    }
    if (this.totals.length < nodes) {
      this.totals = new Float64Array(Math.max(nodes, this.totals.length * 2));
    }
  }

  /** Plugin `plugin`'s slots for `nodes`, holding the scores in `from`. */
  nodeScores(
    plugin: number,
    input: { readonly nodes: readonly NodeInfo[]; readonly from: Float64Array },
  ): NodeScore[] {
    const slots = this.#slots[plugin] ??= [];
    const view = this.#views[plugin] ??= [];
    const { nodes, from } = input;
    if (view.length > nodes.length) view.length = nodes.length;
    for (let n = 0; n < nodes.length; n++) {
      let slot = slots[n];
      if (slot === undefined) {
        slot = { name: "", score: 0 };
        slots.push(slot);
      }
      slot.name = nodes[n]!.name;
      slot.score = from[n]!;
      if (n < view.length) view[n] = slot;
      else view.push(slot);
    }
    return view;
  }
}

function podPriority(pod: Pod): number {
  return pod.spec?.priority ?? 0;
}

function intersect(a: ReadonlySet<string> | null, b: ReadonlySet<string>): Set<string> {
  if (a === null) return new Set(b);
  const out = new Set<string>();
  for (const n of a) if (b.has(n)) out.add(n);
  return out;
}

/** The status a Filter plugin's failure `s` gives: a rejection as is, anything else an `Error`. */
function filterFailure(pl: FilterPlugin, s: PluginStatus): PluginStatus {
  if (!isRejected(s)) {
    return withPlugin(
      errorStatus(`running "${pl.name}" filter plugin: ${pluginStatusMessage(s)}`),
      pl.name,
    );
  }
  return withPlugin(s, pl.name);
}

/** Throws the error an `Error` status stands for. */
function fail(status: PluginStatus): never {
  throw new Error(pluginStatusMessage(status));
}

/** One profile's plugins, ready to run (upstream `frameworkImpl`). */
export class Framework implements FrameworkHandle {
  /** The profile's scheduler name. */
  readonly profileName: string;
  /** The profile's `percentageOfNodesToScore`, if set. */
  readonly percentageOfNodesToScore: number | undefined;
  readonly #random: () => number;
  readonly #nominator: PodNominator | undefined;
  readonly #namespaceLabels: FrameworkOptions["namespaceLabels"];
  readonly #workloadListers: WorkloadListers | undefined;
  readonly #client: Client | undefined;
  readonly #podDisruptionBudgets: FrameworkOptions["podDisruptionBudgets"];
  readonly #preemptor: Preemptor | undefined;
  readonly #queueSort: QueueSortPlugin | undefined;
  readonly #preFilter: PreFilterPlugin[] = [];
  readonly #filter: FilterPlugin[] = [];
  readonly #postFilter: PostFilterPlugin[] = [];
  readonly #preScore: PreScorePlugin[] = [];
  readonly #score: ScorePlugin[] = [];
  readonly #weights = new Map<string, number>();
  /** The weight of each plugin in `#score`, by index. */
  readonly #scoreWeights: number[] = [];
  readonly #scoreBuffers = new ScoreBuffers();
  readonly #reserve: ReservePlugin[] = [];
  readonly #permit: PermitPlugin[] = [];
  readonly #preBind: PreBindPlugin[] = [];
  readonly #bind: BindPlugin[] = [];
  readonly #postBind: PostBindPlugin[] = [];
  readonly #plugins = new Map<string, Plugin>();
  #snapshot: Snapshot = new Snapshot({ nodes: [] });
  #nextStartNodeIndex = 0;

  /** Builds the plugins of `profile`; prefer {@linkcode newFramework}. */
  constructor(profile: Profile, options: FrameworkOptions) {
    validateProfile(profile);
    this.profileName = profile.schedulerName;
    this.percentageOfNodesToScore = profile.percentageOfNodesToScore;
    this.#random = options.random ?? Math.random;
    this.#nominator = options.podNominator;
    this.#namespaceLabels = options.namespaceLabels;
    this.#workloadListers = options.workloadListers;
    this.#client = options.client;
    this.#podDisruptionBudgets = options.podDisruptionBudgets;
    this.#preemptor = options.preemptor;
    const queueSorts: QueueSortPlugin[] = [];
    for (const ref of profile.plugins) {
      const factory = options.registry.get(ref.name);
      if (factory === undefined) {
        throw new TypeError(
          `Invalid scheduler profile "${this.profileName}": plugin "${ref.name}" does not exist`,
        );
      }
      const plugin = factory(profile.pluginConfig?.[ref.name], this);
      if (plugin.name !== ref.name) {
        throw new TypeError(
          `Invalid scheduler profile "${this.profileName}": the factory of "${ref.name}" built "${plugin.name}"`,
        );
      }
      this.#plugins.set(ref.name, plugin);
      if (isQueueSortPlugin(plugin)) queueSorts.push(plugin);
      if (isPreFilterPlugin(plugin)) this.#preFilter.push(plugin);
      if (isFilterPlugin(plugin)) this.#filter.push(plugin);
      if (isPostFilterPlugin(plugin)) this.#postFilter.push(plugin);
      if (isPreScorePlugin(plugin)) this.#preScore.push(plugin);
      if (isScorePlugin(plugin)) {
        this.#score.push(plugin);
        this.#weights.set(ref.name, ref.weight || 1);
        this.#scoreWeights.push(ref.weight || 1);
      }
      if (isReservePlugin(plugin)) this.#reserve.push(plugin);
      if (isPermitPlugin(plugin)) this.#permit.push(plugin);
      if (isPreBindPlugin(plugin)) this.#preBind.push(plugin);
      if (isBindPlugin(plugin)) this.#bind.push(plugin);
      if (isPostBindPlugin(plugin)) this.#postBind.push(plugin);
    }
    if (queueSorts.length > 1) {
      throw new TypeError(
        `Invalid scheduler profile "${this.profileName}": only one queue sort plugin may be enabled, got ${
          queueSorts.map((p) => `"${p.name}"`).join(", ")
        }`,
      );
    }
    this.#queueSort = queueSorts[0];
  }

  /** The snapshot of the cycle being run (the last one given to `schedulePod`/`setSnapshot`). */
  snapshot(): Snapshot {
    return this.#snapshot;
  }

  /** The labels of namespace `name`, when the framework was given a way to know them. */
  namespaceLabels(name: string): Readonly<Record<string, string>> | undefined {
    return this.#namespaceLabels?.(name);
  }

  /** The workload listers the framework was given, if any. */
  workloadListers(): WorkloadListers | undefined {
    return this.#workloadListers;
  }

  /** The pods nominated to `nodeName` by the framework's nominator (none without one). */
  nominatedPodsForNode(nodeName: string): readonly PodInfo[] {
    return this.#nominator?.nominatedPodsForNode(nodeName) ?? [];
  }

  /** Every PodDisruptionBudget the framework was given a way to list (none otherwise). */
  podDisruptionBudgets(): readonly PodDisruptionBudget[] {
    return this.#podDisruptionBudgets?.() ?? [];
  }

  /** The preemptor the framework was given, if any. */
  preemptor(): Preemptor | undefined {
    return this.#preemptor;
  }

  /** A number in [0, 1) from the framework's random source. */
  random(): number {
    return this.#random();
  }

  /** The API client the framework was given, if any. */
  client(): Client | undefined {
    return this.#client;
  }

  /** Makes `snapshot` the one plugins see, for running extension points one by one. */
  setSnapshot(snapshot: Snapshot): void {
    this.#snapshot = snapshot;
  }

  /** The plugin called `name`, if enabled. */
  plugin(name: string): Plugin | undefined {
    return this.#plugins.get(name);
  }

  /** The enabled plugins' names, by extension point. */
  listPlugins(): Record<string, string[]> {
    const names = (ps: readonly Plugin[]) => ps.map((p) => p.name);
    return {
      queueSort: this.#queueSort === undefined ? [] : [this.#queueSort.name],
      preFilter: names(this.#preFilter),
      filter: names(this.#filter),
      postFilter: names(this.#postFilter),
      preScore: names(this.#preScore),
      score: names(this.#score),
      reserve: names(this.#reserve),
      permit: names(this.#permit),
      preBind: names(this.#preBind),
      bind: names(this.#bind),
      postBind: names(this.#postBind),
    };
  }

  /** The weight of score plugin `name` (1 when unset). */
  scoreWeight(name: string): number {
    return this.#weights.get(name) ?? 1;
  }

  /** Whether any Filter plugin is enabled. */
  hasFilterPlugins(): boolean {
    return this.#filter.length > 0;
  }

  /** Whether any Score plugin is enabled. */
  hasScorePlugins(): boolean {
    return this.#score.length > 0;
  }

  /** Whether any PostFilter plugin is enabled. */
  hasPostFilterPlugins(): boolean {
    return this.#postFilter.length > 0;
  }

  /** The queue order of the QueueSort plugin: whether `a` goes before `b`. */
  queueSortLess(a: QueuedPodInfo, b: QueuedPodInfo): boolean {
    if (this.#queueSort === undefined) return a.timestampMs < b.timestampMs;
    return this.#queueSort.less(a, b);
  }

  /**
   * Runs PreFilter (upstream `RunPreFilterPlugins`): `Skip` marks the plugin's Filter as
   * skipped; `UnschedulableAndUnresolvable` stops at once, `Unschedulable` is remembered while
   * the other plugins still run (preemption needs their state); an empty intersection of node
   * names rejects the pod.
   */
  runPreFilterPlugins(state: CycleState, pod: Pod): PreFilterRun {
    const nodes = this.#snapshot.list();
    const skipped = new Set<string>();
    const pluginsWithNodes = new Set<string>();
    let nodeNames: Set<string> | null = null;
    let returnStatus: PluginStatus | null = null;
    try {
      for (const pl of this.#preFilter) {
        const out = pl.preFilter(state, pod, nodes);
        if (isPreFilterStatus(out)) {
          if (isSkip(out)) {
            skipped.add(pl.name);
            continue;
          }
          if (isSuccess(out)) continue;
          const s = withPlugin(out, pl.name);
          if (s.code === "UnschedulableAndUnresolvable") {
            return { nodeNames: null, status: s, pluginsWithNodes: new Set() };
          }
          if (s.code === "Unschedulable") {
            returnStatus = s;
            continue;
          }
          return {
            nodeNames: null,
            status: withPlugin(
              errorStatus(`running PreFilter plugin "${pl.name}": ${pluginStatusMessage(s)}`),
              pl.name,
            ),
            pluginsWithNodes: new Set(),
          };
        }
        if (out === null) continue;
        pluginsWithNodes.add(pl.name);
        nodeNames = intersect(nodeNames, out.nodeNames);
        if (nodeNames.size === 0) {
          const list = [...pluginsWithNodes].sort();
          const msg = list.length === 1
            ? `node(s) didn't satisfy plugin ${list[0]}`
            : `node(s) didn't satisfy plugin(s) [${list.join(" ")}] simultaneously`;
          return { nodeNames, status: unresolvable(msg), pluginsWithNodes };
        }
      }
      return { nodeNames, status: returnStatus, pluginsWithNodes };
    } finally {
      state.skipFilterPlugins = skipped;
    }
  }

  /**
   * Runs Filter for one node (upstream `RunFilterPlugins`): the first plugin that does not let
   * the pod through decides; a status that is not a rejection becomes an `Error`.
   */
  runFilterPlugins(state: CycleState, pod: Pod, nodeInfo: NodeInfo): PluginStatus | null {
    for (const pl of this.#filter) {
      if (state.skipFilterPlugins.has(pl.name)) continue;
      const s = pl.filter(state, pod, nodeInfo);
      if (!isSuccess(s)) return filterFailure(pl, s!);
    }
    return null;
  }

  /** {@linkcode Framework.runFilterPlugins} with the skipped plugins already left out. */
  #runFilters(
    state: CycleState,
    pod: Pod,
    nodeInfo: NodeInfo,
    filters: readonly FilterPlugin[],
  ): PluginStatus | null {
    for (let i = 0; i < filters.length; i++) {
      const pl = filters[i]!;
      const s = pl.filter(state, pod, nodeInfo);
      if (!isSuccess(s)) return filterFailure(pl, s!);
    }
    return null;
  }

  /**
   * Runs Filter counting the pods nominated to the node with at least the pod's priority (upstream
   * `RunFilterPluginsWithNominatedPods`): the pod must fit both with and without them.
   */
  runFilterPluginsWithNominatedPods(
    state: CycleState,
    pod: Pod,
    nodeInfo: NodeInfo,
  ): PluginStatus | null {
    const nominated = this.#nominator?.nominatedPodsForNode(nodeInfo.name) ?? [];
    const uid = pod.metadata?.uid ?? "";
    const relevant = nominated.filter((p) =>
      podPriority(p.pod) >= podPriority(pod) && (p.pod.metadata?.uid ?? "") !== uid
    );
    if (relevant.length === 0) return this.runFilterPlugins(state, pod, nodeInfo);
    const stateWith = state.clone();
    let infoWith = nodeInfo;
    for (const p of relevant) {
      infoWith = infoWith.withPod(p);
      const s = this.runPreFilterExtensionAddPod(stateWith, pod, {
        podInfo: p,
        nodeInfo: infoWith,
      });
      if (!isSuccess(s)) return s;
    }
    const first = this.runFilterPlugins(stateWith, pod, infoWith);
    if (!isSuccess(first)) return first;
    return this.runFilterPlugins(state, pod, nodeInfo);
  }

  /** Runs the PreFilter extensions' `addPod` (upstream `RunPreFilterExtensionAddPod`). */
  runPreFilterExtensionAddPod(
    state: CycleState,
    pod: Pod,
    change: PodChange,
  ): PluginStatus | null {
    for (const pl of this.#preFilter) {
      if (pl.preFilterExtensions === undefined || state.skipFilterPlugins.has(pl.name)) continue;
      const s = pl.preFilterExtensions.addPod(state, pod, change);
      if (!isSuccess(s)) {
        return errorStatus(
          `running AddPod on PreFilter plugin "${pl.name}": ${pluginStatusMessage(s)}`,
        );
      }
    }
    return null;
  }

  /** Runs the PreFilter extensions' `removePod` (upstream `RunPreFilterExtensionRemovePod`). */
  runPreFilterExtensionRemovePod(
    state: CycleState,
    pod: Pod,
    change: PodChange,
  ): PluginStatus | null {
    for (const pl of this.#preFilter) {
      if (pl.preFilterExtensions === undefined || state.skipFilterPlugins.has(pl.name)) continue;
      const s = pl.preFilterExtensions.removePod(state, pod, change);
      if (!isSuccess(s)) {
        return errorStatus(
          `running RemovePod on PreFilter plugin "${pl.name}": ${pluginStatusMessage(s)}`,
        );
      }
    }
    return null;
  }

  /**
   * Runs PostFilter until one succeeds or rejects for good (upstream `RunPostFilterPlugins`);
   * otherwise `Unschedulable` with every plugin's reasons.
   */
  runPostFilterPlugins(
    state: CycleState,
    pod: Pod,
    statuses: NodeToStatusReader,
  ): PostFilterResult {
    const reasons: string[] = [];
    let rejector = "";
    let nominated: string | undefined;
    for (const pl of this.#postFilter) {
      const r = pl.postFilter(state, pod, statuses);
      const s = r.status;
      if (isSuccess(s)) return r;
      if (s!.code === "UnschedulableAndUnresolvable") {
        return { ...r, status: withPlugin(s!, pl.name) };
      }
      if (!isRejected(s)) {
        return { status: withPlugin(errorStatus(pluginStatusMessage(s)), pl.name) };
      }
      if (r.nominatedNodeName !== undefined) nominated = r.nominatedNodeName;
      reasons.push(...s!.reasons);
      if (rejector === "") rejector = pl.name;
    }
    const status = withPlugin(newStatus("Unschedulable", ...reasons), rejector);
    return nominated === undefined ? { status } : { status, nominatedNodeName: nominated };
  }

  /** Runs PreScore (upstream `RunPreScorePlugins`); `Skip` skips the plugin's Score. */
  runPreScorePlugins(state: CycleState, pod: Pod, nodes: readonly NodeInfo[]): PluginStatus | null {
    const skipped = new Set<string>();
    try {
      for (const pl of this.#preScore) {
        const s = pl.preScore(state, pod, nodes);
        if (isSkip(s)) {
          skipped.add(pl.name);
          continue;
        }
        if (!isSuccess(s)) {
          return errorStatus(`running PreScore plugin "${pl.name}": ${pluginStatusMessage(s)}`);
        }
      }
      return null;
    } finally {
      state.skipScorePlugins = skipped;
    }
  }

  /**
   * Runs Score for every node, NormalizeScore for every plugin, then applies the weights
   * (upstream `RunScorePlugins`); a score outside 0–100 after normalization is an error.
   */
  runScorePlugins(
    state: CycleState,
    pod: Pod,
    nodes: readonly NodeInfo[],
  ): NodePluginScores[] | PluginStatus {
    const active = this.#scoreNodes(state, pod, nodes);
    if (!Array.isArray(active)) return active;
    const weighted = this.#scoreBuffers.weighted;
    const totals = this.#scoreBuffers.totals;
    const out: NodePluginScores[] = [];
    for (let n = 0; n < nodes.length; n++) {
      const scores: PluginScore[] = [];
      for (let a = 0; a < active.length; a++) {
        const name = this.#score[active[a]!]!.name;
        scores.push({ name, score: weighted[a * nodes.length + n]! });
      }
      out.push({ name: nodes[n]!.name, scores, totalScore: totals[n]! });
    }
    return out;
  }

  /**
   * Score, NormalizeScore and weights into the reused buffers: each active plugin's weighted
   * scores (plugin-major) and each node's total. Returns the active plugins' indices in
   * `#score`, or the error status. Nothing is allocated per node: raw scores go into a typed
   * array, and only plugins that normalize see `NodeScore` objects, reused from cycle to cycle.
   */
  #scoreNodes(state: CycleState, pod: Pod, nodes: readonly NodeInfo[]): number[] | PluginStatus {
    const plugins = this.#score;
    const active: number[] = [];
    for (let p = 0; p < plugins.length; p++) {
      if (!state.skipScorePlugins.has(plugins[p]!.name)) active.push(p);
    }
    const numNodes = nodes.length;
    const buffers = this.#scoreBuffers;
    buffers.reserve(active.length * numNodes, numNodes);
    const raw = buffers.weighted;
    for (let n = 0; n < numNodes; n++) {
      const info = nodes[n]!;
      for (let a = 0; a < active.length; a++) {
        const pl = plugins[active[a]!]!;
        const s = pl.score(state, pod, info);
        if (typeof s !== "number") {
          return errorStatus(
            `running Score plugins: plugin "${pl.name}" failed with: ${pluginStatusMessage(s)}`,
          );
        }
        raw[a * numNodes + n] = s;
      }
    }
    for (let a = 0; a < active.length; a++) {
      const pl = plugins[active[a]!]!;
      if (pl.normalizeScore === undefined) continue;
      const offset = a * numNodes;
      const view = buffers.nodeScores(active[a]!, { nodes, from: raw.subarray(offset) });
      const s = pl.normalizeScore(state, pod, view);
      if (!isSuccess(s)) {
        return errorStatus(
          `running Normalize on Score plugins: plugin "${pl.name}" failed with: ${
            pluginStatusMessage(s)
          }`,
        );
      }
      for (let n = 0; n < numNodes; n++) raw[offset + n] = view[n]!.score;
    }
    const weights = this.#scoreWeights;
    const totals = buffers.totals;
    for (let n = 0; n < numNodes; n++) {
      let total = 0;
      for (let a = 0; a < active.length; a++) {
        const i = a * numNodes + n;
        const score = raw[i]!;
        if (score > MAX_NODE_SCORE || score < MIN_NODE_SCORE) {
          return errorStatus(
            `applying score defaultWeights on Score plugins: plugin "${
              plugins[active[a]!]!.name
            }" returns an invalid score ${score}, it should in the range of [${MIN_NODE_SCORE}, ${MAX_NODE_SCORE}] after normalizing`,
          );
        }
        const weighted = score * weights[active[a]!]!;
        raw[i] = weighted;
        total += weighted;
      }
      totals[n] = total;
    }
    return active;
  }

  /** Runs Reserve (upstream `RunReservePluginsReserve`); stops at the first failure. */
  runReservePluginsReserve(state: CycleState, pod: Pod, nodeName: string): PluginStatus | null {
    for (const pl of this.#reserve) {
      const s = pl.reserve(state, pod, nodeName);
      if (isSuccess(s)) continue;
      if (isRejected(s)) return withPlugin(s!, pl.name);
      return errorStatus(`running Reserve plugin "${pl.name}": ${pluginStatusMessage(s)}`);
    }
    return null;
  }

  /** Runs Unreserve in reverse order (upstream `RunReservePluginsUnreserve`). */
  runReservePluginsUnreserve(state: CycleState, pod: Pod, nodeName: string): void {
    for (let i = this.#reserve.length - 1; i >= 0; i--) {
      this.#reserve[i]!.unreserve(state, pod, nodeName);
    }
  }

  /**
   * Runs Permit (upstream `RunPermitPlugins`): a rejection stops at once; `Wait` from any plugin
   * (none rejecting) gives a `Wait` status and each waiting plugin's timeout (at most 15 min).
   */
  runPermitPlugins(state: CycleState, pod: Pod, nodeName: string): PermitRun {
    const waiting = new Map<string, number>();
    for (const pl of this.#permit) {
      const r = pl.permit(state, pod, nodeName);
      const s = r.status;
      if (isSuccess(s)) continue;
      if (isRejected(s)) return { status: withPlugin(s!, pl.name), waitingPlugins: new Map() };
      if (isWait(s)) {
        waiting.set(pl.name, Math.min(r.timeoutMs ?? MAX_PERMIT_TIMEOUT_MS, MAX_PERMIT_TIMEOUT_MS));
        continue;
      }
      return {
        status: errorStatus(`running Permit plugin "${pl.name}": ${pluginStatusMessage(s)}`),
        waitingPlugins: new Map(),
      };
    }
    if (waiting.size > 0) {
      return {
        status: newStatus(
          "Wait",
          `one or more plugins asked to wait and no plugin rejected pod "${
            pod.metadata?.name ?? ""
          }"`,
        ),
        waitingPlugins: waiting,
      };
    }
    return { status: null, waitingPlugins: waiting };
  }

  /** Runs PreBind (upstream `RunPreBindPlugins`); stops at the first failure. */
  async runPreBindPlugins(
    state: CycleState,
    pod: Pod,
    nodeName: string,
  ): Promise<PluginStatus | null> {
    for (const pl of this.#preBind) {
      const s = await pl.preBind(state, pod, nodeName);
      if (isSuccess(s)) continue;
      if (isRejected(s)) return withPlugin(s!, pl.name);
      return errorStatus(`running PreBind plugin "${pl.name}": ${pluginStatusMessage(s)}`);
    }
    return null;
  }

  /**
   * Runs Bind until a plugin does not `Skip` (upstream `RunBindPlugins`); `Skip` when none is
   * enabled or all skip.
   */
  async runBindPlugins(
    state: CycleState,
    pod: Pod,
    nodeName: string,
  ): Promise<PluginStatus | null> {
    let status: PluginStatus | null = newStatus("Skip");
    for (const pl of this.#bind) {
      status = await pl.bind(state, pod, nodeName);
      if (isSkip(status)) continue;
      if (isSuccess(status)) return status;
      if (isRejected(status)) return withPlugin(status!, pl.name);
      return errorStatus(`running Bind plugin "${pl.name}": ${pluginStatusMessage(status)}`);
    }
    return status;
  }

  /** Runs PostBind. */
  runPostBindPlugins(state: CycleState, pod: Pod, nodeName: string): void {
    for (const pl of this.#postBind) pl.postBind(state, pod, nodeName);
  }

  /**
   * Chooses a node for `pod` (upstream `schedulePod`), or returns a {@linkcode FitError} when
   * none fits.
   *
   * @throws {Error} when a plugin returns an `Error` status.
   */
  schedulePod(pod: Pod, options: SchedulePodOptions): ScheduleResult | FitError {
    const snapshot = options.snapshot;
    const state = options.state ?? new CycleState();
    this.#snapshot = snapshot;
    const diagnosis = new Diagnosis();
    if (snapshot.numNodes === 0) return new FitError({ pod, numAllNodes: 0, diagnosis });
    const feasible = this.#findNodesThatFitPod(state, pod, diagnosis);
    if (feasible.length === 0) {
      return new FitError({ pod, numAllNodes: snapshot.numNodes, diagnosis });
    }
    const evaluatedNodes = feasible.length + diagnosis.nodeToStatus.size;
    if (feasible.length === 1) {
      return { suggestedHost: feasible[0]!.name, evaluatedNodes, feasibleNodes: 1 };
    }
    return {
      suggestedHost: this.#prioritizeNodes(state, pod, feasible),
      evaluatedNodes,
      feasibleNodes: feasible.length,
    };
  }

  #findNodesThatFitPod(state: CycleState, pod: Pod, diagnosis: Diagnosis): NodeInfo[] {
    const allNodes = this.#snapshot.list();
    const pre = this.runPreFilterPlugins(state, pod);
    for (const name of pre.pluginsWithNodes) diagnosis.unschedulablePlugins.add(name);
    if (!isSuccess(pre.status)) {
      const s = pre.status!;
      if (!isRejected(s)) fail(s);
      diagnosis.nodeToStatus.absentNodesStatus = s;
      diagnosis.preFilterMsg = pluginStatusMessage(s);
      diagnosis.addPluginStatus(s);
      return [];
    }
    const nominated = pod.status?.nominatedNodeName;
    if (nominated) {
      const info = this.#snapshot.get(nominated);
      if (info !== undefined) {
        const feasible = this.#findNodesThatPassFilters(state, pod, { diagnosis, nodes: [info] });
        if (feasible.length > 0) return feasible;
      }
    }
    let nodes: readonly NodeInfo[] = allNodes;
    if (pre.nodeNames !== null) {
      const picked: NodeInfo[] = [];
      for (const name of pre.nodeNames) {
        const info = this.#snapshot.get(name);
        if (info !== undefined) picked.push(info);
      }
      nodes = picked;
      const list = [...pre.pluginsWithNodes].sort().join(" ");
      diagnosis.nodeToStatus.absentNodesStatus = unresolvable(
        `node(s) didn't satisfy plugin(s) [${list}]`,
      );
    }
    const feasible = this.#findNodesThatPassFilters(state, pod, { diagnosis, nodes });
    const processed = feasible.length + diagnosis.nodeToStatus.size;
    this.#nextStartNodeIndex = (this.#nextStartNodeIndex + processed) % allNodes.length;
    return feasible;
  }

  #findNodesThatPassFilters(
    state: CycleState,
    pod: Pod,
    run: { readonly diagnosis: Diagnosis; readonly nodes: readonly NodeInfo[] },
  ): NodeInfo[] {
    const { diagnosis, nodes } = run;
    const numAllNodes = nodes.length;
    if (numAllNodes === 0) return [];
    let numNodesToFind = numFeasibleNodesToFind(numAllNodes, this.percentageOfNodesToScore);
    if (!this.hasScorePlugins()) numNodesToFind = 1;
    const start = this.#nextStartNodeIndex;
    // Sized once for the most it can hold: grown by push, it was copied five times on the way to
    // a few hundred nodes, every cycle.
    const feasible: NodeInfo[] = new Array(Math.min(numNodesToFind, numAllNodes));
    let found = 0;
    if (!this.hasFilterPlugins()) {
      for (; found < feasible.length; found++) {
        feasible[found] = nodes[(start + found) % numAllNodes]!;
      }
      return feasible;
    }
    const filters = this.#filter.filter((pl) => !state.skipFilterPlugins.has(pl.name));
    const nominator = this.#nominator;
    for (let i = 0; i < numAllNodes; i++) {
      const info = nodes[(start + i) % numAllNodes]!;
      // Most nodes have no nominated pods: filter them without the nominated-pods pass.
      const s = nominator === undefined || nominator.nominatedPodsForNode(info.name).length === 0
        ? this.#runFilters(state, pod, info, filters)
        : this.runFilterPluginsWithNominatedPods(state, pod, info);
      if (isSuccess(s)) {
        feasible[found++] = info;
        if (found >= numNodesToFind) break;
        continue;
      }
      if (s!.code === "Error") fail(s!);
      diagnosis.nodeToStatus.set(info.name, s!);
      diagnosis.addPluginStatus(s!);
    }
    feasible.length = found;
    return feasible;
  }

  /** PreScore, Score and the host with the highest total (upstream `prioritizeNodes` + `selectHost`). */
  #prioritizeNodes(state: CycleState, pod: Pod, nodes: readonly NodeInfo[]): string {
    if (!this.hasScorePlugins()) {
      return selectHost(
        nodes.map((n) => ({ name: n.name, scores: [], totalScore: 1 })),
        this.#random,
      );
    }
    const pre = this.runPreScorePlugins(state, pod, nodes);
    if (!isSuccess(pre)) fail(pre!);
    const active = this.#scoreNodes(state, pod, nodes);
    if (!Array.isArray(active)) fail(active);
    return nodes[
      selectHostIndex(this.#scoreBuffers.totals, { length: nodes.length, random: this.#random })
    ]!.name;
  }
}

/**
 * The framework for `profile`: each enabled plugin built by its factory with its args (which
 * the factory validates), registered at every extension point it implements.
 *
 * @throws {TypeError} for an invalid profile, an unknown plugin or invalid plugin args.
 */
export function newFramework(profile: Profile, options: FrameworkOptions): Framework {
  return new Framework(profile, options);
}
