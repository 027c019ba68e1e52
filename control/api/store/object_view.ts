/**
 * A live, in-memory view of one resource's stored objects — listed once, then kept current
 * by a storage watch — for the API server's own lookups that must not read storage per
 * request: RBAC roles and bindings, the Node authorizer's pod graph, admission's
 * ServiceAccounts, LimitRanges and quotas. Objects are decoded once and frozen; optional
 * indexes map a computed key (a namespace, a node name) to the objects under it. If the
 * watch fails (compaction, storage restart) the view re-lists. An object that cannot be
 * decrypted (altered at rest, or under a key the config lacks) or decoded is left out and
 * logged: one such object must not stop the view, which the authenticators read.
 *
 * @example Follow the ConfigMaps of a store
 * ```ts
 * import assert from "node:assert/strict";
 * import { MemoryStorage } from "../../storage/memory.ts";
 * import { BufferWriter, JsonLogger } from "../../util/mod.ts";
 * import { ObjectView } from "./object_view.ts";
 *
 * const storage = new MemoryStorage();
 * const view = new ObjectView({
 *   storage, prefix: "/registry/configmaps/", logger: new JsonLogger({ writer: new BufferWriter() }),
 * });
 * const ac = new AbortController();
 * await view.start(ac.signal);
 * assert.equal(view.size, 0);
 * ac.abort();
 * ```
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { DecryptionError, UndecryptableListError } from "../../storage/encrypting_storage.ts";
import type { KeyValue, ListResult, Storage } from "../../storage/types.ts";
import type { Logger } from "../../util/logger.ts";
import type { KubeObject } from "../types/meta_v1.ts";
import { decodeStored } from "./object_codec.ts";

/** Computes the index keys of an object (none, one or several). */
export type IndexFunc = (obj: KubeObject) => readonly string[];

/** Options of {@linkcode ObjectView}. */
export interface ObjectViewOptions {
  readonly storage: Storage;
  /** The storage prefix (`/registry/roles/`). */
  readonly prefix: string;
  readonly logger: Logger;
  /** Named indexes. */
  readonly indexes?: Readonly<Record<string, IndexFunc>>;
  /** Converts a stored object (another version's view), if needed. */
  readonly convert?: (obj: KubeObject) => KubeObject;
  /**
   * What the view keeps of each (converted) object, given a fresh decode it may change in place
   * (see `view_projections.ts`). @default {the whole object}
   */
  readonly project?: (obj: KubeObject) => KubeObject;
}

/** An object a write is storing, for {@linkcode ObjectView.offer}. */
export interface OfferedWrite {
  /** The full storage key. */
  readonly key: string;
  /** The bytes written: `encodeForStorage(object)`. */
  readonly value: Uint8Array;
  /** The object written (its `resourceVersion` is the write's revision, set by the view). */
  readonly object: KubeObject;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a === b) return true;
  if (a.byteLength !== b.byteLength) return false;
  // A native comparison: a loop over a pod's 3 KiB costs more than the Buffer views.
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength)
    .equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** `obj` with the resourceVersion of `revision`, as {@linkcode decodeStored} reads it. */
function withRevision(obj: KubeObject, revision: number): KubeObject {
  return { ...obj, metadata: { ...obj.metadata, resourceVersion: String(revision) } };
}

/** What changed, for listeners. */
export interface ViewChange {
  readonly type: "added" | "updated" | "deleted";
  readonly key: string;
  readonly object: KubeObject;
  readonly old?: KubeObject;
}

/** Offers held at most (each is taken, or dropped, when its key's next event comes). */
const MAX_OFFERED = 64;

function freeze<T>(o: T): T {
  if (o && typeof o === "object" && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o as Record<string, unknown>)) freeze(v);
  }
  return o;
}

/** A live view of one storage prefix. */
export class ObjectView {
  readonly #o: ObjectViewOptions;
  readonly #objects = new Map<string, KubeObject>();
  readonly #indexes = new Map<string, Map<string, Set<string>>>();
  readonly #indexFuncs = new Map<string, IndexFunc>();
  readonly #listeners = new Set<(c: ViewChange) => void>();
  #started: Promise<void> | null = null;
  #revision = 0;
  /** Objects their writer just stored, by key, for the view to take instead of a decode. */
  readonly #offered = new Map<string, OfferedWrite>();

  constructor(options: ObjectViewOptions) {
    this.#o = options;
    for (const [name, fn] of Object.entries(options.indexes ?? {})) this.addIndex(name, fn);
  }

  /**
   * Adds the index `name` (also after the view started: the objects it holds are indexed at
   * once). Adding a name again with the same function does nothing; with another, throws.
   */
  addIndex(name: string, fn: IndexFunc): void {
    const existing = this.#indexFuncs.get(name);
    if (existing === fn) return;
    if (existing) {
      throw new Error(`Cannot add index "${name}" to the view of "${this.#o.prefix}": it exists`);
    }
    this.#indexFuncs.set(name, fn);
    const idx = new Map<string, Set<string>>();
    this.#indexes.set(name, idx);
    for (const [key, obj] of this.#objects) this.#indexOne(idx, fn, key, obj);
  }

  /** Lists and starts following storage; resolves once the first list is in (idempotent). */
  start(signal: AbortSignal): Promise<void> {
    this.#started ??= this.#run(signal);
    return this.#started;
  }

  async #run(signal: AbortSignal): Promise<void> {
    await this.#relist();
    (async () => {
      while (!signal.aborted) {
        try {
          for await (const ev of this.#o.storage.watch(this.#o.prefix, this.#revision, signal)) {
            this.#revision = ev.kv.modRevision;
            if (ev.type === "deleted") this.#remove(ev.kv.key);
            else this.#put(ev.kv);
          }
        } catch (err) {
          if (signal.aborted) return;
          if (err instanceof DecryptionError && err.revision !== undefined) {
            // One event that cannot be decrypted: apply it as well as it reads and go on after
            // it (listing again would fail on it, and watching from before it would meet it
            // again).
            await this.#applyUndecryptable(err, err.revision);
            continue;
          }
          this.#o.logger.warn("Object view lost its watch, listing again", {
            prefix: this.#o.prefix,
            error: err,
          });
          try {
            await this.#relist();
          } catch {
            await new Promise((r) => setTimeout(r, 1000));
          }
        }
      }
    })();
  }

  /**
   * After the watch event at `revision` failed to decrypt: the object as of that revision when
   * it reads (only the event's previous value failed), else the object is left out (fails
   * closed). The watch resumes after `revision`.
   */
  async #applyUndecryptable(err: DecryptionError, revision: number): Promise<void> {
    let kv: KeyValue | null | undefined;
    let failure: unknown = err;
    try {
      kv = await this.#o.storage.get(err.key, { revision });
    } catch (e) {
      // It does not decrypt either (or the revision is compacted): left out.
      failure = e;
    }
    if (kv === undefined) {
      this.#o.logger.warn("Object view left out an object that cannot be decrypted", {
        prefix: this.#o.prefix,
        key: err.key,
        error: failure instanceof Error ? failure.message : String(failure),
      });
      this.#remove(err.key);
    } else if (kv === null) this.#remove(err.key);
    else this.#put(kv);
    this.#revision = Math.max(this.#revision, revision);
  }

  /** Lists the prefix; objects that cannot be decrypted are left out (and logged). */
  async #relist(): Promise<void> {
    let page: ListResult;
    try {
      page = await this.#o.storage.list(this.#o.prefix);
    } catch (err) {
      if (!(err instanceof UndecryptableListError)) throw err;
      this.#o.logger.warn("Object view left out objects that cannot be decrypted", {
        prefix: this.#o.prefix,
        keys: err.failures.map((f) => f.key),
        error: err.failures[0]?.message,
      });
      page = err.page;
    }
    const seen = new Set<string>();
    for (const kv of page.items) {
      seen.add(kv.key);
      this.#put(kv);
    }
    for (const key of [...this.#objects.keys()]) if (!seen.has(key)) this.#remove(key);
    this.#revision = page.revision;
    this.#offered.clear();
  }

  #decode(kv: KeyValue): KubeObject {
    return this.#take(decodeStored(kv.value, kv.modRevision));
  }

  /** What the view keeps of `obj`, a decoded stored object. */
  #take(obj: KubeObject): KubeObject {
    const converted = this.#o.convert ? this.#o.convert(obj) : obj;
    return freeze(this.#o.project ? this.#o.project(converted) : converted);
  }

  /**
   * Offers the object a write is about to store under `key` as `value` (its
   * `encodeForStorage` bytes), so that the view, when the write's event comes with those very
   * bytes, projects the object instead of parsing the bytes again: the API server's own
   * creates, one JSON parse of each written object fewer. The writer must only read `obj`
   * after (the view may freeze parts of it). Does nothing for a view without a projection,
   * which would keep the writer's object itself where a projection builds its own.
   */
  offer(written: OfferedWrite): void {
    if (
      this.#started === null || this.#o.project === undefined ||
      !written.key.startsWith(this.#o.prefix)
    ) return;
    // Offers whose event never comes (a failed write) are dropped, not kept forever.
    if (this.#offered.size >= MAX_OFFERED) this.#offered.clear();
    this.#offered.set(written.key, written);
  }

  #put(kv: KeyValue): void {
    let obj: KubeObject;
    const offered = this.#offered.get(kv.key);
    if (offered !== undefined) this.#offered.delete(kv.key);
    try {
      obj = offered !== undefined && sameBytes(offered.value, kv.value)
        ? this.#take(withRevision(offered.object, kv.modRevision))
        : this.#decode(kv);
    } catch (err) {
      // As the watch cache does: an object that does not decode is left out, not fatal.
      this.#o.logger.error("Object view left out an object that cannot be decoded", {
        prefix: this.#o.prefix,
        key: kv.key,
        error: err,
      });
      this.#remove(kv.key);
      return;
    }
    const old = this.#objects.get(kv.key);
    if (old) this.#unindex(kv.key, old);
    this.#objects.set(kv.key, obj);
    this.#index(kv.key, obj);
    this.#emit({
      type: old ? "updated" : "added",
      key: kv.key,
      object: obj,
      ...(old ? { old } : {}),
    });
  }

  #remove(key: string): void {
    this.#offered.delete(key);
    const old = this.#objects.get(key);
    if (!old) return;
    this.#unindex(key, old);
    this.#objects.delete(key);
    this.#emit({ type: "deleted", key, object: old });
  }

  #indexOne(
    idx: Map<string, Set<string>>,
    fn: IndexFunc,
    key: string,
    obj: KubeObject,
  ): void {
    for (const v of fn(obj)) {
      let set = idx.get(v);
      if (!set) idx.set(v, set = new Set());
      set.add(key);
    }
  }

  #index(key: string, obj: KubeObject): void {
    for (const [name, fn] of this.#indexFuncs) {
      this.#indexOne(this.#indexes.get(name)!, fn, key, obj);
    }
  }

  #unindex(key: string, obj: KubeObject): void {
    for (const [name, fn] of this.#indexFuncs) {
      const idx = this.#indexes.get(name)!;
      for (const v of fn(obj)) {
        const set = idx.get(v);
        set?.delete(key);
        if (set?.size === 0) idx.delete(v);
      }
    }
  }

  #emit(c: ViewChange): void {
    for (const l of this.#listeners) {
      try {
        l(c);
      } catch (err) {
        this.#o.logger.error("Object view listener failed", { prefix: this.#o.prefix, error: err });
      }
    }
  }

  /** The object stored under `key` (full storage key), if any. */
  get(key: string): KubeObject | undefined {
    return this.#objects.get(key);
  }

  /** The object `name` in `namespace` ("" for cluster-scoped). */
  getByName(namespace: string, name: string): KubeObject | undefined {
    return this.#objects.get(
      namespace ? `${this.#o.prefix}${namespace}/${name}` : `${this.#o.prefix}${name}`,
    );
  }

  /**
   * The object `name` in `namespace` as storage has it now, read past the view (which may not
   * have seen a write that was just acknowledged): for the rare reads that must be consistent,
   * as upstream's registry reads, where a view that lags would answer wrongly.
   */
  async readByName(namespace: string, name: string): Promise<KubeObject | undefined> {
    const key = namespace ? `${this.#o.prefix}${namespace}/${name}` : `${this.#o.prefix}${name}`;
    const kv = await this.#o.storage.get(key);
    return kv ? this.#decode(kv) : undefined;
  }

  /** Every object. */
  list(): IterableIterator<KubeObject> {
    return this.#objects.values();
  }

  /** The objects whose index `name` has the value `value`. */
  byIndex(name: string, value: string): KubeObject[] {
    const keys = this.#indexes.get(name)?.get(value);
    if (!keys) return [];
    const out: KubeObject[] = [];
    for (const k of keys) {
      const o = this.#objects.get(k);
      if (o) out.push(o);
    }
    return out;
  }

  /** How many objects the view holds. */
  get size(): number {
    return this.#objects.size;
  }

  /** The revision the view is current to. */
  get revision(): number {
    return this.#revision;
  }

  /** Calls `fn` on every change until the returned function is called. */
  onChange(fn: (c: ViewChange) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }
}
