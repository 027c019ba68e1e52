/**
 * What changed between two versions of an object, as field sets — the paths `added` (absent
 * before), `modified` (a leaf with another value) and `removed` — the way server-side apply
 * decides who a non-apply write makes the owner of what, and which other managers lose fields.
 *
 * A node absent before is added together with everything below it, so a new container is
 * owned as `k:{"name":"web"}` plus each of its fields; a node present on both sides only
 * contributes what changed below it. Leaves are scalars and atomic lists, maps and structs;
 * granular containers that are empty or null on both sides count as leaves too, which keeps
 * the difference between `{}` and absent.
 *
 * @example A changed replica count and a new label
 * ```ts
 * import assert from "node:assert/strict";
 * import { atomOf } from "./schema_atoms.ts";
 * import { compareValues } from "./compare.ts";
 * import { Deployment } from "../types/apps_v1.ts";
 *
 * const c = compareValues({
 *   before: { metadata: { name: "web" }, spec: { replicas: 1 } },
 *   after: { metadata: { name: "web", labels: { app: "web" } }, spec: { replicas: 2 } },
 * }, atomOf(Deployment));
 * assert.deepEqual(c.added.toFieldsV1(), { "f:metadata": { "f:labels": { ".": {}, "f:app": {} } } });
 * assert.deepEqual(c.modified.toFieldsV1(), { "f:spec": { "f:replicas": {} } });
 * assert.equal(c.removed.empty, true);
 * ```
 *
 * @module
 */
import { type Atom, DEDUCED, resolveAtom } from "./schema_atoms.ts";
import { FieldSet } from "./field_set.ts";
import { fieldElement, type PathElement, serializePathElement } from "./path_element.ts";
import { listItemElement } from "./to_field_set.ts";
import { jsonEqual } from "../util/json_value.ts";

/** The difference between two versions of a value. */
export interface Comparison {
  readonly added: FieldSet;
  readonly modified: FieldSet;
  readonly removed: FieldSet;
}

const ADDED = 0;
const MODIFIED = 1;
const REMOVED = 2;

/** The three sets at one level of the walk, made only when something lands in them. */
class Level {
  readonly #parent: Level | null;
  readonly #pe: PathElement | null;
  readonly #key: string;
  readonly #sets: (FieldSet | undefined)[];

  constructor(parent: Level | null, pe: PathElement | null, key: string, roots?: FieldSet[]) {
    this.#parent = parent;
    this.#pe = pe;
    this.#key = key;
    this.#sets = roots ?? [undefined, undefined, undefined];
  }

  set(which: number): FieldSet {
    let s = this.#sets[which];
    if (s === undefined) {
      s = this.#parent!.set(which).child(this.#pe!, this.#key);
      this.#sets[which] = s;
    }
    return s;
  }
}

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

/** The items of a list by identity; null when an item has none (the list is then a leaf). */
function indexItems(
  atom: Extract<Atom, { t: "list" }>,
  items: readonly unknown[],
): { keys: string[]; pes: PathElement[]; byKey: Map<string, unknown[]> } | null {
  const keys: string[] = [];
  const pes: PathElement[] = [];
  const byKey = new Map<string, unknown[]>();
  for (const item of items) {
    const pe = listItemElement(atom, item);
    if (typeof pe === "string") return null;
    const key = serializePathElement(pe);
    const seen = byKey.get(key);
    if (seen) {
      seen.push(item);
    } else {
      byKey.set(key, [item]);
      keys.push(key);
      pes.push(pe);
    }
  }
  return { keys, pes, byKey };
}

interface At {
  readonly level: Level;
  readonly pe: PathElement;
  readonly key: string;
}

function leaf(lhs: unknown, rhs: unknown, at: At): void {
  if (lhs === undefined) at.level.set(ADDED).insertMember(at.pe, at.key);
  else if (rhs === undefined) at.level.set(REMOVED).insertMember(at.pe, at.key);
  else if (!jsonEqual(lhs, rhs)) at.level.set(MODIFIED).insertMember(at.pe, at.key);
}

function addedOrRemoved(lhs: unknown, rhs: unknown, at: At): void {
  if (lhs === undefined) at.level.set(ADDED).insertMember(at.pe, at.key);
  else if (rhs === undefined) at.level.set(REMOVED).insertMember(at.pe, at.key);
}

function compareChildren(
  lhs: Record<string, unknown> | null,
  rhs: Record<string, unknown> | null,
  atom: Extract<Atom, { t: "struct" | "map" }>,
  level: Level,
): void {
  const visit = (k: string, l: unknown, r: unknown) => {
    if (l === undefined && r === undefined) return;
    let child: Atom | undefined;
    if (atom.t === "struct") child = atom.field(k) ?? DEDUCED;
    else child = atom.elem;
    const pe = fieldElement(k);
    const key = `f:${k}`;
    compareNode(l, r, child, { level: new Level(level, pe, key), pe, key, parent: level });
  };
  if (lhs) { for (const k in lhs) visit(k, lhs[k], rhs ? rhs[k] : undefined); }
  if (rhs) {
    for (const k in rhs) if (!lhs || lhs[k] === undefined) visit(k, undefined, rhs[k]);
  }
}

interface NodeAt {
  /** The level below this node (its children's sets). */
  readonly level: Level;
  readonly pe: PathElement;
  readonly key: string;
  /** The level holding this node. */
  readonly parent: Level;
}

function compareNode(lhs: unknown, rhs: unknown, atom: Atom, at: NodeAt): void {
  const a = resolveAtom(atom, rhs !== undefined && rhs !== null ? rhs : lhs);
  const self: At = { level: at.parent, pe: at.pe, key: at.key };
  switch (a.t) {
    case "scalar":
      leaf(lhs, rhs, self);
      return;
    case "struct":
    case "map": {
      const lm = lhs === undefined || lhs === null ? null : isObject(lhs) ? lhs : undefined;
      const rm = rhs === undefined || rhs === null ? null : isObject(rhs) ? rhs : undefined;
      if (a.atomic || lm === undefined || rm === undefined || (emptyish(lhs) && emptyish(rhs))) {
        leaf(lhs, rhs, self);
        return;
      }
      compareChildren(lm, rm, a, at.level);
      addedOrRemoved(lhs, rhs, self);
      return;
    }
    case "list": {
      const ll = lhs === undefined || lhs === null ? [] : Array.isArray(lhs) ? lhs : undefined;
      const rl = rhs === undefined || rhs === null ? [] : Array.isArray(rhs) ? rhs : undefined;
      if (
        a.rel === "atomic" || ll === undefined || rl === undefined ||
        (ll.length === 0 && rl.length === 0)
      ) {
        leaf(lhs, rhs, self);
        return;
      }
      const li = indexItems(a, ll);
      const ri = indexItems(a, rl);
      if (li === null || ri === null) {
        leaf(lhs, rhs, self);
        return;
      }
      const visit = (key: string, pe: PathElement) => {
        const l = li.byKey.get(key);
        const r = ri.byKey.get(key);
        const item: At = { level: at.level, pe, key };
        if ((l && l.length > 1) || (r && r.length > 1)) {
          // Duplicated items compare as a whole.
          leaf(l, r, item);
          return;
        }
        compareNode(l?.[0], r?.[0], a.elem, {
          level: new Level(at.level, pe, key),
          pe,
          key,
          parent: at.level,
        });
      };
      for (let i = 0; i < li.keys.length; i++) visit(li.keys[i]!, li.pes[i]!);
      for (let i = 0; i < ri.keys.length; i++) {
        if (!li.byKey.has(ri.keys[i]!)) visit(ri.keys[i]!, ri.pes[i]!);
      }
      addedOrRemoved(lhs, rhs, self);
      return;
    }
  }
}

/** Two versions of a value. */
export interface Versions {
  /** The value before the write (`undefined`: absent). */
  readonly before: unknown;
  /** The value after it. */
  readonly after: unknown;
}

/**
 * Compares two versions of a root object (`undefined` members are absent). The root itself is
 * never a member of the sets.
 */
export function compareValues(versions: Versions, atom: Atom): Comparison {
  const lhs = versions.before;
  const rhs = versions.after;
  const roots = [new FieldSet(), new FieldSet(), new FieldSet()];
  const root = new Level(null, null, "", roots);
  const a = resolveAtom(atom, rhs ?? lhs);
  if (a.t === "struct" || a.t === "map") {
    compareChildren(isObject(lhs) ? lhs : null, isObject(rhs) ? rhs : null, a, root);
  }
  for (const s of roots) s.prune();
  return { added: roots[ADDED]!, modified: roots[MODIFIED]!, removed: roots[REMOVED]! };
}
