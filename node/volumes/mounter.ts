/**
 * Mounting for volumes: a {@linkcode Mounter} mounts and unmounts tmpfs and tells which file
 * system is mounted at a directory. {@linkcode CommandMounter} runs `mount`/`umount` through a
 * {@linkcode CommandRunner} and reads `/proc/self/mountinfo` ({@linkcode parseMountInfo}).
 *
 * @example Find the tmpfs mounts in a mountinfo text
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseMountInfo } from "./mounter.ts";
 *
 * const [entry] = parseMountInfo(
 *   "612 30 0:52 / /var/lib/pods/a\\040b rw,relatime - tmpfs tmpfs rw,size=65536k\n",
 * );
 * assert.deepEqual(entry, { mountPoint: "/var/lib/pods/a b", fsType: "tmpfs", source: "tmpfs" });
 * ```
 *
 * @module
 */
import type { CommandResult, CommandRunner } from "../containerd/command_runner.ts";

/** Mounts and unmounts what volumes need. */
export interface Mounter {
  /** Mounts a tmpfs at `dir` with `-o` `options` (`size=…`). */
  mountTmpfs(dir: string, options: readonly string[]): Promise<void>;
  /** Unmounts the file system mounted at `dir`. */
  unmount(dir: string): Promise<void>;
  /** The type (`tmpfs`, `ext4`…) of the topmost file system mounted exactly at `dir`, if any. */
  mountedFsType(dir: string): Promise<string | undefined>;
  /** The mounts at `dir` and below it, in mount order; none when `dir` does not exist. */
  mountsUnder(dir: string): Promise<MountInfoEntry[]>;
}

/** One line of `/proc/self/mountinfo`, the fields volumes use. */
export interface MountInfoEntry {
  readonly mountPoint: string;
  readonly fsType: string;
  readonly source: string;
}

/** The kernel escapes space, tab, newline and backslash in mountinfo paths as `\ooo`. */
function unescapeOctal(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** The entries of a `/proc/<pid>/mountinfo` text, in mount order (later mounts on top). */
export function parseMountInfo(text: string): MountInfoEntry[] {
  const out: MountInfoEntry[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    const fields = line.split(" ");
    const sep = fields.indexOf("-", 6);
    const mountPoint = fields[4];
    const fsType = fields[sep + 1];
    if (sep < 0 || mountPoint === undefined || fsType === undefined) {
      throw new SyntaxError(`Cannot parse mountinfo line "${line}": expected "- <fstype>"`);
    }
    out.push({
      mountPoint: unescapeOctal(mountPoint),
      fsType,
      source: unescapeOctal(fields[sep + 2] ?? ""),
    });
  }
  return out;
}

/** Options of {@linkcode CommandMounter}. */
export interface CommandMounterOptions {
  readonly runner: CommandRunner;
  /** Reads the mount table. @default {reads /proc/self/mountinfo} */
  readonly readMountInfo?: () => Promise<string>;
  /** @default {"mount"} */
  readonly mountPath?: string;
  /** @default {"umount"} */
  readonly umountPath?: string;
}

async function realPathOrUndefined(path: string): Promise<string | undefined> {
  try {
    return await Deno.realPath(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  }
}

function output(result: CommandResult): string {
  return (result.stdout + result.stderr).trim();
}

/** A {@linkcode Mounter} that runs `mount` and `umount`. */
export class CommandMounter implements Mounter {
  readonly #runner: CommandRunner;
  readonly #readMountInfo: () => Promise<string>;
  readonly #mount: string;
  readonly #umount: string;

  constructor(options: CommandMounterOptions) {
    this.#runner = options.runner;
    this.#readMountInfo = options.readMountInfo ??
      (() => Deno.readTextFile("/proc/self/mountinfo"));
    this.#mount = options.mountPath ?? "mount";
    this.#umount = options.umountPath ?? "umount";
  }

  async mountTmpfs(dir: string, options: readonly string[]): Promise<void> {
    const args = [
      "-t",
      "tmpfs",
      ...(options.length ? ["-o", options.join(",")] : []),
      "tmpfs",
      dir,
    ];
    const result = await this.#runner.run([this.#mount, ...args]);
    if (result.code !== 0) {
      // Worded as upstream's mount-utils.
      throw new Error(
        `mount failed: exit status ${result.code}\nMounting command: ${this.#mount}\n` +
          `Mounting arguments: ${args.join(" ")}\nOutput: ${output(result)}`,
      );
    }
  }

  async unmount(dir: string): Promise<void> {
    const result = await this.#runner.run([this.#umount, dir]);
    if (result.code !== 0) {
      throw new Error(
        `unmount failed: exit status ${result.code}\nUnmounting arguments: ${dir}\n` +
          `Output: ${output(result)}`,
      );
    }
  }

  async mountedFsType(dir: string): Promise<string | undefined> {
    const real = await realPathOrUndefined(dir);
    if (real === undefined) return undefined;
    const entries = parseMountInfo(await this.#readMountInfo());
    return entries.findLast((e) => e.mountPoint === real)?.fsType;
  }

  async mountsUnder(dir: string): Promise<MountInfoEntry[]> {
    const real = await realPathOrUndefined(dir);
    if (real === undefined) return [];
    const prefix = real === "/" ? "/" : `${real}/`;
    return parseMountInfo(await this.#readMountInfo()).filter((e) =>
      e.mountPoint === real || e.mountPoint.startsWith(prefix)
    );
  }
}
