/**
 * Runs the real kubectl binaries 1.27–1.33 in end-to-end tests. They are installed side by
 * side as `kubectl.1.27` … `kubectl.1.33` in the directory of the real `kubectl` binary (the
 * `kubectl` on PATH is a dispatcher that picks one by the server's version: tests never use
 * it). A missing binary is an error, never a skip.
 *
 * Every {@linkcode Kubectl} has its own HOME and `--cache-dir`, so versions never share
 * discovery or HTTP caches, and nothing of the user's `~/.kube` is read.
 *
 * @module
 */
import { dirname, join } from "node:path";

/** The kubectl minor versions skiff supports, oldest first. */
export const KUBECTL_VERSIONS = ["1.27", "1.28", "1.29", "1.30", "1.31", "1.32", "1.33"] as const;

/** One of {@linkcode KUBECTL_VERSIONS}. */
export type KubectlVersion = typeof KUBECTL_VERSIONS[number];

const DEFAULT_TIMEOUT_MS = 60_000;

/** What one kubectl run printed and returned. */
export interface KubectlResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options of {@linkcode Kubectl.run}. */
export interface KubectlRunOptions {
  /** Written to kubectl's stdin, which is then closed (`-f -`). */
  readonly stdin?: string;
  /** More environment variables (e.g. `KUBE_EDITOR`). */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Kills kubectl after this long and fails.
   * @default {60000}
   */
  readonly timeoutMs?: number;
}

/** Options of {@linkcode Kubectl}. */
export interface KubectlOptions {
  /** The kubeconfig every run uses (`--kubeconfig`). */
  readonly kubeconfig: string;
  /** A directory of this kubectl's own: HOME and the discovery cache live under it. */
  readonly homeDir: string;
}

function isExecutableFile(info: Deno.FileInfo): boolean {
  return info.isFile && ((info.mode ?? 0o111) & 0o111) !== 0;
}

/** The directory holding `kubectl.1.27` … `kubectl.1.33`: that of the real `kubectl` binary. */
export async function kubectlDirectory(): Promise<string> {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    if (dir === "") continue;
    const candidate = join(dir, "kubectl");
    try {
      if (isExecutableFile(await Deno.stat(candidate))) {
        return dirname(await Deno.realPath(candidate));
      }
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound || err instanceof Deno.errors.PermissionDenied)) {
        throw err;
      }
    }
  }
  throw new Error(
    'Cannot find kubectl: no "kubectl" on PATH; CI machines have kubectl 1.27–1.33 installed ' +
      "as kubectl.1.27 … kubectl.1.33 next to it",
  );
}

/** The path of `kubectl.<version>`; throws when it is not installed. */
export async function kubectlBinary(version: KubectlVersion): Promise<string> {
  const path = join(await kubectlDirectory(), `kubectl.${version}`);
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (err) {
    throw new Error(`Cannot find kubectl ${version}: "${path}" does not exist`, { cause: err });
  }
  if (!isExecutableFile(info)) {
    throw new Error(`Cannot run kubectl ${version}: "${path}" is not an executable file`);
  }
  return path;
}

/** A kubectl started in the background by {@linkcode Kubectl.spawn} (`get -w`, `wait`). */
export class KubectlProcess implements AsyncDisposable {
  readonly #child: Deno.ChildProcess;
  readonly #args: readonly string[];
  #stdout = "";
  #stderr = "";
  #changed: (() => void) | null = null;
  #status: Deno.CommandStatus | null = null;
  readonly #done: Promise<KubectlResult>;

  constructor(child: Deno.ChildProcess, args: readonly string[]) {
    this.#child = child;
    this.#args = args;
    const pumps = Promise.all([
      this.#pump(child.stdout, (s) => this.#stdout += s),
      this.#pump(child.stderr, (s) => this.#stderr += s),
    ]);
    this.#done = (async () => {
      const status = await child.status;
      await pumps;
      this.#status = status;
      this.#changed?.();
      return { code: status.code, stdout: this.#stdout, stderr: this.#stderr };
    })();
  }

  async #pump(stream: ReadableStream<Uint8Array>, add: (s: string) => void): Promise<void> {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      add(chunk);
      this.#changed?.();
    }
  }

  /** What it printed on stdout so far. */
  get stdout(): string {
    return this.#stdout;
  }

  /** Waits until stdout matches `pattern`; fails when kubectl exits first or after `timeoutMs`. */
  waitForOutput(pattern: RegExp, timeoutMs = 20_000): Promise<string> {
    return this.#waitFor({ name: "stdout", text: () => this.#stdout }, { pattern, timeoutMs });
  }

  /**
   * Waits until stderr matches `pattern` (with `-v=6`, kubectl logs each request there once its
   * response headers arrive); fails when kubectl exits first or after `timeoutMs`.
   */
  waitForStderr(pattern: RegExp, timeoutMs = 20_000): Promise<string> {
    return this.#waitFor({ name: "stderr", text: () => this.#stderr }, { pattern, timeoutMs });
  }

  async #waitFor(
    stream: { name: string; text: () => string },
    o: { pattern: RegExp; timeoutMs: number },
  ): Promise<string> {
    const deadline = performance.now() + o.timeoutMs;
    for (;;) {
      if (o.pattern.test(stream.text())) return stream.text();
      const left = deadline - performance.now();
      if (this.#status !== null || left <= 0) {
        throw new Error(
          `kubectl ${this.#args.join(" ")} ${
            this.#status ? `exited with ${this.#status.code}` : `ran ${o.timeoutMs} ms`
          } without printing ${o.pattern} on ${stream.name}; stdout:\n${this.#stdout}\n` +
            `stderr:\n${this.#stderr}`,
        );
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#changed = resolve;
        timer = setTimeout(resolve, Math.min(left, 500));
      });
      clearTimeout(timer);
      this.#changed = null;
    }
  }

  /** Waits for kubectl to exit by itself; kills it and fails after `timeoutMs`. */
  async finished(timeoutMs = 30_000): Promise<KubectlResult> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<null>((resolve) =>
      timer = setTimeout(() => resolve(null), timeoutMs)
    );
    const result = await Promise.race([this.#done, timedOut]);
    clearTimeout(timer);
    if (result !== null) return result;
    await this.stop();
    throw new Error(
      `kubectl ${
        this.#args.join(" ")
      } did not exit within ${timeoutMs} ms; stdout:\n${this.#stdout}` +
        `\nstderr:\n${this.#stderr}`,
    );
  }

  /** Kills kubectl (SIGTERM) if it still runs and waits for it. */
  async stop(): Promise<KubectlResult> {
    if (this.#status === null) {
      try {
        this.#child.kill("SIGTERM");
      } catch (err) {
        if (!(err instanceof TypeError)) throw err; // already exited
      }
    }
    return await this.#done;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}

/**
 * One kubectl version pointed at one kubeconfig.
 *
 * @example List deployments with kubectl 1.30
 * ```ts ignore
 * const kubectl = new Kubectl("1.30", { kubeconfig: server.kubeconfig, homeDir });
 * const { code, stdout } = await kubectl.run(["get", "deployments"]);
 * ```
 */
export class Kubectl {
  readonly version: KubectlVersion;
  readonly #o: KubectlOptions;
  #binary: Promise<string> | null = null;

  constructor(version: KubectlVersion, options: KubectlOptions) {
    this.version = version;
    this.#o = options;
  }

  /** The minor version as a number (27 for "1.27"). */
  get minor(): number {
    return Number(this.version.split(".")[1]);
  }

  #command(args: readonly string[], options: KubectlRunOptions): Promise<Deno.Command> {
    this.#binary ??= kubectlBinary(this.version);
    return this.#binary.then((binary) =>
      new Deno.Command(binary, {
        args: [
          `--kubeconfig=${this.#o.kubeconfig}`,
          `--cache-dir=${join(this.#o.homeDir, ".kube", "cache")}`,
          ...args,
        ],
        env: {
          HOME: this.#o.homeDir,
          NO_COLOR: "1",
          KUBECONFIG: this.#o.kubeconfig,
          ...options.env,
        },
        stdin: options.stdin === undefined ? "null" : "piped",
        stdout: "piped",
        stderr: "piped",
      })
    );
  }

  /** Runs kubectl with `args` to the end. */
  async run(args: readonly string[], options: KubectlRunOptions = {}): Promise<KubectlResult> {
    const child = (await this.#command(args, options)).spawn();
    if (options.stdin !== undefined) {
      const writer = child.stdin.getWriter();
      await writer.write(new TextEncoder().encode(options.stdin));
      await writer.close();
    }
    const process = new KubectlProcess(child, args);
    return await process.finished(options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  }

  /** Starts kubectl with `args` in the background. */
  async spawn(args: readonly string[], options: KubectlRunOptions = {}): Promise<KubectlProcess> {
    const child = (await this.#command(args, options)).spawn();
    if (options.stdin !== undefined) {
      const writer = child.stdin.getWriter();
      await writer.write(new TextEncoder().encode(options.stdin));
      await writer.close();
    }
    return new KubectlProcess(child, args);
  }
}
