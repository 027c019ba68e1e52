/**
 * The list/watch loop of both informers (client-go's Reflector), told apart only by where
 * objects come from (a {@linkcode ListerWatcher}) and what is kept of them (a
 * {@linkcode ReflectorStore}: the {@linkcode Informer}'s object cache, the
 * {@linkcode MetadataInformer}'s uid → resourceVersion map).
 *
 * It lists (in pages, following `continue`; an expired token lists again in one page), then
 * watches from the list's resourceVersion with bookmarks. A watch that ends is started again
 * from the last resourceVersion seen (event or bookmark); a 410 Gone (answered, or as an ERROR
 * event) lists again at once; other failures wait (exponential backoff, jittered, on the
 * injected clock) and retry the step that failed. A watch ending at once without events counts
 * as a failure. Nothing runs on a timer while the watch is healthy.
 *
 * @module
 */
import type { ListMeta } from "../api/types/meta_v1.ts";
import type { Clock } from "../util/clock.ts";
import type { Logger } from "../util/logger.ts";
import { Backoff } from "./backoff.ts";
import { isGone } from "./errors.ts";

/** What the list/watch loop of an informer takes. */
export interface ReflectorOptions {
  readonly clock: Clock;
  readonly logger: Logger;
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

/** What the reflector reads of an object: its resourceVersion. */
export interface Versioned {
  readonly metadata?: { readonly resourceVersion?: string | undefined } | undefined;
}

/** One page of a list. */
export interface ListPage<T> {
  readonly items: readonly T[];
  readonly metadata: ListMeta;
}

/** One watch event (ERROR events are thrown by the watch instead). */
export interface ReflectorEvent<T> {
  readonly type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK";
  readonly object: T;
}

/** How the reflector reaches the server. */
export interface ListerWatcher<T> {
  list(request: {
    readonly limit?: number;
    readonly continue?: string;
    readonly signal: AbortSignal;
  }): Promise<ListPage<T>>;
  watch(request: {
    readonly resourceVersion: string;
    readonly allowWatchBookmarks: true;
    readonly timeoutSeconds: number;
    readonly signal: AbortSignal;
  }): AsyncIterable<ReflectorEvent<T>>;
}

/** Gathers the pages of one list, then applies the whole. */
export interface ListSink<T> {
  add(items: readonly T[]): void;
  /** The list is complete; `initial`: it is the reflector's first. */
  commit(initial: boolean): void;
}

/** What the reflector feeds: complete lists and watch events (bookmarks included). */
export interface ReflectorStore<T> {
  /** A list starts (again, after an expired continue token: the earlier pages are dropped). */
  startList(): ListSink<T>;
  event(event: ReflectorEvent<T>): void;
}

/** What a {@linkcode Reflector} works with. */
export interface ReflectorParts<T> {
  readonly source: ListerWatcher<T>;
  readonly store: ReflectorStore<T>;
}

/** Options of {@linkcode Reflector} besides the loop's. */
export interface ReflectorRunOptions extends ReflectorOptions {
  /** The level of "Starting informer" and "Shutting down informer". @default {"info"} */
  readonly lifecycleLogLevel?: "info" | "debug";
}

/** A watch that ends without events sooner than this counts as a failure (backs off). */
const SHORT_WATCH_MS = 1000;

/** Keeps a {@linkcode ReflectorStore} current with the server by list + watch. */
export class Reflector<T extends Versioned> {
  readonly #source: ListerWatcher<T>;
  readonly #store: ReflectorStore<T>;
  readonly #options: ReflectorRunOptions;
  readonly #logger: Logger;
  readonly #backoff: Backoff;
  #synced = false;
  #running = false;
  #stopped = false;
  #waiters: ((synced: boolean) => void)[] = [];
  #lastResourceVersion = "";

  constructor(parts: ReflectorParts<T>, options: ReflectorRunOptions) {
    this.#source = parts.source;
    this.#store = parts.store;
    this.#options = options;
    this.#logger = options.logger;
    this.#backoff = new Backoff({
      initialMs: options.initialBackoffMs ?? 800,
      maxMs: options.maxBackoffMs ?? 30_000,
      ...(options.random ? { random: options.random } : {}),
    });
  }

  /** Whether {@linkcode Reflector.run} was called. */
  get started(): boolean {
    return this.#running || this.#stopped;
  }

  /** Whether it is running now. */
  get running(): boolean {
    return this.#running;
  }

  /** True once the first list was committed. */
  hasSynced(): boolean {
    return this.#synced;
  }

  /** The resourceVersion the store is current at (`""` before the first list). */
  lastSyncResourceVersion(): string {
    return this.#lastResourceVersion;
  }

  /** Resolves `true` once synced, `false` if `signal` aborts or the reflector stops first. */
  waitForSync(signal?: AbortSignal): Promise<boolean> {
    if (this.#synced) return Promise.resolve(true);
    if (this.#stopped || signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const waiter = (synced: boolean) => {
        signal?.removeEventListener("abort", onAbort);
        resolve(synced);
      };
      const onAbort = () => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        resolve(false);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  /** Lists and watches until `signal` aborts; resolves once stopped. Runs at most once. */
  async run(signal: AbortSignal): Promise<void> {
    if (this.started) throw new TypeError("Cannot run an informer twice");
    this.#running = true;
    const level = this.#options.lifecycleLogLevel ?? "info";
    this.#logger[level]("Starting informer");
    try {
      await this.#loop(signal);
    } finally {
      this.#running = false;
      this.#stopped = true;
      for (const w of this.#waiters.splice(0)) w(false);
      this.#logger[level]("Shutting down informer");
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
    const limit = this.#options.pageSize ?? 500;
    let sink = this.#store.startList();
    let items = 0;
    let resourceVersion = "";
    let cont: string | undefined;
    for (;;) {
      let page;
      try {
        page = await this.#source.list({
          limit,
          ...(cont !== undefined ? { continue: cont } : {}),
          signal,
        });
      } catch (err) {
        if (cont === undefined || !isGone(err)) throw err;
        this.#logger.info("List continue token expired; listing in one page");
        page = await this.#source.list({ signal });
        sink = this.#store.startList();
        sink.add(page.items);
        items = page.items.length;
        resourceVersion = page.metadata.resourceVersion ?? "";
        break;
      }
      sink.add(page.items);
      items += page.items.length;
      resourceVersion = page.metadata.resourceVersion ?? resourceVersion;
      cont = page.metadata.continue || undefined;
      if (cont === undefined) break;
    }
    if (signal.aborted) return;
    const initial = !this.#synced;
    this.#lastResourceVersion = resourceVersion;
    sink.commit(initial);
    this.#logger.debug("Listed", { resourceVersion, items });
    if (initial) {
      this.#synced = true;
      for (const w of this.#waiters.splice(0)) w(true);
    }
  }

  async #watch(signal: AbortSignal): Promise<{ events: number; durationMs: number }> {
    const clock = this.#options.clock;
    const minTimeout = this.#options.minWatchTimeoutSeconds ?? 300;
    const random = this.#options.random ?? Math.random;
    const startedMs = clock.now();
    let events = 0;
    const stream = this.#source.watch({
      resourceVersion: this.#lastResourceVersion,
      allowWatchBookmarks: true,
      timeoutSeconds: Math.floor(minTimeout * (1 + random())),
      signal,
    });
    for await (const event of stream) {
      events++;
      this.#backoff.reset();
      const rv = event.object.metadata?.resourceVersion;
      this.#store.event(event);
      if (rv) this.#lastResourceVersion = rv;
    }
    return { events, durationMs: clock.now() - startedMs };
  }
}
