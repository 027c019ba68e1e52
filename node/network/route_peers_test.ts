import assert from "node:assert/strict";
import type { Node } from "../../control/api/types/core_v1_node.ts";
import { internalIpv4Of, ROUTE_ANNOTATIONS, routePeerOf } from "./route_peers.ts";

function node(o: {
  podCidr?: string;
  addresses?: { type: string; address: string }[];
  annotations?: Record<string, string>;
}): Node {
  return {
    metadata: { name: "edge-2", ...(o.annotations ? { annotations: o.annotations } : {}) },
    spec: o.podCidr ? { podCIDR: o.podCidr } : {},
    status: { addresses: o.addresses ?? [] },
  };
}

const INTERNAL = [
  { type: "Hostname", address: "edge-2" },
  { type: "InternalIP", address: "fd00::2" },
  { type: "InternalIP", address: "192.168.1.12" },
];

Deno.test("routePeerOf() reads a peer from its Node", async (t) => {
  await t.step("the published address and MAC win over the InternalIP", () => {
    assert.deepEqual(
      routePeerOf(node({
        podCidr: "10.42.2.0/24",
        addresses: INTERNAL,
        annotations: {
          [ROUTE_ANNOTATIONS.backend]: "vxlan",
          [ROUTE_ANNOTATIONS.publicIp]: "203.0.113.7",
          [ROUTE_ANNOTATIONS.vtepMac]: "0A:58:0A:2A:02:00",
        },
      })),
      {
        nodeName: "edge-2",
        podCidr: "10.42.2.0/24",
        vtepAddress: "10.42.2.0",
        publicIp: "203.0.113.7",
        backend: "vxlan",
        vtepMac: "0a:58:0a:2a:02:00",
      },
    );
  });
  await t.step("without annotations: the first IPv4 InternalIP, no MAC", () => {
    assert.deepEqual(routePeerOf(node({ podCidr: "10.42.2.0/24", addresses: INTERNAL })), {
      nodeName: "edge-2",
      podCidr: "10.42.2.0/24",
      vtepAddress: "10.42.2.0",
      publicIp: "192.168.1.12",
    });
  });
  await t.step("an invalid published address or MAC counts as none", () => {
    const peer = routePeerOf(node({
      podCidr: "10.42.2.0/24",
      addresses: INTERNAL,
      annotations: {
        [ROUTE_ANNOTATIONS.publicIp]: "not-an-ip",
        [ROUTE_ANNOTATIONS.vtepMac]: "0a:58",
      },
    }));
    assert.equal(peer?.publicIp, "192.168.1.12");
    assert.equal(peer?.vtepMac, undefined);
  });
  await t.step("no pod CIDR, an IPv6 one, or no IPv4 address: no peer", () => {
    assert.equal(routePeerOf(node({ addresses: INTERNAL })), undefined);
    assert.equal(routePeerOf(node({ podCidr: "fd42::/64", addresses: INTERNAL })), undefined);
    assert.equal(
      routePeerOf(node({
        podCidr: "10.42.2.0/24",
        addresses: [{ type: "InternalIP", address: "fd00::2" }],
      })),
      undefined,
    );
  });
});

Deno.test("internalIpv4Of() skips other address types and IPv6", () => {
  assert.equal(internalIpv4Of(node({ addresses: INTERNAL })), "192.168.1.12");
  assert.equal(internalIpv4Of(node({})), undefined);
});
