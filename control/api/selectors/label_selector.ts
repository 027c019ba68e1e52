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

/** Requirements in key order, as upstream's parser and `LabelSelectorAsSelector` sort them. */
function byKey(reqs: LabelRequirement[]): LabelRequirement[] {
  return reqs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

type TokenKind =
  | "end"
  | "id"
  | "in"
  | "notin"
  | "!"
  | "="
  | "=="
  | "!="
  | ">"
  | "<"
  | "("
  | ")"
  | ",";

interface Token {
  readonly kind: TokenKind;
  /** The text as written (`""` at the end), which error messages quote. */
  readonly text: string;
}

/** Characters that end an identifier and start an operator. */
const SPECIAL = new Set(["=", "!", "(", ")", ",", ">", "<"]);
const SYMBOLS = new Set<string>(["=", "==", "!", "!=", ">", "<", "(", ")", ","]);

function isSpace(c: string): boolean {
  return c === " " || c === "\t" || c === "\r" || c === "\n";
}

/** Splits a selector into tokens, as apimachinery's lexer: the longest operator wins. */
function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  for (;;) {
    while (i < input.length && isSpace(input[i]!)) i++;
    if (i >= input.length) break;
    const c = input[i]!;
    if (SPECIAL.has(c)) {
      const two = input.slice(i, i + 2);
      const text = SYMBOLS.has(two) ? two : c;
      tokens.push({ kind: text as TokenKind, text });
      i += text.length;
      continue;
    }
    let j = i;
    while (j < input.length && !SPECIAL.has(input[j]!) && !isSpace(input[j]!)) j++;
    const text = input.slice(i, j);
    tokens.push({ kind: text === "in" || text === "notin" ? text : "id", text });
    i = j;
  }
  tokens.push({ kind: "end", text: "" });
  return tokens;
}

/** Go's `strconv.ParseInt(s, 10, 64)` succeeds. */
function isInt64(s: string): boolean {
  if (!/^[+-]?\d+$/.test(s)) return false;
  const n = BigInt(s);
  return n >= -(2n ** 63n) && n < 2n ** 63n;
}

/** Checks a parsed requirement as upstream's `NewRequirement` does (values in sorted order). */
function requirement(key: string, operator: LabelOperator, values: string[]): LabelRequirement {
  const sorted = [...new Set(values)].sort();
  const errs: string[] = [];
  if (operator === "gt" || operator === "lt") {
    sorted.forEach((v, i) => {
      if (!isInt64(v)) {
        errs.push(
          `values[${i}]: Invalid value: ${
            JSON.stringify(v)
          }: for 'Gt', 'Lt' operators, the value must be an integer`,
        );
      }
    });
  }
  sorted.forEach((v, i) => {
    const bad = isValidLabelValue(v);
    if (bad.length > 0) {
      errs.push(`values[${i}][${key}]: Invalid value: ${JSON.stringify(v)}: ${bad.join("; ")}`);
    }
  });
  const unique = [...new Set(errs)];
  if (unique.length === 1) throw new Error(unique[0]);
  if (unique.length > 1) throw new Error(`[${unique.join(", ")}]`);
  return { key, operator, values: operator === "in" || operator === "notin" ? sorted : values };
}

/** The recursive-descent parser of apimachinery's `labels.Parse`, with its error texts. */
class Parser {
  readonly #tokens: Token[];
  #pos = 0;

  constructor(input: string) {
    this.#tokens = tokenize(input);
  }

  /** The next token; in a value position `in` and `notin` are plain identifiers. */
  #peek(values: boolean): Token {
    return Parser.#asValue(this.#tokens[this.#pos]!, values);
  }

  #next(values: boolean): Token {
    const t = this.#tokens[this.#pos]!;
    if (t.kind !== "end") this.#pos++;
    return Parser.#asValue(t, values);
  }

  static #asValue(t: Token, values: boolean): Token {
    return values && (t.kind === "in" || t.kind === "notin") ? { kind: "id", text: t.text } : t;
  }

  parse(): LabelRequirement[] {
    const reqs: LabelRequirement[] = [];
    for (;;) {
      const t = this.#peek(true);
      if (t.kind === "end") return reqs;
      if (t.kind !== "id" && t.kind !== "!") {
        throw new SelectorParseError(
          `found '${t.text}', expected: !, identifier, or 'end of string'`,
        );
      }
      try {
        reqs.push(this.#requirement());
      } catch (err) {
        throw new SelectorParseError(`unable to parse requirement: ${(err as Error).message}`);
      }
      const sep = this.#next(true);
      if (sep.kind === "end") return reqs;
      if (sep.kind !== ",") {
        throw new SelectorParseError(`found '${sep.text}', expected: ',' or 'end of string'`);
      }
      const after = this.#peek(true);
      if (after.kind !== "id" && after.kind !== "!") {
        throw new SelectorParseError(`found '${after.text}', expected: identifier after ','`);
      }
    }
  }

  #requirement(): LabelRequirement {
    let t = this.#next(true);
    const negated = t.kind === "!";
    if (negated) t = this.#next(true);
    if (t.kind !== "id") throw new Error(`found '${t.text}', expected: identifier`);
    const key = t.text;
    const keyErrors = isQualifiedName(key);
    if (keyErrors.length > 0) {
      // Upstream validates the key with no field path, which prints as "<nil>".
      throw new Error(`<nil>: Invalid value: ${JSON.stringify(key)}: ${keyErrors.join("; ")}`);
    }
    const after = this.#peek(true);
    if (negated) return requirement(key, "!", []);
    if (after.kind === "end" || after.kind === ",") return requirement(key, "exists", []);
    const op = this.#next(false);
    switch (op.kind) {
      case "in":
      case "notin":
        return requirement(key, op.kind, this.#values());
      case "=":
      case "==":
        return requirement(key, "=", [this.#exactValue()]);
      case "!=":
        return requirement(key, "!=", [this.#exactValue()]);
      case ">":
        return requirement(key, "gt", [this.#exactValue()]);
      case "<":
        return requirement(key, "lt", [this.#exactValue()]);
      default:
        throw new Error(`found '${op.text}', expected: in, notin, =, ==, !=, gt, lt`);
    }
  }

  /** `( a, b, … )`; empty entries are the empty value. */
  #values(): string[] {
    const open = this.#next(true);
    if (open.kind !== "(") throw new Error(`found '${open.text}' expected: '('`);
    const first = this.#peek(true);
    if (first.kind === ")") {
      this.#next(true);
      return [""];
    }
    if (first.kind !== "id" && first.kind !== ",") {
      throw new Error(`found '${first.text}', expected: ',', ')' or identifier`);
    }
    const values: string[] = [];
    for (;;) {
      const t = this.#next(true);
      if (t.kind === "id") {
        values.push(t.text);
        const after = this.#peek(true);
        if (after.kind === ")") break;
        if (after.kind !== ",") throw new Error(`found '${after.text}', expected: ',' or ')'`);
      } else if (t.kind === ",") {
        if (values.length === 0) values.push("");
        const after = this.#peek(true);
        if (after.kind === ")" || after.kind === ",") values.push("");
        if (after.kind === ")") break;
      } else {
        throw new Error(`found '${t.text}', expected: ',', or identifier`);
      }
    }
    this.#next(true); // the ")"
    return values;
  }

  /** The value after `=`, `==`, `!=`, `>` or `<`; nothing is the empty value. */
  #exactValue(): string {
    const t = this.#peek(true);
    if (t.kind === "end" || t.kind === ",") return "";
    this.#next(true);
    if (t.kind === "id") return t.text;
    throw new Error(`found '${t.text}', expected: identifier`);
  }
}

/**
 * Parses the string form of a label selector, as `?labelSelector=` carries it, with
 * apimachinery's grammar and error messages (`found '', expected: identifier after ','`).
 * Throws {@linkcode SelectorParseError}.
 */
export function parseLabelSelector(input: string): LabelMatcher {
  const reqs = new Parser(input).parse();
  return reqs.length === 0 ? EVERYTHING : new LabelMatcher(byKey(reqs));
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
  return new LabelMatcher(byKey(reqs));
}
