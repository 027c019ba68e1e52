/**
 * DefaultPreemption (PostFilter): when a pod fits no node, look for a node where evicting pods
 * of lower priority would make room, nominate the pod to it and have the victims evicted.
 *
 * 1. Eligibility: a pod with `preemptionPolicy: Never` never preempts, nor does one whose
 *    nominated node still has a lower-priority pod terminating because of an earlier preemption.
 * 2. Candidates: only nodes that Filter rejected as `Unschedulable` (not
 *    `UnschedulableAndUnresolvable`). On a copy of each, every lower-priority pod is removed (the
 *    PreFilter extensions are told) and the pod filtered again; if it fits, the victims are
 *    reprieved one by one, most important first, those whose eviction would break a
 *    PodDisruptionBudget before the others; a pod that cannot come back stays a victim (and a
 *    PDB violation if it breaks a budget). Dry runs start at a random node and stop once
 *    {@linkcode calculateNumCandidates} candidates are found, at least one of them breaking no
 *    budget.
 * 3. The best candidate is picked by {@linkcode pickOneNodeForPreemption}.
 * 4. The result nominates the pod to the node; the framework handle's {@linkcode Preemptor}
 *    evicts the victims and clears the nominations of lower-priority pods on that node.
 *
 * When no node would do, the status carries upstream's summary, `preemption: 0/3 nodes are
 * available: 3 No preemption victims found for incoming pod.`, which the scheduler appends to the
 * FitError with its `setPostFilterMessage`.
 *
 * How the scheduler uses it: build the framework with `preemptor` (and `podDisruptionBudgets`,
 * `podNominator`) in its options; after a `FitError`, call
 * `framework.runPostFilterPlugins(state, pod, fitError.diagnosis.nodeToStatus)` with the cycle's
 * state, then `fitError.setPostFilterMessage(pluginStatusMessage(result.status))`; when
 * `result.nominatedNodeName` is set, nominate the pod to it (`""` clears the nomination) in the
 * queue and in `status.nominatedNodeName`. {@linkcode Preemptor.preempt}, called during
 * PostFilter, must mark the preemptor as preempting at once, then asynchronously clear
 * `nominatedNodeName` of `nominatedPodsToClear`, and for each victim (all but the last, then stop
 * reporting {@linkcode Preemptor.isPreempting}, then the last, so its deletion event can requeue
 * the pod) patch {@linkcode disruptionTargetCondition} into its status, delete it (a NotFound is
 * fine) and record {@linkcode preemptedEvent}. The plugin's `preEnqueue` keeps the pod out of
 * activeQ while its preemption is under way; pass the plugin to the queue's `preEnqueuePlugins`.
 *
 * @example Pick the node whose victims matter least
 * ```ts
 * import assert from "node:assert/strict";
 * import { pickOneNodeForPreemption } from "./default_preemption.ts";
 *
 * const pod = (name: string, priority: number) => ({ metadata: { name }, spec: { containers: [], priority } });
 * const best = pickOneNodeForPreemption([
 *   { nodeName: "a", victims: [pod("a1", 100)], numPdbViolations: 0 },
 *   { nodeName: "b", victims: [pod("b1", 10), pod("b2", 10)], numPdbViolations: 0 },
 * ]);
 * assert.equal(best?.nodeName, "b");
 * ```
 *
 * @module
 */
import { z } from "zod";
import type { Pod, PodCondition } from "../../api/types/core_v1_pod.ts";
import type { PodDisruptionBudget } from "../../api/types/policy_v1.ts";
import type { CycleState } from "../cycle_state.ts";
import { Diagnosis, fitErrorMessage, NodeToStatus, type NodeToStatusReader } from "../fit_error.ts";
import type {
  FrameworkHandle,
  PluginsRunner,
  PostFilterPlugin,
  PostFilterResult,
  Preemption,
  Preemptor,
} from "../framework.ts";
import { type CompiledLabelSelector, compileLabelSelector } from "../../client/label_selector.ts";
import type { NodeInfo, PodInfo } from "../node_info.ts";
import { DEFAULT_PROFILE_NAME } from "../profile.ts";
import type { Snapshot } from "../snapshot.ts";
import {
  errorStatus,
  isSuccess,
  newStatus,
  type PluginStatus,
  pluginStatusMessage,
  unresolvable,
  unschedulable,
} from "../status.ts";
import { parseArgs } from "./_args.ts";

/** The plugin's name. */
export const NAME = "DefaultPreemption";

/** What every message of the plugin starts with. */
export const MESSAGE_PREFIX = "preemption: ";
/** A node with no lower-priority pod to evict. */
export const ERR_NO_VICTIMS = "No preemption victims found for incoming pod";
/** The nodes preemption did not try (their filter status was not `Unschedulable`). */
export const ERR_NOT_HELPFUL = "Preemption is not helpful for scheduling";
/** Why a pod with `preemptionPolicy: Never` does not preempt. */
export const REASON_PREEMPT_NEVER = "not eligible due to preemptionPolicy=Never.";
/** Why a pod whose earlier victims are still terminating does not preempt again. */
export const REASON_TERMINATING_VICTIM =
  "not eligible due to a terminating pod on the nominated node.";
/** Why `preEnqueue` keeps a pod whose preemption is under way out of activeQ. */
export const REASON_PREEMPTION_RUNNING = "waiting for the preemption for this pod to be finished";

/** The condition type set on victims. */
export const DISRUPTION_TARGET = "DisruptionTarget";
/** The reason of the victims' `DisruptionTarget` condition. */
export const REASON_PREEMPTION_BY_SCHEDULER = "PreemptionByScheduler";

/** Upstream's default `minCandidateNodesPercentage`. */
export const DEFAULT_MIN_CANDIDATE_NODES_PERCENTAGE = 10;
/** Upstream's default `minCandidateNodesAbsolute`. */
export const DEFAULT_MIN_CANDIDATE_NODES_ABSOLUTE = 100;

/** `DefaultPreemptionArgs`. */
export const ArgsSchema = z.object({
  /** The share of the nodes (0–100) to dry-run at least. */
  minCandidateNodesPercentage: z.number().int()
    .min(0, "not in valid range [0, 100]")
    .max(100, "not in valid range [0, 100]")
    .default(DEFAULT_MIN_CANDIDATE_NODES_PERCENTAGE),
  /** The number of nodes to dry-run at least. */
  minCandidateNodesAbsolute: z.number().int()
    .min(0, "not in valid range [0, inf)")
    .default(DEFAULT_MIN_CANDIDATE_NODES_ABSOLUTE),
}).strict().superRefine((args, ctx) => {
  if (args.minCandidateNodesPercentage === 0 && args.minCandidateNodesAbsolute === 0) {
    ctx.addIssue({
      code: "custom",
      path: ["minCandidateNodesPercentage"],
      message: "cannot be zero at the same time as minCandidateNodesAbsolute",
    });
    ctx.addIssue({
      code: "custom",
      path: ["minCandidateNodesAbsolute"],
      message: "cannot be zero at the same time as minCandidateNodesPercentage",
    });
  }
}).optional();

/** The plugin's args, defaults applied. */
export interface DefaultPreemptionArgs {
  readonly minCandidateNodesPercentage: number;
  readonly minCandidateNodesAbsolute: number;
}

/** A node the pod fits on once its victims are gone (upstream `Candidate`). */
export interface Candidate {
  /** The node. */
  readonly nodeName: string;
  /** The pods to evict, most important first. */
  readonly victims: readonly Pod[];
  /** How many victims are evicted against a PodDisruptionBudget. */
  readonly numPdbViolations: number;
}

/** The pod's priority (`spec.priority`, 0 when unset). */
export function podPriority(pod: Pod): number {
  return pod.spec?.priority ?? 0;
}

/** When the pod started, in ms; a pod not started yet counts as starting now (after all others). */
export function podStartTimeMs(pod: Pod): number {
  const start = pod.status?.startTime;
  if (start === undefined) return Infinity;
  const ms = Date.parse(start);
  return Number.isNaN(ms) ? Infinity : ms;
}

/**
 * Whether `a` is more important than `b` (upstream `MoreImportantPod`): higher priority, or the
 * same priority and running longer.
 */
export function moreImportantPod(a: Pod, b: Pod): boolean {
  const pa = podPriority(a);
  const pb = podPriority(b);
  if (pa !== pb) return pa > pb;
  return podStartTimeMs(a) < podStartTimeMs(b);
}

function byImportance<T extends { readonly pod: Pod }>(a: T, b: T): number {
  if (moreImportantPod(a.pod, b.pod)) return -1;
  return moreImportantPod(b.pod, a.pod) ? 1 : 0;
}

/** Whether the pod is terminating because the scheduler preempted it. */
export function podTerminatingByPreemption(pod: Pod): boolean {
  if (!pod.metadata?.deletionTimestamp) return false;
  const condition = pod.status?.conditions?.find((c) => c.type === DISRUPTION_TARGET);
  return condition !== undefined && condition.status === "True" &&
    condition.reason === REASON_PREEMPTION_BY_SCHEDULER;
}

/** What {@linkcode podEligibleToPreemptOthers} looks at besides the pod. */
export interface EligibilityInput {
  /** The cycle's snapshot. */
  readonly snapshot: Snapshot;
  /** The filter status of the pod's nominated node. */
  readonly nominatedNodeStatus: PluginStatus;
}

/**
 * Why `pod` may not preempt (upstream `PodEligibleToPreemptOthers`), or `null` when it may: its
 * `preemptionPolicy` is `Never`, or its nominated node (unless no longer suitable at all) still
 * has a lower-priority pod terminating by preemption.
 */
export function podEligibleToPreemptOthers(pod: Pod, input: EligibilityInput): string | null {
  if (pod.spec?.preemptionPolicy === "Never") return REASON_PREEMPT_NEVER;
  const nominated = pod.status?.nominatedNodeName ?? "";
  if (nominated === "") return null;
  if (input.nominatedNodeStatus.code === "UnschedulableAndUnresolvable") return null;
  const info = input.snapshot.get(nominated);
  if (info === undefined) return null;
  const priority = podPriority(pod);
  for (const p of info.pods) {
    if (podPriority(p.pod) < priority && podTerminatingByPreemption(p.pod)) {
      return REASON_TERMINATING_VICTIM;
    }
  }
  return null;
}

/**
 * How many candidates the dry runs look for (upstream `calculateNumCandidates`):
 * `minCandidateNodesPercentage` of the nodes, at least `minCandidateNodesAbsolute`, at most all.
 */
export function calculateNumCandidates(numNodes: number, args: DefaultPreemptionArgs): number {
  let n = Math.trunc(numNodes * args.minCandidateNodesPercentage / 100);
  if (n < args.minCandidateNodesAbsolute) n = args.minCandidateNodesAbsolute;
  return n > numNodes ? numNodes : n;
}

/** A PDB's selector compiled once; `null` when it selects nothing (null, empty or invalid). */
const pdbSelectors = new WeakMap<PodDisruptionBudget, CompiledLabelSelector | null>();

function pdbSelector(pdb: PodDisruptionBudget): CompiledLabelSelector | null {
  let selector = pdbSelectors.get(pdb);
  if (selector === undefined) {
    try {
      const compiled = compileLabelSelector(pdb.spec?.selector);
      selector = compiled.isNothing || compiled.isEmpty ? null : compiled;
    } catch {
      selector = null;
    }
    pdbSelectors.set(pdb, selector);
  }
  return selector;
}

/** Pods split by whether evicting them, in order, breaks a PodDisruptionBudget. */
export interface PdbSplit<T> {
  readonly violating: T[];
  readonly nonViolating: T[];
}

/**
 * Splits `podInfos`, keeping their order, into those whose eviction would take a matching
 * budget below zero disruptions allowed and the others (upstream `filterPodsWithPDBViolation`).
 * Each pod spends one disruption of every budget in its namespace whose (non-empty) selector
 * matches it, unless the budget already lists it in `status.disruptedPods`.
 */
export function filterPodsWithPdbViolation<T extends { readonly pod: Pod }>(
  podInfos: readonly T[],
  pdbs: readonly PodDisruptionBudget[],
): PdbSplit<T> {
  const allowed = pdbs.map((pdb) => pdb.status?.disruptionsAllowed ?? 0);
  const violating: T[] = [];
  const nonViolating: T[] = [];
  for (const info of podInfos) {
    const meta = info.pod.metadata;
    const labels = meta?.labels;
    let violated = false;
    if (labels !== undefined && Object.keys(labels).length > 0) {
      pdbs.forEach((pdb, i) => {
        if ((pdb.metadata?.namespace ?? "") !== (meta?.namespace ?? "")) return;
        const selector = pdbSelector(pdb);
        if (selector === null || !selector.matches(labels)) return;
        const disrupted = pdb.status?.disruptedPods;
        if (disrupted !== undefined && Object.hasOwn(disrupted, meta?.name ?? "")) return;
        allowed[i]!--;
        if (allowed[i]! < 0) violated = true;
      });
    }
    (violated ? violating : nonViolating).push(info);
  }
  return { violating, nonViolating };
}

/** What {@linkcode selectVictimsOnNode} works on. */
export interface SelectVictimsInput {
  /** A copy of the cycle state, changed by the dry run. */
  readonly state: CycleState;
  /** The preemptor. */
  readonly pod: Pod;
  /** The node (immutable: the dry run works on its own versions). */
  readonly nodeInfo: NodeInfo;
  /** Every PodDisruptionBudget. */
  readonly pdbs: readonly PodDisruptionBudget[];
}

/** What {@linkcode selectVictimsOnNode} found. */
export interface NodeVictims {
  /** `null` when the pod fits once the victims are gone; otherwise why not. */
  readonly status: PluginStatus | null;
  /** The pods to evict, most important first. */
  readonly victims: readonly Pod[];
  /** How many of them are evicted against a budget. */
  readonly numPdbViolations: number;
}

function failed(status: PluginStatus): NodeVictims {
  return { status, victims: [], numPdbViolations: 0 };
}

/**
 * The fewest pods to evict from the node for `pod` to fit (upstream `SelectVictimsOnNode`):
 * every lower-priority pod is removed and the pod filtered (with nominated pods); then the
 * removed pods come back one by one, most important first (budget-breaking ones before the
 * others), and those without which the pod no longer fits are the victims.
 */
export function selectVictimsOnNode(input: SelectVictimsInput, runner: PluginsRunner): NodeVictims {
  const { state, pod } = input;
  let nodeInfo = input.nodeInfo;
  const priority = podPriority(pod);
  const removePod = (p: PodInfo): PluginStatus | null => {
    const without = nodeInfo.withoutPod(p.key);
    if (without === null) {
      return errorStatus(`pod "${p.key}" is not on node "${nodeInfo.name}"`);
    }
    nodeInfo = without;
    const s = runner.runPreFilterExtensionRemovePod(state, pod, { podInfo: p, nodeInfo });
    return isSuccess(s) ? null : s;
  };
  const addPod = (p: PodInfo): PluginStatus | null => {
    nodeInfo = nodeInfo.withPod(p);
    const s = runner.runPreFilterExtensionAddPod(state, pod, { podInfo: p, nodeInfo });
    return isSuccess(s) ? null : s;
  };
  const potential = nodeInfo.pods.filter((p) => podPriority(p.pod) < priority);
  for (const p of potential) {
    const s = removePod(p);
    if (s !== null) return failed(s);
  }
  if (potential.length === 0) return failed(unresolvable(ERR_NO_VICTIMS));
  const fits = runner.runFilterPluginsWithNominatedPods(state, pod, nodeInfo);
  if (!isSuccess(fits)) return failed(fits!);

  potential.sort(byImportance);
  const { violating, nonViolating } = filterPodsWithPdbViolation(potential, input.pdbs);
  const victims: PodInfo[] = [];
  let numPdbViolations = 0;
  /** Puts `p` back; `true` if the pod still fits, else `p` is removed again as a victim. */
  const reprieve = (p: PodInfo): boolean | PluginStatus => {
    const added = addPod(p);
    if (added !== null) return added;
    if (isSuccess(runner.runFilterPluginsWithNominatedPods(state, pod, nodeInfo))) return true;
    const removed = removePod(p);
    if (removed !== null) return removed;
    victims.push(p);
    return false;
  };
  for (const p of violating) {
    const r = reprieve(p);
    if (typeof r !== "boolean") return failed(r);
    if (!r) numPdbViolations++;
  }
  for (const p of nonViolating) {
    const r = reprieve(p);
    if (typeof r !== "boolean") return failed(r);
  }
  if (violating.length > 0 && nonViolating.length > 0) victims.sort(byImportance);
  return { status: null, victims: victims.map((p) => p.pod), numPdbViolations };
}

/** What {@linkcode dryRunPreemption} works on. */
export interface DryRunInput {
  /** The cycle state (cloned for each node). */
  readonly state: CycleState;
  /** The preemptor. */
  readonly pod: Pod;
  /** The nodes to try. */
  readonly potentialNodes: readonly NodeInfo[];
  /** Every PodDisruptionBudget. */
  readonly pdbs: readonly PodDisruptionBudget[];
  /** The index in `potentialNodes` to start at (then round). */
  readonly offset: number;
  /** How many candidates to look for. */
  readonly numCandidates: number;
}

/** What {@linkcode dryRunPreemption} found. */
export interface DryRunResult {
  /** Candidates breaking no budget first, then the others. */
  readonly candidates: readonly Candidate[];
  /** Why each node tried and not a candidate is not one. */
  readonly nodeStatuses: NodeToStatus;
  /** The messages of `Error` statuses. */
  readonly errors: readonly string[];
}

/**
 * Runs {@linkcode selectVictimsOnNode} over the nodes from `offset` on (upstream
 * `DryRunPreemption`), until `numCandidates` are found with at least one breaking no budget; at
 * most `numCandidates` of each kind are kept.
 */
export function dryRunPreemption(input: DryRunInput, runner: PluginsRunner): DryRunResult {
  const nodes = input.potentialNodes;
  const nonViolating: Candidate[] = [];
  const violating: Candidate[] = [];
  const nodeStatuses = new NodeToStatus();
  const errors: string[] = [];
  for (let i = 0; i < nodes.length; i++) {
    const nodeInfo = nodes[(input.offset + i) % nodes.length]!;
    const r = selectVictimsOnNode({
      state: input.state.clone(),
      pod: input.pod,
      nodeInfo,
      pdbs: input.pdbs,
    }, runner);
    let status = r.status;
    if (isSuccess(status)) {
      if (r.victims.length > 0) {
        const list = r.numPdbViolations === 0 ? nonViolating : violating;
        if (list.length < input.numCandidates) {
          list.push({
            nodeName: nodeInfo.name,
            victims: r.victims,
            numPdbViolations: r.numPdbViolations,
          });
        }
        if (
          nonViolating.length > 0 && nonViolating.length + violating.length >= input.numCandidates
        ) {
          break;
        }
        continue;
      }
      status = errorStatus(`expected at least one victim pod on node "${nodeInfo.name}"`);
    }
    if (status!.code === "Error") errors.push(pluginStatusMessage(status));
    nodeStatuses.set(nodeInfo.name, status!);
  }
  return { candidates: [...nonViolating, ...violating], nodeStatuses, errors };
}

/** The earliest start among the victims of the highest priority (upstream `GetEarliestPodStartTime`). */
function earliestStartOfMostImportant(victims: readonly Pod[]): number {
  let earliest = Infinity;
  let maxPriority = -Infinity;
  for (const pod of victims) {
    const p = podPriority(pod);
    if (p > maxPriority) {
      maxPriority = p;
      earliest = podStartTimeMs(pod);
    } else if (p === maxPriority) {
      earliest = Math.min(earliest, podStartTimeMs(pod));
    }
  }
  return earliest;
}

/** Priorities are shifted by 2^31 so that more victims of negative priority never sum lower. */
const PRIORITY_SHIFT = 2 ** 31;

const CRITERIA: readonly ((c: Candidate) => number)[] = [
  (c) => -c.numPdbViolations,
  (c) => -podPriority(c.victims[0]!),
  (c) => -c.victims.reduce((sum, pod) => sum + podPriority(pod) + PRIORITY_SHIFT, 0),
  (c) => -c.victims.length,
  (c) => earliestStartOfMostImportant(c.victims),
];

/**
 * The best candidate (upstream `pickOneNodeForPreemption`), each criterion breaking the ties of
 * the one before: fewest PDB violations; lowest priority of the most important victim; smallest
 * sum of victim priorities; fewest victims; latest start of the most important victims; the
 * first. `undefined` when there are none. Every candidate must have a victim.
 */
export function pickOneNodeForPreemption(candidates: readonly Candidate[]): Candidate | undefined {
  let remaining = candidates;
  for (const score of CRITERIA) {
    if (remaining.length <= 1) break;
    let best = -Infinity;
    let selected: Candidate[] = [];
    for (const c of remaining) {
      const s = score(c);
      if (s > best) {
        best = s;
        selected = [c];
      } else if (s === best) {
        selected.push(c);
      }
    }
    remaining = selected;
  }
  return remaining[0];
}

/**
 * The `DisruptionTarget` condition the scheduler sets on a victim before deleting it, with
 * `lastTransitionTime` `now` (RFC 3339).
 */
export function disruptionTargetCondition(preemptor: Pod, now: string): PodCondition {
  const scheduler = preemptor.spec?.schedulerName || DEFAULT_PROFILE_NAME;
  return {
    type: DISRUPTION_TARGET,
    status: "True",
    lastTransitionTime: now,
    reason: REASON_PREEMPTION_BY_SCHEDULER,
    message: `${scheduler}: preempting to accommodate a higher priority pod`,
  };
}

/** The event recorded on a victim (regarding the victim, related to the preemptor). */
export interface PreemptedEvent {
  readonly type: "Normal";
  readonly reason: "Preempted";
  readonly action: "Preempting";
  readonly message: string;
}

/** The `Preempted` event for a victim of `preemption`. */
export function preemptedEvent(preemption: Preemption): PreemptedEvent {
  const uid = preemption.preemptor.metadata?.uid ?? "";
  return {
    type: "Normal",
    reason: "Preempted",
    action: "Preempting",
    message: `Preempted by pod ${uid} on node ${preemption.nodeName}`,
  };
}

/** The DefaultPreemption plugin: PostFilter, plus a PreEnqueue gate for the scheduling queue. */
export interface DefaultPreemptionPlugin extends PostFilterPlugin {
  /** The args, defaults applied. */
  readonly args: DefaultPreemptionArgs;
  /** Keeps the pod out of activeQ while the preemption it started is under way. */
  preEnqueue(pod: Pod): PluginStatus | null;
}

function podUid(pod: Pod): string {
  const meta = pod.metadata;
  return meta?.uid || `${meta?.namespace ?? ""}/${meta?.name ?? ""}`;
}

function runnerOf(handle: FrameworkHandle): PluginsRunner | undefined {
  const { runFilterPluginsWithNominatedPods, runPreFilterExtensionAddPod } = handle;
  const { runPreFilterExtensionRemovePod } = handle;
  if (
    runFilterPluginsWithNominatedPods === undefined || runPreFilterExtensionAddPod === undefined ||
    runPreFilterExtensionRemovePod === undefined
  ) {
    return undefined;
  }
  return {
    runFilterPluginsWithNominatedPods: (s, p, n) =>
      handle.runFilterPluginsWithNominatedPods!(s, p, n),
    runPreFilterExtensionAddPod: (s, p, c) => handle.runPreFilterExtensionAddPod!(s, p, c),
    runPreFilterExtensionRemovePod: (s, p, c) => handle.runPreFilterExtensionRemovePod!(s, p, c),
  };
}

/**
 * The DefaultPreemption plugin; args: `{ minCandidateNodesPercentage?, minCandidateNodesAbsolute? }`
 * (defaults 10 and 100). Reads the snapshot, the plugin runner, nominated pods, PDBs, the
 * preemptor and the random source from `handle` when it runs.
 *
 * @throws {TypeError} for invalid args.
 */
export function newDefaultPreemption(
  args: unknown,
  handle: FrameworkHandle,
): DefaultPreemptionPlugin {
  const parsed = parseArgs(NAME, { schema: ArgsSchema, args });
  const pluginArgs: DefaultPreemptionArgs = Object.freeze({
    minCandidateNodesPercentage: parsed?.minCandidateNodesPercentage ??
      DEFAULT_MIN_CANDIDATE_NODES_PERCENTAGE,
    minCandidateNodesAbsolute: parsed?.minCandidateNodesAbsolute ??
      DEFAULT_MIN_CANDIDATE_NODES_ABSOLUTE,
  });

  function preempt(state: CycleState, pod: Pod, statuses: NodeToStatusReader): PostFilterResult {
    const snapshot = handle.snapshot();
    const reason = podEligibleToPreemptOthers(pod, {
      snapshot,
      nominatedNodeStatus: statuses.get(pod.status?.nominatedNodeName ?? ""),
    });
    if (reason !== null) return { status: unschedulable(reason) };
    const allNodes = snapshot.list();
    if (allNodes.length === 0) return { status: errorStatus("no nodes available") };
    const runner = runnerOf(handle);
    if (runner === undefined) {
      return { status: errorStatus("the framework handle cannot run filter plugins") };
    }
    const potentialNodes = allNodes.filter((n) => statuses.get(n.name).code === "Unschedulable");
    let run: DryRunResult = { candidates: [], nodeStatuses: new NodeToStatus(), errors: [] };
    if (potentialNodes.length > 0) {
      const random = handle.random?.() ?? Math.random();
      run = dryRunPreemption({
        state,
        pod,
        potentialNodes,
        pdbs: handle.podDisruptionBudgets?.() ?? [],
        offset: Math.min(Math.floor(random * potentialNodes.length), potentialNodes.length - 1),
        numCandidates: calculateNumCandidates(potentialNodes.length, pluginArgs),
      }, runner);
    }
    if (run.candidates.length === 0) {
      if (run.errors.length === 1) return { status: errorStatus(run.errors[0]) };
      if (run.errors.length > 1) return { status: errorStatus(`[${run.errors.join(", ")}]`) };
      const diagnosis = new Diagnosis();
      for (const [name, s] of run.nodeStatuses.entries()) diagnosis.nodeToStatus.set(name, s);
      diagnosis.nodeToStatus.absentNodesStatus = unresolvable(ERR_NOT_HELPFUL);
      return {
        status: unschedulable(fitErrorMessage(allNodes.length, diagnosis)),
        nominatedNodeName: "",
      };
    }
    const best = run.candidates.length === 1
      ? run.candidates[0]!
      : pickOneNodeForPreemption(run.candidates)!;
    const victims = best.victims.filter((v) => !v.metadata?.deletionTimestamp);
    if (victims.length > 0) {
      const preemptor: Preemptor | undefined = handle.preemptor?.();
      if (preemptor === undefined) {
        return { status: errorStatus("no preemptor to evict the victims") };
      }
      const priority = podPriority(pod);
      const nominatedPodsToClear = (handle.nominatedPodsForNode?.(best.nodeName) ?? [])
        .filter((p) => podPriority(p.pod) < priority)
        .map((p) => p.pod);
      preemptor.preempt({ preemptor: pod, nodeName: best.nodeName, victims, nominatedPodsToClear });
    }
    return { status: newStatus("Success"), nominatedNodeName: best.nodeName };
  }

  return {
    name: NAME,
    args: pluginArgs,
    postFilter(state, pod, statuses) {
      const result = preempt(state, pod, statuses);
      const message = pluginStatusMessage(result.status);
      if (message === "" || result.status === null) return result;
      return { ...result, status: newStatus(result.status.code, MESSAGE_PREFIX + message) };
    },
    preEnqueue(pod) {
      const running = handle.preemptor?.()?.isPreempting?.(podUid(pod)) ?? false;
      return running ? unresolvable(REASON_PREEMPTION_RUNNING) : null;
    },
  };
}
