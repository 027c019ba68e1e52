// deno-lint-ignore-file no-console
/**
 * `deno task bench api`: the API server measured through HTTPS, as kubectl and controllers
 * reach it — create, get (open-loop at a fixed rate), list of 1k and 10k pods, watch delivery
 * to 1, 100 and 1000 watchers — each next to the raw storage operation (skiff's Deno KV
 * storage engine on the same disk) measured in the same run, with the ratio; and the server's
 * resident memory holding the objects.
 *
 * The server runs as its own process (`skiff server --disable-agent`) so its RSS is its own;
 * the load generator is this process. By default the server runs as shipped, with its scheduler
 * and controllers (which then act on the bench's 12k pods: they stay pending, there are no
 * nodes); `--api-only` adds `--disable-scheduler --disable-controller-manager` to measure the
 * API server alone.
 *
 * @module
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { type DenoKvStorage, openDenoKvStorage } from "../../control/storage/deno_kv.ts";
import { BytePattern } from "./_chunked_lines.ts";
import { Http1Connection, type TlsOptions } from "./_http1_client.ts";
import { Http1Pool } from "./_http1_pool.ts";
import { InspectorClient, topAllocations, topSelfTime } from "./_inspector_client.ts";
import { cpuBusySeconds, cpuSecondsOf, ownCpuUs, procStatusMiB } from "./_proc_stats.ts";
import {
  freePort,
  pin,
  productV8Flags,
  spawnSkiffServer,
  waitForServer,
} from "./_server_process.ts";
import { measureAuthCost } from "./auth.ts";
import { fmt, type LatencyStats, summarize, timeSequential } from "./stats.ts";

/** What a watch line is searched for: its object's name follows the first of these. */
const NAME_KEY = new BytePattern('"name":"');
const QUOTE = 0x22;
/** How an ADDED event's line starts. */
const ADDED_PREFIX = new BytePattern('{"type":"ADDED"');

/** Keep-alive connections the load generator uses for requests. */
const POOL_SIZE = 16;

interface Options {
  readonly n: number;
  readonly getRate: number;
  readonly getSeconds: number;
  readonly listSizes: readonly number[];
  readonly watchers: readonly number[];
  readonly watchEvents: number;
}

/** The bench's sections, in the order they run. */
const SECTIONS = ["create", "get", "auth", "list", "watch"] as const;
type Section = typeof SECTIONS[number];

interface Server {
  readonly pid: number;
  /** The server's inspector when profiling (`--inspect`), else null. */
  readonly inspector: InspectorClient | null;
  readonly tls: TlsOptions;
  /** A few keep-alive connections for requests. */
  readonly pool: Http1Pool;
  stop(): Promise<void>;
}

async function startServer(
  dataDir: string,
  options: {
    readonly v8Flags?: string | undefined;
    readonly apiOnly: boolean;
    readonly inspect: boolean;
    /** A file the server's stdout goes to (V8's `--trace-gc`), else none. */
    readonly stdoutFile: string | undefined;
  },
): Promise<Server> {
  const port = freePort();
  const inspectPort = options.inspect ? freePort() : undefined;
  const child = spawnSkiffServer({
    dataDir,
    port,
    v8Flags: options.v8Flags ?? await productV8Flags(),
    stderr: "inherit",
    ...(options.apiOnly ? { disable: ["scheduler", "controller-manager"] } : {}),
    ...(inspectPort === undefined ? {} : { inspectPort }),
    ...(options.stdoutFile === undefined ? {} : { stdout: "piped" }),
  });
  const stdoutCopied = options.stdoutFile === undefined
    ? Promise.resolve()
    : Deno.open(options.stdoutFile, { write: true, create: true, truncate: true })
      .then((file) => child.stdout.pipeTo(file.writable));
  const inspector = inspectPort === undefined
    ? null
    : await InspectorClient.connect(inspectPort, 30_000);
  const tls = await waitForServer(`${dataDir}/kubeconfig.yaml`, {
    port,
    deadline: performance.now() + 60_000,
    pollMs: 200,
  });
  if (tls === "no kubeconfig") throw new Error("Cannot start the server: no kubeconfig after 60 s");
  if (tls === "not ready") throw new Error("Cannot start the server: /readyz never answered ok");
  const pool = await Http1Pool.open(tls, POOL_SIZE);
  return {
    pid: child.pid,
    inspector,
    tls,
    pool,
    async stop() {
      pool.close();
      inspector?.close();
      try {
        child.kill("SIGTERM");
      } catch {
        // gone
      }
      await child.status;
      await stdoutCopied;
    },
  };
}

function podBody(name: string, namespace: string): Record<string, unknown> {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace,
      labels: { app: "bench", "app.kubernetes.io/name": "bench", tier: "backend" },
      annotations: { "bench.skiff.dev/note": "x".repeat(200) },
    },
    spec: {
      containers: [{
        name: "app",
        image: "registry.local/bench/app:1.2.3",
        ports: [{ containerPort: 8080, name: "http" }],
        env: [{ name: "MODE", value: "bench" }, { name: "LEVEL", value: "3" }],
        resources: { requests: { cpu: "100m", memory: "64Mi" }, limits: { memory: "128Mi" } },
      }],
    },
  };
}

function api(
  s: Server,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; text: string }> {
  return s.pool.request(method, path, body);
}

async function createNamespace(s: Server, name: string): Promise<void> {
  const r = await api(s, "POST", "/api/v1/namespaces", { metadata: { name } });
  if (r.status !== 201) throw new Error(`Cannot create namespace ${name}: ${r.status} ${r.text}`);
}

async function fill(s: Server, namespace: string, n: number): Promise<void> {
  const parallel = 16;
  let next = 0;
  await Promise.all(Array.from({ length: parallel }, async () => {
    for (;;) {
      const i = next++;
      if (i >= n) return;
      const r = await api(
        s,
        "POST",
        `/api/v1/namespaces/${namespace}/pods`,
        podBody(`p${i}`, namespace),
      );
      if (r.status !== 201) throw new Error(`Cannot create pod: ${r.status} ${r.text}`);
    }
  }));
}

/**
 * The server's resident memory: all of it, the private part (heap, stacks, malloc) and the
 * file-backed part — mostly the pages of the `deno` executable itself, shared and reclaimable,
 * and smaller in a compiled skiff (denort carries no TypeScript tooling).
 */
async function rssMiB(pid: number): Promise<{ total: number; anon: number; file: number }> {
  const sizes = await procStatusMiB(pid);
  return { total: sizes.VmRSS!, anon: sizes.RssAnon!, file: sizes.RssFile! };
}

/** Issues `op` at `rate`/s for `seconds`, open loop, recording each latency. */
async function paced(
  rate: number,
  seconds: number,
  op: (i: number) => Promise<unknown>,
): Promise<LatencyStats> {
  const total = Math.round(rate * seconds);
  const samples: number[] = [];
  const inflight: Promise<void>[] = [];
  const start = performance.now();
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    inflight.push((async () => {
      const t0 = performance.now();
      await op(i);
      // Latency from when the request was due: queueing in the client counts against us.
      samples.push(performance.now() - Math.min(t0, due));
    })());
  }
  await Promise.all(inflight);
  return summarize(samples, performance.now() - start);
}

/**
 * Starts, in the server (through its inspector), the CPU profiler, allocation sampling and an
 * event-loop lag probe: a 5 ms interval timer recording how late each tick fires.
 */
async function startDiagnosis(inspector: InspectorClient): Promise<void> {
  await inspector.evaluate(`(() => {
    const lags = [];
    let last = performance.now();
    const timer = setInterval(() => {
      const now = performance.now();
      lags.push(now - last - 5);
      last = now;
    }, 5);
    globalThis.__skiffBenchLag = { lags, stop: () => clearInterval(timer) };
  })()`);
  await inspector.startAllocationSampling(16 * 1024);
  await inspector.startProfile(100);
}

/** Stops what {@linkcode startDiagnosis} started; prints and writes them for `label`. */
async function stopDiagnosis(
  inspector: InspectorClient,
  o: { readonly label: string; readonly dir: string },
): Promise<void> {
  const profile = await inspector.stopProfile();
  const allocations = topAllocations(await inspector.stopAllocationSampling(), 30);
  const lag = await inspector.evaluate(`(() => {
    const probe = globalThis.__skiffBenchLag;
    probe.stop();
    delete globalThis.__skiffBenchLag;
    const s = probe.lags.sort((a, b) => a - b);
    const q = (p) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))];
    return { n: s.length, p50: q(0.5), p99: q(0.99), max: s[s.length - 1] };
  })()`) as { n: number; p50: number; p99: number; max: number };
  const file = join(o.dir, `server-${o.label}.cpuprofile`);
  await Deno.writeTextFile(file, JSON.stringify(profile));
  const { totalUs, rows } = topSelfTime(profile, 30);
  console.log(
    `# server during ${o.label}: event-loop lag p50 ${fmt(lag.p50)} / p99 ${fmt(lag.p99)} / max ${
      fmt(lag.max)
    } ms (${lag.n} ticks); CPU profile ${file}, ${fmt(totalUs / 1e6)} s sampled, top self time:`,
  );
  for (const r of rows) console.log(`#   ${fmt(r.us / 1000)} ms ${r.what}`);
  const mb = (bytes: number) => fmt(bytes / 2 ** 20);
  console.log(
    `# server during ${o.label}: ${
      mb(allocations.totalBytes)
    } MiB allocated (sampled), top allocating functions (self / with callees, MiB):`,
  );
  for (const r of allocations.rows) console.log(`#   ${mb(r.self)} / ${mb(r.total)} ${r.what}`);
}

interface Row {
  readonly op: string;
  readonly skiff: LatencyStats;
  readonly raw?: LatencyStats;
  readonly rawName?: string;
  readonly goal?: string;
  /** The server's CPU time per operation (all threads, from /proc), µs. */
  readonly serverCpuUs?: number;
  /**
   * The share of the server's pinned CPU that other processes took during the operation
   * (its busy time less the server's own): what the benchmark cannot control.
   */
  readonly otherLoad?: number;
  /**
   * The load generator's (this process's) CPU time per operation, µs: when it nears the wall
   * time per operation, its own queueing is in the latencies.
   */
  readonly loadGenCpuUs?: number;
}

/** CPU time of the server and of its CPU (when pinned), to attribute a phase's CPU. */
interface CpuMark {
  readonly server: number;
  readonly cpu: number;
  readonly at: number;
}

async function cpuMark(server: Server, pinnedCpu: number | null): Promise<CpuMark> {
  return {
    server: await cpuSecondsOf(server.pid),
    cpu: pinnedCpu === null ? NaN : await cpuBusySeconds(pinnedCpu),
    at: performance.now(),
  };
}

/** The server's CPU per operation (µs) and the share of its CPU others took since `m`. */
async function cpuSince(
  server: Server,
  m: CpuMark,
  o: { readonly ops: number; readonly pinnedCpu: number | null },
): Promise<{ serverCpuUs: number; otherLoad: number }> {
  const now = await cpuMark(server, o.pinnedCpu);
  const serverS = now.server - m.server;
  const wallS = (now.at - m.at) / 1000;
  return {
    serverCpuUs: serverS * 1e6 / o.ops,
    otherLoad: Math.max(0, (now.cpu - m.cpu - serverS) / wallS),
  };
}

/**
 * Runs the API benchmark. Options: --n 1000 --get-rate 2000 --list 1000,10000 --watchers
 * 1,100,1000, --pin off, --api-only, --only create,get,auth,list,watch (some sections: get
 * creates the pods it reads when create does not run), --inspect DIR (a diagnosis: the server
 * runs with its V8 inspector; each section's CPU profile is written to DIR and its top
 * functions and the server's event-loop lag printed — the profiler costs time, so its
 * latencies are not the benchmark's), --server-stdout FILE (the server's stdout, for
 * `--server-v8-flags=<the product's>,--trace-gc`).
 */
export async function runApiBench(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      n: { type: "string", default: "1000" },
      "get-rate": { type: "string", default: "2000" },
      "get-seconds": { type: "string", default: "5" },
      list: { type: "string", default: "1000,10000" },
      watchers: { type: "string", default: "1,100,1000" },
      "watch-events": { type: "string", default: "50" },
      pin: { type: "string", default: "on" },
      /** Overrides the product's V8 flags for the server (for experiments; "" for none). */
      "server-v8-flags": { type: "string" },
      /** The API server alone: no scheduler, no controllers in the server process. */
      "api-only": { type: "boolean", default: false },
      only: { type: "string", default: SECTIONS.join(",") },
      inspect: { type: "string" },
      /** Where the server's stdout goes, e.g. with --server-v8-flags=...,--trace-gc. */
      "server-stdout": { type: "string" },
    },
  });
  const only = new Set(values.only.split(","));
  for (const s of only) {
    if (!(SECTIONS as readonly string[]).includes(s)) {
      throw new TypeError(`Unknown section ${JSON.stringify(s)}: one of ${SECTIONS.join(", ")}`);
    }
  }
  const wants = (s: Section) => only.has(s);
  const profileDir = values.inspect;
  if (profileDir !== undefined) await Deno.mkdir(profileDir, { recursive: true });
  const o: Options = {
    n: Number(values.n),
    getRate: Number(values["get-rate"]),
    getSeconds: Number(values["get-seconds"]),
    listSizes: values.list.split(",").map(Number),
    watchers: values.watchers.split(",").map(Number),
    watchEvents: Number(values["watch-events"]),
  };
  const machine = {
    nproc: navigator.hardwareConcurrency,
    kernel: Deno.osRelease(),
    deno: Deno.version.deno,
  };
  console.log(`# api benchmark: ${JSON.stringify({ ...machine, ...o })}`);
  console.log(
    "operation | skiff p50 / p99 ms | skiff ops/s | baseline | baseline p50 / p99 ms | p50 ratio | goal",
  );
  const report = (row: Row) => {
    const ratio = row.raw ? row.skiff.p50 / row.raw.p50 : NaN;
    console.log(
      `${row.op} | ${fmt(row.skiff.p50)} / ${fmt(row.skiff.p99)} | ${fmt(row.skiff.opsPerSec)} | ${
        row.rawName ?? "-"
      } | ${row.raw ? `${fmt(row.raw.p50)} / ${fmt(row.raw.p99)}` : "-"} | ${
        Number.isNaN(ratio) ? "-" : `${ratio.toFixed(2)}x`
      } | ${row.goal ?? ""}`,
    );
    if (row.serverCpuUs !== undefined) {
      const other = row.otherLoad === undefined || Number.isNaN(row.otherLoad)
        ? ""
        : `; other processes took ${(row.otherLoad * 100).toFixed(1)}% of the server's CPU`;
      const loadGen = row.loadGenCpuUs === undefined
        ? ""
        : `; load generator CPU ${row.loadGenCpuUs.toFixed(0)} us per operation`;
      console.log(
        `# ${row.op}: server CPU ${row.serverCpuUs.toFixed(0)} us per operation${loadGen}${other}`,
      );
    }
    console.log(JSON.stringify({
      name: `api/${row.op}`,
      value: row.skiff.p50,
      p50: row.skiff.p50,
      p99: row.skiff.p99,
      ops_per_sec: row.skiff.opsPerSec,
      ...(row.serverCpuUs === undefined ? {} : { server_cpu_us_per_op: row.serverCpuUs }),
      ...(row.otherLoad === undefined ? {} : { other_load_on_server_cpu: row.otherLoad }),
      ...(row.loadGenCpuUs === undefined ? {} : { load_generator_cpu_us_per_op: row.loadGenCpuUs }),
      ...(row.raw
        ? { baseline_value: row.raw.p50, ratio, baseline: { name: row.rawName, ...row.raw } }
        : {}),
      machine,
    }));
  };

  const dataDir = await Deno.makeTempDir({ prefix: "skiff-bench-api-" });
  const rawDir = await Deno.makeTempDir({ prefix: "skiff-bench-raw-" });
  const raw = await openDenoKvStorage({ path: `${rawDir}/raw.kv` });
  const server = await startServer(dataDir, {
    v8Flags: values["server-v8-flags"],
    apiOnly: values["api-only"],
    inspect: profileDir !== undefined,
    stdoutFile: values["server-stdout"],
  });
  /** Runs `phase` with the server profiled when `--inspect` asks for it. */
  const diagnosed = async <T>(label: string, phase: () => Promise<T>): Promise<T> => {
    const inspector = server.inspector;
    if (inspector === null || profileDir === undefined) return await phase();
    await startDiagnosis(inspector);
    try {
      return await phase();
    } finally {
      await stopDiagnosis(inspector, { label, dir: profileDir });
    }
  };
  console.log(
    `# server components: ${
      values["api-only"] ? "API only" : "as shipped (API, scheduler, controllers)"
    }`,
  );
  // The server gets one core and the load generator the other, as a device would run the
  // server alone; without taskset (or with --pin off) they share both.
  const pinned = values.pin !== "off" && navigator.hardwareConcurrency >= 2 &&
    await pin(server.pid, 1) && await pin(Deno.pid, 0);
  console.log(`# server pinned to CPU 1, load generator to CPU 0: ${pinned}`);
  const pinnedCpu = pinned ? 1 : null;
  const idle = await rssMiB(server.pid);
  console.log(
    `# server RSS idle: ${idle.total.toFixed(1)} MiB (private ${
      idle.anon.toFixed(1)
    }, file-backed ${idle.file.toFixed(1)})`,
  );
  try {
    const podBytes = new TextEncoder().encode(JSON.stringify(podBody("raw", "raw")));
    // Warm both paths.
    await createNamespace(server, "bench");
    for (let i = 0; i < 50; i++) {
      await api(server, "POST", "/api/v1/namespaces/bench/pods", podBody(`warm${i}`, "bench"));
      await raw.create(`/registry/pods/warm/p${i}`, podBytes);
    }

    // create (get and auth read the pods it makes: without it, they are made untimed)
    const createPod = async (i: number) => {
      const r = await api(
        server,
        "POST",
        "/api/v1/namespaces/bench/pods",
        podBody(`c${i}`, "bench"),
      );
      if (r.status !== 201) throw new Error(`create: ${r.status} ${r.text}`);
    };
    if (wants("create")) {
      const mark = await cpuMark(server, pinnedCpu);
      const create = await diagnosed("create", () => timeSequential(o.n, createPod));
      const cpu = await cpuSince(server, mark, { ops: o.n, pinnedCpu });
      const rawCreate = await timeSequential(
        o.n,
        (i) => raw.create(`/registry/pods/bench/c${i}`, podBytes),
      );
      report({
        op: "create pod",
        skiff: create,
        raw: rawCreate,
        rawName: "storage create",
        goal: "p50 within 3x",
        ...cpu,
      });
    } else if (wants("get") || wants("auth")) {
      for (let i = 0; i < o.n; i++) {
        await createPod(i);
        await raw.create(`/registry/pods/bench/c${i}`, podBytes);
      }
    }

    // get, open loop at a fixed rate
    let getP50 = NaN;
    if (wants("get")) {
      const mark = await cpuMark(server, pinnedCpu);
      const get = await diagnosed("get", () =>
        paced(o.getRate, o.getSeconds, async (i) => {
          const r = await api(server, "GET", `/api/v1/namespaces/bench/pods/c${i % o.n}`);
          if (r.status !== 200) throw new Error(`get: ${r.status}`);
        }));
      const cpu = await cpuSince(server, mark, { ops: get.n, pinnedCpu });
      const rawGet = await timeSequential(
        o.n,
        (i) => raw.get(`/registry/pods/bench/c${i % o.n}`),
      );
      report({
        op: `get pod @${o.getRate}/s`,
        skiff: get,
        raw: rawGet,
        rawName: "storage get",
        goal: "p99 under 5 ms",
        ...cpu,
      });
      getP50 = get.p50;
    }

    if (wants("auth")) await authSection(server, { n: o.n, getP50, report, machine });

    // list
    let listed = 0;
    if (wants("list")) {
      for (const size of o.listSizes) {
        await listSection(server, { raw, podBytes, size, report, diagnosed });
      }
      listed = o.listSizes.reduce((a, b) => a + b, 0);
    }
    const rss = await rssMiB(server.pid);
    const objects = (wants("create") || wants("get") || wants("auth") ? o.n : 0) + listed + 50;
    console.log(
      `server RSS holding ${objects} objects | ${rss.total.toFixed(1)} MiB (private ${
        rss.anon.toFixed(1)
      }, file-backed ${rss.file.toFixed(1)}) | | | | goal under 150 MiB`,
    );
    console.log(JSON.stringify({
      name: "api/server-rss-mib",
      value: rss.total,
      anon_mib: rss.anon,
      file_mib: rss.file,
      objects,
      machine,
    }));

    // watch fan-out
    if (wants("watch")) {
      await createNamespace(server, "watch");
      for (const count of o.watchers) {
        await diagnosed(
          `watch-${count}`,
          () =>
            watchSection(server, {
              raw,
              podBytes,
              count,
              events: o.watchEvents,
              report,
              pinnedCpu,
            }),
        );
      }
    }
  } finally {
    await server.stop();
    await raw.close();
    await Deno.remove(dataDir, { recursive: true });
    await Deno.remove(rawDir, { recursive: true });
  }
}

/**
 * `bytes[start, end)` as text, read as ASCII, which Kubernetes object names are (DNS labels
 * and subdomains): cheaper than a decoder call per watch line.
 */
function asciiText(bytes: Uint8Array, start: number, end: number): string {
  let s = "";
  for (let i = start; i < end; i++) s += String.fromCharCode(bytes[i]!);
  return s;
}

/** What a section reports to. */
type Report = (row: Row) => void;

/**
 * authn+authz: the same GET as a ServiceAccount (bearer JWT + RBAC) and as the admin (x509,
 * system:masters), alternating on one connection each; then the security layer's own cost per
 * request, measured on an in-process server, as a share of the GET p50 (NaN without get).
 */
async function authSection(
  server: Server,
  o: {
    readonly n: number;
    readonly getP50: number;
    readonly report: Report;
    readonly machine: Record<string, unknown>;
  },
): Promise<void> {
  await api(server, "POST", "/api/v1/namespaces/bench/serviceaccounts", {
    metadata: { name: "reader" },
  });
  await api(server, "POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/bench/rolebindings", {
    metadata: { name: "reader-view" },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "view" },
    subjects: [{ kind: "ServiceAccount", name: "reader", namespace: "bench" }],
  });
  const tokenRes = await api(
    server,
    "POST",
    "/api/v1/namespaces/bench/serviceaccounts/reader/token",
    { apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", spec: {} },
  );
  const token = (JSON.parse(tokenRes.text) as { status: { token: string } }).status.token;
  const saConn = await Http1Connection.connect({
    hostname: server.tls.hostname,
    port: server.tls.port,
    caCert: server.tls.caCert,
    bearer: token,
  });
  const adminConn = await Http1Connection.connect(server.tls);
  const saSamples: number[] = [];
  const adminSamples: number[] = [];
  for (let i = 0; i < 2 * o.n; i++) {
    const [c, samples] = i % 2 === 0 ? [saConn, saSamples] : [adminConn, adminSamples];
    const t0 = performance.now();
    const r = await c.request("GET", `/api/v1/namespaces/bench/pods/c${(i >> 1) % o.n}`);
    samples.push(performance.now() - t0);
    if (r.status !== 200) throw new Error(`get: ${r.status}`);
  }
  saConn.close();
  adminConn.close();
  o.report({
    op: "get pod as ServiceAccount (JWT + RBAC)",
    skiff: summarize(saSamples, 0),
    raw: summarize(adminSamples, 0),
    rawName: "get as admin (x509, masters)",
    goal: "",
  });
  for (const c of await measureAuthCost()) {
    const share = c.steadyUs / 1000 / o.getP50;
    console.log(
      `authn+authz ${c.identity} | ${c.steadyUs.toFixed(1)} us (new connection/token ${
        c.newUs.toFixed(0)
      } us) | ${(share * 100).toFixed(2)}% of get p50 ${fmt(o.getP50)} ms | goal under 10%`,
    );
    console.log(JSON.stringify({
      name: `api/authn-authz/${c.identity}`,
      value: c.steadyUs,
      new_us: c.newUs,
      share_of_get_p50: share,
      machine: o.machine,
    }));
  }
}

/** A LIST of `size` pods in a namespace of their own, next to the raw storage list. */
async function listSection(
  server: Server,
  o: {
    readonly raw: DenoKvStorage;
    readonly podBytes: Uint8Array;
    readonly size: number;
    readonly report: Report;
    /** Runs the timed lists (profiled with `--inspect`). */
    readonly diagnosed: <T>(label: string, phase: () => Promise<T>) => Promise<T>;
  },
): Promise<void> {
  const { raw, size } = o;
  const ns = `list${size}`;
  await createNamespace(server, ns);
  await fill(server, ns, size);
  for (let i = 0; i < size; i += 500) {
    await Promise.all(
      Array.from(
        { length: Math.min(500, size - i) },
        (_, j) => raw.create(`/registry/pods/${ns}/p${i + j}`, o.podBytes),
      ),
    );
  }
  const list = await o.diagnosed(`list-${size}`, () =>
    timeSequential(5, async () => {
      const r = await api(server, "GET", `/api/v1/namespaces/${ns}/pods`);
      if (r.status !== 200) throw new Error(`list: ${r.status}`);
      const n = (JSON.parse(r.text) as { items: unknown[] }).items.length;
      if (n !== size) throw new Error(`list returned ${n} of ${size}`);
    }));
  const rawList = await timeSequential(5, async () => {
    const page = await raw.list(`/registry/pods/${ns}/`);
    if (page.items.length !== size) throw new Error(`raw list returned ${page.items.length}`);
  });
  o.report({
    op: `list ${size} pods`,
    skiff: list,
    raw: rawList,
    rawName: "storage list",
    goal: size >= 10_000 ? "under 1 s" : "",
  });
}

/**
 * Watch delivery to `count` watchers: ms from a create's request to its ADDED event at each
 * watcher, next to one raw storage watch under the same write pattern.
 */
async function watchSection(
  server: Server,
  o: {
    readonly raw: DenoKvStorage;
    readonly podBytes: Uint8Array;
    readonly count: number;
    readonly events: number;
    readonly report: Report;
    readonly pinnedCpu: number | null;
  },
): Promise<void> {
  const { raw, count } = o;
  const ac = new AbortController();
  const samples: number[] = [];
  const sentAt = new Map<string, number>();
  let established = 0;
  let sentinelSeen!: () => void;
  const allEstablished = new Promise<void>((r) => sentinelSeen = r);
  let delivered = 0;
  let allDone!: () => void;
  const done = new Promise<void>((r) => allDone = r);
  const list = JSON.parse((await api(server, "GET", "/api/v1/namespaces/watch/pods")).text) as {
    metadata: { resourceVersion: string };
  };
  const rv = list.metadata.resourceVersion;
  const conns: Http1Connection[] = [];
  for (let i = 0; i < count; i++) conns.push(await Http1Connection.connect(server.tls));
  const watchers = conns.map((c) =>
    c.watchBytes(`/api/v1/namespaces/watch/pods?watch=true&resourceVersion=${rv}`, (b, s, e) => {
      if (ac.signal.aborted) return false;
      // The type and the object's name straight from the line's bytes (`{"type":"ADDED",...`
      // then the first `"name":"`), decoding only the name: with a thousand watchers in this
      // one process, decoding or parsing every line would make the load generator the
      // bottleneck, and its queueing would be in the latencies.
      const key = NAME_KEY.indexIn(b, s, e);
      if (key < 0) return true;
      const at = key + NAME_KEY.length;
      const quote = b.indexOf(QUOTE, at);
      const name = asciiText(b, at, quote < 0 || quote > e ? e : quote);
      if (name.startsWith("sentinel")) {
        if (++established === count) sentinelSeen();
        return true;
      }
      const added = ADDED_PREFIX.startsIn(b, s, e);
      const t = sentAt.get(name);
      if (t !== undefined && added) {
        samples.push(performance.now() - t);
        if (++delivered === count * o.events) allDone();
      }
      return true;
    })
  );
  // Each watcher is established once it sees the sentinel created after it connected.
  await new Promise((r) => setTimeout(r, Math.min(5000, 200 + count * 5)));
  await api(
    server,
    "POST",
    "/api/v1/namespaces/watch/pods",
    podBody(`sentinel${count}`, "watch"),
  );
  await Promise.race([allEstablished, new Promise((r) => setTimeout(r, 30_000))]);
  const mark = await cpuMark(server, o.pinnedCpu);
  const ownAt = ownCpuUs();
  const t0 = performance.now();
  for (let i = 0; i < o.events; i++) {
    const name = `w${count}-${i}`;
    sentAt.set(name, performance.now());
    await api(server, "POST", "/api/v1/namespaces/watch/pods", podBody(name, "watch"));
    await new Promise((r) => setTimeout(r, 20));
  }
  await Promise.race([done, new Promise((r) => setTimeout(r, 30_000))]);
  const wall = performance.now() - t0;
  const loadGenCpuUs = (ownCpuUs() - ownAt) / o.events;
  const cpu = await cpuSince(server, mark, { ops: o.events, pinnedCpu: o.pinnedCpu });
  ac.abort();
  for (const c of conns) c.close();
  await Promise.allSettled(watchers);
  // Baseline: one storage watch on the raw store, same write pattern.
  const rawSamples: number[] = [];
  const rawAc = new AbortController();
  const rawFrom = await raw.currentRevision();
  const rawSent = new Map<string, number>();
  const rawWatch = (async () => {
    for await (const e of raw.watch("/registry/pods/watch/", rawFrom, rawAc.signal)) {
      const t = rawSent.get(e.kv.key);
      if (t !== undefined) rawSamples.push(performance.now() - t);
      if (rawSamples.length === o.events) return;
    }
  })();
  for (let i = 0; i < o.events; i++) {
    const key = `/registry/pods/watch/w${count}-${i}`;
    rawSent.set(key, performance.now());
    await raw.create(key, o.podBytes);
    await new Promise((r) => setTimeout(r, 20));
  }
  await Promise.race([rawWatch, new Promise((r) => setTimeout(r, 10_000))]);
  rawAc.abort();
  await rawWatch.catch(() => {});
  o.report({
    op: `watch delivery to ${count} watcher(s)`,
    skiff: summarize(samples, wall),
    raw: summarize(rawSamples, wall),
    rawName: "storage watch (1 watcher)",
    goal: count >= 1000 ? "p99 under 50 ms" : "",
    ...cpu,
    loadGenCpuUs,
  });
  if (delivered !== count * o.events) {
    console.log(`# watch: ${delivered} of ${count * o.events} deliveries arrived`);
  }
}
