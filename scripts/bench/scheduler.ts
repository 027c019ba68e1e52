// deno-lint-ignore-file no-console
/**
 * `deno task bench scheduler`: a clone of kube-scheduler's scheduler_perf SchedulingBasic on
 * fake nodes (Node objects only, no agent), next to a bind-only baseline measured in the same
 * run, plus the affinity-heavy SchedulingPodAntiAffinity and TopologySpreading workloads.
 *
 * **Setup — the scheduler as skiff ships it.** `skiff server` runs the scheduler inside the
 * server process, over an in-process client, on the same JavaScript thread as the API server;
 * so does this benchmark. Each trial starts a fresh server process (`_scheduler_host.ts`: the
 * API server started as `skiff server` starts it, Deno KV in a new data directory) pinned to
 * CPU 1, with either the scheduler (`runScheduler` as `skiff server` calls it: as
 * `system:kube-scheduler`, under leader election) or the bind-only baseline. This process, on
 * CPU 0, is the test client: it creates the nodes, the placed pods and the measured pods over
 * HTTPS (16 keep-alive connections) and watches the pods to see them bound.
 *
 * **Workload** (upstream's templates): nodes `node-<i>` with capacity and allocatable cpu 4,
 * memory 32Gi, pods 110, `kubernetes.io/hostname`, `topology.kubernetes.io/zone` across 3
 * zones, `Ready=True`; pods with one container requesting (and limited to) 100m / 500Mi.
 * - `basic-500`, `basic-5000` (SchedulingBasic): 500 / 5,000 nodes, 1,000 pods already placed
 *   (created with `nodeName`, round-robin), then 1,000 / 10,000 measured pods (`--quick`: 1,000).
 * - `anti-affinity-500` (SchedulingPodAntiAffinity 500Nodes): required pod anti-affinity on
 *   `kubernetes.io/hostname` for `color=green` in namespaces sched-0 and sched-1; 100 placed
 *   (one per node), 400 measured — every measured pod needs a node of its own.
 * - `spread-500` (TopologySpreading 500Nodes): 1,000 plain pods placed, then 1,000 pods with a
 *   `DoNotSchedule` spread constraint on the zone, maxSkew 5.
 * Before measuring, 50 warm-up pods are scheduled (caches synced, code warm).
 *
 * **What is measured.** From the first measured create to the last pod seen bound on the
 * watch: average pods/s (measured pods ÷ that time — scheduler_perf's SchedulingThroughput
 * average, computed over the whole run instead of per-second samples); and each pod's latency
 * from its create's answer to its bound event on the client's watch (p50/p99). Pods are
 * created while the scheduler runs, as upstream's createPods does, 16 at a time.
 *
 * **What the numbers mean.** The server's one thread does everything for a pod: its create,
 * its scheduling, its binding, the `Scheduled` event, the watch events. On this machine it is
 * busy ~99% of the time in both modes, so pods/s ≈ 1 / (server CPU per pod), however fast the
 * client creates (the create rate then just tracks pods/s): the number is what a user creating
 * pods in a burst gets from `skiff server` on one core, not the scheduler alone. The server's
 * CPU time per measured pod is printed for both modes; their difference is what scheduling
 * costs per pod (cycle, binding call, event, the scheduler's watches, their GC), and 1000 / that
 * is the rate the scheduler alone could reach if it had a core to itself. scheduler_perf runs
 * apiserver, etcd and scheduler in one process too, but across many cores.
 *
 * **Baseline — bind-only, the upper bound.** The same trial with the scheduler replaced by a
 * binder in the same process, as the same user through the same in-process client, that does
 * only the API work any scheduler must: it watches unscheduled pods and POSTs each pod's
 * `pods/binding` as soon as it sees it, to the nodes round-robin, with no limit on bindings in
 * flight (the scheduler binds in the background without one either; the peak in flight of both
 * is printed). The ratio is scheduler pods/s ÷ bind-only pods/s: what is left of the API's
 * bind rate once scheduling decisions (and the scheduler's `Scheduled` events) share its core.
 *
 * **Memory.** The scheduler shares its process with the API server, so its own RSS cannot be
 * read; what is reported is its **V8 heap, by difference**: the server process's heap after a
 * full GC at the end of the scheduler trial minus the same at the end of the bind-only trial
 * (same objects stored; the difference is the scheduler's informers, cache, queue, snapshot,
 * and the API's copies of its events). The processes' total and peak RSS are printed as well.
 *
 * Trials run `--runs` times each (default 3 for 500 nodes, 1 for 5,000 nodes to stay within
 * about 5 minutes on 2 cores), alternating scheduler and baseline; the median run by pods/s is
 * reported. Options: `--quick`, `--runs N`, `--only basic-500,spread-500`, `--pin off`,
 * `--cpu-profile-dir DIR` (a V8 `.cpuprofile` of each trial's measured phase, for Chrome
 * DevTools: `<workload>-<run>` and `<workload>-bind-only-<run>`), `--host-v8-flags A,B` (more
 * V8 flags for the server process).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { KUBERNETES_VERSION, SKIFF_VERSION } from "../../control/version.ts";
import { HostChannel, type Json, spawnHost } from "./_host_channel.ts";
import { Http1Connection, type TlsOptions } from "./_http1_client.ts";
import { freePort, pin, productV8Flags, tlsOfKubeconfig } from "./_server_process.ts";
import { quantile } from "./stats.ts";

const HOST = new URL("./_scheduler_host.ts", import.meta.url).pathname;
/** Connections (and so concurrent creates) of the test client. */
const CONNECTIONS = 16;
const WARMUP_PODS = 50;
const ZONES = ["zone-1", "zone-2", "zone-3"];

type PodTemplate = (name: string, namespace: string, nodeName?: string) => Json;

/** One workload of the benchmark. */
interface Workload {
  readonly name: string;
  /** The scheduler_perf workload it clones. */
  readonly upstream: string;
  readonly nodes: number;
  readonly placedPods: number;
  readonly placed: PodTemplate;
  readonly measuredPods: number;
  readonly measured: PodTemplate;
  /** Where placed pod `i` goes. */
  readonly placeOn: (i: number, nodes: number) => number;
  /** pods/s to reach, if any. */
  readonly goalPodsPerSec?: number;
  /** MiB of scheduler heap not to exceed, if any. */
  readonly goalHeapMiB?: number;
  /** What is wrong with where the measured pods went (pod → node), if anything. */
  readonly verify?: (placements: ReadonlyMap<string, string>) => string | null;
}

/** No two measured pods on one node, none on a node holding a placed pod (nodes 0–99). */
function verifyAntiAffinity(placements: ReadonlyMap<string, string>): string | null {
  const used = new Set<string>();
  for (const [pod, node] of placements) {
    if (used.has(node)) return `two anti-affine pods on ${node} (one is ${pod})`;
    if (Number(node.slice("node-".length)) < 100) return `${pod} shares ${node} with a placed pod`;
    used.add(node);
  }
  return null;
}

/** The measured pods' zones differ by at most maxSkew 5. */
function verifySpread(placements: ReadonlyMap<string, string>): string | null {
  const counts = ZONES.map(() => 0);
  for (const node of placements.values()) {
    counts[Number(node.slice("node-".length)) % ZONES.length]!++;
  }
  const skew = Math.max(...counts) - Math.min(...counts);
  return skew > 5 ? `zone skew ${skew} > 5 (${counts.join("/")})` : null;
}

function container(): Json {
  return {
    name: "pause",
    image: "registry.k8s.io/pause:3.10",
    ports: [{ containerPort: 80 }],
    resources: {
      limits: { cpu: "100m", memory: "500Mi" },
      requests: { cpu: "100m", memory: "500Mi" },
    },
  };
}

function defaultPod(name: string, namespace: string, nodeName?: string): Json {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace },
    spec: { ...(nodeName ? { nodeName } : {}), containers: [container()] },
  };
}

function antiAffinityPod(name: string, namespace: string, nodeName?: string): Json {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace, labels: { color: "green" } },
    spec: {
      ...(nodeName ? { nodeName } : {}),
      affinity: {
        podAntiAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: [{
            labelSelector: { matchLabels: { color: "green" } },
            topologyKey: "kubernetes.io/hostname",
            namespaces: ["sched-1", "sched-0"],
          }],
        },
      },
      containers: [container()],
    },
  };
}

function spreadPod(name: string, namespace: string, nodeName?: string): Json {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace, labels: { color: "blue" } },
    spec: {
      ...(nodeName ? { nodeName } : {}),
      topologySpreadConstraints: [{
        maxSkew: 5,
        topologyKey: "topology.kubernetes.io/zone",
        whenUnsatisfiable: "DoNotSchedule",
        labelSelector: { matchLabels: { color: "blue" } },
      }],
      containers: [container()],
    },
  };
}

function nodeObject(i: number): Json {
  const name = `node-${i}`;
  const resources = { cpu: "4", memory: "32Gi", pods: "110" };
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name,
      labels: {
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "topology.kubernetes.io/zone": ZONES[i % ZONES.length]!,
      },
    },
    spec: {},
    status: {
      capacity: resources,
      allocatable: resources,
      conditions: [{
        type: "Ready",
        status: "True",
        reason: "KubeletReady",
        message: "kubelet is posting ready status",
      }],
      phase: "Running",
    },
  };
}

function roundRobin(i: number, nodes: number): number {
  return i % nodes;
}

function workloads(quick: boolean): Workload[] {
  return [
    {
      name: "basic-500",
      upstream: "SchedulingBasic/500Nodes",
      nodes: 500,
      placedPods: 1000,
      placed: defaultPod,
      measuredPods: 1000,
      measured: defaultPod,
      placeOn: roundRobin,
      goalPodsPerSec: 300,
    },
    {
      name: "basic-5000",
      upstream: "SchedulingBasic/5000Nodes_10000Pods",
      nodes: 5000,
      placedPods: 1000,
      placed: defaultPod,
      measuredPods: quick ? 1000 : 10_000,
      measured: defaultPod,
      placeOn: roundRobin,
      goalPodsPerSec: 100,
      goalHeapMiB: 200,
    },
    {
      name: "anti-affinity-500",
      upstream: "SchedulingPodAntiAffinity/500Nodes",
      nodes: 500,
      placedPods: 100,
      placed: antiAffinityPod,
      measuredPods: 400,
      measured: antiAffinityPod,
      placeOn: roundRobin,
      verify: verifyAntiAffinity,
    },
    {
      name: "spread-500",
      upstream: "TopologySpreading/500Nodes",
      nodes: 500,
      placedPods: 1000,
      placed: defaultPod,
      measuredPods: 1000,
      measured: spreadPod,
      placeOn: roundRobin,
      verify: verifySpread,
    },
  ];
}

/** Memory of the server process, from `_scheduler_host.ts`. */
interface HostMemory {
  /** CPU time of the process so far (all threads), µs. */
  readonly cpuUs: number;
  readonly heapUsedMiB: number;
  readonly proc: { VmRSS: number; VmHWM: number; RssAnon: number; RssFile: number };
  readonly binds: number;
  readonly failedBinds: number;
  readonly maxInflightBinds: number;
  /** Events the scheduler (or binder: none) has written so far. */
  readonly eventsWritten: number;
}

/** How to start the server process. */
interface HostOptions {
  readonly v8Flags: string;
  readonly pinned: boolean;
  /** Where to write a CPU profile of the measured phase. */
  readonly cpuProfile?: string;
}

/** A server process started by {@linkcode startHost}. */
interface Host {
  readonly pid: number;
  readonly tls: TlsOptions;
  /** Sends a command and waits for the answer of type `event`. */
  command(cmd: Json, event: string): Promise<Json>;
  stop(): Promise<void>;
}

async function startHost(
  mode: "scheduler" | "bind-only",
  options: HostOptions,
): Promise<Host & { dataDir: string }> {
  const dataDir = await Deno.makeTempDir({ prefix: "skiff-bench-sched-" });
  const port = freePort();
  const child = spawnHost(HOST, {
    v8Flags: options.v8Flags,
    args: [
      "--data-dir",
      `${dataDir}/data`,
      "--port",
      String(port),
      "--mode",
      mode,
      ...(options.cpuProfile ? ["--cpu-profile", options.cpuProfile] : []),
    ],
    stderr: "inherit",
  });
  if (options.pinned) await pin(child.pid, 1);
  const channel = new HostChannel(
    child,
    (event, ms) => `Server process sent no "${event}" within ${ms} ms`,
  );
  let ready: Json;
  try {
    ready = await Promise.race([
      channel.next("ready", 60_000),
      child.status.then((s) => {
        throw new Error(`Server process exited with ${s.code} before it was ready`);
      }),
    ]);
  } catch (err) {
    try {
      child.kill("SIGKILL");
    } catch {
      // gone
    }
    await child.status;
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    throw err;
  }
  const tls = tlsOfKubeconfig(await Deno.readTextFile(String(ready.kubeconfig)), port);
  return {
    pid: child.pid,
    tls,
    dataDir,
    command: (cmd, event) => channel.command(cmd, event),
    async stop() {
      await channel.stop();
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    },
  };
}

/** Connections to the server, one per concurrent request. */
class Connections {
  readonly #conns: Http1Connection[];

  constructor(conns: Http1Connection[]) {
    this.#conns = conns;
  }

  static async open(tls: TlsOptions, n: number): Promise<Connections> {
    const conns: Http1Connection[] = [];
    for (let i = 0; i < n; i++) conns.push(await Http1Connection.connect(tls));
    return new Connections(conns);
  }

  /**
   * Runs `op(conn, i)` for i in [0, n), one at a time per connection; returns when all are done.
   */
  async forEach(
    n: number,
    op: (conn: Http1Connection, i: number) => Promise<void>,
  ): Promise<void> {
    let next = 0;
    await Promise.all(this.#conns.map(async (c) => {
      for (;;) {
        const i = next++;
        if (i >= n) return;
        await op(c, i);
      }
    }));
  }

  get first(): Http1Connection {
    return this.#conns[0]!;
  }

  close(): void {
    for (const c of this.#conns) c.close();
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

async function post(conn: Http1Connection, path: string, body: Json): Promise<void> {
  const res = await conn.request("POST", path, encoder.encode(JSON.stringify(body)));
  if (res.status !== 201) {
    throw new Error(`Cannot POST ${path}: ${res.status} ${decoder.decode(res.body)}`);
  }
}

async function resourceVersionOf(conn: Http1Connection, namespace: string): Promise<string> {
  const res = await conn.request("GET", `/api/v1/namespaces/${namespace}/pods?limit=1`);
  if (res.status !== 200) throw new Error(`Cannot list pods: ${res.status}`);
  return (JSON.parse(decoder.decode(res.body)) as { metadata: { resourceVersion: string } })
    .metadata.resourceVersion;
}

/** Watches a namespace's pods and records when each is first seen bound. */
class BoundWatch {
  readonly boundAt = new Map<string, number>();
  readonly nodeOf = new Map<string, string>();
  readonly #expected: number;
  readonly #conn: Http1Connection;
  readonly #done: Promise<void>;
  #resolve!: () => void;
  #stopped = false;
  readonly #watching: Promise<void>;

  constructor(conn: Http1Connection, path: string, expected: number) {
    this.#conn = conn;
    this.#expected = expected;
    this.#done = new Promise((r) => this.#resolve = r);
    this.#watching = conn.watch(path, (line) => {
      if (this.#stopped) return false;
      const now = performance.now();
      const ev = JSON.parse(line) as {
        type: string;
        object: { metadata?: { name?: string }; spec?: { nodeName?: string } };
      };
      const name = ev.object.metadata?.name ?? "";
      const node = ev.object.spec?.nodeName ?? "";
      if (node !== "" && !this.boundAt.has(name)) {
        this.boundAt.set(name, now);
        this.nodeOf.set(name, node);
        if (this.boundAt.size >= this.#expected) this.#resolve();
      }
      return true;
    }).catch(() => {});
  }

  static async start(tls: TlsOptions, namespace: string, expected: number): Promise<BoundWatch> {
    const conn = await Http1Connection.connect(tls);
    const rv = await resourceVersionOf(conn, namespace);
    return new BoundWatch(
      conn,
      `/api/v1/namespaces/${namespace}/pods?watch=true&resourceVersion=${rv}`,
      expected,
    );
  }

  /** Resolves once all expected pods are bound, or after `timeoutMs`; returns whether all were. */
  async wait(timeoutMs: number): Promise<boolean> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const all = await Promise.race([
      this.#done.then(() => true),
      new Promise<boolean>((r) => timer = setTimeout(() => r(false), timeoutMs)),
    ]);
    clearTimeout(timer);
    return all;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#conn.close();
    await this.#watching;
  }
}

/** What one trial measured. */
interface Trial {
  readonly mode: "scheduler" | "bind-only";
  readonly n: number;
  readonly bound: number;
  readonly podsPerSec: number;
  readonly createPerSec: number;
  readonly p50: number;
  readonly p99: number;
  readonly wallMs: number;
  readonly setupMs: number;
  /**
   * CPU time of the server process per measured pod, from the first create to the memory
   * query after the last bind (all threads: API, scheduler or binder, storage).
   */
  readonly serverCpuMsPerPod: number;
  /** Events written from the first create to the memory query (the `Scheduled` ones). */
  readonly eventsWritten: number;
  readonly mem: HostMemory;
}

async function runTrial(
  w: Workload,
  mode: "scheduler" | "bind-only",
  options: HostOptions,
): Promise<Trial> {
  const setupStart = performance.now();
  const host = await startHost(mode, options);
  let conns: Connections | undefined;
  try {
    conns = await Connections.open(host.tls, CONNECTIONS);
    for (const ns of ["sched-0", "sched-1", "warmup"]) {
      await post(conns.first, "/api/v1/namespaces", { metadata: { name: ns } });
    }
    await conns.forEach(w.nodes, (c, i) => post(c, "/api/v1/nodes", nodeObject(i)));
    await conns.forEach(w.placedPods, (c, i) =>
      post(
        c,
        "/api/v1/namespaces/sched-0/pods",
        w.placed(`placed-${i}`, "sched-0", `node-${w.placeOn(i, w.nodes)}`),
      ));
    await host.command({ nodes: w.nodes }, "nodes");

    // Warm-up: caches synced, code paths compiled.
    const warm = await BoundWatch.start(host.tls, "warmup", WARMUP_PODS);
    await conns.forEach(
      WARMUP_PODS,
      (c, i) => post(c, "/api/v1/namespaces/warmup/pods", defaultPod(`warm-${i}`, "warmup")),
    );
    if (!await warm.wait(60_000)) {
      throw new Error(`${mode}: warm-up pods not bound within 60 s (${warm.boundAt.size})`);
    }
    await warm.stop();
    const setupMs = performance.now() - setupStart;

    const watch = await BoundWatch.start(host.tls, "sched-1", w.measuredPods);
    const start = await host.command({ cpu: true }, "cpu");
    const cpu0 = Number(start.cpuUs);
    const createdAt = new Map<string, number>();
    const t0 = performance.now();
    await conns.forEach(w.measuredPods, async (c, i) => {
      const name = `pod-${i}`;
      await post(c, "/api/v1/namespaces/sched-1/pods", w.measured(name, "sched-1"));
      createdAt.set(name, performance.now());
    });
    const createdMs = performance.now() - t0;
    const all = await watch.wait(Math.max(60_000, w.measuredPods * 20));
    await watch.stop();
    if (watch.boundAt.size === 0) throw new Error(`${w.name} ${mode}: no pod was bound`);
    const lastBound = Math.max(...watch.boundAt.values());
    const wallMs = lastBound - t0;
    const latencies: number[] = [];
    for (const [name, at] of watch.boundAt) {
      const created = createdAt.get(name);
      if (created !== undefined) latencies.push(Math.max(0, at - created));
    }
    latencies.sort((a, b) => a - b);
    if (!all) {
      console.log(
        `# ${w.name} ${mode}: only ${watch.boundAt.size} of ${w.measuredPods} pods bound`,
      );
    }
    const mem = await host.command({ mem: true }, "mem") as unknown as HostMemory;
    const wrong = mode === "scheduler" ? w.verify?.(watch.nodeOf) ?? null : null;
    if (wrong !== null) console.log(`# ${w.name}: WRONG PLACEMENT: ${wrong}`);
    if (mem.failedBinds > 0) console.log(`# ${w.name} ${mode}: ${mem.failedBinds} failed binds`);
    return {
      mode,
      n: w.measuredPods,
      bound: watch.boundAt.size,
      podsPerSec: watch.boundAt.size / (wallMs / 1000),
      createPerSec: w.measuredPods / (createdMs / 1000),
      p50: quantile(latencies, 0.5),
      p99: quantile(latencies, 0.99),
      wallMs,
      setupMs,
      serverCpuMsPerPod: (mem.cpuUs - cpu0) / 1000 / Math.max(1, watch.boundAt.size),
      eventsWritten: mem.eventsWritten - Number(start.eventsWritten),
      mem,
    };
  } finally {
    conns?.close();
    await host.stop();
  }
}

/** The median trial by pods/s. */
function medianTrial(trials: Trial[]): Trial {
  const sorted = trials.toSorted((a, b) => a.podsPerSec - b.podsPerSec);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** fsync latency of the temp directory's disk (ms, median of 20 4 KiB writes). */
async function fsyncMs(): Promise<number> {
  const dir = await Deno.makeTempDir({ prefix: "skiff-bench-fsync-" });
  try {
    using f = await Deno.open(`${dir}/f`, { write: true, create: true });
    const block = new Uint8Array(4096);
    const samples: number[] = [];
    for (let i = 0; i < 20; i++) {
      await f.write(block);
      const t = performance.now();
      await f.sync();
      samples.push(performance.now() - t);
    }
    samples.sort((a, b) => a - b);
    return quantile(samples, 0.5);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function fmt(x: number): string {
  return !Number.isFinite(x)
    ? "-"
    : x >= 100
    ? x.toFixed(0)
    : x >= 10
    ? x.toFixed(1)
    : x.toFixed(2);
}

/**
 * Runs the scheduler benchmark. Options: `--quick` (1,000 measured pods at 5,000 nodes),
 * `--runs N` (trials per workload and mode), `--only a,b` (workload names), `--pin off`.
 */
export async function runSchedulerBench(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      quick: { type: "boolean", default: false },
      runs: { type: "string" },
      only: { type: "string" },
      pin: { type: "string", default: "on" },
      /** More V8 flags for the server process, e.g. `--prof,--logfile=/tmp/s.log` to profile. */
      "host-v8-flags": { type: "string", default: "" },
      /** Writes a V8 CPU profile of each trial's measured phase into this directory. */
      "cpu-profile-dir": { type: "string" },
    },
  });
  const all = workloads(values.quick);
  const only = values.only?.split(",").map((s) => s.trim());
  const selected = only ? all.filter((w) => only.includes(w.name)) : all;
  if (selected.length === 0) {
    throw new RangeError(
      `Cannot run workloads "${values.only}": expected some of ${all.map((w) => w.name)}`,
    );
  }
  const pinned = values.pin !== "off" && navigator.hardwareConcurrency >= 2 &&
    await pin(Deno.pid, 0);
  const machine = {
    nproc: navigator.hardwareConcurrency,
    kernel: Deno.osRelease(),
    "fsync_ms": Number((await fsyncMs()).toFixed(3)),
  };
  const versions = {
    deno: Deno.version.deno,
    skiff: SKIFF_VERSION,
    kubernetes: KUBERNETES_VERSION.gitVersion,
  };
  const v8Flags = [await productV8Flags(), values["host-v8-flags"]].filter((f) => f !== "")
    .join(",");
  console.log(
    `# scheduler benchmark: ${JSON.stringify({ ...machine, ...versions, quick: values.quick })}`,
  );
  console.log(
    `# server (API + scheduler or bind-only baseline) pinned to CPU 1, test client to CPU 0: ${pinned}`,
  );
  console.log(
    "workload | nodes | placed | measured | pods/s | p50 / p99 ms create→bound | bind-only pods/s | bind-only p50 / p99 ms | ratio | goal",
  );
  const started = performance.now();
  for (const w of selected) {
    const runs = values.runs !== undefined ? Number(values.runs) : w.nodes >= 5000 ? 1 : 3;
    const sched: Trial[] = [];
    const bind: Trial[] = [];
    for (let r = 0; r < runs; r++) {
      const dir = values["cpu-profile-dir"];
      sched.push(
        await runTrial(w, "scheduler", {
          v8Flags,
          pinned,
          ...(dir ? { cpuProfile: `${dir}/${w.name}-${r}.cpuprofile` } : {}),
        }),
      );
      bind.push(
        await runTrial(w, "bind-only", {
          v8Flags,
          pinned,
          ...(dir ? { cpuProfile: `${dir}/${w.name}-bind-only-${r}.cpuprofile` } : {}),
        }),
      );
    }
    const s = medianTrial(sched);
    const b = medianTrial(bind);
    const ratio = s.podsPerSec / b.podsPerSec;
    const met = w.goalPodsPerSec === undefined
      ? ""
      : `≥ ${w.goalPodsPerSec} pods/s: ${s.podsPerSec >= w.goalPodsPerSec ? "met" : "NOT met"}`;
    console.log(
      `${w.name} (${w.upstream}) | ${w.nodes} | ${w.placedPods} | ${s.bound}/${s.n} | ${
        fmt(s.podsPerSec)
      } | ${fmt(s.p50)} / ${fmt(s.p99)} | ${fmt(b.podsPerSec)} | ${fmt(b.p50)} / ${fmt(b.p99)} | ${
        ratio.toFixed(2)
      }x | ${met}`,
    );
    const heapMiB = s.mem.heapUsedMiB - b.mem.heapUsedMiB;
    const rssMiB = s.mem.proc.VmHWM - b.mem.proc.VmHWM;
    const memGoal = w.goalHeapMiB === undefined
      ? ""
      : ` | goal < ${w.goalHeapMiB} MiB: ${heapMiB < w.goalHeapMiB ? "met" : "NOT met"}`;
    console.log(
      `  ${w.name} scheduler heap (in-process, after GC, minus bind-only) | ${
        fmt(heapMiB)
      } MiB (server heap ${fmt(s.mem.heapUsedMiB)} vs ${fmt(b.mem.heapUsedMiB)}; peak RSS ${
        fmt(s.mem.proc.VmHWM)
      } vs ${fmt(b.mem.proc.VmHWM)} MiB, +${fmt(rssMiB)})${memGoal}`,
    );
    const schedCpu = s.serverCpuMsPerPod - b.serverCpuMsPerPod;
    console.log(
      `  ${w.name} server CPU per pod ${fmt(s.serverCpuMsPerPod)} ms vs bind-only ${
        fmt(b.serverCpuMsPerPod)
      } ms: scheduling adds ${fmt(schedCpu)} ms a pod (≈ ${
        fmt(1000 / schedCpu)
      } pods/s if it had a core to itself); server busy ${
        fmt(100 * s.serverCpuMsPerPod * s.podsPerSec / 1000)
      }% / ${fmt(100 * b.serverCpuMsPerPod * b.podsPerSec / 1000)}% of a core`,
    );
    console.log(
      `  ${w.name} create rate ${fmt(s.createPerSec)} / ${
        fmt(b.createPerSec)
      } pods/s; binds in flight at most ${s.mem.maxInflightBinds} / ${b.mem.maxInflightBinds}; runs ${runs}: ${
        sched.map((t) => fmt(t.podsPerSec)).join(", ")
      } / ${bind.map((t) => fmt(t.podsPerSec)).join(", ")} pods/s; setup ${
        fmt(s.setupMs / 1000)
      } s; events written while measured ${s.eventsWritten} (${s.bound} pods bound)`,
    );
    console.log(JSON.stringify({
      name: `scheduler/${w.name}`,
      upstream: w.upstream,
      goal: w.goalPodsPerSec === undefined ? null : `>= ${w.goalPodsPerSec} pods/s`,
      value: s.podsPerSec,
      baseline_value: b.podsPerSec,
      ratio,
      p50: s.p50,
      p99: s.p99,
      n: s.n,
      bound: s.bound,
      nodes: w.nodes,
      placed_pods: w.placedPods,
      runs,
      runs_pods_per_sec: sched.map((t) => t.podsPerSec),
      baseline: {
        name: "bind-only",
        p50: b.p50,
        p99: b.p99,
        runs_pods_per_sec: bind.map((t) => t.podsPerSec),
      },
      create_pods_per_sec: s.createPerSec,
      events_written: s.eventsWritten,
      max_inflight_binds: s.mem.maxInflightBinds,
      server_cpu_ms_per_pod: s.serverCpuMsPerPod,
      baseline_server_cpu_ms_per_pod: b.serverCpuMsPerPod,
      scheduler_heap_mib: heapMiB,
      ...(w.goalHeapMiB === undefined ? {} : { heap_goal: `< ${w.goalHeapMiB} MiB` }),
      server_heap_mib: s.mem.heapUsedMiB,
      server_peak_rss_mib: s.mem.proc.VmHWM,
      baseline_server_heap_mib: b.mem.heapUsedMiB,
      baseline_server_peak_rss_mib: b.mem.proc.VmHWM,
      machine,
      versions,
    }));
  }
  console.log(`# total ${fmt((performance.now() - started) / 1000)} s`);
}
