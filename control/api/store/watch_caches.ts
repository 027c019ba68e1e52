/**
 * One {@linkcode WatchCache} per storage prefix, created and started on first use and stopped
 * with the server.
 *
 * @module
 */
import type { Storage } from "../../storage/types.ts";
import type { Logger } from "../../util/logger.ts";
import { type AttrsOf, WatchCache } from "./watch_cache.ts";

/** Options of {@linkcode WatchCaches}. */
export interface WatchCachesOptions {
  readonly storage: Storage;
  readonly logger: Logger;
  readonly signal: AbortSignal;
}

/** The server's watch caches. */
export class WatchCaches {
  readonly #o: WatchCachesOptions;
  readonly #caches = new Map<string, { cache: WatchCache; ready: Promise<void> }>();

  constructor(options: WatchCachesOptions) {
    this.#o = options;
  }

  /** The started cache of `prefix`, its objects' attributes computed by `attrs`. */
  async get(prefix: string, attrs: AttrsOf): Promise<WatchCache> {
    let entry = this.#caches.get(prefix);
    if (!entry) {
      const cache = new WatchCache({
        storage: this.#o.storage,
        prefix,
        attrs,
        logger: this.#o.logger.with({ component: "watch-cache", prefix }),
      });
      entry = { cache, ready: cache.start(this.#o.signal) };
      this.#caches.set(prefix, entry);
      entry.ready.catch(() => this.#caches.delete(prefix));
    }
    await entry.ready;
    return entry.cache;
  }

  /** Stops every cache. */
  stop(): void {
    for (const { cache } of this.#caches.values()) cache.stop();
    this.#caches.clear();
  }
}
