/**
 * The net benchmark's world: a private "node" network namespace (a bridge with a server pod
 * and a client pod on veth ports), the in-process API, and skiff's real
 * {@linkcode ServiceProxy} programming the node's nftables through a runner that records every
 * `nft` run with its start and end time. Filler Services (`default/s<i>`, TCP 80 → 8080, two
 * endpoints on another node) are created through the API on demand.
 *
 * @module
 */
import type { Service } from "../../control/api/types/core_v1_service.ts";
import type { EndpointSlice } from "../../control/api/types/discovery_v1.ts";
import { ENDPOINT_SLICES, SERVICES } from "../../control/client/resources.ts";
import { SharedInformerFactory } from "../../control/client/shared_informer_factory.ts";
import { JsonLogger, type Logger, systemClock } from "../../control/util/mod.ts";
import {
  type CommandResult,
  type CommandRunner,
  DenoCommandRunner,
  type RunOptions,
} from "../../node/containerd/command_runner.ts";
import { ServiceProxy } from "../../node/proxy/service_proxy.ts";
import { type ControllerApi, startControllerApi } from "../../tests/_support/controller_api.ts";
import { inNetns, must, NetnsSet, sh } from "../../tests/_support/netns.ts";

/** One `nft` run: when it started and ended (`performance.now()`), what it read, its exit. */
export interface NftRun {
  readonly startMs: number;
  readonly endMs: number;
  readonly stdin: string;
  readonly code: number;
}

/** Runs commands in the node's namespace, recording `nft` runs. */
export class RecordingNetnsRunner implements CommandRunner {
  readonly runs: NftRun[] = [];
  readonly #netns: string;
  readonly #real = new DenoCommandRunner();
  #waiters: (() => void)[] = [];

  constructor(netns: string) {
    this.#netns = netns;
  }

  async run(argv: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
    const startMs = performance.now();
    const result = await this.#real.run(inNetns(this.#netns, argv), options);
    if (argv[0] === "nft") {
      const stdin = typeof options.stdin === "string" ? options.stdin : "";
      this.runs.push({ startMs, endMs: performance.now(), stdin, code: result.code });
      const waiters = this.#waiters;
      this.#waiters = [];
      for (const wake of waiters) wake();
    }
    return result;
  }

  /** The first successful `nft` run ending after `afterMs` whose input has `text`. */
  async waitFor(text: string, afterMs: number, timeoutMs = 30_000): Promise<NftRun> {
    const deadline = performance.now() + timeoutMs;
    let from = 0;
    for (;;) {
      for (; from < this.runs.length; from++) {
        const run = this.runs[from]!;
        if (run.endMs >= afterMs && run.code === 0 && run.stdin.includes(text)) return run;
      }
      if (performance.now() > deadline) {
        throw new Error(`Timed out after ${timeoutMs} ms waiting for an nft run with "${text}"`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 200);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}

/** A pod namespace on the node's bridge. */
export interface BenchPod {
  readonly netns: string;
  readonly ip: string;
}

/** The proxy's table name in the benchmark's node. */
export const BENCH_TABLE = "skiff-proxy";

/** What {@linkcode ProxyBenchEnv.startProxy} measured. */
export interface ProxyStart {
  /** From `run()` to `ready` (all Services computed and the full transaction in the kernel). */
  readonly readyMs: number;
  /** The full transaction. */
  readonly nft: NftRun;
}

/** Endpoint `k` of the filler Services (Service `i` has `2i` and `2i + 1`). */
export function fillerEndpoint(k: number): string {
  return `10.44.${(k >> 8) & 255}.${k & 255}`;
}

/** The third endpoint an incremental change adds to filler Service `i`. */
export function extraEndpoint(i: number): string {
  return `10.45.${(i >> 8) & 255}.${i & 255}`;
}

/** What a {@linkcode ProxyBenchEnv} is made of. */
export interface ProxyBenchEnvParts {
  readonly net: NetnsSet;
  readonly node: string;
  readonly api: ControllerApi;
  readonly podCidr: string;
  readonly server: BenchPod;
  readonly client: BenchPod;
}

/** The benchmark's node, API and proxy (see the module doc). */
export class ProxyBenchEnv implements AsyncDisposable {
  readonly net: NetnsSet;
  readonly node: string;
  readonly api: ControllerApi;
  readonly informers: SharedInformerFactory;
  readonly runner: RecordingNetnsRunner;
  readonly logger: Logger;
  readonly podCidr: string;
  readonly server: BenchPod;
  readonly client: BenchPod;
  /** Cluster IPs of the filler Services, by index. */
  readonly clusterIPs: string[] = [];
  readonly #slices = new Map<number, EndpointSlice>();
  readonly #informersStop = new AbortController();
  #proxyStop: AbortController | null = null;
  #proxyRun: Promise<void> | null = null;

  /** Use {@linkcode ProxyBenchEnv.create}. */
  constructor(parts: ProxyBenchEnvParts) {
    this.net = parts.net;
    this.node = parts.node;
    this.api = parts.api;
    this.podCidr = parts.podCidr;
    this.server = parts.server;
    this.client = parts.client;
    this.logger = new JsonLogger({ level: "warn" });
    this.informers = new SharedInformerFactory(this.api.client, {
      clock: systemClock,
      logger: this.logger,
    });
    this.runner = new RecordingNetnsRunner(this.node);
  }

  /** Makes the namespaces (`<prefix>…`), the bridge and pods, and the API. */
  static async create(prefix: string): Promise<ProxyBenchEnv> {
    const net = new NetnsSet(prefix);
    try {
      const octet = 200 + Math.floor(Math.random() * 50);
      const podNet = `10.${octet}.0`;
      const node = await net.add("node");
      await must(["ip", "-n", node, "link", "add", "br0", "type", "bridge"]);
      await must(["ip", "-n", node, "addr", "add", `${podNet}.1/24`, "dev", "br0"]);
      await must(["ip", "-n", node, "link", "set", "br0", "up"]);
      const pods: BenchPod[] = [];
      for (const [name, host] of [["server", 5], ["client", 9]] as const) {
        const netns = await net.add(name);
        const port = `vb${name.slice(0, 3)}${octet}`;
        await must([
          "ip",
          "-n",
          node,
          "link",
          "add",
          port,
          "type",
          "veth",
          "peer",
          "eth0",
          "netns",
          netns,
        ]);
        await must(["ip", "-n", node, "link", "set", port, "master", "br0"]);
        await must(["ip", "-n", node, "link", "set", port, "up"]);
        await must(["ip", "-n", netns, "addr", "add", `${podNet}.${host}/24`, "dev", "eth0"]);
        await must(["ip", "-n", netns, "link", "set", "eth0", "up"]);
        await must(["ip", "-n", netns, "route", "add", "default", "via", `${podNet}.1`]);
        pods.push({ netns, ip: `${podNet}.${host}` });
      }
      const api = await startControllerApi();
      const env = new ProxyBenchEnv({
        net,
        node,
        api,
        podCidr: `10.${octet}.0.0/16`,
        server: pods[0]!,
        client: pods[1]!,
      });
      env.informers.informerFor(SERVICES);
      env.informers.informerFor(ENDPOINT_SLICES);
      return env;
    } catch (err) {
      await net[Symbol.asyncDispose]();
      throw err;
    }
  }

  /** Starts a new proxy (the old one must be stopped) and waits for its first full sync. */
  async startProxy(): Promise<ProxyStart> {
    if (this.#proxyRun) throw new TypeError("Cannot start the proxy: it runs already");
    const proxy = new ServiceProxy({
      informers: this.informers,
      clock: systemClock,
      logger: this.logger,
      runner: this.runner,
    }, {
      nodeName: "bench-node",
      nodeIPs: [],
      clusterCidr: this.podCidr,
      serviceCidrs: ["10.43.0.0/16"],
      localServiceIPs: ["10.43.0.10"],
      minSyncPeriodMs: 10,
    });
    this.#proxyStop = new AbortController();
    // The factory starts what is new; informers it already runs keep running.
    this.informers.start(this.#informersStop.signal);
    const runs = this.runner.runs.length;
    const start = performance.now();
    this.#proxyRun = proxy.run(this.#proxyStop.signal);
    await proxy.ready;
    const readyMs = performance.now() - start;
    const nft = this.runner.runs.slice(runs).find((r) => r.stdin.includes("delete table"));
    if (!nft) throw new Error("Cannot find the proxy's full transaction");
    return { readyMs, nft };
  }

  /** Stops the proxy (its rules stay). */
  async stopProxy(): Promise<void> {
    this.#proxyStop?.abort();
    await this.#proxyRun;
    this.#proxyRun = null;
  }

  /** Creates filler Services until there are `n` (16 requests at a time). */
  async growTo(n: number): Promise<void> {
    const services = this.api.client.resource(SERVICES);
    const slices = this.api.client.resource(ENDPOINT_SLICES);
    let next = this.clusterIPs.length;
    const worker = async () => {
      while (next < n) {
        const i = next++;
        const svc: Service = await services.create({
          metadata: { name: `s${i}`, namespace: "default" },
          spec: { ports: [{ port: 80, protocol: "TCP", targetPort: 8080 }] },
        });
        this.clusterIPs[i] = svc.spec!.clusterIP!;
        this.#slices.set(i, await slices.create(this.#slice(i, 2)));
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
  }

  /** Gives filler Service `i` two or three endpoints. */
  async setEndpoints(i: number, count: 2 | 3): Promise<void> {
    const current = this.#slices.get(i);
    if (!current) throw new RangeError(`Cannot change Service "s${i}": it was not created`);
    const want = this.#slice(i, count);
    this.#slices.set(
      i,
      await this.api.client.resource(ENDPOINT_SLICES).update({
        ...want,
        metadata: { ...want.metadata, resourceVersion: current.metadata!.resourceVersion! },
      }),
    );
  }

  #slice(i: number, count: 2 | 3): EndpointSlice {
    const ips = [fillerEndpoint(2 * i), fillerEndpoint(2 * i + 1)];
    if (count === 3) ips.push(extraEndpoint(i));
    return {
      metadata: {
        name: `s${i}-1`,
        namespace: "default",
        labels: { "kubernetes.io/service-name": `s${i}` },
      },
      addressType: "IPv4",
      ports: [{ name: "", port: 8080, protocol: "TCP" }],
      endpoints: ips.map((ip) => ({
        addresses: [ip],
        conditions: { ready: true },
        nodeName: "bench-other-node",
      })),
    };
  }

  /** Runs `nft -f -` with `text` in the node; its wall time in ms (throws on failure). */
  async nft(text: string): Promise<number> {
    const start = performance.now();
    const out = await sh(inNetns(this.node, ["nft", "-f", "-"]), { stdin: text });
    const ms = performance.now() - start;
    if (out.code !== 0) throw new Error(`nft -f failed: ${out.stderr.trim().slice(0, 300)}`);
    return ms;
  }

  /**
   * Whether endpoint map `map` has element `key` in the kernel, asked cheaply: a check-only
   * (`nft -c`) add of the key with a value no endpoint has fails with "File exists" exactly
   * when the key is there. (Listing the map would dump every element; a check-only delete
   * waits for an RCU grace period.)
   */
  async hasElement(map: string, key: string): Promise<boolean> {
    const out = await sh(inNetns(this.node, ["nft", "-c", "-f", "-"]), {
      stdin: `add element ip ${BENCH_TABLE} ${map} { ${key} : 0.0.0.0 . 0 }\n`,
    });
    if (out.code === 0) return false;
    if (out.stderr.includes("File exists")) return true;
    throw new Error(`Cannot look up "${key}" in map "${map}": ${out.stderr.trim().slice(0, 300)}`);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stopProxy();
    this.#informersStop.abort();
    await this.informers.shutdown();
    await this.api[Symbol.asyncDispose]();
    await this.net[Symbol.asyncDispose]();
  }
}
