import assert from "node:assert/strict";
import {
  cidrWarnings,
  formatIP,
  ipWarnings,
  isLinkLocalMulticast,
  isLinkLocalUnicast,
  isLoopback,
  isUnspecified,
  parseCIDR,
  parseIP,
} from "./_net.ts";

Deno.test("parseIP() accepts what ParseIPSloppy accepts and prints like net.IP", async (t) => {
  const cases: [string, string | null][] = [
    ["10.0.0.1", "10.0.0.1"],
    ["010.000.000.001", "10.0.0.1"],
    ["::1", "::1"],
    ["2001:DB8:0:0:0:0:0:1", "2001:db8::1"],
    ["::ffff:1.2.3.4", "1.2.3.4"],
    ["fe80::1:0:0:1", "fe80::1:0:0:1"],
    ["1:0:0:2:0:0:0:3", "1:0:0:2::3"],
    ["256.0.0.1", null],
    ["1.2.3", null],
    ["1::2::3", null],
    ["fe80::1%eth0", null],
    ["", null],
    ["abc", null],
  ];
  for (const [text, printed] of cases) {
    await t.step(text || "(empty)", () => {
      const ip = parseIP(text);
      assert.equal(ip === null ? null : formatIP(ip), printed);
    });
  }
});

Deno.test("IP class predicates follow Go's net.IP", () => {
  assert.ok(isUnspecified(parseIP("0.0.0.0")!));
  assert.ok(isUnspecified(parseIP("::")!));
  assert.ok(isLoopback(parseIP("127.1.2.3")!));
  assert.ok(isLoopback(parseIP("::1")!));
  assert.ok(!isLoopback(parseIP("10.0.0.1")!));
  assert.ok(isLinkLocalUnicast(parseIP("169.254.1.1")!));
  assert.ok(isLinkLocalUnicast(parseIP("fe80::1")!));
  assert.ok(isLinkLocalMulticast(parseIP("224.0.0.5")!));
  assert.ok(isLinkLocalMulticast(parseIP("ff02::1")!));
  assert.ok(!isLinkLocalMulticast(parseIP("224.0.1.5")!));
});

Deno.test("parseCIDR() computes the network and rejects bad prefixes", () => {
  const c = parseCIDR("10.1.2.3/8")!;
  assert.equal(formatIP(c.network), "10.0.0.0");
  assert.equal(c.bits, 32);
  assert.equal(parseCIDR("fd00::/64")?.bits, 128);
  assert.equal(parseCIDR("10.0.0.0/33"), null);
  assert.equal(parseCIDR("10.0.0.0"), null);
  assert.equal(parseCIDR("10.0.0.0/x"), null);
});

Deno.test("ipWarnings() and cidrWarnings() flag non-standard forms", () => {
  assert.deepEqual(ipWarnings("spec.clusterIPs[0]", "10.0.0.1"), []);
  assert.deepEqual(ipWarnings("spec.clusterIPs[0]", "010.0.0.1"), [
    'spec.clusterIPs[0]: non-standard IP address "010.0.0.1" will be considered invalid in a future Kubernetes release: use "10.0.0.1"',
  ]);
  assert.deepEqual(ipWarnings("x", "2001:DB8::1"), [
    'x: IPv6 address "2001:DB8::1" should be in RFC 5952 canonical format ("2001:db8::1")',
  ]);
  assert.deepEqual(cidrWarnings("x", "10.0.0.1/8"), [
    'x: CIDR value "10.0.0.1/8" is ambiguous in this context (should be "10.0.0.0/8" or "10.0.0.1/32"?)',
  ]);
  assert.deepEqual(cidrWarnings("x", "10.0.0.0/8"), []);
});
