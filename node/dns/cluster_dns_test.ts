import assert from "node:assert/strict";
import dgram from "node:dgram";
import { ENDPOINT_SLICES, SERVICES } from "../../control/client/resources.ts";
import { SharedInformerFactory } from "../../control/client/shared_informer_factory.ts";
import { FakeClock, systemClock } from "../../control/util/clock.ts";
import { RecordingLogger } from "../../control/util/logger.ts";
import { startControllerApi, until } from "../../tests/_support/controller_api.ts";
import { decodeReply, endpointSlice, queryBytes, replyBytes } from "./_test_objects.ts";
import { ClusterDns, type ClusterDnsOptions } from "./cluster_dns.ts";
import { parseQuery } from "./dns_message.ts";
import { SocketUpstreamTransport, type UpstreamTransport } from "./upstream_transport.ts";

/** A stand-in for the host's resolver on 127.0.0.1: every A question is 192.0.2.53. */
async function startUpstream(): Promise<{ port: number; asked: string[] } & AsyncDisposable> {
  const socket = dgram.createSocket("udp4");
  const asked: string[] = [];
  socket.on("message", (msg, rinfo) => {
    const parsed = parseQuery(new Uint8Array(msg));
    if (parsed.kind !== "query") return;
    const q = parsed.query.question;
    asked.push(`${q.name} ${q.type}`);
    const answers = q.type === "A"
      ? [{ type: "A" as const, name: q.name, ttl: 60, class: "IN" as const, data: "192.0.2.53" }]
      : [];
    socket.send(replyBytes(new Uint8Array(msg), { answers }), rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  return {
    port: socket.address().port,
    asked,
    async [Symbol.asyncDispose]() {
      await new Promise<void>((resolve) => socket.close(() => resolve()));
    },
  };
}

async function startDns(options: Partial<ClusterDnsOptions> = {}) {
  const api = await startControllerApi();
  const logger = new RecordingLogger();
  const informers = new SharedInformerFactory(api.client, { clock: systemClock, logger });
  const dns = new ClusterDns({ informers, clock: systemClock, logger }, {
    listen: [{ hostname: "127.0.0.1", port: 0 }],
    ...options,
  });
  const stop = new AbortController();
  informers.start(stop.signal);
  const running = dns.run(stop.signal);
  await dns.ready;
  return {
    api,
    dns,
    logger,
    async [Symbol.asyncDispose]() {
      stop.abort();
      await running;
      await informers.shutdown();
      await api[Symbol.asyncDispose]();
    },
  };
}

const client = new SocketUpstreamTransport();

async function dig(
  dns: ClusterDns,
  name: string,
  options: { type?: string; tcp?: boolean } = {},
) {
  const server = { hostname: "127.0.0.1", port: dns.addresses[0]!.port };
  const q = queryBytes({ name, type: options.type ?? "A" }, { edns: 1232 });
  const exchange = { signal: AbortSignal.timeout(5000), accept: () => true };
  const bytes = options.tcp
    ? await client.exchangeTcp(server, q, exchange)
    : await client.exchangeUdp(server, q, exchange);
  return decodeReply(bytes);
}

Deno.test("ClusterDns serves Services from the informers over UDP and TCP as they change", async () => {
  await using upstream = await startUpstream();
  await using env = await startDns({ upstreams: [{ hostname: "127.0.0.1", port: upstream.port }] });
  const { api, dns } = env;
  const kubernetes = await dig(dns, "kubernetes.default.svc.cluster.local");
  assert.equal(kubernetes.rcode, "NOERROR");
  assert.deepEqual(kubernetes.answers, ["kubernetes.default.svc.cluster.local 30 A 10.43.0.1"]);
  const services = api.client.resource(SERVICES);
  const web = await services.create({
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "web", namespace: "default" },
    spec: { ports: [{ name: "http", port: 80 }], selector: { app: "web" } },
  });
  await until(() => dns.index.service("default", "web") !== undefined);
  const a = await dig(dns, "web.default.svc.cluster.local", { tcp: true });
  assert.deepEqual(a.answers, [`web.default.svc.cluster.local 30 A ${web.spec!.clusterIP}`]);
  const srv = await dig(dns, "_http._tcp.web.default.svc.cluster.local", { type: "SRV" });
  assert.deepEqual(srv.answers, [
    "_http._tcp.web.default.svc.cluster.local 30 SRV 0 100 80 web.default.svc.cluster.local",
  ]);
  await services.delete("web", { namespace: "default" });
  await until(() => dns.index.service("default", "web") === undefined);
  assert.equal((await dig(dns, "web.default.svc.cluster.local")).rcode, "NXDOMAIN");
  assert.deepEqual(upstream.asked, []);
});

Deno.test("ClusterDns answers a headless Service by its ready endpoints", async () => {
  await using env = await startDns({ upstreams: [] });
  const { api, dns } = env;
  await api.client.resource(SERVICES).create({
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "db", namespace: "default" },
    spec: { clusterIP: "None", ports: [{ name: "pg", port: 5432 }] },
  });
  const slices = api.client.resource(ENDPOINT_SLICES);
  const slice = await slices.create(endpointSlice({
    key: "default/db-1",
    service: "db",
    endpoints: [{ addresses: ["10.42.0.5"], hostname: "db-0", conditions: { ready: true } }],
    ports: [{ name: "pg", port: 5432, protocol: "TCP" }],
  }));
  await until(() => dns.index.endpoints("default", "db").all.length === 1);
  assert.deepEqual((await dig(dns, "db-0.db.default.svc.cluster.local")).answers, [
    "db-0.db.default.svc.cluster.local 30 A 10.42.0.5",
  ]);
  await slices.update({
    ...slice,
    endpoints: [{ ...slice.endpoints![0]!, conditions: { ready: false } }],
  });
  await until(() => dns.index.endpoints("default", "db").all.length === 0);
  assert.equal((await dig(dns, "db.default.svc.cluster.local")).rcode, "NXDOMAIN");
});

Deno.test("ClusterDns forwards other names once per TTL and SERVFAILs without upstreams", async () => {
  await using upstream = await startUpstream();
  await using env = await startDns({ upstreams: [{ hostname: "127.0.0.1", port: upstream.port }] });
  const first = await dig(env.dns, "www.example.test");
  const second = await dig(env.dns, "WWW.example.test", { tcp: true });
  assert.deepEqual(first.answers, ["www.example.test 60 A 192.0.2.53"]);
  assert.equal(second.answers.length, 1);
  assert.deepEqual(upstream.asked, ["www.example.test A"]);
  assert.equal(env.dns.stats.cacheHits, 1);
  await using bare = await startDns({ upstreams: [] });
  assert.equal((await dig(bare.dns, "www.example.test")).rcode, "SERVFAIL");
  assert.ok(bare.logger.records.some((r) => r.msg.startsWith("No upstream DNS servers")));
});

Deno.test("ClusterDns reads upstreams from resolv.conf and never forwards to itself", async () => {
  const api = await startControllerApi();
  try {
    const logger = new RecordingLogger();
    const informers = new SharedInformerFactory(api.client, { clock: systemClock, logger });
    const dns = new ClusterDns({
      informers,
      clock: systemClock,
      logger,
      readTextFile: (path) =>
        Promise.resolve(
          path === "/etc/resolv.conf" ? "nameserver 10.43.0.10\nnameserver 192.0.2.1\n" : null,
        ),
    }, { listen: [{ hostname: "127.0.0.1", port: 0 }], clusterDnsIPs: ["10.43.0.10"] });
    const stop = new AbortController();
    informers.start(stop.signal);
    const running = dns.run(stop.signal);
    await dns.ready;
    assert.deepEqual(dns.upstreams, [{ hostname: "192.0.2.1", port: 53 }]);
    stop.abort();
    await running;
    await informers.shutdown();
    assert.deepEqual(
      logger.records.filter((r) => r.fields.component === "dns" && r.level === "info").map((r) =>
        r.msg
      ),
      [
        "Starting cluster DNS",
        "Cluster DNS is serving",
        "Shutting down cluster DNS",
      ],
    );
  } finally {
    await api[Symbol.asyncDispose]();
  }
});

Deno.test("ClusterDns reads resolv.conf again after every upstream failed, at most every 30 s", async () => {
  const api = await startControllerApi();
  try {
    const clock = new FakeClock(Date.now());
    const logger = new RecordingLogger();
    const informers = new SharedInformerFactory(api.client, { clock, logger });
    let resolvConf = "nameserver 192.0.2.1\n";
    const asked: string[] = [];
    const upstreamTransport: UpstreamTransport = {
      exchangeUdp(server, query) {
        asked.push(server.hostname);
        if (server.hostname === "192.0.2.1") return Promise.reject(new Error("unreachable"));
        const answers = [
          {
            type: "A" as const,
            name: "moved.example",
            ttl: 60,
            class: "IN" as const,
            data: "192.0.2.99",
          },
        ];
        return Promise.resolve(replyBytes(query, { answers }));
      },
      exchangeTcp: () => Promise.reject(new Error("unused")),
    };
    const dns = new ClusterDns({
      informers,
      clock,
      logger,
      upstreamTransport,
      readTextFile: (path) => Promise.resolve(path === "/etc/resolv.conf" ? resolvConf : null),
    }, { listen: [{ hostname: "127.0.0.1", port: 0 }] });
    const stop = new AbortController();
    informers.start(stop.signal);
    const running = dns.run(stop.signal);
    await dns.ready;
    resolvConf = "nameserver 192.0.2.2\n";
    assert.equal((await dig(dns, "moved.example")).rcode, "SERVFAIL");
    // Too soon after the first read: not read again yet.
    assert.deepEqual(dns.upstreams, [{ hostname: "192.0.2.1", port: 53 }]);
    clock.advance(30_000);
    assert.equal((await dig(dns, "moved.example")).rcode, "SERVFAIL");
    await until(() => dns.upstreams[0]?.hostname === "192.0.2.2");
    assert.deepEqual((await dig(dns, "moved.example")).answers, ["moved.example 60 A 192.0.2.99"]);
    assert.ok(logger.records.some((r) => r.msg === "Upstream DNS servers changed"));
    stop.abort();
    await running;
    await informers.shutdown();
  } finally {
    await api[Symbol.asyncDispose]();
  }
});
