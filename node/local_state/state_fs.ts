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
  return name.startsWith(".") && name.includes(".tmp-");
}

function split(path: string): { dir: string; base: string } {
  const slash = path.lastIndexOf("/");
  return slash < 0
    ? { dir: ".", base: path }
    : { dir: slash === 0 ? "/" : path.slice(0, slash), base: path.slice(slash + 1) };
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
    const { dir, base } = split(path);
    const tmp = `${dir}/.${base}.tmp-${crypto.randomUUID().slice(0, 8)}`;
    const file = await Deno.open(tmp, { write: true, createNew: true, mode });
    try {
      // The umask may have narrowed the bits `open` gave.
      await Deno.chmod(tmp, mode);
      let off = 0;
      while (off < data.length) off += await file.write(data.subarray(off));
      await file.syncData();
    } catch (err) {
      file.close();
      await Deno.remove(tmp).catch(() => {});
      throw err;
    }
    file.close();
    try {
      await Deno.rename(tmp, path);
    } catch (err) {
      await Deno.remove(tmp).catch(() => {});
      throw err;
    }
  }

  async remove(path: string): Promise<void> {
    try {
      await Deno.remove(path);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
  }

  async syncDir(dir: string): Promise<void> {
    const d = await Deno.open(dir, { read: true });
    try {
      await d.syncData().catch(() => {});
    } finally {
      d.close();
    }
  }
}
