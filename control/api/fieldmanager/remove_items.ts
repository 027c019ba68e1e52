/**
 * Removing owned paths from a value, as server-side apply prunes what a manager stopped
 * applying: a member path is dropped with everything below it; a container left with nothing
 * becomes null (dropped when the object is decoded). {@linkcode ensureNamedFieldsAreMembers}
 * makes the struct fields that lead to members members themselves, so that removing them
 * removes a struct that held only pruned fields.
 *
 * @example Remove a label
 * ```ts
 * import assert from "node:assert/strict";
 * import { atomOf } from "./schema_atoms.ts";
 * import { FieldSet } from "./field_set.ts";
 * import { fieldElement as f } from "./path_element.ts";
 * import { removeItems } from "./remove_items.ts";
 * import { ConfigMap } from "../types/core_v1_config.ts";
 *
 * const obj = { metadata: { name: "c", labels: { a: "1", b: "2" } } };
 * const set = FieldSet.of([f("metadata"), f("labels"), f("a")]);
 * const out = removeItems(obj, { set, atom: atomOf(ConfigMap) });
 * assert.deepEqual(out, { metadata: { name: "c", labels: { b: "2" } } });
 * ```
 *
 * @module
 */
import { type Atom, DEDUCED, resolveAtom } from "./schema_atoms.ts";
import { FieldSet } from "./field_set.ts";
import { serializePathElement } from "./path_element.ts";
import { listItemElement } from "./to_field_set.ts";

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Options of {@linkcode removeItems}. */
export interface RemoveItemsOptions {
  /** The paths to remove. */
  readonly set: FieldSet;
  /** The type of the value. */
  readonly atom: Atom;
}

/** `value` without the paths of `options.set` (a new value; `value` is not modified). */
export function removeItems(value: unknown, options: RemoveItemsOptions): unknown {
  return removeNode(value, options.set, options.atom);
}

function removeNode(value: unknown, set: FieldSet, atom: Atom): unknown {
  const a = resolveAtom(atom, value);
  switch (a.t) {
    case "scalar":
      return value;
    case "list": {
      if (!Array.isArray(value) || value.length === 0 || a.rel === "atomic") return null;
      const out: unknown[] = [];
      for (const item of value) {
        const pe = listItemElement(a, item);
        if (typeof pe === "string") {
          out.push(item);
          continue;
        }
        const key = serializePathElement(pe);
        if (set.hasMember(key)) continue;
        const below = set.withPrefix(key);
        out.push(below.empty ? item : removeNode(item, below, a.elem));
      }
      return out.length > 0 ? out : null;
    }
    case "struct":
    case "map": {
      if (!isObject(value) || a.atomic) return null;
      const out: Record<string, unknown> = {};
      let any = false;
      for (const k in value) {
        const v = value[k];
        if (v === undefined) continue;
        const key = `f:${k}`;
        if (set.hasMember(key)) continue;
        const below = set.withPrefix(key);
        if (below.empty) {
          out[k] = v;
        } else {
          const child = a.t === "struct" ? a.field(k) ?? DEDUCED : a.elem;
          out[k] = removeNode(v, below, child);
        }
        any = true;
      }
      return any ? out : null;
    }
  }
}

/**
 * `set` with every struct field that leads to a member made a member itself (map keys and
 * list items are left as they are).
 */
export function ensureNamedFieldsAreMembers(set: FieldSet, atom: Atom): FieldSet {
  const out = new FieldSet();
  for (const [key, pe, member, children] of set.entries()) {
    if (member) out.insertMember(pe, key);
    if (children === null) continue;
    let child: Atom = DEDUCED;
    if (atom.t === "struct" && pe.kind === "field") {
      const f = atom.field(pe.name);
      if (f !== undefined) {
        out.insertMember(pe, key);
        child = f;
      }
    } else if (atom.t === "map" && pe.kind === "field") {
      child = atom.elem;
    } else if (atom.t === "list" && pe.kind === "key") {
      child = atom.elem;
    }
    const sub = ensureNamedFieldsAreMembers(children, child);
    if (!sub.empty) out.child(pe, key).addAll(sub);
  }
  return out;
}
