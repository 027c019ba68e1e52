/**
 * How the plugin runs `ip`, `nft` and `nsenter`: a {@linkcode CniCommandRunner} (the real one
 * is {@linkcode DenoCniCommandRunner}), injected so the plugin can be tested without the tools.
 * Unlike the node's command runner it can feed the command's stdin (`ip -batch -`, `nft -f -`).
 *
 * @module
 */

/** What a finished command printed and how it exited. */
export interface CniCommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options of {@linkcode CniCommandRunner.run}. */
export interface CniRunOptions {
  /** Written to the command's stdin, which is then closed (closed at once when absent). */
  readonly stdin?: string;
}

/** Runs commands to completion. */
export interface CniCommandRunner {
  /** Resolves with any exit code; rejects only when the command cannot be started. */
  run(argv: readonly string[], options?: CniRunOptions): Promise<CniCommandResult>;
}

/**
 * Directories added to `PATH` when missing: containerd may run plugins with a `PATH` that
 * lacks the sbin directories where Debian installs `ip` and `nft`.
 */
export const SBIN_DIRS: readonly string[] = Object.freeze([
  "/usr/local/sbin",
  "/usr/sbin",
  "/sbin",
]);

/** `path` with {@linkcode SBIN_DIRS} appended where missing. */
export function withSbinDirs(path: string): string {
  const dirs = path.split(":").filter((d) => d !== "");
  for (const dir of SBIN_DIRS) if (!dirs.includes(dir)) dirs.push(dir);
  return dirs.join(":");
}

/** Runs real commands with `Deno.Command`. */
export class DenoCniCommandRunner implements CniCommandRunner {
  readonly #env: Record<string, string>;

  /** `path`: the `PATH` commands are looked up in (sbin directories are added). */
  constructor(options: { readonly path?: string } = {}) {
    this.#env = { PATH: withSbinDirs(options.path ?? "/usr/local/bin:/usr/bin:/bin") };
  }

  async run(argv: readonly string[], options: CniRunOptions = {}): Promise<CniCommandResult> {
    const [cmd, ...args] = argv;
    if (cmd === undefined) throw new TypeError("Cannot run a command: the command is empty");
    let child: Deno.ChildProcess;
    try {
      child = new Deno.Command(cmd, {
        args,
        env: this.#env,
        stdin: options.stdin === undefined ? "null" : "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
    } catch (err) {
      throw new Error(`Cannot run "${cmd}"`, { cause: err });
    }
    if (options.stdin !== undefined) {
      const writer = child.stdin.getWriter();
      try {
        await writer.write(new TextEncoder().encode(options.stdin));
        await writer.close();
      } catch {
        // The command exited before reading everything; its exit status tells why.
      }
    }
    const out = await child.output();
    const decoder = new TextDecoder();
    return {
      code: out.code,
      stdout: decoder.decode(out.stdout),
      stderr: decoder.decode(out.stderr),
    };
  }
}
