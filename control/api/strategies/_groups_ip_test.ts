import assert from "node:assert/strict";
import { FieldPath } from "../validation/field_errors.ts";
import {
  cidrContains,
  cidrString,
  cidrWarnings,
  ipString,
  ipWarnings,
  parseCIDRSloppy,
  parseIPSloppy,
  to4,
} from "./_groups_ip.ts";

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
