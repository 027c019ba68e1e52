import assert from "node:assert/strict";
import {
  cidrContains,
  formatIpv4,
  formatIpv4Cidr,
  isIpv4,
  parseIpv4,
  parseIpv4Cidr,
} from "./_ipv4.ts";

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

Deno.test("parseIpv4Cidr() clears host bits and formats back", () => {
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
