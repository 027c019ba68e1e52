import assert from "node:assert/strict";
import { FieldPath } from "./field_errors.ts";
import {
  cidrContains,
  cidrString,
  cidrWarnings,
  ipString,
  ipWarnings,
  isIPv4,
  isIPv6String,
  isLinkLocalMulticast,
  isLinkLocalUnicast,
  isLoopback,
  isUnspecified,
  parseCIDRSloppy,
  parseIPSloppy,
  to4,
  validateCIDR,
  validateIP,
  validateNonSpecialIP,
} from "./ip.ts";

Deno.test("parseIPSloppy() and ipString() parse and print as net.IP does", async (t) => {
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
      const ip = parseIPSloppy(text);
      assert.equal(ip === null ? null : ipString(ip), printed);
    });
  }
});

Deno.test("IP class predicates follow Go's net.IP", () => {
  assert.ok(isUnspecified(parseIPSloppy("0.0.0.0")!));
  assert.ok(isUnspecified(parseIPSloppy("::")!));
  assert.ok(isLoopback(parseIPSloppy("127.1.2.3")!));
  assert.ok(isLoopback(parseIPSloppy("::1")!));
  assert.ok(!isLoopback(parseIPSloppy("10.0.0.1")!));
  assert.ok(isLinkLocalUnicast(parseIPSloppy("169.254.1.1")!));
  assert.ok(isLinkLocalUnicast(parseIPSloppy("fe80::1")!));
  assert.ok(isLinkLocalMulticast(parseIPSloppy("224.0.0.5")!));
  assert.ok(isLinkLocalMulticast(parseIPSloppy("ff02::1")!));
  assert.ok(!isLinkLocalMulticast(parseIPSloppy("224.0.1.5")!));
});

Deno.test("parseCIDRSloppy() computes the network and rejects bad prefixes", () => {
  const c = parseCIDRSloppy("10.1.2.3/8")!;
  assert.equal(ipString(c.network), "10.0.0.0");
  assert.equal(c.bits, 32);
  assert.equal(parseCIDRSloppy("fd00::/64")?.bits, 128);
  assert.equal(parseCIDRSloppy("10.0.0.0/33"), null);
  assert.equal(parseCIDRSloppy("10.0.0.0"), null);
  assert.equal(parseCIDRSloppy("10.0.0.0/x"), null);
});

Deno.test("ipWarnings() and cidrWarnings() take a text path", () => {
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

Deno.test("parseIPSloppy() accepts what Go's legacy parser accepts", async (t) => {
  const cases: [string, string | null][] = [
    ["10.0.0.1", "10.0.0.1"],
    ["010.000.000.001", "10.0.0.1"],
    ["::", "::"],
    ["::1", "::1"],
    ["2001:DB8:0:0:0:0:0:1", "2001:db8::1"],
    ["2001:db8::1:0:0:1", "2001:db8::1:0:0:1"],
    ["fe80:0:0:1::", "fe80:0:0:1::"],
    ["::ffff:1.2.3.4", "1.2.3.4"],
    ["1.2.3", null],
    ["256.1.1.1", null],
    ["1::2::3", null],
    ["1:2:3:4:5:6:7:8:9", null],
    ["fe80::1%eth0", null],
    ["host", null],
  ];
  for (const [text, want] of cases) {
    await t.step(text, () => {
      const ip = parseIPSloppy(text);
      assert.equal(ip === null ? null : ipString(ip), want);
    });
  }
});

Deno.test("to4() recognizes IPv4 and IPv4-mapped addresses", () => {
  assert.deepEqual(Array.from(to4(parseIPSloppy("::ffff:10.1.2.3")!)!), [10, 1, 2, 3]);
  assert.equal(to4(parseIPSloppy("::1")!), null);
});

Deno.test("parseCIDRSloppy() computes the network and containment as Go does", () => {
  const c = parseCIDRSloppy("10.1.2.3/8")!;
  assert.equal(cidrString(c), "10.0.0.0/8");
  assert.equal(cidrContains(c, parseIPSloppy("10.200.0.1")!), true);
  assert.equal(cidrContains(c, parseIPSloppy("11.0.0.1")!), false);
  assert.equal(cidrString(parseCIDRSloppy("2001:db8::1/64")!), "2001:db8::/64");
  assert.equal(parseCIDRSloppy("10.0.0.0/33"), null);
  assert.equal(parseCIDRSloppy("10.0.0.0"), null);
  assert.equal(cidrString(parseCIDRSloppy("10.0.0.0/008")!), "10.0.0.0/8");
});

Deno.test("ipWarnings() and cidrWarnings() flag non-standard forms", async (t) => {
  const p = new FieldPath("x");
  await t.step("leading zeros", () => {
    assert.deepEqual(ipWarnings(p, "010.0.0.1"), [
      'x: non-standard IP address "010.0.0.1" will be considered invalid in a future Kubernetes release: use "10.0.0.1"',
    ]);
  });
  await t.step("non-canonical IPv6", () => {
    assert.deepEqual(ipWarnings(p, "2001:DB8::1"), [
      'x: IPv6 address "2001:DB8::1" should be in RFC 5952 canonical format ("2001:db8::1")',
    ]);
  });
  await t.step("standard values", () => {
    assert.deepEqual(ipWarnings(p, "10.0.0.1"), []);
    assert.deepEqual(cidrWarnings(p, "10.0.0.0/8"), []);
  });
  await t.step("a leading zero in the prefix", () => {
    assert.deepEqual(cidrWarnings(p, "10.0.0.0/08"), [
      'x: non-standard CIDR value "10.0.0.0/08" will be considered invalid in a future Kubernetes release: use "10.0.0.0/8"',
    ]);
  });
});

Deno.test("isIPv4() and isIPv6String() tell the families apart", () => {
  assert.equal(isIPv4(parseIPSloppy("10.0.0.1")!), true);
  assert.equal(isIPv4(parseIPSloppy("::ffff:10.0.0.1")!), true);
  assert.equal(isIPv4(parseIPSloppy("fd00::1")!), false);
  assert.equal(isIPv6String("fd00::1"), true);
  assert.equal(isIPv6String("10.0.0.1"), false);
  assert.equal(isIPv6String("nope"), false);
});

Deno.test("parseCIDRSloppy() reports the prefix and address lengths as Mask.Size()", () => {
  const c = parseCIDRSloppy("10.1.0.0/16")!;
  assert.equal(c.ones, 16);
  assert.equal(c.bits, 32);
  const mapped = parseCIDRSloppy("::ffff:10.1.0.0/112")!;
  assert.equal(mapped.bits, 128);
  assert.equal(cidrString(mapped), "10.1.0.0/16");
});

Deno.test("validateIP() and validateCIDR() reject only what the sloppy parsers reject", () => {
  assert.deepEqual(validateIP("010.0.0.1", "ip"), []);
  assert.deepEqual(validateIP("10.0.0", "ip").map(String), [
    'ip: Invalid value: "10.0.0": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
  ]);
  assert.deepEqual(validateCIDR("10.0.0.1/8", new FieldPath("c")), []);
  assert.deepEqual(validateCIDR("10.0.0.0", new FieldPath("c")).map(String), [
    'c: Invalid value: "10.0.0.0": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)',
  ]);
});

Deno.test("validateNonSpecialIP() refuses special-purpose addresses", async (t) => {
  const cases: [string, string[]][] = [
    ["10.1.2.3", []],
    ["x", ['ip: Invalid value: "x": must be a valid IP address']],
    ["0.0.0.0", ['ip: Invalid value: "0.0.0.0": may not be unspecified (0.0.0.0)']],
    ["::1", ['ip: Invalid value: "::1": may not be in the loopback range (127.0.0.0/8, ::1/128)']],
    [
      "169.254.1.1",
      [
        'ip: Invalid value: "169.254.1.1": may not be in the link-local range (169.254.0.0/16, fe80::/10)',
      ],
    ],
    [
      "ff02::1",
      [
        'ip: Invalid value: "ff02::1": may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)',
      ],
    ],
  ];
  for (const [value, want] of cases) {
    await t.step(
      value,
      () => assert.deepEqual(validateNonSpecialIP(value, "ip").map(String), want),
    );
  }
});

Deno.test("validateNonSpecialIP() rejects unspecified and link-local addresses", () => {
  const p = new FieldPath("spec").child("externalIPs").index(0);
  assert.deepEqual(validateNonSpecialIP("0.0.0.0", p).map(String), [
    'spec.externalIPs[0]: Invalid value: "0.0.0.0": may not be unspecified (0.0.0.0)',
  ]);
  assert.deepEqual(validateNonSpecialIP("fe80::1", p).map(String), [
    'spec.externalIPs[0]: Invalid value: "fe80::1": may not be in the link-local range (169.254.0.0/16, fe80::/10)',
  ]);
  assert.deepEqual(validateNonSpecialIP("224.0.0.1", p).map(String), [
    'spec.externalIPs[0]: Invalid value: "224.0.0.1": may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)',
  ]);
});
