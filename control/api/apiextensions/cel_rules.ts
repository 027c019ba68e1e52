/**
 * CEL validation rules of CRD schemas (`x-kubernetes-validations`): compiled when the CRD is
 * written (a rule that does not compile makes the CRD invalid) and evaluated on every write of
 * a custom resource, for every value the rule's schema node describes (each list item, each
 * map value), with `self` bound to the value and, in transition rules, `oldSelf` to the value
 * before the update — evaluated only when the old value exists (or always, as an optional, with
 * `optionalOldSelf`). A false rule reports `message`, `messageExpression`'s result or
 * `failed rule: <rule>`, at the node's path plus `fieldPath`, with the `reason` asked for.
 *
 * Values reach CEL as upstream passes them: integers as CEL `int`, numbers as `double`, objects
 * with declared properties as messages whose property names are escaped (`x-prop` is
 * `x__dash__prop`, `namespace` is `__namespace__`), maps as maps, only `apiVersion`, `kind`,
 * `metadata.name` and `metadata.generateName` of an object's metadata. Beyond the standard
 * library, the Kubernetes list (`isSorted`, `sum`, `min`, `max`, `indexOf`, `lastIndexOf`),
 * regex (`find`, `findAll`), string (`charAt`, `replace`, `reverse`, `join`) and quantity
 * (`quantity`, `isQuantity`, comparisons, `add`, `sub`, `asInteger`) functions are provided,
 * and (`_cel_library.ts`) `url`, `ip`, `cidr`, `format`, `semver` and `sets`.
 *
 * Costs follow upstream's limits (`_cel_cost.ts`): when the CRD is written, a rule whose
 * estimated cost times its schema node's cardinality exceeds 10,000,000 is refused
 * (`estimated rule cost exceeds budget by factor of …`), as is a schema whose rules total more
 * than 100,000,000; when an object is validated, an evaluation estimated (on the actual
 * values) above 1,000,000 stops validation (`call cost exceeds limit`), and so do evaluations
 * beyond the object's budget of 10,000,000. The evaluator cannot count its steps, so runtime
 * costs are the cost model's upper bound for the actual values, not cel-go's exact count.
 *
 * The evaluator is `@marcbachmann/cel-js` (zero dependencies, ~230 kB, parse once, type-check,
 * macros, optional types); imported by `npm:` specifier until the import map names it.
 *
 * @example Evaluate a rule
 * ```ts ignore
 * const rules = compileSchemaRules(schema);
 * const errs = evaluateRules(rules, { value: obj });
 * ```
 *
 * @module
 */
import { type ASTNode, Environment, Optional } from "@marcbachmann/cel-js";
import type { JSONSchemaProps, ValidationRule } from "../types/apiextensions_v1.ts";
import { Quantity } from "../types/quantity.ts";
import {
  duplicate,
  type FieldError,
  FieldPath,
  forbidden,
  invalid,
  required,
} from "../validation/field_errors.ts";
import {
  costErrorMessage,
  estimateCost,
  maxCardinality,
  PER_CALL_LIMIT,
  RUNTIME_COST_BUDGET,
  schemaSize,
  STATIC_COST_LIMIT,
  STATIC_CRD_COST_LIMIT,
  valueSize,
} from "./_cel_cost.ts";
import { celEqual, registerKubernetesLibraries } from "./_cel_library.ts";
import { additionalOf, itemsOf } from "./structural.ts";

/** The reasons a rule may report, as upstream's `FieldValueErrorReason`. */
export const RULE_REASONS = [
  "FieldValueInvalid",
  "FieldValueForbidden",
  "FieldValueRequired",
  "FieldValueDuplicate",
] as const;

/** CEL's reserved words, escaped as `__<word>__` in property names. */
const RESERVED = new Set([
  "true",
  "false",
  "null",
  "in",
  "as",
  "break",
  "const",
  "continue",
  "else",
  "for",
  "function",
  "if",
  "import",
  "let",
  "loop",
  "package",
  "namespace",
  "return",
]);

/** A property name as CEL rules spell it, or null when rules cannot reach it. */
export function escapePropertyName(name: string): string | null {
  if (!/^[a-zA-Z_.\-/][a-zA-Z0-9_.\-/]*$/.test(name)) return null;
  if (RESERVED.has(name)) return `__${name}__`;
  return name.replaceAll("__", "__underscores__").replaceAll(".", "__dot__")
    .replaceAll("-", "__dash__").replaceAll("/", "__slash__");
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Quantity) &&
    !(v instanceof Optional);
}

let environments: { plain: Environment; optionalOldSelf: Environment } | undefined;

function listOf(v: unknown): unknown[] {
  if (!Array.isArray(v)) throw new TypeError("Cannot apply a list function to a non-list");
  return v;
}

function compareCel(a: unknown, b: unknown): number {
  if (typeof a === "string" && typeof b === "string") return a < b ? -1 : a > b ? 1 : 0;
  const x = typeof a === "bigint" ? a : Number(a);
  const y = typeof b === "bigint" ? b : Number(b);
  if (typeof x === "bigint" && typeof y === "bigint") return x < y ? -1 : x > y ? 1 : 0;
  const nx = Number(x);
  const ny = Number(y);
  return nx < ny ? -1 : nx > ny ? 1 : 0;
}

function parseQuantity(text: string): Quantity {
  return Quantity.parse(text);
}

/**
 * The shared CEL environments: `self`, Kubernetes' libraries, and `oldSelf` as a value or, for
 * rules with `optionalOldSelf`, as an optional.
 */
function celEnvironment(optionalOldSelf = false): Environment {
  environments ??= buildEnvironments();
  return optionalOldSelf ? environments.optionalOldSelf : environments.plain;
}

function buildEnvironments(): { plain: Environment; optionalOldSelf: Environment } {
  const env = new Environment({
    homogeneousAggregateLiterals: false,
    enableOptionalTypes: true,
    limits: { maxAstNodes: 10000, maxDepth: 100, maxListElements: 1000, maxMapEntries: 1000 },
  });
  env.registerVariable("self", "dyn");
  env.registerType("Quantity", Quantity);
  env
    .registerFunction("list.isSorted(): bool", (l: unknown) => {
      const list = listOf(l);
      return list.every((v, i) => i === 0 || compareCel(list[i - 1], v) <= 0);
    })
    .registerFunction("list.sum(): dyn", (l: unknown) => {
      const list = listOf(l);
      if (list.length === 0) return 0n;
      if (list.every((v) => typeof v === "bigint")) {
        return (list as bigint[]).reduce((a, b) => a + b, 0n);
      }
      return list.reduce((a: number, b) => a + Number(b), 0);
    })
    .registerFunction("list.min(): dyn", (l: unknown) => {
      const list = listOf(l);
      if (list.length === 0) throw new RangeError("min called on an empty list");
      return list.reduce((a, b) => compareCel(b, a) < 0 ? b : a);
    })
    .registerFunction("list.max(): dyn", (l: unknown) => {
      const list = listOf(l);
      if (list.length === 0) throw new RangeError("max called on an empty list");
      return list.reduce((a, b) => compareCel(b, a) > 0 ? b : a);
    })
    .registerFunction("list.indexOf(dyn): int", (l: unknown, v: unknown) => {
      return BigInt(listOf(l).findIndex((x) => celEqual(x, v)));
    })
    .registerFunction("list.lastIndexOf(dyn): int", (l: unknown, v: unknown) => {
      const list = listOf(l);
      for (let i = list.length - 1; i >= 0; i--) if (celEqual(list[i], v)) return BigInt(i);
      return -1n;
    })
    .registerFunction("string.find(string): string", (s: string, re: string) => {
      return new RegExp(re, "u").exec(s)?.[0] ?? "";
    })
    .registerFunction("string.findAll(string): list", (s: string, re: string) => {
      return [...s.matchAll(new RegExp(re, "gu"))].map((m) => m[0]);
    })
    .registerFunction("string.findAll(string, int): list", (s: string, re: string, n: bigint) => {
      const all = [...s.matchAll(new RegExp(re, "gu"))].map((m) => m[0]);
      return n < 0n ? all : all.slice(0, Number(n));
    })
    .registerFunction("string.charAt(int): string", (s: string, i: bigint) => {
      const chars = [...s];
      if (i < 0n || i > BigInt(chars.length)) throw new RangeError("index out of range");
      return chars[Number(i)] ?? "";
    })
    .registerFunction(
      "string.replace(string, string): string",
      (s: string, a: string, b: string) => {
        return s.replaceAll(a, b);
      },
    )
    .registerFunction(
      "string.replace(string, string, int): string",
      (s: string, a: string, b: string, n: bigint) => {
        let out = s;
        let count = 0n;
        let from = 0;
        while (n < 0n || count < n) {
          const i = out.indexOf(a, from);
          if (i < 0 || a === "") break;
          out = out.slice(0, i) + b + out.slice(i + a.length);
          from = i + b.length;
          count++;
        }
        return out;
      },
    )
    .registerFunction("string.reverse(): string", (s: string) => [...s].reverse().join(""))
    .registerFunction("quantity(string): Quantity", (s: string) => parseQuantity(s))
    .registerFunction("isQuantity(string): bool", (s: string) => {
      try {
        parseQuantity(s);
        return true;
      } catch {
        return false;
      }
    })
    .registerFunction("Quantity.isGreaterThan(Quantity): bool", (a: Quantity, b: Quantity) => {
      return a.cmp(b) > 0;
    })
    .registerFunction("Quantity.isLessThan(Quantity): bool", (a: Quantity, b: Quantity) => {
      return a.cmp(b) < 0;
    })
    .registerFunction("Quantity.compareTo(Quantity): int", (a: Quantity, b: Quantity) => {
      return BigInt(a.cmp(b));
    })
    .registerFunction("Quantity.add(Quantity): Quantity", (a: Quantity, b: Quantity) => a.add(b))
    .registerFunction("Quantity.sub(Quantity): Quantity", (a: Quantity, b: Quantity) => a.sub(b))
    .registerFunction("Quantity.asInteger(): int", (a: Quantity) => a.value())
    .registerFunction("Quantity.asApproximateFloat(): double", (a: Quantity) => {
      return Number(a.milliValue()) / 1000;
    })
    .registerFunction("Quantity.sign(): int", (a: Quantity) => BigInt(a.sign()))
    .registerFunction("Quantity.isInteger(): bool", (a: Quantity) => {
      return a.milliValue() % 1000n === 0n;
    });
  registerKubernetesLibraries(env);
  return {
    plain: env.clone().registerVariable("oldSelf", "dyn"),
    optionalOldSelf: env.clone().registerVariable("oldSelf", "optional<dyn>"),
  };
}

/** Whether a rule reads `oldSelf` (a transition rule). */
export function isTransitionRule(rule: string): boolean {
  const code = rule.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, "");
  return /\boldSelf\b/.test(code);
}

/** A rule ready to run. */
export interface CompiledRule {
  readonly rule: ValidationRule;
  readonly transition: boolean;
  readonly run: (ctx: Record<string, unknown>) => unknown;
  readonly message?: (ctx: Record<string, unknown>) => unknown;
  /** The parsed rule, for its runtime cost. */
  readonly ast: ASTNode;
}

/** The compiled rules of one schema node and of its children. */
export interface RuleTree {
  readonly schema: JSONSchemaProps;
  readonly rules: readonly CompiledRule[];
  readonly properties: ReadonlyMap<string, RuleTree>;
  readonly items?: RuleTree;
  readonly additional?: RuleTree;
}

/** A rule that does not compile: where, and why. */
export interface RuleCompileError {
  readonly path: FieldPath;
  readonly error: FieldError;
}

/** Where a schema node's rules are compiled: how often they may run, what `self` may hold. */
interface NodeContext {
  /** The product of the enclosing lists' `maxItems` and maps' `maxProperties`; null if unbounded. */
  readonly cardinality: number | null;
  readonly schema: JSONSchemaProps;
  readonly root: boolean;
  readonly costs: CostTotal;
}

/** The estimated costs of a schema's expressions, for upstream's per-schema limit. */
class CostTotal {
  total = 0;
  /** The (at most 4) most expensive expressions costing at least 1% of the per-rule limit. */
  readonly mostExpensive: { path: FieldPath; cost: number }[] = [];

  observe(path: FieldPath, cost: number): void {
    this.total += cost;
    if (cost < STATIC_COST_LIMIT / 100) return;
    this.mostExpensive.push({ path, cost });
    this.mostExpensive.sort((a, b) => b.cost - a.cost);
    if (this.mostExpensive.length > 4) this.mostExpensive.length = 4;
  }
}

/** The static cost of `ast` at a node: its estimate times the node's cardinality. */
function expressionCost(ast: ASTNode, ctx: NodeContext): number {
  const self = schemaSize(ctx.schema, { names: escapePropertyName, resource: ctx.root });
  const cost = estimateCost(ast, { self, oldSelf: self });
  return cost * (ctx.cardinality ?? maxCardinality(ctx.schema));
}

function compileOne(
  rule: ValidationRule,
  o: { path: FieldPath; ctx: NodeContext },
): { compiled?: CompiledRule; errors: FieldError[] } {
  const { path, ctx } = o;
  const env = celEnvironment(rule.optionalOldSelf === true);
  const errors: FieldError[] = [];
  const rulePath = path.child("rule");
  let run: CompiledRule["run"] | undefined;
  let ast: ASTNode | undefined;
  try {
    const checked = env.check(rule.rule);
    if (!checked.valid) {
      errors.push(invalid(rulePath, {
        value: rule.rule,
        detail: `compilation failed: ${firstLine(checked.error?.message ?? "")}`,
      }));
    } else if (checked.type !== "bool" && checked.type !== "dyn") {
      errors.push(invalid(rulePath, {
        value: rule.rule,
        detail: `must evaluate to a bool, not ${checked.type}`,
      }));
    } else {
      const parsed = env.parse(rule.rule);
      run = (vars) => parsed(vars);
      ast = parsed.ast;
      const cost = expressionCost(parsed.ast, ctx);
      if (cost > STATIC_COST_LIMIT) {
        errors.push(
          forbidden(
            rulePath,
            costErrorMessage("estimated rule cost", { cost, limit: STATIC_COST_LIMIT }),
          ),
        );
      }
      ctx.costs.observe(rulePath, cost);
    }
  } catch (err) {
    errors.push(invalid(rulePath, {
      value: rule.rule,
      detail: `compilation failed: ${firstLine((err as Error).message)}`,
    }));
  }
  let message: CompiledRule["message"];
  if (rule.messageExpression) {
    try {
      const checked = env.check(rule.messageExpression);
      if (!checked.valid) {
        errors.push(invalid(path.child("messageExpression"), {
          value: rule.messageExpression,
          detail: `messageExpression compilation failed: ${
            firstLine(checked.error?.message ?? "")
          }`,
        }));
      } else {
        const parsed = env.parse(rule.messageExpression);
        message = (vars) => parsed(vars);
        const messagePath = path.child("messageExpression");
        const cost = expressionCost(parsed.ast, ctx);
        if (cost > STATIC_COST_LIMIT) {
          errors.push(forbidden(
            messagePath,
            costErrorMessage("estimated messageExpression cost", {
              cost: cost,
              limit: STATIC_COST_LIMIT,
            }),
          ));
        }
        ctx.costs.observe(messagePath, cost);
      }
    } catch (err) {
      errors.push(invalid(path.child("messageExpression"), {
        value: rule.messageExpression,
        detail: `messageExpression compilation failed: ${firstLine((err as Error).message)}`,
      }));
    }
  }
  if (rule.reason !== undefined && !(RULE_REASONS as readonly string[]).includes(rule.reason)) {
    errors.push(invalid(path.child("reason"), {
      value: rule.reason,
      detail: `must be one of ${RULE_REASONS.join(", ")}`,
    }));
  }
  if (rule.message !== undefined && /[\r\n]/.test(rule.message)) {
    errors.push(invalid(path.child("message"), {
      value: rule.message,
      detail: "message must not contain line breaks",
    }));
  }
  if (rule.message === undefined && /[\r\n]/.test(rule.rule)) {
    errors.push(
      required(path.child("message"), "message must be specified if rule contains line breaks"),
    );
  }
  if (run === undefined || ast === undefined || errors.length > 0) return { errors };
  const transition = isTransitionRule(rule.rule);
  if (rule.optionalOldSelf !== undefined && !transition) {
    errors.push(invalid(path.child("optionalOldSelf"), {
      value: rule.optionalOldSelf,
      detail: "may not be set if oldSelf is not used in rule",
    }));
    return { errors };
  }
  return {
    compiled: { rule, transition, run, ast, ...(message ? { message } : {}) },
    errors,
  };
}

function firstLine(text: string): string {
  return text.split("\n")[0] ?? "";
}

function times(cardinality: number | null, bound: number | undefined): number | null {
  return cardinality === null || bound === undefined ? null : cardinality * Math.max(0, bound);
}

function compileNode(
  s: JSONSchemaProps,
  o: { path: FieldPath; ctx: NodeContext; errors: FieldError[] },
): RuleTree {
  const { path, ctx, errors } = o;
  const rules: CompiledRule[] = [];
  (s["x-kubernetes-validations"] ?? []).forEach((rule, i) => {
    const r = compileOne(rule, { path: path.child("x-kubernetes-validations").index(i), ctx });
    errors.push(...r.errors);
    if (r.compiled) rules.push(r.compiled);
  });
  const child = (schema: JSONSchemaProps, p: FieldPath, cardinality: number | null) =>
    compileNode(schema, {
      path: p,
      ctx: { cardinality, schema, root: false, costs: ctx.costs },
      errors,
    });
  const properties = new Map<string, RuleTree>();
  for (const [key, prop] of Object.entries(s.properties ?? {})) {
    const t = child(prop, path.child("properties").index(key), ctx.cardinality);
    if (hasRules(t)) properties.set(key, t);
  }
  const itemsSchema = itemsOf(s);
  const items = itemsSchema
    ? child(itemsSchema, path.child("items"), times(ctx.cardinality, s.maxItems))
    : undefined;
  const apSchema = additionalOf(s);
  const additional = apSchema
    ? child(
      apSchema,
      path.child("additionalProperties"),
      times(ctx.cardinality, s.maxProperties),
    )
    : undefined;
  return {
    schema: s,
    rules,
    properties,
    ...(items && hasRules(items) ? { items } : {}),
    ...(additional && hasRules(additional) ? { additional } : {}),
  };
}

function hasRules(t: RuleTree): boolean {
  return t.rules.length > 0 || t.properties.size > 0 || t.items !== undefined ||
    t.additional !== undefined;
}

/**
 * Compiles every rule of `schema`; `errors` are the CRD validation errors of rules that do not
 * compile (at `path`, the schema's path in the CRD). `tree` is null when there are no rules.
 */
export function compileSchemaRules(
  schema: JSONSchemaProps,
  path: FieldPath | string = "",
): { tree: RuleTree | null; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const root = typeof path === "string" ? new FieldPath(path) : path;
  const costs = new CostTotal();
  const tree = compileNode(schema, {
    path: root,
    ctx: { cardinality: 1, schema, root: true, costs },
    errors,
  });
  if (costs.total > STATIC_CRD_COST_LIMIT) {
    for (const e of costs.mostExpensive) {
      errors.push(forbidden(
        e.path,
        "contributed to estimated rule cost total exceeding cost limit for entire OpenAPIv3 schema",
      ));
    }
    errors.push(forbidden(
      root,
      costErrorMessage(
        "x-kubernetes-validations estimated rule cost total for entire OpenAPIv3 schema",
        { cost: costs.total, limit: STATIC_CRD_COST_LIMIT },
      ),
    ));
  }
  return { tree: hasRules(tree) ? tree : null, errors };
}

// --- evaluation ----------------------------------------------------------------------------------

/** The CEL value of JSON value `v` described by `s` (integers as bigint, escaped names). */
function toCel(v: unknown, s: JSONSchemaProps | undefined, root = false): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v === "number") {
    const integral = s?.type === "integer" || s?.["x-kubernetes-int-or-string"] ||
      (s?.type !== "number" && Number.isInteger(v));
    return integral && Number.isInteger(v) ? BigInt(v) : v;
  }
  if (typeof v !== "object") return v;
  if (Array.isArray(v)) {
    const items = s ? itemsOf(s) : undefined;
    return v.map((item) => toCel(item, items));
  }
  const obj = v as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  const additional = s ? additionalOf(s) : undefined;
  const embedded = root || s?.["x-kubernetes-embedded-resource"] === true;
  if (s?.properties || embedded) {
    for (const [key, value] of Object.entries(obj)) {
      if (embedded && key === "metadata") {
        const meta = isObject(value) ? value : {};
        const m: Record<string, unknown> = {};
        if (typeof meta.name === "string") m.name = meta.name;
        if (typeof meta.generateName === "string") m.generateName = meta.generateName;
        out.metadata = m;
        continue;
      }
      if (embedded && (key === "apiVersion" || key === "kind")) {
        out[key] = value;
        continue;
      }
      const prop = s?.properties?.[key];
      if (!prop) continue;
      const name = escapePropertyName(key);
      if (name !== null) out[name] = toCel(value, prop);
    }
    return out;
  }
  for (const [key, value] of Object.entries(obj)) {
    out[key] = toCel(value, additional);
  }
  return out;
}

/** Options of {@linkcode evaluateRules}. */
export interface EvaluateRulesOptions {
  /** The object (or value) to check. */
  readonly value: unknown;
  /** The stored object on updates: transition rules run only with it. */
  readonly old?: unknown;
  /** The path of `value`. @default {""} */
  readonly path?: string;
}

function ruleError(
  rule: CompiledRule,
  o: { path: FieldPath; type: string; ctx: Record<string, unknown> },
): FieldError {
  let message = rule.rule.message?.trim() || `failed rule: ${rule.rule.rule.trim()}`;
  if (rule.message) {
    try {
      const m = rule.message(o.ctx);
      if (typeof m === "string" && m.trim() !== "" && !/[\r\n]/.test(m)) message = m;
    } catch {
      // upstream falls back to message (or the default) when messageExpression fails
    }
  }
  let path = o.path;
  if (rule.rule.fieldPath) path = appendFieldPath(path, rule.rule.fieldPath);
  switch (rule.rule.reason) {
    case "FieldValueForbidden":
      return forbidden(path, message);
    case "FieldValueRequired":
      return required(path, message);
    case "FieldValueDuplicate":
      return duplicate(path, message);
    default:
      return invalid(path, { value: o.type, detail: message });
  }
}

function appendFieldPath(path: FieldPath, fieldPath: string): FieldPath {
  let out = path;
  const re = /\.([A-Za-z0-9_\-$/]+)|\[(?:'([^']*)'|"([^"]*)"|(\d+))\]/g;
  for (const m of fieldPath.matchAll(re)) {
    if (m[1] !== undefined) out = out.child(m[1]);
    else if (m[4] !== undefined) out = out.index(Number(m[4]));
    else out = out.child(m[2] ?? m[3] ?? "");
  }
  return out;
}

function correlateItem(
  s: JSONSchemaProps,
  item: unknown,
  old: unknown,
): { found: boolean; value: unknown } {
  if (!Array.isArray(old)) return { found: false, value: undefined };
  const listType = s["x-kubernetes-list-type"];
  if (listType === "map") {
    const keys = s["x-kubernetes-list-map-keys"] ?? [];
    const id = (x: unknown) => JSON.stringify(keys.map((k) => isObject(x) ? x[k] ?? null : null));
    const want = id(item);
    const match = old.find((o) => id(o) === want);
    return match === undefined ? { found: false, value: undefined } : { found: true, value: match };
  }
  if (listType === "set") {
    const want = JSON.stringify(item);
    const match = old.find((o) => JSON.stringify(o) === want);
    return match === undefined ? { found: false, value: undefined } : { found: true, value: match };
  }
  return { found: false, value: undefined };
}

/** Upstream's `ruleErrorString`: the rule's message, or the rule. */
function ruleErrorString(rule: ValidationRule): string {
  return rule.message ? rule.message.trim() : rule.rule.trim();
}

/** cel-go's text for an evaluation error the evaluator reports in its own words. */
function celGoError(message: string): string {
  const index = /^No such key: index out of bounds, index (-?\d+) >= size (\d+)/.exec(message);
  if (index) return `index '${index[1]}' out of range in list size '${index[2]}'`;
  if (message.startsWith("No such key: ")) return `no such key: ${message.slice(13)}`;
  if (message === "modulo by zero") return "modulus by zero";
  if (message.startsWith("integer overflow")) return "integer overflow";
  return message;
}

/** The detail of a rule whose evaluation failed, as upstream words it. */
function evaluationErrorDetail(err: unknown, rule: ValidationRule): string {
  const text = celGoError(((err as Error).message ?? String(err)).split("\n")[0] ?? "");
  if (text.startsWith("no such overload")) {
    return `'no such overload': call arguments did not match a supported operator, function or macro signature for rule: ${
      ruleErrorString(rule)
    }`;
  }
  return `${text} evaluating rule: ${ruleErrorString(rule)}`;
}

const OUT_OF_BUDGET =
  "validation failed due to running out of cost budget, no further validation rules will be run";

class RuleRunner {
  readonly errs: FieldError[] = [];
  /** What is left of the object's runtime cost budget. */
  #budget = RUNTIME_COST_BUDGET;
  /** Set once the budget ran out or a call went over its limit: nothing more runs. */
  #stopped = false;

  /** Charges one evaluation's estimated cost; false (with the error) when it may not run. */
  #charge(rule: CompiledRule, o: { vars: Record<string, unknown>; path: FieldPath; type: string }) {
    const sizes = Object.fromEntries(Object.entries(o.vars).map(([k, v]) => [k, valueSize(v)]));
    const cost = estimateCost(rule.ast, sizes);
    if (cost > PER_CALL_LIMIT) {
      this.errs.push(invalid(o.path, {
        value: o.type,
        detail:
          `'operation cancelled: actual cost limit exceeded': no further validation rules will be run due to call cost exceeds limit for rule: ${
            ruleErrorString(rule.rule)
          }`,
      }));
      this.#stopped = true;
      return false;
    }
    if (cost > this.#budget) {
      this.errs.push(invalid(o.path, { value: o.type, detail: OUT_OF_BUDGET }));
      this.#stopped = true;
      return false;
    }
    this.#budget -= cost;
    return true;
  }

  node(
    t: RuleTree,
    o: { value: unknown; old: { found: boolean; value: unknown }; path: FieldPath; root: boolean },
  ): void {
    const { value } = o;
    if (value === null || value === undefined || this.#stopped) return;
    if (t.rules.length > 0) {
      const self = toCel(value, t.schema, o.root);
      const oldSelf = o.old.found ? toCel(o.old.value, t.schema, o.root) : undefined;
      for (const rule of t.rules) {
        let ctx: Record<string, unknown> = { self };
        if (rule.transition) {
          if (rule.rule.optionalOldSelf) {
            ctx = { self, oldSelf: o.old.found ? Optional.of(oldSelf) : Optional.none() };
          } else if (!o.old.found) {
            continue;
          } else {
            ctx = { self, oldSelf };
          }
        }
        const type = t.schema.type ?? "";
        if (!this.#charge(rule, { vars: { self, oldSelf }, path: o.path, type })) return;
        let result: unknown;
        try {
          result = rule.run(ctx);
        } catch (err) {
          this.errs.push(
            invalid(o.path, { value: type, detail: evaluationErrorDetail(err, rule.rule) }),
          );
          continue;
        }
        if (result !== true) {
          this.errs.push(ruleError(rule, { path: o.path, type: t.schema.type ?? "", ctx }));
        }
      }
    }
    if (Array.isArray(value) && t.items) {
      value.forEach((item, i) => {
        this.node(t.items!, {
          value: item,
          old: correlateItem(t.schema, item, o.old.value),
          path: o.path.index(i),
          root: false,
        });
      });
      return;
    }
    if (!isObject(value)) return;
    const oldObj = o.old.found && isObject(o.old.value) ? o.old.value : undefined;
    for (const [key, child] of t.properties) {
      if (!Object.hasOwn(value, key)) continue;
      this.node(child, {
        value: value[key],
        old: oldObj && Object.hasOwn(oldObj, key)
          ? { found: true, value: oldObj[key] }
          : { found: false, value: undefined },
        path: o.path.child(key),
        root: false,
      });
    }
    if (t.additional) {
      for (const [key, v] of Object.entries(value)) {
        this.node(t.additional, {
          value: v,
          old: oldObj && Object.hasOwn(oldObj, key)
            ? { found: true, value: oldObj[key] }
            : { found: false, value: undefined },
          path: o.path.index(key),
          root: false,
        });
      }
    }
  }
}

/** The errors of the rules in `tree` on `options.value` (and `options.old` for transitions). */
export function evaluateRules(tree: RuleTree, options: EvaluateRulesOptions): FieldError[] {
  const runner = new RuleRunner();
  runner.node(tree, {
    value: options.value,
    old: options.old === undefined
      ? { found: false, value: undefined }
      : { found: true, value: options.old },
    path: new FieldPath(options.path ?? ""),
    root: true,
  });
  return runner.errs;
}
