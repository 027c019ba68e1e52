/**
 * An in-memory stand-in for an `ObjectView` in unit tests: objects are put and deleted
 * synchronously and listeners are told at once.
 *
 * @module
 */
import type { ViewChange } from "../store/object_view.ts";
import type { KubeObject } from "../types/meta_v1.ts";

/** A synchronous fake of the view interface the security code reads. */
export class FakeView {
  readonly #objects = new Map<string, KubeObject>();
  readonly #listeners = new Set<(c: ViewChange) => void>();

  #key(namespace: string, name: string): string {
    return namespace ? `${namespace}/${name}` : name;
  }

  /** Adds or replaces `obj` (a copy), telling listeners. */
  put(obj: KubeObject): void {
    const copy = structuredClone(obj);
    const key = this.#key(copy.metadata?.namespace ?? "", copy.metadata?.name ?? "");
    const old = this.#objects.get(key);
    this.#objects.set(key, copy);
    const change: ViewChange = old
      ? { type: "updated", key, object: copy, old }
      : { type: "added", key, object: copy };
    for (const l of this.#listeners) l(change);
  }

  /** Removes the object, telling listeners. */
  delete(namespace: string, name: string): void {
    const key = this.#key(namespace, name);
    const old = this.#objects.get(key);
    if (!old) return;
    this.#objects.delete(key);
    for (const l of this.#listeners) l({ type: "deleted", key, object: old });
  }

  list(): IterableIterator<KubeObject> {
    return this.#objects.values();
  }

  getByName(namespace: string, name: string): KubeObject | undefined {
    return this.#objects.get(this.#key(namespace, name));
  }

  onChange(fn: (c: ViewChange) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /** How many listeners are subscribed. */
  get listeners(): number {
    return this.#listeners.size;
  }
}
