import assert from "node:assert/strict";
import { FakeClock } from "../../control/util/clock.ts";
import {
  decodeReply,
  endpointSlice,
  namespace,
  queryBytes,
  replyBytes,
  service,
} from "./_test_objects.ts";
import { ClusterZone } from "./cluster_zone.ts";
import { type DnsRecord, parseQuery } from "./dns_message.ts";
import { DnsForwarder } from "./forwarder.ts";
import { DnsQueryHandler } from "./query_handler.ts";
import { ClusterRecordIndex } from "./record_index.ts";
import { DnsCache } from "./response_cache.ts";
import type { UpstreamTransport } from "./upstream_transport.ts";

const Z = "cluster.local";

/** An upstream answering every A question with 192.0.2.7, recording the questions. */
function upstream(): UpstreamTransport & { questions: number } {
  const t = {
    questions: 0,
    exchangeUdp(_s: unknown, query: Uint8Array) {
      t.questions++;
      const parsed = parseQuery(query);
      const answer: DnsRecord = {
        type: "A",
        name: parsed.kind === "query" ? parsed.query.question.name : "?",
        ttl: 60,
        class: "IN",
        data: "192.0.2.7",
      };
      return Promise.resolve(replyBytes(query, { answers: [answer] }));
    },
    exchangeTcp: () => Promise.reject(new Error("unused")),
  };
  return t;
}

function setup(options: { synced?: boolean; maxPendingForwards?: number } = {}) {
  const index = new ClusterRecordIndex();
  index.setNamespace(namespace("default"));
  index.setService(service("default/web", { clusterIP: "10.43.0.20", ports: [{ port: 80 }] }));
  index.setService(service("default/db", { clusterIP: "None" }));
  index.setEndpointSlice(endpointSlice({
    key: "default/db-1",
    service: "db",
    endpoints: Array.from({ length: 60 }, (_, i) => ({ addresses: [`10.42.0.${i + 1}`] })),
  }));
  index.setService(service("default/ext", { type: "ExternalName", externalName: "example.org" }));
  index.setService(service("default/alias", {
    type: "ExternalName",
    externalName: `web.default.svc.${Z}`,
  }));
  const zone = new ClusterZone(index, {
    domain: Z,
    ttlSeconds: 30,
    nameserverAddresses: ["10.43.0.10"],
  });
  const clock = new FakeClock(0);
  const transport = upstream();
  const forwarder = new DnsForwarder({
    upstreams: [{ hostname: "10.0.0.2" }],
    transport,
    cache: new DnsCache({ clock, maxEntries: 10, maxTtlSeconds: 30 }),
    clock,
  });
  const handler = new DnsQueryHandler({
    zone,
    forwarder,
    synced: () => options.synced ?? true,
    generation: () => index.changes,
    ...(options.maxPendingForwards !== undefined
      ? { maxPendingForwards: options.maxPendingForwards }
      : {}),
  });
  return { handler, transport, index };
}

async function ask(
  handler: DnsQueryHandler,
  bytes: Uint8Array,
  transport: "udp" | "tcp" = "udp",
) {
  const out = await handler.handle(bytes, transport);
  assert.ok(out, "expected a reply");
  return decodeReply(out);
}

Deno.test("DnsQueryHandler answers cluster names authoritatively, with EDNS echoed", async () => {
  const { handler, transport } = setup();
  const r = await ask(
    handler,
    queryBytes({ name: `web.default.svc.${Z}`, type: "A" }, { edns: 4096 }),
  );
  assert.equal(r.rcode, "NOERROR");
  assert.equal(r.aa, true);
  assert.equal(r.ra, true);
  assert.deepEqual(r.answers, [`web.default.svc.${Z} 30 A 10.43.0.20`]);
  assert.equal(r.opt?.udpPayloadSize, 1232);
  const nx = await ask(handler, queryBytes({ name: `nope.default.svc.${Z}`, type: "A" }));
  assert.equal(nx.rcode, "NXDOMAIN");
  assert.deepEqual(nx.authorities, [`${Z} 30 SOA ns.dns.${Z} hostmaster.${Z} 30`]);
  assert.equal(nx.opt, undefined);
  // The cluster path is synchronous and never asks upstream.
  assert.ok(
    handler.handle(queryBytes({ name: `web.default.svc.${Z}`, type: "A" }), "udp") instanceof
      Uint8Array,
  );
  assert.equal(transport.questions, 0);
});

Deno.test("DnsQueryHandler forwards other names and reverse names the cluster does not own", async () => {
  const { handler, transport } = setup();
  const r = await ask(handler, queryBytes({ name: "upstream.example", type: "A" }));
  assert.equal(r.aa, false);
  assert.deepEqual(r.answers, ["upstream.example 60 A 192.0.2.7"]);
  const known = await ask(handler, queryBytes({ name: "20.0.43.10.in-addr.arpa", type: "PTR" }));
  assert.deepEqual(known.answers, [`20.0.43.10.in-addr.arpa 30 PTR web.default.svc.${Z}`]);
  assert.equal(transport.questions, 1);
  await ask(handler, queryBytes({ name: "1.1.168.192.in-addr.arpa", type: "PTR" }));
  assert.equal(transport.questions, 2);
});

Deno.test("DnsQueryHandler answers SERVFAIL for cluster names until synced, and still forwards", async () => {
  const { handler } = setup({ synced: false });
  assert.equal(
    (await ask(handler, queryBytes({ name: `web.default.svc.${Z}`, type: "A" }))).rcode,
    "SERVFAIL",
  );
  assert.equal(
    (await ask(handler, queryBytes({ name: "upstream.example", type: "A" }))).rcode,
    "NOERROR",
  );
});

Deno.test("DnsQueryHandler follows ExternalName CNAMEs upstream and in the zone", async () => {
  const { handler } = setup();
  const ext = await ask(handler, queryBytes({ name: `ext.default.svc.${Z}`, type: "A" }));
  assert.deepEqual(ext.answers, [
    `ext.default.svc.${Z} 30 CNAME example.org`,
    "example.org 60 A 192.0.2.7",
  ]);
  const alias = await ask(handler, queryBytes({ name: `alias.default.svc.${Z}`, type: "A" }));
  assert.deepEqual(alias.answers, [
    `alias.default.svc.${Z} 30 CNAME web.default.svc.${Z}`,
    `web.default.svc.${Z} 30 A 10.43.0.20`,
  ]);
});

Deno.test("DnsQueryHandler truncates to the UDP payload size and sends all over TCP", async () => {
  const { handler } = setup();
  const q = queryBytes({ name: `db.default.svc.${Z}`, type: "A" });
  const udp = await ask(handler, q);
  assert.equal(udp.tc, true);
  assert.ok(udp.sizeBytes <= 512);
  const edns = await ask(
    handler,
    queryBytes({ name: `db.default.svc.${Z}`, type: "A" }, { edns: 1232 }),
  );
  assert.ok(edns.answers.length > udp.answers.length);
  assert.ok(edns.sizeBytes <= 1232);
  const tcp = await ask(handler, q, "tcp");
  assert.equal(tcp.tc, false);
  assert.equal(tcp.answers.length, 60);
});

Deno.test("DnsQueryHandler refuses zone transfers and other classes in the zone", async () => {
  const { handler } = setup();
  const axfr = await ask(handler, queryBytes({ name: Z, type: "AXFR" }), "tcp");
  assert.equal(axfr.rcode, "REFUSED");
  const chaos = await ask(
    handler,
    queryBytes({ name: `web.default.svc.${Z}`, type: "TXT" }, { class: "CH" }),
  );
  assert.equal(chaos.rcode, "REFUSED");
});

Deno.test("DnsQueryHandler never throws on malformed input", async () => {
  const { handler } = setup();
  const good = queryBytes({ name: `web.default.svc.${Z}`, type: "A" });
  assert.equal(handler.handle(good.slice(0, 5), "udp"), undefined);
  const formerr = decodeReply(handler.handle(good.slice(0, 25), "udp") as Uint8Array);
  assert.equal(formerr.rcode, "FORMERR");
  let seed = 3;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let i = 0; i < 2000; i++) {
    const bytes = good.slice();
    // Corrupt a few bytes past the ID.
    for (let k = 0; k < 3; k++) {
      bytes[2 + Math.floor(random() * (bytes.length - 2))] = Math.floor(random() * 256);
    }
    const out = await handler.handle(bytes, random() < 0.5 ? "udp" : "tcp");
    if (out) decodeReply(out);
  }
  assert.ok(handler.stats.queries >= 2002);
});

Deno.test("DnsQueryHandler drops forwarded queries beyond its bound", async () => {
  const { handler } = setup({ maxPendingForwards: 1 });
  const a = handler.handle(queryBytes({ name: "a.example", type: "A" }), "udp");
  const b = handler.handle(queryBytes({ name: "b.example", type: "A" }), "udp");
  assert.equal(await b, undefined);
  assert.ok(await a);
  assert.equal(handler.stats.dropped, 1);
});

Deno.test("DnsQueryHandler answers repeated cluster questions from its reply cache until records change", async () => {
  const { handler, index } = setup();
  const q = (id: number, name = `web.default.svc.${Z}`) => queryBytes({ name, type: "A" }, { id });
  const first = await ask(handler, q(1));
  const second = await ask(handler, q(2));
  assert.equal(second.id, 2);
  assert.deepEqual(second.answers, first.answers);
  assert.equal(handler.stats.replyCacheHits, 1);
  // The same name spelled otherwise is another question (the reply keeps its case).
  const upper = await ask(handler, q(3, `WEB.default.svc.${Z}`));
  assert.deepEqual(upper.answers, [`WEB.default.svc.${Z} 30 A 10.43.0.20`]);
  assert.equal(handler.stats.replyCacheHits, 1);
  // A change to the records empties the cache.
  index.setService(service("default/web", { clusterIP: "10.43.0.99", ports: [{ port: 80 }] }));
  assert.deepEqual((await ask(handler, q(4))).answers, [`web.default.svc.${Z} 30 A 10.43.0.99`]);
  assert.equal(handler.stats.replyCacheHits, 1);
  // Negative answers are kept too; rotating address sets are not.
  await ask(handler, q(5, `nope.default.svc.${Z}`));
  assert.equal((await ask(handler, q(6, `nope.default.svc.${Z}`))).rcode, "NXDOMAIN");
  assert.equal(handler.stats.replyCacheHits, 2);
  const tcp = await ask(handler, q(7, `db.default.svc.${Z}`), "tcp");
  const tcp2 = await ask(handler, q(8, `db.default.svc.${Z}`), "tcp");
  assert.notDeepEqual(tcp.answers, tcp2.answers);
  assert.equal(handler.stats.replyCacheHits, 2);
});
