/**
 * The watch cache: one storage watch per resource, fanned out to every client watching it, as
 * kube-apiserver's cacher does — a thousand `kubectl get -w` or informers cost one storage
 * watch and one decode per change, not a thousand.
 *
 * The cache keeps a window of recent events (bounded by count and bytes). A client watching
 * from a resourceVersion inside the window gets the events after it from memory, then live
 * ones. A listener from an older revision is caught up from storage (exact replay) up to the
 * window, then follows the cache; history compacted away answers 410 (subscriptions, the
 * older interface, just return null). Each event is decoded once: its JSON text (with the
 * resourceVersion spliced in) is what every JSON watcher sends, and its attributes (namespace,
 * name, labels, selectable fields) are what selectors filter on.
 *
 * A watcher that falls too far behind is ended (its client re-watches), so one slow client
 * cannot make the server hold unbounded memory.
 *
 * @module
 */
import { CompactedError } from "../../storage/errors.ts";
import type { Storage, WatchEvent } from "../../storage/types.ts";
import type { Logger } from "../../util/logger.ts";
import type { KubeObject } from "../types/meta_v1.ts";
import { decodeStored, storedToJson } from "./object_codec.ts";

/** What selectors see of an object. */
export interface ObjectAttrs {
  readonly namespace: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Selectable field values (`metadata.name`, `spec.nodeName`, …). */
  readonly fields: Readonly<Record<string, string | undefined>>;
}

/** Computes {@linkcode ObjectAttrs} of a decoded object. */
export type AttrsOf = (obj: KubeObject) => ObjectAttrs;

/** A watch event type on the wire. */
export type WatchType = "ADDED" | "MODIFIED" | "DELETED";

/** One change, decoded once and shared by every watcher. */
export interface CachedEvent {
  readonly type: WatchType;
  readonly revision: number;
  /** The object's JSON text, `metadata.resourceVersion` set to {@linkcode CachedEvent.revision}. */
  readonly json: string;
  readonly attrs: ObjectAttrs;
  /** The attributes before the change (MODIFIED), for selector transitions. */
  prevAttrs(): ObjectAttrs | undefined;
  /**
   * The JSON text of the object before the change (MODIFIED) with `metadata.resourceVersion`
   * set to {@linkcode CachedEvent.revision}: what a watcher whose selector the object leaves
   * gets as DELETED, as kube-apiserver's cacher sends.
   */
  prevJson(): string | undefined;
  /** A fresh parse of {@linkcode CachedEvent.json}. */
  object(): KubeObject;
}

/** Options of {@linkcode WatchCache}. */
export interface WatchCacheOptions {
  readonly storage: Storage;
  /** The storage prefix of the resource (`/registry/pods/`). */
  readonly prefix: string;
  readonly attrs: AttrsOf;
  readonly logger: Logger;
  /**
   * Events kept for watchers resuming from a recent resourceVersion.
   *
   * @default {1000}
   */
  readonly windowEvents?: number;
  /** @default {16 MiB} */
  readonly windowBytes?: number;
  /**
   * Events a watcher may lag behind before it is ended.
   *
   * @default {10000}
   */
  readonly maxLag?: number;
}

/** A live subscription. */
export interface CacheSubscription extends AsyncIterable<CachedEvent> {
  /** Why the subscription ended, when the cache ended it (overflow, restart). */
  readonly endReason: string | undefined;
  /**
   * The revision up to which every event has been yielded: the last one yielded while others
   * still wait in the queue, the cache's revision once the queue is empty.
   */
  readonly revision: number;
}

/** A listener's hold on the cache, returned by {@linkcode WatchCache.listen}. */
export interface CacheListening {
  /** Ends the listening (idempotent). */
  stop(): void;
  /**
   * The revision up to which every event has been handed to the listener — what a bookmark of
   * this watch may carry, as Kubernetes promises a bookmark's resourceVersion means "every
   * event up to here was sent to you". While the listener is caught up from storage it is the
   * last stored event replayed to it (or the revision it started from), never the cache's
   * revision, whose events it is still holding; afterwards it is the cache's revision (every
   * event the cache dispatched went to the listener at once). Read on demand: it costs
   * nothing per event.
   */
  readonly revision: number;
}

/** Receives events synchronously as the cache dispatches them (see {@linkcode WatchCache.listen}). */
export interface CacheListener {
  /** One event; runs inside the cache's dispatch loop, so it must not block. */
  event(e: CachedEvent): void;
  /** The cache ended the subscription (restart, shutdown). */
  end(reason: string): void;
  /**
   * The history after the listener's revision is compacted away (a watch answers 410); the
   * subscription has ended. Without it, {@linkcode CacheListener.end} is called.
   */
  expired?(err: CompactedError): void;
}

class Subscriber {
  queue: CachedEvent[] = [];
  wake: (() => void) | null = null;
  ended: string | undefined;
  closed = false;
  readonly listener: CacheListener | null;
  /**
   * A listener catching up from storage gets the live events here until it has caught up
   * (null once it has, or when it never had to).
   */
  held: CachedEvent[] | null = null;
  /** Ends the storage watch of a catch-up when the subscription ends. */
  readonly catchUp = new AbortController();
  /**
   * Every event up to this revision has been handed on: while catching up, the last stored
   * event replayed; for a subscription, the last event yielded.
   */
  delivered: number;

  constructor(from: number, listener: CacheListener | null = null) {
    this.delivered = from;
    this.listener = listener;
  }

  push(e: CachedEvent, maxLag: number): void {
    if (this.closed) return;
    if (this.held) {
      if (this.held.length >= maxLag) {
        this.end("watcher fell too far behind");
        return;
      }
      this.held.push(e);
      return;
    }
    if (this.listener) {
      this.listener.event(e);
      return;
    }
    if (this.queue.length >= maxLag) {
      this.end("watcher fell too far behind");
      return;
    }
    this.queue.push(e);
    this.notify();
  }

  end(reason: string): void {
    if (this.closed) return;
    this.ended = reason;
    this.closed = true;
    this.catchUp.abort();
    this.listener?.end(reason);
    this.notify();
  }

  notify(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }
}

function makeEvent(
  type: WatchType,
  ev: WatchEvent,
  attrs: AttrsOf,
): CachedEvent {
  const revision = ev.kv.modRevision;
  const source = ev.kv.value;
  const json = storedToJson(source, revision);
  const a = attrs(decodeStored(source, revision));
  let prev: ObjectAttrs | undefined | null = null;
  const prevKv = ev.prevKv;
  return {
    type,
    revision,
    json,
    attrs: a,
    prevJson() {
      return prevKv && type === "MODIFIED" ? storedToJson(prevKv.value, revision) : undefined;
    },
    prevAttrs() {
      if (prev === null) {
        prev = prevKv && type === "MODIFIED"
          ? attrs(decodeStored(prevKv.value, prevKv.modRevision))
          : undefined;
      }
      return prev;
    },
    object() {
      // Parsed on demand (Table watchers): the window holds only text.
      return JSON.parse(json) as KubeObject;
    },
  };
}

/** One resource's watch cache. Start it with {@linkcode WatchCache.start}. */
export class WatchCache {
  readonly #o: Required<Omit<WatchCacheOptions, "logger">> & { logger: Logger };
  readonly #subscribers = new Set<Subscriber>();
  /** Recent events, oldest first. */
  #window: CachedEvent[] = [];
  #windowBytes = 0;
  /** The window holds every event after this revision. */
  #windowStart = 0;
  /** The latest revision this cache has seen (its progress). */
  #revision = 0;
  #started: Promise<void> | null = null;
  #stop = new AbortController();

  constructor(options: WatchCacheOptions) {
    this.#o = {
      windowEvents: 1000,
      windowBytes: 16 * 1024 * 1024,
      maxLag: 10_000,
      ...options,
    };
  }

  /**
   * The latest revision the cache has seen. Not what a bookmark may carry: a watcher can lag it
   * ({@linkcode CacheListening.revision} is a watcher's own progress).
   */
  get revision(): number {
    return this.#revision;
  }

  /** Starts following storage (idempotent). Resolves once the storage watch is set up. */
  start(signal: AbortSignal): Promise<void> {
    if (this.#started) return this.#started;
    signal.addEventListener("abort", () => this.#stop.abort(), { once: true });
    this.#started = (async () => {
      const from = await this.#o.storage.currentRevision();
      this.#windowStart = from;
      this.#revision = from;
      this.#run(from);
    })();
    return this.#started;
  }

  #run(from: number): void {
    const stop = this.#stop.signal;
    (async () => {
      let last = from;
      while (!stop.aborted) {
        try {
          for await (const ev of this.#o.storage.watch(this.#o.prefix, last, stop)) {
            last = ev.kv.modRevision;
            this.#dispatch(ev);
          }
        } catch (err) {
          if (stop.aborted) break;
          // History we needed is gone, or storage failed: start over from now. Watchers end
          // and re-watch; those whose revision is gone get 410 and re-list.
          this.#o.logger.warn("Restarting watch cache", {
            prefix: this.#o.prefix,
            revision: last,
            error: err,
          });
          for (const s of this.#subscribers) s.end("watch cache restarted");
          this.#subscribers.clear();
          this.#window = [];
          this.#windowBytes = 0;
          try {
            last = await this.#o.storage.currentRevision();
          } catch {
            await new Promise((r) => setTimeout(r, 1000));
            continue;
          }
          this.#windowStart = last;
          this.#revision = last;
        }
      }
      for (const s of this.#subscribers) s.end("server is shutting down");
    })();
  }

  /** The cache event of a storage event, or null (logged) when its value cannot be decoded. */
  #decode(ev: WatchEvent): CachedEvent | null {
    const type: WatchType = ev.type === "created"
      ? "ADDED"
      : ev.type === "updated"
      ? "MODIFIED"
      : "DELETED";
    try {
      return makeEvent(type, ev, this.#o.attrs);
    } catch (err) {
      this.#o.logger.error("Cannot decode stored object", { key: ev.kv.key, error: err });
      return null;
    }
  }

  #dispatch(ev: WatchEvent): void {
    const event = this.#decode(ev);
    if (event === null) return;
    this.#revision = event.revision;
    this.#window.push(event);
    this.#windowBytes += event.json.length;
    while (
      this.#window.length > this.#o.windowEvents || this.#windowBytes > this.#o.windowBytes
    ) {
      const old = this.#window.shift()!;
      this.#windowBytes -= old.json.length;
      this.#windowStart = old.revision;
    }
    for (const s of this.#subscribers) s.push(event, this.#o.maxLag);
  }

  /**
   * Subscribes to every event after `fromRevision`, or returns null when that revision is
   * older than the window (the caller then watches storage directly).
   */
  subscribe(fromRevision: number, signal: AbortSignal): CacheSubscription | null {
    if (fromRevision < this.#windowStart) return null;
    const sub = new Subscriber(fromRevision);
    for (const e of this.#window) if (e.revision > fromRevision) sub.queue.push(e);
    this.#subscribers.add(sub);
    const onAbort = () => sub.end("client went away");
    signal.addEventListener("abort", onAbort, { once: true });
    const subscribers = this.#subscribers;
    const cacheRevision = () => this.#revision;
    return {
      get endReason() {
        return sub.ended;
      },
      get revision() {
        return sub.queue.length > 0 ? sub.delivered : Math.max(sub.delivered, cacheRevision());
      },
      async *[Symbol.asyncIterator]() {
        try {
          for (;;) {
            while (sub.queue.length > 0) {
              const e = sub.queue.shift()!;
              sub.delivered = e.revision;
              yield e;
            }
            if (sub.closed) return;
            await new Promise<void>((r) => sub.wake = r);
          }
        } finally {
          sub.closed = true;
          subscribers.delete(sub);
          signal.removeEventListener("abort", onAbort);
        }
      },
    };
  }

  /**
   * Calls `listener` with every event after `fromRevision` — those in the window at once,
   * then each new one synchronously from the dispatch loop — until `signal` aborts or the
   * returned stop is called.
   *
   * A revision older than the window is caught up from storage first: the events up to the
   * window's start come from a storage watch of this listener's own (decoded for it), while the
   * live ones are held; once the storage watch reaches the window, it ends and the listener
   * follows the cache like any other. History compacted away ends the listener with
   * {@linkcode CacheListener.expired}. (A watcher resuming from a revision a little older than
   * a young cache — an informer's list raced a write elsewhere — thus costs one shared
   * storage watch after its catch-up, not one of its own for its whole life.)
   *
   * The returned {@linkcode CacheListening.revision} is the listener's own progress, what its
   * bookmarks carry.
   */
  listen(
    fromRevision: number,
    options: { readonly listener: CacheListener; readonly signal: AbortSignal },
  ): CacheListening {
    const { listener, signal } = options;
    const sub = new Subscriber(fromRevision, listener);
    const stop = () => {
      sub.closed = true;
      sub.catchUp.abort();
      this.#subscribers.delete(sub);
      signal.removeEventListener("abort", stop);
    };
    const cacheRevision = () => this.#revision;
    const listening: CacheListening = {
      stop,
      get revision() {
        // Held events (a catch-up) are not sent yet; otherwise every dispatched one was.
        return sub.held ? sub.delivered : Math.max(sub.delivered, cacheRevision());
      },
    };
    signal.addEventListener("abort", stop, { once: true });
    if (signal.aborted) {
      stop();
      return listening;
    }
    if (fromRevision < this.#windowStart) {
      // Every event after the window's start is in the window or still to come: hold them.
      const windowStart = this.#windowStart;
      sub.held = [...this.#window];
      this.#subscribers.add(sub);
      this.#catchUp(sub, { fromRevision, windowStart, stop });
      return listening;
    }
    for (const e of this.#window) {
      if (e.revision > fromRevision && !sub.closed) listener.event(e);
    }
    if (!sub.closed) this.#subscribers.add(sub);
    return listening;
  }

  /** Sends `sub` the stored events in (`fromRevision`, `windowStart`], then what it held. */
  #catchUp(
    sub: Subscriber,
    o: { readonly fromRevision: number; readonly windowStart: number; readonly stop: () => void },
  ): void {
    const listener = sub.listener!;
    const signal = sub.catchUp.signal;
    (async () => {
      try {
        for await (const ev of this.#o.storage.watch(this.#o.prefix, o.fromRevision, signal)) {
          if (sub.closed || ev.kv.modRevision > o.windowStart) break;
          const event = this.#decode(ev);
          if (event) listener.event(event);
          // Handed on (or undecodable, logged and skipped as the cache skips it).
          sub.delivered = ev.kv.modRevision;
        }
      } catch (err) {
        if (sub.closed) return;
        o.stop();
        if (err instanceof CompactedError) {
          if (listener.expired) listener.expired(err);
          else listener.end("history compacted");
          return;
        }
        this.#o.logger.warn("Cannot catch a watcher up from storage", {
          prefix: this.#o.prefix,
          revision: o.fromRevision,
          error: err,
        });
        listener.end("storage failed");
        return;
      } finally {
        sub.catchUp.abort();
      }
      const held = sub.held ?? [];
      sub.held = null;
      for (const e of held) {
        if (sub.closed) return;
        listener.event(e);
      }
    })();
  }

  /** How many clients are subscribed. */
  get subscriberCount(): number {
    return this.#subscribers.size;
  }

  /** Stops following storage and ends every subscription. */
  stop(): void {
    this.#stop.abort();
    for (const s of this.#subscribers) s.end("watch cache stopped");
  }
}
