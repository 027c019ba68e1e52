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
import type { Clock, TimerHandle } from "../util/clock.ts";
import type { Logger } from "../util/logger.ts";
import { Backoff } from "./backoff.ts";
import type { ResourceClient } from "./client.ts";
import { isGone } from "./errors.ts";
import { deepFreeze, type IndexFn, metaNamespaceKey, ObjectStore } from "./store.ts";

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
export interface InformerOptions<T extends KubeObject> extends InformerScope {
  readonly clock: Clock;
  readonly logger: Logger;
  /** Indexes of the store besides `namespace`. */
  readonly indexers?: Readonly<Record<string, IndexFn<T>>>;
  /**
   * Every this many milliseconds, handlers get `update(obj, obj)` for every object.
   * @default {0} (off)
   */
  readonly resyncPeriodMs?: number;
  /** @default {500} */
  readonly pageSize?: number;
  /**
   * Each watch asks the server to end it after a random time between this and twice this
   * (client-go: 5 to 10 minutes), so connections are renewed now and then.
   * @default {300}
   */
  readonly minWatchTimeoutSeconds?: number;
  /** @default {800} */
  readonly initialBackoffMs?: number;
  /** @default {30000} */
  readonly maxBackoffMs?: number;
  /** A random number in `[0, 1)` (jitter). @default {Math.random} */
  readonly random?: () => number;
}

/** A watch that ends without events sooner than this counts as a failure (backs off). */
const SHORT_WATCH_MS = 1000;

interface Waiter {
  resolve(synced: boolean): void;
}

/** A cache of one resource kept current by list + watch, with change handlers. */
export class Informer<T extends KubeObject> {
  /** The cache; read it, never write to it. */
  readonly store: ObjectStore<T>;
  readonly #client: ResourceClient<T>;
  readonly #options: InformerOptions<T>;
  readonly #logger: Logger;
  readonly #backoff: Backoff;
  readonly #handlers = new Set<InformerHandler<T>>();
  #synced = false;
  #running = false;
  #stopped = false;
  #waiters: Waiter[] = [];
  #lastResourceVersion = "";
  #resyncTimer: TimerHandle | null = null;

  constructor(client: ResourceClient<T>, options: InformerOptions<T>) {
    this.#client = client;
    this.#options = options;
    this.store = new ObjectStore<T>(options.indexers ? { indexers: options.indexers } : {});
    this.#logger = options.logger.with({
      resource: client.resource.group === ""
        ? client.resource.resource
        : `${client.resource.resource}.${client.resource.group}`,
      ...(options.namespace ? { namespace: options.namespace } : {}),
    });
    this.#backoff = new Backoff({
      initialMs: options.initialBackoffMs ?? 800,
      maxMs: options.maxBackoffMs ?? 30_000,
      ...(options.random ? { random: options.random } : {}),
    });
  }

  /** The resource client this informer lists and watches through. */
  get client(): ResourceClient<T> {
    return this.#client;
  }

  /** Whether {@linkcode Informer.run} was called. */
  get started(): boolean {
    return this.#running || this.#stopped;
  }

  /** True once the first list is in the store and its objects went to the handlers. */
  hasSynced(): boolean {
    return this.#synced;
  }

  /** The resourceVersion the store is current at (`""` before the first list). */
  lastSyncResourceVersion(): string {
    return this.#lastResourceVersion;
  }

  /**
   * Resolves `true` once synced, or `false` if `signal` aborts or the informer stops first.
   */
  waitForSync(signal?: AbortSignal): Promise<boolean> {
    if (this.#synced) return Promise.resolve(true);
    if (this.#stopped || signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        resolve: (synced) => {
          signal?.removeEventListener("abort", onAbort);
          resolve(synced);
        },
      };
      const onAbort = () => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        resolve(false);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#waiters.push(waiter);
    });
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
    this.#handlers.add(handler);
    if (this.#synced) {
      for (const obj of this.store.list()) this.#call(handler, (h) => h.add?.(obj, true));
    }
    return { remove: () => void this.#handlers.delete(handler) };
  }

  /** Lists and watches until `signal` aborts; resolves once stopped. Runs at most once. */
  async run(signal: AbortSignal): Promise<void> {
    if (this.started) throw new TypeError("Cannot run an informer twice");
    this.#running = true;
    this.#logger.info("Starting informer");
    try {
      await this.#loop(signal);
    } finally {
      this.#running = false;
      this.#stopped = true;
      this.#resyncTimer?.cancel();
      this.#resyncTimer = null;
      for (const w of this.#waiters.splice(0)) w.resolve(false);
      this.#logger.info("Shutting down informer");
    }
  }

  async #loop(signal: AbortSignal): Promise<void> {
    let needList = true;
    while (!signal.aborted) {
      const step = needList ? "list" : "watch";
      try {
        if (needList) {
          await this.#list(signal);
          needList = false;
          this.#backoff.reset();
          continue;
        }
        const watch = await this.#watch(signal);
        if (signal.aborted) break;
        if (watch.events === 0 && watch.durationMs < SHORT_WATCH_MS) {
          throw new Error("Cannot watch: the server ended the watch at once, without events");
        }
        this.#logger.debug("Watch ended; watching again", {
          resourceVersion: this.#lastResourceVersion,
          events: watch.events,
        });
      } catch (err) {
        if (signal.aborted) break;
        if (isGone(err)) {
          this.#logger.info("Watch resourceVersion expired; listing again", {
            resourceVersion: this.#lastResourceVersion,
            error: err,
          });
          needList = true;
          continue;
        }
        const delayMs = this.#backoff.next();
        this.#logger.warn(step === "list" ? "Failed to list" : "Failed to watch", {
          error: err,
          retryInMs: delayMs,
        });
        try {
          await this.#options.clock.sleep(delayMs, signal);
        } catch {
          break;
        }
      }
    }
  }

  async #list(signal: AbortSignal): Promise<void> {
    const scope = this.#scope();
    const pageSize = this.#options.pageSize ?? 500;
    const items: T[] = [];
    let resourceVersion = "";
    let cont: string | undefined;
    for (;;) {
      let page;
      try {
        page = await this.#client.list({
          ...scope,
          limit: pageSize,
          ...(cont !== undefined ? { continue: cont } : {}),
          signal,
        });
      } catch (err) {
        if (cont === undefined || !isGone(err)) throw err;
        // The continue token expired mid-list: list everything in one go instead.
        this.#logger.info("List continue token expired; listing in one page");
        page = await this.#client.list({ ...scope, signal });
        items.length = 0;
        items.push(...page.items);
        resourceVersion = page.metadata.resourceVersion ?? "";
        break;
      }
      for (const item of page.items) items.push(item);
      resourceVersion = page.metadata.resourceVersion ?? resourceVersion;
      cont = page.metadata.continue || undefined;
      if (cont === undefined) break;
    }
    if (signal.aborted) return;
    const initial = !this.#synced;
    const changes = this.store.replace(items);
    this.#lastResourceVersion = resourceVersion;
    for (const obj of changes.added) this.#dispatch((h) => h.add?.(obj, initial));
    for (const [old, obj] of changes.updated) this.#dispatch((h) => h.update?.(old, obj));
    for (const obj of changes.deleted) {
      this.#dispatch((h) => h.delete?.(obj, { finalStateUnknown: true }));
    }
    this.#logger.debug("Listed", { resourceVersion, items: items.length });
    if (initial) {
      this.#synced = true;
      for (const w of this.#waiters.splice(0)) w.resolve(true);
      this.#scheduleResync();
    }
  }

  async #watch(signal: AbortSignal): Promise<{ events: number; durationMs: number }> {
    const clock = this.#options.clock;
    const minTimeout = this.#options.minWatchTimeoutSeconds ?? 300;
    const random = this.#options.random ?? Math.random;
    const startedMs = clock.now();
    let events = 0;
    const stream = this.#client.watch({
      ...this.#scope(),
      resourceVersion: this.#lastResourceVersion,
      allowWatchBookmarks: true,
      timeoutSeconds: Math.floor(minTimeout * (1 + random())),
      signal,
    });
    for await (const event of stream) {
      events++;
      this.#backoff.reset();
      const obj = event.object;
      const rv = obj.metadata?.resourceVersion;
      switch (event.type) {
        case "ADDED":
        case "MODIFIED": {
          const old = this.store.add(obj);
          if (old === undefined) this.#dispatch((h) => h.add?.(obj, false));
          else this.#dispatch((h) => h.update?.(old, obj));
          break;
        }
        case "DELETED": {
          // The event's object is the final state (handlers get it even for an object the
          // store did not have, as client-go does).
          this.store.delete(metaNamespaceKey(obj));
          deepFreeze(obj);
          this.#dispatch((h) => h.delete?.(obj, { finalStateUnknown: false }));
          break;
        }
        case "BOOKMARK":
          break;
      }
      if (rv) this.#lastResourceVersion = rv;
    }
    return { events, durationMs: clock.now() - startedMs };
  }

  #scope(): InformerScope {
    const { namespace, labelSelector, fieldSelector } = this.#options;
    return {
      ...(namespace ? { namespace } : {}),
      ...(labelSelector ? { labelSelector } : {}),
      ...(fieldSelector ? { fieldSelector } : {}),
    };
  }

  #scheduleResync(): void {
    const periodMs = this.#options.resyncPeriodMs ?? 0;
    if (periodMs <= 0 || !this.#running) return;
    this.#resyncTimer = this.#options.clock.setTimeout(() => {
      this.#resyncTimer = null;
      if (!this.#running) return;
      for (const obj of this.store.list()) this.#dispatch((h) => h.update?.(obj, obj));
      this.#scheduleResync();
    }, periodMs);
  }

  #dispatch(call: (handler: InformerHandler<T>) => void): void {
    for (const handler of this.#handlers) this.#call(handler, call);
  }

  #call(handler: InformerHandler<T>, call: (handler: InformerHandler<T>) => void): void {
    try {
      call(handler);
    } catch (err) {
      this.#logger.error("Informer event handler failed", { error: err });
    }
  }
}
