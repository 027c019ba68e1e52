/**
 * The ConfigMaps and Secrets the node's pods use, kept current by one watch per object, as the
 * kubelet's watch-based managers do: a node may read only what its pods reference (the Node
 * authorizer allows `get`, and `list`/`watch` with a `metadata.name=` field selector, of those),
 * and a change reaches the pods' volumes without polling. An object stops being watched when no
 * pod references it any more.
 *
 * @module
 */
import type { ResourceClient } from "../../control/client/client.ts";
import { Informer } from "../../control/client/informer.ts";
import { isNotFound } from "../../control/client/errors.ts";
import type { KubeObject } from "../../control/api/types/meta_v1.ts";
import type { Clock } from "../../control/util/clock.ts";
import type { Logger } from "../../control/util/logger.ts";

/** Options of {@linkcode ReferencedObjects}. */
export interface ReferencedObjectsOptions<T extends KubeObject> {
  readonly client: ResourceClient<T>;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Called when a watched object is added, changes or goes away. */
  readonly onChange: (namespace: string, name: string) => void;
  /** How long {@linkcode ReferencedObjects.get} waits for a new watch's first list. @default {10000} */
  readonly syncTimeoutMs?: number;
}

interface Watched<T extends KubeObject> {
  readonly informer: Informer<T>;
  readonly stop: AbortController;
  readonly running: Promise<void>;
}

function keyOf(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/** Watches the objects of one resource that pods reference (see the module doc). */
export class ReferencedObjects<T extends KubeObject> {
  readonly #options: ReferencedObjectsOptions<T>;
  /** Object key → the pods referencing it. */
  readonly #users = new Map<string, Set<string>>();
  /** Pod UID → the object keys it references. */
  readonly #byPod = new Map<string, Set<string>>();
  readonly #watched = new Map<string, Watched<T>>();
  #closed = false;

  constructor(options: ReferencedObjectsOptions<T>) {
    this.#options = options;
  }

  /** The number of objects watched. */
  get size(): number {
    return this.#watched.size;
  }

  /** Sets the objects pod `podUid` (in `namespace`) references; an empty list forgets it. */
  setReferences(podUid: string, namespace: string, names: Iterable<string>): void {
    if (this.#closed) return;
    const next = new Set([...names].map((name) => keyOf(namespace, name)));
    const previous = this.#byPod.get(podUid) ?? new Set<string>();
    for (const key of next) {
      if (previous.has(key)) continue;
      let users = this.#users.get(key);
      if (!users) this.#users.set(key, users = new Set());
      users.add(podUid);
      if (!this.#watched.has(key)) this.#watch(key);
    }
    for (const key of previous) {
      if (next.has(key)) continue;
      const users = this.#users.get(key);
      users?.delete(podUid);
      if (users && users.size === 0) {
        this.#users.delete(key);
        this.#unwatch(key);
      }
    }
    if (next.size === 0) this.#byPod.delete(podUid);
    else this.#byPod.set(podUid, next);
  }

  /** The UIDs of the pods referencing `namespace/name`. */
  usersOf(namespace: string, name: string): string[] {
    return [...(this.#users.get(keyOf(namespace, name)) ?? [])];
  }

  /**
   * The object, or undefined when it does not exist. Resolves from the watch's cache once its
   * first list is in; an object no pod references is read once from the API.
   */
  async get(namespace: string, name: string): Promise<T | undefined> {
    const watched = this.#watched.get(keyOf(namespace, name));
    if (watched) {
      const timeout = AbortSignal.timeout(this.#options.syncTimeoutMs ?? 10_000);
      if (await watched.informer.waitForSync(timeout)) {
        return watched.informer.store.get(keyOf(namespace, name));
      }
    }
    try {
      return await this.#options.client.get(name, { namespace });
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** Stops every watch. */
  async close(): Promise<void> {
    this.#closed = true;
    const running = [...this.#watched.values()];
    this.#watched.clear();
    for (const w of running) w.stop.abort();
    await Promise.all(running.map((w) => w.running));
  }

  #watch(key: string): void {
    const slash = key.indexOf("/");
    const namespace = key.slice(0, slash);
    const name = key.slice(slash + 1);
    const informer = new Informer(this.#options.client, {
      namespace,
      fieldSelector: `metadata.name=${name}`,
      clock: this.#options.clock,
      logger: this.#options.logger,
    });
    const changed = () => this.#options.onChange(namespace, name);
    informer.addHandler({
      add: (_obj, initialList) => {
        if (!initialList) changed();
      },
      update: (oldObj, newObj) => {
        if (oldObj !== newObj) changed();
      },
      delete: changed,
    });
    const stop = new AbortController();
    const running = informer.run(stop.signal).catch((err) =>
      this.#options.logger.warn("Watch of a referenced object stopped", { key, error: err })
    );
    this.#watched.set(key, { informer, stop, running });
  }

  #unwatch(key: string): void {
    const watched = this.#watched.get(key);
    if (!watched) return;
    this.#watched.delete(key);
    watched.stop.abort();
  }
}
