/**
 * A small writer of POSIX ustar archives: regular files, directories and symbolic links, with
 * the owner, mode and modification time each entry gives. It writes the entries in the order
 * given, so the same entries always give the same bytes (the OCI layer and archive builders sort
 * theirs for that reason).
 *
 * @example Write a one-file archive
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { writeTar } from "./tar_writer.ts";
 *
 * const tar = writeTar([{ kind: "file", path: "hello.txt", content: "hi\n" }]);
 * equal(tar.length, 4 * 512); // header, content, two end blocks
 * ```
 *
 * @module
 */

/** One entry of a tar archive written by {@linkcode writeTar}. */
export type TarEntry = TarFileEntry | TarDirectoryEntry | TarSymlinkEntry;

/** Fields every {@linkcode TarEntry} has. */
export interface TarEntryBase {
  /** Path inside the archive, without a leading `/` (a directory's trailing `/` is added). */
  readonly path: string;
  /** Permission bits. @default {0o644 for files, 0o755 for directories, 0o777 for links} */
  readonly mode?: number;
  /** @default {0} */
  readonly uid?: number;
  /** @default {0} */
  readonly gid?: number;
  /** Modification time in seconds since the epoch. @default {0} */
  readonly mtimeSec?: number;
}

/** A regular file. */
export interface TarFileEntry extends TarEntryBase {
  readonly kind: "file";
  readonly content: Uint8Array | string;
}

/** A directory. */
export interface TarDirectoryEntry extends TarEntryBase {
  readonly kind: "directory";
}

/** A symbolic link to {@linkcode TarSymlinkEntry.target}. */
export interface TarSymlinkEntry extends TarEntryBase {
  readonly kind: "symlink";
  readonly target: string;
}

const BLOCK = 512;
const NAME_BYTES = 100;
const PREFIX_BYTES = 155;
/** The largest value an 11-digit octal size or mtime field holds. */
const MAX_OCTAL_11 = 0o77777777777;
const TYPE_FLAGS = { file: "0", symlink: "2", directory: "5" } as const;
const DEFAULT_MODES = { file: 0o644, symlink: 0o777, directory: 0o755 } as const;

const encoder = new TextEncoder();

function contentBytes(entry: TarEntry): Uint8Array {
  if (entry.kind !== "file") return new Uint8Array(0);
  return typeof entry.content === "string" ? encoder.encode(entry.content) : entry.content;
}

function writeOctal(header: Uint8Array, offset: number, width: number, value: number): void {
  // width - 1 digits, then NUL.
  const digits = value.toString(8).padStart(width - 1, "0");
  header.set(encoder.encode(digits), offset);
  header[offset + width - 1] = 0;
}

function checkNumber(path: string, field: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(
      `Cannot write tar entry "${path}": ${field} ${value} is not an integer from 0 to ${max}`,
    );
  }
}

/** Splits a path into ustar's prefix and name fields. */
function splitName(path: string): [prefix: Uint8Array, name: Uint8Array] {
  const whole = encoder.encode(path);
  if (whole.length <= NAME_BYTES) return [new Uint8Array(0), whole];
  // Split at a slash so the name part (after it) fits in 100 bytes and the prefix in 155.
  for (let i = path.length - 1; i > 0; i--) {
    if (path[i] !== "/") continue;
    const prefix = encoder.encode(path.slice(0, i));
    const name = encoder.encode(path.slice(i + 1));
    if (name.length > NAME_BYTES) break;
    if (prefix.length <= PREFIX_BYTES && name.length > 0) return [prefix, name];
  }
  throw new RangeError(
    `Cannot write tar entry "${path}": the path does not fit ustar's 100-byte name and 155-byte prefix`,
  );
}

function entryPath(entry: TarEntry): string {
  if (entry.path === "" || entry.path.startsWith("/")) {
    throw new TypeError(`Cannot write tar entry "${entry.path}": the path must be relative`);
  }
  if (entry.kind === "directory" && !entry.path.endsWith("/")) return `${entry.path}/`;
  return entry.path;
}

function header(entry: TarEntry, size: number): Uint8Array {
  const path = entryPath(entry);
  const h = new Uint8Array(BLOCK);
  const [prefix, name] = splitName(path);
  h.set(name, 0);
  const mode = entry.mode ?? DEFAULT_MODES[entry.kind];
  const uid = entry.uid ?? 0;
  const gid = entry.gid ?? 0;
  const mtime = entry.mtimeSec ?? 0;
  checkNumber(path, "mode", mode, 0o7777);
  checkNumber(path, "uid", uid, 0o7777777);
  checkNumber(path, "gid", gid, 0o7777777);
  checkNumber(path, "size", size, MAX_OCTAL_11);
  checkNumber(path, "mtime", mtime, MAX_OCTAL_11);
  writeOctal(h, 100, 8, mode);
  writeOctal(h, 108, 8, uid);
  writeOctal(h, 116, 8, gid);
  writeOctal(h, 124, 12, size);
  writeOctal(h, 136, 12, mtime);
  h[156] = TYPE_FLAGS[entry.kind].charCodeAt(0);
  if (entry.kind === "symlink") {
    const target = encoder.encode(entry.target);
    if (target.length === 0 || target.length > NAME_BYTES) {
      throw new RangeError(
        `Cannot write tar entry "${path}": link target "${entry.target}" must be 1 to 100 bytes`,
      );
    }
    h.set(target, 157);
  }
  h.set(encoder.encode("ustar\u0000"), 257);
  h.set(encoder.encode("00"), 263);
  // Owner names stay empty: readers then use the numeric ids.
  writeOctal(h, 329, 8, 0);
  writeOctal(h, 337, 8, 0);
  h.set(prefix, 345);
  // The checksum is the byte sum with its own field read as eight spaces.
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  writeOctal(h, 148, 7, sum);
  h[155] = 0x20;
  return h;
}

/**
 * Writes `entries`, in order, as one ustar archive ending with the two zero blocks.
 *
 * Throws `TypeError` for an absolute or empty path and `RangeError` for a path, link target or
 * number that ustar cannot hold.
 */
export function writeTar(entries: Iterable<TarEntry>): Uint8Array {
  const parts: Uint8Array[] = [];
  let total = 0;
  for (const entry of entries) {
    const content = contentBytes(entry);
    const h = header(entry, content.length);
    parts.push(h, content);
    total += BLOCK + Math.ceil(content.length / BLOCK) * BLOCK;
  }
  total += 2 * BLOCK;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
    if (part.length % BLOCK !== 0) offset += BLOCK - (part.length % BLOCK);
  }
  return out;
}
