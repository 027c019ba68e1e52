import assert from "node:assert/strict";
import {
  addElementsScript,
  deleteElementsScript,
  hostPortElements,
  nftBaseIsCurrent,
  nftBaseMarker,
  nftBaseScript,
  parseHostPortElements,
} from "./_nft_rules.ts";
import { parseIpv4Cidr } from "./_ipv4.ts";

Deno.test("nftBaseScript() declares the table and refills its chains, each rule marked", () => {
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
add rule ip skiff-cni prerouting fib daddr type local ip daddr . meta l4proto . th dport @hostip_ports ct mark set ct mark | 0x00010000 dnat ip addr . port to ip daddr . meta l4proto . th dport map @hostip_ports comment "skiff-cni ccb92df7"
add rule ip skiff-cni prerouting fib daddr type local meta l4proto . th dport @hostports ct mark set ct mark | 0x00010000 dnat ip addr . port to meta l4proto . th dport map @hostports comment "skiff-cni ccb92df7"
add rule ip skiff-cni output ip daddr != 127.0.0.0/8 fib daddr type local dnat ip addr . port to ip daddr . meta l4proto . th dport map @hostip_ports comment "skiff-cni ccb92df7"
add rule ip skiff-cni output ip daddr != 127.0.0.0/8 fib daddr type local dnat ip addr . port to meta l4proto . th dport map @hostports comment "skiff-cni ccb92df7"
add rule ip skiff-cni postrouting ct mark & 0x00010000 == 0x00010000 ip saddr 10.42.3.0/24 masquerade comment "skiff-cni ccb92df7"
add rule ip skiff-cni postrouting ip saddr 10.42.3.0/24 ip daddr != 10.42.0.0/16 ip daddr != 224.0.0.0/4 masquerade comment "skiff-cni ccb92df7"
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

const BASE = {
  table: "skiff-cni",
  subnet: parseIpv4Cidr("10.42.3.0/24")!,
  clusterCidr: parseIpv4Cidr("10.42.0.0/16")!,
  ipMasq: true,
};

Deno.test("nftBaseMarker() changes with anything the rules depend on", () => {
  const marker = nftBaseMarker(BASE);
  assert.match(marker, /^skiff-cni [0-9a-f]{8}$/);
  assert.equal(nftBaseMarker({ ...BASE }), marker);
  const others = [
    { ...BASE, table: "other" },
    { ...BASE, subnet: parseIpv4Cidr("10.42.4.0/24")! },
    { ...BASE, clusterCidr: parseIpv4Cidr("10.0.0.0/8")! },
    { ...BASE, ipMasq: false },
  ].map(nftBaseMarker);
  assert.equal(new Set([marker, ...others]).size, 5);
});

/** nft 1.0.6's `nft -j list table ip skiff-cni` after `nftBaseScript(BASE)` (rules trimmed). */
function listing(marker = nftBaseMarker(BASE)): { nftables: Record<string, unknown>[] } {
  const chain = (name: string, prio: number) => ({
    chain: {
      family: "ip",
      table: "skiff-cni",
      name,
      handle: 3,
      type: "nat",
      hook: name,
      prio,
      policy: "accept",
    },
  });
  const rule = (chain: string) => ({
    rule: { family: "ip", table: "skiff-cni", chain, handle: 9, comment: marker, expr: [] },
  });
  return {
    nftables: [
      { metainfo: { version: "1.0.6", json_schema_version: 1 } },
      { table: { family: "ip", name: "skiff-cni", handle: 1 } },
      { map: { family: "ip", name: "hostports", table: "skiff-cni", handle: 1 } },
      { map: { family: "ip", name: "hostip_ports", table: "skiff-cni", handle: 2 } },
      chain("prerouting", -100),
      chain("output", -100),
      chain("postrouting", 100),
      rule("prerouting"),
      rule("prerouting"),
      rule("output"),
      rule("output"),
      rule("postrouting"),
      rule("postrouting"),
    ],
  };
}

Deno.test("nftBaseIsCurrent() accepts only the table nftBaseScript() leaves", async (t) => {
  assert.equal(nftBaseIsCurrent(JSON.stringify(listing()), BASE), true);
  const cases: { name: string; json: () => string }[] = [
    { name: "not JSON", json: () => "" },
    { name: "an empty table", json: () => JSON.stringify({ nftables: [] }) },
    { name: "an older skiff's rules (no comment)", json: () => JSON.stringify(listing("")) },
    {
      name: "another config",
      json: () => JSON.stringify(listing(nftBaseMarker({ ...BASE, ipMasq: false }))),
    },
    {
      name: "a rule missing",
      json: () => {
        const doc = listing();
        doc.nftables.pop();
        return JSON.stringify(doc);
      },
    },
    {
      name: "a foreign rule",
      json: () => {
        const doc = listing();
        doc.nftables.push({ rule: { chain: "prerouting", comment: "mine" } });
        return JSON.stringify(doc);
      },
    },
    {
      name: "a map missing",
      json: () => JSON.stringify({ nftables: listing().nftables.filter((x) => !("map" in x)) }),
    },
    {
      name: "a chain with another priority",
      json: () => JSON.stringify(listing()).replace('"prio":100', '"prio":50'),
    },
    {
      name: "a chain that drops",
      json: () => JSON.stringify(listing()).replace('"policy":"accept"', '"policy":"drop"'),
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => assert.equal(nftBaseIsCurrent(c.json(), BASE), false));
  }
  // Without ipMasq the postrouting chain holds one rule.
  const noMasq = { ...BASE, ipMasq: false };
  const doc = listing(nftBaseMarker(noMasq));
  doc.nftables.pop();
  assert.equal(nftBaseIsCurrent(JSON.stringify(doc), noMasq), true);
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
