/**
 * Field ownership across writes, as structured-merge-diff's updater keeps it: each manager
 * owns a field set; a non-apply write ({@linkcode Updater.update}) makes its manager the owner
 * of what it added or changed and takes those fields from everyone else; an apply
 * ({@linkcode Updater.apply}) merges the configuration into the live object, removes what the
 * manager applied before and no longer applies (unless someone else owns it), makes the
 * configuration's field set the manager's, and fails with {@linkcode Conflicts} when it would
 * change a field another manager owns — unless forced, which takes the field from them.
 *
 * @example Two appliers and a conflict
 * ```ts
 * import assert from "node:assert/strict";
 * import { atomOf } from "./schema_atoms.ts";
 * import { Conflicts, type ManagedFieldSets, Updater } from "./updater.ts";
 * import { ConfigMap } from "../types/core_v1_config.ts";
 *
 * const updater = new Updater({ atom: atomOf(ConfigMap) });
 * const managers: ManagedFieldSets = new Map();
 * const first = updater.apply(null, { data: { a: "1" } }, { version: "v1", managers, manager: "one" });
 * assert.throws(
 *   () => updater.apply(first.object, { data: { a: "2" } }, { version: "v1", managers, manager: "two" }),
 *   Conflicts,
 * );
 * ```
 *
 * @module
 */
import type { Atom } from "./schema_atoms.ts";
import { compareValues, type Comparison } from "./compare.ts";
import { FieldSet } from "./field_set.ts";
import type { ElementPath } from "./path_element.ts";
import { ensureNamedFieldsAreMembers, removeItems } from "./remove_items.ts";
import { toFieldSet } from "./to_field_set.ts";
import { mergeValues } from "./merge.ts";
import { jsonEqual } from "../util/json_value.ts";

/** What one manager owns, at the API version it wrote in, and whether by apply. */
export interface VersionedSet {
  readonly set: FieldSet;
  readonly apiVersion: string;
  readonly applied: boolean;
}

/** Every manager's fields, by manager identifier. */
export type ManagedFieldSets = Map<string, VersionedSet>;

/** One conflicting field: who owns it. */
export interface Conflict {
  readonly manager: string;
  readonly path: ElementPath;
}

/** An apply would change fields other managers own. */
export class Conflicts extends Error {
  readonly conflicts: readonly Conflict[];

  constructor(conflicts: readonly Conflict[]) {
    super(`Cannot apply: ${conflicts.length} conflicts`);
    this.name = "Conflicts";
    this.conflicts = conflicts;
  }
}

/** `set` without the paths of `exclude` and everything below them. */
export function recursiveDifference(set: FieldSet, exclude: FieldSet): FieldSet {
  if (exclude.empty) return set;
  const out = new FieldSet();
  for (const [key, pe, member, children] of set.entries()) {
    if (exclude.hasMember(key)) continue;
    if (member) out.insertMember(pe, key);
    if (children) {
      const below = exclude.withPrefix(key);
      const rest = below.empty ? children : recursiveDifference(children, below);
      if (!rest.empty) out.child(pe, key).addAll(rest);
    }
  }
  return out;
}

/** Options of {@linkcode Updater}. */
export interface UpdaterOptions {
  /** The type of the objects. */
  readonly atom: Atom;
  /** Fields no manager may own (the status of a main-resource write, …). */
  readonly ignore?: FieldSet;
}

/** Options of {@linkcode Updater.update} and {@linkcode Updater.apply}. */
export interface UpdateOptions {
  /** The API version of the write. */
  readonly version: string;
  /** Every manager's fields; changed in place. */
  readonly managers: ManagedFieldSets;
  /** The manager writing. */
  readonly manager: string;
}

/** Options of {@linkcode Updater.apply}. */
export interface ApplyOptions extends UpdateOptions {
  /** Take conflicting fields instead of failing. */
  readonly force?: boolean;
}

/** Tracks field ownership for one type of object (see the module doc). */
export class Updater {
  readonly #atom: Atom;
  readonly #ignore: FieldSet;

  constructor(options: UpdaterOptions) {
    this.#atom = options.atom;
    this.#ignore = options.ignore ?? new FieldSet();
  }

  #filter(set: FieldSet): FieldSet {
    return recursiveDifference(set, this.#ignore);
  }

  /** What changed from `live` to `next`, without the ignored fields. */
  compare(live: unknown, next: unknown): Comparison {
    const c = compareValues({ before: live, after: next }, this.#atom);
    if (this.#ignore.empty) return c;
    return {
      added: this.#filter(c.added),
      modified: this.#filter(c.modified),
      removed: this.#filter(c.removed),
    };
  }

  /** What every other manager loses through a write that made the changes `compare`. */
  #update(compare: Comparison, o: UpdateOptions & { readonly force: boolean }): void {
    const changed = compare.modified.union(compare.added);
    const conflicts = new Map<string, FieldSet>();
    for (const [manager, vs] of o.managers) {
      if (manager === o.manager) continue;
      const c = vs.set.intersection(changed);
      if (!c.empty) conflicts.set(manager, c);
    }
    if (!o.force && conflicts.size > 0) {
      const list: Conflict[] = [];
      for (const manager of [...conflicts.keys()].sort()) {
        for (const path of conflicts.get(manager)!.paths()) list.push({ manager, path });
      }
      throw new Conflicts(list);
    }
    for (const [manager, vs] of o.managers) {
      if (manager === o.manager) continue;
      let set = vs.set;
      const c = conflicts.get(manager);
      if (c) set = set.difference(c);
      if (!compare.removed.empty) set = set.difference(compare.removed);
      if (set.empty) o.managers.delete(manager);
      else if (set !== vs.set) o.managers.set(manager, { ...vs, set });
    }
  }

  /**
   * A non-apply write from `live` (null for a create) to `next`: the manager owns what it
   * added or changed, on top of what it owned; others lose those fields and what was removed.
   */
  update(live: unknown, next: unknown, o: UpdateOptions): void {
    this.updateCompared(this.compare(live ?? {}, next), o);
  }

  /** {@linkcode Updater.update} for a write whose changes are already compared. */
  updateCompared(compare: Comparison, o: UpdateOptions): void {
    this.#update(compare, { ...o, force: true });
    const previous = o.managers.get(o.manager)?.set ?? new FieldSet();
    const set = this.#filter(
      previous.difference(compare.removed).union(compare.modified).union(compare.added),
    );
    if (set.empty) o.managers.delete(o.manager);
    else o.managers.set(o.manager, { set, apiVersion: o.version, applied: false });
  }

  /**
   * An apply of `config` to `live` (null when the object does not exist yet): the merged and
   * pruned object, or null when it equals `live`. Throws {@linkcode Conflicts}.
   */
  apply(live: unknown, config: unknown, o: ApplyOptions): { object: unknown } {
    const base = live ?? {};
    let merged = mergeValues({ live: base, config }, this.#atom);
    const last = o.managers.get(o.manager);
    const { set } = toFieldSet(config, { atom: this.#atom, validate: false });
    o.managers.set(o.manager, { set: this.#filter(set), apiVersion: o.version, applied: true });
    merged = this.#prune(merged, o.managers, last);
    this.#update(this.compare(base, merged), { ...o, force: o.force ?? false });
    return { object: jsonEqual(base, merged) ? null : merged };
  }

  #fieldSetOf(value: unknown): FieldSet {
    const { set } = toFieldSet(value, { atom: this.#atom, validate: false, allowDuplicates: true });
    return ensureNamedFieldsAreMembers(set, this.#atom);
  }

  /** Removes what the manager applied last time, does not apply now, and nobody else owns. */
  #prune(merged: unknown, managers: ManagedFieldSets, last: VersionedSet | undefined): unknown {
    if (last === undefined || last.set.empty) return merged;
    const atom = this.#atom;
    const lastSet = ensureNamedFieldsAreMembers(last.set, atom);
    let pruned = removeItems(merged, { set: lastSet, atom });
    // Add back what any manager (the applier's new configuration included) owns.
    const owned = new FieldSet();
    for (const vs of managers.values()) owned.addAll(vs.set);
    const mergedSet = this.#fieldSetOf(merged);
    let prunedSet = this.#fieldSetOf(pruned);
    pruned = removeItems(merged, {
      set: mergedSet.difference(prunedSet.union(ensureNamedFieldsAreMembers(owned, atom))),
      atom,
    });
    // Remove only what the manager owned: add back fields nobody owned.
    prunedSet = this.#fieldSetOf(pruned);
    return removeItems(merged, {
      set: mergedSet.difference(prunedSet).intersection(lastSet),
      atom,
    });
  }
}
