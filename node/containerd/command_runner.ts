/**
 * Running a command to completion as a dependency (`ctr`, `umount`…), so callers can be tested
 * without the real tools: {@linkcode CommandRunner} and the real {@linkcode DenoCommandRunner}.
 *
 * @module
 */

/** What a finished command printed and how it exited. */
export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options of {@linkcode CommandRunner.run}. */
export interface RunOptions {
  /** Kills the command (SIGKILL) when aborted; `run` then rejects with the reason. */
  readonly signal?: AbortSignal;
  /** What the command reads on stdin (e.g. an `nft -f -` transaction). @default {nothing: stdin closed} */
  readonly stdin?: string | Uint8Array;
}

/** Runs commands to completion. */
export interface CommandRunner {
  /**
   * Runs `argv[0]` with `argv.slice(1)`, stdin closed unless `options.stdin` is given. Resolves with any exit code; rejects only
   * when the command cannot be started or `options.signal` aborts.
   */
  run(argv: readonly string[], options?: RunOptions): Promise<CommandResult>;
}

/** Runs real commands with `Deno.Command`. */
export class DenoCommandRunner implements CommandRunner {
  async run(argv: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
    const [cmd, ...args] = argv;
    if (cmd === undefined) throw new TypeError("Cannot run a command: the command is empty");
    options.signal?.throwIfAborted();
    let out: Deno.CommandOutput;
    try {
      const command = new Deno.Command(cmd, {
        args,
        stdin: options.stdin === undefined ? "null" : "piped",
        stdout: "piped",
        stderr: "piped",
        ...(options.signal ? { signal: options.signal } : {}),
      });
      if (options.stdin === undefined) {
        out = await command.output();
      } else {
        const child = command.spawn();
        const input = typeof options.stdin === "string"
          ? new TextEncoder().encode(options.stdin)
          : options.stdin;
        const writer = child.stdin.getWriter();
        // A command that exits without reading all of stdin closes the pipe: its exit code
        // tells what happened, not the write error.
        await writer.write(input).catch(() => {});
        await writer.close().catch(() => {});
        out = await child.output();
      }
    } catch (err) {
      options.signal?.throwIfAborted();
      throw new Error(`Cannot run "${cmd}"`, { cause: err });
    }
    options.signal?.throwIfAborted();
    const decoder = new TextDecoder();
    return {
      code: out.code,
      stdout: decoder.decode(out.stdout),
      stderr: decoder.decode(out.stderr),
    };
  }
}
