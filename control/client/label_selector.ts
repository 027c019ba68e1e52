/**
 * `metav1.LabelSelector` matching for scheduler plugins (upstream `LabelSelectorAsSelector` and
 * `labels.Selector`): `matchLabels` and `matchExpressions` (`In`, `NotIn`, `Exists`,
 * `DoesNotExist`) compiled once into requirements that are ANDed. A `null` or absent selector
 * matches nothing; an empty one (`{}`) matches everything. `NotIn` and `DoesNotExist` hold for a
 * label that is absent.
 *
 * The scheduler keeps its own small matcher (it may not import `control/api/selectors`) tuned
 * for the hot path: one requirement with one value compares a string, several use a set.
 *
 * @example A term's selector, compiled once and matched against pods' labels
 * ```ts
 * import assert from "node:assert/strict";
 * import { compileLabelSelector } from "./label_selector.ts";
 *
 * const selector = compileLabelSelector({
 *   matchLabels: { app: "web" },
 *   matchExpressions: [{ key: "tier", operator: "NotIn", values: ["db"] }],
 * });
 * assert.ok(selector.matches({ app: "web", tier: "front" }));
 * assert.ok(selector.matches({ app: "web" }));
 * assert.ok(!selector.matches({ app: "web", tier: "db" }));
 * assert.ok(!compileLabelSelector(null).matches({ app: "web" }));
 * assert.ok(compileLabelSelector({}).matches(undefined));
 * ```
 *
 * @module
 */
import type { LabelSelector } from "../api/types/meta_v1.ts";
import { isLabelKey, isLabelValue, labelRequirementErrors } from "./_label_requirement.ts";

/** A set of labels (an object's `metadata.labels`). */
export type LabelSet = Readonly<Record<string, string>>;

/** The operators a `metav1.LabelSelector` expression may use. */
export const SELECTOR_OPERATORS = ["In", "NotIn", "Exists", "DoesNotExist"] as const;

/** One of {@linkcode SELECTOR_OPERATORS}. */
export type SelectorOperator = typeof SELECTOR_OPERATORS[number];

/** One requirement on one label key; `matchLabels` entries become `In` with one value. */
export interface SelectorRequirement {
  readonly key: string;
  readonly operator: SelectorOperator;
  readonly values: readonly string[];
}

/** A requirement prepared for matching. */
interface Matcher {
  readonly key: string;
  /** 0 In, 1 NotIn, 2 Exists, 3 DoesNotExist. */
  readonly op: number;
  /** The only value, when there is exactly one. */
  readonly single: string | undefined;
  /** The values, when there are several. */
  readonly set: ReadonlySet<string> | undefined;
}

function toMatcher(r: SelectorRequirement): Matcher {
  const op = SELECTOR_OPERATORS.indexOf(r.operator);
  const single = r.values.length === 1 ? r.values[0] : undefined;
  const set = r.values.length > 1 ? new Set(r.values) : undefined;
  return { key: r.key, op, single, set };
}

function hasValue(m: Matcher, value: string): boolean {
  return m.single !== undefined ? m.single === value : m.set !== undefined && m.set.has(value);
}

function sameRequirement(a: SelectorRequirement, b: SelectorRequirement): boolean {
  return a.key === b.key && a.operator === b.operator && a.values.length === b.values.length &&
    a.values.every((v, i) => v === b.values[i]);
}

/** A compiled label selector; immutable. */
export class CompiledLabelSelector {
  /** The selector that matches nothing (a `null` selector). */
  static readonly NOTHING: CompiledLabelSelector = new CompiledLabelSelector([], true);
  /** The selector that matches everything (`{}`). */
  static readonly EVERYTHING: CompiledLabelSelector = new CompiledLabelSelector([], false);

  /** The requirements, all of which must hold. */
  readonly requirements: readonly SelectorRequirement[];
  /** Whether this selector matches nothing at all. */
  readonly isNothing: boolean;
  readonly #matchers: readonly Matcher[];

  /** Prefer {@linkcode compileLabelSelector}; requirements are taken as valid. */
  constructor(requirements: readonly SelectorRequirement[], nothing = false) {
    this.requirements = nothing ? [] : requirements;
    this.isNothing = nothing;
    this.#matchers = this.requirements.map(toMatcher);
  }

  /**
   * Whether the selector has no requirements and so matches everything (upstream
   * `Selector.Empty()`); `false` for {@linkcode CompiledLabelSelector.NOTHING}.
   */
  get isEmpty(): boolean {
    return !this.isNothing && this.requirements.length === 0;
  }

  /** Whether `labels` (absent means none) satisfy every requirement. */
  matches(labels: LabelSet | undefined): boolean {
    if (this.isNothing) return false;
    const matchers = this.#matchers;
    for (let i = 0; i < matchers.length; i++) {
      const m = matchers[i]!;
      const value = labels === undefined || !Object.hasOwn(labels, m.key)
        ? undefined
        : labels[m.key];
      switch (m.op) {
        case 0:
          if (value === undefined || !hasValue(m, value)) return false;
          break;
        case 1:
          if (value !== undefined && hasValue(m, value)) return false;
          break;
        case 2:
          if (value === undefined) return false;
          break;
        default:
          if (value !== undefined) return false;
      }
    }
    return true;
  }

  /**
   * This selector with `extra` requirements ANDed (upstream `Selector.Add`); requirements it
   * already has are not repeated. {@linkcode CompiledLabelSelector.NOTHING} stays as it is.
   */
  withRequirements(extra: readonly SelectorRequirement[]): CompiledLabelSelector {
    if (this.isNothing) return this;
    const added = extra.filter((r, i) =>
      !this.requirements.some((have) => sameRequirement(have, r)) &&
      !extra.slice(0, i).some((earlier) => sameRequirement(earlier, r))
    );
    if (added.length === 0) return this;
    return new CompiledLabelSelector([...this.requirements, ...added]);
  }
}

/**
 * The selector requiring each label of `set` (upstream `labels.SelectorFromSet`); an empty set
 * matches everything.
 */
export function labelSelectorFromSet(set: LabelSet): CompiledLabelSelector {
  const keys = Object.keys(set);
  if (keys.length === 0) return CompiledLabelSelector.EVERYTHING;
  return new CompiledLabelSelector(
    keys.map((key) => ({ key, operator: "In", values: [set[key]!] })),
  );
}

/** The problems of `selector`, each as `path: message`; empty when it is valid. */
export function labelSelectorErrors(selector: LabelSelector | null | undefined): string[] {
  const errors: string[] = [];
  if (selector === null || selector === undefined) return errors;
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (!isLabelKey(key)) errors.push(`matchLabels: Invalid value: ${JSON.stringify(key)}`);
    if (!isLabelValue(value)) {
      errors.push(`matchLabels[${key}]: Invalid value: ${JSON.stringify(value)}`);
    }
  }
  (selector.matchExpressions ?? []).forEach((e, i) => {
    const path = `matchExpressions[${i}]`;
    const op = e.operator;
    const values = e.values ?? [];
    if (!(SELECTOR_OPERATORS as readonly string[]).includes(op)) {
      errors.push(`${path}.operator: ${JSON.stringify(op)} is not a valid label selector operator`);
      return;
    }
    errors.push(...labelRequirementErrors({ key: e.key, operator: op, values }, path));
  });
  return errors;
}

/**
 * `selector` compiled (upstream `metav1.LabelSelectorAsSelector`): `null`/absent matches
 * nothing, no requirements matches everything.
 *
 * @throws {TypeError} `Invalid label selector: <problems>` when a key, value or operator is
 * invalid.
 */
export function compileLabelSelector(
  selector: LabelSelector | null | undefined,
): CompiledLabelSelector {
  if (selector === null || selector === undefined) return CompiledLabelSelector.NOTHING;
  const labels = selector.matchLabels ?? {};
  const expressions = selector.matchExpressions ?? [];
  const keys = Object.keys(labels);
  if (keys.length === 0 && expressions.length === 0) return CompiledLabelSelector.EVERYTHING;
  const errors = labelSelectorErrors(selector);
  if (errors.length > 0) throw new TypeError(`Invalid label selector: ${errors.join("; ")}`);
  const requirements: SelectorRequirement[] = keys.map((key) => ({
    key,
    operator: "In",
    values: [labels[key]!],
  }));
  for (const e of expressions) {
    requirements.push({
      key: e.key,
      operator: e.operator as SelectorOperator,
      values: e.values ?? [],
    });
  }
  return new CompiledLabelSelector(requirements);
}
