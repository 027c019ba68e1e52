/**
 * Runs a throwaway etcd server for tests: a fresh temp data dir, free 127.0.0.1 ports, logs in a
 * file, and a health check before it is handed out. The `etcd` binary comes from PATH (Debian's
 * etcd-server, installed by `scripts/setup.sh`); a missing binary is an error, never a skip.
 *
 * @module
 */
import { join } from "node:path";
import { terminate } from "./terminate.ts";

/** A running etcd server started by {@linkcode startEtcd}. */
export interface EtcdProcess extends AsyncDisposable {
  /** The client URL, `http://127.0.0.1:<port>`. */
  readonly endpoint: string;
  /** The client port of {@linkcode EtcdProcess.endpoint}. */
  readonly clientPort: number;
  /** etcd's data directory (inside a temp dir that {@linkcode EtcdProcess.stop} removes). */
  readonly dataDir: string;
  /** The file etcd logs to. */
  readonly logFile: string;
  /** The running etcd's process id (for /proc measurements). */
  readonly pid: number;
  /** Stops etcd (SIGTERM, then SIGKILL), waits for it and removes the temp dir. Idempotent. */
  stop(): Promise<void>;
  /** Kills etcd with SIGKILL and waits for it; the data dir stays for {@linkcode EtcdProcess.restart}. */
  kill9(): Promise<void>;
  /** Starts etcd again on the same data dir and ports after {@linkcode EtcdProcess.kill9}. */
  restart(): Promise<void>;
  /** The last lines of etcd's log, for failure messages. */
  logTail(lines?: number): Promise<string>;
}

/** Options of {@linkcode startEtcd}. */
export interface StartEtcdOptions {
  /**
   * How long to wait for etcd to answer its health check.
   * @default {20000}
   */
  readonly readyTimeoutMs?: number;
}

const ETCD_BINARY = "etcd";
const STOP_GRACE_MS = 10_000;
const POLL_MS = 50;
/** Objects up to 1.5 MiB plus the request's own overhead. */
const MAX_REQUEST_BYTES = 3 * 1024 * 1024;
/** Enough for the tests' 1.5 MiB values and their history, far below etcd's 8 GiB ceiling. */
const QUOTA_BACKEND_BYTES = 2 * 1024 * 1024 * 1024;

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function findEtcdBinary(): Promise<string> {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    if (dir === "") continue;
    const candidate = join(dir, ETCD_BINARY);
    try {
      const info = await Deno.stat(candidate);
      if (info.isFile && ((info.mode ?? 0o111) & 0o111) !== 0) return candidate;
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound || err instanceof Deno.errors.PermissionDenied)) {
        throw err;
      }
    }
  }
  throw new Error(
    `Cannot start etcd: no "${ETCD_BINARY}" binary on PATH, run scripts/setup.sh to install it`,
  );
}

/** Two distinct free ports: both listeners stay open until both ports are known. */
function freePorts(): [number, number] {
  const a = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const b = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    try {
      return [(a.addr as Deno.NetAddr).port, (b.addr as Deno.NetAddr).port];
    } finally {
      b.close();
    }
  } finally {
    a.close();
  }
}

async function tailOf(path: string, lines: number): Promise<string> {
  try {
    const text = await Deno.readTextFile(path);
    return text.split("\n").slice(-lines - 1).join("\n");
  } catch (err) {
    return `(no log: ${err instanceof Error ? err.message : String(err)})`;
  }
}

async function isHealthy(endpoint: string): Promise<boolean> {
  try {
    const res = await fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(1000) });
    const body = await res.text();
    return res.ok && /"health"\s*:\s*"true"/.test(body);
  } catch {
    return false;
  }
}

class EtcdServer implements EtcdProcess {
  readonly endpoint: string;
  readonly clientPort: number;
  readonly dataDir: string;
  readonly logFile: string;
  #binary: string;
  #tempDir: string;
  #peerPort: number;
  #readyTimeoutMs: number;
  #child: Deno.ChildProcess | null = null;

  get pid(): number {
    if (!this.#child) {
      throw new Error(`Cannot read the pid of etcd at ${this.endpoint}: it is not running`);
    }
    return this.#child.pid;
  }
  #logPipe: Promise<void> | null = null;
  #removed = false;

  constructor(binary: string, tempDir: string, ports: [number, number], readyTimeoutMs: number) {
    this.#binary = binary;
    this.#tempDir = tempDir;
    [this.clientPort, this.#peerPort] = ports;
    this.#readyTimeoutMs = readyTimeoutMs;
    this.endpoint = `http://127.0.0.1:${this.clientPort}`;
    this.dataDir = join(tempDir, "data");
    this.logFile = join(tempDir, "etcd.log");
  }

  #args(): string[] {
    const peer = `http://127.0.0.1:${this.#peerPort}`;
    return [
      "--name=skiff-test",
      `--data-dir=${this.dataDir}`,
      `--listen-client-urls=${this.endpoint}`,
      `--advertise-client-urls=${this.endpoint}`,
      `--listen-peer-urls=${peer}`,
      `--initial-advertise-peer-urls=${peer}`,
      `--initial-cluster=skiff-test=${peer}`,
      "--initial-cluster-state=new",
      `--max-request-bytes=${MAX_REQUEST_BYTES}`,
      `--quota-backend-bytes=${QUOTA_BACKEND_BYTES}`,
      "--logger=zap",
      "--log-outputs=stderr",
    ];
  }

  /** Starts the process and waits for its health check; false when it exited early. */
  async start(): Promise<boolean> {
    const env: Record<string, string> = {};
    // etcd 3.4 refuses to start on arm64 unless told the architecture is accepted.
    if (Deno.build.arch === "aarch64") env.ETCD_UNSUPPORTED_ARCH = "arm64";
    const log = await Deno.open(this.logFile, { create: true, append: true });
    let child: Deno.ChildProcess;
    try {
      child = new Deno.Command(this.#binary, {
        args: this.#args(),
        env,
        stdin: "null",
        stdout: "null",
        stderr: "piped",
      }).spawn();
    } catch (err) {
      log.close();
      throw new Error(`Cannot start etcd: cannot run "${this.#binary}"`, { cause: err });
    }
    this.#child = child;
    this.#logPipe = child.stderr.pipeTo(log.writable).catch(() => {});
    let exited = false;
    const status = child.status.then(() => {
      exited = true;
    });
    const deadline = performance.now() + this.#readyTimeoutMs;
    while (performance.now() < deadline) {
      if (exited) {
        await status;
        await this.#reap();
        return false;
      }
      if (await isHealthy(this.endpoint)) return true;
      await delay(POLL_MS);
    }
    await this.#kill("SIGKILL");
    throw new Error(
      `Cannot start etcd at ${this.endpoint}: not healthy after ${this.#readyTimeoutMs} ms; log tail:\n${await this
        .logTail()}`,
    );
  }

  async #reap(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    await child.status;
    await this.#logPipe;
    this.#child = null;
    this.#logPipe = null;
  }

  async #kill(signal: Deno.Signal): Promise<void> {
    const child = this.#child;
    if (!child) return;
    try {
      child.kill(signal);
    } catch (err) {
      // Already exited: nothing to signal.
      if (!(err instanceof TypeError)) throw err;
    }
    await this.#reap();
  }

  async stop(): Promise<void> {
    const child = this.#child;
    if (child) {
      if (!await terminate(child, STOP_GRACE_MS)) await this.#kill("SIGKILL");
      await this.#reap();
    }
    if (!this.#removed) {
      this.#removed = true;
      await Deno.remove(this.#tempDir, { recursive: true });
    }
  }

  async kill9(): Promise<void> {
    await this.#kill("SIGKILL");
  }

  async restart(): Promise<void> {
    if (this.#child) throw new Error(`Cannot restart etcd at ${this.endpoint}: it is running`);
    if (this.#removed) throw new Error(`Cannot restart etcd at ${this.endpoint}: it is stopped`);
    if (!await this.start()) {
      throw new Error(
        `Cannot restart etcd at ${this.endpoint}: it exited; log tail:\n${await this.logTail()}`,
      );
    }
  }

  logTail(lines = 40): Promise<string> {
    return tailOf(this.logFile, lines);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }
}

/**
 * Starts etcd on free 127.0.0.1 ports with a fresh temp data dir and waits until it is healthy.
 * Throws, with the tail of etcd's log, when it does not come up; throws telling to run
 * `scripts/setup.sh` when `etcd` is not on PATH.
 *
 * @example Run a test against a real etcd
 * ```ts ignore
 * import { startEtcd } from "./etcd_process.ts";
 * await using etcd = await startEtcd();
 * const res = await fetch(`${etcd.endpoint}/health`);
 * await res.body?.cancel();
 * ```
 */
export async function startEtcd(options: StartEtcdOptions = {}): Promise<EtcdProcess> {
  const binary = await findEtcdBinary();
  const readyTimeoutMs = options.readyTimeoutMs ?? 20_000;
  // A free port can be taken by someone else before etcd binds it: try again with new ports.
  for (let attempt = 1;; attempt++) {
    const tempDir = await Deno.makeTempDir({ prefix: "skiff-etcd-" });
    const server = new EtcdServer(binary, tempDir, freePorts(), readyTimeoutMs);
    let started: boolean;
    try {
      started = await server.start();
    } catch (err) {
      await server.stop();
      throw err;
    }
    if (started) return server;
    const tail = await server.logTail();
    await server.stop();
    if (attempt >= 3) {
      throw new Error(`Cannot start etcd at ${server.endpoint}: it exited; log tail:\n${tail}`);
    }
  }
}
