import assert from "node:assert/strict";
import { decodeReply, queryBytes } from "./_test_objects.ts";
import {
  decodeUpstreamReply,
  type DnsQuery,
  type DnsRecord,
  encodeReply,
  encodeUpstreamQuery,
  parseQuery,
  RCODE,
  udpLimitOf,
} from "./dns_message.ts";

function query(bytes: Uint8Array): DnsQuery {
  const parsed = parseQuery(bytes);
  assert.equal(parsed.kind, "query");
  return (parsed as { query: DnsQuery }).query;
}

Deno.test("parseQuery() reads a query with its EDNS0 options", () => {
  const q = query(
    queryBytes({ name: "Web.Default", type: "AAAA" }, { edns: 4096, dnssecOk: true }),
  );
  assert.deepEqual(q, {
    id: 4242,
    recursionDesired: true,
    checkingDisabled: false,
    authenticData: false,
    question: { name: "Web.Default", type: "AAAA", class: "IN" },
    edns: { udpPayloadSize: 4096, version: 0, dnssecOk: true },
  });
  assert.equal(query(queryBytes({ name: "x", type: "A" })).edns, undefined);
});

Deno.test("parseQuery() drops or rejects malformed input, never throws", async (t) => {
  const good = queryBytes({ name: "web.default.svc.cluster.local", type: "A" });
  await t.step("shorter than a header: dropped", () => {
    assert.deepEqual(parseQuery(new Uint8Array([1, 2, 3])), { kind: "drop" });
  });
  await t.step("a response: dropped", () => {
    const response = good.slice();
    response[2]! |= 0x80;
    assert.deepEqual(parseQuery(response), { kind: "drop" });
  });
  await t.step("a truncated question: FORMERR with the ID", () => {
    const parsed = parseQuery(good.slice(0, 20));
    assert.equal(parsed.kind, "reply");
    const r = decodeReply((parsed as { bytes: Uint8Array }).bytes);
    assert.equal(r.rcode, "FORMERR");
    assert.equal(r.id, 4242);
    assert.equal(r.question, "");
  });
  await t.step("no question: FORMERR", () => {
    const header = good.slice(0, 12);
    header[5] = 0;
    const r = decodeReply((parseQuery(header) as { bytes: Uint8Array }).bytes);
    assert.equal(r.rcode, "FORMERR");
  });
  await t.step("another opcode: NOTIMP", () => {
    const notify = good.slice();
    notify[2] = (notify[2]! & 0x87) | (4 << 3);
    const r = decodeReply((parseQuery(notify) as { bytes: Uint8Array }).bytes);
    assert.equal(r.rcode, "NOTIMP");
  });
  await t.step("EDNS version 1: BADVERS", () => {
    const parsed = parseQuery(queryBytes({ name: "x", type: "A" }, { edns: 1232, ednsVersion: 1 }));
    const r = decodeReply((parsed as { bytes: Uint8Array }).bytes);
    assert.equal(r.rcode, "EXT16");
    assert.equal(r.opt?.ednsVersion, 0);
  });
  await t.step("random bytes", () => {
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 2000; i++) {
      const bytes = new Uint8Array(Math.floor(random() * 80));
      for (let j = 0; j < bytes.length; j++) bytes[j] = Math.floor(random() * 256);
      // Headers that claim many records over a short buffer, pointers, bad labels…
      if (bytes.length > 12 && random() < 0.5) bytes.set(good.subarray(0, 12));
      const parsed = parseQuery(bytes);
      assert.ok(["query", "reply", "drop"].includes(parsed.kind));
    }
  });
});

function records(n: number): DnsRecord[] {
  return Array.from({ length: n }, (_, i) => ({
    type: "A",
    name: "db.default.svc.cluster.local",
    ttl: 30,
    class: "IN",
    data: `10.42.${i >> 8}.${i & 255}`,
  }));
}

Deno.test("encodeReply() echoes EDNS0 and fits the reply to the client's payload size", async (t) => {
  const reply = (n: number) => ({
    rcode: RCODE.NOERROR,
    authoritative: true,
    answers: records(n),
    authorities: [],
    additionals: records(3).map((r) => ({ ...r, name: "extra.cluster.local" })),
  });
  await t.step("a small reply is whole, with an OPT advertising our size", () => {
    const q = query(
      queryBytes({ name: "db.default.svc.cluster.local", type: "A" }, { edns: 4096 }),
    );
    const r = decodeReply(encodeReply(q, { reply: reply(2), maxBytes: udpLimitOf(q, 1232) }));
    assert.equal(r.tc, false);
    assert.equal(r.aa, true);
    assert.equal(r.ra, true);
    assert.equal(r.answers.length, 2);
    assert.equal(r.additionals.length, 3);
    assert.equal(r.opt?.udpPayloadSize, 1232);
  });
  await t.step("without EDNS: 512 bytes, no OPT, TC when answers had to go", () => {
    const q = query(queryBytes({ name: "db.default.svc.cluster.local", type: "A" }));
    assert.equal(udpLimitOf(q, 1232), 512);
    const bytes = encodeReply(q, { reply: reply(40), maxBytes: udpLimitOf(q, 1232) });
    const r = decodeReply(bytes);
    assert.ok(bytes.byteLength <= 512);
    assert.equal(r.tc, true);
    assert.equal(r.opt, undefined);
    assert.ok(r.answers.length > 0 && r.answers.length < 40);
    assert.equal(r.additionals.length, 0);
  });
  await t.step("only the additional section dropped: no TC", () => {
    const q = query(queryBytes({ name: "db.default.svc.cluster.local", type: "A" }));
    const r = decodeReply(encodeReply(q, { reply: reply(9), maxBytes: 512 }));
    assert.equal(r.tc, false);
    assert.equal(r.answers.length, 9);
    assert.equal(r.additionals.length, 0);
  });
  await t.step("EDNS 1232 fits more; TCP fits all", () => {
    const q = query(
      queryBytes({ name: "db.default.svc.cluster.local", type: "A" }, { edns: 1232 }),
    );
    const udp = decodeReply(encodeReply(q, { reply: reply(40), maxBytes: udpLimitOf(q, 1232) }));
    assert.ok(udp.sizeBytes <= 1232);
    assert.equal(udp.tc, true);
    const tcp = decodeReply(encodeReply(q, { reply: reply(40), maxBytes: 65535 }));
    assert.equal(tcp.tc, false);
    assert.equal(tcp.answers.length, 40);
  });
  await t.step("a client asking for less than 512 still gets 512", () => {
    const q = query(queryBytes({ name: "x", type: "A" }, { edns: 100 }));
    assert.equal(udpLimitOf(q, 1232), 512);
  });
});

Deno.test("encodeUpstreamQuery() and decodeUpstreamReply() speak to an upstream", () => {
  const bytes = encodeUpstreamQuery({ name: "example.com", type: "A", class: "IN" }, {
    id: 77,
    dnssecOk: false,
    checkingDisabled: true,
  });
  const q = query(bytes);
  assert.equal(q.id, 77);
  assert.equal(q.checkingDisabled, true);
  assert.equal(q.edns?.udpPayloadSize, 1232);
  const reply = decodeUpstreamReply(encodeReply(q, {
    reply: {
      rcode: RCODE.NXDOMAIN,
      authoritative: false,
      answers: [],
      authorities: [],
      additionals: [],
    },
    maxBytes: 512,
  }));
  assert.equal(reply.id, 77);
  assert.equal(reply.rcode, RCODE.NXDOMAIN);
  assert.deepEqual(reply.question, { name: "example.com", type: "A", class: "IN" });
  assert.deepEqual(reply.additionals, []);
  assert.throws(() => decodeUpstreamReply(bytes), SyntaxError);
  assert.throws(() => decodeUpstreamReply(new Uint8Array([1, 2])), SyntaxError);
});
