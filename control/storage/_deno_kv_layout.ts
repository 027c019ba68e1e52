/**
 * The on-disk layout of the Deno KV backend (format 2). Kept apart so the layout is read in one
 * place:
 *
 * | key                   | value                 | what                                          |
 * | --------------------- | --------------------- | --------------------------------------------- |
 * | `["l", versionstamp]` | {@linkcode LogRow}    | one row per write, in commit order: the only key a write sets |
 * | `["x", id, i]`        | `Uint8Array`          | chunk `i` of a value too large to inline       |
 * | `["p", id]`           | `true`                | chunks written ahead of a commit not yet made  |
 * | `["m", "format"]`     | `number`              | {@linkcode FORMAT}; absent on a format 1 file  |
 * | `["m", "compacted"]`  | `number`              | history before this revision is discarded      |
 * | `["m", "swept"]`      | `number`              | log rows below this revision are removed        |
 *
 * Bitcask-style: the log is the store. A write commits one log row, which carries the value (or
 * its chunks) and the key's metadata; the index of current versions (key → revision) is rebuilt
 * in memory at open by replaying the log. Compaction keeps the log small: it removes every row
 * superseded below the compacted revision and every deletion row below it, so the log holds one
 * row per live key plus the recent history.
 *
 * Format 1 (never released) also kept an index entry `["o", key]` per key, set in the same commit
 * as the row; its rows are the same as format 2's, so opening a format 1 file drops the index
 * entries and records format 2.
 *
 * @module
 */

/** The layout version this code reads and writes. */
export const FORMAT = 2;

/** Values up to this many bytes are stored inline (Deno KV values are at most 64 KiB). */
export const INLINE_MAX_BYTES = 60 * 1024;
/** The size of one chunk of a large value. */
export const CHUNK_BYTES = 64 * 1024;
/** Chunks one commit may carry, within Deno KV's 800 KiB mutation limit. */
export const CHUNKS_PER_COMMIT = 11;

/** Where a large value's chunks are. */
export interface ChunkRef {
  /** The chunk set's id (random, never reused). */
  readonly id: string;
  /** Number of chunks. */
  readonly n: number;
  /** Total size in bytes. */
  readonly s: number;
}

/** Row types. */
export const ROW_CREATED = 0;
export const ROW_UPDATED = 1;
export const ROW_DELETED = 2;

/** The value of `["l", versionstamp]`. */
export interface LogRow {
  /** The key written. */
  readonly k: string;
  /** {@linkcode ROW_CREATED}, {@linkcode ROW_UPDATED} or {@linkcode ROW_DELETED}. */
  readonly t: number;
  /** createRevision; 0 means the row's own revision (a create). */
  readonly c: number;
  /** The revision of the key's previous row (0 for a create). */
  readonly p: number;
  /** The value, when inline (absent on deletions: the value is the previous row's). */
  readonly v?: Uint8Array;
  /** The value's chunks, when not inline. */
  readonly x?: ChunkRef;
  /** The previous row's chunks, so compaction frees them without reading that row. */
  readonly px?: ChunkRef;
}

/** The key of the format marker. */
export const FORMAT_KEY: Deno.KvKey = ["m", "format"];
/** The prefix of format 1's index entries. */
export const FORMAT_1_INDEX: Deno.KvKey = ["o"];

/** The revision a Deno KV versionstamp stands for (its 8-byte commit counter). */
export function versionstampToRevision(versionstamp: string): number {
  return parseInt(versionstamp.slice(0, 16), 16);
}

/** The versionstamp of the commit with revision `revision`. */
export function revisionToVersionstamp(revision: number): string {
  return revision.toString(16).padStart(16, "0") + "0000";
}

/** The key of the log row written at `revision`. */
export function logKey(revision: number): Deno.KvKey {
  return ["l", revisionToVersionstamp(revision)];
}

/** The end (exclusive) of every log key. */
export const LOG_END: Deno.KvKey = ["l", "\uffff"];
