// deno-lint-ignore-file no-console
/**
 * `deno task bench controllers`: how long skiff's controllers take to converge Deployments, next
 * to the same pod writes issued directly through the API in the same run (the floor), and the
 * controller manager's resident memory with 10,000 pods in the cluster.
 *
 * **Setup.** Each trial starts fresh processes: a real `skiff server` (`mod.ts server
 * --disable-agent --disable-scheduler --disable-controller-manager`, Deno KV in a new data
 * directory, skiff's V8 flags) pinned to CPU 1; for the controller trials, the controller manager
 * in a process of its own (`_controllers_host.ts`: `ControllerManager` with `defaultControllers()`
 * — every controller skiff has, not only the Deployment and ReplicaSet ones — without leader
 * election as `skiff server` runs it on Deno KV, over `HttpsTransport` with the admin
 * kubeconfig), pinned to CPU 0 with this process. This process is the user (16 keep-alive
 * HTTP/1.1 connections, `_http1_pool.ts`) and the kubelet and scheduler (`_bench_kubelet.ts`:
 * one pod watch and 16 connections; it binds unbound pods round-robin to 20 fake nodes, marks
 * bound pods Running and Ready with one status write, finishes graceful deletions with
 * `gracePeriodSeconds: 0`, and renews the nodes' Leases every 10 s so that the node lifecycle
 * controller sees them alive). The same kubelet serves the controller trials and the floor
 * trials. Before measuring, a warm-up (a 3-replica Deployment created and rolled to a new image,
 * or 3 pods created and deleted for the floor) shows the caches synced and the code compiled.
 *
 * **Scenarios.**
 * - `deployment-1000-update`: a 1,000-replica Deployment (default RollingUpdate, 25 % surge and
 *   unavailability) is created and rolled out (untimed, shown as "setup"); then its image is
 *   changed (a `PUT`, as `kubectl set image` would patch). Timed from that write to the first
 *   moment the client has seen the rollout complete as `kubectl rollout status` decides
 *   ({@linkcode deploymentRolloutStatus}) **and** every old pod deleted (their `DELETED` events);
 *   afterwards the old ReplicaSet is checked to be at 0 replicas. Floor: 1,000 plain pods with
 *   the same template are created and readied (untimed); then the client creates 1,000 new pods
 *   and deletes the 1,000 old ones (default grace period), interleaved, 64 requests in flight;
 *   timed until all new pods are seen Ready and all old ones deleted.
 * - `deployments-100x10`: 100 Deployments of 10 replicas created (16 at a time); timed until every
 *   one is seen complete. Floor: the 1,000 pods created directly; timed until all are Ready.
 * - `rss-10k`: 10 Deployments of 1,000 replicas created; timed until all are complete, then the
 *   controller manager's memory is read from `/proc/<pid>/status` (VmRSS as it is, then RssAnon,
 *   RssFile and the V8 heap after a full GC, and the peak VmHWM), with 10,000 pods in its
 *   informers. No floor. Goal: VmRSS < 200 MB (190.7 MiB).
 * `--quick` shrinks them to 200 replicas, 20 × 10 and 10 × 100 (so its memory line is not the
 * 10k goal, and says so).
 *
 * **What the numbers mean.** The floor is the API work any controller must cause — one create
 * and one graceful delete per pod, with the kubelet's bind, status write and final delete — done
 * by the cheapest client, 64 writes in flight (enough to keep the server's one thread ~97 %
 * busy; the controller manager has up to ~250 pod writes in flight in the 1,000-pod rollout and
 * ~1,200 at 10k pods). The controllers add their own requests on top (events, ReplicaSet and
 * Deployment status writes, ReplicaSet scaling, watches to feed, a TLS handshake per
 * connection), and a rolling update waits for readiness between its steps, where the floor does
 * everything at once. The ratio (controllers ÷ floor, goal ≤ 2.0) is what all of that costs.
 * Printed with it: each process's CPU time over the measured phase (`/proc/<pid>/stat`) and its
 * share of a core (a server near 100 % means the API is the bottleneck), at least how much of
 * the server's and the controller manager's cores other processes took (their main threads'
 * run-queue wait from `/proc/<pid>/task/<pid>/schedstat`, less what our own threads on that core
 * used; over 10 % of the phase the run is flagged as not reliable: a shared machine), the
 * controller manager's requests by kind and its failed ones, what it logged, its sockets (its
 * HTTPS connections: `HttpsTransport` uses `fetch`, and the server speaks HTTP/1.1 only, so each
 * concurrent request holds a connection of its own), and the kubelet's request counts.
 *
 * In `skiff server` the controllers run in the server's process over an in-process client: no
 * sockets, no TLS, and one heap. Here they run apart so that their memory is their own; the
 * HTTPS transport's connections are part of that memory: it keeps at most 32 requests waiting
 * for an answer (`DEFAULT_MAX_REQUESTS_IN_FLIGHT`; `--manager-max-inflight` tries another cap).
 *
 * Options: `--quick`, `--runs N` (trials per scenario and mode, alternating; the median by time
 * is reported; default 1 — a shared 2-core machine varies ±30 % between runs), `--only a,b`,
 * `--pin off`, `--floor-concurrency N` (default 64), `--kubelet-connections N` (default 16),
 * `--cpu-profile-dir DIR` (a V8 `.cpuprofile` of the controller manager over each controller
 * trial's measured phase, for Chrome DevTools, with the top functions by self time printed),
 * `--progress` (pods, bound, ready and each process's CPU every 2 s), `--manager-log-level
 * info` (count the controllers' info messages too), `--log-dir DIR` (keep the server's and the
 * controller manager's logs), `--manager-max-inflight N` (an experiment: another cap than the
 * transport's 32 on the controller manager's requests in flight, watches aside).
 * A full run takes 2½–4 minutes on this 2-core machine (the 10k-pod scenario most of it; more
 * when other processes share the cores), `--quick` about 40 s, `--runs 3` about 6 minutes.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { KUBERNETES_VERSION, SKIFF_VERSION } from "../../control/version.ts";
import { BenchKubelet, type BenchPodEvent, isReady } from "./_bench_kubelet.ts";
import { Http1Connection, type TlsOptions } from "./_http1_client.ts";
import { Http1Pool } from "./_http1_pool.ts";
import { HostChannel, type Json, spawnHost } from "./_host_channel.ts";
import { readLines } from "./_lines.ts";
import { cpuSecondsOf, ownCpuUs, procStatusMiB, ticksOf } from "./_proc_stats.ts";
import {
  awaitExit,
  freePort,
  pin,
  productV8Flags,
  spawnSkiffServer,
  waitForServer,
} from "./_server_process.ts";

const HOST = new URL("./_controllers_host.ts", import.meta.url).pathname;
/** The benchmark's own connections (creates, updates, the floor's writes by default). */
const CLIENT_CONNECTIONS = 16;
const KUBELET_CONNECTIONS = 16;
/**
 * The floor's writes in flight: enough to keep the server's one thread ~97 % busy (16 leave it
 * ~90 %); the controller manager has up to ~250 pod writes in flight in a 1,000-pod rollout.
 */
const FLOOR_CONCURRENCY = 64;
const NODES = 20;
const WARMUP_REPLICAS = 3;
const IMAGE_A = "registry.k8s.io/pause:3.10";
const IMAGE_B = "registry.k8s.io/pause:3.9";
const NAMESPACE = "bench";
/** Other processes taking this share of a measured phase from our cores make a run unreliable. */
const CONTENDED = 0.1;
/** Ratio of controller time to floor time to stay within. */
const GOAL_RATIO = 2;
/** Resident memory of the controller manager with 10k pods to stay under, bytes (200 MB). */
const GOAL_RSS_BYTES = 200e6;

/** The scenarios, in the order they run. */
export const SCENARIOS = ["deployment-1000-update", "deployments-100x10", "rss-10k"] as const;
/** One scenario's name. */
export type ScenarioName = typeof SCENARIOS[number];

/** The benchmark's options, parsed. */
export interface ControllersBenchOptions {
  readonly quick: boolean;
  /** Trials per scenario and mode. */
  readonly runs: number;
  readonly only: readonly ScenarioName[];
  readonly pin: boolean;
  /** Requests in flight of the floor's writes. */
  readonly floorConcurrency: number;
  /** The bench kubelet's connections (its requests in flight). */
  readonly kubeletConnections: number;
  readonly cpuProfileDir?: string;
  /** The controller manager's log level (its messages are counted and printed). */
  readonly managerLogLevel: "error" | "warn" | "info";
  /** Print progress every 2 s of a measured phase. */
  readonly progress: boolean;
  /** Copy the server's and the controller manager's logs into this directory. */
  readonly logDir?: string;
  /**
   * An experiment: at most this many requests (not watches) of the controller manager in flight
   * at once (0: no limit, as skiff ships).
   */
  readonly managerMaxInflight: number;
}

function positiveInt(flag: string, raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) {
    throw new RangeError(`Cannot use ${flag} "${raw}": expected a positive integer`);
  }
  return n;
}

/**
 * Parses `deno task bench controllers` options.
 *
 * @throws {RangeError} for a bad `--runs`, `--floor-concurrency` or `--pin`, or an unknown
 * scenario in `--only`.
 */
export function parseControllersBenchArgs(args: readonly string[]): ControllersBenchOptions {
  const { values } = parseArgs({
    args: [...args],
    options: {
      quick: { type: "boolean", default: false },
      runs: { type: "string", default: "1" },
      only: { type: "string" },
      pin: { type: "string", default: "on" },
      "floor-concurrency": { type: "string", default: String(FLOOR_CONCURRENCY) },
      "kubelet-connections": { type: "string", default: String(KUBELET_CONNECTIONS) },
      "cpu-profile-dir": { type: "string" },
      "manager-log-level": { type: "string", default: "warn" },
      progress: { type: "boolean", default: false },
      "log-dir": { type: "string" },
      "manager-max-inflight": { type: "string", default: "0" },
    },
  });
  const level = values["manager-log-level"];
  if (level !== "error" && level !== "warn" && level !== "info") {
    throw new RangeError(
      `Cannot use --manager-log-level "${level}": expected "error", "warn" or "info"`,
    );
  }
  const only: ScenarioName[] = [];
  for (const raw of (values.only ?? SCENARIOS.join(",")).split(",")) {
    const name = raw.trim();
    if (name === "") continue;
    if (!(SCENARIOS as readonly string[]).includes(name)) {
      throw new RangeError(
        `Cannot run scenario "${name}": expected some of ${SCENARIOS.join(", ")}`,
      );
    }
    if (!only.includes(name as ScenarioName)) only.push(name as ScenarioName);
  }
  if (only.length === 0) throw new RangeError(`Cannot run no scenario: "--only" is empty`);
  if (values.pin !== "on" && values.pin !== "off") {
    throw new RangeError(`Cannot use --pin "${values.pin}": expected "on" or "off"`);
  }
  return {
    quick: values.quick,
    runs: positiveInt("--runs", values.runs),
    // Keep the order the scenarios run in.
    only: SCENARIOS.filter((s) => only.includes(s)),
    pin: values.pin === "on",
    floorConcurrency: positiveInt("--floor-concurrency", values["floor-concurrency"]),
    kubeletConnections: positiveInt("--kubelet-connections", values["kubelet-connections"]),
    managerLogLevel: level,
    progress: values.progress,
    ...(values["cpu-profile-dir"] ? { cpuProfileDir: values["cpu-profile-dir"] } : {}),
    ...(values["log-dir"] ? { logDir: values["log-dir"] } : {}),
    managerMaxInflight: values["manager-max-inflight"] === "0"
      ? 0
      : positiveInt("--manager-max-inflight", values["manager-max-inflight"]),
  };
}

/** The parts of a Deployment that {@linkcode deploymentRolloutStatus} reads. */
export interface DeploymentLike {
  readonly metadata?: { readonly name?: string; readonly generation?: number };
  readonly spec?: { readonly replicas?: number };
  readonly status?: {
    readonly observedGeneration?: number;
    readonly replicas?: number;
    readonly updatedReplicas?: number;
    readonly availableReplicas?: number;
    readonly conditions?: readonly { readonly type: string; readonly reason?: string }[];
  };
}

/** Where a rollout is, as `kubectl rollout status` says. */
export interface RolloutStatus {
  readonly done: boolean;
  /** The progress deadline was exceeded. */
  readonly failed: boolean;
  readonly message: string;
}

/**
 * The verdict of `kubectl rollout status deployment/<name>` on `d`: done once the controller
 * observed the latest generation, every desired replica is updated, no old replica is left
 * (`status.replicas` counts pods not being deleted) and all updated ones are available.
 */
export function deploymentRolloutStatus(d: DeploymentLike): RolloutStatus {
  const name = d.metadata?.name ?? "";
  const s = d.status ?? {};
  if ((d.metadata?.generation ?? 0) > (s.observedGeneration ?? 0)) {
    return {
      done: false,
      failed: false,
      message: "Waiting for deployment spec update to be observed...",
    };
  }
  const progressing = s.conditions?.find((c) => c.type === "Progressing");
  if (progressing?.reason === "ProgressDeadlineExceeded") {
    return {
      done: false,
      failed: true,
      message: `deployment "${name}" exceeded its progress deadline`,
    };
  }
  const updated = s.updatedReplicas ?? 0;
  const replicas = s.replicas ?? 0;
  const available = s.availableReplicas ?? 0;
  const want = d.spec?.replicas;
  if (want !== undefined && updated < want) {
    return {
      done: false,
      failed: false,
      message:
        `Waiting for deployment "${name}" rollout to finish: ${updated} out of ${want} new replicas have been updated...`,
    };
  }
  if (replicas > updated) {
    return {
      done: false,
      failed: false,
      message: `Waiting for deployment "${name}" rollout to finish: ${
        replicas - updated
      } old replicas are pending termination...`,
    };
  }
  if (available < updated) {
    return {
      done: false,
      failed: false,
      message:
        `Waiting for deployment "${name}" rollout to finish: ${available} of ${updated} updated replicas are available...`,
    };
  }
  return { done: true, failed: false, message: `deployment "${name}" successfully rolled out` };
}

/** How big each scenario is. */
interface Sizes {
  readonly updateReplicas: number;
  readonly manyDeployments: number;
  readonly manyReplicas: number;
  readonly rssDeployments: number;
  readonly rssReplicas: number;
}

function sizesOf(quick: boolean): Sizes {
  return quick
    ? {
      updateReplicas: 200,
      manyDeployments: 20,
      manyReplicas: 10,
      rssDeployments: 10,
      rssReplicas: 100,
    }
    : {
      updateReplicas: 1000,
      manyDeployments: 100,
      manyReplicas: 10,
      rssDeployments: 10,
      rssReplicas: 1000,
    };
}

function podTemplate(app: string, image: string): Json {
  return {
    metadata: { labels: { app } },
    spec: {
      containers: [{
        name: "app",
        image,
        ports: [{ containerPort: 8080, name: "http" }],
        resources: { requests: { cpu: "10m", memory: "16Mi" } },
      }],
    },
  };
}

function deploymentBody(name: string, replicas: number, image = IMAGE_A): Json {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: podTemplate(name, image),
    },
  };
}

/** A pod as a Deployment's ReplicaSet would make it, without the owner. */
function podBody(name: string, app: string, image = IMAGE_A): Json {
  const t = podTemplate(app, image) as { metadata: Json; spec: Json };
  return { apiVersion: "v1", kind: "Pod", metadata: { ...t.metadata, name }, spec: t.spec };
}

/** A process's CPU use so far: all threads, its main thread, and how long that waited. */
interface CpuSample {
  /** CPU seconds of all its threads. */
  readonly cpu: number;
  /** CPU seconds of its main (JavaScript) thread. */
  readonly main: number;
  /** Seconds its main thread waited for a CPU while runnable (`schedstat`). */
  readonly wait: number;
}

async function sampleCpu(pid: number): Promise<CpuSample> {
  const [all, main, sched] = await Promise.all([
    Deno.readTextFile(`/proc/${pid}/stat`),
    Deno.readTextFile(`/proc/${pid}/task/${pid}/stat`),
    Deno.readTextFile(`/proc/${pid}/task/${pid}/schedstat`).catch(() => ""),
  ]);
  return { cpu: ticksOf(all), main: ticksOf(main), wait: Number(sched.split(" ")[1]) / 1e9 };
}

/**
 * Seconds, at least, that processes other than ours took from a pinned process's core while
 * its main thread waited for it: that wait, less what our own other threads on the core used
 * (`ownCpu`: all the CPU of our processes pinned there, this main thread's included).
 */
function foreignCpu(before: CpuSample, after: CpuSample, ownCpu: number): number {
  const wait = after.wait - before.wait;
  const ourOthers = ownCpu - (after.main - before.main);
  return Math.max(0, wait - ourOthers);
}

function selfCpuSeconds(): number {
  return ownCpuUs() / 1e6;
}

/**
 * Reads a child's JSON log (stderr): keeps its last lines, and counts the messages (info and
 * above: what the child's log level lets through) by message and controller since the last
 * {@linkcode LogTally.clear}.
 */
class LogTally {
  readonly #tail: string[] = [];
  readonly #counts = new Map<string, number>();
  readonly done: Promise<void>;

  /** Reads `stream`; appends every line to the file `copyTo` too, if given. */
  constructor(stream: ReadableStream<Uint8Array>, copyTo?: string) {
    this.done = (async () => {
      using file = copyTo ? await Deno.open(copyTo, { append: true, create: true }) : undefined;
      const encoder = new TextEncoder();
      for await (const line of readLines(stream)) {
        if (file) await file.write(encoder.encode(line + "\n"));
        this.#tail.push(line);
        if (this.#tail.length > 50) this.#tail.shift();
        let key = line.slice(0, 120);
        try {
          const ev = JSON.parse(line) as { level?: string; msg?: string; controller?: string };
          if (ev.level !== "warn" && ev.level !== "error" && ev.level !== "info") continue;
          key = `${ev.level} "${ev.msg}"${ev.controller ? ` (${ev.controller})` : ""}`;
        } catch {
          // not JSON: counted as is
        }
        this.#counts.set(key, (this.#counts.get(key) ?? 0) + 1);
      }
    })().catch(() => {});
  }

  clear(): void {
    this.#counts.clear();
  }

  /** `"3 × error \"Error syncing\" (deployment), …"`, or "" when nothing was logged. */
  summary(): string {
    return [...this.#counts].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${n} × ${k}`)
      .join(", ");
  }

  tail(): string {
    return this.#tail.join("\n");
  }
}

/** A `skiff server` process. */
interface Server {
  readonly pid: number;
  readonly tls: TlsOptions;
  readonly kubeconfig: string;
  readonly log: LogTally;
  stop(): Promise<void>;
}

async function startServer(
  options: { v8Flags: string; pinned: boolean; log?: string },
): Promise<Server> {
  const { v8Flags, pinned } = options;
  const dir = await Deno.makeTempDir({ prefix: "skiff-bench-ctrl-" });
  const dataDir = `${dir}/data`;
  const port = freePort();
  const child = spawnSkiffServer({
    dataDir,
    port,
    v8Flags,
    disable: ["scheduler", "controller-manager"],
    stderr: "piped",
    env: { NO_COLOR: "1" },
  });
  const log = new LogTally(child.stderr, options.log && `${options.log}.server.log`);
  let exited = false;
  child.status.then(() => exited = true);
  if (pinned) await pin(child.pid, 1);
  const stop = async () => {
    try {
      child.kill("SIGTERM");
    } catch {
      // gone
    }
    await awaitExit(child, 15_000);
    await log.done;
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  try {
    const kubeconfig = `${dataDir}/kubeconfig.yaml`;
    const tls = await waitForServer(kubeconfig, {
      port,
      deadline: performance.now() + 60_000,
      pollMs: 100,
      exited: () => exited,
    });
    if (tls === "no kubeconfig") {
      await log.done;
      throw new Error(`Cannot start skiff server: no kubeconfig; log:\n${log.tail()}`);
    }
    if (tls === "not ready") {
      throw new Error(`Cannot start skiff server: not ready; log:\n${log.tail()}`);
    }
    return { pid: child.pid, tls, kubeconfig, log, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The controller manager's memory and request counts, from `_controllers_host.ts`. */
interface ManagerMemory {
  readonly cpuUs: number;
  readonly heapUsedMiB: number;
  readonly heapPhysicalMiB: number;
  readonly externalMiB: number;
  readonly procBeforeGc: { VmRSS: number; VmHWM: number; RssAnon: number; RssFile: number };
  readonly proc: { VmRSS: number; VmHWM: number; RssAnon: number; RssFile: number };
  readonly requests: Record<string, number>;
  /** Failed answers by `"<verb> <resource> <status>"`. */
  readonly failedRequests: Record<string, number>;
  readonly maxPodWritesInflight: number;
  /** Sockets open at the end, and at most (sampled each second). */
  readonly sockets: number;
  readonly maxSockets: number;
}

/** A controller-manager process. */
interface Manager {
  readonly pid: number;
  command(cmd: Json, event: string): Promise<Json>;
  /** What it logged (warnings, errors) since {@linkcode Manager.clearLog}. */
  logSummary(): string;
  clearLog(): void;
  stop(): Promise<void>;
}

async function startManager(
  server: Server,
  options: {
    v8Flags: string;
    pinned: boolean;
    cpuProfile?: string;
    logLevel: string;
    log?: string;
    maxInflight: number;
  },
): Promise<Manager> {
  const child = spawnHost(HOST, {
    v8Flags: options.v8Flags,
    args: [
      "--kubeconfig",
      server.kubeconfig,
      "--log-level",
      options.logLevel,
      ...(options.maxInflight > 0 ? ["--max-inflight", String(options.maxInflight)] : []),
      ...(options.cpuProfile ? ["--cpu-profile", options.cpuProfile] : []),
    ],
    stderr: "piped",
  });
  const log = new LogTally(child.stderr, options.log && `${options.log}.manager.log`);
  if (options.pinned) await pin(child.pid, 0);
  const channel = new HostChannel(
    child,
    (event, ms) => `Controller manager: no "${event}" within ${ms} ms`,
  );
  const stop = async () => {
    await channel.stop();
    await log.done;
  };
  try {
    await channel.next("ready", 60_000);
  } catch (err) {
    await stop();
    throw new Error(`Cannot start the controller manager; log:\n${log.tail()}`, { cause: err });
  }
  return {
    pid: child.pid,
    command: (cmd, event) => channel.command(cmd, event),
    logSummary: () => log.summary(),
    clearLog: () => log.clear(),
    stop,
  };
}

/** The Deployments the client has seen, from a cluster-wide watch. */
class DeploymentWatch {
  readonly items = new Map<string, DeploymentLike & Json>();
  readonly #conn: Http1Connection;
  readonly #listeners = new Set<(at: number) => void>();
  #stopped = false;
  #watching: Promise<void> = Promise.resolve();

  constructor(conn: Http1Connection) {
    this.#conn = conn;
  }

  static async start(tls: TlsOptions, pool: Http1Pool): Promise<DeploymentWatch> {
    const list = await pool.expect([200], {
      method: "GET",
      path: "/apis/apps/v1/deployments?limit=1",
    });
    const rv = (JSON.parse(list.text) as { metadata: { resourceVersion: string } }).metadata
      .resourceVersion;
    const w = new DeploymentWatch(await Http1Connection.connect(tls));
    w.#watching = w.#conn.watch(
      `/apis/apps/v1/deployments?watch=true&resourceVersion=${rv}`,
      (line) => {
        if (w.#stopped) return false;
        if (line.trim() === "") return true;
        const at = performance.now();
        const ev = JSON.parse(line) as {
          type: string;
          object: DeploymentLike & Json & { metadata: { name: string; namespace: string } };
        };
        const key = `${ev.object.metadata.namespace}/${ev.object.metadata.name}`;
        if (ev.type === "DELETED") w.items.delete(key);
        else if (ev.type === "ADDED" || ev.type === "MODIFIED") w.items.set(key, ev.object);
        for (const fn of w.#listeners) fn(at);
        return true;
      },
    ).catch(() => {});
    return w;
  }

  listen(fn: (at: number) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#conn.close();
    await this.#watching;
  }
}

/** The processes and connections of one trial. */
interface Cluster {
  readonly server: Server;
  readonly manager: Manager | null;
  readonly kubelet: BenchKubelet;
  readonly deployments: DeploymentWatch;
  /** The user's connections. */
  readonly pool: Http1Pool;
}

/**
 * Resolves with the read time of the first watch event (pod or Deployment) after which
 * `check()` holds, or null after `timeoutMs`.
 */
function until(cluster: Cluster, check: () => boolean, timeoutMs: number): Promise<number | null> {
  if (check()) return Promise.resolve(performance.now());
  return new Promise((resolve) => {
    const stops: (() => void)[] = [];
    const finish = (at: number | null) => {
      for (const stop of stops) stop();
      resolve(at);
    };
    const poke = (at: number) => {
      if (check()) finish(at);
    };
    stops.push(cluster.kubelet.listen((ev) => poke(ev.at)));
    stops.push(cluster.deployments.listen(poke));
    const timer = setTimeout(() => finish(null), timeoutMs);
    stops.push(() => clearTimeout(timer));
  });
}

/** Runs `op(i)` for i in [0, n) with at most `concurrency` at once. */
async function parallel(
  n: number,
  options: { concurrency: number; op: (i: number) => Promise<unknown> },
): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(n, options.concurrency) }, async () => {
    for (;;) {
      const i = next++;
      if (i >= n) return;
      await options.op(i);
    }
  }));
}

async function createNamespace(pool: Http1Pool, name: string): Promise<void> {
  await pool.expect([201], {
    method: "POST",
    path: "/api/v1/namespaces",
    body: { metadata: { name } },
  });
}

function deploymentsPath(namespace: string, name?: string): string {
  return `/apis/apps/v1/namespaces/${namespace}/deployments${name ? `/${name}` : ""}`;
}

function podsPath(namespace: string, name?: string): string {
  return `/api/v1/namespaces/${namespace}/pods${name ? `/${name}` : ""}`;
}

/** Whether the Deployments `keys` are all complete (by `kubectl rollout status`). */
function allComplete(cluster: Cluster, keys: readonly string[]): boolean {
  for (const key of keys) {
    const d = cluster.deployments.items.get(key);
    if (!d || !deploymentRolloutStatus(d).done) return false;
  }
  return true;
}

/** A one-line account of the first incomplete Deployment of `keys`. */
function whyIncomplete(cluster: Cluster, keys: readonly string[]): string {
  let incomplete = 0;
  let first = "";
  for (const key of keys) {
    const d = cluster.deployments.items.get(key);
    const status = d ? deploymentRolloutStatus(d) : null;
    if (status?.done) continue;
    incomplete++;
    if (first === "") first = status?.message ?? `${key} not seen`;
  }
  return `${incomplete} of ${keys.length} Deployments not complete; ${first}`;
}

/** Timeout for waiting on `pods` pods to converge. */
function timeoutFor(pods: number): number {
  return Math.max(60_000, pods * 60);
}

/** Changes the image of a Deployment (GET, PUT); answers the new generation. */
async function setImage(
  pool: Http1Pool,
  target: { namespace: string; name: string; image: string },
): Promise<number> {
  const path = deploymentsPath(target.namespace, target.name);
  const got = await pool.expect([200], { method: "GET", path });
  const d = JSON.parse(got.text) as {
    spec: { template: { spec: { containers: { image: string }[] } } };
  };
  d.spec.template.spec.containers[0]!.image = target.image;
  const put = await pool.expect([200], { method: "PUT", path, body: d });
  return (JSON.parse(put.text) as { metadata: { generation: number } }).metadata.generation;
}

async function warmUp(cluster: Cluster, controllers: boolean): Promise<void> {
  const ns = "warmup";
  await createNamespace(cluster.pool, ns);
  if (controllers) {
    await cluster.pool.expect([201], {
      method: "POST",
      path: deploymentsPath(ns),
      body: deploymentBody("warm", WARMUP_REPLICAS),
    });
    const keys = [`${ns}/warm`];
    if (await until(cluster, () => allComplete(cluster, keys), 60_000) === null) {
      throw new Error(`Warm-up: ${whyIncomplete(cluster, keys)} within 60 s`);
    }
    const gen = await setImage(cluster.pool, { namespace: ns, name: "warm", image: IMAGE_B });
    const done = () =>
      (cluster.deployments.items.get(keys[0]!)?.metadata?.generation ?? 0) >= gen &&
      allComplete(cluster, keys) && podsIn(cluster, ns) === WARMUP_REPLICAS;
    if (await until(cluster, done, 60_000) === null) {
      throw new Error(`Warm-up rollout: ${whyIncomplete(cluster, keys)} within 60 s`);
    }
    return;
  }
  await parallel(WARMUP_REPLICAS, {
    concurrency: WARMUP_REPLICAS,
    op: (i) =>
      cluster.pool.expect([201], {
        method: "POST",
        path: podsPath(ns),
        body: podBody(`warm-${i}`, "warm"),
      }),
  });
  const ready = () => readyIn(cluster, ns) === WARMUP_REPLICAS;
  if (await until(cluster, ready, 60_000) === null) throw new Error("Warm-up pods not ready");
  await parallel(WARMUP_REPLICAS, {
    concurrency: WARMUP_REPLICAS,
    op: (i) => cluster.pool.expect([200], { method: "DELETE", path: podsPath(ns, `warm-${i}`) }),
  });
  if (await until(cluster, () => podsIn(cluster, ns) === 0, 60_000) === null) {
    throw new Error("Warm-up pods not deleted");
  }
}

function podsIn(cluster: Cluster, namespace: string): number {
  let n = 0;
  for (const pod of cluster.kubelet.pods.values()) if (pod.metadata.namespace === namespace) n++;
  return n;
}

function readyIn(cluster: Cluster, namespace: string): number {
  let n = 0;
  for (const pod of cluster.kubelet.pods.values()) {
    if (pod.metadata.namespace === namespace && isReady(pod)) n++;
  }
  return n;
}

/** Counts the pods in `namespace` whose names pass `filter` and are Ready, as events come. */
function readyCounter(
  cluster: Cluster,
  filter: (name: string) => boolean,
): { readonly ready: Set<string>; stop(): void } {
  const ready = new Set<string>();
  const stop = cluster.kubelet.listen((ev: BenchPodEvent) => {
    const { namespace, name } = ev.pod.metadata;
    if (namespace !== NAMESPACE || !filter(name)) return;
    if (ev.type !== "DELETED" && isReady(ev.pod)) ready.add(name);
    else ready.delete(name);
  });
  return { ready, stop };
}

/** What one scenario trial measured. */
interface Trial {
  readonly mode: "controllers" | "floor";
  /** Measured phase, ms (NaN when it did not converge). */
  readonly ms: number;
  /** Pods the measured phase made (and, for an update, the old ones it removed). */
  readonly pods: number;
  /** Untimed setup: the initial rollout or pod creation, ms. */
  readonly setupMs: number;
  readonly serverCpuS: number;
  readonly managerCpuS: number;
  /** Seconds (at least) other processes took from the server's and the manager's cores. */
  readonly serverForeignS: number;
  readonly managerForeignS: number;
  readonly benchCpuS: number;
  readonly serverRssMiB: number;
  /** The controller manager's requests during the measured phase, by kind. */
  readonly requests: Record<string, number>;
  readonly maxPodWritesInflight: number;
  /** The controller manager's sockets (HTTPS connections) at most and at the end. */
  readonly managerSockets: { readonly max: number; readonly end: number } | null;
  readonly kubelet: { binds: number; statusWrites: number; finishes: number; races: number };
  readonly managerMemory: ManagerMemory | null;
  readonly problems: string[];
}

interface Measured {
  ms: number;
  pods: number;
  setupMs: number;
  /** Floor writes in flight at most. */
  floorInflight?: number;
}

/** The measured phase of a scenario; calls `mark()` right before the timed part starts. */
type Phase = (cluster: Cluster, mark: () => Promise<void>) => Promise<Measured>;

function updatePhase(
  replicas: number,
  options: { controllers: boolean; floorConcurrency: number; problems: string[] },
): Phase {
  return async (cluster, mark) => {
    const setupStart = performance.now();
    const timeout = timeoutFor(replicas * 2);
    const oldPods = new Set<string>();
    let newReady: { ready: Set<string>; stop(): void } | null = null;
    const trackOld = cluster.kubelet.listen((ev) => {
      if (ev.type === "DELETED" && ev.pod.metadata.namespace === NAMESPACE) {
        oldPods.delete(ev.pod.metadata.name);
      }
    });
    try {
      if (options.controllers) {
        await cluster.pool.expect([201], {
          method: "POST",
          path: deploymentsPath(NAMESPACE),
          body: deploymentBody("web", replicas),
        });
        const keys = [`${NAMESPACE}/web`];
        const settled = () =>
          allComplete(cluster, keys) && readyIn(cluster, NAMESPACE) === replicas &&
          podsIn(cluster, NAMESPACE) === replicas;
        if (await until(cluster, settled, timeout) === null) {
          throw new Error(`Initial rollout: ${whyIncomplete(cluster, keys)}`);
        }
        const setupMs = performance.now() - setupStart;
        for (const pod of cluster.kubelet.pods.values()) {
          if (pod.metadata.namespace === NAMESPACE) oldPods.add(pod.metadata.name);
        }
        await mark();
        const t0 = performance.now();
        const gen = await setImage(cluster.pool, {
          namespace: NAMESPACE,
          name: "web",
          image: IMAGE_B,
        });
        const done = () =>
          (cluster.deployments.items.get(keys[0]!)?.metadata?.generation ?? 0) >= gen &&
          allComplete(cluster, keys) && oldPods.size === 0;
        const at = await until(cluster, done, timeout);
        if (at === null) {
          options.problems.push(
            `not converged in ${timeout / 1000} s: ${
              whyIncomplete(cluster, keys)
            }; ${oldPods.size} old pods left`,
          );
        }
        await checkOldReplicaSets(cluster, options.problems);
        return { ms: at === null ? NaN : at - t0, pods: replicas, setupMs };
      }
      // Floor: the same pods, written directly.
      await parallel(replicas, {
        concurrency: options.floorConcurrency,
        op: (i) =>
          cluster.pool.expect([201], {
            method: "POST",
            path: podsPath(NAMESPACE),
            body: podBody(`old-${i}`, "web"),
          }),
      });
      if (await until(cluster, () => readyIn(cluster, NAMESPACE) === replicas, timeout) === null) {
        throw new Error("Floor setup: old pods not ready");
      }
      const setupMs = performance.now() - setupStart;
      for (let i = 0; i < replicas; i++) oldPods.add(`old-${i}`);
      newReady = readyCounter(cluster, (name) => name.startsWith("new-"));
      const floor = await Http1Pool.open(cluster.server.tls, options.floorConcurrency);
      await mark();
      const t0 = performance.now();
      const done = () => newReady!.ready.size === replicas && oldPods.size === 0;
      const converged = until(cluster, done, timeout);
      await parallel(2 * replicas, {
        concurrency: options.floorConcurrency,
        op: (j) => {
          const i = j >> 1;
          return j % 2 === 0
            ? floor.expect([201], {
              method: "POST",
              path: podsPath(NAMESPACE),
              body: podBody(`new-${i}`, "web", IMAGE_B),
            })
            : floor.expect([200], { method: "DELETE", path: podsPath(NAMESPACE, `old-${i}`) });
        },
      });
      const at = await converged;
      floor.close();
      if (at === null) {
        options.problems.push(
          `floor not converged: ${newReady.ready.size} new ready, ${oldPods.size} old left`,
        );
      }
      return {
        ms: at === null ? NaN : at - t0,
        pods: replicas,
        setupMs,
        floorInflight: floor.maxInflight,
      };
    } finally {
      trackOld();
      newReady?.stop();
    }
  };
}

/** Every ReplicaSet in the namespace but the newest revision is at 0 desired and 0 pods. */
async function checkOldReplicaSets(cluster: Cluster, problems: string[]): Promise<void> {
  const res = await cluster.pool.expect([200], {
    method: "GET",
    path: `/apis/apps/v1/namespaces/${NAMESPACE}/replicasets`,
  });
  const list = JSON.parse(res.text) as {
    items: {
      metadata: { name: string; annotations?: Record<string, string> };
      spec: { replicas?: number; template: { spec: { containers: { image: string }[] } } };
      status?: { replicas?: number };
    }[];
  };
  for (const rs of list.items) {
    if (rs.spec.template.spec.containers[0]?.image === IMAGE_B) continue;
    if ((rs.spec.replicas ?? 1) !== 0 || (rs.status?.replicas ?? 0) !== 0) {
      problems.push(
        `old ReplicaSet ${rs.metadata.name} at spec ${rs.spec.replicas} / status ${rs.status?.replicas}`,
      );
    }
  }
}

function manyPhase(
  shape: { deployments: number; replicas: number },
  options: { controllers: boolean; floorConcurrency: number; problems: string[] },
): Phase {
  return async (cluster, mark) => {
    const pods = shape.deployments * shape.replicas;
    const timeout = timeoutFor(pods);
    if (options.controllers) {
      const keys = Array.from({ length: shape.deployments }, (_, i) => `${NAMESPACE}/d-${i}`);
      await mark();
      const t0 = performance.now();
      const converged = until(cluster, () => allComplete(cluster, keys), timeout);
      await parallel(shape.deployments, {
        concurrency: CLIENT_CONNECTIONS,
        op: (i) =>
          cluster.pool.expect([201], {
            method: "POST",
            path: deploymentsPath(NAMESPACE),
            body: deploymentBody(`d-${i}`, shape.replicas),
          }),
      });
      const at = await converged;
      if (at === null) options.problems.push(`not converged: ${whyIncomplete(cluster, keys)}`);
      return { ms: at === null ? NaN : at - t0, pods, setupMs: 0 };
    }
    const counter = readyCounter(cluster, () => true);
    const floor = await Http1Pool.open(cluster.server.tls, options.floorConcurrency);
    try {
      await mark();
      const t0 = performance.now();
      const converged = until(cluster, () => counter.ready.size === pods, timeout);
      await parallel(pods, {
        concurrency: options.floorConcurrency,
        op: (i) =>
          floor.expect([201], {
            method: "POST",
            path: podsPath(NAMESPACE),
            body: podBody(
              `d-${i % shape.deployments}-${Math.floor(i / shape.deployments)}`,
              `d-${i % shape.deployments}`,
            ),
          }),
      });
      const at = await converged;
      if (at === null) options.problems.push(`floor: ${counter.ready.size} of ${pods} ready`);
      return {
        ms: at === null ? NaN : at - t0,
        pods,
        setupMs: 0,
        floorInflight: floor.maxInflight,
      };
    } finally {
      floor.close();
      counter.stop();
    }
  };
}

interface TrialOptions {
  readonly v8Flags: string;
  readonly managerMaxInflight: number;
  /** Copy the processes' logs to `<log>.server.log` and `<log>.manager.log`. */
  readonly log?: string;
  readonly kubeletConnections: number;
  readonly managerLogLevel: string;
  readonly progress: boolean;
  readonly pinned: boolean;
  readonly floorConcurrency: number;
  readonly cpuProfile?: string;
  /** Read the controller manager's memory at the end (forces a GC there). */
  readonly memory: boolean;
}

function diffCounts(after: Record<string, number>, before: Record<string, number>) {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) {
    const d = v - (before[k] ?? 0);
    if (d > 0) out[k] = d;
  }
  return out;
}

async function runTrial(
  phaseOf: (problems: string[]) => Phase,
  mode: "controllers" | "floor",
  options: TrialOptions,
): Promise<Trial> {
  const problems: string[] = [];
  const server = await startServer({
    v8Flags: options.v8Flags,
    pinned: options.pinned,
    ...(options.log ? { log: options.log } : {}),
  });
  let manager: Manager | null = null;
  let kubelet: BenchKubelet | null = null;
  let deployments: DeploymentWatch | null = null;
  let pool: Http1Pool | null = null;
  try {
    if (mode === "controllers") {
      manager = await startManager(server, {
        v8Flags: options.v8Flags,
        pinned: options.pinned,
        logLevel: options.managerLogLevel,
        maxInflight: options.managerMaxInflight,
        ...(options.log ? { log: options.log } : {}),
        ...(options.cpuProfile ? { cpuProfile: options.cpuProfile } : {}),
      });
    }
    pool = await Http1Pool.open(server.tls, CLIENT_CONNECTIONS);
    kubelet = await BenchKubelet.start(server.tls, {
      nodes: NODES,
      connections: options.kubeletConnections,
    });
    deployments = await DeploymentWatch.start(server.tls, pool);
    const cluster: Cluster = { server, manager, kubelet, deployments, pool };
    await createNamespace(pool, NAMESPACE);
    await warmUp(cluster, mode === "controllers");

    const none: CpuSample = { cpu: 0, main: 0, wait: 0 };
    let cpu0 = { server: none, manager: none, bench: 0 };
    let requests0: Record<string, number> = {};
    let failed0: Record<string, number> = {};
    let counts0 = { ...kubelet.counts };
    const mark = async () => {
      counts0 = { ...cluster.kubelet.counts };
      if (manager) {
        const ev = await manager.command({ cpu: true }, "cpu") as {
          requests: Record<string, number>;
          failedRequests: Record<string, number>;
        };
        requests0 = ev.requests;
        failed0 = ev.failedRequests;
        manager.clearLog();
      }
      server.log.clear();
      if (options.progress) progress = startProgress(cluster);
      cpu0 = {
        server: await sampleCpu(server.pid),
        manager: manager ? await sampleCpu(manager.pid) : none,
        bench: selfCpuSeconds(),
      };
    };
    let progress: (() => void) | null = null;
    const measured = await phaseOf(problems)(cluster, mark).finally(() => progress?.());
    const cpu1 = {
      server: await sampleCpu(server.pid),
      manager: manager ? await sampleCpu(manager.pid) : none,
      bench: selfCpuSeconds(),
    };
    const serverCpuS = cpu1.server.cpu - cpu0.server.cpu;
    const managerCpuS = cpu1.manager.cpu - cpu0.manager.cpu;
    const benchCpuS = cpu1.bench - cpu0.bench;
    // What others took from CPU 1 (the server's) and CPU 0 (the manager's, shared with us).
    const serverForeignS = foreignCpu(cpu0.server, cpu1.server, serverCpuS);
    const managerForeignS = manager
      ? foreignCpu(cpu0.manager, cpu1.manager, managerCpuS + benchCpuS)
      : 0;
    let memory: ManagerMemory | null = null;
    let requests: Record<string, number> = {};
    let inflight = measured.floorInflight ?? 0;
    let sockets: { max: number; end: number } | null = null;
    if (manager) {
      const ev = await manager.command({ mem: true }, "mem") as unknown as ManagerMemory;
      requests = diffCounts(ev.requests, requests0);
      inflight = ev.maxPodWritesInflight;
      sockets = { max: ev.maxSockets, end: ev.sockets };
      if (options.memory) memory = ev;
      const failed = diffCounts(ev.failedRequests, failed0);
      if (Object.keys(failed).length > 0) {
        problems.push(`controller manager's failed requests ${requestSummary(failed)}`);
      }
      const logged = manager.logSummary();
      if (logged !== "") problems.push(`controller manager logged ${logged}`);
    }
    const wallS = measured.ms / 1000;
    const contended: [string, number][] = [["server", serverForeignS]];
    if (manager) contended.push(["controller manager", managerForeignS]);
    for (const [who, took] of options.pinned ? contended : []) {
      if (took > CONTENDED * wallS) {
        problems.push(
          `other processes took at least ${fmt(took)} s of ${
            fmt(wallS)
          } s from the ${who}'s core: this run's time is not reliable`,
        );
      }
    }
    const serverLogged = server.log.summary();
    if (serverLogged !== "") problems.push(`server logged ${serverLogged}`);
    problems.push(...kubelet.errors.slice(0, 5));
    const c = kubelet.counts;
    return {
      mode,
      ms: measured.ms,
      pods: measured.pods,
      setupMs: measured.setupMs,
      serverCpuS,
      managerCpuS,
      serverForeignS,
      managerForeignS,
      benchCpuS,
      serverRssMiB: (await procStatusMiB(server.pid)).VmRSS ?? NaN,
      requests,
      maxPodWritesInflight: inflight,
      managerSockets: sockets,
      kubelet: {
        binds: c.binds - counts0.binds,
        statusWrites: c.statusWrites - counts0.statusWrites,
        finishes: c.finishes - counts0.finishes,
        races: c.races - counts0.races,
      },
      managerMemory: memory,
      problems,
    };
  } finally {
    await deployments?.stop();
    await kubelet?.stop();
    pool?.close();
    await manager?.stop();
    await server.stop();
  }
}

/** Prints the pods' progress and the processes' CPU use every 2 s; returns a stop function. */
function startProgress(cluster: Cluster): () => void {
  const t0 = performance.now();
  let last = { at: t0, server: NaN, manager: NaN, bench: selfCpuSeconds() };
  const pids = { server: cluster.server.pid, manager: cluster.manager?.pid };
  const timer = setInterval(async () => {
    const now = performance.now();
    const server = await cpuSecondsOf(pids.server).catch(() => NaN);
    const manager = pids.manager ? await cpuSecondsOf(pids.manager).catch(() => NaN) : 0;
    const bench = selfCpuSeconds();
    let pods = 0, bound = 0, ready = 0, deleting = 0;
    for (const pod of cluster.kubelet.pods.values()) {
      if (pod.metadata.namespace !== NAMESPACE) continue;
      pods++;
      if (pod.spec?.nodeName) bound++;
      if (isReady(pod)) ready++;
      if (pod.metadata.deletionTimestamp) deleting++;
    }
    const s = (now - last.at) / 1000;
    const pct = (a: number, b: number) => fmt((100 * (a - b)) / s);
    console.log(
      `  … ${
        fmt((now - t0) / 1000)
      } s: ${pods} pods, ${bound} bound, ${ready} ready, ${deleting} deleting; CPU server ${
        pct(server, last.server)
      }%, manager ${pct(manager, last.manager)}%, bench ${pct(bench, last.bench)}%`,
    );
    last = { at: now, server, manager, bench };
  }, 2000);
  return () => clearInterval(timer);
}

function medianTrial(trials: readonly Trial[]): Trial {
  const sorted = trials.toSorted((a, b) => (a.ms || Infinity) - (b.ms || Infinity));
  return sorted[Math.floor(sorted.length / 2)]!;
}

function fmt(x: number): string {
  return !Number.isFinite(x)
    ? "-"
    : Math.abs(x) >= 100
    ? x.toFixed(0)
    : Math.abs(x) >= 10
    ? x.toFixed(1)
    : x.toFixed(2);
}

function describe(t: Trial): string {
  const s = t.ms / 1000;
  const busy = (cpu: number) => `${fmt(cpu)} s (${fmt((100 * cpu) / s)}%)`;
  return `server CPU ${busy(t.serverCpuS)}, others took ≥ ${fmt(t.serverForeignS)} s of its core${
    t.mode === "controllers"
      ? `; controller manager ${busy(t.managerCpuS)}, others took ≥ ${
        fmt(t.managerForeignS)
      } s of its core`
      : ""
  }, bench ${
    busy(t.benchCpuS)
  }; kubelet ${t.kubelet.binds} binds, ${t.kubelet.statusWrites} status, ${t.kubelet.finishes} finishes, ${t.kubelet.races} races; pod writes in flight ≤ ${t.maxPodWritesInflight}${
    t.managerSockets
      ? `; controller-manager sockets ≤ ${t.managerSockets.max} (${t.managerSockets.end} at the end)`
      : ""
  }`;
}

function requestSummary(requests: Record<string, number>): string {
  const total = Object.values(requests).reduce((a, b) => a + b, 0);
  const parts = Object.entries(requests).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`);
  return `${total}: ${parts.join(", ")}`;
}

/** Prints the top functions by self time of a `.cpuprofile`. */
async function printProfile(path: string, top: number): Promise<void> {
  const profile = JSON.parse(await Deno.readTextFile(path)) as {
    nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
    samples: number[];
    timeDeltas: number[];
  };
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const n = byId.get(profile.samples[i]!);
    const dt = profile.timeDeltas[i] ?? 0;
    total += dt;
    if (!n) continue;
    const f = n.callFrame;
    const where = f.url ? `${f.url.replace(/^.*\/work\/main\//, "")}:${f.lineNumber + 1}` : "";
    const key = `${f.functionName || "(anonymous)"} ${where}`.trim();
    self.set(key, (self.get(key) ?? 0) + dt);
  }
  const rows = [...self].sort((a, b) => b[1] - a[1]).slice(0, top);
  console.log(`  profile ${path} (${fmt(total / 1e6)} s sampled), top self time:`);
  for (const [k, us] of rows) console.log(`    ${fmt((100 * us) / total)}% ${k}`);
}

/** Runs the controllers benchmark (options: see the module doc). */
export async function runControllersBench(args: string[]): Promise<void> {
  const options = parseControllersBenchArgs(args);
  const sizes = sizesOf(options.quick);
  const pinned = options.pin && navigator.hardwareConcurrency >= 2 && await pin(Deno.pid, 0);
  const v8Flags = await productV8Flags();
  const machine = { nproc: navigator.hardwareConcurrency, kernel: Deno.osRelease() };
  const versions = {
    deno: Deno.version.deno,
    skiff: SKIFF_VERSION,
    kubernetes: KUBERNETES_VERSION.gitVersion,
  };
  if (options.cpuProfileDir) await Deno.mkdir(options.cpuProfileDir, { recursive: true });
  if (options.logDir) await Deno.mkdir(options.logDir, { recursive: true });
  console.log(
    `# controllers benchmark: ${
      JSON.stringify({ ...machine, ...versions, quick: options.quick, runs: options.runs })
    }`,
  );
  console.log(
    `# skiff server pinned to CPU 1; controller manager, kubelet and client to CPU 0: ${pinned}`,
  );
  if (options.managerMaxInflight > 0) {
    console.log(
      `# EXPERIMENT: the controller manager's requests limited to ${options.managerMaxInflight} in flight (skiff ships 32)`,
    );
  }
  const started = performance.now();
  for (const name of options.only) {
    const controllersTrials: Trial[] = [];
    const floorTrials: Trial[] = [];
    const hasFloor = name !== "rss-10k";
    const pods = name === "deployment-1000-update"
      ? sizes.updateReplicas
      : name === "deployments-100x10"
      ? sizes.manyDeployments * sizes.manyReplicas
      : sizes.rssDeployments * sizes.rssReplicas;
    const phase = (controllers: boolean) => (problems: string[]): Phase => {
      const o = { controllers, floorConcurrency: options.floorConcurrency, problems };
      return name === "deployment-1000-update"
        ? updatePhase(sizes.updateReplicas, o)
        : name === "deployments-100x10"
        ? manyPhase({ deployments: sizes.manyDeployments, replicas: sizes.manyReplicas }, o)
        : manyPhase({ deployments: sizes.rssDeployments, replicas: sizes.rssReplicas }, o);
    };
    for (let r = 0; r < options.runs; r++) {
      const profile = options.cpuProfileDir
        ? `${options.cpuProfileDir}/${name}-${r}.cpuprofile`
        : undefined;
      const base = {
        v8Flags,
        managerLogLevel: options.managerLogLevel,
        managerMaxInflight: options.managerMaxInflight,
        kubeletConnections: options.kubeletConnections,
        progress: options.progress,
        pinned,
        floorConcurrency: options.floorConcurrency,
      };
      const log = (mode: string) =>
        options.logDir ? { log: `${options.logDir}/${name}-${mode}-${r}` } : {};
      controllersTrials.push(
        await runTrial(phase(true), "controllers", {
          ...base,
          memory: true,
          ...log("controllers"),
          ...(profile ? { cpuProfile: profile } : {}),
        }),
      );
      if (profile) await printProfile(profile, 25).catch(() => {});
      if (hasFloor) {
        floorTrials.push(
          await runTrial(phase(false), "floor", { ...base, memory: false, ...log("floor") }),
        );
      }
    }
    const c = medianTrial(controllersTrials);
    const f = hasFloor ? medianTrial(floorTrials) : null;
    const ratio = f ? c.ms / f.ms : NaN;
    const label = name === "deployment-1000-update"
      ? `${name} (${sizes.updateReplicas} replicas)`
      : name === "deployments-100x10"
      ? `${name} (${sizes.manyDeployments} × ${sizes.manyReplicas})`
      : `${name} (${sizes.rssDeployments} × ${sizes.rssReplicas})`;
    console.log(
      f
        ? `${label} | controllers ${fmt(c.ms / 1000)} s | floor ${fmt(f.ms / 1000)} s | ratio ${
          ratio.toFixed(2)
        }x | goal ≤ ${GOAL_RATIO.toFixed(1)}: ${ratio <= GOAL_RATIO ? "met" : "NOT met"} | ${
          fmt(pods / (c.ms / 1000))
        } vs ${fmt(pods / (f.ms / 1000))} pods/s`
        : `${label} | controllers ${fmt(c.ms / 1000)} s | ${fmt(pods / (c.ms / 1000))} pods/s`,
    );
    console.log(
      `  controllers: ${describe(c)}${c.setupMs ? `; setup ${fmt(c.setupMs / 1000)} s` : ""}`,
    );
    if (f) {
      console.log(
        `  floor: ${describe(f)}${f.setupMs ? `; setup ${fmt(f.setupMs / 1000)} s` : ""}`,
      );
    }
    console.log(`  controller-manager requests ${requestSummary(c.requests)}`);
    if (options.runs > 1) {
      console.log(
        `  runs: controllers ${controllersTrials.map((t) => fmt(t.ms / 1000)).join(", ")} s${
          f ? `; floor ${floorTrials.map((t) => fmt(t.ms / 1000)).join(", ")} s` : ""
        }`,
      );
    }
    const m = c.managerMemory;
    if (m) {
      const goalMiB = GOAL_RSS_BYTES / 2 ** 20;
      const met = m.procBeforeGc.VmRSS < goalMiB;
      const goal = pods >= 10_000
        ? `goal < 200 MB (${fmt(goalMiB)} MiB): ${met ? "met" : "NOT met"}`
        : `(${pods} pods, not the 10k goal)`;
      console.log(
        `  controller-manager memory with ${pods} pods | VmRSS ${
          fmt(m.procBeforeGc.VmRSS)
        } MiB (after GC ${fmt(m.proc.VmRSS)}: anon ${fmt(m.proc.RssAnon)}, file ${
          fmt(m.proc.RssFile)
        }; V8 heap ${fmt(m.heapUsedMiB)} used, ${fmt(m.heapPhysicalMiB)} resident, external ${
          fmt(m.externalMiB)
        }; peak ${fmt(m.proc.VmHWM)}) | ${goal}; server VmRSS ${fmt(c.serverRssMiB)} MiB`,
      );
    }
    for (const t of [...controllersTrials, ...floorTrials]) {
      for (const p of t.problems) console.log(`  # ${t.mode}: ${p}`);
    }
    console.log(JSON.stringify({
      name: `controllers/${name}`,
      quick: options.quick,
      pods,
      goal: hasFloor ? `ratio <= ${GOAL_RATIO}` : null,
      value_ms: c.ms,
      baseline_ms: f?.ms ?? null,
      ratio: f ? ratio : null,
      runs_ms: controllersTrials.map((t) => t.ms),
      baseline_runs_ms: floorTrials.map((t) => t.ms),
      server_cpu_s: c.serverCpuS,
      manager_cpu_s: c.managerCpuS,
      bench_cpu_s: c.benchCpuS,
      baseline_server_cpu_s: f?.serverCpuS ?? null,
      server_core_taken_by_others_s: c.serverForeignS,
      manager_core_taken_by_others_s: c.managerForeignS,
      baseline_server_core_taken_by_others_s: f?.serverForeignS ?? null,
      manager_requests: c.requests,
      manager_max_pod_writes_inflight: c.maxPodWritesInflight,
      manager_max_sockets: c.managerSockets?.max ?? null,
      floor_concurrency: options.floorConcurrency,
      ...(m
        ? {
          manager_rss_mib: m.procBeforeGc.VmRSS,
          manager_rss_after_gc_mib: m.proc.VmRSS,
          manager_rss_anon_mib: m.proc.RssAnon,
          manager_rss_file_mib: m.proc.RssFile,
          manager_heap_mib: m.heapUsedMiB,
          manager_heap_resident_mib: m.heapPhysicalMiB,
          manager_peak_rss_mib: m.proc.VmHWM,
          ...(pods >= 10_000 ? { rss_goal: "< 200 MB" } : {}),
        }
        : {}),
      machine,
      versions,
    }));
  }
  console.log(`# total ${fmt((performance.now() - started) / 1000)} s`);
}
