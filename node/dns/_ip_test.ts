import assert from "node:assert/strict";
import {
  canonicalIp,
  dashedIp,
  ipFromDashed,
  ipFromReverseName,
  isLoopbackIp,
  reverseNameOf,
} from "./_ip.ts";

Deno.test("canonicalIp() gives the canonical form of IPv4 and IPv6 addresses", async (t) => {
  const cases: [string, string | undefined][] = [
    ["10.42.0.5", "10.42.0.5"],
    ["010.42.0.5", undefined],
    ["256.1.1.1", undefined],
    ["1.2.3", undefined],
    ["FD00:0:0:0:0:0:0:1", "fd00::1"],
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
    ["::", "::"],
    ["::1", "::1"],
    ["::ffff:10.0.0.1", "::ffff:a00:1"],
    ["1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"],
    ["1::2::3", undefined],
    ["fe80::1%eth0", undefined],
    ["example.com", undefined],
  ];
  for (const [input, want] of cases) {
    await t.step(input, () => assert.equal(canonicalIp(input)?.text, want));
  }
});

Deno.test("reverse names map to addresses and back", async (t) => {
  for (const ip of ["10.42.0.5", "fd00:43::21", "2001:db8::1:0:0:1"]) {
    await t.step(ip, () => {
      const c = canonicalIp(ip)!;
      assert.deepEqual(ipFromReverseName(reverseNameOf(c)), c);
    });
  }
  await t.step("partial or bad names are not addresses", () => {
    assert.equal(ipFromReverseName("0.42.10.in-addr.arpa"), undefined);
    assert.equal(ipFromReverseName("x.0.42.10.in-addr.arpa"), undefined);
    assert.equal(ipFromReverseName("1.0.ip6.arpa"), undefined);
    assert.equal(ipFromReverseName("example.com"), undefined);
  });
});

Deno.test("dashed labels spell addresses as CoreDNS reads them", () => {
  assert.equal(dashedIp(canonicalIp("10.42.0.5")!), "10-42-0-5");
  assert.equal(dashedIp(canonicalIp("fd00::5")!), "fd00--5");
  assert.equal(ipFromDashed("10-42-0-5")?.text, "10.42.0.5");
  assert.equal(ipFromDashed("fd00--5")?.text, "fd00::5");
  assert.equal(ipFromDashed("web-0"), undefined);
  assert.equal(isLoopbackIp(canonicalIp("127.0.0.53")!), true);
  assert.equal(isLoopbackIp(canonicalIp("::1")!), true);
  assert.equal(isLoopbackIp(canonicalIp("10.0.0.1")!), false);
});
