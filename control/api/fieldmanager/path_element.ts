/**
 * One step of a field path, as server-side apply names the parts of an object: a field of a
 * struct or a key of a map (`f:replicas`), an item of an associative list by its key fields
 * (`k:{"containerPort":80,"protocol":"TCP"}`), an item of a set by its value (`v:"finalizer"`)
 * or, where nothing else identifies it, an item by index (`i:0`).
 *
 * The serialized forms are the keys of `managedFields[].fieldsV1`; the printed forms are those
 * of conflict messages (`.spec.template.spec.containers[name="nginx"].image`). The order of
 * {@linkcode comparePathElements} is the order upstream serializes field sets in: fields, then
 * keys, then values, then indexes.
 *
 * @example Serialize and print the step to a container
 * ```ts
 * import assert from "node:assert/strict";
 * import { keyElement, pathString, serializePathElement } from "./path_element.ts";
 *
 * const pe = keyElement([["name", "nginx"]]);
 * assert.equal(serializePathElement(pe), 'k:{"name":"nginx"}');
 * assert.equal(pathString([{ kind: "field", name: "containers" }, pe]), '.containers[name="nginx"]');
 * ```
 *
 * @module
 */
import { goJson } from "../../util/go_json.ts";

/** A JSON value, as decoded from a request or from storage. */
export type JsonValue =
  | null
  | boolean
  | number
  | string
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue };

/** One key field of an associative list item: its name and value. */
export type KeyField = readonly [name: string, value: JsonValue];

/** One step of a field path. */
export type PathElement =
  | { readonly kind: "field"; readonly name: string }
  | { readonly kind: "key"; readonly fields: readonly KeyField[] }
  | { readonly kind: "value"; readonly value: JsonValue }
  | { readonly kind: "index"; readonly index: number };

/** A field path: the steps from the object's root. */
export type ElementPath = readonly PathElement[];

/** The step to field (or map key) `name`. */
export function fieldElement(name: string): PathElement {
  return { kind: "field", name };
}

/** The step to the associative list item with these key fields (sorted by name here). */
export function keyElement(fields: readonly KeyField[]): PathElement {
  const sorted = [...fields].sort((a, b) => compareStrings(a[0], b[0]));
  return { kind: "key", fields: sorted };
}

/** The step to the set item `value`. */
export function valueElement(value: JsonValue): PathElement {
  return { kind: "value", value };
}

/** The step to list item `index`. */
export function indexElement(index: number): PathElement {
  return { kind: "index", index };
}

/** Go's `strings.Compare` for the strings skiff meets (code-unit order). */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function rank(v: JsonValue): number {
  if (typeof v === "number") return 0;
  if (typeof v === "string") return 1;
  if (typeof v === "boolean") return 2;
  if (Array.isArray(v)) return 3;
  if (v === null) return 5;
  return 4;
}

/**
 * The total order of values upstream sorts set items and keys by: numbers, then strings,
 * booleans, lists, maps and null; lists and maps compare item by item.
 */
export function compareJsonValues(a: JsonValue, b: JsonValue): number {
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  switch (ra) {
    case 0:
      return (a as number) - (b as number) < 0 ? -1 : a === b ? 0 : 1;
    case 1:
      return compareStrings(a as string, b as string);
    case 2:
      return a === b ? 0 : a === false ? -1 : 1;
    case 3: {
      const x = a as readonly JsonValue[];
      const y = b as readonly JsonValue[];
      for (let i = 0;; i++) {
        if (i >= x.length && i >= y.length) return 0;
        if (i >= x.length) return -1;
        if (i >= y.length) return 1;
        const c = compareJsonValues(x[i]!, y[i]!);
        if (c !== 0) return c;
      }
    }
    case 4: {
      const x = a as { readonly [key: string]: JsonValue };
      const y = b as { readonly [key: string]: JsonValue };
      const kx = Object.keys(x).sort(compareStrings);
      const ky = Object.keys(y).sort(compareStrings);
      for (let i = 0;; i++) {
        if (i >= kx.length && i >= ky.length) return 0;
        if (i >= kx.length) return -1;
        if (i >= ky.length) return 1;
        const c = compareStrings(kx[i]!, ky[i]!) || compareJsonValues(x[kx[i]!]!, y[ky[i]!]!);
        if (c !== 0) return c;
      }
    }
    default:
      return 0;
  }
}

const KIND_ORDER = { field: 0, key: 1, value: 2, index: 3 } as const;

/** Orders path elements as upstream's field sets do. */
export function comparePathElements(a: PathElement, b: PathElement): number {
  if (a.kind !== b.kind) return KIND_ORDER[a.kind] - KIND_ORDER[b.kind];
  switch (a.kind) {
    case "field":
      return compareStrings(a.name, (b as typeof a).name);
    case "key": {
      const x = a.fields;
      const y = (b as typeof a).fields;
      for (let i = 0;; i++) {
        if (i >= x.length && i >= y.length) return 0;
        if (i >= x.length) return -1;
        if (i >= y.length) return 1;
        const c = compareStrings(x[i]![0], y[i]![0]) || compareJsonValues(x[i]![1], y[i]![1]);
        if (c !== 0) return c;
      }
    }
    case "value":
      return compareJsonValues(a.value, (b as typeof a).value);
    case "index":
      return a.index - (b as typeof a).index;
  }
}

/** The `fieldsV1` key of `pe`: `f:name`, `k:{…}`, `v:…` or `i:N`. */
export function serializePathElement(pe: PathElement): string {
  switch (pe.kind) {
    case "field":
      return `f:${pe.name}`;
    case "key":
      return `k:{${pe.fields.map(([n, v]) => `${goJson(n)}:${goJson(v)}`).join(",")}}`;
    case "value":
      return `v:${goJson(pe.value)}`;
    case "index":
      return `i:${pe.index}`;
  }
}

/** Thrown for a `fieldsV1` key that is no path element. */
export class PathElementSyntaxError extends SyntaxError {
  constructor(message: string) {
    super(message);
    this.name = "PathElementSyntaxError";
  }
}

function isObject(v: unknown): v is { readonly [key: string]: JsonValue } {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Parses a `fieldsV1` key (the inverse of {@linkcode serializePathElement}). */
export function parsePathElement(text: string): PathElement {
  const colon = text.indexOf(":");
  if (colon < 0) {
    throw new PathElementSyntaxError(`Cannot parse path element ${JSON.stringify(text)}: no type`);
  }
  const prefix = text.slice(0, colon);
  const rest = text.slice(colon + 1);
  switch (prefix) {
    case "f":
      return fieldElement(rest);
    case "i": {
      if (!/^-?\d+$/.test(rest)) {
        throw new PathElementSyntaxError(
          `Cannot parse path element ${JSON.stringify(text)}: not an index`,
        );
      }
      return indexElement(Number(rest));
    }
    case "v":
    case "k": {
      let value: unknown;
      try {
        value = JSON.parse(rest);
      } catch (err) {
        throw new PathElementSyntaxError(
          `Cannot parse path element ${JSON.stringify(text)}: ${(err as Error).message}`,
        );
      }
      if (prefix === "v") return valueElement(value as JsonValue);
      if (!isObject(value)) {
        throw new PathElementSyntaxError(
          `Cannot parse path element ${JSON.stringify(text)}: keys are not an object`,
        );
      }
      return keyElement(Object.entries(value));
    }
    default:
      throw new PathElementSyntaxError(
        `Cannot parse path element ${JSON.stringify(text)}: unknown type ${JSON.stringify(prefix)}`,
      );
  }
}

/** A value as upstream prints it in a path: strings quoted, lists bracketed, maps `k=v`. */
function printValue(v: JsonValue): string {
  if (v === null) return "null";
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (Array.isArray(v)) return `[${v.map(printValue).join(",")}]`;
  const m = v as { readonly [key: string]: JsonValue };
  return Object.keys(m).sort(compareStrings).map((k) => `${k}=${printValue(m[k]!)}`).join("");
}

/** `pe` as conflict messages print it: `.name`, `[k=v,…]`, `[=value]`, `[N]`. */
export function pathElementString(pe: PathElement): string {
  switch (pe.kind) {
    case "field":
      return `.${pe.name}`;
    case "key":
      return `[${pe.fields.map(([n, v]) => `${n}=${printValue(v)}`).join(",")}]`;
    case "value":
      return `[=${printValue(pe.value)}]`;
    case "index":
      return `[${pe.index}]`;
  }
}

/** A path as conflict messages print it (`.spec.replicas`). */
export function pathString(path: ElementPath): string {
  return path.map(pathElementString).join("");
}
