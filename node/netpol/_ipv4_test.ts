import assert from "node:assert/strict";
import {
  formatIpv4,
  formatIpv4Cidr,
  ipv4BlockContains,
  ipv4InBlock,
  parseIpv4,
  parseIpv4Cidr,
} from "./_ipv4.ts";

Deno.test("parseIpv4() accepts only dotted quads", async (t) => {
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

Deno.test("ipv4BlockContains() and ipv4InBlock() test containment", () => {
  const outer = parseIpv4Cidr("10.0.0.0/8")!;
  assert.ok(ipv4BlockContains(outer, parseIpv4Cidr("10.20.0.0/16")!));
  assert.ok(ipv4BlockContains(outer, outer));
  assert.ok(!ipv4BlockContains(parseIpv4Cidr("10.20.0.0/16")!, outer));
  assert.ok(!ipv4BlockContains(outer, parseIpv4Cidr("11.0.0.0/16")!));
  assert.ok(ipv4InBlock(outer, parseIpv4("10.255.0.1")!));
  assert.ok(!ipv4InBlock(outer, parseIpv4("9.255.0.1")!));
  assert.ok(ipv4InBlock(parseIpv4Cidr("0.0.0.0/0")!, parseIpv4("9.255.0.1")!));
  assert.equal(formatIpv4(0xc0a80101), "192.168.1.1");
});
