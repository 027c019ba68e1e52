/**
 * Projects a set of files into a volume directory so that readers always see one complete
 * version, as the kubelet's atomic writer does for configMap, secret, downwardAPI and projected
 * volumes.
 *
 * The real files live in a hidden, timestamped directory (`..2024_05_01_10_00_00.<random>`);
 * `..data` is a symlink to the current one, and each user-visible top-level entry is a symlink
 * through it (`key -> ..data/key`). A new version is written into a fresh directory, fsynced,
 * and swapped in by renaming a `..data_tmp` symlink over `..data` — one atomic rename. Then
 * entries that are gone are unlinked and the old directory is removed. A payload equal to what
 * is on disk writes nothing at all (SD cards wear out).
 *
 * @example Project two files, then update one
 * ```ts
 * import assert from "node:assert/strict";
 * import { AtomicWriter, textFile } from "./atomic_writer.ts";
 *
 * const dir = await Deno.makeTempDir();
 * const writer = new AtomicWriter(dir);
 * await writer.write(new Map([["a", textFile("1", 0o644)], ["b", textFile("2", 0o644)]]));
 * assert.equal(await Deno.readLink(`${dir}/a`), "..data/a");
 * assert.equal(await writer.write(new Map([["a", textFile("1", 0o644)], ["b", textFile("3", 0o644)]])), true);
 * assert.equal(await Deno.readTextFile(`${dir}/b`), "3");
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @module
 */
import { lchown } from "node:fs/promises";
import { type Clock, systemClock } from "../../control/util/clock.ts";

/** The symlink to the current data directory. */
export const DATA_DIR_NAME = "..data";
/** The symlink renamed over {@linkcode DATA_DIR_NAME} to swap versions. */
export const NEW_DATA_DIR_NAME = "..data_tmp";

const MAX_FILE_NAME_LENGTH = 255;
const MAX_PATH_LENGTH = 4096;

/** One file of a payload. */
export interface FileProjection {
  readonly data: Uint8Array;
  /** Permission bits (e.g. `0o644`; only `0o777` counts), applied regardless of the umask. */
  readonly mode: number;
  /** The owner (uid) of the file; unchanged (the agent's) when unset. */
  readonly fsUser?: number;
}

/** The files of a volume by relative path (a Map: keys such as `__proto__` are valid). */
export type Payload = ReadonlyMap<string, FileProjection>;

/** A {@linkcode FileProjection} of UTF-8 text. */
export function textFile(text: string, mode: number): FileProjection {
  return { data: new TextEncoder().encode(text), mode };
}

/** Options of {@linkcode AtomicWriter}. */
export interface AtomicWriterOptions {
  /** Names the timestamped directories. @default {systemClock} */
  readonly clock?: Clock;
}

/** Options of {@linkcode AtomicWriter.write}. */
export interface AtomicWriteOptions {
  /**
   * The pod's `fsGroup`: files and directories get this group and group read (and, for
   * directories, search and set-group-ID) permission, as upstream's `SetVolumeOwnership` does
   * for read-only volumes.
   */
  readonly fsGroup?: number;
}

/** Group bits `fsGroup` adds to a file of a read-only volume. */
const FS_GROUP_FILE_BITS = 0o440;
/** Group bits `fsGroup` adds to a directory of a read-only volume (setgid, r-x). */
const FS_GROUP_DIR_BITS = 0o2550;

/**
 * Checks one payload path as upstream does: not empty, relative, at most 4096 bytes, no `..`
 * element, no element longer than 255 bytes, and not starting with `..` (reserved). Throws a
 * `TypeError` with upstream's message.
 */
export function validatePayloadPath(path: string): void {
  if (path === "") throw new TypeError(`invalid path: must not be empty: ""`);
  if (path.startsWith("/")) throw new TypeError(`invalid path: must be relative path: ${path}`);
  if (byteLength(path) > MAX_PATH_LENGTH) {
    throw new TypeError(
      `invalid path: must be less than or equal to ${MAX_PATH_LENGTH} characters`,
    );
  }
  const items = path.split("/");
  for (const item of items) {
    if (item === "..") throw new TypeError(`invalid path: must not contain '..': ${path}`);
    if (byteLength(item) > MAX_FILE_NAME_LENGTH) {
      throw new TypeError(
        `invalid path: filenames must be less than or equal to ${MAX_FILE_NAME_LENGTH} characters`,
      );
    }
  }
  const first = items[0] ?? "";
  if (first.startsWith("..") && first.length > 2) {
    throw new TypeError(`invalid path: must not start with '..': ${path}`);
  }
}

/** A validated relative path in its clean form (`a//./b` → `a/b`), as Go's `filepath.Clean`. */
export function cleanPayloadPath(path: string): string {
  const parts = path.split("/").filter((p) => p !== "" && p !== ".");
  return parts.length === 0 ? "." : parts.join("/");
}

function fileMode(file: FileProjection, fsGroup: number | undefined): number {
  return (file.mode & 0o777) | (fsGroup === undefined ? 0 : FS_GROUP_FILE_BITS);
}

function byteLength(s: string): number {
  return new TextEncoder().encode(s).length;
}

function isNotFound(err: unknown): boolean {
  return err instanceof Deno.errors.NotFound;
}

function topLevel(path: string): string {
  const slash = path.indexOf("/");
  return slash === -1 ? path : path.slice(0, slash);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function pad2(n: number): string {
  return String(n).padStart(2, "0");
}

/** Go's `..2006_01_02_15_04_05.` prefix, in UTC. */
function timestampPrefix(ms: number): string {
  const d = new Date(ms);
  return `..${d.getUTCFullYear()}_${pad2(d.getUTCMonth() + 1)}_${pad2(d.getUTCDate())}_` +
    `${pad2(d.getUTCHours())}_${pad2(d.getUTCMinutes())}_${pad2(d.getUTCSeconds())}.`;
}

async function fsyncDir(dir: string): Promise<void> {
  const f = await Deno.open(dir, { read: true });
  try {
    await f.syncData();
  } finally {
    f.close();
  }
}

async function readLinkOrUndefined(path: string): Promise<string | undefined> {
  try {
    return await Deno.readLink(path);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** Relative paths of every entry under `root` (files and directories), not following links. */
async function walk(root: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(prefix === "" ? root : `${root}/${prefix}`)) {
    const rel = prefix === "" ? entry.name : `${prefix}/${entry.name}`;
    out.push(rel);
    if (entry.isDirectory) out.push(...await walk(root, rel));
  }
  return out;
}

/**
 * Writes payloads into one target directory (which must exist). Writes through one instance
 * are serialized; use one instance per directory.
 */
export class AtomicWriter {
  readonly #targetDir: string;
  readonly #clock: Clock;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(targetDir: string, options: AtomicWriterOptions = {}) {
    this.#targetDir = targetDir;
    this.#clock = options.clock ?? systemClock;
  }

  /** The directory written to. */
  get targetDir(): string {
    return this.#targetDir;
  }

  /**
   * Makes the directory hold exactly `payload`. Resolves `false` when it already did (nothing
   * was written), `true` after a new version was swapped in. Throws a `TypeError` for an
   * invalid path, before touching the disk.
   */
  write(payload: Payload, options: AtomicWriteOptions = {}): Promise<boolean> {
    const run = this.#queue.then(() => this.#write(payload, options));
    this.#queue = run.catch(() => {});
    return run;
  }

  async #write(payload: Payload, options: AtomicWriteOptions): Promise<boolean> {
    const clean = new Map<string, FileProjection>();
    for (const [path, file] of payload) {
      validatePayloadPath(path);
      clean.set(cleanPayloadPath(path), file);
    }
    const target = this.#targetDir;
    const dataDirPath = `${target}/${DATA_DIR_NAME}`;
    const oldTsDir = await readLinkOrUndefined(dataDirPath);
    await this.#removeLeftovers(oldTsDir);

    let toRemove: string[] = [];
    if (oldTsDir !== undefined) {
      const oldTsPath = `${target}/${oldTsDir}`;
      toRemove = await this.#pathsToRemove(clean, oldTsPath);
      const changed = await this.#shouldWrite(clean, oldTsPath, options.fsGroup);
      if (toRemove.length === 0 && !changed) return false;
    }

    const tsDir = await Deno.makeTempDir({
      dir: target,
      prefix: timestampPrefix(this.#clock.now()),
    });
    const tsDirName = tsDir.slice(tsDir.lastIndexOf("/") + 1);
    try {
      await this.#writePayloadToDir(clean, tsDir, options.fsGroup);
      await this.#createUserVisibleFiles(clean, options.fsGroup);
      const newDataDirPath = `${target}/${NEW_DATA_DIR_NAME}`;
      await Deno.symlink(tsDirName, newDataDirPath);
      try {
        await Deno.rename(newDataDirPath, dataDirPath);
      } catch (err) {
        await Deno.remove(newDataDirPath).catch(() => {});
        throw err;
      }
    } catch (err) {
      await Deno.remove(tsDir, { recursive: true }).catch(() => {});
      throw err;
    }
    await fsyncDir(target);

    for (const path of toRemove) {
      // Entries below the top level went away with the old data directory.
      if (path.includes("/")) continue;
      await Deno.remove(`${target}/${path}`).catch((err) => {
        if (!isNotFound(err)) throw err;
      });
    }
    if (oldTsDir !== undefined) {
      await Deno.remove(`${target}/${oldTsDir}`, { recursive: true }).catch((err) => {
        if (!isNotFound(err)) throw err;
      });
    }
    return true;
  }

  /** Removes what a crash between two steps can leave: `..data_tmp` and unused data dirs. */
  async #removeLeftovers(currentTsDir: string | undefined): Promise<void> {
    for await (const entry of Deno.readDir(this.#targetDir)) {
      const name = entry.name;
      if (!name.startsWith("..") || name === DATA_DIR_NAME || name === currentTsDir) continue;
      if (name === NEW_DATA_DIR_NAME || (entry.isDirectory && name.startsWith("..2"))) {
        await Deno.remove(`${this.#targetDir}/${name}`, { recursive: true });
      }
    }
  }

  async #pathsToRemove(payload: Map<string, FileProjection>, oldTsPath: string): Promise<string[]> {
    let current: string[];
    try {
      current = await walk(oldTsPath);
    } catch (err) {
      if (isNotFound(err)) return [];
      throw err;
    }
    const keep = new Set<string>();
    for (const path of payload.keys()) {
      for (let p = path; p !== ""; p = p.includes("/") ? p.slice(0, p.lastIndexOf("/")) : "") {
        keep.add(p);
      }
    }
    return current.filter((p) => !keep.has(p)).sort();
  }

  async #shouldWrite(
    payload: Map<string, FileProjection>,
    oldTsPath: string,
    fsGroup: number | undefined,
  ): Promise<boolean> {
    for (const [path, file] of payload) {
      let info: Deno.FileInfo;
      try {
        info = await Deno.lstat(`${oldTsPath}/${path}`);
        await Deno.lstat(`${this.#targetDir}/${topLevel(path)}`);
      } catch (err) {
        if (isNotFound(err)) return true;
        throw err;
      }
      if (!info.isFile || ((info.mode ?? 0) & 0o777) !== fileMode(file, fsGroup)) return true;
      if (file.fsUser !== undefined && info.uid !== file.fsUser) return true;
      if (fsGroup !== undefined && info.gid !== fsGroup) return true;
      if (!sameBytes(await Deno.readFile(`${oldTsPath}/${path}`), file.data)) return true;
    }
    return false;
  }

  async #writePayloadToDir(
    payload: Map<string, FileProjection>,
    dir: string,
    fsGroup: number | undefined,
  ): Promise<void> {
    const dirs = new Set<string>([dir]);
    for (const [path, file] of payload) {
      const full = `${dir}/${path}`;
      const parent = full.slice(0, full.lastIndexOf("/"));
      if (!dirs.has(parent)) {
        await Deno.mkdir(parent, { recursive: true, mode: 0o755 });
        for (let p = parent; p.length > dir.length; p = p.slice(0, p.lastIndexOf("/"))) {
          dirs.add(p);
        }
      }
      const mode = fileMode(file, fsGroup);
      const f = await Deno.open(full, { write: true, createNew: true, mode });
      try {
        // open() applied the umask; the mode must be exactly what was asked for.
        await Deno.chmod(full, mode);
        let off = 0;
        while (off < file.data.length) off += await f.write(file.data.subarray(off));
        await f.syncData();
      } finally {
        f.close();
      }
      if (file.fsUser !== undefined || fsGroup !== undefined) {
        await Deno.chown(full, file.fsUser ?? null, fsGroup ?? null);
      }
    }
    for (const d of dirs) {
      // 0755 lets group and others traverse, whatever the umask.
      await Deno.chmod(d, fsGroup === undefined ? 0o755 : 0o755 | FS_GROUP_DIR_BITS);
      if (fsGroup !== undefined) await Deno.chown(d, null, fsGroup);
      await fsyncDir(d);
    }
  }

  async #createUserVisibleFiles(
    payload: Map<string, FileProjection>,
    fsGroup: number | undefined,
  ): Promise<void> {
    const names = new Set([...payload.keys()].map(topLevel));
    for (const name of names) {
      const visible = `${this.#targetDir}/${name}`;
      try {
        await Deno.lstat(visible);
      } catch (err) {
        if (!isNotFound(err)) throw err;
        await Deno.symlink(`${DATA_DIR_NAME}/${name}`, visible);
        if (fsGroup !== undefined) await lchown(visible, -1, fsGroup);
      }
    }
  }
}
