/**
 * The node side of `cluster_dns_test.ts`, run by the test inside the node's network namespace
 * (`nsenter --net=… deno run -A _cluster_dns_node.ts …`): a process can only bind addresses of
 * its own namespace, so the real {@linkcode ClusterDns} runs here, its informers on the test's
 * in-process API reached through a Unix socket (which crosses network namespaces). Beside it runs
 * the "host's resolver": a tiny DNS server on another address that answers every A question
 * with 192.0.2.53 (TTL 60) and reports each question it gets.
 *
 * Flags: `--api-socket PATH --listen IP --upstream IP --resolv-conf PATH`. stdout gets one JSON
 * line per event: `{"ready":true}`, `{"upstream":"<name> <type>"}`; stderr the JSON log. SIGTERM
 * stops it.
 *
 * @module
 */
import dgram from "node:dgram";
import { parseArgs } from "node:util";
import { Client } from "../../control/client/client.ts";
import { SharedInformerFactory } from "../../control/client/shared_informer_factory.ts";
import type { Transport, TransportRequestOptions } from "../../control/client/transport.ts";
import { systemClock } from "../../control/util/clock.ts";
import { JsonLogger } from "../../control/util/logger.ts";
import { ClusterDns } from "../../node/dns/cluster_dns.ts";
import { encodeReply, parseQuery, RCODE } from "../../node/dns/dns_message.ts";

/** HTTP to the test's API over a Unix socket. */
class UnixSocketTransport implements Transport {
  readonly #client: Deno.HttpClient;

  constructor(path: string) {
    this.#client = Deno.createHttpClient({ proxy: { transport: "unix", path } });
  }

  request(method: string, path: string, options: TransportRequestOptions = {}): Promise<Response> {
    return fetch(`http://api${path}`, {
      method,
      client: this.#client,
      headers: { accept: options.accept ?? "application/json" },
      ...(options.signal ? { signal: options.signal } : {}),
    });
  }
}

function emit(event: Record<string, unknown>): void {
  Deno.stdout.writeSync(new TextEncoder().encode(JSON.stringify(event) + "\n"));
}

/** The stand-in for the host's resolver. */
function startUpstream(hostname: string): Promise<dgram.Socket> {
  const socket = dgram.createSocket("udp4");
  socket.on("message", (msg, rinfo) => {
    const parsed = parseQuery(new Uint8Array(msg));
    if (parsed.kind !== "query") return;
    const q = parsed.query.question;
    emit({ upstream: `${q.name.toLowerCase()} ${q.type}` });
    const answers = q.type === "A"
      ? [{ type: "A" as const, name: q.name, ttl: 60, class: "IN" as const, data: "192.0.2.53" }]
      : [];
    const reply = encodeReply(parsed.query, {
      reply: {
        rcode: RCODE.NOERROR,
        authoritative: true,
        answers,
        authorities: [],
        additionals: [],
      },
      maxBytes: 1232,
    });
    socket.send(reply, rinfo.port, rinfo.address);
  });
  return new Promise((resolve) => socket.bind(53, hostname, () => resolve(socket)));
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      "api-socket": { type: "string" },
      listen: { type: "string" },
      upstream: { type: "string" },
      "resolv-conf": { type: "string" },
    },
  });
  const logger = new JsonLogger({ level: "debug" });
  const stop = new AbortController();
  Deno.addSignalListener("SIGTERM", () => stop.abort());
  const upstream = await startUpstream(values.upstream!);
  const client = new Client(new UnixSocketTransport(values["api-socket"]!), {
    fieldManager: "cluster-dns-test",
  });
  const informers = new SharedInformerFactory(client, { clock: systemClock, logger });
  const dns = new ClusterDns({ informers, clock: systemClock, logger }, {
    listen: [{ hostname: values.listen! }],
    resolvConfPath: values["resolv-conf"]!,
    clusterDnsIPs: [values.listen!],
  });
  informers.start(stop.signal);
  const running = dns.run(stop.signal);
  dns.ready.then(() => emit({ ready: true, upstreams: dns.upstreams }));
  await running;
  await informers.shutdown();
  upstream.close();
  Deno.exit(0);
}
