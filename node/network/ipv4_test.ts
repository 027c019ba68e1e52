import assert from "node:assert/strict";
import {
  cidrContains,
  cidrContainsCidr,
  cidrNetworkAddress,
  formatIpv4,
  formatIpv4Cidr,
  isIpv4,
  parseIpv4,
  parseIpv4Cidr,
} from "./ipv4.ts";

Deno.test("parseIpv4() accepts only dotted quads (no leading zeros, no spaces)", async (t) => {
  const cases: [string, number | undefined][] = [
    ["10.1.2.3", 0x0a010203],
    ["0.0.0.0", 0],
    ["255.255.255.255", 0xffffffff],
    ["256.0.0.1", undefined],
    ["10.1.2", undefined],
    ["01.1.2.3", undefined],
    ["10.1.2.3 ", undefined],
    ["fd00::1", undefined],
  ];
  for (const [text, want] of cases) {
    await t.step(text, () => assert.equal(parseIpv4(text), want));
  }
});

Deno.test("parseIpv4Cidr() clears host bits and rejects what is not a CIDR", async (t) => {
  const cases: [string, string | undefined][] = [
    ["10.1.2.3/8", "10.0.0.0/8"],
    ["192.168.1.0/24", "192.168.1.0/24"],
    ["10.1.2.3/32", "10.1.2.3/32"],
    ["1.2.3.4/0", "0.0.0.0/0"],
    ["10.0.0.0/33", undefined],
    ["10.0.0.0", undefined],
    ["10.0.0.0/08", undefined],
    ["2001:db8::/64", undefined],
  ];
  for (const [text, want] of cases) {
    await t.step(text, () => {
      const block = parseIpv4Cidr(text);
      assert.equal(block && formatIpv4Cidr(block), want);
    });
  }
});

Deno.test("cidrContainsCidr() and cidrContains() test containment of blocks and addresses", () => {
  const outer = parseIpv4Cidr("10.0.0.0/8")!;
  assert.ok(cidrContainsCidr(outer, parseIpv4Cidr("10.20.0.0/16")!));
  assert.ok(cidrContainsCidr(outer, outer));
  assert.ok(!cidrContainsCidr(parseIpv4Cidr("10.20.0.0/16")!, outer));
  assert.ok(!cidrContainsCidr(outer, parseIpv4Cidr("11.0.0.0/16")!));
  assert.ok(cidrContains(outer, parseIpv4("10.255.0.1")!));
  assert.ok(!cidrContains(outer, parseIpv4("9.255.0.1")!));
  assert.ok(cidrContains(parseIpv4Cidr("0.0.0.0/0")!, parseIpv4("9.255.0.1")!));
  assert.equal(formatIpv4(0xc0a80101), "192.168.1.1");
});

Deno.test("parseIpv4() reads dotted quads and refuses anything else", async (t) => {
  const cases: [string, number | undefined][] = [
    ["10.42.0.5", 0x0a2a0005],
    ["0.0.0.0", 0],
    ["255.255.255.255", 0xffffffff],
    ["10.42.0", undefined],
    ["10.42.0.256", undefined],
    ["10.042.0.1", undefined],
    ["fd00::1", undefined],
    ["", undefined],
  ];
  for (const [text, want] of cases) {
    await t.step(text || "(empty)", () => {
      assert.equal(parseIpv4(text), want);
      assert.equal(isIpv4(text), want !== undefined);
    });
  }
});

Deno.test("parseIpv4Cidr() clears host bits and formats back; cidrContains() reads the block", () => {
  const cidr = parseIpv4Cidr("10.42.7.9/16");
  assert.ok(cidr);
  assert.equal(formatIpv4Cidr(cidr), "10.42.0.0/16");
  assert.equal(formatIpv4(cidr.network), "10.42.0.0");
  assert.ok(cidrContains(cidr, parseIpv4("10.42.255.1")!));
  assert.ok(!cidrContains(cidr, parseIpv4("10.43.0.1")!));
  assert.equal(parseIpv4Cidr("10.42.0.0/33"), undefined);
  assert.equal(parseIpv4Cidr("10.42.0.0"), undefined);
  assert.equal(formatIpv4Cidr(parseIpv4Cidr("0.0.0.0/0")!), "0.0.0.0/0");
});

Deno.test("cidrNetworkAddress() masks the host bits of valid IPv4 blocks only", async (t) => {
  const cases: [string, string | undefined][] = [
    ["10.42.2.0/24", "10.42.2.0"],
    ["10.42.2.77/24", "10.42.2.0"],
    ["10.42.255.1/17", "10.42.128.0"],
    ["192.168.1.5/32", "192.168.1.5"],
    ["1.2.3.4/0", "0.0.0.0"],
    ["10.42.2.0", undefined],
    ["10.42.2.0/33", undefined],
    ["10.42.256.0/24", undefined],
    ["fd42::/64", undefined],
  ];
  for (const [cidr, want] of cases) {
    await t.step(cidr, () => assert.equal(cidrNetworkAddress(cidr), want));
  }
});

Deno.test("isIpv4() accepts dotted quads only", () => {
  assert.equal(isIpv4("192.168.1.12"), true);
  for (const bad of ["192.168.1", "192.168.1.256", "01.2.3.4", "fd00::1", ""]) {
    assert.equal(isIpv4(bad), false, bad);
  }
});
