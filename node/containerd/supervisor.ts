/**
 * Runs containerd for the node agent. In "managed" mode {@linkcode ContainerdSupervisor} writes
 * skiff's containerd config, starts `containerd --config <file>` as a child, forwards its logs,
 * waits until its socket answers, restarts it with exponential backoff when it dies and stops it
 * on shutdown. In "external" mode (`--container-runtime-endpoint`) it starts nothing and only
 * waits for the given socket.
 *
 * @module
 */
import { dirname } from "node:path";
import { type Clock, systemClock } from "../../control/util/clock.ts";
import type { Logger } from "../../control/util/logger.ts";
import { writeFileAtomic } from "../../control/util/atomic_file.ts";
import { type ContainerdConfigOptions, renderContainerdConfig } from "./config.ts";
import {
  type ChildExit,
  DenoProcessSpawner,
  type ProcessSpawner,
  type SpawnedProcess,
} from "./process_spawner.ts";
import { type CommandRunner, DenoCommandRunner } from "./command_runner.ts";
import { readTextFileIfPresent } from "../../control/util/read_text_file_if_present.ts";
import { pidsWhere } from "./processes.ts";

/** How restarts back off: `initialMs`, doubling up to `maxMs`, back to `initialMs` after a long run. */
export interface ContainerdRestartBackoff {
  /** @default {1000} */
  readonly initialMs?: number;
  /** @default {30000} */
  readonly maxMs?: number;
  /** A child that ran at least this long restarts after `initialMs` again. @default {60000} */
  readonly resetAfterMs?: number;
}

/** Options of a supervisor that runs containerd itself. */
export interface ManagedContainerdOptions {
  readonly mode: "managed";
  /** Where the rendered config is written (only when its content changed). */
  readonly configPath: string;
  readonly config: ContainerdConfigOptions;
  /** @default {"containerd"} */
  readonly containerdPath?: string;
  /** Used for the readiness check (`ctr --address <socket> version`). @default {"ctr"} */
  readonly ctrPath?: string;
  /** A command containerd runs under, e.g. `["nsenter", "--net=/var/run/netns/n1"]` (it must exec). */
  readonly launcher?: readonly string[];
  /** Extra environment of the child. */
  readonly env?: Readonly<Record<string, string>>;
  /** How long {@linkcode ContainerdSupervisor.start} waits for the socket. @default {60000} */
  readonly readyTimeoutMs?: number;
  /** How long a stop waits after SIGTERM before SIGKILL. @default {10000} */
  readonly stopGraceMs?: number;
  readonly backoff?: ContainerdRestartBackoff;
}

/** Options of a supervisor that uses a container runtime started by someone else. */
export interface ExternalContainerdOptions {
  readonly mode: "external";
  /** `unix:///path/to/socket` (a bare absolute path is accepted too). */
  readonly endpoint: string;
  /** How long {@linkcode ContainerdSupervisor.start} waits for the socket. @default {60000} */
  readonly readyTimeoutMs?: number;
}

/** Options of {@linkcode ContainerdSupervisor}. */
export type ContainerdSupervisorOptions = ManagedContainerdOptions | ExternalContainerdOptions;

/** Whether a unix socket accepts a connection. */
export type SocketDialer = (path: string) => Promise<boolean>;

/** Dependencies of {@linkcode ContainerdSupervisor}. */
export interface ContainerdSupervisorDeps {
  readonly logger: Logger;
  /** @default {systemClock} */
  readonly clock?: Clock;
  /** @default {new DenoProcessSpawner()} */
  readonly spawner?: ProcessSpawner;
  /** Runs `ctr` for the readiness check. @default {new DenoCommandRunner()} */
  readonly runner?: CommandRunner;
  /** @default {a real connect to the unix socket} */
  readonly dialer?: SocketDialer;
  /**
   * The pids of running processes whose command line is `argv` exactly.
   * @default {a scan of /proc/<pid>/cmdline}
   */
  readonly findProcesses?: (argv: readonly string[]) => Promise<number[]>;
  /** Sends `signal` to `pid`; false when it is gone. @default {Deno.kill} */
  readonly signalProcess?: (pid: number, signal: Deno.Signal) => boolean;
}

/** Pids whose command line is `argv` exactly. */
function procProcesses(argv: readonly string[]): Promise<number[]> {
  return pidsWhere((found) =>
    found.length === argv.length && found.every((arg, i) => arg === argv[i])
  );
}

function signalPid(pid: number, signal: Deno.Signal): boolean {
  try {
    Deno.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

const DEFAULT_READY_TIMEOUT_MS = 60_000;
const DEFAULT_STOP_GRACE_MS = 10_000;
const POLL_INITIAL_MS = 50;
const POLL_MAX_MS = 1_000;
const CTR_TIMEOUT = "5s";
const LOG_TAIL_LINES = 40;

/**
 * The socket path of a `unix://` container runtime endpoint. Throws `TypeError` for other
 * schemes and relative paths.
 */
export function socketPathOfEndpoint(endpoint: string): string {
  const path = endpoint.startsWith("unix://") ? endpoint.slice("unix://".length) : endpoint;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(path) || !path.startsWith("/")) {
    throw new TypeError(
      `Cannot use container runtime endpoint "${endpoint}": expected unix:// and an absolute socket path`,
    );
  }
  return path;
}

async function dialUnix(path: string): Promise<boolean> {
  try {
    const conn = await Deno.connect({ transport: "unix", path });
    conn.close();
    return true;
  } catch {
    return false;
  }
}

async function removeIfPresent(path: string): Promise<void> {
  try {
    await Deno.remove(path);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

/** containerd's level names mapped to skiff's: its chatter at debug, its complaints at warn. */
function forwardLevel(level: unknown): "debug" | "warn" {
  return level === "warning" || level === "error" || level === "fatal" || level === "panic"
    ? "warn"
    : "debug";
}

/**
 * Writes containerd's config and keeps containerd running (or, in "external" mode, only waits
 * for an existing runtime's socket).
 *
 * @example Run skiff's containerd until shutdown
 * ```ts ignore
 * const layout = containerdLayout({ dataDir: "/var/lib/skiff" });
 * await using containerd = new ContainerdSupervisor({
 *   mode: "managed",
 *   configPath: layout.configPath,
 *   config: { ...layout, sandboxImage: "localhost/skiff/pause:1" },
 * }, { logger });
 * await containerd.start();
 * // … talk CRI to containerd.endpoint …
 * ```
 */
export class ContainerdSupervisor implements AsyncDisposable {
  readonly #options: ContainerdSupervisorOptions;
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #spawner: ProcessSpawner;
  readonly #runner: CommandRunner;
  readonly #dialer: SocketDialer;
  readonly #findProcesses: (argv: readonly string[]) => Promise<number[]>;
  readonly #signalProcess: (pid: number, signal: Deno.Signal) => boolean;
  readonly #socketPath: string;
  readonly #stop = new AbortController();
  readonly #logTail: string[] = [];
  #started = false;
  #spawned = false;
  #child: SpawnedProcess | undefined;
  #loop: Promise<void> | undefined;
  #restarts = 0;
  #stopping: Promise<void> | undefined;

  constructor(options: ContainerdSupervisorOptions, deps: ContainerdSupervisorDeps) {
    this.#options = options;
    this.#logger = deps.logger.with({ component: "containerd" });
    this.#clock = deps.clock ?? systemClock;
    this.#spawner = deps.spawner ?? new DenoProcessSpawner();
    this.#runner = deps.runner ?? new DenoCommandRunner();
    this.#dialer = deps.dialer ?? dialUnix;
    this.#findProcesses = deps.findProcesses ?? procProcesses;
    this.#signalProcess = deps.signalProcess ?? signalPid;
    this.#socketPath = options.mode === "managed"
      ? options.config.socketPath
      : socketPathOfEndpoint(options.endpoint);
    if (options.mode === "managed") renderContainerdConfig(options.config); // validate early
  }

  /** `"managed"` or `"external"`. */
  get mode(): ContainerdSupervisorOptions["mode"] {
    return this.#options.mode;
  }

  /** The CRI endpoint, `unix://<socket>`. */
  get endpoint(): string {
    return `unix://${this.#socketPath}`;
  }

  /** The gRPC socket path (what `ctr --address` takes). */
  get socketPath(): string {
    return this.#socketPath;
  }

  /** The running containerd's pid; undefined between restarts, after stop and in external mode. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** How many times containerd was restarted after it died. */
  get restarts(): number {
    return this.#restarts;
  }

  /** containerd's last output lines (for error messages). */
  get logTail(): readonly string[] {
    return [...this.#logTail];
  }

  /**
   * Managed: writes the config (if it changed), removes a stale socket, starts containerd and
   * keeps it running; resolves once its socket answers. External: resolves once the endpoint
   * accepts connections. Rejects after `readyTimeoutMs` (having stopped what it started), when
   * `containerd` cannot be started, or when `signal` aborts.
   */
  async start(signal?: AbortSignal): Promise<void> {
    if (this.#started) throw new Error(`Cannot start containerd at "${this.#socketPath}" twice`);
    this.#started = true;
    const options = this.#options;
    if (options.mode === "external") {
      this.#logger.info("Waiting for container runtime", { endpoint: this.endpoint });
      await this.#waitReady(options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS, signal);
      return;
    }
    this.#logger.info("Starting containerd", { socket: this.#socketPath });
    try {
      await this.#writeConfig(options);
      const child = await this.#spawn(options);
      this.#loop = this.#supervise(options, child);
      await this.#waitReady(options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS, signal);
    } catch (err) {
      await this.stop();
      throw err;
    }
    this.#logger.info("containerd is ready", { socket: this.#socketPath, pid: this.pid });
  }

  /**
   * Resolves once the socket answers (e.g. after a restart); rejects after `timeoutMs` or when
   * `signal` aborts or the supervisor stops.
   */
  ready(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return this.#waitReady(timeoutMs, signal);
  }

  /**
   * Stops containerd (SIGTERM, SIGKILL after the grace period), waits for it and removes its
   * sockets. Idempotent; in external mode it only ends waits.
   */
  stop(): Promise<void> {
    this.#stopping ??= this.#doStop();
    return this.#stopping;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  async #doStop(): Promise<void> {
    const wasRunning = this.#options.mode === "managed" && this.#started;
    if (wasRunning) this.#logger.info("Shutting down containerd", { socket: this.#socketPath });
    this.#stop.abort(new Error(`containerd at "${this.#socketPath}" is stopping`));
    const child = this.#child;
    if (child) await this.#terminate(child);
    await this.#loop;
    // Sockets are ours to remove only once containerd ran (never another process's).
    if (this.#spawned) await this.#removeSockets();
  }

  async #terminate(child: SpawnedProcess): Promise<void> {
    const graceMs = this.#options.mode === "managed"
      ? this.#options.stopGraceMs ?? DEFAULT_STOP_GRACE_MS
      : 0;
    child.kill("SIGTERM");
    const timer = new AbortController();
    const exited = await Promise.race([
      child.exited.then(() => true),
      this.#clock.sleep(graceMs, timer.signal).then(() => false, () => false),
    ]);
    timer.abort();
    if (!exited) {
      this.#logger.warn("containerd did not stop in time, killing it", {
        pid: child.pid,
        graceMs,
      });
      child.kill("SIGKILL");
      await child.exited;
    }
  }

  async #removeSockets(): Promise<void> {
    await removeIfPresent(this.#socketPath);
    await removeIfPresent(`${this.#socketPath}.ttrpc`);
  }

  async #writeConfig(options: ManagedContainerdOptions): Promise<void> {
    const text = renderContainerdConfig(options.config);
    const { config } = options;
    for (const dir of [config.cniBinDir, config.cniConfDir, dirname(config.socketPath)]) {
      await Deno.mkdir(dir, { recursive: true });
    }
    if (config.registryConfigPath !== undefined) {
      await Deno.mkdir(config.registryConfigPath, { recursive: true });
    }
    await Deno.mkdir(dirname(options.configPath), { recursive: true });
    if (await readTextFileIfPresent(options.configPath) === text) return;
    await writeFileAtomic(options.configPath, { data: text, mode: 0o600 });
    this.#logger.info("Wrote containerd config", { path: options.configPath });
  }

  /** Removes the sockets a dead containerd left; refuses a socket someone else serves. */
  /** Stops a containerd left running with `options`' config; false when there is none. */
  async #stopLeftover(options: ManagedContainerdOptions): Promise<boolean> {
    const argv = [options.containerdPath ?? "containerd", "--config", options.configPath];
    const find = this.#findProcesses;
    const signal = this.#signalProcess;
    const pids = await find(argv);
    if (pids.length === 0) return false;
    this.#logger.info("Stopping the containerd a previous agent left running", { pids });
    for (const pid of pids) signal(pid, "SIGTERM");
    const deadline = this.#clock.now() + (options.stopGraceMs ?? DEFAULT_STOP_GRACE_MS);
    let left = pids;
    while (left.length > 0 && this.#clock.now() < deadline) {
      await new Promise<void>((resolve) => this.#clock.setTimeout(resolve, POLL_INITIAL_MS));
      const running = new Set(await find(argv));
      left = left.filter((pid) => running.has(pid));
    }
    for (const pid of left) signal(pid, "SIGKILL");
    return true;
  }

  async #cleanStaleSocket(options: ManagedContainerdOptions): Promise<void> {
    if (!await exists(this.#socketPath)) {
      await removeIfPresent(`${this.#socketPath}.ttrpc`);
      return;
    }
    if (await this.#dialer(this.#socketPath)) {
      // An agent killed with SIGKILL leaves its containerd running (the containers outlive both
      // through their shims). One started with this very config is that one: replace it.
      if (!await this.#stopLeftover(options)) {
        throw new Error(
          `Cannot start containerd: socket "${this.#socketPath}" is already served by another process`,
        );
      }
    }
    this.#logger.debug("Removing stale containerd socket", { socket: this.#socketPath });
    await this.#removeSockets();
  }

  async #spawn(options: ManagedContainerdOptions): Promise<SpawnedProcess> {
    await this.#cleanStaleSocket(options);
    const argv = [
      ...(options.launcher ?? []),
      options.containerdPath ?? "containerd",
      "--config",
      options.configPath,
    ];
    let child: SpawnedProcess;
    try {
      child = this.#spawner.spawn(argv, options.env ? { env: options.env } : {});
    } catch (err) {
      throw new Error(`Cannot start containerd "${argv.join(" ")}"`, { cause: err });
    }
    this.#child = child;
    this.#spawned = true;
    this.#logger.debug("Started containerd", { pid: child.pid, argv });
    return child;
  }

  async #supervise(options: ManagedContainerdOptions, first: SpawnedProcess): Promise<void> {
    const initialMs = options.backoff?.initialMs ?? 1_000;
    const maxMs = options.backoff?.maxMs ?? 30_000;
    const resetAfterMs = options.backoff?.resetAfterMs ?? 60_000;
    let nextDelayMs = initialMs;
    let child: SpawnedProcess | undefined = first;
    let startedMs = this.#clock.now();
    for (;;) {
      let exit: ChildExit | undefined;
      let ranMs = 0;
      if (child) {
        const logs = this.#forward(child.output);
        exit = await child.exited;
        await logs;
        ranMs = this.#clock.now() - startedMs;
        if (this.#child === child) this.#child = undefined;
      }
      if (this.#stop.signal.aborted) return;
      if (ranMs >= resetAfterMs) nextDelayMs = initialMs;
      const delayMs = nextDelayMs;
      nextDelayMs = Math.min(nextDelayMs * 2, maxMs);
      if (exit) {
        this.#logger.warn("containerd exited, restarting it", {
          code: exit.code,
          signal: exit.signal,
          ranMs,
          delayMs,
        });
      }
      try {
        await this.#clock.sleep(delayMs, this.#stop.signal);
      } catch {
        return;
      }
      try {
        child = await this.#spawn(options);
        startedMs = this.#clock.now();
        this.#restarts++;
      } catch (err) {
        child = undefined;
        this.#logger.error("Cannot restart containerd", { err, socket: this.#socketPath });
      }
      if (this.#stop.signal.aborted && child) {
        // Stopped while spawning: stop() saw no child, so end this one here.
        await this.#terminate(child);
        await this.#forward(child.output);
        this.#child = undefined;
        return;
      }
    }
  }

  async #forward(output: ReadableStream<Uint8Array>): Promise<void> {
    let buffered = "";
    try {
      for await (const text of output.pipeThrough(new TextDecoderStream())) {
        buffered += text;
        let newline: number;
        while ((newline = buffered.indexOf("\n")) >= 0) {
          this.#logLine(buffered.slice(0, newline));
          buffered = buffered.slice(newline + 1);
        }
      }
    } catch (err) {
      this.#logger.debug("Stopped reading containerd output", { err });
    }
    if (buffered !== "") this.#logLine(buffered);
  }

  #logLine(line: string): void {
    if (line.trim() === "") return;
    this.#logTail.push(line);
    if (this.#logTail.length > LOG_TAIL_LINES) this.#logTail.shift();
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch {
      record = undefined;
    }
    if (typeof record !== "object" || record === null || Array.isArray(record)) {
      // The shims write logfmt (`time=… level=info msg=…`) whatever containerd's format is:
      // forward them at their own level, as containerd's lines (about 20 per pod start).
      const level = /(?:^|\s)level=("?)([a-z]+)\1(?:\s|$)/.exec(line)?.[2];
      this.#logger[level === undefined ? "warn" : forwardLevel(level)]("containerd output", {
        line,
      });
      return;
    }
    const { level, msg, time: _time, ...fields } = record as Record<string, unknown>;
    const to = forwardLevel(level);
    const extra = to === "warn" && level !== "warning" ? { containerdLevel: level } : {};
    this.#logger[to](typeof msg === "string" ? msg : "containerd output", { ...fields, ...extra });
  }

  /** One readiness probe: the socket accepts a connection, and (managed) `ctr version` works. */
  async #probe(signal: AbortSignal): Promise<string | undefined> {
    if (!await this.#dialer(this.#socketPath)) {
      return `socket "${this.#socketPath}" does not accept connections`;
    }
    const options = this.#options;
    if (options.mode === "external") return undefined;
    const result = await this.#runner.run([
      options.ctrPath ?? "ctr",
      "--address",
      this.#socketPath,
      "--timeout",
      CTR_TIMEOUT,
      "version",
    ], { signal });
    if (result.code === 0) return undefined;
    return `ctr version exited with ${result.code}: ${result.stderr.trim()}`;
  }

  async #waitReady(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const signals = [this.#stop.signal, ...(signal ? [signal] : [])];
    const abort = AbortSignal.any(signals);
    const deadlineMs = this.#clock.now() + timeoutMs;
    let pollMs = POLL_INITIAL_MS;
    let last = "no attempt yet";
    for (;;) {
      abort.throwIfAborted();
      try {
        const failure = await this.#probe(abort);
        if (failure === undefined) return;
        last = failure;
      } catch (err) {
        abort.throwIfAborted();
        last = err instanceof Error ? err.message : String(err);
      }
      const leftMs = deadlineMs - this.#clock.now();
      if (leftMs <= 0) {
        const tail = this.#logTail.slice(-5).join("\n");
        throw new Error(
          `Cannot reach containerd at "${this.#socketPath}" within ${timeoutMs} ms: ${last}` +
            (tail ? `; its last output:\n${tail}` : ""),
        );
      }
      await this.#clock.sleep(Math.min(pollMs, leftMs), abort);
      pollMs = Math.min(pollMs * 2, POLL_MAX_MS);
    }
  }
}
