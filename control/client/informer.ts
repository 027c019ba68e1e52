/**
 * An informer: a reflector that keeps an {@linkcode ObjectStore} equal to the server's
 * objects of one resource (optionally one namespace and selectors), and tells handlers what
 * changed — client-go's Reflector + SharedIndexInformer in one.
 *
 * The reflector lists (in pages of 500, following `continue`), then watches from the list's
 * resourceVersion with bookmarks. A watch that ends is started again from the last
 * resourceVersion seen (event or bookmark); a 410 Gone (answered, or as an ERROR event) lists
 * again at once; other failures wait (exponential backoff 0.8 s → 30 s, jittered, on the
 * injected clock) and retry the step that failed. A relist replaces the store and hands the
 * handlers only what changed: adds, updates, and deletes of objects that vanished meanwhile
 * (`finalStateUnknown`). Handlers get frozen objects, and should only enqueue keys. Nothing
 * runs on a timer unless a resync period is set.
 *
 * @example Keep a pod cache and react to changes
 * ```ts ignore
 * const pods = new Informer(client.resource(PODS), { clock, logger });
 * pods.addHandler({ add: (p) => queue.add(metaNamespaceKey(p)) });
 * const done = pods.run(signal);
 * if (await pods.waitForSync(signal)) startWorkers();
 * ```
 *
 * @module
 */
import type { KubeObject } from "../api/types/meta_v1.ts";
import type { TimerHandle } from "../util/clock.ts";
import type { Logger } from "../util/logger.ts";
import { HandlerSet } from "./_handler_set.ts";
import {
  type ListSink,
  Reflector,
  type ReflectorEvent,
  type ReflectorOptions,
} from "./_reflector.ts";
import type { ResourceClient } from "./client.ts";
import { deepFreeze, type IndexFn, metaNamespaceKey, ObjectStore } from "./store.ts";

export type { ReflectorOptions } from "./_reflector.ts";

/** What a delete handler is told besides the object. */
export interface DeleteInfo {
  /**
   * The object vanished while the informer was not watching (found missing on a relist): the
   * object is the last state the informer saw, not the state at deletion.
   */
  readonly finalStateUnknown: boolean;
}

/** Callbacks for changes; each gets frozen objects. */
export interface InformerHandler<T extends KubeObject> {
  /** `initialList`: the object comes from the informer's first list. */
  add?(obj: T, initialList: boolean): void;
  /** Also called with `oldObj === newObj` on a resync. */
  update?(oldObj: T, newObj: T): void;
  delete?(obj: T, info: DeleteInfo): void;
}

/** A handler's registration with an informer. */
export interface HandlerRegistration {
  /** Stops calls to the handler. */
  remove(): void;
}

/** What a list/watch is restricted to. */
export interface InformerScope {
  /** Unset: all namespaces. */
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
}

/** Options of {@linkcode Informer}. */
export interface InformerOptions<T extends KubeObject> extends InformerScope, ReflectorOptions {
  /** Indexes of the store besides `namespace`. */
  readonly indexers?: Readonly<Record<string, IndexFn<T>>>;
  /**
   * Every this many milliseconds, handlers get `update(obj, obj)` for every object.
   * @default {0} (off)
   */
  readonly resyncPeriodMs?: number;
  /**
   * Applied to every object the server sends (listed or watched, deletes too) before it is
   * stored or handed on, as client-go's `SetTransform`: a cache can drop what nothing reads
   * (see `stripManagedFields`). It must not change its input (it may be frozen or
   * shared) and must keep name, namespace and resourceVersion.
   */
  readonly transform?: (obj: T) => T;
}

/** A cache of one resource kept current by list + watch, with change handlers. */
export class Informer<T extends KubeObject> {
  /** The cache; read it, never write to it. */
  readonly store: ObjectStore<T>;
  readonly #client: ResourceClient<T>;
  readonly #options: InformerOptions<T>;
  readonly #handlers: HandlerSet<InformerHandler<T>>;
  readonly #reflector: Reflector<T>;
  #resyncTimer: TimerHandle | null = null;

  constructor(client: ResourceClient<T>, options: InformerOptions<T>) {
    this.#client = client;
    this.#options = options;
    this.store = new ObjectStore<T>(options.indexers ? { indexers: options.indexers } : {});
    const logger: Logger = options.logger.with({
      resource: client.resource.group === ""
        ? client.resource.resource
        : `${client.resource.resource}.${client.resource.group}`,
      ...(options.namespace ? { namespace: options.namespace } : {}),
    });
    this.#handlers = new HandlerSet(logger);
    const { namespace, labelSelector, fieldSelector } = options;
    const scope: InformerScope = {
      ...(namespace ? { namespace } : {}),
      ...(labelSelector ? { labelSelector } : {}),
      ...(fieldSelector ? { fieldSelector } : {}),
    };
    this.#reflector = new Reflector<T>({
      source: {
        list: (request) => client.list({ ...scope, ...request }),
        watch: (request) => client.watch({ ...scope, ...request }),
      },
      store: { startList: () => this.#startList(), event: (e) => this.#onEvent(e) },
    }, { ...options, logger });
  }

  /** The resource client this informer lists and watches through. */
  get client(): ResourceClient<T> {
    return this.#client;
  }

  /** Whether {@linkcode Informer.run} was called. */
  get started(): boolean {
    return this.#reflector.started;
  }

  /** True once the first list is in the store and its objects went to the handlers. */
  hasSynced(): boolean {
    return this.#reflector.hasSynced();
  }

  /** The resourceVersion the store is current at (`""` before the first list). */
  lastSyncResourceVersion(): string {
    return this.#reflector.lastSyncResourceVersion();
  }

  /**
   * Resolves `true` once synced, or `false` if `signal` aborts or the informer stops first.
   */
  waitForSync(signal?: AbortSignal): Promise<boolean> {
    return this.#reflector.waitForSync(signal);
  }

  /** Adds indexes to the store (also after start: they are built over what is stored). */
  addIndexers(indexers: Readonly<Record<string, IndexFn<T>>>): void {
    this.store.addIndexers(indexers);
  }

  /**
   * Calls `handler` for every change from now on; when the informer has objects already, it
   * first gets an `add` for each (as client-go replays the cache to a late handler).
   */
  addHandler(handler: InformerHandler<T>): HandlerRegistration {
    const registration = this.#handlers.add(handler);
    if (this.hasSynced()) {
      for (const obj of this.store.list()) this.#handlers.call(handler, (h) => h.add?.(obj, true));
    }
    return registration;
  }

  /** Lists and watches until `signal` aborts; resolves once stopped. Runs at most once. */
  async run(signal: AbortSignal): Promise<void> {
    if (this.started) throw new TypeError("Cannot run an informer twice");
    try {
      await this.#reflector.run(signal);
    } finally {
      this.#resyncTimer?.cancel();
      this.#resyncTimer = null;
    }
  }

  /** A relist replaces the store; the handlers hear only what changed. */
  #startList(): ListSink<T> {
    const items: T[] = [];
    return {
      add: (page) => {
        const transform = this.#options.transform;
        for (const item of page) items.push(transform ? transform(item) : item);
      },
      commit: (initial) => {
        const changes = this.store.replace(items);
        const handlers = this.#handlers;
        for (const obj of changes.added) handlers.dispatch((h) => h.add?.(obj, initial));
        for (const [old, obj] of changes.updated) handlers.dispatch((h) => h.update?.(old, obj));
        for (const obj of changes.deleted) {
          handlers.dispatch((h) => h.delete?.(obj, { finalStateUnknown: true }));
        }
        if (initial) this.#scheduleResync();
      },
    };
  }

  #onEvent(event: ReflectorEvent<T>): void {
    const transform = this.#options.transform;
    const obj = transform && event.type !== "BOOKMARK" ? transform(event.object) : event.object;
    switch (event.type) {
      case "ADDED":
      case "MODIFIED": {
        const old = this.store.add(obj);
        if (old === undefined) this.#handlers.dispatch((h) => h.add?.(obj, false));
        else this.#handlers.dispatch((h) => h.update?.(old, obj));
        break;
      }
      case "DELETED": {
        // The event's object is the final state (handlers get it even for an object the
        // store did not have, as client-go does).
        this.store.delete(metaNamespaceKey(obj));
        deepFreeze(obj);
        this.#handlers.dispatch((h) => h.delete?.(obj, { finalStateUnknown: false }));
        break;
      }
      case "BOOKMARK":
        break;
    }
  }

  #scheduleResync(): void {
    const periodMs = this.#options.resyncPeriodMs ?? 0;
    if (periodMs <= 0 || !this.#reflector.running) return;
    this.#resyncTimer = this.#options.clock.setTimeout(() => {
      this.#resyncTimer = null;
      if (!this.#reflector.running) return;
      for (const obj of this.store.list()) this.#handlers.dispatch((h) => h.update?.(obj, obj));
      this.#scheduleResync();
    }, periodMs);
  }
}
