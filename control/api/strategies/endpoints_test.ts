import assert from "node:assert/strict";
import type { Endpoints } from "../types/core_v1_service.ts";
import { endpointsStrategy, validateNonSpecialIP } from "./endpoints.ts";
import { FieldPath } from "../validation/field_errors.ts";

function ep(subsets: NonNullable<Endpoints["subsets"]>): Endpoints {
  return { metadata: { name: "web", namespace: "default" }, subsets };
}

Deno.test("endpointsStrategy.validate() accepts a plain subset", () => {
  const errs = endpointsStrategy.validate!(ep([{
    addresses: [{ ip: "10.42.0.5", hostname: "web-0", nodeName: "node-1" }],
    ports: [{ port: 80, protocol: "TCP" }],
  }]));
  assert.deepEqual(errs, []);
});

Deno.test("endpointsStrategy.validate() reports upstream's messages", async (t) => {
  const cases: [string, NonNullable<Endpoints["subsets"]>, string[]][] = [
    ["no addresses", [{ ports: [{ port: 80 }] }], [
      "subsets[0]: Required value: must specify `addresses` or `notReadyAddresses`",
    ]],
    ["loopback", [{ addresses: [{ ip: "127.0.0.1" }] }], [
      'subsets[0].addresses[0].ip: Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)',
    ]],
    ["not an IP", [{ notReadyAddresses: [{ ip: "web" }] }], [
      'subsets[0].notReadyAddresses[0].ip: Invalid value: "web": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
      'subsets[0].notReadyAddresses[0].ip: Invalid value: "web": must be a valid IP address',
    ]],
    ["unnamed ports", [{
      addresses: [{ ip: "10.0.0.1" }],
      ports: [{ port: 80, protocol: "TCP" }, { name: "b", port: 0, protocol: "TCP" }],
    }], [
      "subsets[0].ports[0].name: Required value",
      "subsets[0].ports[1].port: Invalid value: 0: must be between 1 and 65535, inclusive",
    ]],
  ];
  for (const [name, subsets, want] of cases) {
    await t.step(
      name,
      () => assert.deepEqual(endpointsStrategy.validate!(ep(subsets)).map(String), want),
    );
  }
});

Deno.test("validateNonSpecialIP() rejects unspecified and link-local addresses", () => {
  const p = new FieldPath("spec").child("externalIPs").index(0);
  assert.deepEqual(validateNonSpecialIP("0.0.0.0", p).map(String), [
    'spec.externalIPs[0]: Invalid value: "0.0.0.0": may not be unspecified (0.0.0.0)',
  ]);
  assert.deepEqual(validateNonSpecialIP("fe80::1", p).map(String), [
    'spec.externalIPs[0]: Invalid value: "fe80::1": may not be in the link-local range (169.254.0.0/16, fe80::/10)',
  ]);
  assert.deepEqual(validateNonSpecialIP("224.0.0.1", p).map(String), [
    'spec.externalIPs[0]: Invalid value: "224.0.0.1": may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)',
  ]);
});
