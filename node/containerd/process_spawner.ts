/**
 * Starting long-running child processes as a dependency, so a supervisor can be tested with
 * fake processes: {@linkcode ProcessSpawner} and the real {@linkcode DenoProcessSpawner}.
 *
 * @module
 */

/** How a child process ended. */
export interface ChildExit {
  /** The exit code (128 + n when killed by signal n, as a shell reports it). */
  readonly code: number;
  /** The signal that killed it, if one did. */
  readonly signal: Deno.Signal | null;
}

/** A running child process. */
export interface SpawnedProcess {
  readonly pid: number;
  /** The child's stderr (its stdout is merged into the same stream by the spawner). */
  readonly output: ReadableStream<Uint8Array>;
  /** Resolves once the child has exited. */
  readonly exited: Promise<ChildExit>;
  /** Sends `signal`; a child that has exited already is not an error. */
  kill(signal: Deno.Signal): void;
}

/** What to start. */
export interface SpawnOptions {
  /** Extra environment variables (the rest is inherited). */
  readonly env?: Readonly<Record<string, string>>;
}

/** Starts child processes. */
export interface ProcessSpawner {
  /** Starts `argv[0]` with `argv.slice(1)`; throws when it cannot be started. */
  spawn(argv: readonly string[], options?: SpawnOptions): SpawnedProcess;
}

function merge(
  a: ReadableStream<Uint8Array>,
  b: ReadableStream<Uint8Array>,
): ReadableStream<Uint8Array> {
  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
  const writer = writable.getWriter();
  async function pump(stream: ReadableStream<Uint8Array>): Promise<void> {
    for await (const chunk of stream) await writer.write(chunk);
  }
  Promise.allSettled([pump(a), pump(b)]).then(() => writer.close()).catch(() => {});
  return readable;
}

/** Starts real processes with `Deno.Command`; stdin is closed, stdout and stderr are piped. */
export class DenoProcessSpawner implements ProcessSpawner {
  spawn(argv: readonly string[], options: SpawnOptions = {}): SpawnedProcess {
    const [cmd, ...args] = argv;
    if (cmd === undefined) throw new TypeError("Cannot start a process: the command is empty");
    let child: Deno.ChildProcess;
    try {
      child = new Deno.Command(cmd, {
        args,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
        ...(options.env ? { env: { ...options.env } } : {}),
      }).spawn();
    } catch (err) {
      throw new Error(`Cannot start "${cmd}"`, { cause: err });
    }
    return {
      pid: child.pid,
      output: merge(child.stdout, child.stderr),
      exited: child.status.then((s) => ({ code: s.code, signal: s.signal })),
      kill(signal: Deno.Signal): void {
        try {
          child.kill(signal);
        } catch (err) {
          // An exited child cannot be signalled.
          if (!(err instanceof TypeError)) throw err;
        }
      },
    };
  }
}
