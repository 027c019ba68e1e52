/**
 * The informer's cache: objects keyed `namespace/name` (or `name` when cluster-scoped), frozen
 * deeply on insert so that no reader can change what other readers see (callers
 * `structuredClone` before editing, as client-go's "never mutate cached objects"), with
 * indexes from an index name to a function giving each object's index values. Reads are
 * cheap: `get` and `byIndex` are map lookups, `list` is cached between changes.
 *
 * Built in: the `namespace` index. Exported index functions for the indexes controllers and
 * the scheduler use: {@linkcode indexByOwnerUid}, {@linkcode indexByNodeName},
 * {@linkcode indexByLabel}.
 *
 * @example Look pods up by node
 * ```ts
 * import assert from "node:assert/strict";
 * import { indexByNodeName, ObjectStore } from "./store.ts";
 *
 * const store = new ObjectStore({ indexers: { nodeName: indexByNodeName } });
 * store.add({ metadata: { namespace: "default", name: "web-0" }, spec: { nodeName: "edge-1" } });
 * assert.deepEqual(store.byIndex("nodeName", "edge-1").map((p) => p.metadata?.name), ["web-0"]);
 * assert.ok(Object.isFrozen(store.get("default/web-0")?.spec));
 * ```
 *
 * @module
 */
import type { KubeObject } from "../api/types/meta_v1.ts";

/** An index function: the values under which `obj` is found in an index. */
export type IndexFn<T extends KubeObject = KubeObject> = (obj: T) => readonly string[];

/** The built-in index of objects by namespace. */
export const NAMESPACE_INDEX = "namespace";

/** `namespace/name`, or `name` for cluster-scoped objects (client-go's MetaNamespaceKeyFunc). */
export function metaNamespaceKey(obj: KubeObject): string {
  const name = obj.metadata?.name ?? "";
  const namespace = obj.metadata?.namespace;
  return namespace ? `${namespace}/${name}` : name;
}

/** The namespace (`""` when cluster-scoped) and name of a {@linkcode metaNamespaceKey}. */
export function splitMetaNamespaceKey(key: string): { namespace: string; name: string } {
  const at = key.indexOf("/");
  if (at < 0) return { namespace: "", name: key };
  if (key.indexOf("/", at + 1) >= 0) {
    throw new TypeError(`Cannot split key "${key}": expected "namespace/name" or "name"`);
  }
  return { namespace: key.slice(0, at), name: key.slice(at + 1) };
}

/** The object's namespace (`""` when cluster-scoped). */
export function indexByNamespace(obj: KubeObject): readonly string[] {
  return [obj.metadata?.namespace ?? ""];
}

/** The uids of the object's owners (`metadata.ownerReferences[].uid`). */
export function indexByOwnerUid(obj: KubeObject): readonly string[] {
  return (obj.metadata?.ownerReferences ?? []).map((ref) => ref.uid ?? "").filter((uid) => uid);
}

/** A pod's `spec.nodeName`; nothing for an unscheduled pod. */
export function indexByNodeName(obj: KubeObject): readonly string[] {
  const nodeName = (obj.spec as { nodeName?: unknown } | undefined)?.nodeName;
  return typeof nodeName === "string" && nodeName !== "" ? [nodeName] : [];
}

/** Every label as `key=value`: `byIndex("label", "app=web")`. */
export function indexByLabel(obj: KubeObject): readonly string[] {
  return Object.entries(obj.metadata?.labels ?? {}).map(([k, v]) => `${k}=${v}`);
}

/**
 * Freezes `value` and everything it holds; returns it. Every watched object passes through
 * here, so it walks arrays by index and objects by `for…in` (own keys only): no array of values
 * is allocated per nested object, which took half the time.
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value !== "object" || value === null || Object.isFrozen(value)) return value;
  Object.freeze(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const child: unknown = value[i];
      if (typeof child === "object" && child !== null) deepFreeze(child);
    }
    return value;
  }
  const record = value as Record<string, unknown>;
  for (const key in record) {
    if (!Object.hasOwn(record, key)) continue;
    const child = record[key];
    if (typeof child === "object" && child !== null) deepFreeze(child);
  }
  return value;
}

/** Options of {@linkcode ObjectStore}. */
export interface ObjectStoreOptions<T extends KubeObject> {
  /** Indexes besides `namespace`, by name. */
  readonly indexers?: Readonly<Record<string, IndexFn<T>>>;
}

/** What {@linkcode ObjectStore.replace} changed. */
export interface StoreReplaceResult<T extends KubeObject> {
  readonly added: readonly T[];
  /** Objects whose `resourceVersion` changed: `[old, new]`. */
  readonly updated: readonly (readonly [T, T])[];
  readonly deleted: readonly T[];
}

/** A keyed, indexed cache of frozen objects. */
export class ObjectStore<T extends KubeObject> {
  readonly #items = new Map<string, T>();
  readonly #indexers = new Map<string, IndexFn<T>>();
  /** index name → value → keys */
  readonly #indexes = new Map<string, Map<string, Set<string>>>();
  #list: readonly T[] | null = null;

  constructor(options: ObjectStoreOptions<T> = {}) {
    this.addIndexers({ [NAMESPACE_INDEX]: indexByNamespace, ...options.indexers });
  }

  /** The number of objects. */
  get size(): number {
    return this.#items.size;
  }

  /** Adds indexes (built over the objects already stored); a name may be added only once. */
  addIndexers(indexers: Readonly<Record<string, IndexFn<T>>>): void {
    for (const [name, fn] of Object.entries(indexers)) {
      if (this.#indexers.has(name)) {
        throw new TypeError(`Cannot add index "${name}": an index of that name exists`);
      }
      this.#indexers.set(name, fn);
      const index = new Map<string, Set<string>>();
      this.#indexes.set(name, index);
      for (const [key, obj] of this.#items) this.#indexOne(index, { key, values: fn(obj) });
    }
  }

  /** The names of the store's indexes. */
  indexNames(): string[] {
    return [...this.#indexers.keys()];
  }

  /** The object stored under `key` (`namespace/name` or `name`). */
  get(key: string): T | undefined {
    return this.#items.get(key);
  }

  /** Every object, in no particular order (the same frozen array until the next change). */
  list(): readonly T[] {
    this.#list ??= Object.freeze([...this.#items.values()]);
    return this.#list;
  }

  /** Every key. */
  keys(): string[] {
    return [...this.#items.keys()];
  }

  /** The objects the index `indexName` files under `value`. */
  byIndex(indexName: string, value: string): T[] {
    const keys = this.#index(indexName).get(value);
    if (!keys) return [];
    const out: T[] = [];
    for (const key of keys) {
      const obj = this.#items.get(key);
      if (obj !== undefined) out.push(obj);
    }
    return out;
  }

  /** The keys the index `indexName` files under `value`. */
  indexKeys(indexName: string, value: string): string[] {
    return [...(this.#index(indexName).get(value) ?? [])];
  }

  /** The values present in the index `indexName`. */
  indexValues(indexName: string): string[] {
    return [...this.#index(indexName).keys()];
  }

  /** Stores `obj` (frozen in place) under its key; returns the object it replaced. */
  add(obj: T): T | undefined {
    const key = metaNamespaceKey(obj);
    const old = this.#items.get(key);
    deepFreeze(obj);
    if (old !== undefined) this.#unindex(key, old);
    this.#items.set(key, obj);
    this.#reindex(key, obj);
    this.#list = null;
    return old;
  }

  /** The same as {@linkcode ObjectStore.add}. */
  update(obj: T): T | undefined {
    return this.add(obj);
  }

  /** Removes the object with `obj`'s key (or the key itself); returns what was stored. */
  delete(objOrKey: T | string): T | undefined {
    const key = typeof objOrKey === "string" ? objOrKey : metaNamespaceKey(objOrKey);
    const old = this.#items.get(key);
    if (old === undefined) return undefined;
    this.#unindex(key, old);
    this.#items.delete(key);
    this.#list = null;
    return old;
  }

  /**
   * Makes `objs` the whole content (a relist), and reports what changed: objects new, objects
   * whose `resourceVersion` differs, objects gone. Unchanged objects keep their old instance.
   */
  replace(objs: readonly T[]): StoreReplaceResult<T> {
    const added: T[] = [];
    const updated: (readonly [T, T])[] = [];
    const seen = new Set<string>();
    for (const obj of objs) {
      const key = metaNamespaceKey(obj);
      seen.add(key);
      const old = this.#items.get(key);
      if (old === undefined) {
        this.add(obj);
        added.push(obj);
      } else if (
        old.metadata?.resourceVersion !== obj.metadata?.resourceVersion ||
        obj.metadata?.resourceVersion === undefined
      ) {
        this.add(obj);
        updated.push([old, obj]);
      }
    }
    const deleted: T[] = [];
    for (const [key, obj] of [...this.#items]) {
      if (seen.has(key)) continue;
      this.delete(key);
      deleted.push(obj);
    }
    return { added, updated, deleted };
  }

  #index(name: string): Map<string, Set<string>> {
    const index = this.#indexes.get(name);
    if (!index) throw new RangeError(`Cannot use index "${name}": no index of that name`);
    return index;
  }

  #indexOne(index: Map<string, Set<string>>, entry: { key: string; values: readonly string[] }) {
    for (const value of entry.values) {
      let keys = index.get(value);
      if (!keys) index.set(value, keys = new Set());
      keys.add(entry.key);
    }
  }

  #reindex(key: string, obj: T): void {
    for (const [name, fn] of this.#indexers) {
      this.#indexOne(this.#indexes.get(name)!, { key, values: fn(obj) });
    }
  }

  #unindex(key: string, obj: T): void {
    for (const [name, fn] of this.#indexers) {
      const index = this.#indexes.get(name)!;
      for (const value of fn(obj)) {
        const keys = index.get(value);
        if (!keys) continue;
        keys.delete(key);
        if (keys.size === 0) index.delete(value);
      }
    }
  }
}
