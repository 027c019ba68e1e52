/**
 * InterPodAffinity: a pod with required pod affinity runs only in topology domains (nodes
 * sharing a label value) that already hold a pod its terms select; one with required
 * anti-affinity stays out of domains holding such pods; and no pod may land where an existing
 * pod's required anti-affinity selects it. Preferred terms, of the pod and of the pods already
 * placed, score domains by weight.
 *
 * PreFilter counts the matches per topology pair once (the pods with required anti-affinity come
 * from the snapshot's short list), so Filter only looks up the node's labels. A pod whose
 * affinity terms select itself may go anywhere its topology keys exist while no pod matches them
 * (the first of a group). Namespace selectors read namespace labels through the framework
 * handle's `namespaceLabels`; without it only named namespaces (and `{}`, every namespace) match.
 *
 * @module
 */
import { z } from "zod";
import type { Node } from "../../api/types/core_v1_node.ts";
import type { Pod } from "../../api/types/core_v1_pod.ts";
import {
  type AffinityTerm,
  affinityTermMatches,
  parsePodAffinityTerms,
} from "../_affinity_terms.ts";
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
} from "../framework.ts";
import { MAX_NODE_SCORE } from "../framework.ts";
import type { LabelSet } from "../../client/label_selector.ts";
import type { NodeInfo, PodAffinityTerms, PodInfo, WeightedAffinityTerm } from "../node_info.ts";
import { errorStatus, type PluginStatus, skip, unresolvable, unschedulable } from "../status.ts";
import { parseArgs } from "./_args.ts";

/** The plugin's name. */
export const NAME = "InterPodAffinity";

/** The reason a node outside every domain the pod's required affinity needs is rejected. */
export const ERR_REASON_AFFINITY = "node(s) didn't match pod affinity rules";

/** The reason a node in a domain the pod's required anti-affinity excludes is rejected. */
export const ERR_REASON_ANTI_AFFINITY = "node(s) didn't match pod anti-affinity rules";

/** The reason a node in a domain an existing pod's required anti-affinity excludes is rejected. */
export const ERR_REASON_EXISTING_ANTI_AFFINITY =
  "node(s) didn't satisfy existing pods anti-affinity rules";

/** The weight of an existing pod's required affinity term, for scoring, unless set. */
export const DEFAULT_HARD_POD_AFFINITY_WEIGHT = 1;

/** `InterPodAffinityArgs`. */
export const ArgsSchema = z.object({
  /** The score weight of existing pods' required affinity terms that select the pod (0–100). */
  hardPodAffinityWeight: z.number().int().min(0).max(100).optional(),
  /** Whether to skip scoring by existing pods' preferred terms when the pod has none. */
  ignorePreferredTermsOfExistingPods: z.boolean().optional(),
}).strict().optional();

/** The plugin's args. */
export type InterPodAffinityArgs = z.infer<typeof ArgsSchema>;

/** Counts per topology pair: topology key → label value → count. */
class TopologyCounts {
  readonly #byKey = new Map<string, Map<string, number>>();

  /** Whether no pair has a count. */
  get isEmpty(): boolean {
    return this.#byKey.size === 0;
  }

  /** The count of `key=value` (0 when absent). */
  get(key: string, value: string): number {
    return this.#byKey.get(key)?.get(value) ?? 0;
  }

  /** Adds `delta` to the pair `key` / the node's value for it, if the node has the label. */
  addForNode(node: Node, key: string, delta: number): void {
    const labels = node.metadata?.labels;
    if (labels === undefined || !Object.hasOwn(labels, key)) return;
    const value = labels[key]!;
    let values = this.#byKey.get(key);
    if (values === undefined) this.#byKey.set(key, values = new Map());
    const count = (values.get(value) ?? 0) + delta;
    if (count === 0) {
      values.delete(value);
      if (values.size === 0) this.#byKey.delete(key);
    } else {
      values.set(value, count);
    }
  }

  /** Whether some pair of `labels` has a positive count. */
  anyPositive(labels: LabelSet | undefined): boolean {
    if (labels === undefined) return false;
    for (const [key, values] of this.#byKey) {
      if (!Object.hasOwn(labels, key)) continue;
      if ((values.get(labels[key]!) ?? 0) > 0) return true;
    }
    return false;
  }

  /** A copy. */
  clone(): TopologyCounts {
    const copy = new TopologyCounts();
    for (const [key, values] of this.#byKey) copy.#byKey.set(key, new Map(values));
    return copy;
  }
}

/**
 * One of the incoming pod's terms, matching other pods' namespaces through the namespace
 * labels the handle gives (upstream merges the selected namespaces into the term instead).
 */
class IncomingTerm {
  readonly #memo = new Map<string, boolean>();
  constructor(
    readonly term: AffinityTerm,
    readonly namespaceLabels: (name: string) => LabelSet | undefined,
  ) {}

  get topologyKey(): string {
    return this.term.topologyKey;
  }

  #namespaceMatches(namespace: string): boolean {
    const term = this.term;
    if (term.namespaces.has(namespace)) return true;
    const selector = term.namespaceSelector;
    if (selector.isNothing) return false;
    if (selector.isEmpty) return true;
    let hit = this.#memo.get(namespace);
    if (hit === undefined) {
      const labels = this.namespaceLabels(namespace);
      hit = labels !== undefined && selector.matches(labels);
      this.#memo.set(namespace, hit);
    }
    return hit;
  }

  /** Whether `pod` is one of the pods this term is about. */
  matches(pod: Pod): boolean {
    const meta = pod.metadata;
    return this.#namespaceMatches(meta?.namespace ?? "") &&
      this.term.selector.matches(meta?.labels);
  }
}

class WeightedIncomingTerm extends IncomingTerm {
  constructor(
    term: WeightedAffinityTerm,
    namespaceLabels: (name: string) => LabelSet | undefined,
  ) {
    super(term, namespaceLabels);
    this.weight = term.weight;
  }
  readonly weight: number;
}

function matchesAll(terms: readonly IncomingTerm[], pod: Pod): boolean {
  if (terms.length === 0) return false;
  for (const t of terms) if (!t.matches(pod)) return false;
  return true;
}

/** What PreFilter computes for Filter (upstream `preFilterState`). */
class PreFilterState {
  constructor(
    readonly pod: Pod,
    readonly namespaceLabels: LabelSet | undefined,
    readonly affinity: readonly IncomingTerm[],
    readonly antiAffinity: readonly IncomingTerm[],
    /** Pairs where existing pods' required anti-affinity selects the pod. */
    readonly existingAntiAffinityCounts: TopologyCounts,
    /** Pairs with pods matching all the pod's required affinity terms. */
    readonly affinityCounts: TopologyCounts,
    /** Pairs with pods matching one of the pod's required anti-affinity terms. */
    readonly antiAffinityCounts: TopologyCounts,
  ) {}

  clone(): PreFilterState {
    return new PreFilterState(
      this.pod,
      this.namespaceLabels,
      this.affinity,
      this.antiAffinity,
      this.existingAntiAffinityCounts.clone(),
      this.affinityCounts.clone(),
      this.antiAffinityCounts.clone(),
    );
  }

  /** Counts `podInfo` added to (`+1`) or removed from (`-1`) `node`. */
  updateWithPod(podInfo: PodInfo, node: Node, delta: number): void {
    const target = { pod: this.pod, namespaceLabels: this.namespaceLabels };
    for (const t of podInfo.affinityTerms.requiredAntiAffinity) {
      if (affinityTermMatches(t, target)) {
        this.existingAntiAffinityCounts.addForNode(node, t.topologyKey, delta);
      }
    }
    if (matchesAll(this.affinity, podInfo.pod)) {
      for (const t of this.affinity) this.affinityCounts.addForNode(node, t.topologyKey, delta);
    }
    for (const t of this.antiAffinity) {
      if (t.matches(podInfo.pod)) this.antiAffinityCounts.addForNode(node, t.topologyKey, delta);
    }
  }
}

/** What PreScore computes for Score: topology key → value → summed weight. */
class PreScoreState {
  constructor(readonly topologyScore: ReadonlyMap<string, ReadonlyMap<string, number>>) {}
  clone(): PreScoreState {
    return this;
  }
}

const PRE_FILTER_KEY = stateKey<PreFilterState>(`PreFilter${NAME}`);
const PRE_SCORE_KEY = stateKey<PreScoreState>(`PreScore${NAME}`);

function missingState(name: string): PluginStatus {
  return errorStatus(`reading "${name}" from cycleState: not found`);
}

/** Whether `node` satisfies the pod's required affinity (upstream `satisfyPodAffinity`). */
function satisfiesPodAffinity(state: PreFilterState, node: Node): boolean {
  const labels = node.metadata?.labels ?? {};
  let podsExist = true;
  for (const t of state.affinity) {
    if (!Object.hasOwn(labels, t.topologyKey)) return false;
    if (state.affinityCounts.get(t.topologyKey, labels[t.topologyKey]!) <= 0) podsExist = false;
  }
  if (podsExist) return true;
  // The first pod of a group whose terms select itself: no pod matches anywhere yet.
  return state.affinityCounts.isEmpty && matchesAll(state.affinity, state.pod);
}

/** Whether `node` satisfies the pod's required anti-affinity (upstream `satisfyPodAntiAffinity`). */
function satisfiesPodAntiAffinity(state: PreFilterState, node: Node): boolean {
  if (state.antiAffinityCounts.isEmpty) return true;
  const labels = node.metadata?.labels ?? {};
  for (const t of state.antiAffinity) {
    if (!Object.hasOwn(labels, t.topologyKey)) continue;
    if (state.antiAffinityCounts.get(t.topologyKey, labels[t.topologyKey]!) > 0) return false;
  }
  return true;
}

/**
 * Checks `node` against the state PreFilter computed: `null`, or the rejection with upstream's
 * reason and code (affinity: `UnschedulableAndUnresolvable`; anti-affinity, the pod's or the
 * existing pods': `Unschedulable`, as preemption may help).
 */
function check(state: PreFilterState, node: Node): PluginStatus | null {
  if (!satisfiesPodAffinity(state, node)) return unresolvable(ERR_REASON_AFFINITY);
  if (!satisfiesPodAntiAffinity(state, node)) return unschedulable(ERR_REASON_ANTI_AFFINITY);
  if (state.existingAntiAffinityCounts.anyPositive(node.metadata?.labels)) {
    return unschedulable(ERR_REASON_EXISTING_ANTI_AFFINITY);
  }
  return null;
}

function addScore(
  scores: Map<string, Map<string, number>>,
  at: { readonly node: Node; readonly key: string; readonly delta: number },
): void {
  const labels = at.node.metadata?.labels;
  if (labels === undefined || !Object.hasOwn(labels, at.key)) return;
  const value = labels[at.key]!;
  let values = scores.get(at.key);
  if (values === undefined) scores.set(at.key, values = new Map());
  values.set(value, (values.get(value) ?? 0) + at.delta);
}

function hasLabels(node: Node): boolean {
  for (const _ in node.metadata?.labels ?? {}) return true;
  return false;
}

/** Rescales `scores` in place so the lowest becomes 0 and the highest 100 (all 0 when equal). */
export function normalizeMinMax(scores: NodeScore[]): void {
  let min = Infinity;
  let max = -Infinity;
  for (const s of scores) {
    if (s.score > max) max = s.score;
    if (s.score < min) min = s.score;
  }
  const diff = max - min;
  for (const s of scores) {
    s.score = diff > 0 ? Math.trunc(MAX_NODE_SCORE * ((s.score - min) / diff)) : 0;
  }
}

/** The extension points InterPodAffinity implements. */
export type InterPodAffinityPlugin =
  & PreFilterPlugin
  & FilterPlugin
  & PreScorePlugin
  & ScorePlugin
  & {
    readonly preFilterExtensions: PreFilterExtensions;
    normalizeScore: NonNullable<ScorePlugin["normalizeScore"]>;
  };

/** The InterPodAffinity plugin; args: `{ hardPodAffinityWeight?, ignorePreferredTermsOfExistingPods? }`. */
export function newInterPodAffinity(
  args: unknown,
  handle: FrameworkHandle,
): InterPodAffinityPlugin {
  const parsed = parseArgs(NAME, { schema: ArgsSchema, args });
  const hardPodAffinityWeight = parsed?.hardPodAffinityWeight ?? DEFAULT_HARD_POD_AFFINITY_WEIGHT;
  const ignorePreferredOfExisting = parsed?.ignorePreferredTermsOfExistingPods ?? false;
  const lookupNamespace = (name: string): LabelSet | undefined => handle.namespaceLabels?.(name);

  function incoming(terms: PodAffinityTerms): {
    affinity: IncomingTerm[];
    antiAffinity: IncomingTerm[];
  } {
    return {
      affinity: terms.requiredAffinity.map((t) => new IncomingTerm(t, lookupNamespace)),
      antiAffinity: terms.requiredAntiAffinity.map((t) => new IncomingTerm(t, lookupNamespace)),
    };
  }

  function preFilter(state: CycleState, pod: Pod, nodes: readonly NodeInfo[]): PreFilterOutcome {
    const terms = parsePodAffinityTerms(pod);
    if (terms.errors.length > 0) return unresolvable(`parsing pod: ${terms.errors.join("; ")}`);
    const { affinity, antiAffinity } = incoming(terms);
    const namespaceLabels = lookupNamespace(pod.metadata?.namespace ?? "");
    const existing = new TopologyCounts();
    const target = { pod, namespaceLabels };
    for (const info of handle.snapshot().havePodsWithRequiredAntiAffinityList()) {
      const node = info.node;
      if (node === null) continue;
      for (const p of info.podsWithRequiredAntiAffinity) {
        for (const t of p.affinityTerms.requiredAntiAffinity) {
          if (affinityTermMatches(t, target)) existing.addForNode(node, t.topologyKey, 1);
        }
      }
    }
    if (existing.isEmpty && affinity.length === 0 && antiAffinity.length === 0) return skip();
    const affinityCounts = new TopologyCounts();
    const antiAffinityCounts = new TopologyCounts();
    if (affinity.length > 0 || antiAffinity.length > 0) {
      for (const info of nodes) {
        const node = info.node;
        if (node === null) continue;
        for (const p of info.pods) {
          if (matchesAll(affinity, p.pod)) {
            for (const t of affinity) affinityCounts.addForNode(node, t.topologyKey, 1);
          }
          for (const t of antiAffinity) {
            if (t.matches(p.pod)) antiAffinityCounts.addForNode(node, t.topologyKey, 1);
          }
        }
      }
    }
    state.write(
      PRE_FILTER_KEY,
      new PreFilterState(
        pod,
        namespaceLabels,
        affinity,
        antiAffinity,
        existing,
        affinityCounts,
        antiAffinityCounts,
      ),
    );
    return null;
  }

  function update(state: CycleState, change: PodChange, delta: number): PluginStatus | null {
    const s = state.read(PRE_FILTER_KEY);
    if (s === undefined) return missingState(PRE_FILTER_KEY.name);
    const node = change.nodeInfo.node;
    if (node !== null) s.updateWithPod(change.podInfo, node, delta);
    return null;
  }

  function preScore(state: CycleState, pod: Pod): PluginStatus | null {
    const affinity = pod.spec?.affinity;
    const hasPreferred =
      (affinity?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution?.length ?? 0) >
        0 ||
      (affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution?.length ?? 0) >
        0;
    if (ignorePreferredOfExisting && !hasPreferred) return skip();
    const terms = parsePodAffinityTerms(pod);
    const preferred = terms.preferredAffinity.map((t) =>
      new WeightedIncomingTerm(t, lookupNamespace)
    );
    const preferredAnti = terms.preferredAntiAffinity.map((t) =>
      new WeightedIncomingTerm(t, lookupNamespace)
    );
    const target = { pod, namespaceLabels: lookupNamespace(pod.metadata?.namespace ?? "") };
    const snapshot = handle.snapshot();
    const nodes = hasPreferred ? snapshot.list() : snapshot.havePodsWithAffinityList();
    const scores = new Map<string, Map<string, number>>();
    let touched = false;
    const add = (node: Node, key: string, delta: number) => {
      touched ||= Object.hasOwn(node.metadata?.labels ?? {}, key);
      addScore(scores, { node, key, delta });
    };
    for (const info of nodes) {
      const node = info.node;
      if (node === null || !hasLabels(node)) continue;
      for (const existing of hasPreferred ? info.pods : info.podsWithAffinity) {
        const other = existing.pod;
        for (const t of preferred) if (t.matches(other)) add(node, t.topologyKey, t.weight);
        for (const t of preferredAnti) if (t.matches(other)) add(node, t.topologyKey, -t.weight);
        const theirs = existing.affinityTerms;
        if (hardPodAffinityWeight > 0) {
          for (const t of theirs.requiredAffinity) {
            if (affinityTermMatches(t, target)) add(node, t.topologyKey, hardPodAffinityWeight);
          }
        }
        for (const t of theirs.preferredAffinity) {
          if (affinityTermMatches(t, target)) add(node, t.topologyKey, t.weight);
        }
        for (const t of theirs.preferredAntiAffinity) {
          if (affinityTermMatches(t, target)) add(node, t.topologyKey, -t.weight);
        }
      }
    }
    if (!touched) return skip();
    state.write(PRE_SCORE_KEY, new PreScoreState(scores));
    return null;
  }

  return {
    name: NAME,
    preFilter,
    preFilterExtensions: {
      addPod: (state, _pod, change) => update(state, change, 1),
      removePod: (state, _pod, change) => update(state, change, -1),
    },
    filter(state, _pod, nodeInfo) {
      const node = nodeInfo.node;
      if (node === null) return errorStatus("node not found");
      const s = state.read(PRE_FILTER_KEY);
      if (s === undefined) return missingState(PRE_FILTER_KEY.name);
      return check(s, node);
    },
    preScore,
    score(state, _pod, nodeInfo) {
      const node = nodeInfo.node;
      if (node === null) return errorStatus("node not found");
      const s = state.read(PRE_SCORE_KEY);
      if (s === undefined) return missingState(PRE_SCORE_KEY.name);
      const labels = node.metadata?.labels ?? {};
      let score = 0;
      for (const [key, values] of s.topologyScore) {
        if (Object.hasOwn(labels, key)) score += values.get(labels[key]!) ?? 0;
      }
      return score;
    },
    normalizeScore(state, _pod, scores) {
      const s = state.read(PRE_SCORE_KEY);
      if (s === undefined) return missingState(PRE_SCORE_KEY.name);
      if (s.topologyScore.size === 0) return null;
      normalizeMinMax(scores);
      return null;
    },
  };
}
