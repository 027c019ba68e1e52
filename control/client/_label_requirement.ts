/**
 * The checks upstream's `labels.NewRequirement` makes of one requirement, shared by the label
 * selector and the node selector matchers: the key is a qualified label key, `In`/`NotIn` have
 * values, `Exists`/`DoesNotExist` have none, `Gt`/`Lt` have exactly one integer, and every
 * value is a label value. The callers check the operator first (with their own message).
 *
 * @module
 */

const NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const INTEGER = /^[+-]?[0-9]+$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Whether `key` is a label key: an optional DNS subdomain prefix and `/`, then a name. */
export function isLabelKey(key: string): boolean {
  const slash = key.indexOf("/");
  const name = slash < 0 ? key : key.slice(slash + 1);
  if (name.length === 0 || name.length > 63 || !NAME_PART.test(name)) return false;
  if (slash < 0) return true;
  const prefix = key.slice(0, slash);
  return prefix.length > 0 && prefix.length <= 253 && DNS_SUBDOMAIN.test(prefix);
}

/** Whether `value` is a label value (empty, or up to 63 alphanumerics with `-_.` inside). */
export function isLabelValue(value: string): boolean {
  return value.length <= 63 && LABEL_VALUE.test(value);
}

/** `text` as Go's `strconv.ParseInt(text, 10, 64)` reads it, or `undefined`. */
export function parseInt64(text: string): bigint | undefined {
  if (!INTEGER.test(text)) return undefined;
  const n = BigInt(text);
  return n < INT64_MIN || n > INT64_MAX ? undefined : n;
}

/** One requirement as written: a key, an operator the caller has accepted, its values. */
export interface RequirementInput {
  readonly key: string;
  readonly operator: string;
  readonly values: readonly string[];
}

/** The problems of `r`, each as `<path>.<field>: <message>`; empty when it is valid. */
export function labelRequirementErrors(r: RequirementInput, path: string): string[] {
  const errors: string[] = [];
  const { operator: op, values } = r;
  if (!isLabelKey(r.key)) errors.push(`${path}.key: Invalid value: ${JSON.stringify(r.key)}`);
  if ((op === "In" || op === "NotIn") && values.length === 0) {
    errors.push(
      `${path}.values: Required value: for 'in', 'notin' operators, values set can't be empty`,
    );
  }
  if ((op === "Exists" || op === "DoesNotExist") && values.length > 0) {
    errors.push(
      `${path}.values: Forbidden: values set must be empty for exists and does not exist`,
    );
  }
  if (op === "Gt" || op === "Lt") {
    if (values.length !== 1) {
      errors.push(
        `${path}.values: Required value: for 'Gt', 'Lt' operators, exactly one value is required`,
      );
    } else if (parseInt64(values[0]!) === undefined) {
      errors.push(
        `${path}.values[0]: Invalid value: ${
          JSON.stringify(values[0])
        }: for 'Gt', 'Lt' operators, the value must be an integer`,
      );
    }
  }
  values.forEach((v, i) => {
    if (!isLabelValue(v)) errors.push(`${path}.values[${i}]: Invalid value: ${JSON.stringify(v)}`);
  });
  return errors;
}
