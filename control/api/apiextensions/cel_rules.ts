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
 * (`quantity`, `isQuantity`, comparisons, `add`, `sub`, `asInteger`) functions are provided.
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
import { Environment, Optional } from "@marcbachmann/cel-js";
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

function celEqual(a: unknown, b: unknown): boolean {
  if (typeof a === "bigint" || typeof b === "bigint") return compareCel(a, b) === 0;
  return JSON.stringify(a) === JSON.stringify(b);
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

function compileOne(
  rule: ValidationRule,
  path: FieldPath,
): { compiled?: CompiledRule; errors: FieldError[] } {
  const env = celEnvironment(rule.optionalOldSelf === true);
  const errors: FieldError[] = [];
  const rulePath = path.child("rule");
  let run: CompiledRule["run"] | undefined;
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
      run = (ctx) => parsed(ctx);
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
        message = (ctx) => parsed(ctx);
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
  if (run === undefined || errors.length > 0) return { errors };
  const transition = isTransitionRule(rule.rule);
  if (rule.optionalOldSelf !== undefined && !transition) {
    errors.push(invalid(path.child("optionalOldSelf"), {
      value: rule.optionalOldSelf,
      detail: "may not be set if oldSelf is not used in rule",
    }));
    return { errors };
  }
  return {
    compiled: { rule, transition, run, ...(message ? { message } : {}) },
    errors,
  };
}

function firstLine(text: string): string {
  return text.split("\n")[0] ?? "";
}

function compileNode(s: JSONSchemaProps, path: FieldPath, errors: FieldError[]): RuleTree {
  const rules: CompiledRule[] = [];
  (s["x-kubernetes-validations"] ?? []).forEach((rule, i) => {
    const r = compileOne(rule, path.child("x-kubernetes-validations").index(i));
    errors.push(...r.errors);
    if (r.compiled) rules.push(r.compiled);
  });
  const properties = new Map<string, RuleTree>();
  for (const [key, prop] of Object.entries(s.properties ?? {})) {
    const t = compileNode(prop, path.child("properties").index(key), errors);
    if (hasRules(t)) properties.set(key, t);
  }
  const itemsSchema = itemsOf(s);
  const items = itemsSchema ? compileNode(itemsSchema, path.child("items"), errors) : undefined;
  const apSchema = additionalOf(s);
  const additional = apSchema
    ? compileNode(apSchema, path.child("additionalProperties"), errors)
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
  const tree = compileNode(schema, root, errors);
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
  let message = rule.rule.message || `failed rule: ${rule.rule.rule}`;
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

class RuleRunner {
  readonly errs: FieldError[] = [];

  node(
    t: RuleTree,
    o: { value: unknown; old: { found: boolean; value: unknown }; path: FieldPath; root: boolean },
  ): void {
    const { value } = o;
    if (value === null || value === undefined) return;
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
        let result: unknown;
        try {
          result = rule.run(ctx);
        } catch (err) {
          const text = (err as Error).message.split("\n")[0] ?? "";
          this.errs.push(invalid(o.path, {
            value: t.schema.type ?? "",
            detail: text.charAt(0).toLowerCase() + text.slice(1),
          }));
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
