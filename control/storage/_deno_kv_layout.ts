/**
 * The on-disk layout of the Deno KV backend (format 1). Kept apart so the layout is read in one
 * place:
 *
 * | key                  | value                | what                                         |
 * | -------------------- | -------------------- | -------------------------------------------- |
 * | `["o", key]`         | {@linkcode IndexEntry} | current value; its versionstamp is the modRevision |
 * | `["l", versionstamp]`| {@linkcode LogRow}   | one row per write, in commit order (the watch log) |
 * | `["x", id, i]`       | `Uint8Array`         | chunk `i` of a value too large to inline      |
 * | `["p", id]`          | `true`               | chunks written ahead of a commit not yet made |
 * | `["m", "compacted"]` | `number`             | history before this revision is discarded     |
 * | `["m", "swept"]`     | `number`             | log rows below this revision are removed       |
 *
 * A value is stored once: inline in both the index entry and its log row when small (both pages
 * are written by the commit anyway), or as chunks both refer to when large.
 *
 * @module
 */

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

/** The value of `["o", key]`. */
export interface IndexEntry {
  /** createRevision; 0 means the entry's own revision (a create). */
  readonly c: number;
  /** The value, when inline. */
  readonly v?: Uint8Array;
  /** The value's chunks, when not inline. */
  readonly x?: ChunkRef;
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
