/**
 * PodTopologySpread: spreads the pods a constraint selects across the domains of a topology key
 * (nodes sharing a label value). With `whenUnsatisfiable: DoNotSchedule`, a node is rejected
 * when placing the pod there would make its domain exceed the emptiest eligible domain by more
 * than `maxSkew` (the emptiest counting as 0 while fewer than `minDomains` domains exist); with
 * `ScheduleAnyway`, nodes in domains with fewer matching pods score higher.
 *
 * Only nodes with every constraint's topology key count, and among them, per constraint, those
 * matching the pod's node affinity (`nodeAffinityPolicy: Honor`, the default) and whose taints
 * it tolerates (`nodeTaintsPolicy: Honor`; `Ignore` is the default). Pods counted are those of
 * the pod's namespace, not terminating, selected by the constraint's `labelSelector` plus the
 * pod's own values of `matchLabelKeys`.
 *
 * A pod without constraints gets the default ones (`defaultingType: System`: hostname maxSkew
 * 3 and zone maxSkew 5, both ScheduleAnyway) with a selector built from the Services,
 * ReplicationControllers, ReplicaSets and StatefulSets that select or own it. That needs the
 * framework handle's `workloadListers`; without them default spreading does nothing.
 *
 * PreFilter counts matching pods per domain once and keeps, per constraint, the two emptiest
 * domains (upstream's critical paths), so Filter is a few map lookups per node.
 *
 * @module
 */
import { z } from "zod";
import type { LabelSelector } from "../../api/types/meta_v1.ts";
import type { Node } from "../../api/types/core_v1_node.ts";
import type { Pod, TopologySpreadConstraint } from "../../api/types/core_v1_pod.ts";
import { type CycleState, stateKey } from "../cycle_state.ts";
import type {
  FilterPlugin,
  FrameworkHandle,
  NodeScore,
  PodChange,
  PreFilterExtensions,
  PreFilterOutcome,
  PreFilterPlugin,
  PreScorePlugin,
  ScorePlugin,
  WorkloadListers,
} from "../framework.ts";
import { MAX_NODE_SCORE } from "../framework.ts";
import {
  CompiledLabelSelector,
  compileLabelSelector,
  labelSelectorFromSet,
  type LabelSet,
  type SelectorRequirement,
} from "../../client/label_selector.ts";
import type { NodeInfo, PodInfo } from "../node_info.ts";
import { type RequiredNodeAffinity, requiredNodeAffinity } from "../../client/node_selector.ts";
import { errorStatus, type PluginStatus, skip, unresolvable, unschedulable } from "../status.ts";
import { findUntoleratedTaint } from "../../client/tolerations.ts";
import { parseArgs } from "./_args.ts";

/** The plugin's name. */
export const NAME = "PodTopologySpread";

/** The reason a node whose domain would exceed `maxSkew` is rejected. */
export const ERR_REASON_CONSTRAINTS_NOT_MATCH =
  "node(s) didn't match pod topology spread constraints";

/** The reason a node without a constraint's topology key is rejected. */
export const ERR_REASON_NODE_LABEL_NOT_MATCH =
  `${ERR_REASON_CONSTRAINTS_NOT_MATCH} (missing required label)`;

/** The well-known hostname label. */
export const LABEL_HOSTNAME = "kubernetes.io/hostname";

/** The well-known zone label. */
export const LABEL_TOPOLOGY_ZONE = "topology.kubernetes.io/zone";

/** The constraints `defaultingType: System` applies to pods without their own. */
export const SYSTEM_DEFAULT_CONSTRAINTS: readonly TopologySpreadConstraint[] = Object.freeze(
  [
    Object.freeze({ maxSkew: 3, topologyKey: LABEL_HOSTNAME, whenUnsatisfiable: "ScheduleAnyway" }),
    Object.freeze({
      maxSkew: 5,
      topologyKey: LABEL_TOPOLOGY_ZONE,
      whenUnsatisfiable: "ScheduleAnyway",
    }),
  ] as const,
);

const POLICY = z.enum(["Honor", "Ignore"]);

const DefaultConstraintSchema = z.object({
  maxSkew: z.number().int().min(1, "must be greater than zero"),
  topologyKey: z.string().min(1, "can not be empty"),
  whenUnsatisfiable: z.enum(["DoNotSchedule", "ScheduleAnyway"]),
  minDomains: z.number().int().min(1).optional(),
  nodeAffinityPolicy: POLICY.optional(),
  nodeTaintsPolicy: POLICY.optional(),
  matchLabelKeys: z.array(z.string()).optional(),
}).strict();

/** `PodTopologySpreadArgs`: default constraints and how they are chosen. */
export const ArgsSchema = z.object({
  /** Constraints for pods without their own (only with `defaultingType: List`); no selectors. */
  defaultConstraints: z.array(DefaultConstraintSchema).optional(),
  /** `System` (upstream's default): {@linkcode SYSTEM_DEFAULT_CONSTRAINTS}; `List`: the given ones. */
  defaultingType: z.enum(["System", "List"]).optional(),
}).strict().superRefine((args, ctx) => {
  const list = args.defaultConstraints ?? [];
  if ((args.defaultingType ?? "System") === "System" && list.length > 0) {
    ctx.addIssue({
      code: "custom",
      path: ["defaultConstraints"],
      message: 'must be empty when defaultingType is "System"',
    });
  }
  const seen = new Set<string>();
  list.forEach((c, i) => {
    const pair = `${c.topologyKey}/${c.whenUnsatisfiable}`;
    if (seen.has(pair)) {
      ctx.addIssue({
        code: "custom",
        path: ["defaultConstraints", i],
        message: `duplicate {${c.topologyKey}, ${c.whenUnsatisfiable}}`,
      });
    }
    seen.add(pair);
  });
}).optional();

/** The plugin's args. */
export type PodTopologySpreadArgs = z.infer<typeof ArgsSchema>;

/** A constraint with its selector compiled (upstream `topologySpreadConstraint`). */
export interface SpreadConstraint {
  readonly maxSkew: number;
  readonly topologyKey: string;
  readonly selector: CompiledLabelSelector;
  readonly minDomains: number;
  readonly nodeAffinityPolicy: "Honor" | "Ignore";
  readonly nodeTaintsPolicy: "Honor" | "Ignore";
}

/**
 * The constraints of `constraints` with `whenUnsatisfiable === action`, compiled, with the
 * pod's own values of `matchLabelKeys` added to each selector (a null selector stays
 * match-nothing), `minDomains` 1 and the inclusion policies defaulted.
 *
 * @throws {TypeError} for an invalid label selector.
 */
export function compileConstraints(
  constraints: readonly TopologySpreadConstraint[],
  select: { readonly action: "DoNotSchedule" | "ScheduleAnyway"; readonly podLabels: LabelSet },
): SpreadConstraint[] {
  const out: SpreadConstraint[] = [];
  for (const c of constraints) {
    if (c.whenUnsatisfiable !== select.action) continue;
    let selector = compileLabelSelector(c.labelSelector);
    const extra: SelectorRequirement[] = [];
    for (const key of c.matchLabelKeys ?? []) {
      if (Object.hasOwn(select.podLabels, key)) {
        extra.push({ key, operator: "In", values: [select.podLabels[key]!] });
      }
    }
    if (extra.length > 0) selector = selector.withRequirements(extra);
    out.push({
      maxSkew: c.maxSkew,
      topologyKey: c.topologyKey,
      selector,
      minDomains: c.minDomains ?? 1,
      nodeAffinityPolicy: c.nodeAffinityPolicy ?? "Honor",
      nodeTaintsPolicy: c.nodeTaintsPolicy ?? "Ignore",
    });
  }
  return out;
}

function parseGroupVersion(apiVersion: string): { group: string; version: string } | null {
  const parts = apiVersion.split("/");
  if (parts.length === 1) return { group: "", version: parts[0]! };
  if (parts.length === 2) return { group: parts[0]!, version: parts[1]! };
  return null;
}

function requirementsOf(selector: LabelSelector | undefined): readonly SelectorRequirement[] {
  try {
    const compiled = compileLabelSelector(selector);
    return compiled.isNothing ? [] : compiled.requirements;
  } catch {
    return [];
  }
}

/**
 * The selector default spreading uses for `pod` (upstream `helper.DefaultSelector`): the labels
 * of every Service of its namespace selecting it, merged, ANDed with its controller's selector
 * (a ReplicationController's labels, or a ReplicaSet's or StatefulSet's requirements).
 */
export function defaultSelector(pod: Pod, listers: WorkloadListers): CompiledLabelSelector {
  const namespace = pod.metadata?.namespace ?? "";
  const podLabels = pod.metadata?.labels ?? {};
  const merged: Record<string, string> = {};
  for (const service of listers.services(namespace)) {
    const selector = service.spec?.selector;
    if (selector === undefined || selector === null) continue;
    if (labelSelectorFromSet(selector).matches(podLabels)) Object.assign(merged, selector);
  }
  let selector = labelSelectorFromSet(merged);
  const owner = pod.metadata?.ownerReferences?.find((r) => r.controller === true);
  if (owner === undefined) return selector;
  const gv = parseGroupVersion(owner.apiVersion);
  if (gv === null || gv.version !== "v1") return selector;
  if (gv.group === "" && owner.kind === "ReplicationController") {
    const rc = listers.replicationController(namespace, owner.name);
    if (rc !== undefined) selector = labelSelectorFromSet({ ...merged, ...rc.spec?.selector });
  } else if (gv.group === "apps" && owner.kind === "ReplicaSet") {
    const rs = listers.replicaSet(namespace, owner.name);
    if (rs !== undefined) selector = selector.withRequirements(requirementsOf(rs.spec?.selector));
  } else if (gv.group === "apps" && owner.kind === "StatefulSet") {
    const ss = listers.statefulSet(namespace, owner.name);
    if (ss !== undefined) selector = selector.withRequirements(requirementsOf(ss.spec?.selector));
  }
  return selector;
}

/** Whether `labels` have every constraint's topology key. */
function hasAllTopologyKeys(
  labels: LabelSet | undefined,
  constraints: readonly SpreadConstraint[],
): boolean {
  if (labels === undefined) return constraints.length === 0;
  for (const c of constraints) if (!Object.hasOwn(labels, c.topologyKey)) return false;
  return true;
}

/** Whether `node` is eligible for constraint `c` by its inclusion policies. */
function includesNode(
  c: SpreadConstraint,
  on: { readonly pod: Pod; readonly node: Node; readonly required: RequiredNodeAffinity },
): boolean {
  if (c.nodeAffinityPolicy === "Honor" && !on.required.match(on.node)) return false;
  if (
    c.nodeTaintsPolicy === "Honor" &&
    findUntoleratedTaint(on.node.spec?.taints, on.pod.spec?.tolerations) !== undefined
  ) {
    return false;
  }
  return true;
}

/**
 * How many of `pods` in `namespace`, not terminating, `selector` selects (upstream
 * `countPodsMatchSelector`: an empty selector counts none).
 */
export function countPodsMatchingSelector(
  pods: readonly PodInfo[],
  match: { readonly selector: CompiledLabelSelector; readonly namespace: string },
): number {
  const { selector, namespace } = match;
  if (selector.isEmpty || selector.isNothing) return 0;
  let count = 0;
  for (let i = 0; i < pods.length; i++) {
    const meta = pods[i]!.pod.metadata;
    if (meta?.deletionTimestamp || (meta?.namespace ?? "") !== namespace) continue;
    if (selector.matches(meta?.labels)) count++;
  }
  return count;
}

const MAX_INT32 = 2147483647;

/** The two emptiest domains of a constraint, the first holding the minimum (upstream). */
class CriticalPaths {
  value0 = "";
  num0 = MAX_INT32;
  value1 = "";
  num1 = MAX_INT32;

  update(value: string, num: number): void {
    const i = value === this.value0 ? 0 : value === this.value1 ? 1 : -1;
    if (i === 0) this.num0 = num;
    else if (i === 1) this.num1 = num;
    if (i >= 0) {
      if (this.num0 > this.num1) {
        [this.value0, this.num0, this.value1, this.num1] = [
          this.value1,
          this.num1,
          this.value0,
          this.num0,
        ];
      }
      return;
    }
    if (num < this.num0) {
      this.value1 = this.value0;
      this.num1 = this.num0;
      this.value0 = value;
      this.num0 = num;
    } else if (num < this.num1) {
      this.value1 = value;
      this.num1 = num;
    }
  }

  clone(): CriticalPaths {
    const copy = new CriticalPaths();
    copy.value0 = this.value0;
    copy.num0 = this.num0;
    copy.value1 = this.value1;
    copy.num1 = this.num1;
    return copy;
  }
}

/** What PreFilter computes for Filter (upstream `preFilterState`). */
class PreFilterState {
  constructor(
    readonly constraints: readonly SpreadConstraint[],
    /** Per constraint: eligible domain → matching pods. */
    readonly counts: readonly Map<string, number>[],
    readonly paths: readonly CriticalPaths[],
    readonly required: RequiredNodeAffinity,
  ) {}

  clone(): PreFilterState {
    return new PreFilterState(
      this.constraints,
      this.counts.map((m) => new Map(m)),
      this.paths.map((p) => p.clone()),
      this.required,
    );
  }

  /** The global minimum for constraint `i`: 0 while fewer than `minDomains` domains exist. */
  minMatchNum(i: number): number {
    if (this.counts[i]!.size < this.constraints[i]!.minDomains) return 0;
    return this.paths[i]!.num0;
  }

  /** Counts `updated` added to (`+1`) or removed from (`-1`) `node` (upstream `updateWithPod`). */
  update(
    change: { readonly updated: Pod; readonly preemptor: Pod; readonly node: Node | null },
    delta: number,
  ): void {
    const { updated, preemptor, node } = change;
    if (node === null) return;
    if ((updated.metadata?.namespace ?? "") !== (preemptor.metadata?.namespace ?? "")) return;
    const labels = node.metadata?.labels;
    if (!hasAllTopologyKeys(labels, this.constraints)) return;
    const podLabels = updated.metadata?.labels;
    this.constraints.forEach((c, i) => {
      if (!c.selector.matches(podLabels)) return;
      if (!includesNode(c, { pod: preemptor, node, required: this.required })) return;
      const value = labels![c.topologyKey]!;
      const num = (this.counts[i]!.get(value) ?? 0) + delta;
      this.counts[i]!.set(value, num);
      this.paths[i]!.update(value, num);
    });
  }
}

/** What PreScore computes for Score (upstream `preScoreState`). */
class PreScoreState {
  constructor(
    readonly constraints: readonly SpreadConstraint[],
    readonly ignoredNodes: ReadonlySet<string>,
    /** Per constraint (not hostname): domain of a filtered node → matching pods. */
    readonly counts: readonly Map<string, number>[],
    readonly weights: readonly number[],
    readonly namespace: string,
  ) {}
  clone(): PreScoreState {
    return this;
  }
}

const PRE_FILTER_KEY = stateKey<PreFilterState>(`PreFilter${NAME}`);
const PRE_SCORE_KEY = stateKey<PreScoreState>(`PreScore${NAME}`);

function missingState(name: string): PluginStatus {
  return errorStatus(`reading "${name}" from cycleState: not found`);
}

/** The weight of a topology with `size` domains in scoring: `ln(size + 2)` (upstream). */
export function topologyNormalizingWeight(size: number): number {
  return Math.log(size + 2);
}

/** The raw score of a domain with `count` matching pods (upstream `scoreForCount`). */
export function scoreForCount(
  count: number,
  constraint: { readonly maxSkew: number; readonly weight: number },
): number {
  return count * constraint.weight + (constraint.maxSkew - 1);
}

/**
 * Upstream's normalisation, in place: ignored nodes get 0; otherwise, with the highest raw score
 * `max` and the lowest `min`, `100 * (max + min - score) / max` (integer division), or 100 for
 * all when `max` is 0 — fewer matching pods, higher score.
 */
export function normalizeSpreadScores(
  scores: NodeScore[],
  ignoredNodes: ReadonlySet<string> = new Set(),
): void {
  let min = Number.MAX_SAFE_INTEGER;
  let max = 0;
  for (const s of scores) {
    if (ignoredNodes.has(s.name)) continue;
    if (s.score < min) min = s.score;
    if (s.score > max) max = s.score;
  }
  for (const s of scores) {
    if (ignoredNodes.has(s.name)) s.score = 0;
    else if (max === 0) s.score = MAX_NODE_SCORE;
    else s.score = Math.trunc(MAX_NODE_SCORE * (max + min - s.score) / max);
  }
}

/** The extension points PodTopologySpread implements. */
export type PodTopologySpreadPlugin =
  & PreFilterPlugin
  & FilterPlugin
  & PreScorePlugin
  & ScorePlugin
  & {
    readonly preFilterExtensions: PreFilterExtensions;
    normalizeScore: NonNullable<ScorePlugin["normalizeScore"]>;
  };

/** The PodTopologySpread plugin; args: `{ defaultConstraints?, defaultingType? }`. */
export function newPodTopologySpread(
  args: unknown,
  handle: FrameworkHandle,
): PodTopologySpreadPlugin {
  const parsed = parseArgs(NAME, { schema: ArgsSchema, args });
  const systemDefaulted = (parsed?.defaultingType ?? "System") === "System";
  const defaults: readonly TopologySpreadConstraint[] = systemDefaulted
    ? SYSTEM_DEFAULT_CONSTRAINTS
    : (parsed?.defaultConstraints ?? []) as TopologySpreadConstraint[];

  /** @throws {TypeError} for an invalid selector. */
  function constraintsOf(pod: Pod, action: "DoNotSchedule" | "ScheduleAnyway"): SpreadConstraint[] {
    const podLabels = pod.metadata?.labels ?? {};
    const own = pod.spec?.topologySpreadConstraints ?? [];
    if (own.length > 0) return compileConstraints(own, { action, podLabels });
    const constraints = compileConstraints(defaults, { action, podLabels });
    if (constraints.length === 0) return constraints;
    const listers = handle.workloadListers?.();
    if (listers === undefined) return [];
    const selector = defaultSelector(pod, listers);
    if (selector.isEmpty) return [];
    return constraints.map((c) => ({ ...c, selector }));
  }

  function preFilter(state: CycleState, pod: Pod, nodes: readonly NodeInfo[]): PreFilterOutcome {
    let constraints: SpreadConstraint[];
    try {
      constraints = constraintsOf(pod, "DoNotSchedule");
    } catch (err) {
      return errorStatus(`get constraints from pod: ${(err as Error).message}`);
    }
    if (constraints.length === 0) return skip();
    const namespace = pod.metadata?.namespace ?? "";
    const required = requiredNodeAffinity(pod);
    const counts = constraints.map(() => new Map<string, number>());
    for (const info of nodes) {
      const node = info.node;
      if (node === null) continue;
      const labels = node.metadata?.labels;
      if (!hasAllTopologyKeys(labels, constraints)) continue;
      for (let i = 0; i < constraints.length; i++) {
        const c = constraints[i]!;
        if (!includesNode(c, { pod, node, required })) continue;
        const value = labels![c.topologyKey]!;
        const count = countPodsMatchingSelector(info.pods, { selector: c.selector, namespace });
        counts[i]!.set(value, (counts[i]!.get(value) ?? 0) + count);
      }
    }
    const paths = counts.map((m) => {
      const p = new CriticalPaths();
      for (const [value, num] of m) p.update(value, num);
      return p;
    });
    state.write(PRE_FILTER_KEY, new PreFilterState(constraints, counts, paths, required));
    return null;
  }

  function update(state: CycleState, pod: Pod, change: PodChange, delta: number) {
    const s = state.read(PRE_FILTER_KEY);
    if (s === undefined) return missingState(PRE_FILTER_KEY.name);
    s.update({ updated: change.podInfo.pod, preemptor: pod, node: change.nodeInfo.node }, delta);
    return null;
  }

  function filter(state: CycleState, pod: Pod, nodeInfo: NodeInfo): PluginStatus | null {
    const node = nodeInfo.node;
    if (node === null) return errorStatus("node not found");
    const s = state.read(PRE_FILTER_KEY);
    if (s === undefined) return missingState(PRE_FILTER_KEY.name);
    const labels = node.metadata?.labels ?? {};
    const podLabels = pod.metadata?.labels;
    for (let i = 0; i < s.constraints.length; i++) {
      const c = s.constraints[i]!;
      if (!Object.hasOwn(labels, c.topologyKey)) {
        return unresolvable(ERR_REASON_NODE_LABEL_NOT_MATCH);
      }
      const value = labels[c.topologyKey]!;
      const self = c.selector.matches(podLabels) ? 1 : 0;
      const skew = (s.counts[i]!.get(value) ?? 0) + self - s.minMatchNum(i);
      if (skew > c.maxSkew) return unschedulable(ERR_REASON_CONSTRAINTS_NOT_MATCH);
    }
    return null;
  }

  function preScore(
    state: CycleState,
    pod: Pod,
    filtered: readonly NodeInfo[],
  ): PluginStatus | null {
    const allNodes = handle.snapshot().list();
    if (allNodes.length === 0) return skip();
    let constraints: SpreadConstraint[];
    try {
      constraints = constraintsOf(pod, "ScheduleAnyway");
    } catch (err) {
      return errorStatus(`calculating preScoreState: ${(err as Error).message}`);
    }
    if (constraints.length === 0) return skip();
    // Nodes without a zone label may still be spread by hostname under the system defaults.
    const requireAll = (pod.spec?.topologySpreadConstraints?.length ?? 0) > 0 || !systemDefaulted;
    const ignored = new Set<string>();
    const counts = constraints.map(() => new Map<string, number>());
    for (const info of filtered) {
      const labels = info.node?.metadata?.labels;
      if (requireAll && !hasAllTopologyKeys(labels, constraints)) {
        ignored.add(info.name);
        continue;
      }
      constraints.forEach((c, i) => {
        if (c.topologyKey === LABEL_HOSTNAME) return;
        const value = labels?.[c.topologyKey] ?? "";
        if (!counts[i]!.has(value)) counts[i]!.set(value, 0);
      });
    }
    const weights = constraints.map((c, i) =>
      topologyNormalizingWeight(
        c.topologyKey === LABEL_HOSTNAME ? filtered.length - ignored.size : counts[i]!.size,
      )
    );
    const namespace = pod.metadata?.namespace ?? "";
    const required = requiredNodeAffinity(pod);
    for (const info of allNodes) {
      const node = info.node;
      if (node === null) continue;
      const labels = node.metadata?.labels;
      if (requireAll && !hasAllTopologyKeys(labels, constraints)) continue;
      for (let i = 0; i < constraints.length; i++) {
        const c = constraints[i]!;
        if (!includesNode(c, { pod, node, required })) continue;
        const value = labels?.[c.topologyKey] ?? "";
        const current = counts[i]!.get(value);
        if (current === undefined) continue;
        const count = countPodsMatchingSelector(info.pods, { selector: c.selector, namespace });
        counts[i]!.set(value, current + count);
      }
    }
    state.write(PRE_SCORE_KEY, new PreScoreState(constraints, ignored, counts, weights, namespace));
    return null;
  }

  function score(state: CycleState, _pod: Pod, nodeInfo: NodeInfo): number | PluginStatus {
    const node = nodeInfo.node;
    if (node === null) return errorStatus("node not found");
    const s = state.read(PRE_SCORE_KEY);
    if (s === undefined) return missingState(PRE_SCORE_KEY.name);
    if (s.ignoredNodes.has(nodeInfo.name)) return 0;
    const labels = node.metadata?.labels ?? {};
    let total = 0;
    for (let i = 0; i < s.constraints.length; i++) {
      const c = s.constraints[i]!;
      if (!Object.hasOwn(labels, c.topologyKey)) continue;
      const count = c.topologyKey === LABEL_HOSTNAME
        ? countPodsMatchingSelector(nodeInfo.pods, { selector: c.selector, namespace: s.namespace })
        : s.counts[i]!.get(labels[c.topologyKey]!) ?? 0;
      total += scoreForCount(count, { maxSkew: c.maxSkew, weight: s.weights[i]! });
    }
    return Math.round(total);
  }

  return {
    name: NAME,
    preFilter,
    preFilterExtensions: {
      addPod: (state, pod, change) => update(state, pod, change, 1),
      removePod: (state, pod, change) => update(state, pod, change, -1),
    },
    filter,
    preScore,
    score,
    normalizeScore(state, _pod, scores) {
      const s = state.read(PRE_SCORE_KEY);
      if (s === undefined) return missingState(PRE_SCORE_KEY.name);
      normalizeSpreadScores(scores, s.ignoredNodes);
      return null;
    },
  };
}
