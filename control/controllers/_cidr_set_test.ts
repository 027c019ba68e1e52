import assert from "node:assert/strict";
import { CidrSet, formatIpv4Block, parseIpv4Block } from "./_cidr_set.ts";

function set(cluster: string, mask = 24): CidrSet {
  return new CidrSet(parseIpv4Block(cluster)!, mask);
}

Deno.test("parseIpv4Block() and formatIpv4Block() round-trip IPv4 CIDRs with no host bits", () => {
  assert.equal(formatIpv4Block(parseIpv4Block("10.42.0.0/16")!), "10.42.0.0/16");
  assert.equal(formatIpv4Block(parseIpv4Block("255.255.255.252/30")!), "255.255.255.252/30");
  for (
    const bad of [
      "10.42.0.1/16",
      "10.42.0.0",
      "10.42.0.0/33",
      "fd00::/64",
      "1.2.3.256/32",
      "01.2.3.0/24",
    ]
  ) {
    assert.equal(parseIpv4Block(bad), null, bad);
  }
});

Deno.test("CidrSet.allocateNext() goes round the subnets from the first", () => {
  const s = set("10.42.0.0/22");
  assert.equal(s.size, 4);
  assert.equal(s.allocateNext(), "10.42.0.0/24");
  assert.equal(s.allocateNext(), "10.42.1.0/24");
  s.release("10.42.0.0/24");
  assert.equal(s.allocateNext(), "10.42.2.0/24");
  assert.equal(s.allocateNext(), "10.42.3.0/24");
  assert.equal(s.allocateNext(), "10.42.0.0/24");
  assert.equal(s.allocateNext(), null);
  assert.equal(s.used, 4);
});

Deno.test("CidrSet.occupy() marks given subnets, larger blocks too, and rejects others", () => {
  const s = set("10.42.0.0/16");
  s.occupy("10.42.0.0/24");
  s.occupy("10.42.2.0/23");
  assert.equal(s.used, 3);
  assert.ok(s.isUsed("10.42.3.0/24"));
  assert.equal(s.allocateNext(), "10.42.1.0/24");
  assert.equal(s.allocateNext(), "10.42.4.0/24");
  assert.throws(
    () => s.occupy("10.43.0.0/24"),
    /^RangeError: CIDR "10.43.0.0\/24" is out of the range of cluster CIDR "10.42.0.0\/16"$/,
  );
  assert.throws(() => s.occupy("10.0.0.0/8"), /out of the range/);
  assert.throws(() => s.occupy("nope"), /Invalid CIDR "nope"/);
});

Deno.test("CidrSet.occupyOverlap() takes the subnets a Service range overlaps", () => {
  const s = set("10.0.0.0/16");
  s.occupyOverlap(parseIpv4Block("10.0.5.128/25")!);
  s.occupyOverlap(parseIpv4Block("10.1.0.0/16")!);
  assert.equal(s.used, 1);
  assert.ok(s.isUsed("10.0.5.0/24"));
  const all = set("10.0.0.0/22");
  all.occupyOverlap(parseIpv4Block("10.0.0.0/8")!);
  assert.equal(all.used, 4);
});

Deno.test("CidrSet rejects mask sizes as upstream does", () => {
  assert.throws(() => set("10.42.0.0/16", 15), /Invalid node CIDR mask size 15/);
  assert.throws(() => set("10.42.0.0/16", 31), /Invalid node CIDR mask size 31/);
  assert.throws(() => set("10.0.0.0/8", 25), /no larger than 16/);
  assert.equal(set("10.0.0.0/8", 24).size, 65536);
});
