import assert from "node:assert/strict";
import { cidrNetworkAddress, isIpv4 } from "./_ipv4.ts";

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
