/**
 * `metav1.LabelSelector` matching for controllers, as apimachinery's `LabelSelectorAsSelector`:
 * `matchLabels` and `matchExpressions` (`In`, `NotIn`, `Exists`, `DoesNotExist`), ANDed. A
 * missing selector matches nothing, an empty one (`{}`) everything; a malformed one (an unknown
 * operator, `In` without values, `Exists` with values) cannot be used at all. Controllers keep
 * their own small matcher: they may not import `control/api/selectors`.
 *
 * @module
 */
import type { LabelSelector } from "../api/types/meta_v1.ts";

/** A compiled selector. */
export interface Selector {
  /** Whether `labels` satisfy every requirement. */
  matches(labels: Readonly<Record<string, string>> | undefined): boolean;
  /** True for the selector of `{}`, which matches everything. */
  readonly empty: boolean;
}

interface Requirement {
  readonly key: string;
  readonly op: "In" | "NotIn" | "Exists" | "DoesNotExist";
  readonly values: ReadonlySet<string>;
}

const NOTHING: Selector = { matches: () => false, empty: false };

/**
 * Compiles `selector`; throws `TypeError` when it is malformed. `null`/`undefined` compiles to a
 * selector matching nothing.
 */
export function compileSelector(selector: LabelSelector | null | undefined): Selector {
  if (selector === null || selector === undefined) return NOTHING;
  const requirements: Requirement[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    requirements.push({ key, op: "In", values: new Set([value]) });
  }
  for (const expr of selector.matchExpressions ?? []) {
    const values = expr.values ?? [];
    switch (expr.operator) {
      case "In":
      case "NotIn":
        if (values.length === 0) {
          throw new TypeError(
            `Cannot use label selector: "${expr.key}" ${expr.operator} needs at least one value`,
          );
        }
        break;
      case "Exists":
      case "DoesNotExist":
        if (values.length > 0) {
          throw new TypeError(
            `Cannot use label selector: "${expr.key}" ${expr.operator} takes no values`,
          );
        }
        break;
      default:
        throw new TypeError(
          `Cannot use label selector: "${expr.operator}" is not a valid label selector operator`,
        );
    }
    requirements.push({ key: expr.key, op: expr.operator, values: new Set(values) });
  }
  return {
    empty: requirements.length === 0,
    matches(labels) {
      for (const r of requirements) {
        const has = labels !== undefined && Object.hasOwn(labels, r.key);
        const value = has ? labels![r.key]! : "";
        switch (r.op) {
          case "In":
            if (!has || !r.values.has(value)) return false;
            break;
          case "NotIn":
            if (has && r.values.has(value)) return false;
            break;
          case "Exists":
            if (!has) return false;
            break;
          case "DoesNotExist":
            if (has) return false;
            break;
        }
      }
      return true;
    },
  };
}

/** Whether `labels` has every label of `subset`, with its value (a `labels.Set` as selector). */
export function hasLabels(
  labels: Readonly<Record<string, string>> | undefined,
  subset: Readonly<Record<string, string>> | undefined,
): boolean {
  for (const [key, value] of Object.entries(subset ?? {})) {
    if (labels?.[key] !== value) return false;
  }
  return true;
}
