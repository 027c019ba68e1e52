/**
 * The field set of a value: every field it sets, as server-side apply records what an applied
 * configuration owns. Scalars, atomic lists and atomic maps are leaves; list items are members
 * (and their fields below them); map entries are members; struct fields only when null or an
 * empty object — so `spec.template` is not owned by itself, but `spec.template.spec.containers
 * [name="web"]` is. Checking the value against the schema on the way (unknown fields, types,
 * duplicate list keys) gives upstream's messages (`.spec.foo: field not declared in schema`).
 *
 * @example The fields of a small Deployment spec
 * ```ts
 * import assert from "node:assert/strict";
 * import { atomOf } from "./schema_atoms.ts";
 * import { toFieldSet } from "./to_field_set.ts";
 * import { Deployment } from "../types/apps_v1.ts";
 *
 * const { set, errors } = toFieldSet(
 *   { spec: { replicas: 2, template: { spec: { containers: [{ name: "web", image: "nginx" }] } } } },
 *   { atom: atomOf(Deployment) },
 * );
 * assert.deepEqual(errors, []);
 * assert.deepEqual(set.toFieldsV1(), {
 *   "f:spec": {
 *     "f:replicas": {},
 *     "f:template": {
 *       "f:spec": {
 *         "f:containers": { 'k:{"name":"web"}': { ".": {}, "f:image": {}, "f:name": {} } },
 *       },
 *     },
 *   },
 * });
 * ```
 *
 * @module
 */
import { type Atom, DEDUCED, type ListAtom, resolveAtom } from "./schema_atoms.ts";
import { goSharpV, goType, goV } from "./_go_values.ts";
import { FieldSet } from "./field_set.ts";
import {
  fieldElement,
  type JsonValue,
  keyElement,
  type KeyField,
  type PathElement,
  pathElementString,
  serializePathElement,
  valueElement,
} from "./path_element.ts";

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The identity of a list item, or the message upstream gives when it has none. */
export function listItemElement(list: ListAtom, item: unknown): PathElement | string {
  if (list.rel === "map") {
    if (item === null) return "associative list with keys may not have a null element";
    if (!isObject(item)) return "associative list with keys may not have non-map elements";
    const fields: KeyField[] = [];
    for (const name of list.keys) {
      const v = item[name];
      if (v !== undefined) {
        fields.push([name, v as JsonValue]);
        continue;
      }
      const d = list.keyDefault(name);
      if (d === undefined) {
        return `associative list with keys has an element that omits key field ${
          JSON.stringify(name)
        } (and doesn't have default value)`;
      }
      fields.push([name, d]);
    }
    return keyElement(fields);
  }
  if (Array.isArray(item)) return "associative list without keys has an element that's a list type";
  if (isObject(item)) return "associative list without keys has an element that's a map type";
  return valueElement(item as JsonValue);
}

/** Options of {@linkcode toFieldSet}. */
export interface ToFieldSetOptions {
  readonly atom: Atom;
  /** Report schema violations (for an applied configuration). @default {true} */
  readonly validate?: boolean;
  /** Accept duplicate list keys (a stored object may have them). @default {false} */
  readonly allowDuplicates?: boolean;
}

/** The field set of a value and, when validating, upstream's error messages. */
export interface FieldSetResult {
  readonly set: FieldSet;
  /** `path: message`, as upstream's validation errors print. */
  readonly errors: string[];
}

interface Walk {
  readonly validate: boolean;
  readonly allowDuplicates: boolean;
  readonly errors: string[];
}

function err(w: Walk, path: string, message: string): void {
  if (w.validate) w.errors.push(path ? `${path}: ${message}` : message);
}

function checkScalar(w: Walk, scalar: string, v: unknown, path: string): void {
  if (!w.validate || v === null) return;
  switch (scalar) {
    case "numeric":
      if (typeof v !== "number") {
        err(w, path, `expected numeric (int or float), got ${goType(v)}`);
      }
      return;
    case "string":
      if (typeof v !== "string") {
        err(w, path, `expected string, got &value.valueUnstructured{Value:${goSharpV(v)}}`);
      }
      return;
    case "boolean":
      if (typeof v !== "boolean") err(w, path, `expected boolean, got &{${goV(v)}}`);
      return;
    default:
      if (typeof v === "object") err(w, path, `expected any scalar, got &{${goV(v)}}`);
  }
}

/**
 * Walks `value` of type `atom`. `level` is the set of `value`'s parent, `pe`/`key` the element
 * leading to `value` (null at the root); `level` is null inside atomic values, which only get
 * validated.
 */
function walk(
  w: Walk,
  value: unknown,
  atom: Atom,
  at: { level: FieldSet | null; pe: PathElement | null; key: string; path: string },
): void {
  const a = resolveAtom(atom, value);
  const { level, pe, key, path } = at;
  switch (a.t) {
    case "scalar":
      checkScalar(w, a.scalar, value, path);
      if (level && pe) level.insertMember(pe, key);
      return;
    case "list": {
      if (value === null) return;
      if (!Array.isArray(value)) {
        err(w, path, `expected list, got &{${goV(value)}}`);
        return;
      }
      const atomic = a.rel === "atomic";
      if (atomic && level && pe) level.insertMember(pe, key);
      if (atomic && !w.validate) return;
      const own = atomic || !level ? null : pe ? level.child(pe, key) : level;
      const seen = new Set<string>();
      for (let i = 0; i < value.length; i++) {
        const item = value[i];
        let ipe: PathElement;
        if (atomic) {
          ipe = { kind: "index", index: i };
        } else {
          const got = listItemElement(a, item);
          if (typeof got === "string") {
            err(w, path, `element ${i}: ${got}`);
            return;
          }
          ipe = got;
        }
        const ikey = serializePathElement(ipe);
        if (!atomic) {
          if (seen.has(ikey) && !w.allowDuplicates) {
            err(w, path, `duplicate entries for key ${pathElementString(ipe)}`);
          }
          seen.add(ikey);
        }
        walk(w, item, a.elem, {
          level: own,
          pe: ipe,
          key: ikey,
          path: path + pathElementString(ipe),
        });
        if (own) own.insertMember(ipe, ikey);
      }
      return;
    }
    case "struct":
    case "map": {
      if (value === null) return;
      if (!isObject(value)) {
        err(w, path, `expected map, got &{${goV(value)}}`);
        return;
      }
      if (a.atomic && level && pe) level.insertMember(pe, key);
      if (a.atomic && !w.validate) return;
      const own = a.atomic || !level ? null : pe ? level.child(pe, key) : level;
      for (const k of Object.keys(value)) {
        const v = value[k];
        if (v === undefined) continue;
        let fieldAtom: Atom | undefined;
        let declared = false;
        if (a.t === "struct") {
          fieldAtom = a.field(k);
          declared = fieldAtom !== undefined;
          if (fieldAtom === undefined && a.open) fieldAtom = DEDUCED;
        } else {
          fieldAtom = a.elem;
        }
        const fpe = fieldElement(k);
        if (fieldAtom === undefined) {
          err(w, path + pathElementString(fpe), "field not declared in schema");
          // Upstream stops at the first undeclared field of a map.
          return;
        }
        const fkey = `f:${k}`;
        walk(w, v, fieldAtom, { level: own, pe: fpe, key: fkey, path: path + "." + k });
        if (own && (v === null || (isObject(v) && Object.keys(v).length === 0) || !declared)) {
          own.insertMember(fpe, fkey);
        }
      }
      return;
    }
  }
}

/** The field set of `value` (and its validation errors). */
export function toFieldSet(value: unknown, options: ToFieldSetOptions): FieldSetResult {
  const w: Walk = {
    validate: options.validate ?? true,
    allowDuplicates: options.allowDuplicates ?? false,
    errors: [],
  };
  const set = new FieldSet();
  walk(w, value, options.atom, { level: set, pe: null, key: "", path: "" });
  set.prune();
  return { set, errors: w.errors };
}

/** Upstream's text for a list of validation errors (`errors:` and one indented line each). */
export function validationErrorsText(errors: readonly string[]): string {
  if (errors.length === 1) return errors[0]!;
  return ["errors:", ...errors.map((e) => `  ${e}`)].join("\n");
}
