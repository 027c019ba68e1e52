/**
 * The file-system calls of the local state store, as a seam: {@linkcode DenoStateFs} does them
 * with Deno's API; tests wrap it to count writes or make them fail.
 *
 * A write is crash-safe on its own (temporary file beside the target, data synced, renamed over
 * it) but does not sync the directory: the store syncs each directory once per batch with
 * {@linkcode StateFs.syncDir}, so a burst of writes costs one directory sync, not one each.
 *
 * @module
 */
import {
  isAtomicTempFileName,
  syncDirectory,
  writeFileAtomic,
} from "../../control/util/atomic_file.ts";

/** The file-system operations the store needs. */
export interface StateFs {
  /** Creates `dir` and its parents with `mode`; nothing when it exists. */
  mkdir(dir: string, mode: number): Promise<void>;
  /** The names of the regular files in `dir`; `[]` when `dir` does not exist. */
  readDir(dir: string): Promise<string[]>;
  readFile(path: string): Promise<Uint8Array>;
  /**
   * Replaces `path` with `data` atomically: a temporary `.<name>.tmp-<random>` file beside it
   * with `mode`, synced, renamed over `path`. The directory is not synced.
   */
  writeFile(path: string, data: Uint8Array, mode: number): Promise<void>;
  /** Removes `path`; nothing when it does not exist. */
  remove(path: string): Promise<void>;
  /** Makes the directory's entries (renames, removals) durable. */
  syncDir(dir: string): Promise<void>;
}

/** Whether `name` is a temporary file {@linkcode StateFs.writeFile} makes (left by a crash). */
export function isTemporaryStateFile(name: string): boolean {
  return isAtomicTempFileName(name);
}

/** {@linkcode StateFs} on Deno's file API. */
export class DenoStateFs implements StateFs {
  async mkdir(dir: string, mode: number): Promise<void> {
    await Deno.mkdir(dir, { recursive: true, mode });
  }

  async readDir(dir: string): Promise<string[]> {
    const names: string[] = [];
    try {
      for await (const entry of Deno.readDir(dir)) if (entry.isFile) names.push(entry.name);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return [];
      throw err;
    }
    return names.sort();
  }

  async readFile(path: string): Promise<Uint8Array> {
    return await Deno.readFile(path);
  }

  async writeFile(path: string, data: Uint8Array, mode: number): Promise<void> {
    await writeFileAtomic(path, { data, mode, syncDir: false });
  }

  async remove(path: string): Promise<void> {
    try {
      await Deno.remove(path);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
  }

  async syncDir(dir: string): Promise<void> {
    await syncDirectory(dir);
  }
}
