import assert from "node:assert/strict";
import {
  addrString,
  isGlobalUnicast,
  isLinkLocalMulticast,
  isLinkLocalUnicast,
  isLoopback,
  isUnspecified,
  parseAddr,
  parsePrefix,
  prefixContains,
  prefixContainsPrefix,
  prefixString,
} from "./_netip.ts";

Deno.test("parseAddr() parses as netip and prints the canonical form", async (t) => {
  const cases: [string, string][] = [
    ["127.0.0.1", "127.0.0.1"],
    ["::1", "::1"],
    ["2001:DB8::ABCD", "2001:db8::abcd"],
    ["2001:db8::0:0:0:abcd", "2001:db8::abcd"],
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
    ["0:0:0:0:0:0:0:0", "::"],
    ["::ffff:1.2.3.4", "::ffff:1.2.3.4"],
    ["::1.2.3.4", "::102:304"],
    ["fe80::1%eth0", "fe80::1%eth0"],
  ];
  for (const [input, want] of cases) {
    await t.step(input, () => assert.equal(addrString(parseAddr(input)), want));
  }
});

Deno.test("parseAddr() refuses what netip refuses, with its texts", async (t) => {
  const cases: [string, string][] = [
    ["", 'ParseAddr(""): unable to parse IP'],
    ["127.0.0.256", 'ParseAddr("127.0.0.256"): IPv4 field has value >255'],
    ["127.0.0.01", 'ParseAddr("127.0.0.01"): IPv4 field has octet with leading zero'],
    ["1.2.3", 'ParseAddr("1.2.3"): IPv4 address too short'],
    ["1.2.3.4.5", 'ParseAddr("1.2.3.4.5"): IPv4 address too long'],
    [
      ":::1",
      'ParseAddr(":::1"): each colon-separated field must have at least one digit (at "")',
    ],
    ["1::2::3", 'ParseAddr("1::2::3"): multiple :: in address (at "1::2::3")'],
    ["12345::", 'ParseAddr("12345::"): IPv6 field has value >=2^16 (at "12345")'],
    ["1:2:3", 'ParseAddr("1:2:3"): address string too short'],
    ["hello", 'ParseAddr("hello"): unable to parse IP'],
  ];
  for (const [input, want] of cases) {
    await t.step(
      input || "(empty)",
      () => assert.throws(() => parseAddr(input), { message: want }),
    );
  }
});

Deno.test("address classes follow netip", async (t) => {
  const cases: [string, (a: ReturnType<typeof parseAddr>) => boolean, boolean][] = [
    ["0.0.0.0", isUnspecified, true],
    ["::", isUnspecified, true],
    ["127.0.0.1", isLoopback, true],
    ["::1", isLoopback, true],
    ["192.168.0.1", isLoopback, false],
    ["224.0.0.1", isLinkLocalMulticast, true],
    ["224.0.1.1", isLinkLocalMulticast, false],
    ["ff02::1", isLinkLocalMulticast, true],
    ["169.254.169.254", isLinkLocalUnicast, true],
    ["fe80::1", isLinkLocalUnicast, true],
    ["fd80::1", isLinkLocalUnicast, false],
    ["192.168.0.1", isGlobalUnicast, true],
    ["255.255.255.255", isGlobalUnicast, false],
    ["2001:db8::abcd", isGlobalUnicast, true],
    ["ff00::1", isGlobalUnicast, false],
  ];
  for (const [input, fn, want] of cases) {
    await t.step(`${fn.name}(${input})`, () => assert.equal(fn(parseAddr(input)), want));
  }
});

Deno.test("parsePrefix() parses, prints and contains as netip", () => {
  const p = parsePrefix("192.168.0.1/16");
  assert.equal(prefixString(p), "192.168.0.1/16");
  assert.equal(prefixContains(p, parseAddr("192.168.255.1")), true);
  assert.equal(prefixContains(p, parseAddr("192.169.0.1")), false);
  assert.equal(prefixContains(p, parseAddr("::1")), false);
  assert.equal(prefixContainsPrefix(p, parsePrefix("192.168.10.0/24")), true);
  assert.equal(
    prefixContainsPrefix(parsePrefix("192.168.1.0/24"), parsePrefix("192.168.2.0/24")),
    false,
  );
  assert.equal(
    prefixContainsPrefix(parsePrefix("192.168.1.0/24"), parsePrefix("192.168.0.0/16")),
    false,
  );
  assert.throws(() => parsePrefix("1.2.3.4"), { message: `netip.ParsePrefix("1.2.3.4"): no '/'` });
  assert.throws(() => parsePrefix("1.2.3.4/33"), {
    message: `netip.ParsePrefix("1.2.3.4/33"): prefix length out of range`,
  });
  assert.throws(() => parsePrefix("1.2.3.4/08"), {
    message: `netip.ParsePrefix("1.2.3.4/08"): bad bits after slash: "08"`,
  });
});
