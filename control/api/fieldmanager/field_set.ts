/**
 * A set of field paths, the one representation server-side apply uses for what a manager owns,
 * what an applied configuration sets and what a write changed: a tree of path elements whose
 * nodes are either members (the path itself is in the set) or only lead to members below.
 *
 * It encodes to and decodes from `managedFields[].fieldsV1` exactly as upstream does: each key
 * a serialized path element, `{}` for a member without children, and `".": {}` for a member
 * that also has children; keys in path-element order.
 *
 * @example Build a set and encode it as fieldsV1
 * ```ts
 * import assert from "node:assert/strict";
 * import { FieldSet } from "./field_set.ts";
 * import { fieldElement as f, keyElement } from "./path_element.ts";
 *
 * const set = new FieldSet();
 * set.insert([f("spec"), f("replicas")]);
 * set.insert([f("spec"), f("containers"), keyElement([["name", "web"]])]);
 * set.insert([f("spec"), f("containers"), keyElement([["name", "web"]]), f("image")]);
 * assert.deepEqual(set.toFieldsV1(), {
 *   "f:spec": {
 *     "f:containers": { 'k:{"name":"web"}': { ".": {}, "f:image": {} } },
 *     "f:replicas": {},
 *   },
 * });
 * ```
 *
 * @module
 */
import {
  comparePathElements,
  type ElementPath,
  parsePathElement,
  type PathElement,
  serializePathElement,
} from "./path_element.ts";

interface Node {
  readonly pe: PathElement;
  member: boolean;
  children: FieldSet | null;
}

/** Thrown when `fieldsV1` is not a field set. */
export class FieldsV1Error extends SyntaxError {
  constructor(message: string) {
    super(message);
    this.name = "FieldsV1Error";
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A set of field paths. */
export class FieldSet {
  /** The nodes at this level, by serialized path element. */
  readonly #nodes = new Map<string, Node>();

  /** A set holding `paths`. */
  static of(...paths: ElementPath[]): FieldSet {
    const s = new FieldSet();
    for (const p of paths) s.insert(p);
    return s;
  }

  /** Whether the set holds no path. */
  get empty(): boolean {
    return this.#nodes.size === 0;
  }

  #node(pe: PathElement, key = serializePathElement(pe)): Node {
    let n = this.#nodes.get(key);
    if (n === undefined) {
      n = { pe, member: false, children: null };
      this.#nodes.set(key, n);
    }
    return n;
  }

  /** Adds `path` (a non-empty path). */
  insert(path: ElementPath): void {
    if (path.length === 0) return;
    // deno-lint-ignore no-this-alias
    let set: FieldSet = this;
    for (let i = 0; i < path.length - 1; i++) {
      const n = set.#node(path[i]!);
      set = n.children ??= new FieldSet();
    }
    set.#node(path[path.length - 1]!).member = true;
  }

  /** Adds the path to `pe` under this set as a member; returns nothing. */
  insertMember(pe: PathElement, key?: string): void {
    this.#node(pe, key).member = true;
  }

  /**
   * The set below `pe`, created if missing: for walks that build a set level by level.
   * Remove empty children afterwards with {@linkcode FieldSet.prune}.
   */
  child(pe: PathElement, key?: string): FieldSet {
    const n = this.#node(pe, key);
    return n.children ??= new FieldSet();
  }

  /** Drops nodes that are neither members nor lead to one (after {@linkcode FieldSet.child}). */
  prune(): void {
    for (const [k, n] of this.#nodes) {
      if (n.children) {
        n.children.prune();
        if (n.children.empty) n.children = null;
      }
      if (!n.member && n.children === null) this.#nodes.delete(k);
    }
  }

  /** Whether `path` is a member. */
  has(path: ElementPath): boolean {
    if (path.length === 0) return false;
    // deno-lint-ignore no-this-alias
    let set: FieldSet | null = this;
    for (let i = 0; i < path.length - 1; i++) {
      set = set.#nodes.get(serializePathElement(path[i]!))?.children ?? null;
      if (set === null) return false;
    }
    return set.#nodes.get(serializePathElement(path[path.length - 1]!))?.member ?? false;
  }

  /** Whether the element `pe` of this level is a member. */
  hasMember(key: string): boolean {
    return this.#nodes.get(key)?.member ?? false;
  }

  /** The set below the element `pe` (empty when there is none); shared, not copied. */
  withPrefix(key: string): FieldSet {
    return this.#nodes.get(key)?.children ?? EMPTY;
  }

  /** The nodes of this level: serialized key, element, membership, children. */
  *entries(): Iterable<[string, PathElement, boolean, FieldSet | null]> {
    for (const [k, n] of this.#nodes) yield [k, n.pe, n.member, n.children];
  }

  /** A deep copy. */
  clone(): FieldSet {
    const out = new FieldSet();
    for (const [k, n] of this.#nodes) {
      out.#nodes.set(k, { pe: n.pe, member: n.member, children: n.children?.clone() ?? null });
    }
    return out;
  }

  /** The paths in either set. */
  union(other: FieldSet): FieldSet {
    const out = this.clone();
    out.addAll(other);
    return out;
  }

  /** Adds every path of `other` to this set. */
  addAll(other: FieldSet): void {
    for (const [k, n] of other.#nodes) {
      const mine = this.#node(n.pe, k);
      if (n.member) mine.member = true;
      if (n.children) {
        if (mine.children) mine.children.addAll(n.children);
        else mine.children = n.children.clone();
      }
    }
  }

  /** The paths in both sets. */
  intersection(other: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const [k, n] of this.#nodes) {
      const o = other.#nodes.get(k);
      if (o === undefined) continue;
      const member = n.member && o.member;
      const children = n.children && o.children ? n.children.intersection(o.children) : null;
      if (member || (children && !children.empty)) {
        out.#nodes.set(k, {
          pe: n.pe,
          member,
          children: children && !children.empty ? children : null,
        });
      }
    }
    return out;
  }

  /** The paths of this set that are not in `other`. */
  difference(other: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const [k, n] of this.#nodes) {
      const o = other.#nodes.get(k);
      if (o === undefined) {
        out.#nodes.set(k, { pe: n.pe, member: n.member, children: n.children?.clone() ?? null });
        continue;
      }
      const member = n.member && !o.member;
      const children = n.children
        ? (o.children ? n.children.difference(o.children) : n.children.clone())
        : null;
      if (member || (children && !children.empty)) {
        out.#nodes.set(k, {
          pe: n.pe,
          member,
          children: children && !children.empty ? children : null,
        });
      }
    }
    return out;
  }

  /** Whether both sets hold the same paths. */
  equals(other: FieldSet): boolean {
    if (this.#nodes.size !== other.#nodes.size) return false;
    for (const [k, n] of this.#nodes) {
      const o = other.#nodes.get(k);
      if (o === undefined || o.member !== n.member) return false;
      if ((n.children === null) !== (o.children === null)) return false;
      if (n.children && !n.children.equals(o.children!)) return false;
    }
    return true;
  }

  #sorted(): Node[] {
    return [...this.#nodes.values()].sort((a, b) => comparePathElements(a.pe, b.pe));
  }

  /**
   * Every member path, in upstream's iteration order: the members of a level (sorted), then
   * the paths below each element (sorted).
   */
  paths(): ElementPath[] {
    const out: ElementPath[] = [];
    this.#collect([], out);
    return out;
  }

  #collect(prefix: PathElement[], out: ElementPath[]): void {
    const sorted = this.#sorted();
    for (const n of sorted) if (n.member) out.push([...prefix, n.pe]);
    for (const n of sorted) {
      if (n.children) n.children.#collect([...prefix, n.pe], out);
    }
  }

  /** The number of member paths. */
  get size(): number {
    let count = 0;
    for (const n of this.#nodes.values()) {
      if (n.member) count++;
      if (n.children) count += n.children.size;
    }
    return count;
  }

  /** The set as `fieldsV1` (keys in upstream's order). */
  toFieldsV1(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const n of this.#sorted()) {
      const key = serializePathElement(n.pe);
      if (n.children === null) {
        out[key] = {};
        continue;
      }
      const inner = n.children.toFieldsV1();
      out[key] = n.member ? { ".": {}, ...inner } : inner;
    }
    return out;
  }

  /** Decodes `fieldsV1`; throws {@linkcode FieldsV1Error} when it is not a field set. */
  static fromFieldsV1(fields: unknown): FieldSet {
    if (!isObject(fields)) throw new FieldsV1Error("Cannot decode fieldsV1: not an object");
    const set = new FieldSet();
    set.#read(fields);
    return set;
  }

  /** Reads the children of one fieldsV1 object; returns whether it marks itself (`.`). */
  #read(fields: Record<string, unknown>): boolean {
    let self = false;
    for (const [key, value] of Object.entries(fields)) {
      if (key === ".") {
        self = true;
        continue;
      }
      if (!isObject(value)) {
        throw new FieldsV1Error(
          `Cannot decode fieldsV1: the value of ${JSON.stringify(key)} is not an object`,
        );
      }
      let pe: PathElement;
      try {
        pe = parsePathElement(key);
      } catch (err) {
        throw new FieldsV1Error(`Cannot decode fieldsV1: ${(err as Error).message}`);
      }
      const canonical = serializePathElement(pe);
      const node = this.#node(pe, canonical);
      const children = new FieldSet();
      const marked = children.#read(value);
      if (children.empty || marked) node.member = true;
      if (!children.empty) {
        if (node.children) node.children.addAll(children);
        else node.children = children;
      }
    }
    return self;
  }
}

const EMPTY = new FieldSet();
