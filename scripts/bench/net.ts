// deno-lint-ignore-file no-console
/**
 * `deno task bench net`: skiff's Service proxy and cluster DNS, each next to a baseline
 * measured in the same run (B9, B10 in performance-anchors.md). Needs root; everything runs in
 * network namespaces the benchmark makes and deletes (`_proxy_bench_env.ts`): a "node" with a
 * bridge, a server pod and a client pod, the in-process API, and skiff's real `ServiceProxy`
 * programming the node's nftables.
 *
 * **proxy** (Service programming latency). Filler Services (TCP 80 → 8080, two endpoints each)
 * are created through the API up to 100, 1,000, 5,000 and 10,000. At 100, 1,000 and 10,000: a
 * change is an EndpointSlice update through the API — a third endpoint added to a random
 * Service, then removed again — and a new Service with its slice. Each is timed from just
 * before the API write to (a) *committed*: the end of the `nft -f` run whose transaction holds
 * the change (the runner records every run), and (b) *visible*: the element found in the kernel
 * by polling (`nft -c` deleting it succeeds; listing the map would dump 20,000 elements per
 * poll). Baseline: raw `nft -f` of one `add element` into the same table, same way (nsenter +
 * nft start-up included, as for the proxy). At 5,000 and 10,000: the full resync — a new proxy
 * started over the informers' caches (computing every Service and loading the table in one
 * transaction), timed to `ready`, next to raw `nft -f` of the very transaction it sent, and
 * (at 5,000 and below) to a kube-proxy-shaped ruleset of the same Services (`_kube_proxy_like.ts`).
 *
 * **dataplane** (B10). wrk (`-t1 -c32`, pinned to CPU 0) in the client pod against a Deno HTTP
 * server in the server pod (pinned to CPU 1): through a ClusterIP and, as the baseline, to the
 * pod IP directly, in six back-to-back pairs of 1 s runs (the order swapped each pair; the
 * ratio is the median of the pairs' ratios), with 0, 1,000 and 10,000 Services installed. How busy other processes kept the CPUs just before is printed with each row: on
 * a shared 2-core machine that decides more than the proxy does. Goal: ClusterIP
 * req/s within 5% of direct, and flat from 0 to 10,000.
 *
 * **dns**: `runDnsBench` from `./net_dns.ts`.
 *
 * Options: `--only proxy|dataplane|dns`, `--sizes 100,1000,10000`, `--full 5000,10000`,
 * `--changes 20` (endpoint adds and removes per size), `--new-services 5`, `--runs 3` (full
 * resyncs per size), `--dataplane-sizes 0,1000,10000`, `--wrk-rounds 6` and
 * `--wrk-seconds 1` (direct/ClusterIP pairs per size, and each run's length). Each section ends
 * with a `# … summary:` line; every measurement is also one JSON line.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { ENDPOINT_SLICES, SERVICES } from "../../control/client/resources.ts";
import { until } from "../../tests/_support/until.ts";
import { inNetns, sh } from "../../tests/_support/netns.ts";
import { kubeProxyLikeRuleset } from "./_kube_proxy_like.ts";
import { BENCH_TABLE, extraEndpoint, fillerEndpoint, ProxyBenchEnv } from "./_proxy_bench_env.ts";
import { parseWrkOutput, type WrkResult } from "./_wrk.ts";
import { runDnsBench } from "./net_dns.ts";
import { fmt, type LatencyStats, summarize } from "./stats.ts";

interface NetBenchOptions {
  readonly only: string | undefined;
  readonly sizes: readonly number[];
  readonly full: readonly number[];
  readonly changes: number;
  readonly newServices: number;
  readonly runs: number;
  readonly dataplaneSizes: readonly number[];
  readonly wrkSeconds: number;
  readonly wrkRounds: number;
}

const SECTIONS = ["proxy", "dataplane", "dns"];

function numbers(text: string): number[] {
  return text.split(",").filter((s) => s !== "").map(Number);
}

function parseNetBenchArgs(args: string[]): NetBenchOptions {
  const { values } = parseArgs({
    args,
    strict: false,
    options: {
      only: { type: "string" },
      sizes: { type: "string", default: "100,1000,10000" },
      full: { type: "string", default: "5000,10000" },
      changes: { type: "string", default: "20" },
      "new-services": { type: "string", default: "5" },
      runs: { type: "string", default: "3" },
      "dataplane-sizes": { type: "string", default: "0,1000,10000" },
      "wrk-seconds": { type: "string", default: "1" },
      "wrk-rounds": { type: "string", default: "6" },
    },
  });
  const only = typeof values.only === "string" ? values.only : undefined;
  if (only !== undefined && !SECTIONS.includes(only)) {
    throw new Error(`Cannot run section "${only}": expected one of ${SECTIONS.join(", ")}`);
  }
  return {
    only,
    sizes: numbers(String(values.sizes)),
    full: numbers(String(values.full)),
    changes: Number(values.changes),
    newServices: Number(values["new-services"]),
    runs: Number(values.runs),
    dataplaneSizes: numbers(String(values["dataplane-sizes"])),
    wrkSeconds: Number(values["wrk-seconds"]),
    wrkRounds: Number(values["wrk-rounds"]),
  };
}

async function machineInfo(): Promise<Record<string, unknown>> {
  const nft = await sh(["nft", "--version"]).then((o) => o.stdout.trim()).catch(() => "?");
  return {
    nproc: navigator.hardwareConcurrency,
    kernel: Deno.osRelease(),
    deno: Deno.version.deno,
    nft,
  };
}

function ms(x: number): string {
  return `${fmt(x)} ms`;
}

function stats(samples: readonly number[]): LatencyStats {
  return summarize(samples, samples.reduce((a, b) => a + b, 0));
}

function median(values: readonly number[]): number {
  const sorted = values.toSorted((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

/** How busy the CPUs are over `ms` while this process sleeps: the share other processes take. */
async function otherCpuBusy(ms: number): Promise<number> {
  const sample = async () => {
    const cpu = (await Deno.readTextFile("/proc/stat")).split("\n")[0]!.split(/\s+/).slice(1)
      .map(Number);
    return { idle: cpu[3]! + cpu[4]!, total: cpu.reduce((a, b) => a + b, 0) };
  };
  const a = await sample();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const b = await sample();
  return 1 - (b.idle - a.idle) / Math.max(1, b.total - a.total);
}

/** Polls until `check()` answers `want`; the time from `fromMs` to that answer. */
async function pollUntil(
  check: () => Promise<boolean>,
  options: { want: boolean; fromMs: number; what: string },
): Promise<number> {
  const deadline = performance.now() + 30_000;
  for (;;) {
    if (await check() === options.want) return performance.now() - options.fromMs;
    if (performance.now() > deadline) throw new Error(`Timed out waiting for ${options.what}`);
  }
}

/** Waits until the filler Services up to `n` are in the kernel (their last one's endpoints). */
async function waitProgrammed(env: ProxyBenchEnv, n: number): Promise<void> {
  if (n === 0) return;
  const ip = env.clusterIPs[n - 1]!;
  await until(() => env.hasElement("endpoints-tcp", `${ip} . 80 . 1`), {
    timeoutMs: 120_000,
    intervalMs: 50,
    what: `Service s${n - 1} in the kernel`,
  });
}

interface ChangeResult {
  readonly committed: LatencyStats;
  readonly visible: LatencyStats;
}

/** One change through the API and how to see it land. */
interface Change {
  /** Makes the change (the API writes). */
  apply(): Promise<void>;
  /** Text of the transaction that carries it. */
  readonly committedText: string;
  /** The endpoints-tcp element it adds or removes. */
  readonly key: string;
  readonly present: boolean;
}

/**
 * Times `change`: with `poll` from before its API write to the element seen in the kernel
 * (polling), otherwise to the end of the `nft` run carrying it (no polling: the polls' own
 * `nft -c` runs would delay the proxy's).
 */
async function timeChange(env: ProxyBenchEnv, change: Change, poll: boolean): Promise<number> {
  const t0 = performance.now();
  await change.apply();
  if (!poll) return (await env.runner.waitFor(change.committedText, t0)).endMs - t0;
  return await pollUntil(() => env.hasElement("endpoints-tcp", change.key), {
    want: change.present,
    fromMs: t0,
    what: `change of ${change.key}`,
  });
}

/** Endpoint adds and removes on random Services, then new Services; committed and visible. */
async function changes(
  env: ProxyBenchEnv,
  options: { n: number; changes: number; newServices: number; poll: boolean },
): Promise<{ endpoints: number[]; services: number[] }> {
  const endpoints: number[] = [];
  const used = new Set<number>();
  for (let j = 0; j < options.changes; j++) {
    let i = Math.floor(Math.random() * options.n);
    while (used.has(i) && used.size < options.n) i = (i + 1) % options.n;
    used.add(i);
    const key = `${env.clusterIPs[i]} . 80 . 2`;
    for (const count of [3, 2] as const) {
      endpoints.push(
        await timeChange(env, {
          apply: () => env.setEndpoints(i, count),
          committedText: count === 3 ? `${key} : ${extraEndpoint(i)}` : key,
          key,
          present: count === 3,
        }, options.poll),
      );
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  const services: number[] = [];
  const serviceClient = env.api.client.resource(SERVICES);
  const slices = env.api.client.resource(ENDPOINT_SLICES);
  for (let j = 0; j < options.newServices; j++) {
    const name = `new-${options.n}-${j}-${options.poll ? "v" : "c"}`;
    let key = "";
    const apply = async () => {
      const svc = await serviceClient.create({
        metadata: { name, namespace: "default" },
        spec: { ports: [{ port: 80, protocol: "TCP", targetPort: 8080 }] },
      });
      key = `${svc.spec!.clusterIP} . 80 . 1`;
      change.committedText = `${key} : `;
      change.key = key;
      await slices.create({
        metadata: {
          name: `${name}-1`,
          namespace: "default",
          labels: { "kubernetes.io/service-name": name },
        },
        addressType: "IPv4",
        ports: [{ name: "", port: 8080, protocol: "TCP" }],
        endpoints: [{ addresses: ["10.46.0.1"] }, { addresses: ["10.46.0.2"] }],
      });
    };
    const change = { apply, committedText: "", key: "", present: true };
    services.push(await timeChange(env, change, options.poll));
    const t1 = performance.now();
    await serviceClient.delete(name, { namespace: "default" });
    await slices.delete(`${name}-1`, { namespace: "default" });
    await env.runner.waitFor(key, t1);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { endpoints, services };
}

/** Raw `nft -f` of one `add element` into the proxy's table (then deleted, untimed). */
async function rawAddElement(env: ProxyBenchEnv, times: number): Promise<LatencyStats> {
  const samples: number[] = [];
  const element = "{ 10.43.255.254 . 9 . 0 : 10.99.0.1 . 9 }";
  for (let i = 0; i < times; i++) {
    samples.push(await env.nft(`add element ip ${BENCH_TABLE} endpoints-tcp ${element}\n`));
    await env.nft(`delete element ip ${BENCH_TABLE} endpoints-tcp { 10.43.255.254 . 9 . 0 }\n`);
  }
  return stats(samples);
}

interface ProxySummary {
  incrementalP99: Record<number, number>;
  fullMs: Record<number, number>;
  rawFullMs: Record<number, number>;
  kubeProxyLikeMs: Record<number, number>;
}

async function proxySection(o: NetBenchOptions, machine: Record<string, unknown>): Promise<void> {
  console.log("\n## proxy: Service programming latency (API write → rule in the kernel)");
  await using env = await ProxyBenchEnv.create("skbnp");
  await env.startProxy();
  const summary: ProxySummary = {
    incrementalP99: {},
    fullMs: {},
    rawFullMs: {},
    kubeProxyLikeMs: {},
  };
  const steps = [...new Set([...o.sizes, ...o.full])].sort((a, b) => a - b);
  console.log(
    "services | change | committed p50 / p99 | visible p50 / p99 | raw nft add element p50 / p99 | committed ÷ raw (p50)",
  );
  for (const n of steps) {
    const grow = performance.now();
    await env.growTo(n);
    await waitProgrammed(env, n);
    console.log(`# ${n} Services in the API and the kernel after ${ms(performance.now() - grow)}`);
    if (o.sizes.includes(n)) {
      const raw = await rawAddElement(env, 10);
      const options = { n, changes: o.changes, newServices: o.newServices };
      const committed = await changes(env, { ...options, poll: false });
      const visible = await changes(env, { ...options, poll: true });
      const rows: [string, ChangeResult][] = [
        ["endpoint add/remove", {
          committed: stats(committed.endpoints),
          visible: stats(visible.endpoints),
        }],
        ["new Service", { committed: stats(committed.services), visible: stats(visible.services) }],
      ];
      for (const [change, r] of rows) {
        const ratio = r.committed.p50 / raw.p50;
        console.log(
          `${n} | ${change} | ${fmt(r.committed.p50)} / ${fmt(r.committed.p99)} ms | ${
            fmt(r.visible.p50)
          } / ${fmt(r.visible.p99)} ms | ${fmt(raw.p50)} / ${fmt(raw.p99)} ms | ${
            ratio.toFixed(2)
          }x`,
        );
        console.log(JSON.stringify({
          name: `net/proxy/incremental/${change.replaceAll(" ", "-")}/${n}`,
          goal: "p99 < 100 ms at 10000 Services",
          value: r.committed.p99,
          baseline_value: raw.p50,
          ratio,
          p50: r.committed.p50,
          p99: r.committed.p99,
          visible_p50: r.visible.p50,
          visible_p99: r.visible.p99,
          baseline: { name: "raw nft -f add element", p50: raw.p50, p99: raw.p99 },
          n: r.committed.n,
          machine,
        }));
      }
      const all = [...rows.map(([, r]) => r.committed.p99)];
      summary.incrementalP99[n] = Math.max(...all);
    }
    if (o.full.includes(n)) await fullResync(env, n, o, { summary, machine });
  }
  const line = (record: Record<number, number>) =>
    Object.entries(record).map(([n, v]) => `${n}: ${fmt(v)} ms`).join(", ");
  const p99At10k = summary.incrementalP99[10000];
  const fullAt5k = summary.fullMs[5000];
  console.log(
    `# proxy summary: incremental committed p99 {${line(summary.incrementalP99)}}${
      p99At10k === undefined
        ? ""
        : ` (goal < 100 ms at 10000: ${p99At10k < 100 ? "met" : "MISSED"})`
    }; full resync {${line(summary.fullMs)}}${
      fullAt5k === undefined
        ? ""
        : ` (goal < 1000 ms at 5000: ${fullAt5k < 1000 ? "met" : "MISSED"})`
    }; raw nft -f of the same text {${line(summary.rawFullMs)}}; kube-proxy-shaped ruleset {${
      line(summary.kubeProxyLikeMs)
    }}`,
  );
}

async function fullResync(
  env: ProxyBenchEnv,
  n: number,
  o: NetBenchOptions,
  out: { summary: ProxySummary; machine: Record<string, unknown> },
): Promise<void> {
  const ready: number[] = [];
  const nftPart: number[] = [];
  let text = "";
  for (let r = 0; r < o.runs; r++) {
    await env.stopProxy();
    const start = await env.startProxy();
    ready.push(start.readyMs);
    nftPart.push(start.nft.endMs - start.nft.startMs);
    text = start.nft.stdin;
  }
  const raw: number[] = [];
  for (let r = 0; r < o.runs; r++) raw.push(await env.nft(text));
  let likeMs: number | undefined;
  if (n <= 5000) {
    const like = kubeProxyLikeRuleset(
      env.clusterIPs.slice(0, n).map((ip, i) => ({
        name: `s${i}`,
        ip,
        endpoints: [fillerEndpoint(2 * i), fillerEndpoint(2 * i + 1)],
      })),
      { table: "bench-kube-proxy-like", clusterCidr: env.podCidr },
    );
    likeMs = await env.nft(like);
    await env.nft("delete table ip bench-kube-proxy-like\n");
  }
  const p50 = median(ready);
  const rawP50 = median(raw);
  out.summary.fullMs[n] = p50;
  out.summary.rawFullMs[n] = rawP50;
  if (likeMs !== undefined) out.summary.kubeProxyLikeMs[n] = likeMs;
  const sizeKiB = new TextEncoder().encode(text).length / 1024;
  console.log(
    `${n} | full resync (${o.runs} proxy starts) | ready ${ms(p50)} (nft ${ms(median(nftPart))}; ${
      sizeKiB.toFixed(0)
    } KiB) | raw nft -f of the same text ${ms(rawP50)} | proxy ÷ raw ${(p50 / rawP50).toFixed(2)}x${
      likeMs === undefined ? "" : ` | kube-proxy-shaped ruleset ${ms(likeMs)}`
    }`,
  );
  console.log(JSON.stringify({
    name: `net/proxy/full-resync/${n}`,
    goal: "< 1000 ms at 5000 Services",
    value: p50,
    baseline_value: rawP50,
    ratio: p50 / rawP50,
    nft_ms: median(nftPart),
    transaction_bytes: Math.round(sizeKiB * 1024),
    baseline: { name: "raw nft -f of the same transaction", p50: rawP50 },
    ...(likeMs === undefined ? {} : { kube_proxy_like_ms: likeMs }),
    n: o.runs,
    machine: out.machine,
  }));
}

async function wrk(env: ProxyBenchEnv, url: string, seconds: number): Promise<WrkResult> {
  const argv = inNetns(env.client.netns, [
    "wrk",
    "-t1",
    "-c32",
    `-d${seconds}s`,
    "--latency",
    url,
  ]);
  const out = await sh(["taskset", "-c", "0", ...argv]);
  if (out.code !== 0) throw new Error(`wrk failed: ${out.stderr.trim()}`);
  return parseWrkOutput(out.stdout);
}

const HTTP_SERVER =
  `Deno.serve({ hostname: "0.0.0.0", port: 8080, onListen() {} }, () => new Response("ok\\n"));`;

async function dataplaneSection(
  o: NetBenchOptions,
  machine: Record<string, unknown>,
): Promise<void> {
  console.log("\n## dataplane: HTTP through a ClusterIP vs direct to the pod IP (wrk)");
  await using env = await ProxyBenchEnv.create("skbnd");
  const serverArgv = inNetns(env.server.netns, [Deno.execPath(), "eval", HTTP_SERVER]);
  const server = new Deno.Command("taskset", {
    args: ["-c", "1", ...serverArgv],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    await env.startProxy();
    const services = env.api.client.resource(SERVICES);
    const target = await services.create({
      metadata: { name: "target", namespace: "default" },
      spec: { ports: [{ port: 80, protocol: "TCP", targetPort: 8080 }] },
    });
    await env.api.client.resource(ENDPOINT_SLICES).create({
      metadata: {
        name: "target-1",
        namespace: "default",
        labels: { "kubernetes.io/service-name": "target" },
      },
      addressType: "IPv4",
      ports: [{ name: "", port: 8080, protocol: "TCP" }],
      endpoints: [{ addresses: [env.server.ip], nodeName: "bench-node" }],
    });
    const clusterUrl = `http://${target.spec!.clusterIP}/`;
    const directUrl = `http://${env.server.ip}:8080/`;
    const get = (url: string) =>
      sh(inNetns(env.client.netns, ["timeout", "2", "busybox", "wget", "-q", "-O", "-", url]));
    await until(async () => (await get(directUrl)).code === 0, { what: "the HTTP server" });
    await until(async () => (await get(clusterUrl)).code === 0, { what: "the ClusterIP" });
    await wrk(env, clusterUrl, 1);
    console.log(
      "services | direct req/s | ClusterIP req/s | ratio | direct p50 / p99 | ClusterIP p50 / p99 | errors | CPUs busy before",
    );
    const byN: Record<number, { direct: number; cluster: number; ratio: number; p99: number }> = {};
    for (const n of o.dataplaneSizes) {
      await env.growTo(n);
      await waitProgrammed(env, n);
      const busy = await otherCpuBusy(500);
      const direct: WrkResult[] = [];
      const cluster: WrkResult[] = [];
      // Short runs in pairs, the order swapped each round, so both see the same noise; the
      // ratio is the median of the pairs' ratios.
      const ratios: number[] = [];
      for (let r = 0; r < o.wrkRounds; r++) {
        const first = r % 2 === 0 ? directUrl : clusterUrl;
        const a = await wrk(env, first, o.wrkSeconds);
        const b = await wrk(env, first === directUrl ? clusterUrl : directUrl, o.wrkSeconds);
        const [dr, cr] = first === directUrl ? [a, b] : [b, a];
        direct.push(dr);
        cluster.push(cr);
        ratios.push(cr.requestsPerSec / dr.requestsPerSec);
      }
      const rps = (list: WrkResult[]) => median(list.map((w) => w.requestsPerSec));
      const p = (list: WrkResult[], f: (w: WrkResult) => number) => median(list.map(f));
      const d = rps(direct);
      const c = rps(cluster);
      const ratio = median(ratios);
      const errors = [...direct, ...cluster].reduce((s, w) => s + w.errors, 0);
      byN[n] = { direct: d, cluster: c, ratio, p99: p(cluster, (w) => w.p99Ms) };
      console.log(
        `${n} | ${d.toFixed(0)} | ${c.toFixed(0)} | ${ratio.toFixed(3)} | ${
          fmt(p(direct, (w) => w.p50Ms))
        } / ${fmt(p(direct, (w) => w.p99Ms))} ms | ${fmt(p(cluster, (w) => w.p50Ms))} / ${
          fmt(p(cluster, (w) => w.p99Ms))
        } ms | ${errors} | ${(busy * 100).toFixed(0)}%`,
      );
      console.log(JSON.stringify({
        name: `net/dataplane/clusterip-rps/${n}`,
        goal: "ClusterIP req/s within 5% of direct, flat from 0 to 10000 Services",
        value: c,
        baseline_value: d,
        ratio,
        p50: p(cluster, (w) => w.p50Ms),
        p99: p(cluster, (w) => w.p99Ms),
        baseline: {
          name: "wrk to the pod IP",
          p50: p(direct, (w) => w.p50Ms),
          p99: p(direct, (w) => w.p99Ms),
        },
        errors,
        cpu_busy_before: Number(busy.toFixed(2)),
        n: cluster.length,
        machine,
      }));
    }
    const sizes = Object.keys(byN).map(Number);
    const first = byN[Math.min(...sizes)]!;
    const last = byN[Math.max(...sizes)]!;
    const worst = Math.min(...Object.values(byN).map((v) => v.ratio));
    console.log(
      `# dataplane summary: ClusterIP ÷ direct req/s worst ${worst.toFixed(3)} (goal ≥ 0.95: ${
        worst >= 0.95 ? "met" : "MISSED"
      }); ClusterIP req/s at ${Math.max(...sizes)} ÷ at ${Math.min(...sizes)} Services ${
        (last.cluster / first.cluster).toFixed(3)
      }, p99 ${(last.p99 / first.p99).toFixed(2)}x`,
    );
  } finally {
    try {
      server.kill("SIGKILL");
    } catch { /* gone */ }
    await server.status;
  }
}

/** Runs the net benchmark (see the module doc). */
export async function runNetBench(args: string[]): Promise<void> {
  const o = parseNetBenchArgs(args);
  if (Deno.uid() !== 0) throw new Error("Cannot run the net benchmark: it needs root");
  const machine = await machineInfo();
  console.log(`# net benchmark: ${JSON.stringify({ ...machine, ...o })}`);
  const started = performance.now();
  if (o.only === undefined || o.only === "proxy") await proxySection(o, machine);
  if (o.only === undefined || o.only === "dataplane") await dataplaneSection(o, machine);
  if (o.only === undefined || o.only === "dns") await runDnsBench(args);
  console.log(`# net benchmark done in ${(performance.now() - started) / 1000} s`);
}

if (import.meta.main) await runNetBench(Deno.args);
