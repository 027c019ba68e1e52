/**
 * The Deno KV backend: log-structured, Bitcask-style. Every write commits one key, a log row
 * keyed by the commit's versionstamp (whose counter is the revision) that carries the value and
 * the key's metadata. The current version of every key is kept in memory (a key directory,
 * rebuilt from the log at open), and guarded writes are checked against it: writes to one key
 * are serialized in the process, so one process must own the KV file (it holds an exclusive lock
 * on `<file>.lock` while open). Watches tail the log, woken in-process by the writer (Deno KV's
 * own watch cannot watch a range). Layout: `_deno_kv_layout.ts`.
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
import { compareUtf8, type DirectoryEntry, KeyDirectory } from "./_deno_kv_directory.ts";
import { KeyLocks } from "./_deno_kv_key_locks.ts";
import { planRowReads } from "./_deno_kv_read_plan.ts";
import {
  CHUNK_BYTES,
  type ChunkRef,
  CHUNKS_PER_COMMIT,
  FORMAT,
  FORMAT_1_INDEX,
  FORMAT_KEY,
  INLINE_MAX_BYTES,
  LOG_END,
  logKey,
  type LogRow,
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

/** What a {@linkcode DenoKvStorage} holds besides its KV handle. */
export interface DenoKvStorageInit {
  /** Released when the storage closes, after the KV handle: the lock on the file. */
  readonly lock?: Disposable;
  /** The KV file, for error messages. */
  readonly path?: string;
}

/** Mutations per compaction commit, within Deno KV's 1000-mutation limit. */
const COMPACT_BATCH = 500;
/** Log rows a watcher reads from the file per batch. */
const WATCH_BATCH = 500;
/** Log rows read per batch when scanning (Deno KV reads at most 1000 entries at once). */
const SCAN_BATCH = 1000;
/** Keys one `getMany` reads, Deno KV's limit. */
const GET_MANY_KEYS = 10;
/** Reads one list keeps in flight. */
const READ_CONCURRENCY = 4;
/** Times an unpinned list restarts at the newest revision when a compaction raced it. */
const LIST_ATTEMPTS = 3;
/** Recent writes kept in memory for watchers and reads: at most this many rows… */
const TAIL_ROWS = 2048;
/** …holding at most this many value bytes. */
const TAIL_BYTES = 16 * 1024 * 1024;

/** A committed write, kept in memory for watchers and reads (see `#tail`). */
interface TailEntry {
  readonly revision: number;
  readonly row: LogRow;
  /** The key after the write (created, updated); its value is the row's. */
  readonly kv?: KeyValue;
  /** The key before the write (deleted). */
  readonly prevKv?: KeyValue;
}

/** A commit in flight, in submission order. */
interface CommitSlot {
  done: boolean;
  entry?: TailEntry;
  /** Set once the write is in the directory, the tail and the current revision. */
  published: boolean;
  onPublished?: () => void;
}

interface PreparedValue {
  /** What the log row carries: `{v}` or `{x}`. */
  readonly ref: { v: Uint8Array } | { x: ChunkRef };
  /** Chunks still to set in the final commit. */
  readonly finalChunks: [Deno.KvKey, Uint8Array][];
  /** Chunks already committed ahead (with a pending marker), to remove if the write fails. */
  readonly ahead: boolean;
}

function rowRevisionOf(entry: Deno.KvEntry<unknown>): number {
  return versionstampToRevision(String(entry.key[1]));
}

/** The directory entry of the version `row` wrote at `revision`. */
function directoryEntry(revision: number, row: LogRow): DirectoryEntry {
  const createRevision = row.c || revision;
  return row.x
    ? { modRevision: revision, createRevision, chunks: row.x }
    : { modRevision: revision, createRevision };
}

function copy(kv: KeyValue): KeyValue {
  return { ...kv, value: kv.value.slice() };
}

/** Runs `tasks`, at most `concurrency` at a time. */
async function runConcurrently(
  tasks: readonly (() => Promise<void>)[],
  concurrency: number,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) await tasks[next++]!();
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, tasks.length) }, worker));
}

async function lockFile(path: string): Promise<Deno.FsFile> {
  const file = await Deno.open(`${path}.lock`, { read: true, write: true, create: true });
  if (await file.tryLock(true)) return file;
  file.close();
  throw new StorageUnavailableError(
    `Cannot open Deno KV file "${path}": another storage has it open ("${path}.lock" is locked)`,
  );
}

/**
 * Opens (creating if needed) a KV file as a {@linkcode Storage}, finishing any compaction or large
 * write a crash interrupted. The file is locked until the storage closes: a second open fails.
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
  const path = options.path;
  const lock = path === ":memory:" ? undefined : await lockFile(path).catch((err: unknown) => {
    if (err instanceof StorageUnavailableError) throw err;
    throw new StorageUnavailableError(`Cannot open Deno KV file "${path}"`, { cause: err });
  });
  let kv: Deno.Kv;
  try {
    kv = await Deno.openKv(path);
  } catch (err) {
    lock?.close();
    throw new StorageUnavailableError(`Cannot open Deno KV file "${path}"`, { cause: err });
  }
  const storage = new DenoKvStorage(kv, lock ? { lock, path } : { path });
  try {
    await storage.recover();
    return storage;
  } catch (err) {
    await storage.close();
    throw err;
  }
}

/** {@linkcode Storage} on one Deno KV file. Create it with {@linkcode openDenoKvStorage}. */
export class DenoKvStorage implements Storage {
  #kv: Deno.Kv;
  #init: DenoKvStorageInit;
  /** The revision of the last write published (in `#dir`, `#tail`, `#log`). */
  #revision = 0;
  #compacted = 0;
  /** Every live key's current version, as of `#revision`. */
  #dir = new KeyDirectory();
  /** The revision of every row in the log, ascending (to plan reads of many rows). */
  #log: number[] = [];
  #locks = new KeyLocks();
  #notifier = new Notifier();
  #closed = new AbortController();
  /** Commits in flight, in submission order (Deno KV applies one handle's commits in order). */
  #inflight: CommitSlot[] = [];
  /** The latest committed writes, in revision order: watchers read them without file reads. */
  #tail: TailEntry[] = [];
  #tailBytes = 0;
  /** `#tail` holds every write after this revision. */
  #tailFrom = Number.MAX_SAFE_INTEGER;

  /** Use {@linkcode openDenoKvStorage}, which locks and recovers the file. */
  constructor(kv: Deno.Kv, init: DenoKvStorageInit = {}) {
    this.#kv = kv;
    this.#init = init;
  }

  /**
   * Reads the file into memory and finishes work a crash interrupted: migrates a format 1 file,
   * removes chunks of large writes that never committed, finishes an interrupted compaction
   * sweep, then rebuilds the key directory from the log.
   */
  async recover(): Promise<void> {
    await this.#checkFormat();
    for await (const marker of this.#kv.list<boolean>({ prefix: ["p"] })) {
      await this.#deleteChunks(String(marker.key[1]), marker.key);
    }
    this.#compacted = (await this.#kv.get<number>(["m", "compacted"])).value ?? 0;
    const swept = (await this.#kv.get<number>(["m", "swept"])).value ?? 0;
    if (swept < this.#compacted) await this.#sweep(swept, this.#compacted);
    await this.#load();
  }

  async #checkFormat(): Promise<void> {
    const format = (await this.#kv.get<number>(FORMAT_KEY)).value;
    if (format === FORMAT) return;
    if (format !== null) {
      throw new StorageUnavailableError(
        `Cannot open Deno KV file "${this.#init.path ?? ":memory:"}": it has layout format ${
          String(format)
        }, this skiff reads format ${FORMAT}`,
      );
    }
    // A new file, or format 1, whose log rows are format 2's: drop its index entries.
    let op = this.#kv.atomic();
    let count = 0;
    for await (const e of this.#kv.list({ prefix: FORMAT_1_INDEX }, { batchSize: SCAN_BATCH })) {
      op.delete(e.key);
      if (++count % COMPACT_BATCH === 0) {
        await op.commit();
        op = this.#kv.atomic();
      }
    }
    await op.set(FORMAT_KEY, FORMAT).commit();
  }

  /** Replays the log into the directory. */
  async #load(): Promise<void> {
    const entries = new Map<string, DirectoryEntry>();
    const log: number[] = [];
    for await (const e of this.#kv.list<LogRow>({ prefix: ["l"] }, { batchSize: SCAN_BATCH })) {
      const revision = rowRevisionOf(e);
      log.push(revision);
      if (e.value.t === ROW_DELETED) entries.delete(e.value.k);
      else entries.set(e.value.k, directoryEntry(revision, e.value));
    }
    this.#dir = KeyDirectory.from(entries);
    this.#log = log;
    this.#revision = Math.max(log[log.length - 1] ?? 0, this.#compacted);
    this.#tailFrom = this.#revision;
  }

  #checkOpen(): void {
    if (this.#closed.signal.aborted) {
      throw new StorageUnavailableError("Cannot use storage: it is closed");
    }
  }

  #checkReadRevision(revision: number): void {
    if (revision > this.#revision) throw new FutureRevisionError(revision, this.#revision);
    if (revision < this.#compacted) throw new CompactedError(revision, this.#compacted);
  }

  /**
   * Commits `op`, then publishes the write in commit order and returns it. `entry` builds what
   * watchers see, given the revision; it is not called when the commit fails. A failed commit
   * changes nothing in memory.
   */
  async #commit(
    op: Deno.AtomicOperation,
    entry: (revision: number) => TailEntry,
  ): Promise<TailEntry> {
    const slot: CommitSlot = { done: false, published: false };
    this.#inflight.push(slot);
    let res: Deno.KvCommitResult | Deno.KvCommitError;
    try {
      res = await op.commit();
      if (res.ok) slot.entry = entry(versionstampToRevision(res.versionstamp));
    } finally {
      slot.done = true;
      this.#publish();
    }
    if (!slot.entry) throw new StorageUnavailableError("Cannot write: Deno KV refused the commit");
    // Published in submission order: an earlier commit still unresolved holds this one back
    // (rare: Deno KV applies one handle's commits in order and mostly resolves them so).
    if (!slot.published) await new Promise<void>((resolve) => slot.onPublished = resolve);
    return slot.entry;
  }

  #publish(): void {
    const keys: string[] = [];
    while (this.#inflight[0]?.done) {
      const slot = this.#inflight.shift()!;
      if (slot.entry) {
        this.#apply(slot.entry);
        keys.push(slot.entry.row.k);
      }
      slot.published = true;
      slot.onPublished?.();
    }
    while (this.#tail.length > TAIL_ROWS || this.#tailBytes > TAIL_BYTES) {
      const old = this.#tail.shift()!;
      this.#tailBytes -= (old.kv?.value.byteLength ?? 0) + (old.prevKv?.value.byteLength ?? 0);
      this.#tailFrom = old.revision;
    }
    if (keys.length > 0) this.#notifier.notify({ keys, revision: this.#revision });
  }

  #apply(entry: TailEntry): void {
    const { revision, row } = entry;
    if (row.t === ROW_DELETED) this.#dir.delete(row.k);
    else this.#dir.set(row.k, directoryEntry(revision, row));
    if (revision > this.#revision) {
      this.#log.push(revision);
      this.#tail.push(entry);
      this.#tailBytes += (entry.kv?.value.byteLength ?? 0) + (entry.prevKv?.value.byteLength ?? 0);
      this.#revision = revision;
      return;
    }
    // Out of order (never expected): watchers fall back to reading the file, skipping nothing.
    this.#notifier.forgetSkips();
    let at = this.#log.length;
    while (at > 0 && this.#log[at - 1]! > revision) at--;
    this.#log.splice(at, 0, revision);
    this.#tail = [];
    this.#tailBytes = 0;
    this.#tailFrom = this.#revision;
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
      // If this fails too, the pending marker stays and the next open removes the chunks.
      await this.#deleteChunks(prepared.ref.x.id, ["p", prepared.ref.x.id]).catch(() => {});
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

  /** The value a row holds, or null when its chunks are gone (compacted meanwhile). */
  async #read(row: LogRow): Promise<Uint8Array | null> {
    if (row.v) return row.v;
    const ref = row.x;
    if (!ref) return new Uint8Array();
    const out = new Uint8Array(ref.s);
    let off = 0;
    for await (
      const chunk of this.#kv.list<Uint8Array>({ prefix: ["x", ref.id] }, { batchSize: 32 })
    ) {
      if (off + chunk.value.byteLength > ref.s) break;
      out.set(chunk.value, off);
      off += chunk.value.byteLength;
    }
    return off === ref.s ? out : null;
  }

  /** The key version `row` wrote at `revision`, or null when its chunks are gone. */
  async #rowToKv(revision: number, row: LogRow): Promise<KeyValue | null> {
    const value = await this.#read(row);
    if (value === null) return null;
    return { key: row.k, value, createRevision: row.c || revision, modRevision: revision };
  }

  /** The row written at `revision` from the in-memory tail (value copied), if it is there. */
  #tailRow(revision: number): LogRow | undefined {
    const i = firstAbove(this.#tail, revision) - 1;
    const entry = i >= 0 ? this.#tail[i] : undefined;
    if (entry?.revision !== revision) return undefined;
    return entry.row.v ? { ...entry.row, v: entry.row.v.slice() } : entry.row;
  }

  /** The row written at `revision`, or null when it is gone (compacted). */
  async #row(revision: number): Promise<LogRow | null> {
    return this.#tailRow(revision) ?? (await this.#kv.get<LogRow>(logKey(revision))).value;
  }

  /** The key version written at `revision`, or null when it is gone (compacted). */
  async #version(revision: number): Promise<KeyValue | null> {
    const i = firstAbove(this.#tail, revision) - 1;
    const recent = i >= 0 ? this.#tail[i] : undefined;
    if (recent?.revision === revision && recent.kv) return copy(recent.kv);
    const row = await this.#row(revision);
    return row && await this.#rowToKv(revision, row);
  }

  /** {@linkcode #version}, throwing `CompactedError` for a read at `at` when it is gone. */
  async #versionAt(revision: number, at: number): Promise<KeyValue> {
    const kv = await this.#version(revision);
    if (kv === null) throw new CompactedError(at, this.#compacted);
    return kv;
  }

  /** Every row after `revision`, in order: from memory when the tail holds them all. */
  async *#rowsAfter(revision: number): AsyncGenerator<{ revision: number; row: LogRow }> {
    if (revision >= this.#tailFrom) {
      yield* this.#tail.slice(firstAbove(this.#tail, revision));
      return;
    }
    for await (
      const e of this.#kv.list<LogRow>(
        { start: logKey(revision + 1), end: LOG_END },
        { batchSize: WATCH_BATCH },
      )
    ) {
      yield { revision: rowRevisionOf(e), row: e.value };
    }
  }

  /** The rows written at `revisions` (distinct); a row that is gone is missing from the map. */
  async #rows(revisions: readonly number[]): Promise<Map<number, LogRow>> {
    const rows = new Map<number, LogRow>();
    const wanted: number[] = [];
    for (const revision of revisions) {
      const row = this.#tailRow(revision);
      if (row) rows.set(revision, row);
      else wanted.push(revision);
    }
    wanted.sort((a, b) => a - b);
    const plan = planRowReads(wanted, this.#log);
    const inRange = new Set(wanted);
    const tasks: (() => Promise<void>)[] = [];
    for (const [first, last] of plan.ranges) {
      tasks.push(async () => {
        for await (
          const e of this.#kv.list<LogRow>(
            { start: logKey(first), end: logKey(last + 1) },
            { batchSize: SCAN_BATCH },
          )
        ) {
          const revision = rowRevisionOf(e);
          if (inRange.has(revision)) rows.set(revision, e.value);
        }
      });
    }
    for (let i = 0; i < plan.singles.length; i += GET_MANY_KEYS) {
      const keys = plan.singles.slice(i, i + GET_MANY_KEYS).map(logKey);
      tasks.push(async () => {
        for (const e of await this.#kv.getMany<LogRow[]>(keys)) {
          if (e.value !== null) rows.set(rowRevisionOf(e), e.value);
        }
      });
    }
    await runConcurrently(tasks, READ_CONCURRENCY);
    return rows;
  }

  // --- reads --------------------------------------------------------------------------------

  async get(key: string, options: GetOptions = {}): Promise<KeyValue | null> {
    this.#checkOpen();
    validateKey(key);
    const revision = options.revision ?? 0;
    validateRevision("revision", revision);
    if (revision === 0) {
      for (;;) {
        const current = this.#dir.get(key);
        if (!current) return null;
        const kv = await this.#version(current.modRevision);
        if (kv) return kv;
        // Rewritten and compacted while read: read the new version, unless nothing changed.
        if (this.#dir.get(key) === current) {
          throw new StorageUnavailableError(
            `Cannot read key "${key}": its row at revision ${current.modRevision} is missing`,
          );
        }
      }
    }
    this.#checkReadRevision(revision);
    const current = this.#dir.get(key);
    if (current) {
      if (current.modRevision <= revision) {
        return await this.#versionAt(current.modRevision, revision);
      }
      // Walk the key's rows back to the one in effect at `revision`, within this lifetime.
      let rev = current.modRevision;
      let row = await this.#row(rev);
      while (row !== null && rev > revision && row.p !== 0) {
        rev = row.p;
        row = await this.#row(rev);
      }
      if (row === null) throw new CompactedError(revision, this.#compacted);
      if (rev <= revision) {
        const kv = await this.#rowToKv(rev, row);
        if (kv === null) throw new CompactedError(revision, this.#compacted);
        return kv;
      }
    }
    // Not live now, or created after `revision`: its first row after `revision` tells.
    for await (const e of this.#rowsAfter(revision)) {
      if (e.row.k === key) return e.row.p === 0 ? null : await this.#versionAt(e.row.p, revision);
    }
    return null;
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ListResult> {
    this.#checkOpen();
    const { limit, startKey, ...position } = parseListOptions(prefix, options);
    const pinned = position.revision > 0;
    if (pinned) this.#checkReadRevision(position.revision);
    for (let attempt = 1;; attempt++) {
      const revision = pinned ? position.revision : this.#revision;
      const page = await this.#listAt(prefix, { startKey, limit, revision });
      if (page) return page;
      // A compaction removed rows the page needed; only a list at the newest revision recovers.
      if (revision >= this.#compacted) {
        throw new StorageUnavailableError(
          `Cannot list "${prefix}": rows of revision ${revision} are missing`,
        );
      }
      if (pinned || attempt === LIST_ATTEMPTS) throw new CompactedError(revision, this.#compacted);
    }
  }

  /** One page at `revision`, or null when rows it needs were compacted meanwhile. */
  async #listAt(
    prefix: string,
    page: { startKey: string; limit: number; revision: number },
  ): Promise<ListResult | null> {
    const { startKey, limit, revision } = page;
    // 1. The directory as it is now, from startKey: up to limit + 1 keys.
    const end = prefixEnd(prefix);
    const current = this.#revision;
    const candidates = this.#dir.range(startKey, end, limit > 0 ? limit + 1 : 0);
    const exhausted = limit === 0 || candidates.length <= limit;
    const bound = exhausted ? end : candidates[candidates.length - 1]![0];

    // 2. Every key in range written after `revision`: its state at `revision` is the version
    //    before its first later row.
    const changed = new Map<string, LogRow>();
    if (revision < current) {
      for await (const { row } of this.#rowsAfter(revision)) {
        const k = row.k;
        if (changed.has(k) || compareUtf8(k, startKey) < 0) continue;
        const toBound = compareUtf8(k, bound);
        if (exhausted ? toBound < 0 : toBound <= 0) changed.set(k, row);
      }
    }

    // 3. Read the rows of those versions.
    const wanted: number[] = [];
    for (const [k, e] of candidates) if (!changed.has(k)) wanted.push(e.modRevision);
    for (const row of changed.values()) if (row.p !== 0) wanted.push(row.p);
    const rows = await this.#rows(wanted);
    if (rows.size < wanted.length) return null;
    const items: KeyValue[] = [];
    for (const revision of wanted) {
      const kv = await this.#rowToKv(revision, rows.get(revision)!);
      if (kv === null) return null;
      items.push(kv);
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
    return await this.#locks.run(key, () => {
      this.#checkOpen();
      if (this.#dir.get(key)) throw new KeyExistsError(key);
      return this.#put(key, value, null);
    });
  }

  async update(key: string, value: Uint8Array, expectedRevision: number): Promise<KeyValue> {
    this.#checkOpen();
    validateKey(key);
    validateValue(key, value);
    validateRevision("expected revision", expectedRevision);
    return await this.#locks.run(key, () => {
      this.#checkOpen();
      const current = this.#dir.get(key);
      if (!current) throw new KeyNotFoundError(key);
      if (current.modRevision !== expectedRevision) {
        throw new ConflictError(key, expectedRevision, current.modRevision);
      }
      return this.#put(key, value, current);
    });
  }

  /**
   * Writes `value` as the version after `prev` (or as a new key when `prev` is null): one commit
   * of the log row (and the value's last chunks). The caller holds the key's lock.
   */
  async #put(key: string, value: Uint8Array, prev: DirectoryEntry | null): Promise<KeyValue> {
    const prepared = await this.#prepare(value);
    const row: LogRow = prev
      ? {
        k: key,
        t: ROW_UPDATED,
        c: prev.createRevision,
        p: prev.modRevision,
        ...prepared.ref,
        ...(prev.chunks ? { px: prev.chunks } : {}),
      }
      : { k: key, t: ROW_CREATED, c: 0, p: 0, ...prepared.ref };
    const op = this.#kv.atomic().set(["l", this.#kv.commitVersionstamp()], row);
    for (const [k, chunk] of prepared.finalChunks) op.set(k, chunk);
    if (prepared.ahead && "x" in prepared.ref) op.delete(["p", prepared.ref.x.id]);
    const stored = "v" in prepared.ref ? prepared.ref.v : value.slice();
    let entry: TailEntry;
    try {
      entry = await this.#commit(op, (revision) => ({
        revision,
        row,
        kv: { key, value: stored, createRevision: row.c || revision, modRevision: revision },
      }));
    } catch (err) {
      await this.#abandon(prepared);
      throw err;
    }
    return copy(entry.kv!);
  }

  async delete(key: string, expectedRevision?: number): Promise<KeyValue> {
    this.#checkOpen();
    validateKey(key);
    if (expectedRevision !== undefined) validateRevision("expected revision", expectedRevision);
    return await this.#locks.run(key, async () => {
      this.#checkOpen();
      const current = this.#dir.get(key);
      if (!current) throw new KeyNotFoundError(key);
      if (expectedRevision !== undefined && current.modRevision !== expectedRevision) {
        throw new ConflictError(key, expectedRevision, current.modRevision);
      }
      const last = await this.#version(current.modRevision);
      if (last === null) {
        throw new StorageUnavailableError(
          `Cannot delete key "${key}": its row at revision ${current.modRevision} is missing`,
        );
      }
      const row: LogRow = {
        k: key,
        t: ROW_DELETED,
        c: current.createRevision,
        p: current.modRevision,
        ...(current.chunks ? { px: current.chunks } : {}),
      };
      const op = this.#kv.atomic().set(["l", this.#kv.commitVersionstamp()], row);
      const entry = await this.#commit(op, (revision) => ({ revision, row, prevKv: last }));
      return { ...copy(last), modRevision: entry.revision };
    });
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
          { start: logKey(last + 1), end: LOG_END },
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
      if (batch.length === 0) {
        // Woken by a write under `prefix`; the writes elsewhere meanwhile need no reading.
        last = Math.max(last, await this.#notifier.wait(seq, stop, prefix));
      }
    }
  }

  async #event(entry: TailEntry): Promise<WatchEvent> {
    const { revision, row } = entry;
    const at = async (rev: number, r?: LogRow) => {
      const kv = r ? await this.#rowToKv(rev, r) : await this.#version(rev);
      if (kv === null) throw new CompactedError(revision, this.#compacted);
      return kv;
    };
    if (row.t === ROW_CREATED) {
      return { type: "created", kv: entry.kv ? copy(entry.kv) : await at(revision, row) };
    }
    const prevKv = entry.prevKv ? copy(entry.prevKv) : await at(row.p);
    if (row.t === ROW_DELETED) {
      return { type: "deleted", kv: { ...prevKv, modRevision: revision }, prevKv };
    }
    const kv = entry.kv ? copy(entry.kv) : await at(revision, row);
    return { type: "updated", kv, prevKv };
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
    if (revision > this.#revision) throw new FutureRevisionError(revision, this.#revision);
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
    const dropped = new Set<number>();
    const drop = async (revision: number, chunks?: ChunkRef) => {
      op.delete(logKey(revision));
      dropped.add(revision);
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
      const e of this.#kv.list<LogRow>({ start: logKey(from), end: logKey(to) }, {
        batchSize: COMPACT_BATCH,
      })
    ) {
      const row = e.value;
      if (row.p > 0) await drop(row.p, row.px);
      if (row.t === ROW_DELETED) await drop(rowRevisionOf(e));
    }
    op.set(["m", "swept"], to);
    await op.commit();
    if (dropped.size > 0) this.#log = this.#log.filter((r) => !dropped.has(r));
  }

  // --- lifecycle ----------------------------------------------------------------------------

  close(): Promise<void> {
    if (!this.#closed.signal.aborted) {
      this.#closed.abort();
      this.#kv.close();
      this.#init.lock?.[Symbol.dispose]();
    }
    return Promise.resolve();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
