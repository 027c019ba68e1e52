/**
 * Runs the real `skiff agent` command line for end-to-end tests (`deno run -A mod.ts agent …`
 * from the repository root), as root, with a fresh data directory of its own: its containerd,
 * images and credential live there. Stopping it also removes what the agent leaves running on
 * purpose (containers, shims, mounts) and the directory. With `netns`, the agent (and its
 * containerd and pods) runs inside a network namespace the test made: another "host" of a
 * multi-node test.
 *
 * @module
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { removeAgentLeftovers } from "./containerd_cleanup.ts";
import { terminate } from "./terminate.ts";
import { keepLastLines } from "./log_tail.ts";
import { netnsPath, nodeNetworkArgs } from "./netns.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const STOP_GRACE_MS = 15_000;
const LOG_LINES_KEPT = 400;

/** Options of {@linkcode startTestAgent}. */
export interface StartTestAgentOptions {
  /** `--server`. */
  readonly server: string;
  /** `--token`; omitted when unset. */
  readonly token?: string;
  readonly nodeName: string;
  /** More flags. */
  readonly args?: readonly string[];
  /** Reuse this data dir (a restart); a fresh one otherwise. */
  readonly dataDir?: string;
  /**
   * Run the agent in this network namespace (as `ip netns add` names it) with
   * `nsenter --net`; the test makes it, links it to the server's, and removes it after the
   * agent stops.
   */
  readonly netns?: string;
  /** `--node-ip`: the node's address on the links the test made. */
  readonly nodeIp?: string;
}

/** A `skiff agent` process. */
export interface TestAgent extends AsyncDisposable {
  readonly dataDir: string;
  /** Resolves with the exit code when the process exits. */
  readonly exited: Promise<number>;
  logTail(lines?: number): string;
  /** Whether a log line's `msg` is `message`. */
  logged(message: string): boolean;
  /** SIGTERM, then SIGKILL after a grace period; keeps the data dir. */
  halt(): Promise<void>;
  /** Halts, then removes the agent's leftovers and its data dir (unless it was given). */
  stop(): Promise<void>;
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

class SkiffAgentProcess implements TestAgent {
  readonly dataDir: string;
  readonly exited: Promise<number>;
  readonly #child: Deno.ChildProcess;
  readonly #lines: string[] = [];
  readonly #pump: Promise<void>;
  readonly #ownsDir: boolean;
  #stopped = false;

  constructor(options: StartTestAgentOptions, dataDir: string, ownsDir: boolean) {
    this.dataDir = dataDir;
    this.#ownsDir = ownsDir;
    const argv = [
      ...(options.netns ? ["nsenter", `--net=${netnsPath(options.netns)}`] : []),
      Deno.execPath(),
      "run",
      "-A",
      "mod.ts",
      "agent",
      "--server",
      options.server,
      "--data-dir",
      dataDir,
      "--node-name",
      options.nodeName,
      ...(options.token === undefined ? [] : ["--token", options.token]),
      // Agents of tests side by side on this machine never share the kubelet port.
      ...((options.args ?? []).some((a) => a.startsWith("--kubelet-port"))
        ? []
        : ["--kubelet-port", String(freePort())]),
      ...(options.nodeIp === undefined ? [] : ["--node-ip", options.nodeIp]),
      ...nodeNetworkArgs(options.netns !== undefined, options.args ?? []),
      ...(options.args ?? []),
    ];
    this.#child = new Deno.Command(argv[0]!, {
      args: argv.slice(1),
      cwd: ROOT,
      env: { NO_COLOR: "1" },
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    this.#pump = keepLastLines(this.#child.stderr, { lines: this.#lines, max: LOG_LINES_KEPT })
      .catch(() => {});
    this.exited = this.#child.status.then((s) => s.code);
  }

  logTail(lines = 60): string {
    return this.#lines.slice(-lines).join("\n");
  }

  logged(message: string): boolean {
    return this.#lines.some((line) => {
      try {
        return (JSON.parse(line) as { msg?: unknown }).msg === message;
      } catch {
        return false;
      }
    });
  }

  async halt(): Promise<void> {
    if (!await terminate(this.#child, STOP_GRACE_MS)) {
      try {
        this.#child.kill("SIGKILL");
      } catch { /* exited */ }
      await this.#child.status;
    }
    await this.#pump;
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    await this.halt();
    await removeAgentLeftovers(this.dataDir);
    if (this.#ownsDir) await Deno.remove(join(this.dataDir, ".."), { recursive: true });
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }
}

/** Starts `skiff agent` (see the module doc); it does not wait for anything. */
export async function startTestAgent(options: StartTestAgentOptions): Promise<TestAgent> {
  if (options.dataDir !== undefined) {
    return new SkiffAgentProcess(options, options.dataDir, false);
  }
  const temp = await Deno.makeTempDir({ prefix: "skiff-agent-e2e-" });
  return new SkiffAgentProcess(options, join(temp, "data"), true);
}
