/**
 * Writes a file so that readers and crashes see either the old content or the new, never a
 * half-written file: write a hidden temporary file beside it (`.<name>.tmp-<random>`, which
 * directory watchers and scanners skip as a dotfile) with the final mode, fsync it, rename it
 * over the target, fsync the directory (unless the caller syncs it once for a batch).
 *
 * @example Write a private file atomically
 * ```ts
 * import { writeFileAtomic } from "./atomic_file.ts";
 *
 * const dir = await Deno.makeTempDir();
 * await writeFileAtomic(`${dir}/secret.key`, { data: "key material", mode: 0o600 });
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @module
 */

/** Options of {@linkcode writeFileAtomic}. */
export interface WriteFileAtomicOptions {
  readonly data: string | Uint8Array;
  /** Permission bits of the file, set before any content is written. */
  readonly mode: number;
  /**
   * Fsync the directory after the rename. A caller writing a batch turns it off and syncs the
   * directory once ({@linkcode syncDirectory}). @default {true}
   */
  readonly syncDir?: boolean;
}

/** Whether `name` is a temporary file {@linkcode writeFileAtomic} makes (left by a crash). */
export function isAtomicTempFileName(name: string): boolean {
  return name.startsWith(".") && name.includes(".tmp-");
}

/** Makes a directory's entries (renames, removals) durable. */
export async function syncDirectory(dir: string): Promise<void> {
  const d = await Deno.open(dir, { read: true });
  try {
    await d.syncData().catch(() => {});
  } finally {
    d.close();
  }
}

/** Replaces `path` with `options.data`, atomically and durably. */
export async function writeFileAtomic(
  path: string,
  options: WriteFileAtomicOptions,
): Promise<void> {
  const slash = path.lastIndexOf("/");
  const dir = slash > 0 ? path.slice(0, slash) : ".";
  const tmp = `${path.slice(0, slash + 1)}.${path.slice(slash + 1)}.tmp-${
    crypto.randomUUID().slice(0, 8)
  }`;
  const bytes = typeof options.data === "string"
    ? new TextEncoder().encode(options.data)
    : options.data;
  const file = await Deno.open(tmp, { write: true, createNew: true, mode: options.mode });
  try {
    // The umask may have narrowed or the caller may want wider bits than `open` gave.
    await Deno.chmod(tmp, options.mode);
    let off = 0;
    while (off < bytes.length) off += await file.write(bytes.subarray(off));
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
  if (options.syncDir ?? true) await syncDirectory(dir);
}
