// deno-lint-ignore-file no-console
/**
 * The "dns" section of `deno task bench net` ({@linkcode runDnsBench}; `scripts/bench/net.ts`
 * calls it): queries/s and latency of the node's cluster DNS, measured with `dnsperf` over UDP
 * inside a network namespace of its own.
 *
 * Targets, each in its own process in the namespace (`_net_dns_node.ts`):
 * - the floor: a minimal Deno UDP responder sending one precomputed reply (same socket API,
 *   same reply size), asked the one name that reply answers (dnsperf checks the question) —
 *   the same-run baseline, so the ratio shows what lookup, decoding and encoding cost;
 * - ClusterDns with 1,000 and with 10,000 Services, asked for all their names in random order
 *   with its reply cache off (the lookup path: decode, index, encode);
 * - ClusterDns with 10,000 Services asked 100 hot names, its reply cache on (what pods mostly
 *   ask: the same few names);
 * - ClusterDns forwarding names outside the cluster to a stand-in resolver, answered from its
 *   cache (one pass through the names first fills it).
 *
 * Each target gets a short warm-up, throughput runs (`dnsperf -l`, 4 clients, 200 queries
 * outstanding: queries/s at saturation) alternating with runs of the floor, medians of each
 * (the ratio is to the floor's runs beside the target's, so noise from other work on the
 * machine hits both), and a latency run at a fixed rate (`-Q`, `-v`: p50/p99 of every reply). Servers run with the agent's V8 flags
 * (`AGENT_V8_FLAGS`; the earlier `--optimize-for-size` cost UDP servers about half their
 * throughput on this machine; `--v8-flags ""` runs without).
 * Usage: `deno run -A scripts/bench/net_dns.ts [--seconds 2] [--rounds 3] [--services 1000,10000]
 * [--latency-qps 2000] [--v8-flags FLAGS]` (root; dnsperf from scripts/setup.sh).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { inNetns, NetnsSet, sh } from "../../tests/_support/netns.ts";
import { DenoCommandRunner } from "../../node/containerd/command_runner.ts";
import type {
  CommandResult,
  CommandRunner,
  RunOptions,
} from "../../node/containerd/command_runner.ts";
import { ensureDnsAddress } from "../../node/dns/dns_address.ts";
import { benchServiceName } from "./_net_dns_node.ts";
import { fmt, quantile } from "./stats.ts";

/** One target's numbers. */
export interface DnsBenchRow {
  readonly target: string;
  /** Median of the throughput runs. */
  readonly qps: number;
  /** Median of the floor's runs alternating with this target's (the ratio's denominator). */
  readonly floorQps: number;
  readonly lostPct: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** The server process's RSS once ready, when it reported one. */
  readonly rssBytes?: number;
}

/** What one dnsperf run printed. */
export interface DnsperfResult {
  readonly qps: number;
  readonly sent: number;
  readonly lost: number;
  /** Per-reply latencies (ms), with `-v`. */
  readonly latenciesMs: number[];
}

/** Reads dnsperf's summary (and `-v` per-reply lines, `> NOERROR name A 0.000123`). */
export function parseDnsperf(output: string): DnsperfResult {
  const num = (re: RegExp) => Number(output.match(re)?.[1] ?? NaN);
  const latenciesMs: number[] = [];
  for (const line of output.split("\n")) {
    const m = line.match(/^> \S+ .* (\d+\.\d+)$/);
    if (m) latenciesMs.push(Number(m[1]) * 1000);
  }
  return {
    qps: num(/Queries per second:\s+([\d.]+)/),
    sent: num(/Queries sent:\s+(\d+)/),
    lost: num(/Queries lost:\s+(\d+)/),
    latenciesMs,
  };
}

class NetnsRunner implements CommandRunner {
  readonly #inner = new DenoCommandRunner();
  readonly #netns: string;

  constructor(netns: string) {
    this.#netns = netns;
  }

  run(argv: readonly string[], options?: RunOptions): Promise<CommandResult> {
    return this.#inner.run(inNetns(this.#netns, argv), options);
  }
}

interface Child {
  readonly ready: Record<string, unknown>;
  /** SIGTERM, wait; returns the lines printed after ready. */
  stop(): Promise<string[]>;
}

/** The V8 flags the agent runs with (deno.json's `skiff` task). */
export const AGENT_V8_FLAGS =
  "--no-memory-reducer,--max-semi-space-size=8,--no-allocation-site-pretenuring";

async function startChild(
  netns: string,
  options: { readonly args: readonly string[]; readonly v8Flags: string },
): Promise<Child> {
  const args = options.args;
  const child = new Deno.Command("nsenter", {
    args: [
      `--net=/var/run/netns/${netns}`,
      Deno.execPath(),
      "run",
      "-A",
      ...(options.v8Flags ? [`--v8-flags=${options.v8Flags}`] : []),
      new URL("./_net_dns_node.ts", import.meta.url).pathname,
      ...args,
    ],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines: string[] = [];
  let onLine: (() => void) | undefined;
  const reading = (async () => {
    let buffered = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        lines.push(buffered.slice(0, nl));
        buffered = buffered.slice(nl + 1);
        onLine?.();
      }
    }
    onLine?.();
  })();
  const first = await new Promise<string | undefined>((resolve) => {
    const check = () => {
      if (lines.length > 0) resolve(lines[0]);
    };
    onLine = check;
    check();
    child.status.then(() => resolve(lines[0]));
  });
  if (!first) throw new Error(`Cannot start DNS bench target ${args.join(" ")}: it exited`);
  return {
    ready: JSON.parse(first),
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch { /* exited */ }
      await child.status;
      await reading;
      return lines.slice(1);
    },
  };
}

function shuffled<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

interface PerfOptions {
  readonly netns: string;
  readonly server: string;
  readonly port: number;
  readonly file: string;
  readonly seconds: number;
  readonly latencyQps: number;
}

async function dnsperf(options: PerfOptions, extra: readonly string[]): Promise<DnsperfResult> {
  const out = await sh(inNetns(options.netns, [
    "dnsperf",
    "-s",
    options.server,
    "-p",
    String(options.port),
    "-d",
    options.file,
    "-t",
    "2",
    ...extra,
  ]));
  if (out.code !== 0) throw new Error(`dnsperf exited with ${out.code}: ${out.stderr.trim()}`);
  return parseDnsperf(out.stdout);
}

function median(xs: readonly number[]): number {
  return quantile(xs.toSorted((a, b) => a - b), 0.5);
}

/**
 * Warm-up, then `rounds` throughput runs at saturation alternating with runs of the floor (so
 * noise from other work on the machine hits both alike; medians taken), then a latency run at
 * a fixed rate.
 */
async function measure(
  target: string,
  options: { readonly perf: PerfOptions; readonly floor: PerfOptions; readonly rounds: number },
): Promise<DnsBenchRow> {
  const { perf, floor } = options;
  const load = ["-l", String(perf.seconds), "-c", "4", "-q", "200"];
  await dnsperf(perf, ["-l", "1", "-c", "4", "-q", "200"]);
  const qps: number[] = [];
  const floorQps: number[] = [];
  let sent = 0;
  let lost = 0;
  for (let i = 0; i < options.rounds; i++) {
    if (perf !== floor) floorQps.push((await dnsperf(floor, load)).qps);
    const run = await dnsperf(perf, load);
    qps.push(run.qps);
    sent += run.sent;
    lost += run.lost;
  }
  const lat = await dnsperf(perf, ["-l", "2", "-Q", String(perf.latencyQps), "-v"]);
  const sorted = lat.latenciesMs.toSorted((a, b) => a - b);
  return {
    target,
    qps: median(qps),
    floorQps: perf === floor ? median(qps) : median(floorQps),
    lostPct: sent > 0 ? (100 * lost) / sent : 0,
    p50Ms: quantile(sorted, 0.5),
    p99Ms: quantile(sorted, 0.99),
  };
}

/** Runs the DNS benchmark (see the module doc) and prints its table, ratios and summary. */
export async function runDnsBench(args: string[]): Promise<DnsBenchRow[]> {
  const { values } = parseArgs({
    args,
    strict: false,
    options: {
      seconds: { type: "string", default: "2" },
      rounds: { type: "string", default: "3" },
      services: { type: "string", default: "1000,10000" },
      "latency-qps": { type: "string", default: "2000" },
      "v8-flags": { type: "string", default: AGENT_V8_FLAGS },
    },
  });
  const v8Flags = String(values["v8-flags"]);
  const seconds = Number(values.seconds);
  const rounds = Number(values.rounds);
  const counts = String(values.services).split(",").map(Number);
  const latencyQps = Number(values["latency-qps"]);
  await using net = new NetnsSet("skdnsb");
  const ns = await net.add("bench");
  const octet = 200 + Math.floor(Math.random() * 55);
  const dnsIp = `10.${octet}.0.10`;
  const upstreamIp = `10.${octet}.0.53`;
  const runner = new NetnsRunner(ns);
  await ensureDnsAddress(runner, { interface: "skiff-dns", address: dnsIp });
  await ensureDnsAddress(runner, { interface: "skiff-up", address: upstreamIp });
  const dir = await Deno.makeTempDir({ prefix: "skdnsb" });
  const rows: DnsBenchRow[] = [];
  // The servers' own counters, printed after the table.
  const notes: string[] = [];
  try {
    const base = { netns: ns, seconds, latencyQps };
    const maxCount = Math.max(...counts);
    const clusterFile = (n: number) => `${dir}/cluster-${n}.txt`;
    for (const n of counts) {
      const names = shuffled(Array.from({ length: n }, (_, i) => `${benchServiceName(i)} A`));
      await Deno.writeTextFile(clusterFile(n), names.join("\n") + "\n");
    }
    // dnsperf checks that a reply's question is the query's: the floor's fixed reply is for
    // svc-0, so the floor is asked only that name (the same query size).
    const floorFile = `${dir}/floor.txt`;
    await Deno.writeTextFile(floorFile, `${benchServiceName(0)} A\n`);
    const hotFile = `${dir}/hot.txt`;
    await Deno.writeTextFile(
      hotFile,
      Array.from({ length: 100 }, (_, i) => `${benchServiceName(i * 13)} A`).join("\n") + "\n",
    );
    const forwardedFile = `${dir}/forwarded.txt`;
    await Deno.writeTextFile(
      forwardedFile,
      Array.from({ length: 500 }, (_, i) => `host-${i}.example.test A`).join("\n") + "\n",
    );

    // The floor answers on another port of the same address all along.
    const floor = await startChild(ns, {
      args: ["--mode", "floor", "--listen", dnsIp, "--port", "5353"],
      v8Flags,
    });
    const upstream = await startChild(ns, {
      args: ["--mode", "upstream", "--listen", upstreamIp],
      v8Flags,
    });
    try {
      const floorPerf = { ...base, server: dnsIp, port: 5353, file: floorFile };
      rows.push(
        await measure("floor (fixed reply)", { perf: floorPerf, floor: floorPerf, rounds }),
      );
      // Every Service's name in random order with the reply cache off: the lookup path at
      // each size. Then the largest size with the cache on, asked 100 hot names (what pods do:
      // the same few names over and over), and names forwarded and answered from the cache.
      const targets = [
        ...counts.map((n) => ({
          n,
          replyCache: 0,
          file: clusterFile(n),
          label: `cluster names, ${n} Services`,
          forwarded: false,
        })),
        {
          n: maxCount,
          replyCache: 1024,
          file: hotFile,
          label: `100 hot names, reply cache`,
          forwarded: true,
        },
      ];
      for (const target of targets) {
        const server = await startChild(ns, {
          args: [
            "--mode",
            "dns",
            "--listen",
            dnsIp,
            "--services",
            String(target.n),
            "--upstream",
            upstreamIp,
            "--reply-cache",
            String(target.replyCache),
          ],
          v8Flags,
        });
        try {
          const rss = Number(server.ready.rssBytes);
          const opts = { ...base, server: dnsIp, port: 53 };
          rows.push({
            ...await measure(target.label, {
              perf: { ...opts, file: target.file },
              floor: floorPerf,
              rounds,
            }),
            rssBytes: rss,
          });
          if (target.forwarded) {
            // One pass fills the cache; then every answer is a cache hit.
            await dnsperf({ ...opts, file: forwardedFile }, ["-n", "1", "-c", "1", "-q", "20"]);
            rows.push({
              ...await measure("forwarded names, cached", {
                perf: { ...opts, file: forwardedFile },
                floor: floorPerf,
                rounds,
              }),
              rssBytes: rss,
            });
          }
        } finally {
          const tail = await server.stop();
          for (const line of tail) {
            notes.push(
              JSON.stringify({ bench: "dns-server", target: target.label, ...JSON.parse(line) }),
            );
          }
        }
      }
    } finally {
      await floor.stop();
      const tail = await upstream.stop();
      for (const line of tail) {
        notes.push(JSON.stringify({ bench: "dns-upstream", ...JSON.parse(line) }));
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  print(rows, { seconds, latencyQps, v8Flags });
  for (const note of notes) console.log(note);
  return rows;
}

function print(
  rows: readonly DnsBenchRow[],
  options: { seconds: number; latencyQps: number; v8Flags: string },
): void {
  const floor = rows[0]!;
  console.log("\n## dns: cluster DNS queries/s and latency (dnsperf, UDP)");
  console.log(
    `# dnsperf in a netns, ${options.seconds} s at saturation (4 clients, 200 ` +
      `outstanding) for queries/s; latency at ${options.latencyQps} queries/s; servers run with ` +
      (options.v8Flags ? `--v8-flags=${options.v8Flags}` : "no V8 flags"),
  );
  for (const r of rows) {
    const ratio = r === floor
      ? ""
      : `  ${(r.qps / r.floorQps).toFixed(2)}x floor (${fmt(r.floorQps)})`;
    const rss = r.rssBytes ? `  rss ${(r.rssBytes / 2 ** 20).toFixed(0)} MiB` : "";
    console.log(
      `${r.target.padEnd(30)} ${fmt(r.qps).padStart(8)} q/s  p50 ${fmt(r.p50Ms)} ms  p99 ${
        fmt(r.p99Ms)
      } ms  lost ${r.lostPct.toFixed(2)}%${ratio}${rss}`,
    );
  }
  for (const r of rows) {
    console.log(JSON.stringify({
      bench: "dns",
      target: r.target,
      qps: Math.round(r.qps),
      p50Ms: Number(r.p50Ms.toFixed(3)),
      p99Ms: Number(r.p99Ms.toFixed(3)),
      lostPct: Number(r.lostPct.toFixed(3)),
      floorQps: Math.round(r.floorQps),
      ratioToFloor: Number((r.qps / r.floorQps).toFixed(3)),
      ...(r.rssBytes ? { rssBytes: r.rssBytes } : {}),
    }));
  }
  const cluster = rows.filter((r) => r.target.startsWith("cluster")).at(-1);
  const hot = rows.find((r) => r.target.startsWith("100 hot"));
  const forwarded = rows.find((r) => r.target.startsWith("forwarded"));
  console.log(
    `# dns summary: ${cluster?.target ?? "-"}: ${fmt(cluster?.qps ?? NaN)} q/s (${
      ((cluster?.qps ?? NaN) / (cluster?.floorQps ?? NaN)).toFixed(2)
    }x the ${fmt(cluster?.floorQps ?? NaN)} q/s floor), p99 ${
      fmt(cluster?.p99Ms ?? NaN)
    } ms; hot names ${fmt(hot?.qps ?? NaN)} q/s (${
      ((hot?.qps ?? NaN) / (hot?.floorQps ?? NaN)).toFixed(2)
    }x); forwarded cached ${fmt(forwarded?.qps ?? NaN)} q/s (${
      ((forwarded?.qps ?? NaN) / (forwarded?.floorQps ?? NaN)).toFixed(2)
    }x)`,
  );
}

if (import.meta.main) await runDnsBench(Deno.args);
