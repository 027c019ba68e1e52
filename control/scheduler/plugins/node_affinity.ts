/**
 * NodeAffinity: a pod runs only on nodes matching its `nodeSelector` and required node affinity
 * (and the scheduler-enforced `addedAffinity` arg, when set); nodes matching more of its
 * preferred terms, by weight, score higher. A required term that pins `metadata.name` with `In`
 * narrows the candidates at PreFilter.
 *
 * @module
 */
import { z } from "zod";
import type { NodeSelector } from "../../api/types/core_v1_common.ts";
import type { Node } from "../../api/types/core_v1_node.ts";
import type { NodeAffinity as NodeAffinitySpec, Pod } from "../../api/types/core_v1_pod.ts";
import { stateKey } from "../cycle_state.ts";
import type {
  FilterPlugin,
  FrameworkHandle,
  PreFilterOutcome,
  PreFilterPlugin,
  PreScorePlugin,
  ScorePlugin,
} from "../framework.ts";
import {
  CompiledNodeSelector,
  OBJECT_NAME_FIELD,
  type PreferredSchedulingTerms,
  preferredSchedulingTerms,
  type RequiredNodeAffinity,
  requiredNodeAffinity,
  type WeightedNodeSelectorTerm,
} from "../../client/node_selector.ts";
import type { NodeInfo } from "../node_info.ts";
import { defaultNormalizeScore } from "../normalize_score.ts";
import { errorStatus, skip, unresolvable } from "../status.ts";
import { parseArgs } from "./_args.ts";

/** The plugin's name. */
export const NAME = "NodeAffinity";

/** The reason a node not matching the pod's node selector or required affinity is rejected. */
export const ERR_REASON_POD = "node(s) didn't match Pod's node affinity/selector";

/** The reason a node not matching the scheduler's `addedAffinity` is rejected. */
export const ERR_REASON_ENFORCED = "node(s) didn't match scheduler-enforced node affinity";

/** The reason a pod whose required terms pin node names that cannot all hold is rejected. */
export const ERR_REASON_CONFLICT = "pod affinity terms conflict";

const RequirementSchema = z.object({
  key: z.string(),
  operator: z.string(),
  values: z.array(z.string()).optional(),
}).strict();
const TermSchema = z.object({
  matchExpressions: z.array(RequirementSchema).optional(),
  matchFields: z.array(RequirementSchema).optional(),
}).strict();

/** `NodeAffinityArgs`: node affinity the scheduler adds to every pod of the profile. */
export const ArgsSchema = z.object({
  addedAffinity: z.object({
    requiredDuringSchedulingIgnoredDuringExecution: z.object({
      nodeSelectorTerms: z.array(TermSchema),
    }).strict().optional(),
    preferredDuringSchedulingIgnoredDuringExecution: z.array(
      z.object({ weight: z.number().int().min(1).max(100), preference: TermSchema }).strict(),
    ).optional(),
  }).strict().optional(),
}).strict().optional();

/** The plugin's args. */
export type NodeAffinityArgs = z.infer<typeof ArgsSchema>;

/** Whether `pod`'s node selector and required node affinity match `node`. */
export function fits(pod: Pod, node: Node): boolean {
  return requiredNodeAffinity(pod).match(node);
}

/**
 * The node names the pod's required terms pin with `matchFields` `metadata.name In`, or `null`
 * when some term does not pin names (terms are ORed, so then any node may match).
 */
export function pinnedNodeNames(affinity: NodeAffinitySpec | undefined): Set<string> | null {
  const terms = affinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (terms === undefined || terms.length === 0) return null;
  let names: Set<string> | null = null;
  for (const term of terms) {
    let termNames: Set<string> | null = null;
    for (const r of term.matchFields ?? []) {
      if (r.key !== OBJECT_NAME_FIELD || r.operator !== "In") continue;
      termNames = intersect(termNames, new Set(r.values ?? []));
    }
    if (termNames === null) return null;
    names = names === null ? termNames : union(names, termNames);
  }
  return names;
}

function intersect(a: ReadonlySet<string> | null, b: Set<string>): Set<string> {
  if (a === null) return b;
  const out = new Set<string>();
  for (const n of a) if (b.has(n)) out.add(n);
  return out;
}

function union(a: ReadonlySet<string>, b: ReadonlySet<string>): Set<string> {
  return new Set([...a, ...b]);
}

class PreFilterState {
  constructor(readonly required: RequiredNodeAffinity) {}
  clone(): PreFilterState {
    return this;
  }
}

class PreScoreState {
  constructor(readonly preferred: PreferredSchedulingTerms | null) {}
  clone(): PreScoreState {
    return this;
  }
}

const PRE_FILTER_KEY = stateKey<PreFilterState>(`PreFilter${NAME}`);
const PRE_SCORE_KEY = stateKey<PreScoreState>(`PreScore${NAME}`);

function podPreferred(pod: Pod): PreferredSchedulingTerms | null {
  const terms = pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution;
  return terms === undefined ? null : preferredSchedulingTerms(terms);
}

/** The NodeAffinity plugin; args: `{ addedAffinity? }` (upstream `NodeAffinityArgs`). */
export function newNodeAffinity(
  args: unknown,
  _handle: FrameworkHandle,
): PreFilterPlugin & FilterPlugin & PreScorePlugin & ScorePlugin {
  const parsed = parseArgs(NAME, { schema: ArgsSchema, args });
  const added = parsed?.addedAffinity;
  let addedSelector: CompiledNodeSelector | null = null;
  let addedPreferred: PreferredSchedulingTerms | null = null;
  if (added?.requiredDuringSchedulingIgnoredDuringExecution !== undefined) {
    addedSelector = new CompiledNodeSelector(
      added.requiredDuringSchedulingIgnoredDuringExecution as NodeSelector,
    );
    if (addedSelector.errors.length > 0) {
      throw new TypeError(
        `Invalid args for plugin "${NAME}": addedAffinity.requiredDuringSchedulingIgnoredDuringExecution: ${
          addedSelector.errors.join("; ")
        }`,
      );
    }
  }
  if ((added?.preferredDuringSchedulingIgnoredDuringExecution?.length ?? 0) > 0) {
    try {
      addedPreferred = preferredSchedulingTerms(
        added!.preferredDuringSchedulingIgnoredDuringExecution as WeightedNodeSelectorTerm[],
      );
    } catch (err) {
      throw new TypeError(
        `Invalid args for plugin "${NAME}": addedAffinity: ${(err as Error).message}`,
      );
    }
  }
  return {
    name: NAME,
    preFilter(state, pod): PreFilterOutcome {
      const nodeAffinity = pod.spec?.affinity?.nodeAffinity;
      const required = nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
      if (
        required === undefined && addedSelector === null && pod.spec?.nodeSelector === undefined
      ) {
        return skip();
      }
      state.write(PRE_FILTER_KEY, new PreFilterState(requiredNodeAffinity(pod)));
      const names = pinnedNodeNames(nodeAffinity);
      if (names === null) return null;
      if (names.size === 0) return unresolvable(ERR_REASON_CONFLICT);
      return { nodeNames: names };
    },
    filter(state, pod, nodeInfo: NodeInfo) {
      const node = nodeInfo.node;
      if (node === null) return errorStatus("node not found");
      if (addedSelector !== null && !addedSelector.match(node)) {
        return unresolvable(ERR_REASON_ENFORCED);
      }
      const required = state.read(PRE_FILTER_KEY)?.required ?? requiredNodeAffinity(pod);
      return required.match(node) ? null : unresolvable(ERR_REASON_POD);
    },
    preScore(state, pod) {
      let preferred: PreferredSchedulingTerms | null;
      try {
        preferred = podPreferred(pod);
      } catch (err) {
        return errorStatus(err);
      }
      if (preferred === null && addedPreferred === null) return skip();
      state.write(PRE_SCORE_KEY, new PreScoreState(preferred));
      return null;
    },
    score(state, pod, nodeInfo) {
      const node = nodeInfo.node;
      if (node === null) return errorStatus("node not found");
      let count = addedPreferred?.score(node) ?? 0;
      let preferred = state.read(PRE_SCORE_KEY)?.preferred;
      if (preferred === undefined) {
        try {
          preferred = podPreferred(pod);
        } catch (err) {
          return errorStatus(err);
        }
      }
      count += preferred?.score(node) ?? 0;
      return count;
    },
    normalizeScore: (_state, _pod, scores) => defaultNormalizeScore(scores, false),
  };
}
