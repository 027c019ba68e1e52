// deno-lint-ignore-file no-console
/**
 * The server side of `net_dns.ts`, run inside the benchmark's network namespace
 * (`nsenter --net=… deno run -A _net_dns_node.ts --mode …`). Modes:
 *
 * - `floor --listen IP --port P`: the same-run baseline, a minimal Deno UDP responder (the
 *   node:dgram socket ClusterDns uses) that sends one precomputed reply — an A answer for a
 *   cluster name — with the query's ID copied in: what a DNS server costs without lookup,
 *   decoding or encoding;
 * - `upstream --listen IP`: the "host's resolver" for forwarded names, every A question
 *   answered with 192.0.2.80, TTL 300;
 * - `dns --listen IP --services N --upstream IP [--reply-cache N]`: the real
 *   {@linkcode ClusterDns} on informers fed by an in-memory API holding N ClusterIP Services
 *   (`svc-<i>.bench`, 10.43.x.y) and one namespace.
 *
 * Each prints `{"ready":true,…}` on stdout once serving, and stops on SIGTERM.
 *
 * @module
 */
import dgram from "node:dgram";
import { parseArgs } from "node:util";
import type { KubeObject } from "../../control/api/types/meta_v1.ts";
import { Client } from "../../control/client/client.ts";
import { SharedInformerFactory } from "../../control/client/shared_informer_factory.ts";
import type { Transport, TransportRequestOptions } from "../../control/client/transport.ts";
import { systemClock } from "../../control/util/clock.ts";
import { JsonLogger } from "../../control/util/logger.ts";
import { ClusterDns } from "../../node/dns/cluster_dns.ts";
import { encodeReply, encodeUpstreamQuery, parseQuery, RCODE } from "../../node/dns/dns_message.ts";

/** The ClusterIP of bench Service `i`. */
export function benchServiceIp(i: number): string {
  return `10.43.${(i >> 8) & 255}.${i & 255}`;
}

/** The name of bench Service `i` under `cluster.local`. */
export function benchServiceName(i: number): string {
  return `svc-${i}.bench.svc.cluster.local`;
}

/** An API with fixed lists and watches that stay open and quiet. */
class FixedListTransport implements Transport {
  readonly #lists: Map<string, KubeObject[]>;

  constructor(lists: Map<string, KubeObject[]>) {
    this.#lists = lists;
  }

  request(method: string, path: string, options: TransportRequestOptions = {}): Promise<Response> {
    const url = new URL(path, "http://api");
    if (method !== "GET") return Promise.resolve(new Response("{}", { status: 405 }));
    if (url.searchParams.get("watch") === "1") {
      const signal = options.signal;
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          signal?.addEventListener("abort", () => controller.close(), { once: true });
        },
      });
      return Promise.resolve(
        new Response(body, { headers: { "content-type": "application/json" } }),
      );
    }
    const items = this.#lists.get(url.pathname) ?? [];
    return Promise.resolve(Response.json({ metadata: { resourceVersion: "1" }, items }));
  }
}

function services(n: number): KubeObject[] {
  return Array.from({ length: n }, (_, i) =>
    ({
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: `svc-${i}`, namespace: "bench", resourceVersion: "1", uid: `uid-${i}` },
      spec: {
        type: "ClusterIP",
        clusterIP: benchServiceIp(i),
        clusterIPs: [benchServiceIp(i)],
        ports: [{ name: "http", port: 80, protocol: "TCP" }],
      },
    }) as KubeObject);
}

function ready(extra: Record<string, unknown> = {}): void {
  console.log(JSON.stringify({ ready: true, rssBytes: Deno.memoryUsage().rss, ...extra }));
}

function bindUdp(hostname: string, port: number): Promise<dgram.Socket> {
  const socket = dgram.createSocket("udp4");
  return new Promise((resolve) => socket.bind(port, hostname, () => resolve(socket)));
}

function waitForTerm(): Promise<void> {
  return new Promise((resolve) => Deno.addSignalListener("SIGTERM", () => resolve()));
}

async function floor(hostname: string, port: number): Promise<void> {
  // The reply ClusterDns would send for svc-0 (no EDNS), computed once.
  const parsed = parseQuery(
    encodeUpstreamQuery({ name: benchServiceName(0), type: "A", class: "IN" }, {
      id: 0,
      dnssecOk: false,
      checkingDisabled: false,
    }),
  );
  if (parsed.kind !== "query") throw new Error("Cannot build the floor's reply");
  // A Uint8Array (dns-packet gives a Buffer, whose slice() would be a view, not a copy).
  const reply = new Uint8Array(encodeReply({ ...parsed.query, edns: undefined }, {
    reply: {
      rcode: RCODE.NOERROR,
      authoritative: true,
      answers: [{
        type: "A",
        name: benchServiceName(0),
        ttl: 30,
        class: "IN",
        data: benchServiceIp(0),
      }],
      authorities: [],
      additionals: [],
    },
    maxBytes: 512,
  }));
  const socket = await bindUdp(hostname, port);
  socket.on("message", (msg, rinfo) => {
    const out = reply.slice();
    out[0] = msg[0]!;
    out[1] = msg[1]!;
    socket.send(out, rinfo.port, rinfo.address);
  });
  ready();
  await waitForTerm();
  socket.close();
}

async function upstream(hostname: string): Promise<void> {
  const socket = await bindUdp(hostname, 53);
  let questions = 0;
  socket.on("message", (msg, rinfo) => {
    const parsed = parseQuery(new Uint8Array(msg));
    if (parsed.kind !== "query") return;
    questions++;
    const q = parsed.query.question;
    const answers = q.type === "A"
      ? [{ type: "A" as const, name: q.name, ttl: 300, class: "IN" as const, data: "192.0.2.80" }]
      : [];
    socket.send(
      encodeReply(parsed.query, {
        reply: { rcode: 0, authoritative: true, answers, authorities: [], additionals: [] },
        maxBytes: 1232,
      }),
      rinfo.port,
      rinfo.address,
    );
  });
  ready();
  await waitForTerm();
  console.log(JSON.stringify({ upstreamQuestions: questions }));
  socket.close();
}

async function dns(
  hostname: string,
  options: { readonly count: number; readonly upstreamIp: string; readonly replyCache: number },
): Promise<void> {
  const { count, upstreamIp } = options;
  const lists = new Map<string, KubeObject[]>([
    ["/api/v1/services", services(count)],
    ["/apis/discovery.k8s.io/v1/endpointslices", []],
    ["/api/v1/namespaces", [{
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: "bench", resourceVersion: "1", uid: "ns" },
    } as KubeObject]],
  ]);
  const logger = new JsonLogger({ level: "warn" });
  const client = new Client(new FixedListTransport(lists), { fieldManager: "bench" });
  const informers = new SharedInformerFactory(client, { clock: systemClock, logger });
  const server = new ClusterDns({ informers, clock: systemClock, logger }, {
    listen: [{ hostname }],
    upstreams: [{ hostname: upstreamIp, port: 53 }],
    replyCacheSize: options.replyCache,
  });
  const stop = new AbortController();
  informers.start(stop.signal);
  const running = server.run(stop.signal);
  const t0 = performance.now();
  await server.ready;
  ready({ services: server.index.serviceCount, syncMs: Math.round(performance.now() - t0) });
  await waitForTerm();
  console.log(JSON.stringify({ stats: server.stats, ...Deno.memoryUsage() }));
  stop.abort();
  await running;
  await informers.shutdown();
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      mode: { type: "string" },
      listen: { type: "string" },
      port: { type: "string", default: "53" },
      services: { type: "string", default: "1000" },
      upstream: { type: "string" },
      "reply-cache": { type: "string", default: "1024" },
    },
  });
  switch (values.mode) {
    case "floor":
      await floor(values.listen!, Number(values.port));
      break;
    case "upstream":
      await upstream(values.listen!);
      break;
    case "dns":
      await dns(values.listen!, {
        count: Number(values.services),
        upstreamIp: values.upstream!,
        replyCache: Number(values["reply-cache"]),
      });
      break;
    default:
      throw new TypeError(`Cannot run mode "${values.mode}": expected floor, upstream or dns`);
  }
  Deno.exit(0);
}
