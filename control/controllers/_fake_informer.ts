/**
 * A stand-in informer for controller unit tests (upstream tests seed the informer's indexer
 * and call the handlers themselves): a real {@linkcode ObjectStore}, synced at once, whose
 * changes the test makes — {@linkcode FakeInformer.add}, `update`, `delete` change the store and
 * call the handlers as a watch would, {@linkcode FakeInformer.seed} changes only the store (a
 * cache that lags its handlers, or the other way round).
 *
 * @module
 */
import type { KubeObject } from "../api/types/meta_v1.ts";
import type { HandlerRegistration, InformerHandler } from "../client/informer.ts";
import { deepFreeze, type IndexFn, metaNamespaceKey, ObjectStore } from "../client/store.ts";

/** An informer whose events the test sends. */
export class FakeInformer<T extends KubeObject> {
  readonly store: ObjectStore<T> = new ObjectStore<T>();
  readonly #handlers = new Set<InformerHandler<T>>();

  waitForSync(): Promise<boolean> {
    return Promise.resolve(true);
  }

  addIndexers(indexers: Readonly<Record<string, IndexFn<T>>>): void {
    this.store.addIndexers(indexers);
  }

  addHandler(handler: InformerHandler<T>): HandlerRegistration {
    this.#handlers.add(handler);
    return { remove: () => void this.#handlers.delete(handler) };
  }

  /** The number of handlers registered. */
  get handlers(): number {
    return this.#handlers.size;
  }

  /** Puts objects in the store without telling the handlers. */
  seed(...objs: T[]): void {
    for (const obj of objs) this.store.add(obj);
  }

  /** Adds (or replaces) an object and tells the handlers. */
  add(obj: T): void {
    const old = this.store.add(obj);
    for (const h of this.#handlers) {
      if (old === undefined) h.add?.(obj, false);
      else h.update?.(old, obj);
    }
  }

  /** Replaces an object and tells the handlers `update(old, obj)`. */
  update(obj: T): void {
    this.add(obj);
  }

  /** Removes an object and tells the handlers. */
  delete(obj: T): void {
    const old = this.store.delete(metaNamespaceKey(obj)) ?? deepFreeze(obj);
    for (const h of this.#handlers) h.delete?.(old, { finalStateUnknown: false });
  }
}
