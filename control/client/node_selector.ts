/**
 * Node selectors and node affinity (upstream `component-helpers/scheduling/corev1/nodeaffinity`),
 * shared by the scheduler and the DaemonSet controller: a pod's `nodeSelector` (every label
 * must be equal) ANDed with its required node affinity (terms ORed, requirements in a term
 * ANDed), and preferred terms scored by weight.
 *
 * Operators: `In`, `NotIn` (also true when the label is absent), `Exists`, `DoesNotExist`, `Gt`
 * and `Lt` (the label must be an integer greater or less than the one value). `matchFields`
 * supports `metadata.name` with `In` and `NotIn` and exactly one value. A term with no
 * requirements matches nothing; a term with an invalid requirement matches nothing either (its
 * error is kept for whoever asks, as upstream's lazy-error selector).
 *
 * @example A pod that wants an arm64 node in zone a or b
 * ```ts
 * import assert from "node:assert/strict";
 * import { requiredNodeAffinity } from "./node_selector.ts";
 *
 * const affinity = requiredNodeAffinity({
 *   spec: {
 *     nodeSelector: { "kubernetes.io/arch": "arm64" },
 *     affinity: {
 *       nodeAffinity: {
 *         requiredDuringSchedulingIgnoredDuringExecution: {
 *           nodeSelectorTerms: [{
 *             matchExpressions: [{ key: "topology.kubernetes.io/zone", operator: "In", values: ["a", "b"] }],
 *           }],
 *         },
 *       },
 *     },
 *   },
 * });
 * const labels = { "kubernetes.io/arch": "arm64", "topology.kubernetes.io/zone": "b" };
 * assert.ok(affinity.match({ metadata: { name: "edge-1", labels } }));
 * assert.ok(!affinity.match({ metadata: { name: "edge-2", labels: { ...labels, "topology.kubernetes.io/zone": "c" } } }));
 * ```
 *
 * @module
 */
import type {
  NodeSelector,
  NodeSelectorRequirement,
  NodeSelectorTerm,
} from "../api/types/core_v1_common.ts";
import type { Node } from "../api/types/core_v1_node.ts";
import type { PodSpec } from "../api/types/core_v1_pod.ts";
import { labelRequirementErrors, parseInt64 } from "./_label_requirement.ts";

/** The node field `matchFields` can select on. */
export const OBJECT_NAME_FIELD = "metadata.name";

const OPERATORS = ["In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"] as const;
const FIELD_OPERATORS = ["In", "NotIn"] as const;

type Labels = Readonly<Record<string, string>>;
type Match = (labels: Labels, name: string) => boolean;

function quoteList(values: readonly string[]): string {
  return values.map((v) => JSON.stringify(v)).join(", ");
}

function compileRequirement(
  r: NodeSelectorRequirement,
  path: string,
  errors: string[],
): Match | null {
  const op = r.operator;
  const values = r.values ?? [];
  if (!(OPERATORS as readonly string[]).includes(op)) {
    errors.push(
      `${path}.operator: Unsupported value: ${JSON.stringify(op)}: supported values: ${
        quoteList(OPERATORS)
      }`,
    );
    return null;
  }
  const problems = labelRequirementErrors({ key: r.key, operator: op, values }, path);
  if (problems.length > 0) {
    errors.push(...problems);
    return null;
  }
  const key = r.key;
  const set = new Set(values);
  switch (op) {
    case "In":
      return (labels) => Object.hasOwn(labels, key) && set.has(labels[key]!);
    case "NotIn":
      return (labels) => !(Object.hasOwn(labels, key)) || !set.has(labels[key]!);
    case "Exists":
      return (labels) => Object.hasOwn(labels, key);
    case "DoesNotExist":
      return (labels) => !(Object.hasOwn(labels, key));
    default: {
      const limit = parseInt64(values[0]!)!;
      const greater = op === "Gt";
      return (labels) => {
        if (!(Object.hasOwn(labels, key))) return false;
        const n = parseInt64(labels[key]!);
        if (n === undefined) return false;
        return greater ? n > limit : n < limit;
      };
    }
  }
}

function compileField(r: NodeSelectorRequirement, path: string, errors: string[]): Match | null {
  const values = r.values ?? [];
  if (!(FIELD_OPERATORS as readonly string[]).includes(r.operator)) {
    errors.push(
      `${path}.operator: Unsupported value: ${JSON.stringify(r.operator)}: supported values: ${
        quoteList(FIELD_OPERATORS)
      }`,
    );
    return null;
  }
  if (values.length !== 1) {
    errors.push(`${path}.values: Invalid value: ${JSON.stringify(values)}: must have one element`);
    return null;
  }
  const key = r.key;
  const value = values[0]!;
  const equal = r.operator === "In";
  // Only metadata.name is a node field; any other key reads as "" (upstream fields.Set).
  return (_labels, name) => ((key === OBJECT_NAME_FIELD ? name : "") === value) === equal;
}

/** A compiled node selector term: matches, or carries the errors that make it match nothing. */
interface CompiledTerm {
  readonly matchers: readonly Match[];
  readonly fieldMatchers: readonly Match[];
  readonly errors: readonly string[];
}

function isEmptyTerm(term: NodeSelectorTerm): boolean {
  return (term.matchExpressions?.length ?? 0) === 0 && (term.matchFields?.length ?? 0) === 0;
}

function compileTerm(term: NodeSelectorTerm, path: string): CompiledTerm {
  const errors: string[] = [];
  const matchers: Match[] = [];
  const fieldMatchers: Match[] = [];
  (term.matchExpressions ?? []).forEach((r, i) => {
    const m = compileRequirement(r, `${path}.matchExpressions[${i}]`, errors);
    if (m !== null) matchers.push(m);
  });
  (term.matchFields ?? []).forEach((r, i) => {
    const m = compileField(r, `${path}.matchFields[${i}]`, errors);
    if (m !== null) fieldMatchers.push(m);
  });
  return { matchers, fieldMatchers, errors };
}

function termMatches(term: CompiledTerm, node: Node): boolean {
  if (term.errors.length > 0) return false;
  const labels = node.metadata?.labels ?? {};
  const name = node.metadata?.name ?? "";
  for (const m of term.matchers) if (!m(labels, name)) return false;
  // Upstream skips field requirements for a node without a name.
  if (name !== "") { for (const m of term.fieldMatchers) if (!m(labels, name)) return false; }
  return true;
}

/**
 * A compiled `NodeSelector` (upstream `LazyErrorNodeSelector`): terms ORed, empty terms
 * dropped, terms with invalid requirements never matching.
 */
export class CompiledNodeSelector {
  readonly #terms: readonly CompiledTerm[];

  constructor(selector: NodeSelector) {
    const terms: CompiledTerm[] = [];
    selector.nodeSelectorTerms.forEach((term, i) => {
      if (!isEmptyTerm(term)) terms.push(compileTerm(term, `nodeSelectorTerms[${i}]`));
    });
    this.#terms = terms;
  }

  /** The parse errors of all terms (upstream `NewNodeSelector` fails with these). */
  get errors(): readonly string[] {
    return this.#terms.flatMap((t) => t.errors);
  }

  /** Whether some term matches `node`. */
  match(node: Node): boolean {
    return this.#terms.some((t) => termMatches(t, node));
  }
}

/**
 * A pod's hard node constraints: `spec.nodeSelector` and
 * `spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution` (upstream
 * `RequiredNodeAffinity`).
 */
export interface RequiredNodeAffinity {
  /** Whether `node` satisfies both. */
  match(node: Node): boolean;
}

/** The part of a pod (or of a pod template) that holds its hard node constraints. */
export interface NodeConstrainedPod {
  readonly spec?: Pick<PodSpec, "nodeSelector" | "affinity"> | undefined;
}

/** The hard node constraints of `pod`, compiled once (upstream `GetRequiredNodeAffinity`). */
export function requiredNodeAffinity(pod: NodeConstrainedPod): RequiredNodeAffinity {
  const selector = Object.entries(pod.spec?.nodeSelector ?? {});
  const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  const compiled = required === undefined ? null : new CompiledNodeSelector(required);
  return {
    match(node: Node): boolean {
      const labels = node.metadata?.labels ?? {};
      for (const [key, value] of selector) {
        if (!Object.hasOwn(labels, key) || labels[key] !== value) return false;
      }
      return compiled === null || compiled.match(node);
    },
  };
}

/** A weighted node selector term (`PreferredSchedulingTerm`). */
export interface WeightedNodeSelectorTerm {
  readonly weight: number;
  readonly preference: NodeSelectorTerm;
}

/** Compiled preferred terms (upstream `PreferredSchedulingTerms`). */
export interface PreferredSchedulingTerms {
  /** The sum of the weights of the terms `node` matches. */
  score(node: Node): number;
}

/**
 * `terms` compiled; terms with weight 0 or no requirements are dropped (upstream
 * `NewPreferredSchedulingTerms`).
 *
 * @throws {TypeError} listing the invalid requirements, when any term has one.
 */
export function preferredSchedulingTerms(
  terms: readonly WeightedNodeSelectorTerm[],
): PreferredSchedulingTerms {
  const compiled: { term: CompiledTerm; weight: number }[] = [];
  const errors: string[] = [];
  terms.forEach((t, i) => {
    if (t.weight === 0 || isEmptyTerm(t.preference)) return;
    const term = compileTerm(t.preference, `[${i}].preference`);
    if (term.errors.length > 0) errors.push(...term.errors);
    else compiled.push({ term, weight: t.weight });
  });
  if (errors.length > 0) {
    throw new TypeError(`Invalid preferred scheduling terms: ${errors.join("; ")}`);
  }
  return {
    score(node: Node): number {
      let sum = 0;
      for (const { term, weight } of compiled) if (termMatches(term, node)) sum += weight;
      return sum;
    },
  };
}
