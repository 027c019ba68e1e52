/**
 * Merges an applied configuration into the live object as server-side apply does: leaves
 * (scalars, atomic lists and maps) take the configuration's value, granular structs and maps
 * merge key by key, and associative lists (sets, and maps by their key fields) merge item by
 * item — items only the live object has stay where they were, the configuration's items come
 * in the configuration's order.
 *
 * @example Merge a new image into a live container list
 * ```ts
 * import assert from "node:assert/strict";
 * import { atomOf } from "./schema_atoms.ts";
 * import { mergeValues } from "./merge.ts";
 * import { PodSpec } from "../types/core_v1_pod.ts";
 *
 * const live = { containers: [{ name: "a", image: "x" }, { name: "b", image: "y" }] };
 * const config = { containers: [{ name: "b", image: "z" }] };
 * assert.deepEqual(mergeValues({ live, config }, atomOf(PodSpec)), {
 *   containers: [{ name: "a", image: "x" }, { name: "b", image: "z" }],
 * });
 * ```
 *
 * @module
 */
import { type Atom, DEDUCED, resolveAtom } from "./schema_atoms.ts";
import { serializePathElement } from "./path_element.ts";
import { listItemElement } from "./to_field_set.ts";

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function emptyish(v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (isObject(v)) {
    for (const k in v) if (v[k] !== undefined) return false;
    return true;
  }
  return false;
}

function keysOf(
  atom: Extract<Atom, { t: "list" }>,
  items: readonly unknown[],
): { keys: string[]; byKey: Map<string, unknown> } | null {
  const keys: string[] = [];
  const byKey = new Map<string, unknown>();
  for (const item of items) {
    const pe = listItemElement(atom, item);
    if (typeof pe === "string") return null;
    const key = serializePathElement(pe);
    keys.push(key);
    if (!byKey.has(key)) byKey.set(key, item);
  }
  return { keys, byKey };
}

function mergeLists(
  lhs: readonly unknown[],
  rhs: readonly unknown[],
  atom: Extract<Atom, { t: "list" }>,
): unknown[] | undefined {
  const l = keysOf(atom, lhs);
  const r = keysOf(atom, rhs);
  if (l === null || r === null) return [...rhs];
  const shared = r.keys.filter((k) => l.byKey.has(k));
  let sharedAt = 0;
  let nextShared: string | undefined = shared[sharedAt++];
  const merged = new Set<string>();
  const out: unknown[] = [];
  const push = (key: string, lItem: unknown, rItem: unknown) => {
    const m = mergeNode(lItem, rItem, atom.elem);
    if (m !== undefined) out.push(m);
    void key;
  };
  let li = 0;
  let ri = 0;
  while (li < l.keys.length || ri < r.keys.length) {
    if (li < l.keys.length && ri < r.keys.length) {
      const key = l.keys[li]!;
      if (key === r.keys[ri]) {
        merged.add(key);
        push(key, l.byKey.get(key), r.byKey.get(key));
        li++;
        ri++;
        nextShared = shared[sharedAt++];
        continue;
      }
      if (r.byKey.has(key) && nextShared !== undefined && nextShared !== key) {
        // A shared item, but not the next one the configuration orders.
        li++;
        continue;
      }
    }
    if (li < l.keys.length) {
      const key = l.keys[li]!;
      if (!r.byKey.has(key)) {
        push(key, lhs[li], undefined);
        li++;
        continue;
      }
      if (merged.has(key)) {
        li++;
        continue;
      }
    }
    if (ri < r.keys.length) {
      const key = r.keys[ri]!;
      merged.add(key);
      push(key, l.byKey.get(key), r.byKey.get(key));
      ri++;
      if (nextShared !== undefined && nextShared === key) nextShared = shared[sharedAt++];
    }
  }
  return out.length > 0 ? out : undefined;
}

function mergeNode(lhs: unknown, rhs: unknown, atom: Atom): unknown {
  if (lhs === undefined) return rhs;
  if (rhs === undefined) return lhs;
  const a = resolveAtom(atom, rhs !== null ? rhs : lhs);
  switch (a.t) {
    case "scalar":
      return rhs;
    case "struct":
    case "map": {
      if (a.atomic || (emptyish(lhs) && emptyish(rhs))) return rhs;
      const lm = lhs === null ? null : isObject(lhs) ? lhs : undefined;
      const rm = rhs === null ? null : isObject(rhs) ? rhs : undefined;
      if (lm === undefined || rm === undefined) return rhs;
      return mergeChildren(lm, rm, a) ?? rhs;
    }
    case "list": {
      const ll = lhs === null ? [] : Array.isArray(lhs) ? lhs : undefined;
      const rl = rhs === null ? [] : Array.isArray(rhs) ? rhs : undefined;
      if (
        a.rel === "atomic" || ll === undefined || rl === undefined ||
        (ll.length === 0 && rl.length === 0)
      ) {
        return rhs;
      }
      return mergeLists(ll, rl, a) ?? rhs;
    }
  }
}

function mergeChildren(
  lhs: Record<string, unknown> | null,
  rhs: Record<string, unknown> | null,
  atom: Extract<Atom, { t: "struct" | "map" }>,
): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  let any = false;
  const childAtom = (k: string) => atom.t === "struct" ? atom.field(k) ?? DEDUCED : atom.elem;
  if (lhs) {
    for (const k in lhs) {
      const l = lhs[k];
      const r = rhs ? rhs[k] : undefined;
      if (l === undefined && r === undefined) continue;
      out[k] = mergeNode(l, r, childAtom(k));
      any = true;
    }
  }
  if (rhs) {
    for (const k in rhs) {
      if (rhs[k] === undefined || (lhs && lhs[k] !== undefined)) continue;
      out[k] = rhs[k];
      any = true;
    }
  }
  return any ? out : undefined;
}

/** A live value and the configuration to merge into it. */
export interface MergeInput {
  readonly live: unknown;
  readonly config: unknown;
}

/** The live value with the configuration merged in (neither is modified). */
export function mergeValues(input: MergeInput, atom: Atom): unknown {
  return mergeNode(input.live, input.config, atom);
}
