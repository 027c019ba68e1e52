import assert from "node:assert/strict";
import type { Endpoints } from "../types/core_v1_service.ts";
import { endpointsStrategy } from "./endpoints.ts";

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
