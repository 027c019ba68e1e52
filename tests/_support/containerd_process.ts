/**
 * Runs a throwaway containerd for tests, through skiff's own {@linkcode ContainerdSupervisor}:
 * a fresh temp dir holding its config, root, state, socket and CNI dirs (never the system's
 * `/run/containerd`). Disposal removes every trace: tasks are killed, containerd is stopped,
 * containers runc still runs for it are force-deleted (its runc root is its own, under the
 * state dir), leftover shims of this instance are killed, whatever containerd mounted under the temp dir is
 * unmounted (`umount -R`) and the dir is removed. `containerd` and `ctr` come from PATH
 * (Debian's containerd, installed by `scripts/setup.sh`); a missing binary is an error, never a
 * skip. Needs root.
 *
 * @example
 * ```ts ignore
 * await using containerd = await startContainerd();
 * await containerd.ctr(["version"]);
 * // CRI over containerd.endpoint (unix://…)
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { JsonLogger, type Logger } from "../../control/util/logger.ts";
import { renderContainerdConfig } from "../../node/containerd/config.ts";
import type {
  ContainerdConfigOptions,
  ContainerdSnapshotter,
} from "../../node/containerd/config.ts";
import { ContainerdSupervisor } from "../../node/containerd/supervisor.ts";
import { CAP_SYS_RESOURCE, processHasCapability } from "../../node/containerd/capabilities.ts";
import { type CommandResult, DenoCommandRunner } from "../../node/containerd/command_runner.ts";
import { deleteRuncContainers, killShimsOf, unmountAll } from "./containerd_cleanup.ts";

/** A running containerd started by {@linkcode startContainerd}. */
export interface ContainerdProcess extends AsyncDisposable {
  /** The temp dir holding everything below. */
  readonly dir: string;
  /** The gRPC socket (`ctr --address`). */
  readonly socketPath: string;
  /** The CRI endpoint, `unix://<socketPath>`. */
  readonly endpoint: string;
  readonly configPath: string;
  readonly rootDir: string;
  readonly stateDir: string;
  /** containerd's CNI `bin_dir` (holds a `loopback` link to `/usr/lib/cni/loopback` if present). */
  readonly cniBinDir: string;
  /** containerd's CNI `conf_dir` (empty: the network is not ready until a test writes a conflist). */
  readonly cniConfDir: string;
  /**
   * runc's state root of this instance (`<stateDir>/runc`); `ctr run` needs
   * `--runc-root <runcRoot>` to use it instead of the host-wide `/run/containerd/runc`.
   */
  readonly runcRoot: string;
  /** The file containerd's forwarded log lines (JSON) go to. */
  readonly logFile: string;
  /** The supervisor (pid, restarts, ready()). */
  readonly supervisor: ContainerdSupervisor;
  /** Runs `ctr --address <socket> [-n namespace] …args`; throws on a non-zero exit. */
  ctr(args: readonly string[], options?: { readonly namespace?: string }): Promise<string>;
  /** The last lines of containerd's log, for failure messages. */
  logTail(lines?: number): Promise<string>;
  /** Stops and removes everything (see the module doc). Idempotent. */
  stop(): Promise<void>;
}

/** Options of {@linkcode startContainerd}. */
export interface StartContainerdOptions {
  /** @default {"localhost/skiff/pause:1"} */
  readonly sandboxImage?: string;
  /** @default {"overlayfs"} */
  readonly snapshotter?: ContainerdSnapshotter;
  /** @default {true}: netns under the temp state dir, so cleanup finds them. */
  readonly netnsMountsUnderStateDir?: boolean;
  /** Runs containerd under a command that execs it, e.g. `["nsenter", "--net=/var/run/netns/n1"]`. */
  readonly launcher?: readonly string[];
  /** Where the supervisor's and containerd's logs go. @default {a JSON logger into `logFile`} */
  readonly logger?: Logger;
  /** Overrides of the rendered config (paths stay the helper's unless given). */
  readonly config?: Partial<ContainerdConfigOptions>;
  /** @default {30000} */
  readonly readyTimeoutMs?: number;
  /** Restart backoff (tests of restarts want it short). */
  readonly backoff?: { readonly initialMs?: number; readonly maxMs?: number };
}

const SYSTEM_LOOPBACK = "/usr/lib/cni/loopback";
const runner = new DenoCommandRunner();

async function requireBinary(name: string): Promise<void> {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    if (dir === "") continue;
    try {
      const info = await Deno.stat(join(dir, name));
      if (info.isFile) return;
    } catch {
      // keep looking
    }
  }
  throw new Error(
    `Cannot start containerd: no "${name}" binary on PATH, run scripts/setup.sh to install it`,
  );
}

class TestContainerd implements ContainerdProcess {
  readonly dir: string;
  readonly socketPath: string;
  readonly endpoint: string;
  readonly configPath: string;
  readonly rootDir: string;
  readonly stateDir: string;
  readonly cniBinDir: string;
  readonly cniConfDir: string;
  readonly logFile: string;
  readonly runcRoot: string;
  readonly supervisor: ContainerdSupervisor;
  #logHandle: Deno.FsFile | undefined;
  #stopping: Promise<void> | undefined;

  constructor(
    dir: string,
    config: ContainerdConfigOptions,
    supervisor: ContainerdSupervisor,
    logHandle: Deno.FsFile | undefined,
  ) {
    this.dir = dir;
    this.socketPath = config.socketPath;
    this.endpoint = supervisor.endpoint;
    this.configPath = join(dir, "config.toml");
    this.rootDir = config.rootDir;
    this.stateDir = config.stateDir;
    this.cniBinDir = config.cniBinDir;
    this.cniConfDir = config.cniConfDir;
    this.logFile = join(dir, "containerd.log");
    this.supervisor = supervisor;
    this.#logHandle = logHandle;
    this.runcRoot = config.runcRoot ?? join(config.stateDir, "runc");
  }

  async ctr(args: readonly string[], options: { namespace?: string } = {}): Promise<string> {
    const ns = options.namespace ? ["-n", options.namespace] : [];
    const r: CommandResult = await runner.run([
      "ctr",
      "--address",
      this.socketPath,
      ...ns,
      ...args,
    ]);
    if (r.code !== 0) {
      throw new Error(
        `Cannot run "ctr ${[...ns, ...args].join(" ")}" against "${this.socketPath}": ` +
          `exit ${r.code}: ${r.stderr.trim()}`,
      );
    }
    return r.stdout;
  }

  async logTail(lines = 40): Promise<string> {
    try {
      return (await Deno.readTextFile(this.logFile)).split("\n").slice(-lines - 1).join("\n");
    } catch {
      return this.supervisor.logTail.slice(-lines).join("\n");
    }
  }

  stop(): Promise<void> {
    this.#stopping ??= this.#cleanup();
    return this.#stopping;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  /** Kills and deletes every task, so shims exit and rootfs mounts go away. */
  async #killTasks(): Promise<void> {
    if (this.supervisor.pid === undefined) return;
    const base = ["ctr", "--address", this.socketPath, "--timeout", "10s"];
    const nss = await runner.run([...base, "namespaces", "ls", "-q"]);
    if (nss.code !== 0) return;
    for (const ns of nss.stdout.split("\n").filter((s) => s !== "")) {
      const tasks = await runner.run([...base, "-n", ns, "tasks", "ls", "-q"]);
      if (tasks.code !== 0) continue;
      for (const id of tasks.stdout.split("\n").filter((s) => s !== "")) {
        await runner.run([...base, "-n", ns, "tasks", "delete", "--force", id]);
      }
    }
  }

  async #cleanup(): Promise<void> {
    const errors: unknown[] = [];
    async function step(fn: () => Promise<void>): Promise<void> {
      try {
        await fn();
      } catch (err) {
        errors.push(err);
      }
    }
    await step(() => this.#killTasks());
    await step(() => this.supervisor.stop());
    await step(() => deleteRuncContainers(this.runcRoot));
    await step(() => killShimsOf(this.socketPath));
    await step(() => unmountAll(this.dir));
    this.#logHandle?.close();
    this.#logHandle = undefined;
    await step(() => Deno.remove(this.dir, { recursive: true }));
    if (errors.length > 0) {
      throw new AggregateError(errors, `Cannot fully clean up containerd in "${this.dir}"`);
    }
  }
}

/**
 * Starts containerd in a fresh temp dir and resolves once `ctr version` answers. Throws (after
 * cleaning up) when containerd or ctr is missing, or containerd does not come up.
 */
export async function startContainerd(
  options: StartContainerdOptions = {},
): Promise<ContainerdProcess> {
  await requireBinary("containerd");
  await requireBinary("ctr");
  await requireBinary("runc");
  const dir = await Deno.makeTempDir({ prefix: "skiff-ctd-" });
  const logFile = join(dir, "containerd.log");
  let logHandle: Deno.FsFile | undefined;
  let logger = options.logger;
  if (!logger) {
    logHandle = await Deno.open(logFile, { create: true, append: true });
    logger = new JsonLogger({ level: "debug", writer: logHandle });
  }
  const config: ContainerdConfigOptions = {
    rootDir: join(dir, "root"),
    stateDir: join(dir, "state"),
    socketPath: join(dir, "containerd.sock"),
    cniBinDir: join(dir, "cni", "bin"),
    cniConfDir: join(dir, "cni", "net.d"),
    registryConfigPath: join(dir, "certs.d"),
    sandboxImage: options.sandboxImage ?? "localhost/skiff/pause:1",
    snapshotter: options.snapshotter ?? "overlayfs",
    netnsMountsUnderStateDir: options.netnsMountsUnderStateDir ?? true,
    restrictOomScoreAdj: !await processHasCapability(CAP_SYS_RESOURCE),
    logLevel: "info",
    ...options.config,
  };
  renderContainerdConfig(config); // fail on a bad override before anything starts
  const supervisor = new ContainerdSupervisor({
    mode: "managed",
    configPath: join(dir, "config.toml"),
    config,
    readyTimeoutMs: options.readyTimeoutMs ?? 30_000,
    stopGraceMs: 10_000,
    ...(options.launcher ? { launcher: options.launcher } : {}),
    ...(options.backoff ? { backoff: options.backoff } : {}),
  }, { logger });
  const containerd = new TestContainerd(dir, config, supervisor, logHandle);
  try {
    await Deno.mkdir(config.cniBinDir, { recursive: true });
    try {
      await Deno.stat(SYSTEM_LOOPBACK);
      await Deno.symlink(SYSTEM_LOOPBACK, join(config.cniBinDir, "loopback"));
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
    await supervisor.start();
  } catch (err) {
    const tail = await containerd.logTail(20);
    await containerd.stop().catch(() => {});
    throw new Error(`Cannot start containerd in "${dir}"; its log ends:\n${tail}`, { cause: err });
  }
  return containerd;
}
