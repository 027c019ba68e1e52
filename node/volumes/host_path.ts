/**
 * hostPath volumes: the node's own file or directory, checked against the volume's `type`
 * (`DirectoryOrCreate`, `Directory`, `FileOrCreate`, `File`, `Socket`, `CharDevice`,
 * `BlockDevice`, or `""` for no check) with upstream's messages. `DirectoryOrCreate` creates
 * the directory and its parents (0755); `FileOrCreate` creates an empty file (0644) but not its
 * parent directory.
 *
 * @example Create a directory on the node
 * ```ts
 * import { setUpHostPath } from "./host_path.ts";
 *
 * const dir = await Deno.makeTempDir();
 * await setUpHostPath({ path: `${dir}/cache`, type: "DirectoryOrCreate" });
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @module
 */
import { goErrorText } from "./_go_errors.ts";

/** The values of a hostPath volume's `type`. */
export const HOST_PATH_TYPES = [
  "",
  "DirectoryOrCreate",
  "Directory",
  "FileOrCreate",
  "File",
  "Socket",
  "CharDevice",
  "BlockDevice",
] as const;

async function statOrUndefined(path: string): Promise<Deno.FileInfo | undefined> {
  try {
    return await Deno.stat(path);
  } catch {
    return undefined;
  }
}

/**
 * Checks (and for the `…OrCreate` types, creates) what `path` must be for `type`. Throws an
 * `Error` with upstream's message.
 */
export async function checkHostPathType(path: string, type: string): Promise<void> {
  const info = await statOrUndefined(path);
  const fail = (what: string) => new Error(`hostPath type check failed: ${path} is not ${what}`);
  switch (type) {
    case "":
      return;
    case "DirectoryOrCreate":
      if (!info) return await create("mkdir", path, () => Deno.mkdir(path, DIR_OPTIONS));
      if (!info.isDirectory) throw fail("a directory");
      return;
    case "Directory":
      if (!info?.isDirectory) throw fail("a directory");
      return;
    case "FileOrCreate":
      // Like O_CREAT without O_EXCL: a file created meanwhile is fine; the parent must exist.
      if (!info) {
        return await create(
          "open",
          path,
          async () => (await Deno.open(path, FILE_OPTIONS)).close(),
        );
      }
      if (!info.isFile) throw fail("a file");
      return;
    case "File":
      if (!info?.isFile) throw fail("a file");
      return;
    case "Socket":
      if (!info?.isSocket) throw fail("a socket file");
      return;
    case "CharDevice":
      if (!info?.isCharDevice) throw fail("a character device");
      return;
    case "BlockDevice":
      if (!info?.isBlockDevice) throw fail("a block device");
      return;
  }
  throw new Error(`${type} is an invalid volume type`);
}

const DIR_OPTIONS: Deno.MkdirOptions = { recursive: true, mode: 0o755 };
const FILE_OPTIONS: Deno.OpenOptions = { write: true, create: true, mode: 0o644 };

async function create(op: string, path: string, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    throw new Error(goErrorText(err, { op, path }), { cause: err });
  }
}

/** The fields of a hostPath volume source this file reads. */
export interface HostPathSource {
  readonly path: string;
  /** One of {@linkcode HOST_PATH_TYPES}. @default {""} */
  readonly type?: string;
}

/**
 * Sets up a hostPath volume and returns the host path to mount. Throws an `Error` with
 * upstream's message for a path with `..` or a failed type check.
 */
export async function setUpHostPath(source: HostPathSource): Promise<string> {
  if (source.path.split("/").includes("..")) {
    throw new Error(`invalid HostPath \`${source.path}\`: must not contain '..'`);
  }
  await checkHostPathType(source.path, source.type ?? "");
  return source.path;
}
