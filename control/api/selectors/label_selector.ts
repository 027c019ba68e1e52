/**
 * Label selectors: the string form (`app=web,tier in (a,b),!legacy`) that `?labelSelector=`
 * carries, and the `metav1.LabelSelector` form (`matchLabels`, `matchExpressions`) workloads
 * use — both compiled to one list of requirements, ANDed (apimachinery `pkg/labels`).
 *
 * @example Parse and match a selector
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseLabelSelector } from "./label_selector.ts";
 *
 * const sel = parseLabelSelector("app=web,tier in (front,back),!legacy");
 * assert.equal(sel.matches({ app: "web", tier: "front" }), true);
 * assert.equal(sel.matches({ app: "web", tier: "db" }), false);
 * ```
 *
 * @module
 */
import { isQualifiedName, isValidLabelValue } from "../validation/names.ts";

/** A requirement's operator. */
export type LabelOperator =
  | "="
  | "!="
  | "in"
  | "notin"
  | "exists"
  | "!"
  | "gt"
  | "lt";

/** One requirement on one label key. */
export interface LabelRequirement {
  readonly key: string;
  readonly operator: LabelOperator;
  readonly values: readonly string[];
}

/** A compiled selector: every requirement must hold. */
export class LabelMatcher {
  readonly requirements: readonly LabelRequirement[];

  constructor(requirements: readonly LabelRequirement[]) {
    this.requirements = requirements;
  }

  /** Whether it selects everything. */
  get empty(): boolean {
    return this.requirements.length === 0;
  }

  /** Whether `labels` satisfy every requirement. */
  matches(labels: Readonly<Record<string, string>> | undefined): boolean {
    const l = labels ?? {};
    for (const r of this.requirements) {
      const has = Object.hasOwn(l, r.key);
      const v = has ? l[r.key]! : undefined;
      switch (r.operator) {
        case "=":
        case "in":
          if (!has || !r.values.includes(v!)) return false;
          break;
        case "!=":
        case "notin":
          if (has && r.values.includes(v!)) return false;
          break;
        case "exists":
          if (!has) return false;
          break;
        case "!":
          if (has) return false;
          break;
        case "gt":
        case "lt": {
          if (!has || !/^-?\d+$/.test(v!)) return false;
          const n = Number(v);
          const bound = Number(r.values[0]);
          if (r.operator === "gt" ? !(n > bound) : !(n < bound)) return false;
          break;
        }
      }
    }
    return true;
  }

  /** The selector in its string form (`app=web,tier in (a,b)`). */
  toString(): string {
    return this.requirements.map((r) => {
      switch (r.operator) {
        case "exists":
          return r.key;
        case "!":
          return `!${r.key}`;
        case "=":
          return `${r.key}=${r.values[0]}`;
        case "!=":
          return `${r.key}!=${r.values[0]}`;
        case "gt":
          return `${r.key}>${r.values[0]}`;
        case "lt":
          return `${r.key}<${r.values[0]}`;
        default:
          return `${r.key} ${r.operator} (${[...r.values].sort().join(",")})`;
      }
    }).join(",");
  }
}

/** A selector that matches everything. */
export const EVERYTHING: LabelMatcher = new LabelMatcher([]);

/** A selector string that cannot be parsed. */
export class SelectorParseError extends SyntaxError {
  constructor(message: string) {
    super(message);
    this.name = "SelectorParseError";
  }
}

function checkKey(key: string): void {
  const errs = isQualifiedName(key);
  if (errs.length > 0) {
    throw new SelectorParseError(
      `unable to parse requirement: key: Invalid value: "${key}": ${errs.join("; ")}`,
    );
  }
}

function checkValue(key: string, value: string): void {
  const errs = isValidLabelValue(value);
  if (errs.length > 0) {
    throw new SelectorParseError(
      `unable to parse requirement: values[0][${key}]: Invalid value: "${value}": ${
        errs.join("; ")
      }`,
    );
  }
}

type Token =
  | { kind: "id"; text: string }
  | { kind: "op"; text: string }
  | { kind: "("; text: string }
  | { kind: ")"; text: string }
  | { kind: ","; text: string }
  | { kind: "end"; text: string };

const SPECIAL = new Set(["=", "!", "(", ")", ",", ">", "<"]);

function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i]!;
    if (c === " " || c === "\t") {
      i++;
    } else if (c === "(" || c === ")" || c === ",") {
      tokens.push({ kind: c, text: c });
      i++;
    } else if (c === "=" || c === "!" || c === ">" || c === "<") {
      let op = c;
      if ((c === "=" || c === "!") && input[i + 1] === "=") op += "=";
      tokens.push({ kind: "op", text: op });
      i += op.length;
    } else {
      let j = i;
      while (j < input.length && !SPECIAL.has(input[j]!) && input[j] !== " " && input[j] !== "\t") {
        j++;
      }
      tokens.push({ kind: "id", text: input.slice(i, j) });
      i = j;
    }
  }
  tokens.push({ kind: "end", text: "" });
  return tokens;
}

function describe(t: Token): string {
  return t.kind === "end" ? "end of string" : `'${t.text}'`;
}

/**
 * Parses the string form of a label selector, as `?labelSelector=` carries it. Throws
 * {@linkcode SelectorParseError} with a message naming what was expected.
 */
export function parseLabelSelector(input: string): LabelMatcher {
  if (input.trim() === "") return EVERYTHING;
  const tokens = tokenize(input);
  let pos = 0;
  const next = () => tokens[pos++]!;
  const peek = () => tokens[pos]!;
  const reqs: LabelRequirement[] = [];
  for (;;) {
    let t = next();
    if (t.kind === "op" && t.text === "!") {
      const key = next();
      if (key.kind !== "id") {
        throw new SelectorParseError(`found ${describe(key)}, expected: identifier`);
      }
      checkKey(key.text);
      reqs.push({ key: key.text, operator: "!", values: [] });
    } else if (t.kind === "id") {
      const key = t.text;
      checkKey(key);
      const after = peek();
      if (after.kind === "," || after.kind === "end") {
        reqs.push({ key, operator: "exists", values: [] });
      } else if (after.kind === "op") {
        next();
        const op = after.text === "==" || after.text === "="
          ? "="
          : after.text === "!="
          ? "!="
          : after.text === ">"
          ? "gt"
          : after.text === "<"
          ? "lt"
          : null;
        if (op === null) {
          throw new SelectorParseError(
            `found ${describe(after)}, expected: '=', '!=', '==', 'in', notin'`,
          );
        }
        const v = peek();
        let value = "";
        if (v.kind === "id") {
          value = next().text;
        } else if (op === "gt" || op === "lt" || (v.kind !== "," && v.kind !== "end")) {
          throw new SelectorParseError(`found ${describe(v)}, expected: identifier`);
        }
        if (op === "gt" || op === "lt") {
          if (!/^-?\d+$/.test(value)) {
            throw new SelectorParseError(
              `unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer`,
            );
          }
        } else {
          checkValue(key, value);
        }
        reqs.push({ key, operator: op, values: [value] });
      } else if (after.kind === "id" && (after.text === "in" || after.text === "notin")) {
        next();
        const open = next();
        if (open.kind !== "(") {
          throw new SelectorParseError(`found ${describe(open)}, expected: '('`);
        }
        const values: string[] = [];
        for (;;) {
          const v = next();
          if (v.kind === "id") {
            checkValue(key, v.text);
            values.push(v.text);
            t = next();
          } else {
            // An empty value: `in (a,)` or `in ()`.
            values.push("");
            t = v;
          }
          if (t.kind === ")") break;
          if (t.kind !== ",") {
            throw new SelectorParseError(`found ${describe(t)}, expected: ',' or ')'`);
          }
        }
        reqs.push({ key, operator: after.text, values });
      } else {
        throw new SelectorParseError(
          `found ${describe(after)}, expected: in, notin, =, ==, !=, gt, lt`,
        );
      }
    } else {
      throw new SelectorParseError(`found ${describe(t)}, expected: !, identifier`);
    }
    const sep = next();
    if (sep.kind === "end") break;
    if (sep.kind !== ",") {
      throw new SelectorParseError(`found ${describe(sep)}, expected: ',' or 'end of string'`);
    }
  }
  return new LabelMatcher(reqs);
}

/** The `metav1.LabelSelector` form. */
export interface LabelSelectorObject {
  readonly matchLabels?: Readonly<Record<string, string>>;
  readonly matchExpressions?: readonly {
    readonly key: string;
    readonly operator: string;
    readonly values?: readonly string[];
  }[];
}

/**
 * Compiles a `metav1.LabelSelector` (`LabelSelectorAsSelector`): null or undefined selects
 * nothing, `{}` selects everything. Throws `SelectorParseError` on an unknown operator.
 */
export function fromLabelSelectorObject(
  selector: LabelSelectorObject | null | undefined,
): LabelMatcher | null {
  if (selector === null || selector === undefined) return null;
  const reqs: LabelRequirement[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    reqs.push({ key, operator: "=", values: [value] });
  }
  for (const expr of selector.matchExpressions ?? []) {
    const values = expr.values ?? [];
    switch (expr.operator) {
      case "In":
        reqs.push({ key: expr.key, operator: "in", values });
        break;
      case "NotIn":
        reqs.push({ key: expr.key, operator: "notin", values });
        break;
      case "Exists":
        reqs.push({ key: expr.key, operator: "exists", values: [] });
        break;
      case "DoesNotExist":
        reqs.push({ key: expr.key, operator: "!", values: [] });
        break;
      default:
        throw new SelectorParseError(`"${expr.operator}" is not a valid label selector operator`);
    }
  }
  return new LabelMatcher(reqs);
}
