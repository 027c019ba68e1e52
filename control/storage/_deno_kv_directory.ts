/**
 * The Deno KV backend's key directory: the current version of every live key, in memory, rebuilt
 * at open from the log (Bitcask's keydir). Keys are kept in UTF-8 byte order, the order Deno KV
 * and etcd list keys in, for prefix lists.
 *
 * @module
 */
import type { ChunkRef } from "./_deno_kv_layout.ts";

/** What the directory knows of a key's current version. */
export interface DirectoryEntry {
  /** The revision of the key's last write: its log row is `logKey(modRevision)`. */
  readonly modRevision: number;
  readonly createRevision: number;
  /** The value's chunks, when it is too large to inline. */
  readonly chunks?: ChunkRef;
}

/** Keys per sorted block; a block splits in two when it grows past this. */
const BLOCK_MAX = 512;

/** Code units whose UTF-16 order differs from their UTF-8 order. */
const HIGH_UNITS = /[\ud800-\uffff]/;

/** Where code unit `c` sorts among UTF-8 byte sequences, for the units at and above U+D800. */
function utf8Rank(c: number): number {
  // Surrogates encode characters above U+FFFF, whose UTF-8 bytes sort after U+E000–U+FFFF's.
  return c >= 0xe000 ? c - 0x800 : c + 0x2000;
}

/** Orders keys as Deno KV and etcd do: by their UTF-8 bytes. */
export function compareUtf8(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return x >= 0xd800 && y >= 0xd800 ? utf8Rank(x) - utf8Rank(y) : x - y;
  }
  return a.length - b.length;
}

/** The first index of sorted `keys` whose key is not below `key`. */
function lowerBound(keys: readonly string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareUtf8(keys[mid]!, key) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A map of live keys to their current version, iterable in key order from any key. */
export class KeyDirectory {
  #entries = new Map<string, DirectoryEntry>();
  /** Every key, sorted, in blocks of at most {@linkcode BLOCK_MAX}. */
  #blocks: string[][] = [];

  /** Builds a directory of `entries` (in any order) in one sort. */
  static from(entries: Map<string, DirectoryEntry>): KeyDirectory {
    const directory = new KeyDirectory();
    directory.#entries = entries;
    // The native sort orders by UTF-16 code units, which is UTF-8 byte order unless a key has a
    // unit at or above U+D800.
    const keys = [...entries.keys()].sort();
    if (keys.some((key) => HIGH_UNITS.test(key))) keys.sort(compareUtf8);
    for (let i = 0; i < keys.length; i += BLOCK_MAX / 2) {
      directory.#blocks.push(keys.slice(i, i + BLOCK_MAX / 2));
    }
    return directory;
  }

  /** Number of live keys. */
  get size(): number {
    return this.#entries.size;
  }

  get(key: string): DirectoryEntry | undefined {
    return this.#entries.get(key);
  }

  /** Records `key`'s current version, adding the key when new. */
  set(key: string, entry: DirectoryEntry): void {
    const known = this.#entries.has(key);
    this.#entries.set(key, entry);
    if (known) return;
    if (this.#blocks.length === 0) {
      this.#blocks.push([key]);
      return;
    }
    const b = this.#blockOf(key);
    const block = this.#blocks[b]!;
    block.splice(lowerBound(block, key), 0, key);
    if (block.length > BLOCK_MAX) this.#blocks.splice(b + 1, 0, block.splice(BLOCK_MAX / 2));
  }

  /** Removes `key`; returns whether it was there. */
  delete(key: string): boolean {
    if (!this.#entries.delete(key)) return false;
    const b = this.#blockOf(key);
    const block = this.#blocks[b]!;
    block.splice(lowerBound(block, key), 1);
    if (block.length === 0) this.#blocks.splice(b, 1);
    return true;
  }

  /** Up to `limit` (0: all) keys from `start` (inclusive) to `end` (exclusive), in key order. */
  range(start: string, end: string, limit: number): [string, DirectoryEntry][] {
    const out: [string, DirectoryEntry][] = [];
    if (this.#blocks.length === 0) return out;
    let b = this.#blockOf(start);
    let i = lowerBound(this.#blocks[b]!, start);
    for (; b < this.#blocks.length; b++, i = 0) {
      const block = this.#blocks[b]!;
      // Within a block that ends before `end`, no key needs comparing.
      const inside = compareUtf8(block[block.length - 1]!, end) < 0;
      for (; i < block.length; i++) {
        const key = block[i]!;
        if (!inside && compareUtf8(key, end) >= 0) return out;
        out.push([key, this.#entries.get(key)!]);
        if (out.length === limit) return out;
      }
    }
    return out;
  }

  /** The block `key` belongs in: the last whose first key is not above it (or the first). */
  #blockOf(key: string): number {
    let lo = 1;
    let hi = this.#blocks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareUtf8(this.#blocks[mid]![0]!, key) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }
}
