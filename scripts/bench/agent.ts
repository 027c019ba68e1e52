// deno-lint-ignore-file no-console
/**
 * `deno task bench agent`: how fast skiff's node agent starts pods on a real containerd, next to
 * containerd's own `ctr run` of the same image against the same containerd in the same run, and
 * what the agent costs a node: its resident memory idle and with 30 pods, its CPU and the bytes
 * it writes to storage while nothing changes.
 *
 * **Setup.** Fresh processes in a new temp directory, as root: a real `skiff server
 * --disable-agent` (Deno KV, with its scheduler and controllers, `--cluster-cidr 10.160.0.0/16`
 * through `SKIFF_CLUSTER_CIDR`) and a real `skiff agent` joined to it with a join token (`skiff
 * token create --data-dir …`), its own data dir, node name `bench-agent`, a free
 * `--kubelet-port` and the same `--cluster-cidr`. Both run with skiff's V8 flags (deno.json's
 * `skiff` task) and log at level info, as the product does; the agent is a process of its own,
 * so that its memory and CPU are its own. The agent starts and supervises its containerd
 * (1.6, a child process with its own socket, root and state dirs under the agent's data dir),
 * builds skiff's images from busybox-static and imports them; the benchmark waits for the Node
 * to be Ready (nodeipam gave it a pod CIDR, the CNI config is written) and for the `default`
 * ServiceAccount. Nothing is pinned: the agent, containerd, its shims, runc and the CNI plugin
 * all share the machine's cores, as on a node. Everything is removed at the end, also on a
 * failure or Ctrl-C: the agent and server stopped (SIGTERM, then SIGKILL), the baseline's
 * containers deleted, then what the agent leaves on purpose (containers runc still runs,
 * containerd's shims, mounts under the data dir: `removeAgentLeftovers`), the pod network's
 * gateway address from the CNI bridge (shared by every agent on the machine) and the temp dir.
 *
 * **Pods.** `docker.io/skiff/busybox:1.36`, `imagePullPolicy: Never`, one container running
 * `sleep 3600`, not hostNetwork (so each gets a sandbox with its own network namespace and an
 * address from skiff's CNI plugin), the default ServiceAccount token mounted, and
 * `terminationGracePeriodSeconds: 1` (`sleep` as PID 1 ignores SIGTERM: deletion then takes
 * 1 s, not 30). They are created in `default` with no nodeName: the real scheduler binds them.
 *
 * **What is timed.** One pod watch (`GET …/pods?watch=1`, HTTP/1.1 over TLS with the admin
 * client certificate, opened from a LIST's resourceVersion before anything is created) reports
 * each pod's milestones as its events are read (`_pod_timeline.ts`): bound (`spec.nodeName`
 * set) and Running (phase Running and every container's state running). A pod's startup
 * latency is from just before its `POST` is written to the moment the watch event showing it
 * Running was read — the Kubernetes pod startup SLI ("observed via watch"), measured on the
 * client's clock rather than from `creationTimestamp` (whole seconds). Printed with it, per
 * pod: the `POST`'s answer, the bind seen, and bind → Running (the agent's part: sandbox, CNI,
 * token volume, container create and start, status write). For the sequential pods, containerd's
 * own events (`ctr events` on the agent's socket, nanosecond stamps, `_containerd_events.ts`)
 * split that further: the agent's sync until the sandbox's container is created; sandbox
 * container → its task created (containerd's CRI runs the CNI ADD here, then the shim and `runc
 * create`); its start; the app container's create, task create and start; and the status write
 * until the watch shows it. Each phase's CPU seconds are printed too: the agent's, containerd's,
 * its waited-for children's (`cutime` + `cstime`: the CNI plugin processes with their `ip`,
 * `nsenter` and `nft`), the shims' running at the end (with their `runc`), the server's, and how
 * busy the whole machine was (`/proc/stat`).
 * - `sequential`: 50 pods one after the other (the next is created once the previous is
 *   Running), p50 and p99.
 * - `batch`: 30 pods created at once (30 connections, the `POST`s written together); each
 *   pod's latency is from the batch's start to its Running event; p50 and p99.
 * Between phases the pods are deleted (default grace, so 1 s) and the benchmark waits for their
 * `DELETED` events and for containerd to run no task left of them (`ctr task ls`). A warm-up pod
 * (created, Running, deleted) comes first: the first pod pays for code loading and compiling.
 *
 * **Baseline.** `ctr --address <agent's containerd socket> -n k8s.io run -d --net-host
 * [--snapshotter <the CRI's>] docker.io/skiff/busybox:1.36 <id> sleep 3600`, timed from spawn to
 * exit (`ctr run -d` returns once the task is started; `ctr task ls` then checks each is
 * RUNNING): 50 sequential and 30 concurrent (spawned at once), after one warm-up run, with no
 * pods running. It is the floor of what any kubelet does through containerd — create the
 * container and its snapshot, start the task through a shim and runc — without a pod sandbox
 * (pause container, network namespace, CNI), without the API, scheduler and status write. The
 * ratio skiff ÷ ctr of p50 (goal ≤ 3×) and the absolute p50 (goal < 300 ms) are judged on the
 * sequential phase, where one pod's latency is not queueing behind 29 others.
 *
 * **Footprint.** From `/proc/<pid>/status` (VmRSS, RssAnon, RssFile): the agent process idle
 * (10 s after its node is Ready, before any pod), with the batch's 30 pods Running, and idle
 * again after every pod is gone; containerd's separately (a child of the agent, not counted in
 * its RSS) and the shims' total (one per pod sandbox, or per `ctr` task). Goal: the agent
 * under 60 MB (k3s's agent: ~270 MB, containerd included). **Idle CPU and writes**: the agent's
 * CPU time (`/proc/<pid>/stat` utime + stime, all threads) over 30 s with nothing changing, as
 * a share of one core (goal < 1 %), once with no pods and once with the 30 pods running; and
 * the bytes it caused to be written to storage meanwhile (`/proc/<pid>/io` `write_bytes`; its
 * `wchar`, all writes including the log pipe, beside it) — an SD card wears out from needless
 * writes. containerd's share and writes over the same window are printed too.
 *
 * Options: `--quick` (10 sequential, a batch of 10, 10 s idle windows, and says so),
 * `--sequential N`, `--batch N`, `--idle-seconds N`, `--log-dir DIR` (keep the server's and the
 * agent's logs, and with `--inspect` the profiles and heap snapshots), `--inspect` (a diagnosis:
 * the agent runs with `--inspect` on a free port and, through its inspector
 * (`_inspector_client.ts`), the benchmark prints its V8 heap after a full GC with the largest
 * kinds of a heap snapshot, idle and with the batch running, and its top functions by self time
 * over the sequential and the batch phases; the inspector and the snapshots cost memory, so the
 * RSS figures of such a run are not the product's). Prints a table, each goal met or missed,
 * and one JSON line per measurement. A full run takes about 2½ minutes on this 2-core machine,
 * `--quick` about 1½. `--agent-v8-flags=F` adds V8 flags to the agent's (`--trace-gc`, whose
 * lines go to `<log-dir>/agent.stdout.log`, or an experiment like `--max-old-space-size=32`);
 * `--agent-entry FILE` runs the agent from another module than `mod.ts` (an experiment: one
 * that imports only the agent's command shows what a CLI loading each command lazily saves).
 *
 * @module
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { KUBERNETES_VERSION, SKIFF_VERSION } from "../../control/version.ts";
import { removeAgentLeftovers } from "../../tests/_support/containerd_cleanup.ts";
import { ctrRunArgs, ctrTasks, removeCtrContainers, runCtr } from "./_ctr_baseline.ts";
import { Http1Connection, type TlsOptions } from "./_http1_client.ts";
import { InspectorClient, summarizeHeapSnapshot, topSelfTime } from "./_inspector_client.ts";
import {
  ContainerdEvents,
  containerStartEvents,
  type PodStartSegments,
  podStartSegments,
  SEGMENTS,
} from "./_containerd_events.ts";
import { readLines } from "./_lines.ts";
import { PodTimeline } from "./_pod_timeline.ts";
import { pidsWhere, procIo } from "./_proc_io.ts";
import { cpuSecondsOf, procStatusMiB, ticksOf } from "./_proc_stats.ts";
import {
  awaitExit,
  freePort,
  productV8Flags,
  spawnSkiffServer,
  waitForServer,
} from "./_server_process.ts";
import { fmt, type LatencyStats, summarize } from "./stats.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const IMAGE = "docker.io/skiff/busybox:1.36";
const COMMAND = ["sleep", "3600"];
const NODE = "bench-agent";
const NAMESPACE = "default";
const CLUSTER_CIDR = "10.160.0.0/16";
const LABEL = "skiff-bench=agent";
/** Goals (issue 7). */
const GOAL_P50_MS = 300;
const GOAL_RATIO = 3;
const GOAL_RSS_BYTES = 60e6;
const GOAL_IDLE_CPU = 0.01;
/** How long one pod may take to run, or a deletion to finish, before the run fails. */
const POD_TIMEOUT_MS = 120_000;

/** The benchmark's options, parsed. */
export interface AgentBenchOptions {
  readonly quick: boolean;
  /** Pods created one after the other (and `ctr run`s). */
  readonly sequential: number;
  /** Pods created at once (and concurrent `ctr run`s). */
  readonly batch: number;
  /** Length of each idle window, seconds. */
  readonly idleSeconds: number;
  /** Copy the server's and the agent's logs into this directory. */
  readonly logDir?: string;
  /**
   * Run the agent with `--inspect` and report its heap (after GC, by kind) and a CPU profile of
   * the sequential phase: a diagnosis, not the product's numbers.
   */
  readonly inspect: boolean;
  /**
   * More V8 flags for the agent only (after skiff's), e.g. `--trace-gc` (its lines go to
   * `<log-dir>/agent.stdout.log`) or an experiment such as `--max-old-space-size=32`.
   */
  readonly agentV8Flags: string;
  /**
   * An experiment: run `skiff agent` from this module instead of `mod.ts` (with deno.json's
   * import map; it gets the same arguments, `agent` first), e.g. one that loads only the
   * agent's modules.
   */
  readonly agentEntry?: string;
}

function positiveInt(flag: string, raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) {
    throw new RangeError(`Cannot use ${flag} "${raw}": expected a positive integer`);
  }
  return n;
}

/**
 * Parses `deno task bench agent` options; `--quick` shrinks the counts unless they are given.
 *
 * @throws {RangeError} for a count or duration that is not a positive integer.
 */
export function parseAgentBenchArgs(args: readonly string[]): AgentBenchOptions {
  const { values } = parseArgs({
    args: [...args],
    options: {
      quick: { type: "boolean", default: false },
      sequential: { type: "string" },
      batch: { type: "string" },
      "idle-seconds": { type: "string" },
      "log-dir": { type: "string" },
      "agent-v8-flags": { type: "string", default: "" },
      "agent-entry": { type: "string" },
      inspect: { type: "boolean", default: false },
    },
  });
  const quick = values.quick;
  return {
    quick,
    sequential: positiveInt("--sequential", values.sequential ?? (quick ? "10" : "50")),
    batch: positiveInt("--batch", values.batch ?? (quick ? "10" : "30")),
    idleSeconds: positiveInt("--idle-seconds", values["idle-seconds"] ?? (quick ? "10" : "30")),
    ...(values["log-dir"] ? { logDir: values["log-dir"] } : {}),
    inspect: values.inspect,
    agentV8Flags: values["agent-v8-flags"],
    ...(values["agent-entry"] ? { agentEntry: values["agent-entry"] } : {}),
  };
}

/** A goal's verdict for the table. */
export function verdict(met: boolean): string {
  return met ? "met" : "MISSED";
}

/** The `snapshotter` of the CRI plugin in a containerd config.toml, undefined if unset. */
export function criSnapshotter(configToml: string): string | undefined {
  return /^\s*snapshotter\s*=\s*"([^"]+)"/m.exec(configToml)?.[1];
}

/** A pod as the benchmark creates it. */
export function benchPod(name: string): Record<string, unknown> {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, labels: { "skiff-bench": "agent" } },
    spec: {
      containers: [{
        name: "sleep",
        image: IMAGE,
        imagePullPolicy: "Never",
        command: COMMAND,
      }],
      terminationGracePeriodSeconds: 1,
    },
  };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** `promise`, or an error naming `what` after `ms`. */
async function within<T>(promise: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms: ${what()}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A child's JSON log (stderr): its last lines, and warn/error messages counted by text. */
class LogTail {
  readonly #tail: string[] = [];
  readonly #problems = new Map<string, number>();
  lines = 0;
  readonly done: Promise<void>;

  constructor(stream: ReadableStream<Uint8Array>, copyTo?: string) {
    this.done = (async () => {
      using file = copyTo ? await Deno.open(copyTo, { append: true, create: true }) : undefined;
      const encoder = new TextEncoder();
      for await (const line of readLines(stream)) {
        if (file) await file.write(encoder.encode(line + "\n"));
        this.lines++;
        this.#tail.push(line);
        if (this.#tail.length > 60) this.#tail.shift();
        try {
          const ev = JSON.parse(line) as { level?: string; msg?: string };
          if (ev.level !== "warn" && ev.level !== "error") continue;
          // containerd's relayed lines carry their own time and pids: drop them, so that they group.
          const msg = (ev.msg ?? "").split("\n")[0]!.replace(/time="[^"]*"\s*/g, "")
            .replace(/\d+/g, "N");
          const key = `${ev.level} "${msg.slice(0, 80)}"`;
          this.#problems.set(key, (this.#problems.get(key) ?? 0) + 1);
        } catch {
          // not JSON
        }
      }
    })().catch(() => {});
  }

  /** `"3 × warn \"…\", …"`, or "" when nothing was logged at warn or error. */
  problems(): string {
    return [...this.#problems].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${n} × ${k}`)
      .join(", ");
  }

  tail(lines = 30): string {
    return this.#tail.slice(-lines).join("\n");
  }
}

/** The addresses of `ip -j addr show` output inside {@linkcode CLUSTER_CIDR}, as `a.b.c.d/len`. */
export function clusterAddresses(ipJson: string): string[] {
  const prefix = CLUSTER_CIDR.split(".").slice(0, 2).join(".") + ".";
  const links = JSON.parse(ipJson) as { addr_info?: { local?: string; prefixlen?: number }[] }[];
  return links.flatMap((l) => l.addr_info ?? [])
    .filter((a) => a.local?.startsWith(prefix))
    .map((a) => `${a.local}/${a.prefixlen}`);
}

/**
 * Removes the pod network's gateway address from the CNI bridge (shared by every agent on this
 * machine, so the bridge itself stays), reading the bridge's name from the agent's conflist.
 */
async function removeBridgeAddresses(conflist: string): Promise<void> {
  let bridge: string;
  try {
    bridge = (JSON.parse(await Deno.readTextFile(conflist)) as { plugins: { bridge?: string }[] })
      .plugins[0]?.bridge ?? "";
  } catch {
    return; // no network was configured
  }
  if (bridge === "") return;
  const show = await new Deno.Command("ip", {
    args: ["-j", "addr", "show", "dev", bridge],
    stdout: "piped",
    stderr: "null",
  }).output();
  if (!show.success) return;
  for (const addr of clusterAddresses(new TextDecoder().decode(show.stdout))) {
    await new Deno.Command("ip", { args: ["addr", "del", addr, "dev", bridge] }).output();
  }
}

/** The processes under test and how to reach them. */
interface Cluster {
  readonly serverPid: number;
  readonly agentPid: number;
  readonly tls: TlsOptions;
  readonly agentDataDir: string;
  readonly socket: string;
  readonly containerdConfig: string;
  readonly serverLog: LogTail;
  readonly agentLog: LogTail;
  /** `performance.now()` when the agent was spawned, and when its node was first Ready. */
  readonly agentSpawnedAt: number;
  readonly nodeReadyAt: number;
  /** The agent's inspector with `--inspect`, else null. */
  readonly inspector: InspectorClient | null;
}

/** Cleanup steps, run last first, each at most once, whatever fails. */
class Cleanup {
  readonly #steps: { what: string; run: () => Promise<unknown> }[] = [];
  #running: Promise<string[]> | null = null;

  add(what: string, run: () => Promise<unknown>): void {
    this.#steps.push({ what, run });
  }

  /** Runs every step; the failures' messages. */
  run(): Promise<string[]> {
    this.#running ??= (async () => {
      const failed: string[] = [];
      for (const step of this.#steps.toReversed()) {
        try {
          await step.run();
        } catch (err) {
          failed.push(`${step.what}: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
      return failed;
    })();
    return this.#running;
  }
}

// deno-lint-ignore no-explicit-any
async function getJson(c: Http1Connection, path: string): Promise<{ status: number; body: any }> {
  const res = await c.request("GET", path);
  let body: unknown = null;
  try {
    body = JSON.parse(new TextDecoder().decode(res.body));
  } catch {
    // not JSON
  }
  return { status: res.status, body };
}

async function sendJson(
  c: Http1Connection,
  req: { method: string; path: string; body?: unknown },
): Promise<{ status: number; text: string }> {
  const res = await c.request(
    req.method,
    req.path,
    req.body === undefined ? undefined : new TextEncoder().encode(JSON.stringify(req.body)),
  );
  return { status: res.status, text: new TextDecoder().decode(res.body) };
}

async function startCluster(
  options: {
    v8Flags: string;
    agentV8Flags: string;
    logDir?: string;
    dir: string;
    cleanup: Cleanup;
    inspect: boolean;
    agentEntry?: string;
  },
): Promise<Cluster> {
  const { v8Flags, dir, cleanup } = options;
  const serverData = join(dir, "server");
  const agentDataDir = join(dir, "agent");
  const port = freePort();
  const server = spawnSkiffServer({
    dataDir: serverData,
    port,
    v8Flags,
    stderr: "piped",
    env: { NO_COLOR: "1", SKIFF_CLUSTER_CIDR: CLUSTER_CIDR },
  });
  const serverLog = new LogTail(
    server.stderr,
    options.logDir ? join(options.logDir, "server.log") : undefined,
  );
  let serverExited = false;
  server.status.then(() => serverExited = true);
  cleanup.add("stop the server", async () => {
    try {
      server.kill("SIGTERM");
    } catch {
      // gone
    }
    await awaitExit(server, 15_000);
    await serverLog.done;
  });
  const tls = await waitForServer(join(serverData, "kubeconfig.yaml"), {
    port,
    deadline: performance.now() + 90_000,
    pollMs: 100,
    exited: () => serverExited,
  });
  if (typeof tls === "string") {
    throw new Error(`Cannot start skiff server: ${tls}; log:\n${serverLog.tail()}`);
  }
  const token = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "mod.ts", "token", "create", "--data-dir", serverData],
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!token.success) {
    throw new Error(
      `Cannot create a join token: ${new TextDecoder().decode(token.stderr).trim()}`,
    );
  }
  const agentSpawnedAt = performance.now();
  const inspectPort = options.inspect ? freePort() : 0;
  const agentV8Flags = [v8Flags, options.agentV8Flags].filter((f) => f !== "").join(",");
  const agent = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      ...(options.inspect ? [`--inspect=127.0.0.1:${inspectPort}`] : []),
      ...(agentV8Flags ? [`--v8-flags=${agentV8Flags}`] : []),
      ...(options.agentEntry
        ? ["--config", join(ROOT, "deno.json"), options.agentEntry]
        : ["mod.ts"]),
      "agent",
      "--server",
      `https://127.0.0.1:${port}`,
      "--token",
      new TextDecoder().decode(token.stdout).trim(),
      "--data-dir",
      agentDataDir,
      "--node-name",
      NODE,
      "--kubelet-port",
      String(freePort()),
      "--cluster-cidr",
      CLUSTER_CIDR,
      "--log-level",
      "info",
    ],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: options.logDir ? "piped" : "null",
    stderr: "piped",
  }).spawn();
  if (options.logDir) {
    const out = await Deno.open(join(options.logDir, "agent.stdout.log"), {
      write: true,
      create: true,
      truncate: true,
    });
    agent.stdout.pipeTo(out.writable).catch(() => {});
  }
  const agentLog = new LogTail(
    agent.stderr,
    options.logDir ? join(options.logDir, "agent.log") : undefined,
  );
  let agentExited = false;
  agent.status.then(() => agentExited = true);
  cleanup.add("remove the agent's leftovers", () => removeAgentLeftovers(agentDataDir));
  cleanup.add(
    "remove the pod network's address from the bridge",
    () => removeBridgeAddresses(join(agentDataDir, "agent", "cni", "net.d", "10-skiff.conflist")),
  );
  cleanup.add("stop the agent", async () => {
    try {
      agent.kill("SIGTERM");
    } catch {
      // gone
    }
    await awaitExit(agent, 20_000);
    await agentLog.done;
  });
  const c = await Http1Connection.connect(tls);
  try {
    const deadline = performance.now() + 120_000;
    for (;;) {
      const node = await getJson(c, `/api/v1/nodes/${NODE}`);
      const ready = node.status === 200 &&
        (node.body?.status?.conditions ?? []).some((x: { type: string; status: string }) =>
          x.type === "Ready" && x.status === "True"
        );
      if (ready) break;
      if (agentExited || performance.now() > deadline) {
        await delay(200);
        throw new Error(
          `Node "${NODE}" not Ready (${
            agentExited ? "the agent exited" : "in 120 s"
          }); agent log:\n${agentLog.tail()}`,
        );
      }
      await delay(100);
    }
    const nodeReadyAt = performance.now();
    for (;;) {
      const sa = await getJson(c, `/api/v1/namespaces/${NAMESPACE}/serviceaccounts/default`);
      if (sa.status === 200) break;
      if (performance.now() > deadline) {
        throw new Error(`No ServiceAccount "default" in "${NAMESPACE}" after 120 s`);
      }
      await delay(100);
    }
    const inspector = options.inspect ? await InspectorClient.connect(inspectPort, 10_000) : null;
    if (inspector) cleanup.add("close the inspector", () => Promise.resolve(inspector.close()));
    return {
      inspector,
      serverPid: server.pid,
      agentPid: agent.pid,
      tls,
      agentDataDir,
      socket: join(agentDataDir, "run", "containerd", "containerd.sock"),
      containerdConfig: join(agentDataDir, "agent", "etc", "containerd", "config.toml"),
      serverLog,
      agentLog,
      agentSpawnedAt,
      nodeReadyAt,
    };
  } finally {
    c.close();
  }
}

/** The agent's containerd (its config names the agent's data dir), if it runs. */
async function containerdPid(cluster: Cluster): Promise<number | undefined> {
  const pids = await pidsWhere((argv) =>
    /(?:^|\/)containerd$/.test(argv[0] ?? "") && argv.includes(cluster.containerdConfig)
  );
  return pids[0];
}

async function shimPids(cluster: Cluster): Promise<number[]> {
  return await pidsWhere((argv) =>
    (argv[0] ?? "").includes("containerd-shim") &&
    argv[argv.indexOf("-address") + 1] === cluster.socket
  );
}

/** Memory of the processes under test, MiB. */
interface Footprint {
  readonly agent: Record<string, number>;
  readonly containerd: Record<string, number>;
  readonly shims: { readonly count: number; readonly rssMiB: number };
  readonly serverRssMiB: number;
}

async function footprint(cluster: Cluster): Promise<Footprint> {
  const ctd = await containerdPid(cluster);
  const shims = await shimPids(cluster);
  let shimRss = 0;
  for (const pid of shims) shimRss += (await procStatusMiB(pid).catch(() => ({ VmRSS: 0 }))).VmRSS!;
  return {
    agent: await procStatusMiB(cluster.agentPid),
    containerd: ctd ? await procStatusMiB(ctd) : {},
    shims: { count: shims.length, rssMiB: shimRss },
    serverRssMiB: (await procStatusMiB(cluster.serverPid)).VmRSS ?? NaN,
  };
}

/** CPU and storage writes over an idle window. */
interface IdleWindow {
  readonly seconds: number;
  readonly pods: number;
  readonly agentCpuS: number;
  readonly agentWriteBytes: number;
  readonly agentWchar: number;
  readonly agentLogLines: number;
  readonly containerdCpuS: number;
  readonly containerdWriteBytes: number;
  readonly serverCpuS: number;
}

/** CPU seconds so far of the agent, its containerd, the server, and the whole machine. */
interface PhaseCpu {
  readonly at: number;
  readonly agent: number;
  readonly containerd: number;
  readonly server: number;
  /**
   * CPU of containerd's children it waited for, and theirs (`cutime` + `cstime`): the CNI
   * plugin processes with their `ip`, `nsenter` and `nft`, and `containerd-shim … start`.
   */
  readonly containerdChildren: number;
  /** CPU of the shims running now, with the `runc` they waited for. */
  readonly shims: number;
  /** All CPUs' busy time (`/proc/stat`: everything but idle and iowait), seconds. */
  readonly machine: number;
}

async function phaseCpu(cluster: Cluster): Promise<PhaseCpu> {
  const ctd = await containerdPid(cluster);
  const stat = (await Deno.readTextFile("/proc/stat")).split("\n")[0]!.trim().split(/\s+/)
    .slice(1).map(Number);
  const busy = stat.reduce((a, b) => a + b, 0) - (stat[3] ?? 0) - (stat[4] ?? 0);
  let shims = 0;
  for (const pid of await shimPids(cluster)) {
    shims += await Deno.readTextFile(`/proc/${pid}/stat`).then(withChildrenTicks, () => 0);
  }
  return {
    at: performance.now(),
    agent: await cpuSecondsOf(cluster.agentPid),
    containerd: ctd ? await cpuSecondsOf(ctd).catch(() => NaN) : NaN,
    containerdChildren: ctd
      ? await Deno.readTextFile(`/proc/${ctd}/stat`).then(
        (t) => withChildrenTicks(t) - ticksOf(t),
        () => NaN,
      )
      : NaN,
    shims,
    server: await cpuSecondsOf(cluster.serverPid),
    machine: busy / 100,
  };
}

/** A `/proc/<pid>/stat` text's CPU seconds with its waited-for children's (fields 14–17). */
export function withChildrenTicks(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0) / 100;
}

/** What a phase cost, as text: each process's CPU seconds and the machine's busy share. */
function phaseCpuText(a: PhaseCpu, b: PhaseCpu, pods: number): string {
  const s = (b.at - a.at) / 1000;
  const cores = navigator.hardwareConcurrency;
  return `agent ${fmt(b.agent - a.agent)} s CPU (${
    fmt((1000 * (b.agent - a.agent)) / pods)
  } ms a pod), containerd ${fmt(b.containerd - a.containerd)} s, its children (CNI plugins) ${
    fmt(b.containerdChildren - a.containerdChildren)
  } s, the shims running at the end (with their runc) ${fmt(b.shims - a.shims)} s, server ${
    fmt(b.server - a.server)
  } s; machine ${
    fmt((100 * (b.machine - a.machine)) / (s * cores))
  } % busy of ${cores} cores over ${fmt(s)} s`;
}

async function idleWindow(cluster: Cluster, o: { seconds: number; pods: number }): Promise<
  IdleWindow
> {
  const ctd = await containerdPid(cluster);
  const sample = async () => ({
    at: performance.now(),
    agentCpu: await cpuSecondsOf(cluster.agentPid),
    agentIo: await procIo(cluster.agentPid),
    ctdCpu: ctd ? await cpuSecondsOf(ctd).catch(() => NaN) : NaN,
    ctdIo: ctd ? await procIo(ctd).catch(() => null) : null,
    serverCpu: await cpuSecondsOf(cluster.serverPid),
    lines: cluster.agentLog.lines,
  });
  const a = await sample();
  await delay(o.seconds * 1000);
  const b = await sample();
  return {
    seconds: (b.at - a.at) / 1000,
    pods: o.pods,
    agentCpuS: b.agentCpu - a.agentCpu,
    agentWriteBytes: b.agentIo.writeBytes - a.agentIo.writeBytes,
    agentWchar: b.agentIo.wchar - a.agentIo.wchar,
    agentLogLines: b.lines - a.lines,
    containerdCpuS: b.ctdCpu - a.ctdCpu,
    containerdWriteBytes: (b.ctdIo?.writeBytes ?? NaN) - (a.ctdIo?.writeBytes ?? NaN),
    serverCpuS: b.serverCpu - a.serverCpu,
  };
}

/** One pod's times from its `POST`, ms. */
interface PodSample {
  /** When its `POST` was written (bench clock). */
  readonly t0: number;
  readonly total: number;
  readonly post: number;
  readonly bound: number;
  /** Bind seen → Running seen. */
  readonly run: number;
}

/** The watch feeding the timeline, from a LIST's resourceVersion, re-opened if it ends. */
async function startWatch(tls: TlsOptions, timeline: PodTimeline): Promise<() => void> {
  const list = await Http1Connection.connect(tls);
  const listed = await getJson(list, `/api/v1/namespaces/${NAMESPACE}/pods?labelSelector=${LABEL}`);
  list.close();
  if (listed.status !== 200) throw new Error(`Cannot list pods: ${listed.status}`);
  let rv: string = listed.body.metadata.resourceVersion;
  let stopped = false;
  let conn: Http1Connection | null = null;
  const opened = Promise.withResolvers<void>();
  (async () => {
    while (!stopped) {
      try {
        conn = await Http1Connection.connect(tls);
        const path = `/api/v1/namespaces/${NAMESPACE}/pods?watch=1&labelSelector=${LABEL}` +
          `&allowWatchBookmarks=true&timeoutSeconds=3600&resourceVersion=${rv}`;
        opened.resolve();
        await conn.watch(path, (line) => {
          timeline.observe(line, performance.now());
          return !stopped;
        });
      } catch (err) {
        if (!stopped) console.log(`  # the pod watch failed, watching again: ${err}`);
      }
      conn?.close();
      rv = timeline.resourceVersion || rv;
      if (!stopped) await delay(100);
    }
  })();
  await opened.promise;
  return () => {
    stopped = true;
    conn?.close();
  };
}

async function podDiagnosis(c: Http1Connection, name: string): Promise<string> {
  const pod = await getJson(c, `/api/v1/namespaces/${NAMESPACE}/pods/${name}`).catch(() => null);
  return JSON.stringify({ nodeName: pod?.body?.spec?.nodeName, status: pod?.body?.status });
}

interface Ctx {
  readonly cluster: Cluster;
  readonly timeline: PodTimeline;
  /** Connections to create and delete pods on, as many as the batch. */
  readonly conns: readonly Http1Connection[];
}

async function createPod(ctx: Ctx, o: { name: string; conn: Http1Connection }): Promise<void> {
  ctx.timeline.forget(o.name);
  const res = await sendJson(o.conn, {
    method: "POST",
    path: `/api/v1/namespaces/${NAMESPACE}/pods`,
    body: benchPod(o.name),
  });
  if (res.status !== 201) {
    throw new Error(`Cannot create pod "${o.name}": ${res.status} ${res.text.slice(0, 300)}`);
  }
}

async function awaitRunning(ctx: Ctx, name: string): Promise<number> {
  return await within(
    ctx.timeline.when(name, "running"),
    POD_TIMEOUT_MS,
    () => `pod "${name}" to be Running; agent log:\n${ctx.cluster.agentLog.tail()}`,
  );
}

async function sequentialPods(ctx: Ctx, o: { n: number; prefix: string }): Promise<PodSample[]> {
  const samples: PodSample[] = [];
  const c = ctx.conns[0]!;
  for (let i = 0; i < o.n; i++) {
    const name = `${o.prefix}-${i}`;
    const t0 = performance.now();
    await createPod(ctx, { name, conn: c });
    const posted = performance.now();
    let running: number;
    try {
      running = await awaitRunning(ctx, name);
    } catch (err) {
      throw new Error(`${(err as Error).message}\npod: ${await podDiagnosis(c, name)}`);
    }
    const bound = ctx.timeline.at(name, "bound") ?? running;
    samples.push({
      t0,
      total: running - t0,
      post: posted - t0,
      bound: bound - t0,
      run: running - bound,
    });
  }
  return samples;
}

async function batchPods(ctx: Ctx, o: { n: number; prefix: string }): Promise<
  { samples: PodSample[]; wallMs: number }
> {
  const names = Array.from({ length: o.n }, (_, i) => `${o.prefix}-${i}`);
  for (const name of names) ctx.timeline.forget(name);
  const t0 = performance.now();
  const posted = await Promise.all(names.map(async (name, i) => {
    await createPod(ctx, { name, conn: ctx.conns[i % ctx.conns.length]! });
    return performance.now();
  }));
  const running = await Promise.all(names.map((name) => awaitRunning(ctx, name)));
  const samples = names.map((name, i) => {
    const bound = ctx.timeline.at(name, "bound") ?? running[i]!;
    return {
      t0,
      total: running[i]! - t0,
      post: posted[i]! - t0,
      bound: bound - t0,
      run: running[i]! - bound,
    };
  });
  return { samples, wallMs: Math.max(...running) - t0 };
}

/** Deletes the pods `names` and waits for their DELETED events and for their tasks to go. */
async function deletePods(ctx: Ctx, names: readonly string[]): Promise<number> {
  const t0 = performance.now();
  await Promise.all(names.map(async (name, i) => {
    const res = await sendJson(ctx.conns[i % ctx.conns.length]!, {
      method: "DELETE",
      path: `/api/v1/namespaces/${NAMESPACE}/pods/${name}`,
    });
    if (res.status !== 200 && res.status !== 202 && res.status !== 404) {
      throw new Error(`Cannot delete pod "${name}": ${res.status} ${res.text.slice(0, 300)}`);
    }
  }));
  await within(
    Promise.all(names.map((name) => ctx.timeline.when(name, "deleted"))),
    POD_TIMEOUT_MS,
    () =>
      `pods to be deleted (${
        names.filter((n) => ctx.timeline.at(n, "deleted") === undefined).join(", ")
      }); agent log:\n${ctx.cluster.agentLog.tail()}`,
  );
  const deadline = performance.now() + 60_000;
  for (;;) {
    const tasks = await ctrTasks(ctx.cluster.socket);
    const left = [...tasks.values()].filter((s) => s === "RUNNING").length;
    if (left === 0) break;
    if (performance.now() > deadline) {
      throw new Error(`containerd still runs ${left} tasks 60 s after the pods were deleted`);
    }
    await delay(100);
  }
  for (const name of names) ctx.timeline.forget(name);
  return performance.now() - t0;
}

/** Times `ctr run -d`: `n` one after the other, or all at once. */
async function ctrPhase(
  cluster: Cluster,
  o: { n: number; concurrent: boolean; prefix: string; snapshotter: string | undefined },
): Promise<{ ms: number[]; wallMs: number; ids: string[] }> {
  const ids = Array.from({ length: o.n }, (_, i) => `${o.prefix}-${i}`);
  const args = (id: string) =>
    ctrRunArgs({
      address: cluster.socket,
      image: IMAGE,
      id,
      command: COMMAND,
      ...(o.snapshotter ? { snapshotter: o.snapshotter } : {}),
    });
  const t0 = performance.now();
  try {
    const results = o.concurrent
      ? await Promise.all(ids.map((id) => runCtr(args(id))))
      : await ids.reduce(
        async (acc, id) => [...await acc, await runCtr(args(id))],
        Promise.resolve([] as Awaited<ReturnType<typeof runCtr>>[]),
      );
    const wallMs = performance.now() - t0;
    const failed = results.find((r) => !r.ok);
    if (failed) throw new Error(`ctr run failed: ${failed.stderr}`);
    const tasks = await ctrTasks(cluster.socket);
    const notRunning = ids.filter((id) => tasks.get(id) !== "RUNNING");
    if (notRunning.length > 0) {
      throw new Error(`ctr tasks not RUNNING after ctr run -d: ${notRunning.join(", ")}`);
    }
    return { ms: results.map((r) => r.ms), wallMs, ids };
  } finally {
    const failed = await removeCtrContainers(cluster.socket, { ids });
    if (failed.length > 0) console.log(`  # could not remove ctr containers: ${failed.join("; ")}`);
  }
}

/** The p50 of each step of the sequential pods' startups, split at containerd's events. */
function sequentialSplit(
  events: ContainerdEvents,
  samples: readonly PodSample[],
): { n: number; p50: PodStartSegments } {
  const splits = samples.flatMap((s) => {
    const runningAt = s.t0 + s.total;
    const seg = podStartSegments(events.between(s.t0, runningAt), {
      postAt: s.t0,
      boundAt: s.t0 + s.bound,
      runningAt,
    });
    return seg ? [seg] : [];
  });
  const p50 = Object.fromEntries(
    SEGMENTS.map((k) => [k, splits.length ? p50Of(splits.map((x) => x[k])) : NaN]),
  ) as unknown as PodStartSegments;
  return { n: splits.length, p50 };
}

/** The p50s, over `ids`, of containerd's container create → task create → task start, ms. */
function ctrCreateToStart(events: ContainerdEvents, ids: readonly string[]): {
  n: number;
  p50: { create: number; start: number };
} {
  const all = events.between(-Infinity, Infinity);
  const xs = ids.flatMap((id) => {
    const e = containerStartEvents(all, id);
    return e ? [e] : [];
  });
  const p = (f: (e: NonNullable<ReturnType<typeof containerStartEvents>>) => number) =>
    xs.length ? p50Of(xs.map(f)) : NaN;
  return {
    n: xs.length,
    p50: {
      create: p((e) => e.taskCreated.at - e.created.at),
      start: p((e) => e.started.at - e.taskCreated.at),
    },
  };
}

/** Prints the agent's heap after a full GC and its snapshot's largest kinds. */
async function printHeap(
  inspector: InspectorClient,
  o: { label: string; top: number; logDir: string | undefined },
): Promise<void> {
  const m = await inspector.heapAfterGc();
  const text = await inspector.heapSnapshot();
  if (o.logDir) {
    await Deno.writeTextFile(
      join(o.logDir, `agent-${o.label.replace(/\W+/g, "-")}.heapsnapshot`),
      text,
    );
  }
  const { total, shares } = summarizeHeapSnapshot(JSON.parse(text), o.top);
  console.log(
    `  # agent heap (${o.label}) after GC: used ${mib(m.heapUsed / 2 ** 20)} MiB of ${
      mib(m.heapTotal / 2 ** 20)
    }, external ${mib(m.external / 2 ** 20)}; snapshot ${mib(total / 2 ** 20)} MiB, largest:`,
  );
  for (const s of shares) {
    console.log(`    ${mib(s.bytes / 2 ** 20)} MiB ${s.what} (${s.count})`);
  }
}

/** Stops the agent's CPU profile and prints its top functions by self time. */
async function printProfile(
  inspector: InspectorClient,
  o: { label: string; top: number; logDir: string | undefined },
): Promise<void> {
  const profile = await inspector.stopProfile();
  if (o.logDir) {
    await Deno.writeTextFile(
      join(o.logDir, `agent-${o.label}.cpuprofile`),
      JSON.stringify(profile),
    );
  }
  const { totalUs, rows } = topSelfTime(profile, o.top);
  const busy = rows.filter((r) => !/^\((idle|program)\)/.test(r.what));
  console.log(
    `  # agent CPU profile (${o.label}), ${fmt(totalUs / 1e6)} s sampled, top self time:`,
  );
  for (const r of busy) console.log(`    ${fmt(r.us / 1000)} ms ${r.what}`);
}

function statsOf(samples: readonly number[], wallMs: number): LatencyStats {
  return summarize(samples, wallMs);
}

function p50Of(xs: readonly number[]): number {
  return summarize(xs, 1).p50;
}

function mib(x: number | undefined): string {
  return x === undefined || !Number.isFinite(x) ? "-" : fmt(x);
}

function pct(cpuS: number, seconds: number): string {
  return `${((100 * cpuS) / seconds).toFixed(2)} %`;
}

function kib(bytes: number): string {
  return Number.isFinite(bytes) ? `${fmt(bytes / 1024)} KiB` : "-";
}

/** Runs the agent benchmark (options: see the module doc). */
export async function runAgentBench(args: string[]): Promise<void> {
  const options = parseAgentBenchArgs(args);
  if (Deno.uid() !== 0) throw new Error("Cannot run the agent benchmark: it needs root");
  const v8Flags = await productV8Flags();
  const containerdVersion = new TextDecoder().decode(
    (await new Deno.Command("containerd", { args: ["--version"], stdout: "piped" }).output())
      .stdout,
  ).trim().split(/\s+/)[2] ?? "?";
  const machine = { nproc: navigator.hardwareConcurrency, kernel: Deno.osRelease() };
  const versions = {
    deno: Deno.version.deno,
    skiff: SKIFF_VERSION,
    kubernetes: KUBERNETES_VERSION.gitVersion,
    containerd: containerdVersion,
  };
  if (options.logDir) await Deno.mkdir(options.logDir, { recursive: true });
  console.log(
    `# agent benchmark: ${
      JSON.stringify({
        ...machine,
        ...versions,
        quick: options.quick,
        sequential: options.sequential,
        batch: options.batch,
        idleSeconds: options.idleSeconds,
      })
    }`,
  );
  if (options.quick) {
    console.log(
      `# --quick: ${options.sequential} sequential pods, a batch of ${options.batch}, ${options.idleSeconds} s idle windows (not the goals' 50, 30 and 30 s)`,
    );
  }
  if (options.agentEntry || options.agentV8Flags || options.inspect) {
    console.log(
      `# EXPERIMENT, not the product's numbers: ${
        [
          options.agentEntry ? `the agent runs from ${options.agentEntry}` : "",
          options.agentV8Flags ? `the agent's extra V8 flags ${options.agentV8Flags}` : "",
          options.inspect ? "the agent runs with --inspect" : "",
        ].filter((x) => x !== "").join("; ")
      }`,
    );
  }
  const started = performance.now();
  const dir = await Deno.makeTempDir({ prefix: "skiff-bench-agent-" });
  const cleanup = new Cleanup();
  cleanup.add("remove the temp dir", () => Deno.remove(dir, { recursive: true }));
  const onSignal = async () => {
    console.log("# interrupted: cleaning up");
    for (const f of await cleanup.run()) console.log(`# cleanup: ${f}`);
    Deno.exit(130);
  };
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  try {
    await bench(options, { v8Flags, dir, cleanup, machine, versions, started });
  } finally {
    const failed = await cleanup.run();
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
    for (const f of failed) console.log(`# cleanup: ${f}`);
  }
  console.log(`# total ${fmt((performance.now() - started) / 1000)} s`);
}

async function bench(
  options: AgentBenchOptions,
  env: {
    v8Flags: string;
    dir: string;
    cleanup: Cleanup;
    machine: Record<string, unknown>;
    versions: Record<string, unknown>;
    started: number;
  },
): Promise<void> {
  const { cleanup, machine, versions } = env;
  const cluster = await startCluster({
    inspect: options.inspect,
    agentV8Flags: options.agentV8Flags,
    ...(options.agentEntry ? { agentEntry: options.agentEntry } : {}),
    v8Flags: env.v8Flags,
    dir: env.dir,
    cleanup,
    ...(options.logDir ? { logDir: options.logDir } : {}),
  });
  console.log(
    `# node Ready ${
      fmt((cluster.nodeReadyAt - cluster.agentSpawnedAt) / 1000)
    } s after the agent was spawned`,
  );
  const snapshotter = criSnapshotter(await Deno.readTextFile(cluster.containerdConfig));
  const events = new ContainerdEvents(cluster.socket);
  cleanup.add("stop ctr events", () => events.stop());
  const timeline = new PodTimeline();
  const stopWatch = await startWatch(cluster.tls, timeline);
  cleanup.add("stop the watch", () => Promise.resolve(stopWatch()));
  const conns = await Promise.all(
    Array.from({ length: options.batch }, () => Http1Connection.connect(cluster.tls)),
  );
  cleanup.add("close the connections", () => Promise.resolve(conns.forEach((c) => c.close())));
  const ctx: Ctx = { cluster, timeline, conns };

  // Idle, fresh: no pod has run yet.
  await delay(10_000);
  const idleFresh = await footprint(cluster);
  console.log(`# idle agent VmRSS ${mib(idleFresh.agent.VmRSS)} MiB; idle window (no pods)…`);
  const idle0 = await idleWindow(cluster, { seconds: options.idleSeconds, pods: 0 });
  const inspector = cluster.inspector;
  if (inspector) await printHeap(inspector, { label: "idle", top: 25, logDir: options.logDir });

  // Warm-up: one pod and one ctr run.
  await sequentialPods(ctx, { n: 1, prefix: "warm" });
  await deletePods(ctx, ["warm-0"]);
  await ctrPhase(cluster, { n: 1, concurrent: false, prefix: "bench-ctr-warm", snapshotter });

  console.log(`# ${options.sequential} sequential pods…`);
  await inspector?.startProfile(200);
  const seqCpu0 = await phaseCpu(cluster);
  const seqWall0 = performance.now();
  const seq = await sequentialPods(ctx, { n: options.sequential, prefix: "seq" });
  const seqWall = performance.now() - seqWall0;
  const seqCpu1 = await phaseCpu(cluster);
  if (inspector) {
    await printProfile(inspector, { label: "sequential", top: 30, logDir: options.logDir });
  }
  const seqDeleteMs = await deletePods(
    ctx,
    Array.from({ length: options.sequential }, (_, i) => `seq-${i}`),
  );
  console.log(`# ${options.sequential} sequential ctr runs…`);
  const ctrSeq = await ctrPhase(cluster, {
    n: options.sequential,
    concurrent: false,
    prefix: "bench-ctr-seq",
    snapshotter,
  });

  console.log(`# a batch of ${options.batch} pods…`);
  await inspector?.startProfile(200);
  const batchCpu0 = await phaseCpu(cluster);
  const batch = await batchPods(ctx, { n: options.batch, prefix: "batch" });
  const batchCpu1 = await phaseCpu(cluster);
  if (inspector) await printProfile(inspector, { label: "batch", top: 20, logDir: options.logDir });
  await delay(5_000);
  const loaded = await footprint(cluster);
  console.log(
    `# agent VmRSS with ${options.batch} pods ${
      mib(loaded.agent.VmRSS)
    } MiB; idle window (${options.batch} pods running)…`,
  );
  const idleLoaded = await idleWindow(cluster, {
    seconds: options.idleSeconds,
    pods: options.batch,
  });
  if (inspector) {
    await printHeap(inspector, { label: `${options.batch} pods`, top: 25, logDir: options.logDir });
  }
  const batchDeleteMs = await deletePods(
    ctx,
    Array.from({ length: options.batch }, (_, i) => `batch-${i}`),
  );
  console.log(`# ${options.batch} concurrent ctr runs…`);
  const ctrBatch = await ctrPhase(cluster, {
    n: options.batch,
    concurrent: true,
    prefix: "bench-ctr-batch",
    snapshotter,
  });
  await delay(5_000);
  const idleAfter = await footprint(cluster);

  // The report.
  const split = sequentialSplit(events, seq);
  const ctrSplit = ctrCreateToStart(events, ctrSeq.ids);
  const seqStats = statsOf(seq.map((s) => s.total), seqWall);
  const batchStats = statsOf(batch.samples.map((s) => s.total), batch.wallMs);
  const ctrSeqStats = statsOf(ctrSeq.ms, ctrSeq.wallMs);
  const ctrBatchStats = statsOf(ctrBatch.ms, ctrBatch.wallMs);
  const ratioSeq = seqStats.p50 / ctrSeqStats.p50;
  const ratioBatch = batchStats.p50 / ctrBatchStats.p50;
  const goalMiB = GOAL_RSS_BYTES / 2 ** 20;
  const rssMax = Math.max(idleFresh.agent.VmRSS!, loaded.agent.VmRSS!, idleAfter.agent.VmRSS!);
  const cpuShare = (w: IdleWindow) => w.agentCpuS / w.seconds;
  const cpuMax = Math.max(cpuShare(idle0), cpuShare(idleLoaded));
  const breakdown = (s: readonly PodSample[]) =>
    `POST answered ${fmt(p50Of(s.map((x) => x.post)))}, bind seen ${
      fmt(p50Of(s.map((x) => x.bound)))
    }, bind → Running seen ${fmt(p50Of(s.map((x) => x.run)))} (p99 ${
      fmt(summarize(s.map((x) => x.run), 1).p99)
    })`;

  console.log("");
  console.log(
    `pod startup (POST → Running seen via watch), ms | p50 | p99 | mean | ctr run p50 | p99 | ratio p50`,
  );
  console.log(
    `  sequential × ${seqStats.n} | ${fmt(seqStats.p50)} | ${fmt(seqStats.p99)} | ${
      fmt(seqStats.mean)
    } | ${fmt(ctrSeqStats.p50)} | ${fmt(ctrSeqStats.p99)} | ${ratioSeq.toFixed(2)}x`,
  );
  console.log(
    `  batch of ${batchStats.n} | ${fmt(batchStats.p50)} | ${fmt(batchStats.p99)} | ${
      fmt(batchStats.mean)
    } | ${fmt(ctrBatchStats.p50)} | ${fmt(ctrBatchStats.p99)} | ${ratioBatch.toFixed(2)}x`,
  );
  console.log(`  sequential p50s: ${breakdown(seq)}`);
  if (split.n > 0) {
    const p = (k: keyof PodStartSegments) => fmt(split.p50[k]);
    console.log(
      `  sequential pod, p50 of each step (containerd's events, ${split.n} pods): schedule ${
        p("schedule")
      } → agent until sandbox create ${p("beforeSandbox")} → sandbox task create (CNI ADD, shim) ${
        p("sandboxTaskCreate")
      } → sandbox task start ${p("sandboxTaskStart")} → app container create ${
        p("sandboxToContainer")
      } → its task create ${p("containerTaskCreate")} → its start ${
        p("containerTaskStart")
      } → status written and seen ${p("statusSeen")}`,
    );
  }
  if (ctrSplit.n > 0) {
    console.log(
      `  sequential ctr run p50: container create → task create ${
        fmt(ctrSplit.p50.create)
      } → task start ${fmt(ctrSplit.p50.start)}, of ${
        fmt(ctrSeqStats.p50)
      } (the rest: the ctr process, its image and snapshot calls)`,
    );
  }
  console.log(
    `  batch p50s: ${breakdown(batch.samples)}; all ${batchStats.n} Running after ${
      fmt(batch.wallMs)
    } ms (ctr: ${fmt(ctrBatch.wallMs)} ms)`,
  );
  console.log(`  sequential CPU: ${phaseCpuText(seqCpu0, seqCpu1, options.sequential)}`);
  console.log(`  batch CPU: ${phaseCpuText(batchCpu0, batchCpu1, options.batch)}`);
  console.log(
    `  deleting: ${options.sequential} pods ${fmt(seqDeleteMs)} ms, ${options.batch} pods ${
      fmt(batchDeleteMs)
    } ms (1 s grace period)`,
  );
  console.log("");
  console.log(
    `memory, MiB | agent VmRSS | RssAnon | RssFile | containerd VmRSS | shims | server VmRSS`,
  );
  for (
    const [label, f] of [
      ["idle, before any pod", idleFresh],
      [`${options.batch} pods running`, loaded],
      ["idle, after the pods", idleAfter],
    ] as const
  ) {
    console.log(
      `  ${label} | ${mib(f.agent.VmRSS)} | ${mib(f.agent.RssAnon)} | ${mib(f.agent.RssFile)} | ${
        mib(f.containerd.VmRSS)
      } | ${f.shims.count} × = ${mib(f.shims.rssMiB)} | ${mib(f.serverRssMiB)}`,
    );
  }
  console.log("");
  console.log(
    `idle window | agent CPU | agent write_bytes | agent wchar | agent log lines | containerd CPU | containerd write_bytes | server CPU`,
  );
  for (const w of [idle0, idleLoaded]) {
    console.log(
      `  ${fmt(w.seconds)} s, ${w.pods} pods | ${pct(w.agentCpuS, w.seconds)} | ${
        kib(w.agentWriteBytes)
      } | ${kib(w.agentWchar)} | ${w.agentLogLines} | ${pct(w.containerdCpuS, w.seconds)} | ${
        kib(w.containerdWriteBytes)
      } | ${pct(w.serverCpuS, w.seconds)}`,
    );
  }
  console.log("");
  console.log("goals:");
  console.log(
    `  sequential pod startup p50 < ${GOAL_P50_MS} ms: ${fmt(seqStats.p50)} ms — ${
      verdict(seqStats.p50 < GOAL_P50_MS)
    }`,
  );
  console.log(
    `  within ${GOAL_RATIO}× of ctr run (p50, sequential): ${ratioSeq.toFixed(2)}× — ${
      verdict(ratioSeq <= GOAL_RATIO)
    } (batch: ${ratioBatch.toFixed(2)}× — ${verdict(ratioBatch <= GOAL_RATIO)})`,
  );
  console.log(
    `  agent VmRSS < 60 MB (${fmt(goalMiB)} MiB), idle and with ${options.batch} pods: max ${
      mib(rssMax)
    } MiB — ${verdict(rssMax < goalMiB)}${options.quick ? " (--quick: not 30 pods)" : ""}`,
  );
  console.log(
    `  agent idle CPU < 1 % of a core: ${pct(idle0.agentCpuS, idle0.seconds)} (no pods), ${
      pct(idleLoaded.agentCpuS, idleLoaded.seconds)
    } (${options.batch} pods) — ${verdict(cpuMax < GOAL_IDLE_CPU)}`,
  );
  console.log(
    `  (no goal) agent storage writes while idle: ${kib(idle0.agentWriteBytes)} / ${
      fmt(idle0.seconds)
    } s (no pods), ${kib(idleLoaded.agentWriteBytes)} / ${
      fmt(idleLoaded.seconds)
    } s (${options.batch} pods)`,
  );
  for (const [who, log] of [["agent", cluster.agentLog], ["server", cluster.serverLog]] as const) {
    const p = log.problems();
    if (p !== "") console.log(`  # the ${who} logged ${p}`);
  }
  if (timeline.errors > 0) console.log(`  # ${timeline.errors} watch lines were not pod events`);
  const common = { quick: options.quick, machine, versions };
  const line = (o: Record<string, unknown>) => console.log(JSON.stringify({ ...o, ...common }));
  line({
    name: "agent/pod-startup-sequential",
    goal: `p50 < ${GOAL_P50_MS} ms and <= ${GOAL_RATIO}x ctr run`,
    value: seqStats.p50,
    baseline_value: ctrSeqStats.p50,
    ratio: ratioSeq,
    p50: seqStats.p50,
    p99: seqStats.p99,
    baseline_p99: ctrSeqStats.p99,
    n: seqStats.n,
  });
  line({
    name: "agent/pod-startup-batch",
    goal: `<= ${GOAL_RATIO}x ctr run`,
    value: batchStats.p50,
    baseline_value: ctrBatchStats.p50,
    ratio: ratioBatch,
    p50: batchStats.p50,
    p99: batchStats.p99,
    baseline_p99: ctrBatchStats.p99,
    n: batchStats.n,
    wall_ms: batch.wallMs,
    baseline_wall_ms: ctrBatch.wallMs,
  });
  line({
    name: "agent/rss",
    goal: "agent VmRSS < 60 MB",
    value: rssMax,
    unit: "MiB",
    idle: idleFresh,
    loaded: { pods: options.batch, ...loaded },
    idle_after: idleAfter,
  });
  line({
    name: "agent/idle-cpu",
    goal: "agent < 1% of a core",
    value: cpuMax,
    windows: [idle0, idleLoaded],
  });
}
