/**
 * The Deno KV backend: log-structured, as kine on SQLite. Every write is one atomic commit that
 * checks the key's versionstamp, sets the index entry and appends a log row keyed by the commit's
 * versionstamp; the versionstamp's counter is the revision. Watches tail the log, woken in-process
 * by the writer (Deno KV's own watch cannot watch a range). Layout: `_deno_kv_layout.ts`.
 *
 * One process owns a KV file: watches see writes made through the same `DenoKvStorage` only.
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
import { prefixEnd, validateKey, validatePrefix, validateRevision, validateValue } from "./keys.ts";
import { Notifier } from "./_notifier.ts";
import {
  CHUNK_BYTES,
  type ChunkRef,
  CHUNKS_PER_COMMIT,
  type IndexEntry,
  INLINE_MAX_BYTES,
  logKey,
  type LogRow,
  revisionToVersionstamp,
  ROW_CREATED,
  ROW_DELETED,
  ROW_UPDATED,
  versionstampToRevision,
} from "./_deno_kv_layout.ts";
import type {
  GetOptions,
  KeyValue,
  ListOptions,
  ListResult,
  Storage,
  WatchEvent,
} from "./types.ts";

/** Options of {@linkcode openDenoKvStorage}. */
export interface DenoKvStorageOptions {
  /** The KV file, or `":memory:"`. */
  readonly path: string;
}

/** Mutations per compaction commit, within Deno KV's 1000-mutation limit. */
const COMPACT_BATCH = 500;
/** Log rows a watcher reads from the file per batch. */
const WATCH_BATCH = 500;
/** Recent writes kept in memory for watchers: at most this many rows… */
const TAIL_ROWS = 2048;
/** …holding at most this many value bytes. */
const TAIL_BYTES = 16 * 1024 * 1024;
/** Keys whose latest revision, createRevision and chunks are remembered, to update without a read. */
const META_KEYS = 10_000;

/** What this instance remembers of a key's latest version. */
interface KeyMeta {
  readonly revision: number;
  readonly createRevision: number;
  readonly chunks?: ChunkRef;
}

/** What to remember of a version: its revisions and, when chunked, its chunks. */
function keyMeta(revision: number, createRevision: number, chunks: ChunkRef | undefined): KeyMeta {
  return chunks ? { revision, createRevision, chunks } : { revision, createRevision };
}

/** A committed write as watchers see it, kept in memory (see `#tail`). */
interface TailEntry {
  readonly revision: number;
  readonly row: LogRow;
  /** The key after the write (created, updated). */
  readonly kv?: KeyValue;
  /** The key before the write (deleted). */
  readonly prevKv?: KeyValue;
}

/** A commit in flight, in submission order. */
interface CommitSlot {
  done: boolean;
  entry?: Omit<TailEntry, "revision"> & { revision: number };
}

interface PreparedValue {
  /** What the index entry and the log row carry: `{v}` or `{x}`. */
  readonly ref: { v: Uint8Array } | { x: ChunkRef };
  /** Chunks still to set in the final commit. */
  readonly finalChunks: [Deno.KvKey, Uint8Array][];
  /** Chunks already committed ahead (with a pending marker), to remove if the write fails. */
  readonly ahead: boolean;
}

function rowRevisionOf(entry: Deno.KvEntry<unknown>): number {
  return versionstampToRevision(String(entry.key[1]));
}

const utf8 = new TextEncoder();

/** Orders keys as Deno KV and etcd do: by their UTF-8 bytes. */
function compareUtf8(a: string, b: string): number {
  const x = utf8.encode(a);
  const y = utf8.encode(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

/**
 * Opens (creating if needed) a KV file as a {@linkcode Storage}, finishing any compaction or large
 * write a crash interrupted.
 *
 * @example Open an in-memory KV store
 * ```ts
 * import { openDenoKvStorage } from "./deno_kv.ts";
 * await using storage = await openDenoKvStorage({ path: ":memory:" });
 * const kv = await storage.create("/registry/namespaces/default", new Uint8Array([1]));
 * if (kv.modRevision <= 0) throw new Error("expected a revision");
 * ```
 */
export async function openDenoKvStorage(options: DenoKvStorageOptions): Promise<DenoKvStorage> {
  let kv: Deno.Kv;
  try {
    kv = await Deno.openKv(options.path);
  } catch (err) {
    throw new StorageUnavailableError(`Cannot open Deno KV file "${options.path}"`, { cause: err });
  }
  try {
    const storage = new DenoKvStorage(kv);
    await storage.recover();
    return storage;
  } catch (err) {
    kv.close();
    throw err;
  }
}

/** {@linkcode Storage} on one Deno KV file. Create it with {@linkcode openDenoKvStorage}. */
export class DenoKvStorage implements Storage {
  #kv: Deno.Kv;
  #revision = 0;
  #compacted = 0;
  #notifier = new Notifier();
  #closed = new AbortController();
  /** Commits in flight, in submission order (Deno KV applies one handle's commits in order). */
  #inflight: CommitSlot[] = [];
  /** The latest committed writes, in revision order: watchers read them without file reads. */
  #tail: TailEntry[] = [];
  #tailBytes = 0;
  /** The revision of the last write published to `#tail`. */
  #published = 0;
  /** `#tail` holds every write after this revision. */
  #tailFrom = Number.MAX_SAFE_INTEGER;
  #meta = new Map<string, KeyMeta>();

  /** Use {@linkcode openDenoKvStorage}, which also recovers the file. */
  constructor(kv: Deno.Kv) {
    this.#kv = kv;
  }

  /**
   * Reads the revision state and finishes work a crash interrupted: removes chunks of large writes
   * that never committed and finishes an interrupted compaction sweep.
   */
  async recover(): Promise<void> {
    for await (const marker of this.#kv.list<boolean>({ prefix: ["p"] })) {
      await this.#deleteChunks(String(marker.key[1]), marker.key);
    }
    this.#compacted = (await this.#kv.get<number>(["m", "compacted"])).value ?? 0;
    const swept = (await this.#kv.get<number>(["m", "swept"])).value ?? 0;
    if (swept < this.#compacted) await this.#sweep(swept, this.#compacted);
    this.#tailFrom = this.#published = await this.#readRevision();
  }

  async #readRevision(): Promise<number> {
    for await (const last of this.#kv.list({ prefix: ["l"] }, { reverse: true, limit: 1 })) {
      this.#revision = Math.max(this.#revision, rowRevisionOf(last));
    }
    this.#revision = Math.max(this.#revision, this.#compacted);
    return this.#revision;
  }

  #checkOpen(): void {
    if (this.#closed.signal.aborted) {
      throw new StorageUnavailableError("Cannot use storage: it is closed");
    }
  }

  async #checkReadRevision(revision: number): Promise<void> {
    if (revision > this.#revision && revision > await this.#readRevision()) {
      throw new FutureRevisionError(revision, this.#revision);
    }
    if (revision < this.#compacted) throw new CompactedError(revision, this.#compacted);
  }

  /**
   * Commits `op`, then publishes the write to watchers in commit order. `entry` builds what
   * watchers see, given the revision; it is not called when the commit fails.
   */
  async #commit(
    op: Deno.AtomicOperation,
    entry: (revision: number) => TailEntry,
  ): Promise<Deno.KvCommitResult | Deno.KvCommitError> {
    const slot: CommitSlot = { done: false };
    this.#inflight.push(slot);
    try {
      const res = await op.commit();
      if (res.ok) slot.entry = entry(versionstampToRevision(res.versionstamp));
      return res;
    } finally {
      slot.done = true;
      this.#publish();
    }
  }

  #publish(): void {
    let published = false;
    while (this.#inflight[0]?.done) {
      const entry = this.#inflight.shift()!.entry;
      if (!entry) continue;
      if (entry.revision <= this.#revision) {
        // Out of order (never expected): watchers fall back to reading the file.
        this.#tail = [];
        this.#tailBytes = 0;
        this.#tailFrom = Math.max(this.#revision, entry.revision);
      } else {
        this.#tail.push(entry);
        this.#tailBytes += (entry.kv?.value.byteLength ?? 0) +
          (entry.prevKv?.value.byteLength ?? 0);
        this.#revision = entry.revision;
      }
      published = true;
    }
    while (this.#tail.length > TAIL_ROWS || this.#tailBytes > TAIL_BYTES) {
      const old = this.#tail.shift()!;
      this.#tailBytes -= (old.kv?.value.byteLength ?? 0) + (old.prevKv?.value.byteLength ?? 0);
      this.#tailFrom = old.revision;
    }
    if (published) this.#notifier.notify();
  }

  #remember(key: string, meta: KeyMeta | null): void {
    this.#meta.delete(key);
    if (meta === null) return;
    this.#meta.set(key, meta);
    if (this.#meta.size > META_KEYS) this.#meta.delete(this.#meta.keys().next().value!);
  }

  // --- values -------------------------------------------------------------------------------

  async #prepare(value: Uint8Array): Promise<PreparedValue> {
    if (value.byteLength <= INLINE_MAX_BYTES) {
      return { ref: { v: value.slice() }, finalChunks: [], ahead: false };
    }
    const id = crypto.randomUUID();
    const chunks: [Deno.KvKey, Uint8Array][] = [];
    for (let i = 0, off = 0; off < value.byteLength; i++, off += CHUNK_BYTES) {
      chunks.push([["x", id, i], value.slice(off, off + CHUNK_BYTES)]);
    }
    const ref: ChunkRef = { id, n: chunks.length, s: value.byteLength };
    if (chunks.length <= CHUNKS_PER_COMMIT) {
      return { ref: { x: ref }, finalChunks: chunks, ahead: false };
    }
    // Too large for one commit: write all but the last batch ahead, marked pending until the
    // final commit references them, so a crash in between leaves nothing that recovery keeps.
    const finalCount = chunks.length % CHUNKS_PER_COMMIT || CHUNKS_PER_COMMIT;
    const ahead = chunks.slice(0, chunks.length - finalCount);
    for (let i = 0; i < ahead.length; i += CHUNKS_PER_COMMIT) {
      const op = this.#kv.atomic();
      if (i === 0) op.set(["p", id], true);
      for (const [key, chunk] of ahead.slice(i, i + CHUNKS_PER_COMMIT)) op.set(key, chunk);
      await op.commit();
    }
    return { ref: { x: ref }, finalChunks: chunks.slice(ahead.length), ahead: true };
  }

  async #abandon(prepared: PreparedValue): Promise<void> {
    if (prepared.ahead && "x" in prepared.ref) {
      await this.#deleteChunks(prepared.ref.x.id, ["p", prepared.ref.x.id]);
    }
  }

  async #deleteChunks(id: string, marker?: Deno.KvKey): Promise<void> {
    let op = this.#kv.atomic();
    let count = 0;
    for await (const chunk of this.#kv.list({ prefix: ["x", id] })) {
      op.delete(chunk.key);
      if (++count % COMPACT_BATCH === 0) {
        await op.commit();
        op = this.#kv.atomic();
      }
    }
    if (marker) op.delete(marker);
    await op.commit();
  }

  async #read(holder: { readonly v?: Uint8Array; readonly x?: ChunkRef }): Promise<Uint8Array> {
    if (holder.v) return holder.v;
    const ref = holder.x;
    if (!ref) return new Uint8Array();
    const out = new Uint8Array(ref.s);
    let off = 0;
    for await (
      const chunk of this.#kv.list<Uint8Array>({ prefix: ["x", ref.id] }, { batchSize: 32 })
    ) {
      out.set(chunk.value, off);
      off += chunk.value.byteLength;
    }
    if (off !== ref.s) {
      throw new StorageUnavailableError(
        `Cannot read value: chunk set "${ref.id}" holds ${off} of ${ref.s} bytes`,
      );
    }
    return out;
  }

  async #entryToKv(key: string, entry: Deno.KvEntry<IndexEntry>): Promise<KeyValue> {
    const modRevision = versionstampToRevision(entry.versionstamp);
    const createRevision = entry.value.c || modRevision;
    this.#remember(key, keyMeta(modRevision, createRevision, entry.value.x));
    return { key, value: await this.#read(entry.value), createRevision, modRevision };
  }

  async #rowToKv(revision: number, row: LogRow): Promise<KeyValue> {
    return {
      key: row.k,
      value: await this.#read(row),
      createRevision: row.c || revision,
      modRevision: revision,
    };
  }

  async #row(revision: number): Promise<LogRow> {
    const entry = await this.#kv.get<LogRow>(logKey(revision));
    if (entry.value === null) {
      throw new CompactedError(revision, this.#compacted);
    }
    return entry.value;
  }

  /** The key's state at `revision`, given its first log row after `revision` (if any). */
  async #stateBefore(firstAfter: LogRow): Promise<KeyValue | null> {
    if (firstAfter.p === 0) return null;
    return await this.#rowToKv(firstAfter.p, await this.#row(firstAfter.p));
  }

  // --- reads --------------------------------------------------------------------------------

  async get(key: string, options: GetOptions = {}): Promise<KeyValue | null> {
    this.#checkOpen();
    validateKey(key);
    const revision = options.revision ?? 0;
    validateRevision("revision", revision);
    if (revision > 0) await this.#checkReadRevision(revision);
    const entry = await this.#kv.get<IndexEntry>(["o", key]);
    if (entry.value !== null) {
      const current = await this.#entryToKv(key, entry as Deno.KvEntry<IndexEntry>);
      if (revision === 0 || current.modRevision <= revision) return current;
      // Walk the key's rows back to the one in effect at `revision`, within this lifetime.
      let rev = current.modRevision;
      let row = await this.#row(rev);
      while (rev > revision && row.p !== 0) {
        rev = row.p;
        row = await this.#row(rev);
      }
      if (rev <= revision) return await this.#rowToKv(rev, row);
    } else if (revision === 0) {
      return null;
    }
    // The key was deleted after `revision`: its first row after `revision` tells what it was then.
    for await (const e of this.#logAfter(revision)) {
      if (e.value.k === key) return await this.#stateBefore(e.value);
    }
    return null;
  }

  #logAfter(revision: number, batchSize = WATCH_BATCH): Deno.KvListIterator<LogRow> {
    return this.#kv.list<LogRow>(
      { start: logKey(revision + 1), end: ["l", "\uffff"] },
      { batchSize },
    );
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ListResult> {
    this.#checkOpen();
    const { limit, startKey, ...position } = parseListOptions(prefix, options);
    let revision = position.revision;
    if (revision > 0) await this.#checkReadRevision(revision);
    else revision = this.#revision;

    // 1. The index as it is now, from startKey: up to limit + 1 entries.
    const end = prefixEnd(prefix);
    const candidates: Deno.KvEntry<IndexEntry>[] = [];
    let exhausted = true;
    for await (
      const e of this.#kv.list<IndexEntry>(
        { start: ["o", startKey], end: ["o", end] },
        { batchSize: limit > 0 ? Math.min(limit + 1, 1000) : 1000 },
      )
    ) {
      candidates.push(e);
      if (limit > 0 && candidates.length > limit) {
        exhausted = false;
        break;
      }
    }
    const bound = exhausted ? end : String(candidates[candidates.length - 1]!.key[1]);

    // 2. Every key in range written after `revision` (read after the index, so nothing written
    //    meanwhile escapes): its state at `revision` replaces what the index shows.
    const changed = new Map<string, LogRow>();
    for await (const e of this.#logAfter(revision)) {
      const k = e.value.k;
      if (k >= startKey && (exhausted ? k < bound : k <= bound) && !changed.has(k)) {
        changed.set(k, e.value);
      }
    }
    if (revision < this.#compacted) throw new CompactedError(revision, this.#compacted);

    const items: KeyValue[] = [];
    for (const e of candidates) {
      const k = String(e.key[1]);
      if (!changed.has(k)) items.push(await this.#entryToKv(k, e));
    }
    for (const row of changed.values()) {
      const before = await this.#stateBefore(row);
      if (before) items.push(before);
    }
    if (changed.size > 0) items.sort((a, b) => compareUtf8(a.key, b.key));

    if (limit > 0 && items.length > limit) {
      items.length = limit;
      return { items, revision, continue: encodeContinue(revision, items[limit - 1]!.key) };
    }
    if (!exhausted) return { items, revision, continue: encodeContinue(revision, bound) };
    return { items, revision };
  }

  // --- writes -------------------------------------------------------------------------------

  async create(key: string, value: Uint8Array): Promise<KeyValue> {
    this.#checkOpen();
    validateKey(key);
    validateValue(key, value);
    const kv = await this.#put(key, value, null);
    if (kv === null) throw new KeyExistsError(key);
    return kv;
  }

  /**
   * Writes `value` as the version after `prev` (or as a new key when `prev` is null) in one
   * commit guarded by the index entry's versionstamp. Returns null, having removed any chunks
   * written ahead, when the guard fails.
   */
  async #put(key: string, value: Uint8Array, prev: KeyMeta | null): Promise<KeyValue | null> {
    const prepared = await this.#prepare(value);
    const row: LogRow = prev
      ? {
        k: key,
        t: ROW_UPDATED,
        c: prev.createRevision,
        p: prev.revision,
        ...prepared.ref,
        ...(prev.chunks ? { px: prev.chunks } : {}),
      }
      : { k: key, t: ROW_CREATED, c: 0, p: 0, ...prepared.ref };
    const op = this.#kv.atomic()
      .check({ key: ["o", key], versionstamp: prev ? revisionToVersionstamp(prev.revision) : null })
      .set(["o", key], { c: row.c, ...prepared.ref } satisfies IndexEntry)
      .set(["l", this.#kv.commitVersionstamp()], row);
    this.#finish(op, prepared);
    const stored = value.slice();
    const res = await this.#commit(op, (revision) => ({
      revision,
      row,
      kv: { key, value: stored, createRevision: row.c || revision, modRevision: revision },
    }));
    if (!res.ok) {
      await this.#abandon(prepared);
      return null;
    }
    const modRevision = versionstampToRevision(res.versionstamp);
    const createRevision = row.c || modRevision;
    this.#remember(
      key,
      keyMeta(modRevision, createRevision, "x" in prepared.ref ? prepared.ref.x : undefined),
    );
    return { key, value: value.slice(), createRevision, modRevision };
  }

  #finish(op: Deno.AtomicOperation, prepared: PreparedValue): void {
    for (const [k, chunk] of prepared.finalChunks) op.set(k, chunk);
    if (prepared.ahead && "x" in prepared.ref) op.delete(["p", prepared.ref.x.id]);
  }

  async #conflict(key: string, expectedRevision: number): Promise<never> {
    const now = await this.#kv.get(["o", key]);
    if (now.value === null) throw new KeyNotFoundError(key);
    throw new ConflictError(key, expectedRevision, versionstampToRevision(now.versionstamp!));
  }

  async update(key: string, value: Uint8Array, expectedRevision: number): Promise<KeyValue> {
    this.#checkOpen();
    validateKey(key);
    validateValue(key, value);
    validateRevision("expected revision", expectedRevision);
    // What this instance knows of the expected version saves a read: the commit checks the
    // index entry's versionstamp is still the expected revision's either way.
    let meta = this.#meta.get(key);
    if (meta?.revision !== expectedRevision) {
      const entry = await this.#kv.get<IndexEntry>(["o", key]);
      if (entry.value === null) throw new KeyNotFoundError(key);
      const current = versionstampToRevision(entry.versionstamp);
      if (current !== expectedRevision) throw new ConflictError(key, expectedRevision, current);
      meta = keyMeta(current, entry.value.c || current, entry.value.x);
    }
    const kv = await this.#put(key, value, meta);
    if (kv !== null) return kv;
    this.#meta.delete(key);
    return await this.#conflict(key, expectedRevision);
  }

  async delete(key: string, expectedRevision?: number): Promise<KeyValue> {
    this.#checkOpen();
    validateKey(key);
    if (expectedRevision !== undefined) validateRevision("expected revision", expectedRevision);
    const entry = await this.#kv.get<IndexEntry>(["o", key]);
    if (entry.value === null) throw new KeyNotFoundError(key);
    const current = versionstampToRevision(entry.versionstamp);
    if (expectedRevision !== undefined && current !== expectedRevision) {
      throw new ConflictError(key, expectedRevision, current);
    }
    const last = await this.#entryToKv(key, entry as Deno.KvEntry<IndexEntry>);
    const row: LogRow = {
      k: key,
      t: ROW_DELETED,
      c: last.createRevision,
      p: current,
      ...(entry.value.x ? { px: entry.value.x } : {}),
    };
    const op = this.#kv.atomic()
      .check(entry)
      .delete(["o", key])
      .set(["l", this.#kv.commitVersionstamp()], row);
    const res = await this.#commit(op, (revision) => ({ revision, row, prevKv: last }));
    this.#remember(key, null);
    if (!res.ok) return await this.#conflict(key, expectedRevision ?? current);
    return {
      ...last,
      value: last.value.slice(),
      modRevision: versionstampToRevision(res.versionstamp),
    };
  }

  // --- watch --------------------------------------------------------------------------------

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
      let batch: TailEntry[];
      if (last >= this.#tailFrom) {
        // Caught up: every write after `last` is in memory.
        batch = this.#tail.slice(firstAbove(this.#tail, last));
      } else {
        batch = [];
        const rows = this.#kv.list<LogRow>(
          { start: logKey(last + 1), end: ["l", "\uffff"] },
          { limit: WATCH_BATCH, batchSize: WATCH_BATCH },
        );
        for await (const e of rows) batch.push({ revision: rowRevisionOf(e), row: e.value });
      }
      // Checked after reading: a compaction racing the read may have removed rows it needed.
      if (last < this.#compacted - 1) throw new CompactedError(last + 1, this.#compacted);
      for (const entry of batch) {
        last = entry.revision;
        if (!entry.row.k.startsWith(prefix)) continue;
        yield await this.#event(entry);
        if (stop.aborted) return;
      }
      if (batch.length === 0) await this.#notifier.wait(seq, stop);
    }
  }

  async #event(entry: TailEntry): Promise<WatchEvent> {
    const { revision, row } = entry;
    const copy = (kv: KeyValue): KeyValue => ({ ...kv, value: kv.value.slice() });
    if (row.t === ROW_CREATED) {
      return {
        type: "created",
        kv: entry.kv ? copy(entry.kv) : await this.#rowToKv(revision, row),
      };
    }
    const prevKv = entry.prevKv ? copy(entry.prevKv) : await this.#version(row.p);
    if (row.t === ROW_DELETED) {
      return { type: "deleted", kv: { ...prevKv, modRevision: revision }, prevKv };
    }
    const kv = entry.kv ? copy(entry.kv) : await this.#rowToKv(revision, row);
    return { type: "updated", kv, prevKv };
  }

  /** The key version written at `revision`, from memory when recent, else from the log. */
  async #version(revision: number): Promise<KeyValue> {
    const i = firstAbove(this.#tail, revision) - 1;
    const recent = i >= 0 ? this.#tail[i] : undefined;
    if (recent?.revision === revision && recent.kv) {
      return { ...recent.kv, value: recent.kv.value.slice() };
    }
    return await this.#rowToKv(revision, await this.#row(revision));
  }

  // --- revisions and compaction ----------------------------------------------------------------

  currentRevision(): Promise<number> {
    this.#checkOpen();
    return Promise.resolve(this.#revision);
  }

  compactedRevision(): Promise<number> {
    this.#checkOpen();
    return Promise.resolve(this.#compacted);
  }

  async compact(revision: number): Promise<void> {
    this.#checkOpen();
    validateRevision("revision", revision);
    if (revision > this.#revision && revision > await this.#readRevision()) {
      throw new FutureRevisionError(revision, this.#revision);
    }
    if (revision <= this.#compacted) return;
    const from = this.#compacted;
    // Refuse old reads first, then remove rows: a crash between leaves a sweep that recover()
    // finishes, never a read of half-removed history.
    await this.#kv.set(["m", "compacted"], revision);
    this.#compacted = revision;
    this.#notifier.notify();
    await this.#sweep(from, revision);
  }

  /**
   * Removes the rows history before `to` no longer needs: every row superseded by a row below
   * `to`, and every deletion row below `to`, with their chunks.
   */
  async #sweep(from: number, to: number): Promise<void> {
    let op = this.#kv.atomic();
    let mutations = 0;
    const drop = async (key: Deno.KvKey, chunks?: ChunkRef) => {
      op.delete(key);
      mutations++;
      if (chunks) {
        for (let i = 0; i < chunks.n; i++) op.delete(["x", chunks.id, i]);
        mutations += chunks.n;
      }
      if (mutations >= COMPACT_BATCH) {
        await op.commit();
        op = this.#kv.atomic();
        mutations = 0;
      }
    };
    for await (
      const e of this.#kv.list<LogRow>({ start: logKey(from), end: logKey(to) }, { batchSize: 500 })
    ) {
      const row = e.value;
      if (row.p > 0) await drop(logKey(row.p), row.px);
      if (row.t === ROW_DELETED) await drop(e.key);
    }
    op.set(["m", "swept"], to);
    await op.commit();
  }

  // --- lifecycle ----------------------------------------------------------------------------

  close(): Promise<void> {
    if (!this.#closed.signal.aborted) {
      this.#closed.abort();
      this.#kv.close();
    }
    return Promise.resolve();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
