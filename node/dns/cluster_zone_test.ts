import assert from "node:assert/strict";
import { endpointSlice, namespace, service, showRecord } from "./_test_objects.ts";
import { ClusterZone, DNS_SCHEMA_VERSION } from "./cluster_zone.ts";
import { RCODE } from "./dns_message.ts";
import { ClusterRecordIndex } from "./record_index.ts";

const Z = "cluster.local";
const SOA = `${Z} 30 SOA ns.dns.${Z} hostmaster.${Z} 30`;

function fixture(): ClusterZone {
  const index = new ClusterRecordIndex();
  for (const ns of ["default", "kube-system", "prod"]) index.setNamespace(namespace(ns));
  index.setService(service("default/web", {
    clusterIP: "10.43.0.20",
    clusterIPs: ["10.43.0.20"],
    ports: [
      { name: "http", port: 80, protocol: "TCP" },
      { port: 443, protocol: "TCP" },
      { name: "dns-udp", port: 53, protocol: "UDP" },
    ],
  }));
  index.setEndpointSlice(endpointSlice({
    key: "default/web-abc",
    service: "web",
    endpoints: [{ addresses: ["10.42.0.30"] }],
    ports: [{ name: "http", port: 8080, protocol: "TCP" }],
  }));
  index.setService(service("default/dual", {
    clusterIP: "10.43.0.21",
    clusterIPs: ["10.43.0.21", "fd00:43::21"],
    ports: [{ name: "http", port: 80 }],
  }));
  index.setService(service("default/v6only", {
    clusterIP: "fd00:43::22",
    clusterIPs: ["fd00:43:0:0::22"],
    ports: [{ name: "http", port: 80 }],
  }));
  index.setService(service("default/db", {
    clusterIP: "None",
    ports: [{ name: "pg", port: 5432 }],
  }));
  index.setEndpointSlice(endpointSlice({
    key: "default/db-xyz",
    service: "db",
    endpoints: [
      { addresses: ["10.42.0.10"], hostname: "db-0", conditions: { ready: true } },
      { addresses: ["10.42.0.11"], hostname: "db-1", conditions: { ready: false } },
      { addresses: ["10.42.0.12"] },
    ],
    ports: [{ name: "pg", port: 5432, protocol: "TCP" }],
  }));
  index.setService(service("default/peers", {
    clusterIP: "None",
    publishNotReadyAddresses: true,
    ports: [{ name: "gossip", port: 7000 }],
  }));
  index.setEndpointSlice(endpointSlice({
    key: "default/peers-1",
    service: "peers",
    endpoints: [{ addresses: ["10.42.1.5"], hostname: "p-0", conditions: { ready: false } }],
    ports: [{ name: "gossip", port: 7000, protocol: "TCP" }],
  }));
  index.setService(service("default/empty", { clusterIP: "None" }));
  index.setService(service("default/ext", { type: "ExternalName", externalName: "Example.COM." }));
  index.setService(service("default/extip", { type: "ExternalName", externalName: "1.2.3.4" }));
  index.setService(service("prod/api", { clusterIP: "10.43.1.1", ports: [{ port: 443 }] }));
  return new ClusterZone(index, {
    domain: "Cluster.Local.",
    ttlSeconds: 30,
    nameserverAddresses: ["10.43.0.10"],
  });
}

interface Case {
  readonly name: string;
  readonly q: string;
  readonly type: string;
  readonly rcode: number;
  readonly answers?: readonly string[];
  /** Compared as a set (round-robin order). */
  readonly anyOrder?: boolean;
  readonly additionals?: readonly string[];
  readonly chase?: { readonly name: string; readonly type: string };
}

const NX = RCODE.NXDOMAIN;
const OK = RCODE.NOERROR;

const cases: readonly Case[] = [
  {
    name: "A of a ClusterIP Service, in the question's case",
    q: "Web.Default.SVC.cluster.local",
    type: "A",
    rcode: OK,
    answers: ["Web.Default.SVC.cluster.local 30 A 10.43.0.20"],
  },
  { name: "AAAA of an IPv4 Service is NODATA", q: `web.default.svc.${Z}`, type: "AAAA", rcode: OK },
  {
    name: "A of a dual-stack Service is its IPv4 ClusterIP",
    q: `dual.default.svc.${Z}`,
    type: "A",
    rcode: OK,
    answers: [`dual.default.svc.${Z} 30 A 10.43.0.21`],
  },
  {
    name: "AAAA of a dual-stack Service is its IPv6 ClusterIP",
    q: `dual.default.svc.${Z}`,
    type: "AAAA",
    rcode: OK,
    answers: [`dual.default.svc.${Z} 30 AAAA fd00:43::21`],
  },
  {
    name: "A of an IPv6-only Service is NODATA",
    q: `v6only.default.svc.${Z}`,
    type: "A",
    rcode: OK,
  },
  {
    name: "ANY of a dual-stack Service is both",
    q: `dual.default.svc.${Z}`,
    type: "ANY",
    rcode: OK,
    answers: [`dual.default.svc.${Z} 30 A 10.43.0.21`, `dual.default.svc.${Z} 30 AAAA fd00:43::21`],
  },
  { name: "TXT of a Service is NODATA", q: `web.default.svc.${Z}`, type: "TXT", rcode: OK },
  { name: "an unknown Service is NXDOMAIN", q: `nope.default.svc.${Z}`, type: "A", rcode: NX },
  {
    name: "a Service in an unknown namespace is NXDOMAIN",
    q: `web.nons.svc.${Z}`,
    type: "A",
    rcode: NX,
  },
  { name: "an existing namespace is NODATA", q: `default.svc.${Z}`, type: "A", rcode: OK },
  { name: "an unknown namespace is NXDOMAIN", q: `nons.svc.${Z}`, type: "A", rcode: NX },
  { name: "svc.<zone> is NODATA", q: `svc.${Z}`, type: "A", rcode: OK },
  { name: "pod.<zone> is NODATA", q: `pod.${Z}`, type: "A", rcode: OK },
  { name: "another name under the zone is NXDOMAIN", q: `foo.${Z}`, type: "A", rcode: NX },
  { name: "a name too deep is NXDOMAIN", q: `a.b.c.web.default.svc.${Z}`, type: "A", rcode: NX },
  { name: "the apex A is NODATA", q: Z, type: "A", rcode: OK },
  {
    name: "the apex SOA",
    q: Z,
    type: "SOA",
    rcode: OK,
    answers: [SOA],
  },
  {
    name: "the apex NS, with glue",
    q: Z,
    type: "NS",
    rcode: OK,
    answers: [`${Z} 30 NS ns.dns.${Z}`],
    additionals: [`ns.dns.${Z} 30 A 10.43.0.10`],
  },
  {
    name: "ns.dns.<zone> is the DNS server",
    q: `ns.dns.${Z}`,
    type: "A",
    rcode: OK,
    answers: [`ns.dns.${Z} 30 A 10.43.0.10`],
  },
  {
    name: "dns-version TXT",
    q: `dns-version.${Z}`,
    type: "TXT",
    rcode: OK,
    answers: [`dns-version.${Z} 28800 TXT ${DNS_SCHEMA_VERSION}`],
  },
  { name: "dns-version A is NODATA", q: `dns-version.${Z}`, type: "A", rcode: OK },
  {
    name: "SRV of a named port",
    q: `_http._tcp.web.default.svc.${Z}`,
    type: "SRV",
    rcode: OK,
    answers: [`_http._tcp.web.default.svc.${Z} 30 SRV 0 100 80 web.default.svc.${Z}`],
    additionals: [`web.default.svc.${Z} 30 A 10.43.0.20`],
  },
  {
    name: "SRV of a named UDP port",
    q: `_DNS-UDP._UDP.web.default.svc.${Z}`,
    type: "SRV",
    rcode: OK,
    answers: [`_DNS-UDP._UDP.web.default.svc.${Z} 30 SRV 0 100 53 web.default.svc.${Z}`],
    additionals: [`web.default.svc.${Z} 30 A 10.43.0.20`],
  },
  {
    name: "SRV of a named port with the wrong protocol is NXDOMAIN",
    q: `_http._udp.web.default.svc.${Z}`,
    type: "SRV",
    rcode: NX,
  },
  {
    name: "A of a port name is NODATA",
    q: `_http._tcp.web.default.svc.${Z}`,
    type: "A",
    rcode: OK,
  },
  {
    name: "SRV of the Service name lists every port",
    q: `web.default.svc.${Z}`,
    type: "SRV",
    rcode: OK,
    answers: [
      `web.default.svc.${Z} 30 SRV 0 33 80 web.default.svc.${Z}`,
      `web.default.svc.${Z} 30 SRV 0 33 443 web.default.svc.${Z}`,
      `web.default.svc.${Z} 30 SRV 0 33 53 web.default.svc.${Z}`,
    ],
    additionals: [`web.default.svc.${Z} 30 A 10.43.0.20`],
  },
  {
    name: "A of a headless Service is its ready endpoints",
    q: `db.default.svc.${Z}`,
    type: "A",
    rcode: OK,
    answers: [`db.default.svc.${Z} 30 A 10.42.0.10`, `db.default.svc.${Z} 30 A 10.42.0.12`],
    anyOrder: true,
  },
  {
    name: "a StatefulSet pod's hostname",
    q: `db-0.db.default.svc.${Z}`,
    type: "A",
    rcode: OK,
    answers: [`db-0.db.default.svc.${Z} 30 A 10.42.0.10`],
  },
  {
    name: "a not-ready endpoint's hostname is NXDOMAIN",
    q: `db-1.db.default.svc.${Z}`,
    type: "A",
    rcode: NX,
  },
  {
    name: "an endpoint without hostname by its dashed address",
    q: `10-42-0-12.db.default.svc.${Z}`,
    type: "A",
    rcode: OK,
    answers: [`10-42-0-12.db.default.svc.${Z} 30 A 10.42.0.12`],
  },
  {
    name: "an endpoint of a ClusterIP Service by its dashed address",
    q: `10-42-0-30.web.default.svc.${Z}`,
    type: "A",
    rcode: OK,
    answers: [`10-42-0-30.web.default.svc.${Z} 30 A 10.42.0.30`],
  },
  {
    name: "AAAA of an IPv4 endpoint is NODATA",
    q: `db-0.db.default.svc.${Z}`,
    type: "AAAA",
    rcode: OK,
  },
  {
    name: "SRV of a headless Service: one per endpoint",
    q: `_pg._tcp.db.default.svc.${Z}`,
    type: "SRV",
    rcode: OK,
    answers: [
      `_pg._tcp.db.default.svc.${Z} 30 SRV 0 50 5432 db-0.db.default.svc.${Z}`,
      `_pg._tcp.db.default.svc.${Z} 30 SRV 0 50 5432 10-42-0-12.db.default.svc.${Z}`,
    ],
    additionals: [
      `db-0.db.default.svc.${Z} 30 A 10.42.0.10`,
      `10-42-0-12.db.default.svc.${Z} 30 A 10.42.0.12`,
    ],
  },
  {
    name: "SRV of an endpoint name",
    q: `db-0.db.default.svc.${Z}`,
    type: "SRV",
    rcode: OK,
    answers: [`db-0.db.default.svc.${Z} 30 SRV 0 100 5432 db-0.db.default.svc.${Z}`],
    additionals: [`db-0.db.default.svc.${Z} 30 A 10.42.0.10`],
  },
  {
    name: "SRV of an unknown port of a headless Service is NXDOMAIN",
    q: `_http._tcp.db.default.svc.${Z}`,
    type: "SRV",
    rcode: NX,
  },
  {
    name: "publishNotReadyAddresses publishes not-ready endpoints",
    q: `p-0.peers.default.svc.${Z}`,
    type: "A",
    rcode: OK,
    answers: [`p-0.peers.default.svc.${Z} 30 A 10.42.1.5`],
  },
  {
    name: "a headless Service without endpoints is NXDOMAIN",
    q: `empty.default.svc.${Z}`,
    type: "A",
    rcode: NX,
  },
  {
    name: "an ExternalName Service is a CNAME, followed for A",
    q: `ext.default.svc.${Z}`,
    type: "A",
    rcode: OK,
    answers: [`ext.default.svc.${Z} 30 CNAME example.com`],
    chase: { name: "example.com", type: "A" },
  },
  {
    name: "an ExternalName Service answers CNAME for CNAME",
    q: `ext.default.svc.${Z}`,
    type: "CNAME",
    rcode: OK,
    answers: [`ext.default.svc.${Z} 30 CNAME example.com`],
  },
  {
    name: "SRV of an ExternalName Service is NODATA",
    q: `ext.default.svc.${Z}`,
    type: "SRV",
    rcode: OK,
  },
  {
    name: "an ExternalName that is an IP address has no record",
    q: `extip.default.svc.${Z}`,
    type: "A",
    rcode: NX,
  },
  {
    name: "pods insecure: the address a pod name spells",
    q: `1-2-3-4.default.pod.${Z}`,
    type: "A",
    rcode: OK,
    answers: [`1-2-3-4.default.pod.${Z} 30 A 1.2.3.4`],
  },
  {
    name: "pods insecure: AAAA of an IPv4 pod name is NODATA",
    q: `1-2-3-4.default.pod.${Z}`,
    type: "AAAA",
    rcode: OK,
  },
  {
    name: "pods insecure: an IPv6 pod name",
    q: `fd00--1.default.pod.${Z}`,
    type: "AAAA",
    rcode: OK,
    answers: [`fd00--1.default.pod.${Z} 30 AAAA fd00::1`],
  },
  {
    name: "pods insecure: an unknown namespace is NXDOMAIN",
    q: `1-2-3-4.nons.pod.${Z}`,
    type: "A",
    rcode: NX,
  },
  {
    name: "pods insecure: a label that is no address is NXDOMAIN",
    q: `web-0.default.pod.${Z}`,
    type: "A",
    rcode: NX,
  },
];

Deno.test("ClusterZone.answer() serves the Kubernetes DNS records", async (t) => {
  const zone = fixture();
  for (const c of cases) {
    await t.step(c.name, () => {
      const got = zone.answer({ name: c.q, type: c.type, class: "IN" });
      assert.equal(got.rcode, c.rcode);
      const answers = got.answers.map(showRecord);
      if (c.anyOrder) assert.deepEqual(answers.sort(), [...(c.answers ?? [])].sort());
      else assert.deepEqual(answers, c.answers ?? []);
      assert.deepEqual(got.additionals.map(showRecord), c.additionals ?? []);
      assert.deepEqual(got.chase, c.chase);
      // Every negative answer (NXDOMAIN, NODATA) carries the SOA; positive ones do not.
      const negative = got.rcode === NX || got.answers.length === 0;
      assert.deepEqual(got.authorities.map(showRecord), negative ? [SOA] : []);
    });
  }
});

Deno.test("ClusterZone.reverse() answers PTR for ClusterIPs and endpoints only", async (t) => {
  const zone = fixture();
  const ptr = (name: string, type = "PTR") =>
    zone.reverse({ name, type, class: "IN" })?.answers.map(showRecord);
  await t.step("a ClusterIP", () => {
    assert.deepEqual(ptr("20.0.43.10.in-addr.arpa"), [
      `20.0.43.10.in-addr.arpa 30 PTR web.default.svc.${Z}`,
    ]);
  });
  await t.step("an IPv6 ClusterIP", () => {
    const name = "2.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.3.4.0.0.0.0.d.f.ip6.arpa";
    assert.deepEqual(ptr(name), [`${name} 30 PTR v6only.default.svc.${Z}`]);
  });
  await t.step("a StatefulSet endpoint, case kept", () => {
    assert.deepEqual(ptr("10.0.42.10.IN-ADDR.ARPA"), [
      `10.0.42.10.IN-ADDR.ARPA 30 PTR db-0.db.default.svc.${Z}`,
    ]);
  });
  await t.step("an endpoint without hostname", () => {
    assert.deepEqual(ptr("12.0.42.10.in-addr.arpa"), [
      `12.0.42.10.in-addr.arpa 30 PTR 10-42-0-12.db.default.svc.${Z}`,
    ]);
  });
  await t.step("a not-ready endpoint, an unknown address, a partial name, another type", () => {
    assert.equal(ptr("11.0.42.10.in-addr.arpa"), undefined);
    assert.equal(ptr("99.0.42.10.in-addr.arpa"), undefined);
    assert.equal(ptr("0.42.10.in-addr.arpa"), undefined);
    assert.equal(ptr("20.0.43.10.in-addr.arpa", "A"), undefined);
  });
});

Deno.test("ClusterZone.contains() matches the zone and names under it only", () => {
  const zone = fixture();
  assert.equal(zone.contains("cluster.local"), true);
  assert.equal(zone.contains("web.default.svc.cluster.local"), true);
  assert.equal(zone.contains("mycluster.local"), false);
  assert.equal(zone.contains("example.com"), false);
});

Deno.test("ClusterZone.answer() rotates the addresses of a headless Service", () => {
  const zone = fixture();
  const q = { name: `db.default.svc.${Z}`, type: "A", class: "IN" };
  const first = zone.answer(q).answers.map(showRecord);
  const second = zone.answer(q).answers.map(showRecord);
  assert.notDeepEqual(first, second);
  assert.deepEqual([...first].sort(), [...second].sort());
});
