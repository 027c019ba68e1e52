import assert from "node:assert/strict";
import {
  addElementsScript,
  deleteElementsScript,
  hostPortElements,
  nftBaseScript,
  parseHostPortElements,
} from "./_nft_rules.ts";
import { parseIpv4Cidr } from "./_ipv4.ts";

Deno.test("nftBaseScript() declares the table and refills its chains", () => {
  const script = nftBaseScript({
    table: "skiff-cni",
    subnet: parseIpv4Cidr("10.42.3.0/24")!,
    clusterCidr: parseIpv4Cidr("10.42.0.0/16")!,
    ipMasq: true,
  });
  assert.equal(
    script,
    `add table ip skiff-cni
add map ip skiff-cni hostports { type inet_proto . inet_service : ipv4_addr . inet_service; }
add map ip skiff-cni hostip_ports { type ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service; }
add chain ip skiff-cni prerouting { type nat hook prerouting priority -100; policy accept; }
add chain ip skiff-cni output { type nat hook output priority -100; policy accept; }
add chain ip skiff-cni postrouting { type nat hook postrouting priority 100; policy accept; }
flush chain ip skiff-cni prerouting
flush chain ip skiff-cni output
flush chain ip skiff-cni postrouting
add rule ip skiff-cni prerouting fib daddr type local ip daddr . meta l4proto . th dport @hostip_ports ct mark set ct mark | 0x00010000 dnat ip addr . port to ip daddr . meta l4proto . th dport map @hostip_ports
add rule ip skiff-cni prerouting fib daddr type local meta l4proto . th dport @hostports ct mark set ct mark | 0x00010000 dnat ip addr . port to meta l4proto . th dport map @hostports
add rule ip skiff-cni output ip daddr != 127.0.0.0/8 fib daddr type local dnat ip addr . port to ip daddr . meta l4proto . th dport map @hostip_ports
add rule ip skiff-cni output ip daddr != 127.0.0.0/8 fib daddr type local dnat ip addr . port to meta l4proto . th dport map @hostports
add rule ip skiff-cni postrouting ct mark & 0x00010000 == 0x00010000 ip saddr 10.42.3.0/24 masquerade
add rule ip skiff-cni postrouting ip saddr 10.42.3.0/24 ip daddr != 10.42.0.0/16 ip daddr != 224.0.0.0/4 masquerade
`,
  );
  const noMasq = nftBaseScript({
    table: "t",
    subnet: parseIpv4Cidr("10.42.3.0/24")!,
    clusterCidr: parseIpv4Cidr("10.42.3.0/24")!,
    ipMasq: false,
  });
  assert.ok(!noMasq.includes("ip daddr != 10.42.3.0/24"));
  assert.ok(noMasq.includes("ct mark & 0x00010000 == 0x00010000 ip saddr 10.42.3.0/24 masquerade"));
});

Deno.test("hostPortElements() maps any-address and host-address ports, skipping IPv6 hosts", () => {
  const elements = hostPortElements("10.42.3.5", [
    { hostPort: 8080, containerPort: 80, protocol: "tcp", hostIP: "" },
    { hostPort: 53, containerPort: 5353, protocol: "udp", hostIP: "192.168.1.5" },
    { hostPort: 1, containerPort: 1, protocol: "tcp", hostIP: "fd00::1" },
  ]);
  assert.equal(
    addElementsScript("skiff-cni", elements),
    `add element ip skiff-cni hostports { tcp . 8080 : 10.42.3.5 . 80 }
add element ip skiff-cni hostip_ports { 192.168.1.5 . udp . 53 : 10.42.3.5 . 5353 }
`,
  );
  assert.equal(
    deleteElementsScript("skiff-cni", elements),
    `delete element ip skiff-cni hostports { tcp . 8080 }
delete element ip skiff-cni hostip_ports { 192.168.1.5 . udp . 53 }
`,
  );
});

Deno.test("parseHostPortElements() reads nft 1.0.6's JSON listing", () => {
  const json = JSON.stringify({
    nftables: [
      { metainfo: { version: "1.0.6" } },
      {
        map: {
          family: "ip",
          name: "hostports",
          table: "skiff-cni",
          elem: [[{ concat: ["tcp", 8080] }, { concat: ["10.42.0.5", 80] }]],
        },
      },
      {
        map: {
          name: "hostip_ports",
          elem: [[{ concat: ["10.1.1.1", "udp", 53] }, { concat: ["10.42.0.6", 5353] }]],
        },
      },
      { map: { name: "hostip_ports" } },
      { chain: { name: "postrouting" } },
    ],
  });
  assert.deepEqual(parseHostPortElements(json), [
    { map: "hostports", key: "tcp . 8080", podIp: "10.42.0.5", containerPort: 80 },
    { map: "hostip_ports", key: "10.1.1.1 . udp . 53", podIp: "10.42.0.6", containerPort: 5353 },
  ]);
});
