/**
 * The benchmark's side of the JSON-lines protocol with a host process (`_controllers_host.ts`,
 * `_scheduler_host.ts`): commands written to its stdin one a line, events (`{"event": …}`) read
 * from its stdout, and `{"stop":true}` to end it.
 *
 * @module
 */
import { readLines } from "./_lines.ts";
import { awaitExit } from "./_server_process.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

/** A JSON object. */
export type Json = Record<string, unknown>;

/** How to start a host process. */
export interface HostSpawnOptions {
  /** V8 flags besides `--expose-gc` (comma-separated; "" for none). */
  readonly v8Flags: string;
  /** The host script's own arguments. */
  readonly args: readonly string[];
  readonly stderr: "piped" | "inherit";
}

/** Starts the host script `script` from the repository's root, its stdin and stdout piped. */
export function spawnHost(script: string, options: HostSpawnOptions): Deno.ChildProcess {
  const flags = [options.v8Flags, "--expose-gc"].filter((f) => f !== "").join(",");
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `--v8-flags=${flags}`, script, ...options.args],
    cwd: ROOT,
    stdin: "piped",
    stdout: "piped",
    stderr: options.stderr,
  }).spawn();
}

/** Commands to and events from a host process spawned with stdin and stdout piped. */
export class HostChannel {
  readonly #child: Deno.ChildProcess;
  readonly #noEvent: (event: string, timeoutMs: number) => string;
  readonly #waiting = new Map<string, (ev: Json) => void>();
  readonly #early = new Map<string, Json>();
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #reading: Promise<void>;

  /** `noEvent` words the error of an event that did not come in time. */
  constructor(
    child: Deno.ChildProcess,
    noEvent: (event: string, timeoutMs: number) => string,
  ) {
    this.#child = child;
    this.#noEvent = noEvent;
    this.#reading = (async () => {
      for await (const line of readLines(child.stdout)) {
        let ev: Json;
        try {
          ev = JSON.parse(line) as Json;
        } catch {
          continue;
        }
        const type = String(ev.event);
        const w = this.#waiting.get(type);
        if (w) {
          this.#waiting.delete(type);
          w(ev);
        } else this.#early.set(type, ev);
      }
    })();
    this.#writer = child.stdin.getWriter();
  }

  /** The next event of type `event` (or the last one already read), within `timeoutMs`. */
  next(event: string, timeoutMs: number): Promise<Json> {
    const got = this.#early.get(event);
    if (got) {
      this.#early.delete(event);
      return Promise.resolve(got);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(event);
        reject(new Error(this.#noEvent(event, timeoutMs)));
      }, timeoutMs);
      this.#waiting.set(event, (ev) => {
        clearTimeout(timer);
        resolve(ev);
      });
    });
  }

  /** Sends `cmd` and waits (60 s at most) for the answer of type `event`. */
  async command(cmd: Json, event: string): Promise<Json> {
    const answer = this.next(event, 60_000);
    await this.#writer.write(new TextEncoder().encode(JSON.stringify(cmd) + "\n"));
    return await answer;
  }

  /** Asks the host to stop; kills it if it has not exited within 15 s. */
  async stop(): Promise<void> {
    try {
      await this.#writer.write(new TextEncoder().encode('{"stop":true}\n'));
      await this.#writer.close();
    } catch {
      // gone
    }
    await awaitExit(this.#child, 15_000);
    await this.#reading.catch(() => {});
  }
}
