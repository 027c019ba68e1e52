import assert from "node:assert/strict";
import {
  CAP_SYS_RESOURCE,
  hasCapability,
  parseEffectiveCapabilities,
  processHasCapability,
} from "./capabilities.ts";

const STATUS =
  "Name:\tdeno\nCapInh:\t0000000000000000\nCapEff:\t000001fffeffffff\nCapBnd:\t000001ffffffffff\n";

Deno.test("parseEffectiveCapabilities() reads the CapEff mask", () => {
  assert.equal(parseEffectiveCapabilities(STATUS), 0x1fffeffffffn);
  assert.throws(() => parseEffectiveCapabilities("Name:\tdeno\n"), {
    name: "SyntaxError",
    message: 'Cannot parse process status: no "CapEff" line with a hex mask',
  });
});

Deno.test("hasCapability() tests one bit of the mask", async (t) => {
  const cases = [
    { name: "CAP_SYS_RESOURCE missing", mask: 0x1fffeffffffn, cap: CAP_SYS_RESOURCE, want: false },
    { name: "CAP_SYS_RESOURCE held", mask: 0x1ffffffffffn, cap: CAP_SYS_RESOURCE, want: true },
    { name: "bit 0", mask: 1n, cap: 0, want: true },
    { name: "bit 40 of an empty mask", mask: 0n, cap: 40, want: false },
  ];
  for (const c of cases) {
    await t.step(c.name, () => assert.equal(hasCapability(c.mask, c.cap), c.want));
  }
  await t.step("out-of-range capability", () => {
    assert.throws(() => hasCapability(1n, 64), {
      name: "RangeError",
      message: 'Cannot check capability "64": expected an integer from 0 to 63',
    });
  });
});

Deno.test("processHasCapability() agrees with /proc/self/status", async () => {
  const mask = parseEffectiveCapabilities(await Deno.readTextFile("/proc/self/status"));
  assert.equal(await processHasCapability(CAP_SYS_RESOURCE), hasCapability(mask, CAP_SYS_RESOURCE));
});
