import assert from "node:assert/strict";
import type { NodeAddress } from "../../control/api/types/core_v1_node.ts";
import type { HostInterfaceAddress } from "./machine_info.ts";
import { nodeAddresses, type NodeAddressOptions } from "./node_addresses.ts";

const INTERFACES: HostInterfaceAddress[] = [
  { name: "lo", family: "IPv4", address: "127.0.0.1" },
  { name: "lo", family: "IPv6", address: "::1" },
  { name: "wlan0", family: "IPv4", address: "169.254.3.3" },
  { name: "wlan0", family: "IPv6", address: "fd00::7" },
  { name: "eth0", family: "IPv6", address: "fe80::1" },
  { name: "eth0", family: "IPv4", address: "192.168.1.20" },
];

function ips(addresses: NodeAddress[]): string[] {
  return addresses.map((a) => `${a.type}=${a.address}`);
}

Deno.test("nodeAddresses() picks the InternalIP as the kubelet does", async (t) => {
  const base: NodeAddressOptions = {
    nodeName: "edge-1",
    hostname: "edge-1",
    interfaces: INTERFACES,
  };
  const cases: [string, Partial<NodeAddressOptions>, string[]][] = [
    ["the node IP given", { nodeIPs: ["10.0.0.1"] }, ["InternalIP=10.0.0.1", "Hostname=edge-1"]],
    ["dual-stack node IPs", { nodeIPs: ["10.0.0.1", "fd00::1"] }, [
      "InternalIP=10.0.0.1",
      "InternalIP=fd00::1",
      "Hostname=edge-1",
    ]],
    ["a host name that is an IP", { hostname: "10.1.2.3" }, [
      "InternalIP=10.1.2.3",
      "Hostname=10.1.2.3",
    ]],
    ["the default route's interface", { defaultRouteInterface: "eth0" }, [
      "InternalIP=192.168.1.20",
      "Hostname=edge-1",
    ]],
    ["an IPv6-only default route interface", { defaultRouteInterface: "wlan0" }, [
      "InternalIP=fd00::7",
      "Hostname=edge-1",
    ]],
    ["no default route: the first global IPv4", {}, ["InternalIP=192.168.1.20", "Hostname=edge-1"]],
    ["only IPv6", { interfaces: INTERFACES.filter((i) => i.family === "IPv6") }, [
      "InternalIP=fd00::7",
      "Hostname=edge-1",
    ]],
  ];
  for (const [name, over, want] of cases) {
    await t.step(name, () => assert.deepEqual(ips(nodeAddresses({ ...base, ...over })), want));
  }
});

Deno.test("nodeAddresses() refuses bad node IPs and a machine without addresses", async (t) => {
  const base: NodeAddressOptions = {
    nodeName: "edge-1",
    hostname: "edge-1",
    interfaces: INTERFACES,
  };
  const cases: [string, Partial<NodeAddressOptions>, string][] = [
    [
      "not an IP",
      { nodeIPs: ["edge"] },
      'Cannot use node IP "edge" of node "edge-1": not an IP address',
    ],
    [
      "two of a family",
      { nodeIPs: ["10.0.0.1", "10.0.0.2"] },
      'Cannot use node IPs "10.0.0.1,10.0.0.2" of node "edge-1": expected one IP or one of each family',
    ],
    [
      "only loopback",
      { interfaces: INTERFACES.slice(0, 2) },
      'Cannot find an IP address of node "edge-1": no usable interface',
    ],
  ];
  for (const [name, over, message] of cases) {
    await t.step(name, () => assert.throws(() => nodeAddresses({ ...base, ...over }), { message }));
  }
});
