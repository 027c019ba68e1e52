// Methods are async with no await so that bad input rejects instead of throwing synchronously.
// deno-lint-ignore-file require-await
/**
 * The in-memory reference implementation of {@linkcode Storage}: a per-key history plus a
 * revision log. Unit tests run on it; every other backend must behave the same.
 *
 * @module
 */
import { encodeContinue } from "./continue_token.ts";
import { firstAbove } from "./_first_above.ts";
import { parseListOptions } from "./_list_options.ts";
import {
  CompactedError,
  ConflictError,
  FutureRevisionError,
  KeyExistsError,
  KeyNotFoundError,
  StorageUnavailableError,
} from "./errors.ts";
import { validateKey, validatePrefix, validateRevision, validateValue } from "./keys.ts";
import { Notifier } from "./_notifier.ts";
import type {
  GetOptions,
  KeyValue,
  ListOptions,
  ListResult,
  Storage,
  WatchEvent,
} from "./types.ts";

interface Version {
  readonly revision: number;
  /** `null` records a deletion. */
  readonly kv: KeyValue | null;
}

function copy(kv: KeyValue): KeyValue {
  return { ...kv, value: kv.value.slice() };
}

function copyEvent(event: WatchEvent): WatchEvent {
  return event.prevKv
    ? { type: event.type, kv: copy(event.kv), prevKv: copy(event.prevKv) }
    : { type: event.type, kv: copy(event.kv) };
}

/**
 * Stores everything in memory; `close()` discards it.
 *
 * @example Create and read back a key
 * ```ts
 * import { MemoryStorage } from "./memory.ts";
 * await using storage = new MemoryStorage();
 * const created = await storage.create("/registry/configmaps/default/a", new Uint8Array([1]));
 * const read = await storage.get("/registry/configmaps/default/a");
 * if (read?.modRevision !== created.modRevision) throw new Error("revision mismatch");
 * ```
 */
export class MemoryStorage implements Storage {
  #history = new Map<string, Version[]>();
  #log: { readonly revision: number; readonly event: WatchEvent }[] = [];
  #revision = 0;
  #compacted = 0;
  #notifier = new Notifier();
  #closed = new AbortController();

  #checkOpen(): void {
    if (this.#closed.signal.aborted) {
      throw new StorageUnavailableError("Cannot use storage: it is closed");
    }
  }

  #checkReadRevision(revision: number): void {
    if (revision > this.#revision) throw new FutureRevisionError(revision, this.#revision);
    if (revision < this.#compacted) throw new CompactedError(revision, this.#compacted);
  }

  #at(key: string, revision: number): KeyValue | null {
    const versions = this.#history.get(key);
    if (!versions) return null;
    const i = firstAbove(versions, revision) - 1;
    return i >= 0 ? versions[i]!.kv : null;
  }

  #record(key: string, kv: KeyValue | null, event: WatchEvent): void {
    let versions = this.#history.get(key);
    if (!versions) this.#history.set(key, versions = []);
    versions.push({ revision: this.#revision, kv });
    this.#log.push({ revision: this.#revision, event });
    this.#notifier.notify();
  }

  async get(key: string, options: GetOptions = {}): Promise<KeyValue | null> {
    this.#checkOpen();
    validateKey(key);
    const revision = options.revision ?? 0;
    validateRevision("revision", revision);
    if (revision > 0) this.#checkReadRevision(revision);
    const kv = this.#at(key, revision || this.#revision);
    return kv ? copy(kv) : null;
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ListResult> {
    this.#checkOpen();
    const { limit, startKey, ...position } = parseListOptions(prefix, options);
    let revision = position.revision;
    if (revision > 0) this.#checkReadRevision(revision);
    else revision = this.#revision;
    const keys = [...this.#history.keys()].filter((k) => k.startsWith(prefix) && k >= startKey)
      .sort();
    const items: KeyValue[] = [];
    for (const key of keys) {
      const kv = this.#at(key, revision);
      if (!kv) continue;
      if (limit > 0 && items.length === limit) {
        return {
          items,
          revision,
          continue: encodeContinue(revision, items[items.length - 1]!.key),
        };
      }
      items.push(copy(kv));
    }
    return { items, revision };
  }

  async create(key: string, value: Uint8Array): Promise<KeyValue> {
    this.#checkOpen();
    validateKey(key);
    validateValue(key, value);
    if (this.#at(key, this.#revision)) throw new KeyExistsError(key);
    const revision = ++this.#revision;
    const kv: KeyValue = {
      key,
      value: value.slice(),
      createRevision: revision,
      modRevision: revision,
    };
    this.#record(key, kv, { type: "created", kv });
    return copy(kv);
  }

  async update(key: string, value: Uint8Array, expectedRevision: number): Promise<KeyValue> {
    this.#checkOpen();
    validateKey(key);
    validateValue(key, value);
    validateRevision("expected revision", expectedRevision);
    const prev = this.#at(key, this.#revision);
    if (!prev) throw new KeyNotFoundError(key);
    if (prev.modRevision !== expectedRevision) {
      throw new ConflictError(key, expectedRevision, prev.modRevision);
    }
    const revision = ++this.#revision;
    const kv: KeyValue = {
      key,
      value: value.slice(),
      createRevision: prev.createRevision,
      modRevision: revision,
    };
    this.#record(key, kv, { type: "updated", kv, prevKv: prev });
    return copy(kv);
  }

  async delete(key: string, expectedRevision?: number): Promise<KeyValue> {
    this.#checkOpen();
    validateKey(key);
    if (expectedRevision !== undefined) validateRevision("expected revision", expectedRevision);
    const prev = this.#at(key, this.#revision);
    if (!prev) throw new KeyNotFoundError(key);
    if (expectedRevision !== undefined && prev.modRevision !== expectedRevision) {
      throw new ConflictError(key, expectedRevision, prev.modRevision);
    }
    const revision = ++this.#revision;
    const kv: KeyValue = { ...prev, modRevision: revision };
    this.#record(key, null, { type: "deleted", kv, prevKv: prev });
    return copy(kv);
  }

  async *watch(
    prefix: string,
    fromRevision: number,
    signal: AbortSignal,
  ): AsyncIterable<WatchEvent> {
    this.#checkOpen();
    validatePrefix(prefix);
    validateRevision("revision", fromRevision);
    const stop = AbortSignal.any([signal, this.#closed.signal]);
    let last = fromRevision;
    while (!stop.aborted) {
      const seq = this.#notifier.seq;
      if (last < this.#compacted - 1) throw new CompactedError(last + 1, this.#compacted);
      for (let i = firstAbove(this.#log, last); i < this.#log.length; i++) {
        const { revision, event } = this.#log[i]!;
        last = revision;
        if (event.kv.key.startsWith(prefix)) yield copyEvent(event);
        if (stop.aborted) return;
      }
      await this.#notifier.wait(seq, stop);
    }
  }

  async currentRevision(): Promise<number> {
    this.#checkOpen();
    return this.#revision;
  }

  async compact(revision: number): Promise<void> {
    this.#checkOpen();
    validateRevision("revision", revision);
    if (revision > this.#revision) {
      throw new FutureRevisionError(revision, this.#revision);
    }
    if (revision <= this.#compacted) return;
    for (const [key, versions] of this.#history) {
      const keep = firstAbove(versions, revision) - 1; // the version in effect at `revision`
      if (keep < 0) continue;
      const kept = versions.slice(keep);
      if (kept[0]!.kv === null) kept.shift();
      if (kept.length === 0) this.#history.delete(key);
      else this.#history.set(key, kept);
    }
    this.#log = this.#log.slice(firstAbove(this.#log, revision - 1));
    this.#compacted = revision;
    this.#notifier.notify();
    return;
  }

  async compactedRevision(): Promise<number> {
    this.#checkOpen();
    return this.#compacted;
  }

  async close(): Promise<void> {
    this.#closed.abort();
    this.#history.clear();
    this.#log = [];
    return;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
