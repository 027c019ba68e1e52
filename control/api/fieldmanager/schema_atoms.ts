/**
 * What server-side apply needs to know of a schema, resolved once per schema node: whether a
 * value is a scalar, a struct (known fields), a map, or a list, and whether it merges field by
 * field (granular) or is replaced whole (atomic); for lists, how items are identified (a set by
 * value, a map by key fields, or atomic).
 *
 * As upstream's conversion of OpenAPI into structured-merge-diff schemas: `listType` wins; a
 * list without one is a map keyed by the field's `patchMergeKey` when its patch strategy merges
 * (a set when it has no merge key), otherwise atomic; `mapType: atomic` makes a struct or map a
 * leaf. Anything without a schema (`any`, preserved unknown fields) is "deduced" from the
 * value: objects are granular maps, lists are atomic, the rest scalars.
 *
 * @module
 */
import { type Field, type ObjectSchema, resolve, type Schema } from "../types/schema.ts";
import type { JsonValue } from "./path_element.ts";

/** The scalar types upstream checks applied values against. */
export type ScalarType = "numeric" | "string" | "boolean" | "untyped";

/** A scalar. */
export interface ScalarAtom {
  readonly t: "scalar";
  readonly scalar: ScalarType;
}

/** A struct with known fields. */
export interface StructAtom {
  readonly t: "struct";
  readonly atomic: boolean;
  /** The atom of a declared field; `undefined` for a field the schema does not declare. */
  field(name: string): Atom | undefined;
  /** Undeclared fields are kept (deduced) rather than refused. */
  readonly open: boolean;
  /** The declared fields. */
  readonly names: ReadonlySet<string>;
  /** The schema the struct came from. */
  readonly schema: ObjectSchema;
}

/** A map from string keys to `elem`. */
export interface MapAtom {
  readonly t: "map";
  readonly atomic: boolean;
  readonly elem: Atom;
}

/** A list of `elem`. */
export interface ListAtom {
  readonly t: "list";
  readonly rel: "atomic" | "set" | "map";
  /** The key fields of a `map` list. */
  readonly keys: readonly string[];
  readonly elem: Atom;
  /** The schema default of a key field, used when an item omits it. */
  keyDefault(name: string): JsonValue | undefined;
}

/** A value of no known schema: its shape decides (see the module doc). */
export interface DeducedAtom {
  readonly t: "deduced";
}

/** What a schema node is to server-side apply. */
export type Atom = ScalarAtom | StructAtom | MapAtom | ListAtom | DeducedAtom;

/** The atom of values without a schema. */
export const DEDUCED: DeducedAtom = { t: "deduced" };
const UNTYPED: ScalarAtom = { t: "scalar", scalar: "untyped" };
const DEDUCED_MAP: MapAtom = { t: "map", atomic: false, elem: DEDUCED };
const DEDUCED_LIST: ListAtom = {
  t: "list",
  rel: "atomic",
  keys: [],
  elem: DEDUCED,
  keyDefault: () => undefined,
};

const bySchema = new WeakMap<object, Atom>();
const byField = new WeakMap<object, Atom>();

/** The atom a deduced value resolves to. */
export function deducedAtom(value: unknown): Atom {
  if (Array.isArray(value)) return DEDUCED_LIST;
  if (typeof value === "object" && value !== null) return DEDUCED_MAP;
  return UNTYPED;
}

/** The atom of `atom` for `value`: deduced atoms resolve by the value's shape. */
export function resolveAtom(atom: Atom, value: unknown): Exclude<Atom, DeducedAtom> {
  return atom.t === "deduced" ? deducedAtom(value) as Exclude<Atom, DeducedAtom> : atom;
}

function structAtom(schema: ObjectSchema): StructAtom {
  const fields = schema.fields;
  const names = new Set(Object.keys(fields));
  const cache = new Map<string, Atom>();
  return {
    t: "struct",
    atomic: schema.mapType === "atomic",
    open: schema.preserveUnknownFields === true,
    names,
    schema,
    field(name: string): Atom | undefined {
      const hit = cache.get(name);
      if (hit !== undefined) return hit;
      const f = Object.hasOwn(fields, name) ? fields[name] : undefined;
      if (f === undefined) return undefined;
      const atom = atomOfField(f);
      cache.set(name, atom);
      return atom;
    },
  };
}

function listAtom(
  items: Schema,
  o: { listType?: string; keys?: readonly string[] },
): ListAtom {
  const rel = o.listType === "map" ? "map" : o.listType === "set" ? "set" : "atomic";
  const keys = rel === "map" ? o.keys ?? [] : [];
  const resolvedItems = resolve(items);
  const defaults = new Map<string, JsonValue>();
  if (resolvedItems.type === "object") {
    for (const k of keys) {
      const d = resolvedItems.fields[k]?.default;
      if (d !== undefined) defaults.set(k, d as JsonValue);
    }
  }
  let elem: Atom | undefined;
  return {
    t: "list",
    rel,
    keys,
    get elem(): Atom {
      return elem ??= atomOf(items);
    },
    keyDefault: (name) => defaults.get(name),
  };
}

/** The atom of a schema node reached without a field (the root, map values, list items). */
export function atomOf(schema: Schema): Atom {
  const s = resolve(schema);
  const hit = bySchema.get(s);
  if (hit !== undefined) return hit;
  let atom: Atom;
  switch (s.type) {
    case "object":
      atom = structAtom(s);
      break;
    case "map": {
      let elem: Atom | undefined;
      const values = s.values;
      atom = {
        t: "map",
        atomic: s.mapType === "atomic",
        get elem(): Atom {
          return elem ??= atomOf(values);
        },
      };
      break;
    }
    case "array":
      atom = listAtom(s.items, {
        ...(s.listType ? { listType: s.listType } : {}),
        ...(s.listMapKeys ? { keys: s.listMapKeys } : {}),
      });
      break;
    case "any":
      atom = DEDUCED;
      break;
    case "integer":
    case "number":
      atom = { t: "scalar", scalar: "numeric" };
      break;
    case "boolean":
      atom = { t: "scalar", scalar: "boolean" };
      break;
    case "string":
    case "time":
    case "bytes":
      atom = { t: "scalar", scalar: "string" };
      break;
    case "quantity":
    case "intOrString":
      atom = UNTYPED;
      break;
  }
  bySchema.set(s, atom);
  return atom;
}

/** The atom of a struct field: a list's relationship may come from the field's patch tags. */
export function atomOfField(f: Field): Atom {
  const s = resolve(f.schema);
  if (s.type !== "array" || s.listType !== undefined) return atomOf(s);
  const hit = byField.get(f);
  if (hit !== undefined) return hit;
  let atom: Atom;
  if (f.patchStrategy?.includes("merge")) {
    atom = f.patchMergeKey
      ? listAtom(s.items, { listType: "map", keys: [f.patchMergeKey] })
      : listAtom(s.items, { listType: "set" });
  } else {
    atom = atomOf(s);
  }
  byField.set(f, atom);
  return atom;
}
