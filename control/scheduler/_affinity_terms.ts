/**
 * A pod's inter-pod (anti-)affinity terms parsed once (upstream `framework.AffinityTerm` and
 * `PodInfo.Update`): each term's label selector and namespace selector compiled, its namespaces
 * resolved (the pod's own namespace when a term names none and has no namespace selector), and
 * its `matchLabelKeys`/`mismatchLabelKeys` applied to the label selector as `In`/`NotIn` on the
 * pod's own label values. The API server already merges those keys at creation; requirements
 * it added are recognised and not repeated.
 *
 * A list holding an invalid term is left empty and its error kept, as upstream.
 *
 * @module
 */
import type { Pod, PodAffinityTerm } from "../api/types/core_v1_pod.ts";
import {
  type CompiledLabelSelector,
  compileLabelSelector,
  type LabelSet,
  type SelectorRequirement,
} from "../client/label_selector.ts";

/** One parsed pod affinity term. */
export interface AffinityTerm {
  /** The namespaces named by the term (or the pod's own). */
  readonly namespaces: ReadonlySet<string>;
  /** The namespaces selected by labels; matches nothing when the term has none. */
  readonly namespaceSelector: CompiledLabelSelector;
  /** The pods the term is about. */
  readonly selector: CompiledLabelSelector;
  /** The node label whose values are the term's topology domains. */
  readonly topologyKey: string;
}

/** A parsed preferred term with its weight. */
export interface WeightedAffinityTerm extends AffinityTerm {
  readonly weight: number;
}

/** All parsed pod affinity and anti-affinity terms of one pod. */
export interface PodAffinityTerms {
  readonly requiredAffinity: readonly AffinityTerm[];
  readonly requiredAntiAffinity: readonly AffinityTerm[];
  readonly preferredAffinity: readonly WeightedAffinityTerm[];
  readonly preferredAntiAffinity: readonly WeightedAffinityTerm[];
  /** Why a list was left empty, one message per invalid term. */
  readonly errors: readonly string[];
}

/** The terms of a pod without pod affinity or anti-affinity. */
export const NO_AFFINITY_TERMS: PodAffinityTerms = Object.freeze({
  requiredAffinity: Object.freeze([]),
  requiredAntiAffinity: Object.freeze([]),
  preferredAffinity: Object.freeze([]),
  preferredAntiAffinity: Object.freeze([]),
  errors: Object.freeze([]),
});

function labelKeyRequirements(term: PodAffinityTerm, labels: LabelSet): SelectorRequirement[] {
  const out: SelectorRequirement[] = [];
  for (const key of term.matchLabelKeys ?? []) {
    if (Object.hasOwn(labels, key)) out.push({ key, operator: "In", values: [labels[key]!] });
  }
  for (const key of term.mismatchLabelKeys ?? []) {
    if (Object.hasOwn(labels, key)) out.push({ key, operator: "NotIn", values: [labels[key]!] });
  }
  return out;
}

function parseTerm(pod: Pod, term: PodAffinityTerm): AffinityTerm {
  let selector = compileLabelSelector(term.labelSelector);
  const extra = labelKeyRequirements(term, pod.metadata?.labels ?? {});
  // A null selector matches nothing; the keys are not applied to it (as the API server).
  if (extra.length > 0 && !selector.isNothing) selector = selector.withRequirements(extra);
  const namespaceSelector = compileLabelSelector(term.namespaceSelector);
  const named = term.namespaces ?? [];
  const namespaces =
    named.length === 0 && (term.namespaceSelector === undefined || term.namespaceSelector === null)
      ? new Set([pod.metadata?.namespace ?? ""])
      : new Set(named);
  return { namespaces, namespaceSelector, selector, topologyKey: term.topologyKey };
}

function parseList<T, R>(
  items: readonly T[] | undefined,
  parse: { readonly one: (item: T) => R; readonly errors: string[]; readonly what: string },
): readonly R[] {
  if (items === undefined || items.length === 0) return [];
  const out: R[] = [];
  for (const item of items) {
    try {
      out.push(parse.one(item));
    } catch (err) {
      parse.errors.push(`${parse.what}: ${(err as Error).message}`);
      return [];
    }
  }
  return out;
}

/** The parsed terms of `pod`; {@linkcode NO_AFFINITY_TERMS} when it has none. */
export function parsePodAffinityTerms(pod: Pod): PodAffinityTerms {
  const affinity = pod.spec?.affinity;
  const podAffinity = affinity?.podAffinity;
  const antiAffinity = affinity?.podAntiAffinity;
  if (podAffinity === undefined && antiAffinity === undefined) return NO_AFFINITY_TERMS;
  const errors: string[] = [];
  const required = (t: PodAffinityTerm) => parseTerm(pod, t);
  const weighted = (t: { weight: number; podAffinityTerm: PodAffinityTerm }) => ({
    ...parseTerm(pod, t.podAffinityTerm),
    weight: t.weight,
  });
  return {
    requiredAffinity: parseList(podAffinity?.requiredDuringSchedulingIgnoredDuringExecution, {
      one: required,
      errors,
      what: "requiredAffinityTerms",
    }),
    requiredAntiAffinity: parseList(
      antiAffinity?.requiredDuringSchedulingIgnoredDuringExecution,
      { one: required, errors, what: "requiredAntiAffinityTerms" },
    ),
    preferredAffinity: parseList(podAffinity?.preferredDuringSchedulingIgnoredDuringExecution, {
      one: weighted,
      errors,
      what: "preferredAffinityTerms",
    }),
    preferredAntiAffinity: parseList(
      antiAffinity?.preferredDuringSchedulingIgnoredDuringExecution,
      { one: weighted, errors, what: "preferredAntiAffinityTerms" },
    ),
    errors,
  };
}

/**
 * Whether `pod` is one of the pods `term` is about (upstream `AffinityTerm.Matches`): in one
 * of its namespaces, or in a namespace its namespace selector picks by `namespaceLabels` (the
 * labels of the pod's namespace; absent counts as none), and selected by its label selector.
 */
export function affinityTermMatches(
  term: AffinityTerm,
  target: { readonly pod: Pod; readonly namespaceLabels: LabelSet | undefined },
): boolean {
  const meta = target.pod.metadata;
  if (
    !term.namespaces.has(meta?.namespace ?? "") &&
    !term.namespaceSelector.matches(target.namespaceLabels ?? {})
  ) {
    return false;
  }
  return term.selector.matches(meta?.labels);
}
