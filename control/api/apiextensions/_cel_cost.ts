/**
 * Cost estimation of CEL validation rules, after cel-go's checker and Kubernetes' limits, for
 * what `@marcbachmann/cel-js` cannot measure itself: the **static** worst-case cost of a rule
 * from the sizes its schema allows (`maxLength` counts 4 bytes a character, `maxItems`,
 * `maxProperties`, otherwise what fits in a 3 MiB request), multiplied by how often the rule
 * can run (its schema node's cardinality); and the **runtime** cost of one evaluation, from the
 * same model applied to the actual value (an upper bound: it never assumes short-circuits).
 *
 * The model follows cel-go's: identifiers and field selections cost 1, calls 1 plus their
 * arguments, comprehensions their range's size times the cost of one step (an `exists` step
 * costs its predicate plus 3), string scans 0.1 a byte (`contains` the product of both scans,
 * `matches` the string scan times 0.25 a regex byte), list and map literals 10 and 30. It
 * reproduces upstream's published per-item costs for simple rules; complex rules are
 * estimated in the same spirit, not to the unit.
 *
 * @module
 */
import type { ASTNode } from "@marcbachmann/cel-js";
import type { JSONSchemaProps } from "../types/apiextensions_v1.ts";
import { additionalOf, itemsOf } from "./structural.ts";

/** Upstream's `MaxRequestSizeBytes`: what bounds unbounded strings, lists and maps. */
export const MAX_REQUEST_SIZE_BYTES = 3 * 1024 * 1024;
/** The estimated cost one rule (times its cardinality) may have (`StaticEstimatedCostLimit`). */
export const STATIC_COST_LIMIT = 10_000_000;
/** The estimated cost all rules of a schema may have together (`StaticEstimatedCRDCostLimit`). */
export const STATIC_CRD_COST_LIMIT = 100_000_000;
/** The cost one evaluation may have (`PerCallLimit`). */
export const PER_CALL_LIMIT = 1_000_000;
/** The cost all evaluations for one object may have (`RuntimeCELCostBudget`). */
export const RUNTIME_COST_BUDGET = 10_000_000;

const STRING_TRAVERSAL = 0.1;
const REGEX_STRING_LENGTH = 0.25;
const LIST_CREATE = 10;
const MAP_CREATE = 30;

/** What is known of a value's size. */
export interface Sized {
  readonly kind: "string" | "list" | "map" | "object" | "scalar" | "dyn";
  /** String bytes, list items, map entries (0 for scalars). */
  readonly max: number;
  /** The items of a list, the values of a map. */
  elem(): Sized;
  /** A property of an object (by its CEL name). */
  field(name: string): Sized | undefined;
}

const SCALAR: Sized = { kind: "scalar", max: 0, elem: () => DYN, field: () => undefined };
/** A value of unknown shape, as large as a request. */
export const DYN: Sized = {
  kind: "dyn",
  max: MAX_REQUEST_SIZE_BYTES,
  elem: () => DYN,
  field: () => DYN,
};

function stringOf(max: number): Sized {
  return { kind: "string", max, elem: () => SCALAR, field: () => undefined };
}

function listOf(max: number, elem: () => Sized, kind: "list" | "map" = "list"): Sized {
  let cached: Sized | undefined;
  return { kind, max, elem: () => cached ??= elem(), field: () => cached ??= elem() };
}

// --- sizes from a schema --------------------------------------------------------------------------

/** The smallest JSON a value of `s` takes (upstream's `MinSerializedSize`). */
export function minSerializedSize(s: JSONSchemaProps): number {
  if (s["x-kubernetes-int-or-string"]) return 1;
  switch (s.type) {
    case "string":
    case "object":
    case "array":
      return 2;
    case "boolean":
      return 4;
    default:
      return 1;
  }
}

/** How many times a value of `s` fits in a request (upstream's `maxCardinality`). */
export function maxCardinality(s: JSONSchemaProps): number {
  return Math.floor(MAX_REQUEST_SIZE_BYTES / (minSerializedSize(s) + 1));
}

/** How many items a list of `items` may have. */
export function maxItemsOf(s: JSONSchemaProps): number {
  const items = itemsOf(s);
  if (s.maxItems !== undefined) return Math.max(0, s.maxItems);
  return Math.floor((MAX_REQUEST_SIZE_BYTES - 2) / ((items ? minSerializedSize(items) : 1) + 1));
}

/** How many entries a map of `values` may have. */
export function maxPropertiesOf(s: JSONSchemaProps): number {
  const values = additionalOf(s);
  if (s.maxProperties !== undefined) return Math.max(0, s.maxProperties);
  // An entry takes at least `"":` and a comma besides its value.
  return Math.floor(
    (MAX_REQUEST_SIZE_BYTES - 2) / ((values ? minSerializedSize(values) : 1) + 4),
  );
}

const FORMAT_SIZES: Readonly<Record<string, number>> = {
  duration: 32,
  date: 12,
  "date-time": 64,
};

function maxStringLength(s: JSONSchemaProps): number {
  // maxLength counts characters; a character takes up to 4 bytes.
  if (s.maxLength !== undefined) return Math.max(0, s.maxLength) * 4;
  const values = (s.enum ?? []).filter((v): v is string => typeof v === "string");
  if (values.length > 0) return Math.max(...values.map((v) => new TextEncoder().encode(v).length));
  return FORMAT_SIZES[s.format ?? ""] ?? MAX_REQUEST_SIZE_BYTES - 2;
}

const SCHEMA_SIZES = new WeakMap<JSONSchemaProps, Sized>();

/**
 * The size model of values of `s`; `names` maps a property to its CEL name (escaped, or null
 * when rules cannot reach it); `resource` adds the TypeMeta and ObjectMeta a root or embedded
 * resource shows rules.
 */
export function schemaSize(
  s: JSONSchemaProps,
  o: { names: (p: string) => string | null; resource?: boolean },
): Sized {
  const cached = o.resource ? undefined : SCHEMA_SIZES.get(s);
  if (cached) return cached;
  const sized = computeSchemaSize(s, o);
  if (!o.resource) SCHEMA_SIZES.set(s, sized);
  return sized;
}

function computeSchemaSize(
  s: JSONSchemaProps,
  o: { names: (p: string) => string | null; resource?: boolean },
): Sized {
  if (s["x-kubernetes-int-or-string"]) return stringOf(MAX_REQUEST_SIZE_BYTES - 2);
  switch (s.type) {
    case "string":
      return stringOf(maxStringLength(s));
    case "integer":
    case "number":
    case "boolean":
      return SCALAR;
    case "array": {
      const items = itemsOf(s);
      return listOf(maxItemsOf(s), () => items ? schemaSize(items, { names: o.names }) : DYN);
    }
    case "object": {
      const embedded = o.resource || s["x-kubernetes-embedded-resource"] === true;
      const props = s.properties ?? {};
      if (Object.keys(props).length > 0 || embedded) {
        const fields = new Map<string, () => Sized>();
        for (const [key, prop] of Object.entries(props)) {
          const name = o.names(key);
          if (name !== null) fields.set(name, () => schemaSize(prop, { names: o.names }));
        }
        if (embedded) {
          const name = stringOf(253 * 4);
          fields.set("apiVersion", () => stringOf(MAX_REQUEST_SIZE_BYTES - 2));
          fields.set("kind", () => stringOf(MAX_REQUEST_SIZE_BYTES - 2));
          fields.set(
            "metadata",
            () => objectOf(new Map([["name", () => name], ["generateName", () => name]])),
          );
        }
        return objectOf(fields);
      }
      const values = additionalOf(s);
      if (values) {
        return listOf(maxPropertiesOf(s), () => schemaSize(values, { names: o.names }), "map");
      }
      return DYN;
    }
    default:
      return DYN;
  }
}

function objectOf(fields: Map<string, () => Sized>): Sized {
  const cache = new Map<string, Sized>();
  return {
    kind: "object",
    max: fields.size,
    elem: () => stringOf(MAX_REQUEST_SIZE_BYTES - 2),
    field(name) {
      const hit = cache.get(name);
      if (hit) return hit;
      const make = fields.get(name);
      if (!make) return undefined;
      const sized = make();
      cache.set(name, sized);
      return sized;
    },
  };
}

// --- sizes from a value ---------------------------------------------------------------------------

const ENCODER = new TextEncoder();

/** The size model of an actual CEL value (for the runtime cost of one evaluation). */
export function valueSize(v: unknown): Sized {
  if (typeof v === "string") return stringOf(ENCODER.encode(v).length);
  if (Array.isArray(v)) {
    return listOf(v.length, () => v.reduce((a: Sized, x) => union(a, valueSize(x)), EMPTY));
  }
  if (v instanceof Map) {
    const values = [...v.values()];
    return listOf(
      values.length,
      () => values.reduce((a: Sized, x) => union(a, valueSize(x)), EMPTY),
      "map",
    );
  }
  if (typeof v === "object" && v !== null && Object.getPrototypeOf(v) === Object.prototype) {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o);
    return {
      kind: "object",
      max: keys.length,
      elem: () => keys.reduce((a: Sized, k) => union(a, valueSize(o[k])), EMPTY),
      field: (name) => Object.hasOwn(o, name) ? valueSize(o[name]) : undefined,
    };
  }
  return SCALAR;
}

const EMPTY: Sized = { kind: "scalar", max: 0, elem: () => EMPTY, field: () => undefined };

function union(a: Sized, b: Sized): Sized {
  if (a === EMPTY) return b;
  if (b === EMPTY) return a;
  if (a.kind === "dyn" || b.kind === "dyn") return DYN;
  return {
    kind: a.kind === b.kind ? a.kind : "dyn",
    max: Math.max(a.max, b.max),
    elem: () => union(a.elem(), b.elem()),
    field: (name) => {
      const x = a.field(name);
      const y = b.field(name);
      return x && y ? union(x, y) : x ?? y;
    },
  };
}

// --- the estimate ---------------------------------------------------------------------------------

interface Estimate {
  readonly cost: number;
  readonly size: Sized;
}

const MACROS = new Set(["all", "exists", "exists_one", "map", "filter"]);
const PARSERS = new Set([
  "url",
  "isURL",
  "ip",
  "isIP",
  "cidr",
  "isCIDR",
  "semver",
  "isSemver",
  "quantity",
  "isQuantity",
  "isCanonical",
  "containsIP",
  "containsCIDR",
]);
const STRING_SCANS = new Set([
  "lowerAscii",
  "upperAscii",
  "trim",
  "reverse",
  "replace",
  "split",
  "substring",
  "charAt",
  "format",
]);
const LIST_SCANS = new Set(["isSorted", "sum", "min", "max"]);

function scan(bytes: number, factor = STRING_TRAVERSAL): number {
  return Math.ceil(bytes * factor);
}

class Estimator {
  readonly #scopes: Map<string, Sized>[];

  constructor(vars: Readonly<Record<string, Sized>>) {
    this.#scopes = [new Map(Object.entries(vars))];
  }

  #lookup(name: string): Sized {
    for (let i = this.#scopes.length - 1; i >= 0; i--) {
      const hit = this.#scopes[i]!.get(name);
      if (hit) return hit;
    }
    return SCALAR;
  }

  node(n: ASTNode): Estimate {
    switch (n.op) {
      case "value": {
        const v = n.args;
        return {
          cost: 0,
          size: typeof v === "string" ? stringOf(ENCODER.encode(v).length) : SCALAR,
        };
      }
      case "id":
        return { cost: 1, size: this.#lookup(n.args) };
      case ".":
      case ".?": {
        const [operand, name] = n.args;
        const o = this.node(operand);
        return { cost: o.cost + 1, size: o.size.field(name) ?? o.size.elem() };
      }
      case "[]":
      case "[?]": {
        const [a, b] = n.args;
        const x = this.node(a);
        const y = this.node(b);
        const key = b.op === "value" && typeof b.args === "string"
          ? x.size.field(b.args)
          : undefined;
        return { cost: x.cost + y.cost + 1, size: key ?? x.size.elem() };
      }
      case "list": {
        const items = n.args.map((x) => this.node(x));
        return {
          cost: LIST_CREATE + sum(items),
          size: listOf(items.length, () => items.reduce((a: Sized, x) => union(a, x.size), EMPTY)),
        };
      }
      case "map": {
        const entries = n.args.map(([k, v]) => [this.node(k), this.node(v)] as const);
        return {
          cost: MAP_CREATE + entries.reduce((a, [k, v]) => a + k.cost + v.cost, 0),
          size: listOf(
            entries.length,
            () => entries.reduce((a: Sized, [, v]) => union(a, v.size), EMPTY),
            "map",
          ),
        };
      }
      case "?:": {
        const [c, t, f] = n.args.map((x) => this.node(x)) as [Estimate, Estimate, Estimate];
        return { cost: c.cost + Math.max(t.cost, f.cost), size: union(t.size, f.size) };
      }
      case "||":
      case "&&": {
        const [a, b] = n.args.map((x) => this.node(x)) as [Estimate, Estimate];
        return { cost: a.cost + b.cost, size: SCALAR };
      }
      case "!_":
      case "-_": {
        const a = this.node(n.args);
        return { cost: a.cost + 1, size: SCALAR };
      }
      case "call":
        return this.#call(n.args[0], n.args[1]);
      case "rcall":
        return this.#rcall(n.args[0], n.args[1], n.args[2]);
      default:
        return this.#binary(n.op, n.args as [ASTNode, ASTNode]);
    }
  }

  #binary(op: string, args: [ASTNode, ASTNode]): Estimate {
    const a = this.node(args[0]);
    const b = this.node(args[1]);
    const base = a.cost + b.cost;
    const strings = a.size.kind === "string" && b.size.kind === "string";
    switch (op) {
      case "==":
      case "!=": {
        const sized = (s: Sized) => s.kind === "string" || s.kind === "list" || s.kind === "map";
        const cost = sized(a.size) && sized(b.size)
          ? Math.max(1, scan(Math.min(a.size.max, b.size.max)))
          : 1;
        return { cost: base + cost, size: SCALAR };
      }
      case "<":
      case "<=":
      case ">":
      case ">=":
        return {
          cost: base + (strings ? Math.max(1, scan(Math.min(a.size.max, b.size.max))) : 1),
          size: SCALAR,
        };
      case "+":
        if (strings) {
          return {
            cost: base + scan(a.size.max + b.size.max),
            size: stringOf(a.size.max + b.size.max),
          };
        }
        if (a.size.kind === "list" || b.size.kind === "list") {
          return {
            cost: base + 1,
            size: listOf(a.size.max + b.size.max, () => union(a.size.elem(), b.size.elem())),
          };
        }
        return { cost: base + 1, size: a.size };
      case "in":
        return { cost: base + (b.size.kind === "list" ? b.size.max : 1), size: SCALAR };
      default:
        return { cost: base + 1, size: SCALAR };
    }
  }

  #call(name: string, args: readonly ASTNode[]): Estimate {
    if (name === "has" && args.length === 1) {
      return { cost: this.node(args[0]!).cost, size: SCALAR };
    }
    const xs = args.map((a) => this.node(a));
    const base = 1 + sum(xs);
    if (name === "matches" && xs.length === 2) {
      return { cost: base + regexCost(xs[0]!.size, xs[1]!.size), size: SCALAR };
    }
    if (PARSERS.has(name) && xs.length >= 1) {
      return { cost: base + scan(xs[0]!.size.max), size: SCALAR };
    }
    if (name === "string" && xs.length === 1) return { cost: base, size: stringOf(64) };
    return { cost: base, size: xs.length === 1 && name === "dyn" ? xs[0]!.size : SCALAR };
  }

  #rcall(name: string, target: ASTNode, args: readonly ASTNode[]): Estimate {
    const first = args[0];
    if (MACROS.has(name) && args.length >= 2 && first?.op === "id") {
      return this.#comprehension(name, target, first.args, args.slice(1));
    }
    const t = this.node(target);
    const xs = args.map((a) => this.node(a));
    const base = 1 + t.cost + sum(xs);
    const arg = xs[0]?.size;
    switch (name) {
      case "contains":
        return { cost: base - 1 + scan(t.size.max) * scan(arg?.max ?? 0), size: SCALAR };
      case "startsWith":
      case "endsWith":
        return { cost: base - 1 + scan(arg?.max ?? 0), size: SCALAR };
      case "matches":
      case "find":
      case "findAll":
        return {
          cost: base + regexCost(t.size, arg ?? SCALAR),
          size: name === "findAll" ? listOf(t.size.max, () => t.size) : t.size,
        };
      case "validate":
        // A named format runs its regular expression (upstream estimates 60 bytes of it).
        return { cost: base + scan(arg?.max ?? 0) * scan(60, REGEX_STRING_LENGTH), size: SCALAR };
      case "join":
        return {
          cost: base + scan(t.size.max * Math.max(1, t.size.elem().max)),
          size: stringOf(t.size.max * t.size.elem().max),
        };
      case "indexOf":
      case "lastIndexOf":
        if (t.size.kind === "string") return { cost: base + scan(t.size.max), size: SCALAR };
        return { cost: base + t.size.max * elemCost(t.size.elem()), size: SCALAR };
      default:
        break;
    }
    if (STRING_SCANS.has(name)) {
      return {
        cost: base + scan(t.size.max),
        size: name === "split" ? listOf(t.size.max, () => t.size) : t.size,
      };
    }
    if (LIST_SCANS.has(name)) {
      return { cost: base + t.size.max * elemCost(t.size.elem()), size: t.size.elem() };
    }
    if (PARSERS.has(name)) return { cost: base + scan(arg?.max ?? 0), size: SCALAR };
    if (target.op === "id" && target.args === "sets" && xs.length === 2) {
      return { cost: base + xs[0]!.size.max * xs[1]!.size.max, size: SCALAR };
    }
    if (name === "value" || name === "orValue" || name === "or") {
      return { cost: base, size: union(t.size, arg ?? EMPTY) };
    }
    return { cost: base, size: SCALAR };
  }

  #comprehension(
    name: string,
    target: ASTNode,
    variable: string,
    body: readonly ASTNode[],
  ): Estimate {
    const range = this.node(target);
    const n = range.size.max;
    const element = range.size.kind === "list"
      ? range.size.elem()
      : stringOf(MAX_REQUEST_SIZE_BYTES - 2);
    this.#scopes.push(new Map([[variable, element]]));
    const parts = body.map((b) => this.node(b));
    this.#scopes.pop();
    const inner = sum(parts);
    switch (name) {
      case "all":
      case "exists":
        // Per item: the loop condition (2) and the step: the accumulator (1) and the predicate.
        return { cost: range.cost + n * (3 + inner) + 1, size: SCALAR };
      case "exists_one":
        return { cost: range.cost + n * (2 + inner) + 2, size: SCALAR };
      case "filter":
        return {
          cost: range.cost + LIST_CREATE + n * (inner + 3 + LIST_CREATE) + 1,
          size: listOf(n, () => element),
        };
      default: {
        // map(x, f) or map(x, p, f): append f's value to the accumulated list.
        const last = parts[parts.length - 1]!;
        return {
          cost: range.cost + LIST_CREATE + n * (inner + 2 + LIST_CREATE) + 1,
          size: listOf(n, () => last.size),
        };
      }
    }
  }
}

function sum(xs: readonly Estimate[]): number {
  return xs.reduce((a, x) => a + x.cost, 0);
}

function regexCost(str: Sized, regex: Sized): number {
  return scan(str.max + 1) * scan(regex.max, REGEX_STRING_LENGTH);
}

function elemCost(elem: Sized): number {
  return elem.kind === "string" ? Math.max(1, scan(elem.max)) : 1;
}

/** The estimated (worst-case) cost of one evaluation of `ast` with these variables. */
export function estimateCost(ast: ASTNode, vars: Readonly<Record<string, Sized>>): number {
  return new Estimator(vars).node(ast).cost;
}

/** Go's `%f` (6 decimals) or `%.1f`. */
function goFixed(n: number, digits: number): string {
  return n.toFixed(digits);
}

/**
 * Upstream's text for a cost over its limit: `<what> exceeds budget by factor of <f>x (try
 * simplifying the rule, or adding maxItems, maxProperties, and maxLength where arrays, maps,
 * and strings are declared)`.
 */
export function costErrorMessage(
  what: string,
  o: { readonly cost: number; readonly limit: number },
): string {
  const factor = o.cost / o.limit;
  const f = factor > 100
    ? "more than 100x"
    : factor < 1.5
    ? `${goFixed(factor, 6)}x`
    : `${goFixed(factor, 1)}x`;
  return `${what} exceeds budget by factor of ${f} (try simplifying the rule, or adding maxItems, maxProperties, and maxLength where arrays, maps, and strings are declared)`;
}
