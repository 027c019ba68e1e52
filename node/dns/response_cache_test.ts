import assert from "node:assert/strict";
import { FakeClock } from "../../control/util/clock.ts";
import type { DnsRecord } from "./dns_message.ts";
import { type CachedAnswer, cacheKey, cacheTtlSeconds, DnsCache } from "./response_cache.ts";

function a(name: string, ttl: number, ip = "192.0.2.1"): DnsRecord {
  return { type: "A", name, ttl, class: "IN", data: ip };
}

function soa(ttl: number, minimum: number): DnsRecord {
  return {
    type: "SOA",
    name: "example.com",
    ttl,
    class: "IN",
    data: { mname: "ns.example.com", rname: "hostmaster.example.com", minimum },
  };
}

function answer(init: Partial<CachedAnswer>): CachedAnswer {
  return { rcode: 0, authenticData: false, answers: [], authorities: [], additionals: [], ...init };
}

Deno.test("cacheTtlSeconds() follows the records' TTLs and RFC 2308", async (t) => {
  const limits = { maxTtlSeconds: 300 };
  const cases: [string, CachedAnswer, number][] = [
    ["positive: the smallest TTL", answer({ answers: [a("x", 120), a("x", 60)] }), 60],
    ["positive: capped by the maximum", answer({ answers: [a("x", 86400)] }), 300],
    [
      "NXDOMAIN: min(SOA TTL, SOA minimum)",
      answer({ rcode: 3, authorities: [soa(900, 45)] }),
      45,
    ],
    ["NODATA: min(SOA TTL, SOA minimum)", answer({ authorities: [soa(20, 3600)] }), 20],
    ["negative without SOA: not cached", answer({ rcode: 3 }), 0],
    ["SERVFAIL: not cached", answer({ rcode: 2 }), 0],
    ["REFUSED: not cached", answer({ rcode: 5, answers: [a("x", 60)] }), 0],
    ["TTL 0: not cached", answer({ answers: [a("x", 0)] }), 0],
  ];
  for (const [name, ans, want] of cases) {
    await t.step(name, () => assert.equal(cacheTtlSeconds(ans, limits), want));
  }
  await t.step("the negative maximum applies to negative answers", () => {
    const ans = answer({ rcode: 3, authorities: [soa(900, 900)] });
    assert.equal(cacheTtlSeconds(ans, { maxTtlSeconds: 300, maxNegativeTtlSeconds: 30 }), 30);
  });
});

Deno.test("DnsCache.get() counts TTLs down and forgets expired answers", () => {
  const clock = new FakeClock(1_000_000);
  const cache = new DnsCache({ clock, maxEntries: 10, maxTtlSeconds: 300 });
  assert.equal(cache.put("k", answer({ answers: [a("x", 60), a("x", 90, "192.0.2.2")] }), 50), 60);
  clock.advance(10_500);
  assert.deepEqual(cache.get("k")?.answers.map((r) => "ttl" in r && r.ttl), [50, 50]);
  clock.advance(49_499);
  assert.equal(cache.get("k")?.answers.length, 2);
  clock.advance(1);
  assert.equal(cache.get("k"), undefined);
  assert.equal(cache.size, 0);
});

Deno.test("DnsCache caches NXDOMAIN for the SOA minimum", () => {
  const clock = new FakeClock(0);
  const cache = new DnsCache({ clock, maxEntries: 10, maxTtlSeconds: 300 });
  const nx = answer({ rcode: 3, authorities: [soa(3600, 5)] });
  assert.equal(cache.put("nx", nx, 80), 5);
  clock.advance(4_000);
  assert.equal(cache.get("nx")?.rcode, 3);
  clock.advance(1_000);
  assert.equal(cache.get("nx"), undefined);
  assert.equal(cache.put("nosoa", answer({ rcode: 3 }), 40), 0);
  assert.equal(cache.get("nosoa"), undefined);
});

Deno.test("DnsCache evicts the least recently used answer past its entry and byte bounds", () => {
  const clock = new FakeClock(0);
  const cache = new DnsCache({ clock, maxEntries: 2, maxBytes: 1000, maxTtlSeconds: 300 });
  const ok = answer({ answers: [a("x", 60)] });
  cache.put("a", ok, 100);
  cache.put("b", ok, 100);
  assert.ok(cache.get("a")); // a is now the most recently used
  cache.put("c", ok, 100);
  assert.ok(cache.get("a"));
  assert.equal(cache.get("b"), undefined);
  assert.ok(cache.get("c"));
  // Bytes: a 900-byte answer pushes out the oldest until 1000 bytes are kept at most.
  cache.put("big", ok, 900);
  assert.equal(cache.get("a"), undefined);
  assert.ok(cache.get("c"));
  assert.equal(cache.sizeBytes, 1000);
  // An answer larger than the whole cache is not kept.
  assert.equal(cache.put("huge", ok, 2000), 0);
  assert.equal(cache.get("huge"), undefined);
});

Deno.test("cacheKey() folds case and keeps type, class, DO and CD apart", () => {
  const flags = { dnssecOk: false, checkingDisabled: false };
  const q = { name: "Example.COM", type: "A", class: "IN" };
  assert.equal(cacheKey(q, flags), cacheKey({ ...q, name: "example.com" }, flags));
  assert.notEqual(cacheKey(q, flags), cacheKey({ ...q, type: "AAAA" }, flags));
  assert.notEqual(cacheKey(q, flags), cacheKey(q, { ...flags, dnssecOk: true }));
  assert.notEqual(cacheKey(q, flags), cacheKey(q, { ...flags, checkingDisabled: true }));
});
