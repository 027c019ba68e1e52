/**
 * Runs the real `skiff server` command line (`--disable-agent` unless asked) for end-to-end tests, as a user
 * would start it (`deno run -A mod.ts server …` from the repository root): a fresh temp data
 * directory, a free 127.0.0.1 port, and a wait for `GET /readyz` to answer `ok` over HTTPS
 * with the cluster CA from the admin kubeconfig. The server's JSON log (stderr) is kept for
 * failure messages.
 *
 * With `netns`, the server (and its agent, its containerd, its pods) runs inside a network
 * namespace the test made (`nsenter --net`), a "host" of a multi-node test; the test itself
 * reaches it over a veth link from the host namespace in a random 10.2xx.x.0/30, which
 * {@linkcode TestServer.url} and {@linkcode TestServer.kubeconfig} name.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse, stringify } from "yaml";
import { terminate } from "./terminate.ts";
import { removeAgentLeftovers } from "./containerd_cleanup.ts";
import { keepLastLines } from "./log_tail.ts";
import { netnsPath, nodeNetworkArgs, sh, vethLink } from "./netns.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const STOP_GRACE_MS = 10_000;
const POLL_MS = 100;
const LOG_LINES_KEPT = 400;

/** A running server started by {@linkcode startTestServer}. */
export interface TestServer extends AsyncDisposable {
  /** `https://127.0.0.1:<port>`; in a netns, `https://<its end of the test's link>:<port>`. */
  readonly url: string;
  readonly port: number;
  /** The server's `--data-dir` (inside a temp dir that {@linkcode TestServer.stop} removes). */
  readonly dataDir: string;
  /**
   * `<data-dir>/kubeconfig.yaml`, the admin kubeconfig; in a netns, a copy of it naming
   * {@linkcode TestServer.url} (rewritten at every start).
   */
  readonly kubeconfig: string;
  /** A scratch directory for the test's own files, removed with the server. */
  readonly scratchDir: string;
  /** The last lines the server logged (stderr), for failure messages. */
  logTail(lines?: number): string;
  /**
   * Stops the server process (SIGTERM, then SIGKILL) and waits for it, keeping the data dir for
   * {@linkcode TestServer.restart}. Idempotent.
   */
  halt(): Promise<void>;
  /** Kills the server process with SIGKILL (a crash), keeping the data dir. */
  crash(): Promise<void>;
  /**
   * Starts the server again on the same data dir and port (halting it first if it runs) and
   * waits for `/readyz`; `options.args` replaces the extra flags it was started with.
   */
  restart(options?: { readonly args?: readonly string[] }): Promise<void>;
  /** Stops the server (SIGTERM, then SIGKILL), waits for it and removes the temp dir. */
  stop(): Promise<void>;
}

/** Options of {@linkcode startTestServer}. */
export interface StartTestServerOptions {
  /**
   * How long to wait for `/readyz`.
   * @default {60000}
   */
  readonly readyTimeoutMs?: number;
  /** More `skiff server` flags. */
  readonly args?: readonly string[];
  /**
   * Run the server's node agent (containerd, pods; needs root) instead of `--disable-agent`.
   * Stopping the server then also removes what its agent leaves running (containers, shims,
   * mounts). Unless `args` set them, such a server gets a `--kubelet-port` and a
   * `--cluster-cidr` of its own, so that agents of tests running side by side on this machine
   * never share a port or pod addresses; in the host namespace its Service proxy,
   * NetworkPolicy and DNS are off unless `args` choose (they would share one nft table and
   * one DNS address). @default {false}
   */
  readonly agent?: boolean;
  /**
   * Files to write into the data dir before the server first starts, by path relative to it
   * (e.g. `agent/registries.yaml`, which the agent reads at start).
   */
  readonly dataDirFiles?: Readonly<Record<string, string>>;
  /**
   * Run the server in this network namespace (as `ip netns add` names it; the test makes and
   * removes it, after the server stops). The test reaches it over a veth link made at start
   * and removed at stop (see the module doc).
   */
  readonly netns?: string;
  /**
   * `--node-ip` (also a `--tls-san`): the server node's address on the links the test made,
   * where other nodes' agents reach it.
   */
  readonly nodeIp?: string;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    return (listener.addr as Deno.NetAddr).port;
  } finally {
    listener.close();
  }
}

/** The cluster CA (PEM) from an admin kubeconfig, or null while the file is not written yet. */
async function clusterCa(kubeconfig: string): Promise<string | null> {
  let text: string;
  try {
    text = await Deno.readTextFile(kubeconfig);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw err;
  }
  const doc = parse(text) as {
    clusters?: { cluster?: { "certificate-authority-data"?: string } }[];
  } | null;
  const data = doc?.clusters?.[0]?.cluster?.["certificate-authority-data"];
  if (typeof data !== "string") return null;
  return new TextDecoder().decode(Uint8Array.from(atob(data), (c) => c.charCodeAt(0)));
}

/** The test's veth link into a server's netns: the host end's name and the server's address. */
interface HostLink {
  readonly netns: string;
  readonly hostName: string;
  readonly serverAddress: string;
}

class SkiffServerProcess implements TestServer {
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  readonly kubeconfig: string;
  readonly scratchDir: string;
  readonly #tempDir: string;
  readonly #link: HostLink | undefined;
  readonly #lines: string[] = [];
  #child: Deno.ChildProcess | null = null;
  #logPump: Promise<void> | null = null;
  #exited = false;
  #removed = false;
  #args: readonly string[] = [];
  #readyTimeoutMs = 60_000;
  readonly #agent: boolean;

  constructor(tempDir: string, port: number, o: { agent: boolean; link?: HostLink }) {
    this.#tempDir = tempDir;
    this.#agent = o.agent;
    this.#link = o.link;
    this.port = port;
    this.url = `https://${o.link?.serverAddress ?? "127.0.0.1"}:${port}`;
    this.dataDir = join(tempDir, "data");
    this.kubeconfig = o.link
      ? join(tempDir, "kubeconfig-host.yaml")
      : join(this.dataDir, "kubeconfig.yaml");
    this.scratchDir = join(tempDir, "scratch");
  }

  /** The kubeconfig the server writes (the one {@linkcode kubeconfig} copies in a netns). */
  get #serverKubeconfig(): string {
    return join(this.dataDir, "kubeconfig.yaml");
  }

  /** In a netns: the admin kubeconfig again, naming the server's end of the test's link. */
  async #writeHostKubeconfig(): Promise<void> {
    if (!this.#link) return;
    const doc = parse(await Deno.readTextFile(this.#serverKubeconfig)) as {
      clusters?: { cluster?: { server?: string } }[];
    };
    for (const entry of doc.clusters ?? []) {
      if (entry.cluster) entry.cluster.server = this.url;
    }
    await Deno.writeTextFile(this.kubeconfig, stringify(doc), { mode: 0o600 });
  }

  /** Starts the process and waits for `/readyz`; false when it exited before serving. */
  async start(args: readonly string[], readyTimeoutMs: number): Promise<boolean> {
    this.#args = args;
    this.#readyTimeoutMs = readyTimeoutMs;
    this.#exited = false;
    await Deno.mkdir(this.scratchDir, { recursive: true });
    const argv = [
      ...(this.#link ? ["nsenter", `--net=${netnsPath(this.#link.netns)}`] : []),
      Deno.execPath(),
      "run",
      "-A",
      "mod.ts",
      "server",
      "--data-dir",
      this.dataDir,
      "--https-port",
      String(this.port),
      ...(this.#agent ? [] : ["--disable-agent"]),
      ...(this.#link ? ["--tls-san", this.#link.serverAddress] : []),
      ...args,
    ];
    const child = new Deno.Command(argv[0]!, {
      args: argv.slice(1),
      cwd: ROOT,
      env: { NO_COLOR: "1" },
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    this.#child = child;
    this.#logPump = keepLastLines(child.stderr, { lines: this.#lines, max: LOG_LINES_KEPT }).catch(
      () => {},
    );
    child.status.then(() => {
      this.#exited = true;
    });
    const deadline = performance.now() + readyTimeoutMs;
    let client: Deno.HttpClient | null = null;
    try {
      while (performance.now() < deadline) {
        if (this.#exited) {
          await this.#reap();
          return false;
        }
        if (client === null) {
          const ca = await clusterCa(this.#serverKubeconfig);
          if (ca !== null) client = Deno.createHttpClient({ caCerts: [ca] });
        }
        if (client !== null && await this.#isReady(client)) {
          await this.#writeHostKubeconfig();
          return true;
        }
        await delay(POLL_MS);
      }
    } finally {
      client?.close();
    }
    await this.#kill("SIGKILL");
    throw new Error(
      `Cannot start skiff server on port ${this.port}: /readyz not ok after ${readyTimeoutMs} ms; ` +
        `log tail:\n${this.logTail()}`,
    );
  }

  async #isReady(client: Deno.HttpClient): Promise<boolean> {
    try {
      const res = await fetch(`${this.url}/readyz`, {
        client,
        signal: AbortSignal.timeout(2000),
      });
      return res.status === 200 && await res.text() === "ok";
    } catch {
      return false;
    }
  }

  async #reap(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    await child.status;
    await this.#logPump;
    this.#child = null;
  }

  async #kill(signal: Deno.Signal): Promise<void> {
    try {
      this.#child?.kill(signal);
    } catch (err) {
      if (!(err instanceof TypeError)) throw err; // already exited
    }
    await this.#reap();
  }

  logTail(lines = 60): string {
    return this.#lines.slice(-lines).join("\n");
  }

  async restart(options: { readonly args?: readonly string[] } = {}): Promise<void> {
    if (this.#removed) {
      throw new Error(`Cannot restart skiff server on port ${this.port}: it is stopped`);
    }
    await this.halt();
    if (!await this.start(options.args ?? this.#args, this.#readyTimeoutMs)) {
      throw new Error(
        `Cannot restart skiff server on port ${this.port}: it exited; log tail:\n${this.logTail()}`,
      );
    }
  }

  async halt(): Promise<void> {
    const child = this.#child;
    if (child) {
      if (!await terminate(child, STOP_GRACE_MS)) await this.#kill("SIGKILL");
      await this.#reap();
    }
  }

  async crash(): Promise<void> {
    await this.#kill("SIGKILL");
  }

  async stop(): Promise<void> {
    await this.halt();
    if (!this.#removed) {
      this.#removed = true;
      if (this.#agent) await removeAgentLeftovers(this.dataDir);
      // The host end goes with its peer in the netns too, but the netns may outlive the server.
      if (this.#link) await sh(["ip", "link", "del", this.#link.hostName]);
      await Deno.remove(this.#tempDir, { recursive: true });
    }
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }
}

/** A /16 pod network no other test server on this machine uses now (10.100–10.199.0.0/16). */
function testClusterCidr(): string {
  return `10.${100 + Math.floor(Math.random() * 100)}.0.0/16`;
}

/**
 * A random 10.2xx.x.0/30 for the test's link into a server's netns: the host end is .1, the
 * server's .2. (Third octets from 128 up: multi-node tests use lower ones for their links.)
 */
function hostLinkSubnet(): { host: string; server: string } {
  const base = `10.${200 + Math.floor(Math.random() * 55)}.${
    128 + Math.floor(Math.random() * 128)
  }`;
  const last = 4 * Math.floor(Math.random() * 64);
  return { host: `${base}.${last + 1}`, server: `${base}.${last + 2}` };
}

/** Makes the test's veth link into `netns`. */
async function linkIntoNetns(netns: string): Promise<HostLink> {
  const subnet = hostLinkSubnet();
  const names = await vethLink({ a: "", b: netns }, {
    a: `${subnet.host}/30`,
    b: `${subnet.server}/30`,
    bName: "eth-test",
  });
  return { netns, hostName: names.a, serverAddress: subnet.server };
}

/** The server's flags, with an agent's own kubelet port and pod network unless given. */
function agentArgs(options: StartTestServerOptions): readonly string[] {
  const args = [
    ...(options.args ?? []),
    ...(options.nodeIp ? ["--node-ip", options.nodeIp, "--tls-san", options.nodeIp] : []),
  ];
  if (!options.agent) return args;
  const has = (flag: string) => args.some((a) => a === flag || a.startsWith(`${flag}=`));
  return [
    ...args,
    ...(has("--kubelet-port") ? [] : ["--kubelet-port", String(freePort())]),
    ...(has("--cluster-cidr") ? [] : ["--cluster-cidr", testClusterCidr()]),
    ...nodeNetworkArgs(options.netns !== undefined, args),
  ];
}

/**
 * Starts `skiff server --disable-agent` on a free port with a fresh data directory and waits
 * until `/readyz` answers `ok`. Throws, with the tail of the server's log, when it does not
 * come up.
 *
 * @example Run kubectl against a fresh server
 * ```ts ignore
 * import { startTestServer } from "./skiff_server.ts";
 * await using server = await startTestServer();
 * // kubectl --kubeconfig server.kubeconfig …
 * ```
 */
export async function startTestServer(options: StartTestServerOptions = {}): Promise<TestServer> {
  const readyTimeoutMs = options.readyTimeoutMs ?? 60_000;
  // A free port can be taken before the server binds it: try again with a new one.
  for (let attempt = 1;; attempt++) {
    const tempDir = await Deno.makeTempDir({ prefix: "skiff-e2e-" });
    let link: HostLink | undefined;
    try {
      if (options.netns) link = await linkIntoNetns(options.netns);
    } catch (err) {
      await Deno.remove(tempDir, { recursive: true });
      throw err;
    }
    const server = new SkiffServerProcess(tempDir, freePort(), {
      agent: options.agent ?? false,
      ...(link ? { link } : {}),
    });
    let started: boolean;
    try {
      for (const [path, text] of Object.entries(options.dataDirFiles ?? {})) {
        const file = join(server.dataDir, path);
        await Deno.mkdir(dirname(file), { recursive: true, mode: 0o700 });
        await Deno.writeTextFile(file, text, { mode: 0o600 });
      }
      started = await server.start(agentArgs(options), readyTimeoutMs);
    } catch (err) {
      await server.stop();
      throw err;
    }
    if (started) return server;
    const tail = server.logTail();
    await server.stop();
    if (attempt >= 3) {
      throw new Error(
        `Cannot start skiff server on port ${server.port}: it exited; log tail:\n${tail}`,
      );
    }
  }
}
