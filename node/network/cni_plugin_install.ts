/**
 * {@linkcode installCniPlugin}: puts skiff's CNI plugin where containerd looks for plugins
 * (its CNI `bin_dir`), plus Debian's `loopback`, which containerd runs itself for `lo`.
 *
 * - From the compiled binary: `<binDir>/skiff` is a symlink to the binary itself
 *   (`Deno.execPath()`); with `CNI_COMMAND` set it acts as the plugin.
 * - From a checkout: `<binDir>/skiff` is a `#!/bin/sh` wrapper,
 *   `exec <deno> run -A --quiet <module URL> "$@"`, where the caller passes the URL of a
 *   module that dispatches on `CNI_COMMAND`: `cni/_main.ts` (loads only the plugin, ~60 ms
 *   and 40 MB an ADD) or skiff's `mod.ts` (loads everything first, ~350 ms and 115 MB).
 * - `<binDir>/loopback` is a symlink to `/usr/lib/cni/loopback`
 *   (Debian's `containernetworking-plugins`).
 *
 * Files are replaced atomically and only when they differ.
 *
 * @module
 */
import { writeFileAtomic } from "../../control/util/atomic_file.ts";
import { SKIFF_CNI_PLUGIN } from "./cni_config.ts";

/** Where Debian's `containernetworking-plugins` installs `loopback`. */
export const DEBIAN_LOOPBACK_PLUGIN = "/usr/lib/cni/loopback";

/** Options of {@linkcode installCniPlugin}. */
export interface InstallCniPluginOptions {
  /** containerd's CNI bin dir. */
  readonly binDir: string;
  /** The compiled skiff binary, or the `deno` executable when `moduleUrl` is given. */
  readonly executable: string;
  /** The module to run with `deno run` (a `file:` URL); absent for the compiled binary. */
  readonly moduleUrl?: string;
  /** Extra environment for the wrapper (e.g. `DENO_DIR`), exported before `exec`. */
  readonly env?: Readonly<Record<string, string>>;
  /** @default {DEBIAN_LOOPBACK_PLUGIN} */
  readonly loopback?: string;
}

/** What {@linkcode installCniPlugin} put in place. */
export interface InstallCniPluginResult {
  readonly pluginPath: string;
  readonly loopbackPath: string;
  /** Whether anything was written. */
  readonly changed: boolean;
}

function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/** The wrapper script running `moduleUrl` with `deno` in CNI mode. */
export function cniWrapperScript(
  options: {
    readonly deno: string;
    readonly moduleUrl: string;
    readonly env?: Readonly<Record<string, string>>;
  },
): string {
  if (!options.moduleUrl.startsWith("file:")) {
    throw new TypeError(`Invalid module URL "${options.moduleUrl}": must be a file: URL`);
  }
  const lines = [
    "#!/bin/sh",
    "# skiff's CNI plugin: skiff in CNI mode (CNI_COMMAND is set by the runtime).",
  ];
  for (const [key, value] of Object.entries(options.env ?? {})) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
      throw new TypeError(`Invalid environment variable name "${key}"`);
    }
    lines.push(`export ${key}=${shellQuote(value)}`);
  }
  lines.push(
    `exec ${shellQuote(options.deno)} run -A --quiet ${shellQuote(options.moduleUrl)} "$@"`,
  );
  return lines.join("\n") + "\n";
}

async function linkTarget(path: string): Promise<string | null> {
  try {
    return await Deno.readLink(path);
  } catch {
    return null;
  }
}

/** Points `path` at `target` (atomically: a new link renamed over the old one). */
async function ensureSymlink(path: string, target: string): Promise<boolean> {
  if ((await linkTarget(path)) === target) return false;
  const tmp = `${path}.tmp-${crypto.randomUUID().slice(0, 8)}`;
  await Deno.symlink(target, tmp);
  try {
    await Deno.rename(tmp, path);
  } catch (err) {
    await Deno.remove(tmp).catch(() => {});
    throw err;
  }
  return true;
}

async function ensureScript(path: string, text: string): Promise<boolean> {
  try {
    const info = await Deno.lstat(path);
    if (info.isFile && (info.mode ?? 0) & 0o100 && (await Deno.readTextFile(path)) === text) {
      return false;
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  await writeFileAtomic(path, { data: text, mode: 0o755 });
  return true;
}

/**
 * Installs the plugin and `loopback` into `options.binDir`.
 *
 * @throws {Error} when the loopback plugin is missing (install `containernetworking-plugins`).
 */
export async function installCniPlugin(
  options: InstallCniPluginOptions,
): Promise<InstallCniPluginResult> {
  const loopback = options.loopback ?? DEBIAN_LOOPBACK_PLUGIN;
  try {
    await Deno.stat(loopback);
  } catch (err) {
    throw new Error(
      `Cannot install the CNI plugins: "${loopback}" is missing (Debian package containernetworking-plugins)`,
      { cause: err },
    );
  }
  const pluginPath = `${options.binDir}/${SKIFF_CNI_PLUGIN}`;
  const loopbackPath = `${options.binDir}/loopback`;
  try {
    await Deno.mkdir(options.binDir, { recursive: true, mode: 0o755 });
    const plugin = options.moduleUrl === undefined
      ? await ensureSymlink(pluginPath, options.executable)
      : await ensureScript(
        pluginPath,
        cniWrapperScript({
          deno: options.executable,
          moduleUrl: options.moduleUrl,
          ...(options.env ? { env: options.env } : {}),
        }),
      );
    const lo = await ensureSymlink(loopbackPath, loopback);
    return { pluginPath, loopbackPath, changed: plugin || lo };
  } catch (err) {
    throw new Error(`Cannot install the CNI plugins into "${options.binDir}"`, { cause: err });
  }
}
