import assert from "node:assert/strict";
import { podMtu, VXLAN_OVERHEAD } from "./pod_mtu.ts";

Deno.test("podMtu() leaves room for VXLAN's headers and nothing for direct routes", async (t) => {
  const cases = [
    { backend: "vxlan", link: 1500, want: 1450 },
    { backend: "vxlan", link: 9000, want: 9000 - VXLAN_OVERHEAD },
    { backend: "host-gw", link: 1500, want: 1500 },
    { backend: "none", link: 1400, want: 1400 },
  ] as const;
  for (const c of cases) {
    await t.step(`${c.backend} on ${c.link}`, () => {
      assert.equal(podMtu(c.backend, c.link), c.want);
    });
  }
});

Deno.test("podMtu() rejects a link MTU that cannot carry IPv4", () => {
  assert.throws(() => podMtu("host-gw", 0), {
    name: "RangeError",
    message: "Invalid link MTU 0: expected an integer of at least 68",
  });
  assert.throws(() => podMtu("vxlan", 100), {
    name: "RangeError",
    message: "Cannot use vxlan on a link of MTU 100: pods would get 50",
  });
});
