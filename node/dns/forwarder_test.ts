import assert from "node:assert/strict";
import { FakeClock } from "../../control/util/clock.ts";
import { replyBytes } from "./_test_objects.ts";
import type { DnsRecord } from "./dns_message.ts";
import { DnsForwarder } from "./forwarder.ts";
import { DnsCache } from "./response_cache.ts";
import type { ExchangeOptions, UpstreamServer, UpstreamTransport } from "./upstream_transport.ts";

/** What a fake upstream does with one exchange. */
type Behaviour =
  | { readonly reply: (query: Uint8Array) => Uint8Array }
  | { readonly hang: true }
  | { readonly fail: Error };

/** A scripted upstream side: per server and transport, the next behaviours in order. */
class FakeTransport implements UpstreamTransport {
  readonly calls: string[] = [];
  readonly #script = new Map<string, Behaviour[]>();

  on(server: string, transport: "udp" | "tcp", ...behaviours: Behaviour[]): this {
    this.#script.set(`${server} ${transport}`, behaviours);
    return this;
  }

  exchangeUdp(server: UpstreamServer, query: Uint8Array, options: ExchangeOptions) {
    return this.#exchange(server, "udp", query, options);
  }

  exchangeTcp(server: UpstreamServer, query: Uint8Array, options: ExchangeOptions) {
    return this.#exchange(server, "tcp", query, options);
  }

  #exchange(
    server: UpstreamServer,
    transport: string,
    query: Uint8Array,
    options: ExchangeOptions,
  ): Promise<Uint8Array> {
    this.calls.push(`${server.hostname} ${transport}`);
    const list = this.#script.get(`${server.hostname} ${transport}`) ?? [];
    const b = list.length > 1 ? list.shift()! : list[0];
    if (!b) return Promise.reject(new Error("no script"));
    if ("fail" in b) return Promise.reject(b.fail);
    if ("hang" in b) {
      return new Promise((_, reject) =>
        options.signal.addEventListener("abort", () => reject(options.signal.reason))
      );
    }
    const bytes = b.reply(query);
    // The forwarder's filter must accept it, as the real transport asks it to.
    return options.accept(bytes)
      ? Promise.resolve(bytes)
      : Promise.reject(new Error("reply not accepted"));
  }
}

const A: DnsRecord = { type: "A", name: "example.com", ttl: 300, class: "IN", data: "192.0.2.7" };
const Q = { name: "example.com", type: "A", class: "IN" };
const FLAGS = { dnssecOk: false, checkingDisabled: false };

function setup(upstreams: string[], transport: FakeTransport, clock = new FakeClock(0)) {
  const forwarder = new DnsForwarder({
    upstreams: upstreams.map((hostname) => ({ hostname, port: 53 })),
    transport,
    cache: new DnsCache({ clock, maxEntries: 100, maxTtlSeconds: 30 }),
    clock,
    timeoutMs: 1000,
  });
  return { forwarder, clock };
}

/** Lets pending promise callbacks run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

Deno.test("DnsForwarder.resolve() asks once, then answers from the cache within the TTL", async () => {
  const transport = new FakeTransport().on("10.0.0.2", "udp", {
    reply: (q) => replyBytes(q, { answers: [A] }),
  });
  const { forwarder, clock } = setup(["10.0.0.2"], transport);
  const first = await forwarder.resolve(Q, FLAGS);
  assert.deepEqual(first.answers.map((r) => r.type === "A" && r.data), ["192.0.2.7"]);
  clock.advance(29_000);
  const second = await forwarder.resolve({ ...Q, name: "EXAMPLE.com" }, FLAGS);
  assert.equal(transport.calls.length, 1);
  // Served in the question's case, TTL counted down and capped by the cache's maximum (30 s).
  assert.deepEqual(second.answers.map((r) => [r.name, "ttl" in r && r.ttl]), [["EXAMPLE.com", 1]]);
  clock.advance(1_000);
  await forwarder.resolve(Q, FLAGS);
  assert.equal(transport.calls.length, 2);
  assert.deepEqual(forwarder.stats, {
    cacheHits: 1,
    cacheMisses: 2,
    upstreamQueries: 2,
    failures: 0,
  });
});

Deno.test("DnsForwarder.resolve() shares one exchange between identical questions in flight", async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => release = r);
  const transport: UpstreamTransport = {
    async exchangeUdp(_s, query) {
      calls++;
      await gate;
      return replyBytes(query, { answers: [A] });
    },
    exchangeTcp: () => Promise.reject(new Error("unused")),
  };
  let calls = 0;
  const clock = new FakeClock(0);
  const forwarder = new DnsForwarder({
    upstreams: [{ hostname: "10.0.0.2" }],
    transport,
    cache: new DnsCache({ clock, maxEntries: 10, maxTtlSeconds: 30 }),
    clock,
  });
  const both = Promise.all([forwarder.resolve(Q, FLAGS), forwarder.resolve(Q, FLAGS)]);
  await settle();
  release();
  const [a, b] = await both;
  assert.equal(calls, 1);
  assert.deepEqual(a.answers, b.answers);
});

Deno.test("DnsForwarder.resolve() retries the next upstream after a timeout and then prefers it", async () => {
  const transport = new FakeTransport()
    .on("10.0.0.1", "udp", { hang: true })
    .on("10.0.0.2", "udp", { reply: (q) => replyBytes(q, { answers: [A] }) });
  const { forwarder, clock } = setup(["10.0.0.1", "10.0.0.2"], transport);
  const pending = forwarder.resolve(Q, FLAGS);
  await settle();
  clock.advance(1_000);
  const answer = await pending;
  assert.equal(answer.rcode, 0);
  assert.deepEqual(transport.calls, ["10.0.0.1 udp", "10.0.0.2 udp"]);
  await forwarder.resolve({ ...Q, name: "other.example.com" }, FLAGS);
  assert.deepEqual(transport.calls.slice(2), ["10.0.0.2 udp"]);
});

Deno.test("DnsForwarder.resolve() moves on after SERVFAIL or an error, and fails with SERVFAIL", async (t) => {
  await t.step("SERVFAIL, then an answer", async () => {
    const transport = new FakeTransport()
      .on("10.0.0.1", "udp", { reply: (q) => replyBytes(q, { rcode: 2 }) })
      .on("10.0.0.2", "udp", { reply: (q) => replyBytes(q, { rcode: 3 }) });
    const { forwarder } = setup(["10.0.0.1", "10.0.0.2"], transport);
    assert.equal((await forwarder.resolve(Q, FLAGS)).rcode, 3);
  });
  await t.step("every attempt fails: SERVFAIL, not cached", async () => {
    const transport = new FakeTransport()
      .on("10.0.0.1", "udp", { fail: new Error("ECONNREFUSED") })
      .on("10.0.0.2", "udp", { reply: (q) => replyBytes(q, { rcode: 5 }) });
    const { forwarder } = setup(["10.0.0.1", "10.0.0.2"], transport);
    assert.equal((await forwarder.resolve(Q, FLAGS)).rcode, 2);
    assert.equal((await forwarder.resolve(Q, FLAGS)).rcode, 2);
    assert.equal(transport.calls.length, 4);
    assert.equal(forwarder.stats.failures, 2);
  });
  await t.step("one upstream is tried twice", async () => {
    const transport = new FakeTransport().on(
      "10.0.0.1",
      "udp",
      { fail: new Error("lost") },
      { reply: (q) => replyBytes(q, { answers: [A] }) },
    );
    const { forwarder } = setup(["10.0.0.1"], transport);
    assert.equal((await forwarder.resolve(Q, FLAGS)).answers.length, 1);
    assert.equal(transport.calls.length, 2);
  });
  await t.step("no upstreams: SERVFAIL", async () => {
    const { forwarder } = setup([], new FakeTransport());
    assert.equal((await forwarder.resolve(Q, FLAGS)).rcode, 2);
  });
});

Deno.test("DnsForwarder.resolve() asks again over TCP when the UDP reply is truncated", async () => {
  const many = Array.from({ length: 60 }, (_, i) => ({ ...A, data: `192.0.2.${i}` }));
  const transport = new FakeTransport()
    .on("10.0.0.1", "udp", {
      reply: (q) => replyBytes(q, { answers: many.slice(0, 5), truncated: true }),
    })
    .on("10.0.0.1", "tcp", { reply: (q) => replyBytes(q, { answers: many }) });
  const { forwarder } = setup(["10.0.0.1"], transport);
  const answer = await forwarder.resolve(Q, FLAGS);
  assert.equal(answer.answers.length, 60);
  assert.deepEqual(transport.calls, ["10.0.0.1 udp", "10.0.0.1 tcp"]);
});

Deno.test("DnsForwarder accepts only replies with the query's ID and question", async () => {
  let accepted: boolean[] = [];
  const transport: UpstreamTransport = {
    exchangeUdp(_s, query, options) {
      const wrongId = replyBytes(query, { answers: [A], id: 1 });
      const wrongName = replyBytes(query, { answers: [A] });
      // Flip a letter of the question name in the copy.
      const at = wrongName.indexOf("e".charCodeAt(0), 12);
      wrongName[at] = "x".charCodeAt(0);
      const right = replyBytes(query, { answers: [A] });
      accepted = [options.accept(wrongId), options.accept(wrongName), options.accept(right)];
      return Promise.resolve(right);
    },
    exchangeTcp: () => Promise.reject(new Error("unused")),
  };
  const clock = new FakeClock(0);
  const forwarder = new DnsForwarder({
    upstreams: [{ hostname: "10.0.0.1" }],
    transport,
    cache: new DnsCache({ clock, maxEntries: 10, maxTtlSeconds: 30 }),
    clock,
    randomId: () => 999,
  });
  await forwarder.resolve(Q, FLAGS);
  assert.deepEqual(accepted, [false, false, true]);
});

Deno.test("DnsForwarder tells onFailure when a question failed on every upstream", async () => {
  let failures = 0;
  const clock = new FakeClock(0);
  const transport = new FakeTransport().on("10.0.0.1", "udp", { fail: new Error("down") });
  const forwarder = new DnsForwarder({
    upstreams: [{ hostname: "10.0.0.1" }],
    transport,
    cache: new DnsCache({ clock, maxEntries: 10, maxTtlSeconds: 30 }),
    clock,
    onFailure: () => failures++,
  });
  await forwarder.resolve(Q, FLAGS);
  assert.equal(failures, 1);
  transport.on("10.0.0.1", "udp", { reply: (q) => replyBytes(q, { answers: [A] }) });
  await forwarder.resolve(Q, FLAGS);
  assert.equal(failures, 1);
});
