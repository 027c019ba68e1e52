import assert from "node:assert/strict";
import type { EndpointSlice } from "../../control/api/types/discovery_v1.ts";
import {
  categorizeEndpoints,
  type EndpointPolicy,
  endpointsForPort,
  type ProxyEndpoint,
} from "./endpoint_selection.ts";

function ep(ip: string, init: Partial<ProxyEndpoint> = {}): ProxyEndpoint {
  return {
    ip,
    port: 8080,
    ready: true,
    serving: true,
    terminating: false,
    nodeName: "n1",
    zoneHints: [],
    ...init,
  };
}

const CLUSTER: EndpointPolicy = {
  internalLocal: false,
  externalLocal: false,
  externallyAccessible: false,
};
const NODE = { nodeName: "n1", zone: "z1" };

Deno.test("endpointsForPort() merges IPv4 slices by port name and protocol, sorted", () => {
  const slices: EndpointSlice[] = [
    {
      metadata: { name: "s-1" },
      addressType: "IPv4",
      ports: [{ name: "http", port: 8080, protocol: "TCP" }, {
        name: "dns",
        port: 53,
        protocol: "UDP",
      }],
      endpoints: [
        {
          addresses: ["10.42.0.10"],
          conditions: { ready: false, serving: true, terminating: true },
          nodeName: "n2",
        },
        { addresses: ["10.42.0.9"] },
      ],
    },
    {
      metadata: { name: "s-2" },
      addressType: "IPv4",
      ports: [{ name: "http", port: 8080, protocol: "TCP" }],
      endpoints: [
        { addresses: ["10.42.0.9"], conditions: { ready: false } },
        { addresses: ["10.42.1.2"], hints: { forZones: [{ name: "z1" }] } },
      ],
    },
    {
      metadata: { name: "s-v6" },
      addressType: "IPv6",
      ports: [{ name: "http", port: 8080, protocol: "TCP" }],
      endpoints: [{ addresses: ["fd00::1"] }],
    },
  ];
  const got = endpointsForPort(slices, { name: "http", protocol: "TCP" });
  assert.deepEqual(got, [
    ep("10.42.0.9", { nodeName: "" }),
    ep("10.42.0.10", { ready: false, serving: true, terminating: true, nodeName: "n2" }),
    ep("10.42.1.2", { nodeName: "", zoneHints: ["z1"] }),
  ]);
  assert.deepEqual(endpointsForPort(slices, { name: "dns", protocol: "UDP" }).map((e) => e.port), [
    53,
    53,
  ]);
  assert.deepEqual(endpointsForPort(slices, { name: "http", protocol: "UDP" }), []);
  assert.deepEqual(endpointsForPort(slices, { name: "", protocol: "TCP" }), []);
});

Deno.test("categorizeEndpoints() picks endpoints as kube-proxy does", async (t) => {
  const local = (p: Partial<EndpointPolicy>): EndpointPolicy => ({ ...CLUSTER, ...p });
  const cases: {
    name: string;
    endpoints: ProxyEndpoint[];
    policy: EndpointPolicy;
    cluster: string[];
    local: string[];
    hasAny: boolean;
  }[] = [
    {
      name: "only ready endpoints",
      endpoints: [ep("10.0.0.1"), ep("10.0.0.2", { ready: false, serving: false })],
      policy: CLUSTER,
      cluster: ["10.0.0.1"],
      local: [],
      hasAny: true,
    },
    {
      name: "serving terminating ones when none is ready",
      endpoints: [
        ep("10.0.0.1", { ready: false, serving: true, terminating: true }),
        ep("10.0.0.2", { ready: false, serving: false, terminating: true }),
      ],
      policy: CLUSTER,
      cluster: ["10.0.0.1"],
      local: [],
      hasAny: true,
    },
    {
      name: "ready ones win over terminating ones",
      endpoints: [ep("10.0.0.1", { ready: false, terminating: true }), ep("10.0.0.2")],
      policy: CLUSTER,
      cluster: ["10.0.0.2"],
      local: [],
      hasAny: true,
    },
    {
      name: "nothing usable",
      endpoints: [ep("10.0.0.1", { ready: false, serving: false })],
      policy: CLUSTER,
      cluster: [],
      local: [],
      hasAny: false,
    },
    {
      name: "internal Local: only this node's, no cluster list",
      endpoints: [
        ep("10.0.0.1"),
        ep("10.0.0.2", { nodeName: "n2" }),
        ep("10.0.0.3", { nodeName: "" }),
      ],
      policy: local({ internalLocal: true }),
      cluster: [],
      local: ["10.0.0.1"],
      hasAny: true,
    },
    {
      name: "internal Local without local endpoints still knows others exist",
      endpoints: [ep("10.0.0.2", { nodeName: "n2" })],
      policy: local({ internalLocal: true }),
      cluster: [],
      local: [],
      hasAny: true,
    },
    {
      name: "external Local keeps cluster endpoints for short-circuit",
      endpoints: [ep("10.0.0.1"), ep("10.0.0.2", { nodeName: "n2" })],
      policy: local({ externalLocal: true, externallyAccessible: true }),
      cluster: ["10.0.0.1", "10.0.0.2"],
      local: ["10.0.0.1"],
      hasAny: true,
    },
    {
      name: "local falls back to serving terminating separately",
      endpoints: [
        ep("10.0.0.1", { ready: false, terminating: true }),
        ep("10.0.0.2", { nodeName: "n2" }),
      ],
      policy: local({ externalLocal: true, externallyAccessible: true }),
      cluster: ["10.0.0.2"],
      local: ["10.0.0.1"],
      hasAny: true,
    },
    {
      name: "zone hints for this zone",
      endpoints: [
        ep("10.0.0.1", { zoneHints: ["z1"] }),
        ep("10.0.0.2", { zoneHints: ["z2"] }),
      ],
      policy: CLUSTER,
      cluster: ["10.0.0.1"],
      local: [],
      hasAny: true,
    },
    {
      name: "zone hints ignored when one endpoint has none",
      endpoints: [ep("10.0.0.1", { zoneHints: ["z1"] }), ep("10.0.0.2")],
      policy: CLUSTER,
      cluster: ["10.0.0.1", "10.0.0.2"],
      local: [],
      hasAny: true,
    },
    {
      name: "zone hints ignored when none names this zone",
      endpoints: [ep("10.0.0.1", { zoneHints: ["z3"] }), ep("10.0.0.2", { zoneHints: ["z2"] })],
      policy: CLUSTER,
      cluster: ["10.0.0.1", "10.0.0.2"],
      local: [],
      hasAny: true,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const got = categorizeEndpoints(c.endpoints, { policy: c.policy, node: NODE });
      assert.deepEqual(got.cluster.map((e) => e.ip), c.cluster);
      assert.deepEqual(got.local.map((e) => e.ip), c.local);
      assert.equal(got.hasAny, c.hasAny);
    });
  }
});
