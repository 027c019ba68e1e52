import assert from "node:assert/strict";
import { canonicalIpAddress, formatIpAddress, parseIpAddress } from "./_ip_address.ts";

Deno.test("parseIpAddress() reads IPv4 and IPv6 into certificate bytes", async (t) => {
  const cases: { text: string; bytes: number[] | null }[] = [
    { text: "127.0.0.1", bytes: [127, 0, 0, 1] },
    { text: "10.43.0.1", bytes: [10, 43, 0, 1] },
    { text: "::1", bytes: [...Array(15).fill(0), 1] },
    { text: "::", bytes: Array(16).fill(0) },
    { text: "fd00:1::2", bytes: [0xfd, 0, 0, 1, ...Array(10).fill(0), 0, 2] },
    {
      text: "2001:db8:0:0:1:0:0:1",
      bytes: [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1],
    },
    { text: "::ffff:192.168.1.9", bytes: [192, 168, 1, 9] },
    { text: "64:ff9b::10.0.0.1", bytes: [0, 0x64, 0xff, 0x9b, ...Array(8).fill(0), 10, 0, 0, 1] },
    { text: "256.0.0.1", bytes: null },
    { text: "01.2.3.4", bytes: null },
    { text: "1.2.3", bytes: null },
    { text: "1::2::3", bytes: null },
    { text: "1:2:3:4:5:6:7", bytes: null },
    { text: "1:2:3:4:5:6:7:8:9", bytes: null },
    { text: "1:2:3:4::5:6:7:8", bytes: null },
    { text: "fe80::1%eth0", bytes: null },
    { text: "12345::", bytes: null },
    { text: "edge-1", bytes: null },
    { text: "", bytes: null },
  ];
  for (const c of cases) {
    await t.step(c.text || "(empty)", () => {
      const got = parseIpAddress(c.text);
      assert.deepEqual(got === null ? null : [...got], c.bytes);
    });
  }
});

Deno.test("formatIpAddress() writes the canonical RFC 5952 text", async (t) => {
  const cases: { text: string; canonical: string }[] = [
    { text: "192.168.1.1", canonical: "192.168.1.1" },
    { text: "0:0:0:0:0:0:0:1", canonical: "::1" },
    { text: "2001:DB8:0:0:1:0:0:1", canonical: "2001:db8::1:0:0:1" },
    { text: "2001:db8:0:1:1:1:1:1", canonical: "2001:db8:0:1:1:1:1:1" },
    { text: "fd00:0:0:0:0:0:0:0", canonical: "fd00::" },
    { text: "::ffff:10.0.0.1", canonical: "10.0.0.1" },
  ];
  for (const c of cases) {
    await t.step(c.text, () => {
      assert.equal(canonicalIpAddress(c.text), c.canonical);
      assert.equal(formatIpAddress(parseIpAddress(c.text)!), c.canonical);
    });
  }
  assert.throws(() => formatIpAddress(new Uint8Array(5)), RangeError);
});
