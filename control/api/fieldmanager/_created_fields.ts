/**
 * The `fieldsV1` of a create, in one walk of the new object: what comparing Go's zero value of
 * the kind with the object adds or changes (see `compare.ts`), without the fields no manager
 * owns and the ignored ones — the same set the general path computes through field sets, built
 * directly as JSON because every create pays for it.
 *
 * @module
 */
import { type Atom, DEDUCED, resolveAtom } from "./schema_atoms.ts";
import { comparePathElements, type PathElement, serializePathElement } from "./path_element.ts";
import { listItemElement } from "./to_field_set.ts";
import { jsonEqual } from "../util/json_value.ts";

/** The metadata fields no manager owns. */
const STRIPPED_METADATA: ReadonlySet<string> = new Set([
  "name",
  "namespace",
  "creationTimestamp",
  "selfLink",
  "uid",
  "clusterName",
  "generation",
  "managedFields",
  "resourceVersion",
]);

type Fields = Record<string, unknown>;

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

/** The keys of `o` in order (most objects come sorted or nearly: sort only when needed). */
function sortedKeys(o: Record<string, unknown>): string[] {
  const keys = Object.keys(o);
  for (let i = 1; i < keys.length; i++) {
    if (keys[i - 1]! > keys[i]!) return keys.sort();
  }
  return keys;
}

/** The node's own entry: `{}` for a member leaf, children with `.` for a member container. */
function entry(member: boolean, children: Fields | undefined): Fields | undefined {
  if (children === undefined) return member ? {} : undefined;
  return member ? { ".": {}, ...children } : children;
}

function node(lhs: unknown, rhs: unknown, atom: Atom): Fields | undefined {
  const a = resolveAtom(atom, rhs !== null ? rhs : lhs);
  const added = lhs === undefined;
  switch (a.t) {
    case "scalar":
      return added || !jsonEqual(lhs, rhs) ? {} : undefined;
    case "struct":
    case "map": {
      const lm = lhs === undefined || lhs === null ? null : isObject(lhs) ? lhs : undefined;
      const rm = rhs === null ? null : isObject(rhs) ? rhs : undefined;
      if (a.atomic || lm === undefined || rm === undefined || (emptyish(lhs) && emptyish(rhs))) {
        return added || !jsonEqual(lhs, rhs) ? {} : undefined;
      }
      return entry(added, rm ? children(lm, rm, a) : undefined);
    }
    case "list": {
      const ll = lhs === undefined || lhs === null ? [] : Array.isArray(lhs) ? lhs : undefined;
      const rl = rhs === null ? [] : Array.isArray(rhs) ? rhs : undefined;
      if (a.rel === "atomic" || ll === undefined || rl === undefined || rl.length === 0) {
        return added || !jsonEqual(lhs, rhs) ? {} : undefined;
      }
      const items: [PathElement, string, Fields][] = [];
      const seen = new Map<string, number>();
      for (const item of rl) {
        const pe = listItemElement(a, item);
        if (typeof pe === "string") return added || !jsonEqual(lhs, rhs) ? {} : undefined;
        const key = serializePathElement(pe);
        const at = seen.get(key);
        if (at !== undefined) {
          // Duplicated items are owned as a whole.
          items[at]![2] = {};
          continue;
        }
        seen.set(key, items.length);
        // The zero value has no items: every item is new.
        items.push([pe, key, node(undefined, item, a.elem) ?? {}]);
      }
      if (ll.length > 0) return undefined; // never in a zero value; the general path handles it
      items.sort((x, y) => comparePathElements(x[0], y[0]));
      const out: Fields = {};
      for (const [, key, v] of items) out[key] = v;
      return entry(added, items.length ? out : undefined);
    }
  }
}

function children(
  lhs: Record<string, unknown> | null,
  rhs: Record<string, unknown>,
  atom: Extract<Atom, { t: "struct" | "map" }>,
  skip?: (k: string) => boolean,
): Fields | undefined {
  const keys = sortedKeys(rhs);
  let out: Fields | undefined;
  for (const k of keys) {
    const r = rhs[k];
    if (r === undefined || skip?.(k)) continue;
    const child = atom.t === "struct" ? atom.field(k) ?? DEDUCED : atom.elem;
    const v = node(lhs ? lhs[k] : undefined, r, child);
    if (v !== undefined) (out ??= {})[`f:${k}`] = v;
  }
  return out;
}

/** Options of {@linkcode createdFieldsV1}. */
export interface CreatedFieldsOptions {
  /** The kind's atom (a struct). */
  readonly atom: Atom;
  /** Go's zero value of the kind. */
  readonly zero: Record<string, unknown>;
  /** Top-level fields nobody owns through this write (`status`). */
  readonly ignore: ReadonlySet<string>;
}

/**
 * The `fieldsV1` a create of `obj` records, or undefined when it owns nothing. Returns null
 * when the object needs the general path (it cannot tell).
 */
export function createdFieldsV1(
  obj: Record<string, unknown>,
  options: CreatedFieldsOptions,
): Fields | undefined | null {
  const { atom, zero } = options;
  if (atom.t !== "struct") return null;
  const keys = sortedKeys(obj);
  let out: Fields | undefined;
  for (const k of keys) {
    const r = obj[k];
    if (r === undefined || k === "apiVersion" || k === "kind" || options.ignore.has(k)) continue;
    const child = atom.field(k) ?? DEDUCED;
    let v: Fields | undefined;
    if (k === "metadata" && isObject(r)) {
      const meta = resolveAtom(child, r);
      if (meta.t !== "struct") return null;
      const z = isObject(zero.metadata) ? zero.metadata : null;
      v = children(z, r, meta, (m) => STRIPPED_METADATA.has(m));
    } else {
      v = node(zero[k], r, child);
    }
    if (v !== undefined) (out ??= {})[`f:${k}`] = v;
  }
  return out;
}
